// SPDX-License-Identifier: BSD-2-Clause
/*
 * The defrag element (sluice/nf/defrag.h): fragments are held as the
 * packets the graph gave us (their pktbufs, saved pl_pkt state) until the
 * datagram is whole, then run through the rest of the graph, first
 * fragment first. Pure logic: built into the kernel and into host tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/netdev.h"
#include "sluice/nf/defrag.h"
#include "sluice/nf/port.h"

static struct pl_pkt *take_slot(struct nf_defrag *nd)
{
	return nd->nfree ? &nd->slots[nd->free_slots[--nd->nfree]] : NULL;
}

static void put_slot(struct nf_defrag *nd, struct pl_pkt *p)
{
	nd->free_slots[nd->nfree++] = (uint32_t)(p - nd->slots);
}

/* The table gave a fragment up: drop it through the graph's release hook (counted). */
static void release(void *arg, void *handle, int why)
{
	struct nf_defrag *nd = arg;
	struct pl_pkt *p = handle;

	p->reason = why == DF_WHY_INVALID ? NF_DROP_MALFORMED : NF_DROP_QUEUE;
	nd->self->drops++;
	nd->self->g->release(nd->self->g, p, nd->self);
	put_slot(nd, p);
}

int nf_defrag_init(struct nf_defrag *nd, const struct df_cfg *cfg)
{
	struct df_cfg def;
	int rc;

	memset(nd, 0, sizeof(*nd));
	if (!cfg) {
		df_cfg_default(&def);
		cfg = &def;
	}
	rc = df_init(&nd->df, cfg, release, nd);
	if (rc < 0)
		return rc;
	nd->slots = calloc(cfg->max_frags, sizeof(*nd->slots));
	nd->free_slots = calloc(cfg->max_frags, sizeof(*nd->free_slots));
	if (!nd->slots || !nd->free_slots) {
		nf_defrag_destroy(nd);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->max_frags; i++)
		nd->free_slots[nd->nfree++] = cfg->max_frags - 1 - i;
	return 0;
}

void nf_defrag_destroy(struct nf_defrag *nd)
{
	/* Anything still held was pushed, so self (the release hook's graph) is set. */
	df_destroy(&nd->df);
	free(nd->slots);
	free(nd->free_slots);
	memset(nd, 0, sizeof(*nd));
}

/* Every drop in the graph is counted in the dropping element: a change means dropped. */
static uint64_t graph_drops(const struct pl_graph *g)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < g->nelems; i++)
		n += g->elems[i]->drops;
	return n;
}

/*
 * The datagram is whole: classify it once through its first fragment, then
 * give the others the same fate. Trust: the later fragments are not
 * classified again, which is safe because they carry nothing the first one
 * did not describe (overlaps were refused, so the bytes the rules saw are
 * the bytes that leave).
 */
static void emit(struct pl_elem *e, struct nf_defrag *nd)
{
	struct df_done *d = &nd->done;
	struct pl_pkt *lead = d->handles[0];
	uint32_t ifindex = lead->meta.ifindex;
	uint64_t drops = graph_drops(e->g);
	bool dropped;

	lead->meta = d->meta;
	lead->meta.ifindex = ifindex;
	lead->frame = d->frame;
	lead->len = (uint32_t)d->len;
	lead->reason = 0;
	pl_push_from(e, 0, lead);
	/*
	 * Dropped: counted by some element, or it left with a reason (a
	 * reject branch may keep the packet to answer it: not forwarded).
	 */
	dropped = graph_drops(e->g) != drops || lead->reason != 0;
	for (unsigned int i = 1; i < d->n; i++) {
		struct pl_pkt *p = d->handles[i];

		if (dropped) {
			p->reason = lead->reason;
			e->drops++;
			e->g->release(e->g, p, e);
		} else {
			p->ct_state = lead->ct_state;
			p->meta.flags |= PKT_REASM_TAIL;
			pl_push_from(e, 0, p);
		}
		put_slot(nd, p);
	}
	put_slot(nd, lead);
}

static int defrag_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct nf_defrag *nd = e->priv;
	struct pl_pkt *s;
	uint16_t zone = p->meta.flags & PKT_VLAN ? p->meta.vlan : 0;

	nd->self = e;
	if (!(p->meta.flags & PKT_FRAGMENT) || (p->meta.flags & PKT_MALFORMED))
		return 0;
	/* Its frame is the graph's scratch copy, gone after this packet. */
	if (p->buf && p->buf->next) {
		p->reason = NF_DROP_UNSUPPORTED;
		return PL_DROP;
	}
	s = take_slot(nd);
	if (!s) { /* cannot happen: a slot per fragment the table may hold */
		p->reason = NF_DROP_QUEUE;
		return PL_DROP;
	}
	*s = *p;
	switch (df_add(&nd->df, &s->meta, s->frame, s->len, zone, s, p->now, &nd->done)) {
	case DF_HELD:
		return PL_STOLEN;
	case DF_DONE:
		emit(e, nd);
		return PL_STOLEN;
	case DF_PASS:
		put_slot(nd, s);
		return 0;
	default:
		put_slot(nd, s);
		p->reason = NF_DROP_MALFORMED;
		return PL_DROP;
	}
}

static void defrag_begin(struct pl_elem *e, uint64_t now)
{
	struct nf_defrag *nd = e->priv;

	nd->self = e;
	df_expire(&nd->df, now);
}

const struct pl_class nf_defrag_class = {
	.name = "defrag",
	.nports = 1,
	.push = defrag_push,
	.batch_begin = defrag_begin,
};
