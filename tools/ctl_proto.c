// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: the host-channel conventions shared with the appliances
 * (docs/hostcfg.md), as pure functions. The chunk constants come from the
 * header the appliances use, so that the two cannot drift.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_int.h"
#include "sluice/numparse.h"

const size_t ctl_chunk_data = HK_CHUNK_DATA;
const unsigned int ctl_chunk_count_max = HK_CHUNK_COUNT_MAX;
const size_t ctl_chunked_max = (size_t)HK_CHUNK_DATA * HK_CHUNK_COUNT_MAX;

/*
 * The host check should refuse what the appliance refuses, so it compiles
 * with the appliance's limits: the defaults (appliances/firewall/config.c),
 * except that the appliance caps max_mem at half its free heap, which only
 * it knows. The transport's own bound (ctl_chunked_max) is checked
 * separately because it is far below FW_DEFAULT_MAX_TEXT.
 */
const struct fw_limits ctl_fw_limits = {
	.max_text = FW_DEFAULT_MAX_TEXT,
	.max_line = FW_DEFAULT_MAX_LINE,
	.max_lines = FW_DEFAULT_MAX_LINES,
	.max_rules = FW_DEFAULT_MAX_RULES,
	.max_sets = FW_DEFAULT_MAX_SETS,
	.max_set_elems = FW_DEFAULT_MAX_SET_ELEMS,
	.max_elems = FW_DEFAULT_MAX_ELEMS,
	.max_matches = FW_DEFAULT_MAX_MATCHES,
	.max_mem = FW_DEFAULT_MAX_MEM,
};

/* Canonical decimal of @len bytes at @s: the appliances' own rule (numparse.h). */
static int parse_u64_n(const char *s, size_t len, uint64_t *v)
{
	return num_parse_dec(s, len, NUM_CANONICAL, v);
}

int ctl_parse_u64(const char *s, uint64_t *v)
{
	if (!s || !v)
		return -EINVAL;
	return parse_u64_n(s, strlen(s), v);
}

/* The leading "G " of @s: the generation, and where the rest starts. */
static int parse_gen_prefix(const char *s, uint64_t *gen, const char **rest)
{
	const char *sp = strchr(s, ' ');

	if (!sp || parse_u64_n(s, (size_t)(sp - s), gen) < 0)
		return -EINVAL;
	*rest = sp + 1;
	return 0;
}

int ctl_parse_result(const char *s, struct ctl_result *r)
{
	const char *rest;

	if (!s || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (parse_gen_prefix(s, &r->gen, &rest) < 0)
		return -EINVAL;
	if (strcmp(rest, "error") == 0)
		return 0;
	/* "G ok SUMMARY": what the summary says is the appliance's business. */
	if (strncmp(rest, "ok ", 3) != 0 || rest[3] == '\0')
		return -EINVAL;
	r->summary = rest + 3;
	r->ok = true;
	return 0;
}

int ctl_parse_error(const char *s, uint64_t *gen, const char **where, const char **rest)
{
	static const char name[] = "rules";

	if (!s || !gen || !where || !rest)
		return -EINVAL;
	if (parse_gen_prefix(s, gen, rest) < 0)
		return -EINVAL;
	/* fw_error_format's "rules:L:C: msg" or "rules: msg" */
	if (strncmp(*rest, name, sizeof(name) - 1) == 0 && (*rest)[sizeof(name) - 1] == ':')
		*where = *rest + sizeof(name) - 1;
	else
		*where = NULL;
	return 0;
}

void ctl_put_escaped(FILE *f, const char *s, size_t len, bool oneline)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			fputs("\\\\", f);
		else if ((!oneline && (c == '\n' || c == '\t')) || (c >= 0x20 && c < 0x7f))
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

void ctl_put_json(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			/* Bytes, not code points: anything outside ASCII is shown, never decoded.
			 */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ------------------------------------------------------------ stats JSON */

/* One line of the counters: "HEAD [ID] k=v k=v ..." or just "k=v ...". */
struct stats_line {
	const char *head, *id, *kv; /* id NULL without one; kv: the first k=v word */
	size_t head_len, id_len, kv_len;
	bool done;
};

static bool is_kv(const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);

	return eq && eq != w;
}

/* The next blank-separated word of [*p, end): false at the end. */
static bool next_word(const char **p, const char *end, const char **w, size_t *len)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p >= end)
		return false;
	*w = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	*len = (size_t)(*p - *w);
	return true;
}

