/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdbool.h>
#include <string.h>

#include "sluice/inaddr.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *inaddr_parse_dec(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;

	if (!is_digit(*s) || (s[0] == '0' && is_digit(s[1])))
		return NULL;
	for (; is_digit(*s); s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > max)
			return NULL;
	}
	*out = v;
	return s;
}

const char *inaddr_parse4(const char *s, uint8_t out[4])
{
	unsigned int o;

	for (int i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return NULL;
		s = inaddr_parse_dec(s, 255, &o);
		if (!s)
			return NULL;
		out[i] = (uint8_t)o;
	}
	return s;
}

const char *inaddr_parse6(const char *s, uint8_t out[16])
{
	uint16_t w[8] = {0}, tail[8];
	unsigned int nhead = 0, ntail = 0;
	bool gap = false;

	if (s[0] == ':') {
		if (s[1] != ':')
			return NULL;
		gap = true;
		s += 2;
	}
	while (hex_value(*s) >= 0) {
		unsigned int v = 0, digits = 0;

		for (; hex_value(*s) >= 0; s++, digits++) {
			if (digits == 4)
				return NULL;
			v = v << 4 | (unsigned int)hex_value(*s);
		}
		if (nhead + ntail == 8)
			return NULL;
		if (gap)
			tail[ntail++] = (uint16_t)v;
		else
			w[nhead++] = (uint16_t)v;
		if (s[0] != ':')
			break;
		if (s[1] == ':' && !gap) {
			gap = true;
			s += 2;
		} else if (hex_value(s[1]) >= 0) {
			s++;
		} else {
			return NULL; /* a second "::", or a trailing ':' */
		}
	}
	/* "::" stands for at least one zero group. */
	if (gap ? nhead + ntail > 7 : nhead != 8)
		return NULL;
	memcpy(&w[8 - ntail], tail, ntail * sizeof(tail[0]));
	for (int i = 0; i < 8; i++) {
		out[2 * i] = (uint8_t)(w[i] >> 8);
		out[2 * i + 1] = (uint8_t)w[i];
	}
	return s;
}
