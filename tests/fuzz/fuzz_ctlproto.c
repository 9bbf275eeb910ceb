// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl's parsing of what an appliance writes (tools/ctl_proto.c):
 * result and error values, and the stats text turned into JSON. The
 * appliance is untrusted by the host, so beyond memory safety the JSON must
 * stay well-formed whatever the text: a small validator checks it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../tools/ctl_int.h"
#include "fuzz.h"

/* Minimal JSON grammar check (no numbers with exponents needed: the tool writes integers). */
static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			c = (unsigned char)*p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++)
					if (!strchr("0123456789abcdefABCDEF", *p++) ||
					    p[-1] == '\0')
						return NULL;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return NULL;
			}
		}
	}
}

static const char *members(const char *p, char close, int depth)
{
	p = ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = string(ws(p));
			if (!p)
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = ws(p);
	if (*p == '{' || *p == '[')
		return members(p + 1, *p == '{' ? '}' : ']', depth);
	if (*p == '"')
		return string(p);
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	if (*p == '0')
		return p + 1;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *json = NULL;
	size_t jlen = 0;
	struct ctl_result r;
	uint64_t gen, v;
	const char *where, *rest, *end;
	FILE *f;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	ctl_parse_u64(s, &v);
	if (ctl_parse_result(s, &r) == 0 && r.ok && (r.summary < s || r.summary > s + size))
		abort();
	if (ctl_parse_error(s, &gen, &where, &rest) == 0 && where &&
	    (where < s || where > s + size))
		abort();

	/* The stats text is @size bytes, not NUL-terminated: ASan sees overreads. */
	f = open_memstream(&json, &jlen);
	if (!f)
		abort();
	memcpy(s, data, size);
	if (ctl_put_stats_json(f, s, size) == 0) {
		fclose(f);
		end = value(json, 0);
		if (!end || *ws(end) != '\0') {
			fprintf(stderr, "invalid JSON: %s\n", json);
			abort();
		}
	} else {
		fclose(f);
	}
	free(json);
	free(s);
	return 0;
}
