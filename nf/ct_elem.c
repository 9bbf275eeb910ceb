// SPDX-License-Identifier: BSD-2-Clause
/*
 * The conntrack element (sluice/nf/ct.h). Pure logic: built into the
 * kernel and into host tests.
 */
#include "sluice/nf/ct.h"

static int ct_push(struct pl_elem *e, struct pl_pkt *p)
{
	/*
	 * A later fragment of a datagram nf/defrag already ran through here as
	 * a whole: it keeps that state (set by the defrag element, never by the
	 * parser) and must not count as another packet of the flow.
	 */
	if (p->meta.flags & PKT_REASM_TAIL)
		return 0;
	/* The entry pointer is not kept: it is only valid until the next ct call. */
	p->ct_state = ct_lookup_update(e->priv, &p->meta, p->now, NULL);
	return 0;
}

const struct pl_class nf_ct_class = {
	.name = "conntrack",
	.nports = 1,
	.push = ct_push,
};
