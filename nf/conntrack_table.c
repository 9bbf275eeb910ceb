// SPDX-License-Identifier: BSD-2-Clause
/*
 * The connection table's life cycle and configuration (sluice/nf/conntrack.h):
 * memory fixed at init (one entry array, one bucket array, a free list),
 * sizing from a memory budget, timeouts checked before they are used.
 * Lookups and updates are in conntrack.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/nf/conntrack.h"

#define NIL UINT32_MAX

/* splitmix64: spreads the 64-bit seed into SipHash's second key word. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void ct_flush(struct ct_table *t)
{
	for (uint32_t i = 0; i <= t->mask; i++)
		t->buckets[i] = NIL;
	memset(t->ents, 0, (size_t)t->max * sizeof(*t->ents));
	for (uint32_t i = 0; i < t->max; i++)
		t->ents[i].next = i + 1 < t->max ? i + 1 : NIL;
	t->free_head = 0;
	t->stats.entries = 0;
}

static uint32_t nbuckets(unsigned int max_entries)
{
	uint32_t n = 1;

	while (n < max_entries) /* load factor <= 1 */
		n <<= 1;
	return n;
}

size_t ct_mem_bytes(unsigned int max_entries)
{
	return (size_t)max_entries * sizeof(struct ct_entry) +
	       (size_t)nbuckets(max_entries) * sizeof(uint32_t);
}

unsigned int ct_entries_for_bytes(size_t bytes)
{
	/* Buckets cost at most 2 words per entry (power-of-two rounding). */
	size_t n = bytes / (sizeof(struct ct_entry) + 2 * sizeof(uint32_t));

	return n > CT_MAX_ENTRIES ? CT_MAX_ENTRIES : (unsigned int)n;
}

void ct_cfg_default(struct ct_cfg *c)
{
	/*
	 * Linux's defaults (nf_conntrack_proto_tcp.c tcp_timeouts[], the
	 * nf_conntrack_*_timeout sysctls): ESTABLISHED 5 days, so an idle
	 * session survives as it would behind Linux; docs/firewall.md lists them.
	 */
	static const uint32_t tcp[CT_TCP_NSTATES] = {
		[CT_TCP_NONE] = 120,	  [CT_TCP_SYN_SENT] = 120,	 [CT_TCP_SYN_SENT2] = 120,
		[CT_TCP_SYN_RECV] = 60,	  [CT_TCP_ESTABLISHED] = 432000, [CT_TCP_FIN_WAIT] = 120,
		[CT_TCP_CLOSE_WAIT] = 60, [CT_TCP_LAST_ACK] = 30,	 [CT_TCP_TIME_WAIT] = 120,
		[CT_TCP_CLOSE] = 10,
	};

	memset(c, 0, sizeof(*c));
	memcpy(c->tcp_timeout, tcp, sizeof(tcp));
	c->udp = 30;	     /* nf_conntrack_udp_timeout */
	c->udp_stream = 120; /* nf_conntrack_udp_timeout_stream */
	c->icmp = 30;	     /* nf_conntrack_icmp(v6)_timeout */
	c->generic = 600;    /* nf_conntrack_generic_timeout */
	c->frag = 30;	     /* fragment records without reassembly (ipfrag_time) */
	c->frag_policy = CT_FRAG_TRACK;
}

static bool timeout_ok(uint32_t s)
{
	return s >= 1 && s <= CT_TIMEOUT_MAX;
}

int ct_set_cfg(struct ct_table *t, const struct ct_cfg *c)
{
	for (int i = 0; i < CT_TCP_NSTATES; i++)
		if (!timeout_ok(c->tcp_timeout[i]))
			return -EINVAL;
	if (!timeout_ok(c->udp) || !timeout_ok(c->udp_stream) || !timeout_ok(c->icmp) ||
	    !timeout_ok(c->generic) || !timeout_ok(c->frag) || c->frag_policy > CT_FRAG_UNTRACKED)
		return -EINVAL;
	t->cfg = *c;
	return 0;
}

int ct_init(struct ct_table *t, unsigned int max_entries, uint64_t hash_seed)
{
	memset(t, 0, sizeof(*t));
	if (max_entries == 0 || max_entries > CT_MAX_ENTRIES)
		return -EINVAL;
	t->max = max_entries;
	t->mask = nbuckets(max_entries) - 1;
	/*
	 * Cache-line aligned, so a lookup costs two lines per entry, not three
	 * (calloc only promises 16 bytes). ct_flush() zeroes it.
	 */
	_Static_assert(sizeof(struct ct_entry) % 64 == 0, "entries must tile cache lines");
	t->ents = aligned_alloc(64, (size_t)max_entries * sizeof(*t->ents));
	t->buckets = calloc((size_t)t->mask + 1, sizeof(*t->buckets));
	if (!t->ents || !t->buckets) {
		ct_destroy(t);
		return -ENOMEM;
	}
	/* 64 secret bits: ample when the hash is never revealed to the sender. */
	t->k0 = hash_seed;
	t->k1 = mix64(hash_seed);
	ct_cfg_default(&t->cfg);
	t->stats.max_entries = max_entries;
	ct_flush(t);
	return 0;
}

void ct_destroy(struct ct_table *t)
{
	free(t->ents);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

const char *ct_tcp_state_name(unsigned int s)
{
	static const char *const names[CT_TCP_NSTATES] = {
		"NONE",	    "SYN_SENT",	  "SYN_SENT2", "SYN_RECV",  "ESTABLISHED",
		"FIN_WAIT", "CLOSE_WAIT", "LAST_ACK",  "TIME_WAIT", "CLOSE",
	};

	return s < CT_TCP_NSTATES ? names[s] : "?";
}
