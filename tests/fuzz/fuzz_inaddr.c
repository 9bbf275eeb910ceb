// SPDX-License-Identifier: BSD-2-Clause
/*
 * Address text (kernel/lib/inaddr.c) on arbitrary NUL-terminated strings:
 * no out-of-bounds access, and every IPv6 address parsed formats (RFC 5952)
 * to text that parses back to the same bytes.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/inaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint8_t a4[4], a6[16], back[16];
	unsigned int d;
	const char *end;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	end = inaddr_parse_dec(s, (unsigned int)size * 1000u, &d);
	if (end && (end < s || end > s + size))
		abort();
	end = inaddr_parse4(s, a4);
	if (end && (end < s || end > s + size))
		abort();
	end = inaddr_parse6(s, a6);
	if (end) {
		char txt[INADDR6_STRLEN];

		if (end < s || end > s + size)
			abort();
		inaddr_format6(a6, txt, sizeof(txt));
		end = inaddr_parse6(txt, back);
		if (!end || *end != '\0' || memcmp(a6, back, 16) != 0)
			abort();
	}
	free(s);
	return 0;
}
