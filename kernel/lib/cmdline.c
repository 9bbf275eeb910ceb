// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel command line parsing.
 *
 * The line comes from whoever starts the guest (xl cfg extra=, QEMU
 * -append) and is untrusted: it is bounded in length, control bytes are
 * refused outright (they could hide text on a console or in logs), keys are
 * restricted to a small alphabet, and every error message names the key or
 * the column so the user can fix the line without guessing.
 *
 * Values are shell-like words: "..." quotes with \" and \\ escapes, '...'
 * quotes literally, and quoted and unquoted parts concatenate (a=x"y z" is
 * "xy z"). Outside double quotes a backslash is an ordinary character.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/cmdline.h"
#include "sluice/numparse.h"

/*
 * snprintf only (no vsnprintf in the kernel's allowed set), hence a macro.
 * A NULL or empty error buffer is allowed and simply receives nothing.
 */
#define CMDLINE_ERR(err, errlen, ...)                                                              \
	do {                                                                                       \
		if ((err) && (errlen) > 0)                                                         \
			snprintf((err), (errlen), __VA_ARGS__);                                    \
	} while (0)

/* Values are echoed in messages; cap them so the key stays readable. */
#define VALUE_ECHO_MAX 64

struct tok {
	const char *line; /* start of the line, for column numbers */
	char *err;
	size_t errlen;
};

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Control bytes other than our whitespace, and DEL. Bytes >= 0x80 pass (UTF-8). */
static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && !is_ws(c)) || c == 0x7f;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_keych(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static unsigned int column(const struct tok *t, const char *p)
{
	return (unsigned int)(p - t->line) + 1;
}

/*
 * Parse "key=" at *@pp, NUL-terminating the key in place of '='. A word
 * without '=' is "expected key=value"; anything else outside the key
 * alphabet is "invalid key".
 */
static int parse_key(const struct tok *t, char **pp, const char **key)
{
	char *s = *pp, *q = s;

	while (is_keych((unsigned char)*q))
		q++;
	if (*q == '=') {
		if (!is_alpha((unsigned char)*s)) {
			CMDLINE_ERR(t->err, t->errlen, "column %u: invalid key", column(t, s));
			return -EINVAL;
		}
		if (q - s > CMDLINE_KEY_MAX) {
			CMDLINE_ERR(t->err, t->errlen, "column %u: key too long (max %d bytes)",
				    column(t, s), CMDLINE_KEY_MAX);
			return -EINVAL;
		}
		*q = '\0';
		*key = s;
		*pp = q + 1;
		return 0;
	}
	if (*q == '\0' || is_ws((unsigned char)*q))
		CMDLINE_ERR(t->err, t->errlen, "column %u: expected key=value", column(t, s));
	else if (is_ctl((unsigned char)*q))
		CMDLINE_ERR(t->err, t->errlen, "column %u: invalid character 0x%02x", column(t, q),
			    (unsigned char)*q);
	else
		CMDLINE_ERR(t->err, t->errlen, "column %u: invalid key", column(t, s));
	return -EINVAL;
}

/*
 * Unquote the value at *@pp in place (the output never outruns the input)
 * and NUL-terminate it. On return *@pp is past the terminating blank.
 */
static int parse_value(const struct tok *t, const char *key, char **pp, const char **value)
{
	char *r = *pp, *w = *pp, end;
	char quote = 0;

	*value = w;
	for (;; r++) {
		unsigned char c = (unsigned char)*r;

		if (c == '\0') {
			if (quote) {
				CMDLINE_ERR(t->err, t->errlen, "key '%s': unterminated quote", key);
				return -EINVAL;
			}
			break;
		}
		if (is_ctl(c)) {
			CMDLINE_ERR(t->err, t->errlen,
				    "key '%s': invalid character 0x%02x at column %u", key, c,
				    column(t, r));
			return -EINVAL;
		}
		if (!quote && is_ws(c))
			break;
		if (!quote && (c == '"' || c == '\'')) {
			quote = (char)c;
			continue;
		}
		if (quote && c == (unsigned char)quote) {
			quote = 0;
			continue;
		}
		if (quote == '"' && c == '\\' && (r[1] == '"' || r[1] == '\\'))
			c = (unsigned char)*++r;
		*w++ = (char)c;
	}
	/* Read the terminator before the NUL possibly overwrites it (w <= r). */
	end = *r;
	*w = '\0';
	*pp = end ? r + 1 : r;
	return 0;
}

/* Length check without reading past CMDLINE_MAX bytes of an unterminated buffer. */
static bool line_fits(const char *buf)
{
	for (size_t i = 0; i < CMDLINE_MAX; i++)
		if (buf[i] == '\0')
			return true;
	return false;
}

int cmdline_tokenize(char *buf, struct cmdline_kv *kv, unsigned int max, unsigned int *n, char *err,
		     size_t errlen)
{
	struct tok t = {.line = buf, .err = err, .errlen = errlen};
	unsigned int cnt = 0;
	char *p = buf;

	if (err && errlen > 0)
		err[0] = '\0';
	*n = 0;
	if (!line_fits(buf)) {
		CMDLINE_ERR(err, errlen, "line too long (max %d bytes)", CMDLINE_MAX - 1);
		return -EINVAL;
	}
	for (;;) {
		while (is_ws((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (cnt >= max) {
			CMDLINE_ERR(err, errlen, "column %u: too many pairs (max %u)",
				    column(&t, p), max);
			return -E2BIG;
		}
		int rc = parse_key(&t, &p, &kv[cnt].key);

		if (rc)
			return rc;
		rc = parse_value(&t, kv[cnt].key, &p, &kv[cnt].value);
		if (rc)
			return rc;
		cnt++;
	}
	*n = cnt;
	return 0;
}

/*
 * Strict (sluice/numparse.h): no sign, no blanks, no suffix, no octal;
 * leading zeros are fine ("007" is 7). A "0x" prefix selects hex.
 */
int cmdline_parse_u64(const char *s, uint64_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return num_parse_hex(s + 2, strlen(s + 2), 0, out);
	return num_parse_dec(s, strlen(s), 0, out);
}

/* ASCII case-insensitive equality. */
static bool word_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;

		if (x != *b)
			return false;
	}
	return *a == *b;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "yes", "on", "true"};
	static const char *const no[] = {"0", "no", "off", "false"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (word_eq(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (word_eq(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct cmdline_opt *find_opt(const struct cmdline_opt *const *tables, const char *key)
{
	for (; tables && *tables; tables++)
		for (const struct cmdline_opt *o = *tables; o->key; o++)
			if (strcmp(o->key, key) == 0)
				return o;
	return NULL;
}

/* A table entry that cannot work is a programming error, reported as such. */
static bool opt_sane(const struct cmdline_opt *o)
{
	switch (o->type) {
	case CMDLINE_STR:
		return o->dst && o->dst_size > 0;
	case CMDLINE_U64:
		return o->dst && o->min <= o->max;
	case CMDLINE_BOOL:
		return o->dst;
	case CMDLINE_FUNC:
		return o->fn;
	}
	return false;
}

static int check_u64(const struct cmdline_opt *o, const char *key, const char *val, char *err,
		     size_t errlen)
{
	uint64_t v;
	int rc = cmdline_parse_u64(val, &v);

	if (rc == -ERANGE) {
		CMDLINE_ERR(err, errlen, "key '%s': value '%.*s' does not fit in 64 bits", key,
			    VALUE_ECHO_MAX, val);
		return -EINVAL;
	}
	if (rc) {
		CMDLINE_ERR(err, errlen, "key '%s': value '%.*s' is not a number", key,
			    VALUE_ECHO_MAX, val);
		return -EINVAL;
	}
	if (v < o->min || v > o->max) {
		CMDLINE_ERR(err, errlen, "key '%s': value %llu out of range [%llu, %llu]", key,
			    (unsigned long long)v, (unsigned long long)o->min,
			    (unsigned long long)o->max);
		return -EINVAL;
	}
	return 0;
}

/* Type-specific checks of one value; nothing is stored. */
static int check_value(const struct cmdline_opt *o, const char *key, const char *val, char *err,
		       size_t errlen)
{
	bool b;

	switch (o->type) {
	case CMDLINE_STR:
		if (strlen(val) >= o->dst_size) {
			CMDLINE_ERR(err, errlen, "key '%s': value too long (max %zu bytes)", key,
				    o->dst_size - 1);
			return -EINVAL;
		}
		return 0;
	case CMDLINE_U64:
		return check_u64(o, key, val, err, errlen);
	case CMDLINE_BOOL:
		if (parse_bool(val, &b)) {
			CMDLINE_ERR(err, errlen,
				    "key '%s': value '%.*s' is not a boolean (1/0, yes/no, on/off, "
				    "true/false)",
				    key, VALUE_ECHO_MAX, val);
			return -EINVAL;
		}
		return 0;
	case CMDLINE_FUNC:
		return 0; /* callbacks validate their own values when they run */
	}
	return -EINVAL;
}

/* Validation of pair @i: known key, not a forbidden repeat, well-formed value. */
static int check_pair(const struct cmdline_kv *kv, unsigned int i,
		      const struct cmdline_opt *const *tables, char *err, size_t errlen)
{
	const struct cmdline_opt *o = find_opt(tables, kv[i].key);

	if (!o) {
		CMDLINE_ERR(err, errlen, "unknown key '%s'", kv[i].key);
		return -EINVAL;
	}
	if (!opt_sane(o)) {
		CMDLINE_ERR(err, errlen, "key '%s': bad option table entry", kv[i].key);
		return -EINVAL;
	}
	for (unsigned int j = 0; j < i && !o->repeat; j++) {
		if (strcmp(kv[j].key, kv[i].key) == 0) {
			CMDLINE_ERR(err, errlen, "key '%s': duplicate", kv[i].key);
			return -EINVAL;
		}
	}
	return check_value(o, kv[i].key, kv[i].value, err, errlen);
}

/* Run a callback, prefixing its reason with the key. */
static int run_fn(const struct cmdline_opt *o, const struct cmdline_kv *kv, char *err,
		  size_t errlen)
{
	char reason[128];
	int rc;

	reason[0] = '\0';
	rc = o->fn(kv->value, o->ctx, reason, sizeof(reason));
	if (rc == 0)
		return 0;
	reason[sizeof(reason) - 1] = '\0';
	if (reason[0])
		CMDLINE_ERR(err, errlen, "key '%s': %s", kv->key, reason);
	else
		CMDLINE_ERR(err, errlen, "key '%s': rejected (error %d)", kv->key, rc);
	return rc < 0 ? rc : -EINVAL;
}

/* Store an already validated value. */
static void store(const struct cmdline_opt *o, const char *val)
{
	uint64_t v = 0;
	bool b = false;

	switch (o->type) {
	case CMDLINE_STR:
		memcpy(o->dst, val, strlen(val) + 1);
		break;
	case CMDLINE_U64:
		cmdline_parse_u64(val, &v);
		*(uint64_t *)o->dst = v;
		break;
	case CMDLINE_BOOL:
		parse_bool(val, &b);
		*(bool *)o->dst = b;
		break;
	case CMDLINE_FUNC:
		break;
	}
}

/*
 * Three passes: validate every pair; run the callbacks in command-line
 * order; only then store the plain values. A bad pair thus changes nothing,
 * and a failing callback leaves all plain values untouched too (earlier
 * callbacks have acted; they are documented to validate before acting).
 */
int cmdline_apply(const struct cmdline_kv *kv, unsigned int n,
		  const struct cmdline_opt *const *tables, char *err, size_t errlen)
{
	int rc;

	if (err && errlen > 0)
		err[0] = '\0';
	for (unsigned int i = 0; i < n; i++) {
		rc = check_pair(kv, i, tables, err, errlen);
		if (rc)
			return rc;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct cmdline_opt *o = find_opt(tables, kv[i].key);

		if (o->type != CMDLINE_FUNC)
			continue;
		rc = run_fn(o, &kv[i], err, errlen);
		if (rc)
			return rc;
	}
	for (unsigned int i = 0; i < n; i++)
		store(find_opt(tables, kv[i].key), kv[i].value);
	return 0;
}
