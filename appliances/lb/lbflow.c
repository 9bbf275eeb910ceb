// SPDX-License-Identifier: BSD-2-Clause
/*
 * The load balancer's flow table (lb.h). A flow has two keys: what its
 * client sends (client -> VIP) and what its backend sends back (backend
 * -> the client, or -> our address with full NAT); each key hangs in its
 * own bucket chain, so a packet from either side finds the flow in one
 * lookup. Nodes are numbered flow * 2 + direction.
 *
 * Bounded: every entry is allocated at start, none per packet. When full,
 * a newcomer may evict an expired flow or one its backend never answered
 * (a SYN flood's leftovers), found by a short scan from a rotating cursor;
 * a flow that has seen both ways is never evicted for a newcomer.
 * The bucket index comes from a keyed hash (secret seed): senders cannot
 * aim their flows at one chain.
 *
 * Timeouts follow IPVS's defaults: TCP established 900 s, after a FIN
 * 120 s, after a reset 10 s, before the backend answered 60 s; UDP 300 s.
 * (A SYN on a finished flow is a new flow: lbelem.c deletes the old one.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"

#define NIL UINT32_MAX
#define SEC 1000000000ull
#define EVICT_SCAN 64

static uint32_t bucket_of(const struct lb_flows *t, const struct lb_fkey *k)
{
	return (uint32_t)lb_flow_hash(&k->s, &k->d, k->sp, k->dp, (uint8_t)(k->proto ^ k->v6 << 7),
				      t->seed) &
	       t->mask;
}

int lb_flows_init(struct lb_flows *t, uint32_t max, uint64_t seed)
{
	uint32_t nb = 1;

	if (max == 0 || max > (1u << 24))
		return -EINVAL;
	while (nb < max)
		nb <<= 1;
	memset(t, 0, sizeof(*t));
	t->f = calloc(max, sizeof(*t->f));
	t->bucket = malloc((size_t)nb * sizeof(*t->bucket));
	if (!t->f || !t->bucket) {
		free(t->f);
		free(t->bucket);
		return -ENOMEM;
	}
	memset(t->bucket, 0xff, (size_t)nb * sizeof(*t->bucket));
	t->max = max;
	t->mask = nb - 1;
	t->seed = seed;
	for (uint32_t i = 0; i < max; i++)
		t->f[i].next[0] = i + 1 < max ? i + 1 : NIL;
	t->free_head = 0;
	return 0;
}

void lb_fkey_of(const struct pkt_meta *m, struct lb_fkey *k)
{
	memset(k, 0, sizeof(*k));
	k->s = m->saddr;
	k->d = m->daddr;
	k->sp = m->sport;
	k->dp = m->dport;
	k->proto = m->proto;
	k->v6 = m->l3 == PKT_L3_IPV6;
}

struct lb_flow *lb_flow_find(struct lb_flows *t, const struct lb_fkey *k, int *dir)
{
	for (uint32_t n = t->bucket[bucket_of(t, k)]; n != NIL;) {
		struct lb_flow *f = &t->f[n >> 1];
		int d = (int)(n & 1);

		if (memcmp(&f->k[d], k, sizeof(*k)) == 0) {
			*dir = d;
			return f;
		}
		n = f->next[d];
	}
	return NULL;
}

static void unlink_key(struct lb_flows *t, struct lb_flow *f, int d)
{
	uint32_t me = (uint32_t)(f - t->f) << 1 | (uint32_t)d;
	uint32_t *pp = &t->bucket[bucket_of(t, &f->k[d])];

	while (*pp != NIL && *pp != me)
		pp = &t->f[*pp >> 1].next[*pp & 1];
	if (*pp == me)
		*pp = f->next[d];
}

void lb_flow_del(struct lb_flows *t, struct lb_flow *f)
{
	unlink_key(t, f, 0);
	unlink_key(t, f, 1);
	f->used = 0;
	f->next[0] = t->free_head;
	t->free_head = (uint32_t)(f - t->f);
	t->n--;
}

/* Make room: an expired or never-answered flow near the cursor. */
static bool evict_one(struct lb_flows *t, uint64_t now, void (*gone)(void *, struct lb_flow *),
		      void *arg)
{
	for (unsigned int i = 0; i < EVICT_SCAN; i++) {
		struct lb_flow *f = &t->f[t->cursor];

		t->cursor = t->cursor + 1 < t->max ? t->cursor + 1 : 0;
		if (f->used && (f->expires <= now || !(f->flags & LB_F_REPLIED))) {
			gone(arg, f);
			lb_flow_del(t, f);
			t->st.evicted++;
			return true;
		}
	}
	return false;
}

static void link_key(struct lb_flows *t, struct lb_flow *f, int d)
{
	uint32_t b = bucket_of(t, &f->k[d]);

	f->next[d] = t->bucket[b];
	t->bucket[b] = (uint32_t)(f - t->f) << 1 | (uint32_t)d;
}

struct lb_flow *lb_flow_add(struct lb_flows *t, const struct lb_fkey *k0, const struct lb_fkey *k1,
			    uint64_t now, void (*gone)(void *, struct lb_flow *), void *arg)
{
	struct lb_flow *f;

	if (t->free_head == NIL && !evict_one(t, now, gone, arg)) {
		t->st.full++;
		return NULL;
	}
	f = &t->f[t->free_head];
	t->free_head = f->next[0];
	memset(f, 0, sizeof(*f));
	f->k[0] = *k0;
	f->k[1] = *k1;
	f->used = 1;
	f->expires = now + 60 * SEC;
	link_key(t, f, 0);
	link_key(t, f, 1);
	t->n++;
	t->st.created++;
	return f;
}

void lb_flow_seen(struct lb_flow *f, int dir, const struct pkt_meta *m, uint64_t now)
{
	uint64_t to;

	if (dir == 1)
		f->flags |= LB_F_REPLIED;
	if (m->proto == 6 && (m->flags & PKT_HAS_L4)) {
		if (m->tcp_flags & 0x04)
			f->flags |= LB_F_RST;
		if (m->tcp_flags & 0x01)
			f->flags |= dir ? LB_F_FIN1 : LB_F_FIN0;
		if (f->flags & LB_F_RST)
			to = 10;
		else if (f->flags & (LB_F_FIN0 | LB_F_FIN1))
			to = 120;
		else
			to = f->flags & LB_F_REPLIED ? 900 : 60;
	} else {
		to = 300;
	}
	f->expires = now + to * SEC;
}

void lb_flows_expire(struct lb_flows *t, uint64_t now, unsigned int budget,
		     void (*gone)(void *, struct lb_flow *), void *arg)
{
	for (unsigned int i = 0; i < budget && t->n; i++) {
		struct lb_flow *f = &t->f[t->ecursor];

		t->ecursor = t->ecursor + 1 < t->max ? t->ecursor + 1 : 0;
		if (f->used && f->expires <= now) {
			gone(arg, f);
			lb_flow_del(t, f);
			t->st.expired++;
		}
	}
}
