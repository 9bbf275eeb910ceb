// SPDX-License-Identifier: BSD-2-Clause
/* Strict unsigned number parsing (see sluice/numparse.h). */
#include <errno.h>
#include <stdbool.h>

#include "sluice/numparse.h"

int num_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int digit(char c, bool hex)
{
	return hex ? num_hexval(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
}

static int parse(const char *s, size_t len, unsigned int flags, bool hex, uint64_t *v)
{
	uint64_t x = 0;

	if (!s || len == 0)
		return -EINVAL;
	/* Syntax first, so that a stray character is never reported as -ERANGE. */
	for (size_t i = 0; i < len; i++)
		if (digit(s[i], hex) < 0)
			return -EINVAL;
	if ((flags & NUM_CANONICAL) && len > 1 && s[0] == '0')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)digit(s[i], hex);

		if (hex ? x >> 60 != 0 : x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = hex ? x << 4 | d : x * 10 + d;
	}
	*v = x;
	return 0;
}

int num_parse_dec(const char *s, size_t len, unsigned int flags, uint64_t *v)
{
	return parse(s, len, flags, false, v);
}

int num_parse_hex(const char *s, size_t len, unsigned int flags, uint64_t *v)
{
	return parse(s, len, flags, true, v);
}
