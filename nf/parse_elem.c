// SPDX-License-Identifier: BSD-2-Clause
/*
 * The parse element (sluice/nf/parse.h). Pure logic: built into the kernel
 * and into host tests.
 */
#include <string.h>

#include "sluice/nf/parse.h"
#include "sluice/nf/port.h"

/* 01:80:c2:00:00:00-0f: IEEE 802.1D reserved; bridges consume, never forward. */
static bool link_local_group(const uint8_t *f)
{
	static const uint8_t grp[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};

	return memcmp(f, grp, 5) == 0 && (f[5] & 0xf0) == 0;
}

static int parse_push(struct pl_elem *e, struct pl_pkt *p)
{
	const struct nf_parse *cfg = e->priv;

	if (p->len < 14) {
		p->reason = NF_DROP_MALFORMED;
		return PL_DROP;
	}
	if (link_local_group(p->frame)) {
		p->reason = NF_DROP_LINK_LOCAL;
		return PL_DROP;
	}
	pkt_parse(p->frame, p->len, p->iif, &p->meta);
	if (p->iif < PL_IFS_MAX)
		p->oif = cfg->peer[p->iif];
	return cfg->bypass && cfg->bypass(&p->meta) ? 1 : 0;
}

const struct pl_class nf_parse_class = {
	.name = "parse",
	.nports = 2,
	.push = parse_push,
};
