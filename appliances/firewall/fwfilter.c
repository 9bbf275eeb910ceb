// SPDX-License-Identifier: BSD-2-Clause
/*
 * The firewall's core: the filter element and the parse element's bypass
 * (parse and conntrack are the shared layer's, sluice/nf/parse.h and ct.h).
 *
 * parse    ARP, IPv6 neighbour discovery and MLD leave on port 1, which
 *          bypasses the rules (fw_always_pass): without them no host could
 *          reach another through the firewall, whatever the rules say
 *          (docs/firewall.md).
 * defrag   (nf/defrag.h) fragments are held until their datagram is whole;
 *          the rest of the graph sees the datagram once.
 * ct       ct_lookup_update(): the packet's `ct state`.
 * filter   fw_classify_ex() with the live ruleset; accept confirms the
 *          flow (ct_confirm), so only accepted flows take table slots.
 *
 * ct and filter are separate elements, but a packet runs through both
 * before the next packet starts (run to completion), so a flow is
 * confirmed before its next packet is looked up.
 */
#include <errno.h>
#include <string.h>

#include "fwelem.h"

#define ICMP6 58
#define ND_RS 133
#define ND_NA 136
#define MLD_QUERY 130
#define MLD_DONE 132
#define MLD2_REPORT 143

static bool v6_link_local_or_any(const struct pkt_addr *a)
{
	static const uint8_t zero[16];

	return (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80) || memcmp(a->b, zero, 16) == 0;
}

/*
 * The trust decision for the rule bypass: only what is well-formed and
 * link-scoped as its RFC requires. ND must come with hop limit 255 (RFC
 * 4861 7.1.1: proof it was not routed), MLD with hop limit 1 from a
 * link-local (or, for MLDv2 reports, unspecified) source (RFC 3810 5).
 * Anything else that looks like them goes through the rules.
 */
bool fw_always_pass(const struct pkt_meta *m)
{
	if (m->flags & PKT_MALFORMED)
		return false;
	if (m->l3 == PKT_L3_ARP)
		return true;
	if (m->l3 != PKT_L3_IPV6 || m->proto != ICMP6 || !(m->flags & PKT_HAS_L4) ||
	    (m->flags & PKT_FRAGMENT))
		return false;
	if (m->icmp_type >= ND_RS && m->icmp_type <= ND_NA)
		return m->ttl == 255;
	if ((m->icmp_type >= MLD_QUERY && m->icmp_type <= MLD_DONE) || m->icmp_type == MLD2_REPORT)
		return m->ttl == 1 && v6_link_local_or_any(&m->saddr);
	return false;
}

/* ---- filter ---- */

static int filter_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct fw_filter *f = e->priv;
	const struct fw_verdict *v;
	struct fw_logs logs;

	/*
	 * A later fragment of a datagram whose first fragment the rules just
	 * accepted as a whole (nf/defrag.h; the flag is never set by the
	 * parser): it follows that verdict. Classifying it again would count
	 * it twice and match it without ports.
	 */
	if (p->meta.flags & PKT_REASM_TAIL)
		return 0;
	v = fw_classify_ex(f->rs, &p->meta, p->oif == PL_IF_NONE ? FW_IF_NONE : p->oif, p->ct_state,
			   p->now, &logs);
	p->anno[FW_ANNO_VERDICT].ptr = v;
	if ((logs.n || logs.missed) && f->log)
		f->log(f->log_arg, p, v, &logs);
	switch (v->action) {
	case FW_ACCEPT:
		/* nftables confirms on accept: a dropped packet never costs a table slot. */
		if ((p->ct_state == CT_NEW || (p->meta.flags & PKT_FIRST_FRAG)) &&
		    ct_confirm(f->ct, &p->meta, p->now, NULL) == -ENOSPC) {
			p->reason = FWD_CT_FULL;
			return PL_DROP;
		}
		return 0;
	case FW_REJECT:
		p->reason = FWD_REJECT;
		return 1;
	default:
		p->reason = FWD_RULES;
		return PL_DROP;
	}
}

/* Between batches: carry counters and limit buckets over, then swap. */
static void filter_swap(struct pl_elem *e, void *state)
{
	struct fw_filter *f = e->priv;
	struct fw_ruleset *old = f->rs;

	/* -ENOMEM leaves some counters at zero: harmless, and noted for the stats. */
	if (old && fw_ruleset_carry_state(state, old) < 0)
		f->carry_failures++;
	f->rs = state;
	fw_ruleset_free(old);
}

static void filter_discard(struct pl_elem *e, void *state)
{
	(void)e;
	fw_ruleset_free(state);
}

const struct pl_class fw_filter_class = {
	.name = "filter",
	.nports = 2,
	.push = filter_push,
	.swap = filter_swap,
	.discard = filter_discard,
};
