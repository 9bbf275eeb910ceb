// SPDX-License-Identifier: BSD-2-Clause
/*
 * Pure parsing for the firewall's configuration: inline rules and the
 * xenstore generation counter (routes: nf/route_parse.c).
 *
 * Every input here is hostile text (the kernel command line, xenstore):
 * parsers are strict (canonical numbers, no leading zeros, no trailing
 * bytes), bounded, and never echo the input into messages; text that must
 * be shown is passed through fwconf_sanitize() first.
 *
 * Pure logic: built into the kernel and into host tests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwconf.h"

unsigned int fwconf_inline(char *text)
{
	bool in_str = false, in_comment = false, esc = false;
	unsigned int lines = 1;

	/*
	 * A ';' inside a "string" (a log prefix) is text; anywhere else,
	 * comments included, it ends the line: `policy drop # x; tcp ...`
	 * is two lines. Replacing byte for byte keeps error columns right.
	 */
	for (char *p = text; *p; p++) {
		if (*p == '\n') {
			in_str = in_comment = esc = false;
			lines++;
		} else if (in_str) {
			if (esc)
				esc = false;
			else if (*p == '\\')
				esc = true;
			else if (*p == '"')
				in_str = false;
		} else if (*p == ';') {
			*p = '\n';
			in_comment = false;
			lines++;
		} else if (!in_comment && *p == '"') {
			in_str = true;
		} else if (*p == '#') {
			in_comment = true;
		}
	}
	return lines;
}

void fwconf_sanitize(const char *in, size_t inlen, char *out, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	for (size_t i = 0; i < inlen && n + 1 < len; i++)
		out[n++] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[n] = '\0';
}

int fwconf_generation(const char *val, size_t len, uint64_t last, uint64_t *gen, char *err,
		      size_t errlen)
{
	uint64_t g = 0;

	/* Canonical decimal only: "007", "+7" or "7\n" are not what a writer meant by 7. */
	if (len == 0 || len > 20 || (len > 1 && val[0] == '0')) {
		snprintf(err, errlen, "not a decimal number");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned char)val[i] - '0';

		if (d > 9 || g > (UINT64_MAX - d) / 10) {
			snprintf(err, errlen, "not a decimal number");
			return -EINVAL;
		}
		g = g * 10 + d;
	}
	if (g == 0) {
		snprintf(err, errlen, "not a generation (they start at 1)");
		return -EINVAL;
	}
	*gen = g;
	if (g == last)
		return 1; /* handled already: a watch fires spuriously */
	if (g < last) {
		snprintf(err, errlen, "stale: generation %llu is not above %llu",
			 (unsigned long long)g, (unsigned long long)last);
		return -ESTALE;
	}
	return 0;
}