static void put_value(FILE *f, const char *v, size_t len)
{
	uint64_t x;

	/* Numbers as numbers, as far as they are canonical; anything else as a string. */
	if (len > 0 && len <= 20 && parse_u64_n(v, len, &x) == 0)
		fprintf(f, "%llu", (unsigned long long)x);
	else
		ctl_put_json(f, v, len);
}

/* The k=v words of @l as members, after @sep. */
static void put_members(FILE *f, const struct stats_line *l, const char *sep)
{
	const char *p = l->kv, *end = l->kv + l->kv_len, *w;
	size_t len;

	while (next_word(&p, end, &w, &len)) {
		const char *eq = memchr(w, '=', len);

		if (!eq || eq == w)
			continue; /* a stray word among the counters: it is in "text" */
		fputs(sep, f);
		ctl_put_json(f, w, (size_t)(eq - w));
		fputs(": ", f);
		put_value(f, eq + 1, (size_t)(w + len - eq - 1));
		sep = ", ";
	}
}

static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

int ctl_put_stats_json(FILE *f, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	struct stats_line *lines;
	size_t n = 0, max = 1;
	const char *sep = "";

	for (size_t i = 0; i < len; i++)
		max += text[i] == '\n';
	lines = calloc(max, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p, *w;
		struct stats_line *l = &lines[n];
		size_t wl;

		/* Leading words without '=' name the line: the first is its group, the rest an id.
		 */
		while (next_word(&q, le, &w, &wl)) {
			if (is_kv(w, wl)) {
				l->kv = w;
				l->kv_len = (size_t)(le - w);
				break;
			}
			if (!l->head) {
				l->head = w;
				l->head_len = wl;
			} else {
				if (!l->id)
					l->id = w;
				l->id_len = (size_t)(w + wl - l->id);
			}
		}
		if (l->head || l->kv)
			n++;
		p = le + 1;
	}
	fputc('{', f);
	/* Lines without a name: their members at the top. */
	for (size_t i = 0; i < n; i++) {
		if (!lines[i].head && lines[i].kv) {
			put_members(f, &lines[i], sep);
			sep = ", ";
		}
	}
	/* Then one member per group, in order of first appearance. */
	for (size_t i = 0; i < n; i++) {
		struct stats_line *g = &lines[i];
		size_t count = 0;
		bool array = false;

		if (!g->head || g->done)
			continue;
		for (size_t j = i; j < n; j++) {
			if (lines[j].head &&
			    same(lines[j].head, lines[j].head_len, g->head, g->head_len)) {
				count++;
				array |= lines[j].id != NULL;
			}
		}
		/* One line without an id is an object; several, or ids, make an array. */
		array |= count > 1;
		fputs(sep, f);
		sep = ", ";
		ctl_put_json(f, g->head, g->head_len);
		fputs(array ? ": [" : ": ", f);
		for (size_t j = i, k = 0; j < n; j++) {
			struct stats_line *l = &lines[j];
			const char *msep = "";

			if (!l->head || !same(l->head, l->head_len, g->head, g->head_len))
				continue;
			l->done = true;
			fputs(k++ ? ", {" : "{", f);
			if (l->id) {
				fputs("\"id\": ", f);
				put_value(f, l->id, l->id_len);
				msep = ", ";
			}
			if (l->kv)
				put_members(f, l, msep);
			fputc('}', f);
		}
		if (array)
			fputc(']', f);
	}
	fputc('}', f);
	free(lines);
	return 0;
}
