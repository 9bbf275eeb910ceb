// SPDX-License-Identifier: BSD-2-Clause
/*
 * Pure parsing for the firewall's configuration: inline rules (routes:
 * nf/route_parse.c; generations: nf/confchan.c).
 *
 * Every input here is hostile text (the kernel command line): the parser
 * is bounded and never echoes the input into messages.
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
