// SPDX-License-Identifier: BSD-2-Clause
/*
 * Strict number parsing (kernel/lib/numparse.c) on arbitrary bytes: no
 * out-of-bounds read (the input is exactly @len bytes, not NUL-terminated),
 * and the documented contract: *v written only on success, a success
 * parses back to the same text, canonical forms have no leading zero.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/numparse.h"

static void check_dec(const char *s, size_t len, unsigned int flags)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;
	int rc = num_parse_dec(s, len, flags, &v);
	char back[32];

	if (rc < 0) {
		if ((rc != -EINVAL && rc != -ERANGE) || v != 0x5a5a5a5a5a5a5a5aULL)
			abort();
		return;
	}
	if (rc != 0)
		abort();
	/* Canonical text round-trips exactly; otherwise only leading zeros may differ. */
	snprintf(back, sizeof(back), "%" PRIu64, v);
	if (flags & NUM_CANONICAL) {
		if (strlen(back) != len || memcmp(back, s, len) != 0)
			abort();
	} else {
		size_t z = 0;

		while (z + 1 < len && s[z] == '0')
			z++;
		if (strlen(back) != len - z || memcmp(back, s + z, len - z) != 0)
			abort();
	}
}

static void check_hex(const char *s, size_t len, unsigned int flags)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;
	int rc = num_parse_hex(s, len, flags, &v);

	if (rc < 0) {
		if ((rc != -EINVAL && rc != -ERANGE) || v != 0x5a5a5a5a5a5a5a5aULL)
			abort();
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (num_hexval(s[i]) < 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly @size bytes, so ASan sees any read past the end. */
	char *s = malloc(size ? size : 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	check_dec(s, size, 0);
	check_dec(s, size, NUM_CANONICAL);
	check_hex(s, size, 0);
	check_hex(s, size, NUM_CANONICAL);
	free(s);
	return 0;
}
