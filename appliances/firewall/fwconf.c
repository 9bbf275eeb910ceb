// SPDX-License-Identifier: BSD-2-Clause
/*
 * Pure parsing for the firewall's configuration: inline rules, the
 * xenstore generation counter, static routes and their addresses.
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

#include "fwapp.h"
#include "sluice/inaddr.h"

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

int fwconf_ip4(const char *s, const char **end, struct pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	s = inaddr_parse4(s, a->b);
	if (!s)
		return -EINVAL;
	*end = s;
	return 0;
}

int fwconf_ip6(const char *s, const char **end, struct pkt_addr *a)
{
	s = inaddr_parse6(s, a->b);
	if (!s)
		return -EINVAL;
	*end = s;
	return 0;
}

/* ADDR/LEN (family told by the text); host bits must be clear. */
static int parse_prefix(const char *s, const char **end, struct fw_route *r)
{
	unsigned int plen;
	const char *p;

	if (fwconf_ip4(s, &p, &r->prefix) == 0)
		r->family = 4;
	else if (fwconf_ip6(s, &p, &r->prefix) == 0)
		r->family = 6;
	else
		return -EINVAL;
	if (*p != '/' || !(p = inaddr_parse_dec(p + 1, r->family == 4 ? 32 : 128, &plen)))
		return -EINVAL;
	r->plen = (uint8_t)plen;
	for (unsigned int bit = plen; bit < 128; bit++)
		if (r->prefix.b[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	*end = p;
	return 0;
}

/* "via=ADDR" or "dev=netN" at @s (one option, up to ',' or the end). */
static int parse_route_opt(const char *s, const char **end, struct fw_route *r, char *err,
			   size_t errlen)
{
	unsigned int n;

	if (strncmp(s, "via=", 4) == 0 && !r->has_via) {
		int rc = r->family == 4 ? fwconf_ip4(s + 4, end, &r->via)
					: fwconf_ip6(s + 4, end, &r->via);

		if (rc < 0 || (r->family == 4 ? r->via.b[0] == 0 || r->via.b[0] >= 224
					      : r->via.b[0] == 0xff)) {
			snprintf(err, errlen, "via= needs a unicast IPv%u address", r->family);
			return -EINVAL;
		}
		r->has_via = 1;
		return 0;
	}
	if (strncmp(s, "dev=net", 7) == 0 && r->dev == PL_IF_NONE) {
		*end = inaddr_parse_dec(s + 7, PL_IFS_MAX - 1, &n);
		if (*end) {
			r->dev = n;
			return 0;
		}
		snprintf(err, errlen, "dev= names a NIC net0..net%u", PL_IFS_MAX - 1);
		return -EINVAL;
	}
	snprintf(err, errlen, "expected via=ADDR or dev=netN after the prefix (each once)");
	return -EINVAL;
}

int fwconf_route(const char *s, struct fw_route *r, char *err, size_t errlen)
{
	const char *p;

	memset(r, 0, sizeof(*r));
	r->dev = PL_IF_NONE;
	if (parse_prefix(s, &p, r) < 0) {
		snprintf(
			err, errlen,
			"expected PREFIX,via=GW or PREFIX,dev=netN (e.g. 10.1.0.0/16,via=10.0.0.1; "
			"a prefix has no bits set after its length)");
		return -EINVAL;
	}
	while (*p == ',') {
		if (parse_route_opt(p + 1, &p, r, err, errlen) < 0)
			return -EINVAL;
	}
	if (*p) {
		snprintf(err, errlen, "unexpected text after the route");
		return -EINVAL;
	}
	if (!r->has_via && r->dev == PL_IF_NONE) {
		snprintf(err, errlen, "a route needs via=GW or dev=netN");
		return -EINVAL;
	}
	return 0;
}
