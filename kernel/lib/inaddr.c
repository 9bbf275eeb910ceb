/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sluice/inaddr.h"
#include "sluice/numparse.h"

/* Length of the run of (hex) digits at @s. */
static size_t digit_run(const char *s, bool hex)
{
	size_t n = 0;

	while (hex ? num_hexval(s[n]) >= 0 : (s[n] >= '0' && s[n] <= '9'))
		n++;
	return n;
}

const char *inaddr_parse_dec(const char *s, unsigned int max, unsigned int *out)
{
	size_t n = digit_run(s, false);
	uint64_t v;

	if (num_parse_dec(s, n, NUM_CANONICAL, &v) < 0 || v > max)
		return NULL;
	*out = (unsigned int)v;
	return s + n;
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
	while (num_hexval(*s) >= 0) {
		size_t n = digit_run(s, true);
		uint64_t v;

		/* Up to four digits a group; leading zeros are allowed (RFC 4291). */
		if (n > 4 || num_parse_hex(s, n, 0, &v) < 0)
			return NULL;
		s += n;
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
		} else if (num_hexval(s[1]) >= 0) {
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

void inaddr_format6(const uint8_t a[16], char *buf, size_t len)
{
	uint16_t w[8];
	int best = -1, best_n = 1, pos = 0;

	if (len == 0)
		return;
	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	/* The longest run of two or more zero groups; the first of equal runs. */
	for (int i = 0; i < 8;) {
		int n = 0;

		while (i + n < 8 && w[i + n] == 0)
			n++;
		if (n > best_n) {
			best = i;
			best_n = n;
		}
		i += n ? n : 1;
	}
	buf[0] = '\0';
	for (int i = 0; i < 8 && pos < (int)len; i++) {
		if (i == best) {
			pos += snprintf(buf + pos, len - (size_t)pos, "::");
			i += best_n - 1;
			continue;
		}
		pos += snprintf(buf + pos, len - (size_t)pos, "%s%x",
				i && i != best + best_n ? ":" : "", w[i]);
	}
}
