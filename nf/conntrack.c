// SPDX-License-Identifier: BSD-2-Clause
/*
 * Connection tracking (the model and the API are in sluice/nf/conntrack.h).
 *
 * Everything here is driven by packets from hostile senders, so:
 *   - memory is fixed at init: one entry array, one bucket array, a free
 *     list; a flood can fill the table but never grow it;
 *   - bucket choice is a keyed hash (SipHash-1-3, secret seed), so chains
 *     stay short whatever addresses and ports an attacker picks;
 *   - only accepted flows get entries (ct_confirm()), and when the table is
 *     full only entries that never completed a two-way exchange can be
 *     evicted: spraying SYNs or one-way UDP cannot flush real connections;
 *   - a packet that fails the TCP checks (conntrack_tcp.c) leaves the entry
 *     untouched: forged segments must not move the tracked state or window.
 * The table's life cycle and configuration are in conntrack_table.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/nf/conntrack.h"

#define NIL UINT32_MAX
#define NS_PER_S 1000000000ULL

#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_DCCP 33
#define P_ICMPV6 58
#define P_SCTP 132
#define P_UDPLITE 136

#define KIND_FRAG 0x80

/* Slots sampled per eviction round, and rounds before giving up. */
#define EVICT_SAMPLE 16
#define EVICT_ROUNDS 2

/* How a protocol is tracked. */
enum track { TR_TCP, TR_UDP, TR_ICMP, TR_GENERIC };

/* What screen() decided before touching the table. */
enum { SCR_FLOW = 0, SCR_RELATED = 0x80, SCR_FRAG = 0x81 };

/* A flow as named by one packet: its key, and which end of the key sent it. */
struct flow {
	struct ct_key k;
	uint32_t hash;
	bool src_is_a;
	uint8_t track; /* enum track */
};

/* A packet's (or an ICMP error's quoted packet's) identifying fields. */
struct tuple {
	const struct pkt_addr *s, *d;
	uint16_t sp, dp;
	uint8_t proto, icmp_type;
	uint16_t icmp_id;
};

static uint64_t deadline(uint64_t now, uint32_t s)
{
	uint64_t d = (uint64_t)s * NS_PER_S;

	return now > UINT64_MAX - d ? UINT64_MAX : now + d;
}

/* ---- keyed hash ---- */

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

