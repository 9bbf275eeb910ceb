// SPDX-License-Identifier: BSD-2-Clause
/*
 * Static routes from text (sluice/nf/route.h). The text is hostile (the
 * kernel command line): strict addresses, canonical numbers, no trailing
 * bytes, and messages that never echo it.
 *
 * Pure logic: built into the kernel and into host tests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sluice/inaddr.h"
#include "sluice/nf/route.h"

int nf_addr_parse4(const char *s, const char **end, struct pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	s = inaddr_parse4(s, a->b);
	if (!s)
		return -EINVAL;
	*end = s;
	return 0;
}

int nf_addr_parse6(const char *s, const char **end, struct pkt_addr *a)
{
	s = inaddr_parse6(s, a->b);
	if (!s)
		return -EINVAL;
	*end = s;
	return 0;
}

/* ADDR/LEN (family told by the text); host bits must be clear. */
static int parse_prefix(const char *s, const char **end, struct nf_route *r)
{
	unsigned int plen;
	const char *p;

	if (nf_addr_parse4(s, &p, &r->prefix) == 0)
		r->family = 4;
	else if (nf_addr_parse6(s, &p, &r->prefix) == 0)
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
static int parse_route_opt(const char *s, const char **end, struct nf_route *r, char *err,
			   size_t errlen)
{
	unsigned int n;

	if (strncmp(s, "via=", 4) == 0 && !r->has_via) {
		int rc = r->family == 4 ? nf_addr_parse4(s + 4, end, &r->via)
					: nf_addr_parse6(s + 4, end, &r->via);

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

int nf_route_parse(const char *s, struct nf_route *r, char *err, size_t errlen)
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

int nf_route_add(struct nf_routes *rt, const char *s, char *err, size_t errlen)
{
	if (rt->n == NF_ROUTES_MAX) {
		snprintf(err, errlen, "too many routes (at most %u)", NF_ROUTES_MAX);
		return -EINVAL;
	}
	if (nf_route_parse(s, &rt->r[rt->n], err, errlen) < 0)
		return -EINVAL;
	rt->n++;
	return 0;
}