/* SipHash-1-3 of the 40-byte key (5 words; the length is fixed, so no tail). */
static uint32_t key_hash(const struct ct_table *t, const struct ct_key *k)
{
	uint64_t v[4] = {t->k0 ^ 0x736f6d6570736575ULL, t->k1 ^ 0x646f72616e646f6dULL,
			 t->k0 ^ 0x6c7967656e657261ULL, t->k1 ^ 0x7465646279746573ULL};
	uint64_t w[5], b = (uint64_t)sizeof(*k) << 56;

	_Static_assert(sizeof(struct ct_key) == sizeof(w), "ct_key must be 40 bytes, no padding");
	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		v[3] ^= w[i];
		sipround(v);
		v[0] ^= w[i];
	}
	v[3] ^= b;
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	return (uint32_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

/* ---- flow keys ---- */

static bool has_ports(uint8_t proto)
{
	return proto == P_TCP || proto == P_UDP || proto == P_UDPLITE || proto == P_SCTP ||
	       proto == P_DCCP;
}

static uint8_t track_of(bool v6, uint8_t proto)
{
	if (proto == P_TCP)
		return TR_TCP;
	if (has_ports(proto))
		return TR_UDP; /* UDP, UDP-Lite, SCTP, DCCP: ports, UDP-like timeouts */
	if (proto == (v6 ? P_ICMPV6 : P_ICMP))
		return TR_ICMP;
	return TR_GENERIC;
}

/* ICMP query pairs: the pair's request type, and whether @type is the request; -1 if none. */
static int icmp_query(bool v6, uint8_t type, bool *is_req)
{
	if (v6) {
		*is_req = type == 128;
		return type == 128 || type == 129 ? 128 : -1;
	}
	*is_req = type == 8 || type == 13 || type == 15 || type == 17;
	if (*is_req)
		return type;
	if (type == 0)
		return 8;
	if (type == 14 || type == 16 || type == 18)
		return type - 1;
	return -1;
}

/* Name @tp's flow; false if it names none (an ICMP message that is not a query). */
static bool make_flow(const struct ct_table *t, bool v6, uint16_t zone, const struct tuple *tp,
		      struct flow *fl)
{
	struct ct_key *k = &fl->k;

	memset(fl, 0, sizeof(*fl));
	k->kind = v6 ? 6 : 4;
	k->proto = tp->proto;
	k->zone = zone;
	fl->track = track_of(v6, tp->proto);
	if (fl->track == TR_ICMP) {
		bool req;
		int rt = icmp_query(v6, tp->icmp_type, &req);

		if (rt < 0)
			return false;
		/* Oriented by role, not sorted: a reply can only match the reply direction. */
		k->a = req ? *tp->s : *tp->d;
		k->b = req ? *tp->d : *tp->s;
		k->pa = tp->icmp_id;
		k->pb = (uint16_t)rt;
		fl->src_is_a = req;
	} else {
		uint16_t sp = fl->track == TR_GENERIC ? 0 : tp->sp;
		uint16_t dp = fl->track == TR_GENERIC ? 0 : tp->dp;
		int c = memcmp(tp->s->b, tp->d->b, sizeof(tp->s->b));

		fl->src_is_a = c < 0 || (c == 0 && sp <= dp);
		k->a = fl->src_is_a ? *tp->s : *tp->d;
		k->b = fl->src_is_a ? *tp->d : *tp->s;
		k->pa = fl->src_is_a ? sp : dp;
		k->pb = fl->src_is_a ? dp : sp;
	}
	fl->hash = key_hash(t, k);
	return true;
}

static uint16_t zone_of(const struct ct_table *t, const struct pkt_meta *m)
{
	return t->cfg.vlan_zones && (m->flags & PKT_VLAN) ? m->vlan : 0;
}

static bool meta_flow(const struct ct_table *t, const struct pkt_meta *m, struct flow *fl)
{
	struct tuple tp = {&m->saddr, &m->daddr,    m->sport,  m->dport,
			   m->proto,  m->icmp_type, m->icmp_id};

	return make_flow(t, m->l3 == PKT_L3_IPV6, zone_of(t, m), &tp, fl);
}

/*
 * Fragment records: direction-specific, by (source, destination, id) and,
 * for IPv4, the protocol (the reassembly key). IPv6 leaves the protocol out:
 * a later fragment only names the fragment header's next header.
 */
static void frag_flow(const struct ct_table *t, const struct pkt_meta *m, struct flow *fl)
{
	bool v6 = m->l3 == PKT_L3_IPV6;

	memset(fl, 0, sizeof(*fl));
	fl->k.kind = KIND_FRAG | (v6 ? 6 : 4);
	fl->k.proto = v6 ? 0 : m->proto;
	fl->k.zone = zone_of(t, m);
	fl->k.a = m->saddr;
	fl->k.b = m->daddr;
	fl->k.pa = (uint16_t)(m->frag_id >> 16);
	fl->k.pb = (uint16_t)m->frag_id;
	fl->hash = key_hash(t, &fl->k);
}

/* ---- table ---- */

static struct ct_entry *find(const struct ct_table *t, const struct flow *fl)
{
	for (uint32_t i = t->buckets[fl->hash & t->mask]; i != NIL; i = t->ents[i].next) {
		struct ct_entry *e = &t->ents[i];

		if (e->hash == fl->hash && !memcmp(&e->key, &fl->k, sizeof(fl->k)))
			return e;
	}
	return NULL;
}

static bool expired(const struct ct_entry *e, uint64_t now)
{
	return now >= e->expires;
}

/* find(), reaping the entry if it has timed out. */
static struct ct_entry *lookup(struct ct_table *t, const struct flow *fl, uint64_t now)
{
	struct ct_entry *e = find(t, fl);

	if (e && expired(e, now)) {
		ct_delete(t, e);
		t->stats.expired++;
		e = NULL;
	}
	return e;
}

void ct_delete(struct ct_table *t, struct ct_entry *e)
{
	uint32_t idx;

	if (!e || e < t->ents || e >= t->ents + t->max || !(e->status & CT_S_USED))
		return;
	idx = (uint32_t)(e - t->ents);
	for (uint32_t *link = &t->buckets[e->hash & t->mask]; *link != NIL;
	     link = &t->ents[*link].next) {
		if (*link == idx) {
			*link = e->next;
			break;
		}
	}
	memset(e, 0, sizeof(*e));
	e->next = t->free_head;
	t->free_head = idx;
	t->stats.entries--;
}

/*
 * The table is full: free one slot. Sample EVICT_SAMPLE slots from a
 * rotating cursor; an expired entry found there is simply reaped. Otherwise
 * evict the least valuable non-assured entry: never-answered (embryonic)
 * flows and fragment records before answered ones, then the one nearest to
 * its timeout. Assured entries are never evicted (Linux's early_drop rule).
 */
static bool evict(struct ct_table *t, uint64_t now, const struct ct_entry *keep)
{
	for (int round = 0; round < EVICT_ROUNDS; round++) {
		struct ct_entry *best = NULL;
		int best_rank = 2;

		for (int i = 0; i < EVICT_SAMPLE; i++) {
			struct ct_entry *e = &t->ents[t->evict_cursor];
			int rank;

			t->evict_cursor = t->evict_cursor + 1 == t->max ? 0 : t->evict_cursor + 1;
			if (!(e->status & CT_S_USED) || e == keep)
				continue;
			if (expired(e, now)) {
				ct_delete(t, e);
				t->stats.expired++;
				return true;
			}
			if (e->status & CT_S_ASSURED)
				continue;
			rank = e->status & CT_S_SEEN_REPLY ? 1 : 0;
			if (rank < best_rank || (rank == best_rank && e->expires < best->expires)) {
				best = e;
				best_rank = rank;
			}
		}
		if (best) {
			ct_delete(t, best);
			t->stats.evictions++;
			return true;
		}
	}
	return false;
}

static struct ct_entry *alloc_entry(struct ct_table *t, const struct flow *fl, uint64_t now,
				    const struct ct_entry *keep)
{
	struct ct_entry *e;
	uint32_t idx;

	if (t->free_head == NIL) {
		t->stats.full++;
		if (!evict(t, now, keep)) {
			t->stats.drops_when_full++;
			return NULL;
		}
	}
	idx = t->free_head;
	e = &t->ents[idx];
	t->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->key = fl->k;
	e->hash = fl->hash;
	e->status = CT_S_USED;
	e->next = t->buckets[fl->hash & t->mask];
	t->buckets[fl->hash & t->mask] = idx;
	t->stats.entries++;
	t->stats.inserts++;
	return e;
}

static uint32_t timeout_of(const struct ct_table *t, const struct ct_entry *e)
{
	if (e->status & CT_S_FRAG)
		return t->cfg.frag;
	switch (track_of((e->key.kind & 0x7f) == 6, e->key.proto)) {
	case TR_TCP:
		return t->cfg.tcp_timeout[e->tcp_state < CT_TCP_NSTATES ? e->tcp_state : 0];
	case TR_UDP:
		return e->status & CT_S_ASSURED ? t->cfg.udp_stream : t->cfg.udp;
	case TR_ICMP:
		return t->cfg.icmp;
	default:
		return t->cfg.generic;
	}
}

/* NIC indices are small (NETDEV_MAX); the entry keeps 16 bits, saturating. */
static uint16_t nic16(uint32_t ifindex)
{
	return ifindex > UINT16_MAX ? UINT16_MAX : (uint16_t)ifindex;
}

/* ---- classification ---- */

/* ICMPv6 that must work before any flow exists (Linux leaves it untracked). */
static bool icmp6_untracked(uint8_t type)
{
	return (type >= 130 && type <= 137) || type == 143; /* MLD, ND, MLDv2 */
}

/* Decide how @m is handled before touching the table: SCR_* or a final state. */
static uint8_t screen(const struct ct_table *t, const struct pkt_meta *m)
{
	bool v6 = m->l3 == PKT_L3_IPV6;

	if (m->l3 != PKT_L3_IPV4 && !v6)
		return CT_UNTRACKED;
	/* Nothing in a malformed packet can be trusted to name a flow. */
	if (m->flags & PKT_MALFORMED)
		return CT_INVALID;
	if (m->flags & PKT_FRAGMENT) {
		/*
		 * A TCP segment is never tracked from a fragment: its length (so
		 * the window checks) is only known once the datagram is whole.
		 * Reassemble in front (nf/defrag.h), as the firewall does;
		 * without that, TCP fragments are INVALID (a fragment used to
		 * switch window checks off for its whole connection).
		 */
		if (m->proto == P_TCP)
			return CT_INVALID;
		if (t->cfg.frag_policy == CT_FRAG_INVALID)
			return CT_INVALID;
		if (t->cfg.frag_policy == CT_FRAG_UNTRACKED)
			return CT_UNTRACKED;
		if (!(m->flags & PKT_FIRST_FRAG))
			return SCR_FRAG;
	}
	if (track_of(v6, m->proto) == TR_ICMP) {
		if (!(m->flags & PKT_HAS_L4))
			return CT_INVALID;
		if (v6 && icmp6_untracked(m->icmp_type))
			return CT_UNTRACKED;
		if (m->flags & PKT_ICMP_ERROR)
			return SCR_RELATED;
	}
	/* A first fragment too short for its ports was flagged malformed by the parser. */
	if (has_ports(m->proto) && !(m->flags & PKT_HAS_L4))
		return CT_INVALID;
	return SCR_FLOW;
}

/*
 * An ICMP error: RELATED to the flow of the packet it quotes, if tracked,
 * and only when it goes to that packet's sender. Trust: the quote is the
 * sender's word, so anyone could quote a tracked flow; Linux
 * (nf_conntrack_inet_error) requires the outer destination to be the
 * quoted packet's source, so an error aimed at the flow's other end or at
 * an uninvolved host is INVALID. The outer source is not checked: any
 * router on the path may send one.
 */
static uint8_t related(struct ct_table *t, const struct pkt_meta *m, uint64_t now,
		       struct ct_entry **ep)
{
	struct tuple tp = {&m->inner_saddr, &m->inner_daddr,	m->inner_sport,	 m->inner_dport,
			   m->inner_proto,  m->inner_icmp_type, m->inner_icmp_id};
	struct flow fl;
	struct ct_entry *e;

	if (!m->inner_valid || !make_flow(t, m->l3 == PKT_L3_IPV6, zone_of(t, m), &tp, &fl))
		return CT_INVALID;
	if (memcmp(&m->daddr, &m->inner_saddr, sizeof(m->daddr)) != 0)
		return CT_INVALID;
	e = lookup(t, &fl, now);
	if (!e)
		return CT_INVALID;
	*ep = e;
	return CT_RELATED;
}

static bool may_create(const struct ct_table *t, const struct pkt_meta *m, const struct flow *fl)
{
	switch (fl->track) {
	case TR_TCP:
		return ct_tcp_may_create(m, t->cfg.tcp_loose);
	case TR_ICMP:
		return fl->src_is_a; /* a request; a reply with no request is unsolicited */
	default:
		return true;
	}
}

static enum ct_dir flow_dir(const struct ct_entry *e, const struct flow *fl)
{
	return fl->src_is_a == !!e->orig_is_a ? CT_DIR_ORIG : CT_DIR_REPLY;
}

/* State of a packet of an existing flow (nftables: NEW until a reply was seen). */
static uint8_t flow_state(const struct ct_entry *e, enum ct_dir dir)
{
	return dir == CT_DIR_REPLY || (e->status & CT_S_SEEN_REPLY) ? CT_ESTABLISHED : CT_NEW;
}

/* Bookkeeping for an accepted-by-tracking packet: reply seen, assured, timeout. */
static void refresh(struct ct_table *t, struct ct_entry *e, enum ct_dir dir,
		    const struct pkt_meta *m, uint64_t now)
{
	bool replied = e->status & CT_S_SEEN_REPLY;
	uint8_t tr = track_of((e->key.kind & 0x7f) == 6, e->key.proto);

	if (dir == CT_DIR_REPLY && !replied) {
		e->status |= CT_S_SEEN_REPLY;
		e->iif[CT_DIR_REPLY] = nic16(m->ifindex);
	}
	/* UDP-like: traffic after the first reply makes it a stream (Linux: assured). */
	if (replied && (tr == TR_UDP || tr == TR_GENERIC))
		e->status |= CT_S_ASSURED;
	e->packets[dir]++;
	e->expires = deadline(now, timeout_of(t, e));
}

static uint8_t track_flow(struct ct_table *t, const struct pkt_meta *m, uint64_t now,
			  struct ct_entry **ep)
{
	struct flow fl;
	struct ct_entry *e;
	enum ct_dir dir;

	if (!meta_flow(t, m, &fl))
		return CT_INVALID; /* ICMP that is neither a query nor an error */
	e = lookup(t, &fl, now);
	if (e && fl.track == TR_TCP && ct_tcp_reopens(e, m)) {
		ct_delete(t, e);
		e = NULL;
	}
	if (!e)
		return may_create(t, m, &fl) ? CT_NEW : CT_INVALID;
	dir = flow_dir(e, &fl);
	if (fl.track == TR_TCP) {
		int v = ct_tcp_track(e, dir, m, t->cfg.tcp_liberal);

		if (v == CT_TCP_BAD)
			return CT_INVALID;
		/* Let through untracked: the entry's timeout is not extended (Linux). */
		if (v == CT_TCP_IGNORED) {
			*ep = e;
			return dir == CT_DIR_REPLY ? CT_ESTABLISHED : flow_state(e, dir);
		}
	}
	refresh(t, e, dir, m, now);
	*ep = e;
	return flow_state(e, dir);
}

/* A non-first fragment: the state its first fragment got, if that was accepted. */
static uint8_t track_frag(struct ct_table *t, const struct pkt_meta *m, uint64_t now)
{
	struct flow fl;
	struct ct_entry *e;

	frag_flow(t, m, &fl);
	e = lookup(t, &fl, now);
	return e ? e->frag_state : CT_INVALID;
}

uint8_t ct_lookup_update(struct ct_table *t, const struct pkt_meta *m, uint64_t now_ns,
			 struct ct_entry **entry)
{
	struct ct_entry *e = NULL;
	uint8_t st = screen(t, m);

	t->stats.lookups++;
	if (st == SCR_FLOW)
		st = track_flow(t, m, now_ns, &e);
	else if (st == SCR_RELATED)
		st = related(t, m, now_ns, &e);
	else if (st == SCR_FRAG)
		st = track_frag(t, m, now_ns);
	if (st == CT_INVALID)
		t->stats.invalid++;
	else if (st == CT_RELATED)
		t->stats.related++;
	if (entry)
		*entry = e;
	return st;
}

/* ---- confirmation ---- */

static struct ct_entry *create(struct ct_table *t, const struct pkt_meta *m, const struct flow *fl,
			       uint64_t now)
{
	struct ct_entry *e = alloc_entry(t, fl, now, NULL);

	if (!e)
		return NULL;
	e->orig_is_a = fl->src_is_a;
	e->iif[CT_DIR_ORIG] = nic16(m->ifindex);
	e->packets[CT_DIR_ORIG] = 1;
	if (fl->track == TR_TCP)
		ct_tcp_new(e, m);
	e->expires = deadline(now, timeout_of(t, e));
	return e;
}

/* Remember an accepted first fragment so the rest of its datagram follows it. */
static int frag_record(struct ct_table *t, const struct pkt_meta *m, uint8_t st, uint64_t now,
		       const struct ct_entry *keep)
{
	struct flow fl;
	struct ct_entry *e;

	frag_flow(t, m, &fl);
	e = lookup(t, &fl, now);
	if (!e) {
		e = alloc_entry(t, &fl, now, keep);
		if (!e)
			return -ENOSPC;
		e->status |= CT_S_FRAG;
		e->expires = deadline(now, t->cfg.frag);
	}
	e->frag_state = st;
	return 0;
}

int ct_confirm(struct ct_table *t, const struct pkt_meta *m, uint64_t now_ns,
	       struct ct_entry **entry)
{
	struct ct_entry *e = NULL;
	struct flow fl;
	uint8_t scr = screen(t, m), st;
	int rc = 0;

	if (entry)
		*entry = NULL;
	if (scr == SCR_FLOW) {
		if (!meta_flow(t, m, &fl))
			return -EINVAL;
		e = lookup(t, &fl, now_ns);
		if (!e) {
			if (!may_create(t, m, &fl))
				return -EINVAL;
			e = create(t, m, &fl, now_ns);
			if (!e)
				return -ENOSPC;
		}
		st = flow_state(e, flow_dir(e, &fl));
	} else if (scr == SCR_RELATED) {
		st = related(t, m, now_ns, &e);
		if (st != CT_RELATED)
			return -EINVAL;
	} else {
		return 0; /* untracked, invalid, or a later fragment: nothing to record */
	}
	if ((m->flags & PKT_FIRST_FRAG) && t->cfg.frag_policy == CT_FRAG_TRACK)
		rc = frag_record(t, m, st, now_ns, e);
	if (entry)
		*entry = e;
	return rc;
}

/* ---- maintenance ---- */

unsigned int ct_expire(struct ct_table *t, uint64_t now_ns, unsigned int budget)
{
	unsigned int reaped = 0;

	if (budget > t->max)
		budget = t->max;
	for (unsigned int i = 0; i < budget; i++) {
		struct ct_entry *e = &t->ents[t->expire_cursor];

		t->expire_cursor = t->expire_cursor + 1 == t->max ? 0 : t->expire_cursor + 1;
		if ((e->status & CT_S_USED) && expired(e, now_ns)) {
			ct_delete(t, e);
			t->stats.expired++;
			reaped++;
		}
	}
	return reaped;
}

enum ct_dir ct_pkt_dir(const struct ct_entry *e, const struct pkt_meta *m)
{
	bool ports = !(e->key.kind & KIND_FRAG) && has_ports(e->key.proto);
	bool src_is_a = !memcmp(&m->saddr, &e->key.a, sizeof(e->key.a)) &&
			(!ports || m->sport == e->key.pa);

	return src_is_a == !!e->orig_is_a ? CT_DIR_ORIG : CT_DIR_REPLY;
}

uint32_t ct_bucket_of(const struct ct_table *t, const struct pkt_meta *m)
{
	struct flow fl;

	if ((m->l3 != PKT_L3_IPV4 && m->l3 != PKT_L3_IPV6) || !meta_flow(t, m, &fl))
		return UINT32_MAX;
	return fl.hash & t->mask;
}
