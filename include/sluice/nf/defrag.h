/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual reassembly of IPv4 and IPv6 fragments in front of connection
 * tracking and filtering, as Linux's nf_defrag_ipv4/ipv6 do: fragments are
 * held (by reference: the caller's opaque handle, never a copy of the
 * packet) until their datagram is whole; the datagram is then classified
 * once, from a small synthetic frame holding its headers (L2 and L3 of the
 * first fragment, without fragmentation, and the first DF_HDR_MAX bytes of
 * its payload), and the ORIGINAL fragments are forwarded unchanged (no
 * refragmentation). So conntrack and the rules always see a whole L4
 * header and the segment's true length, whatever the fragmentation.
 *
 * Pure logic: no kernel calls (built into the kernel, host tests and fuzz
 * harnesses). Every input is untrusted: the fragment's meta comes from
 * pkt_parse() on the same frame, and every offset taken from it is checked
 * against the frame again here.
 *
 * Linux's rules followed (net/ipv4/ip_fragment.c, net/ipv6/netfilter/
 * nf_conntrack_reasm.c, inet_frag_queue_insert()):
 *   - an exact duplicate fragment is dropped, the datagram kept;
 *   - any other overlap discards the whole datagram (IPv4 since Linux
 *     4.19's "ip: discard IPv4 datagrams with overlapping segments"; IPv6
 *     RFC 5722);
 *   - a non-last fragment's length must be a multiple of 8, a last
 *     fragment may not end before data already seen or disagree with an
 *     earlier last fragment, empty fragments are dropped;
 *   - timeouts: IPv4 30 s (net.ipv4.ipfrag_time), IPv6 60 s
 *     (nf_conntrack_frag6_timeout = IPV6_FRAG_TIMEOUT);
 *   - tiny first fragments are reassembled, not refused.
 * Memory is bounded by fragment counts (what is held are receive buffers):
 * in total, per source address, per datagram; datagram records are a fixed
 * array. When the total is reached the oldest datagram is dropped (Linux
 * evicts when over ipfrag_high_thresh); a source over its share only loses
 * its own new fragments.
 */
#ifndef SLUICE_NF_DEFRAG_H
#define SLUICE_NF_DEFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pipeline.h"
#include "sluice/nf/pktmeta.h"

#define DF_HDR_MAX 320	  /* payload bytes kept per datagram for its headers */
#define DF_UNFRAG_MAX 256 /* L2 + L3 bytes before the payload (IPv6 ext. headers) */
#define DF_SYNTH_MAX (DF_UNFRAG_MAX + DF_HDR_MAX)
#define DF_DGRAM_FRAGS_MAX 64 /* fragments of one datagram (64 KiB over 1280-byte MTU: 52) */
#define DF_MAX_FRAGS_LIMIT 4096
#define DF_MAX_DGRAMS_LIMIT 1024

struct df_cfg {
	uint32_t max_frags;   /* fragments held in total */
	uint32_t max_per_src; /* ... from one source address */
	uint32_t max_dgrams;  /* datagrams being reassembled */
	uint32_t timeout4_s;  /* IPv4 datagram lifetime (Linux ipfrag_time) */
	uint32_t timeout6_s;  /* IPv6 (Linux nf_conntrack_frag6_timeout) */
};

struct df_frag {
	void *handle;	   /* the caller's packet */
	uint32_t next;	   /* next fragment of the datagram by offset, or free list */
	uint32_t off, end; /* payload bytes [off, end) of the datagram */
};

struct df_dgram {
	struct pkt_addr s, d;
	uint32_t id;
	uint16_t zone;
	uint8_t proto; /* IPv4 key part (IPv6 names no protocol in later fragments) */
	uint8_t v6;
	bool used, first_in, last_in;
	uint64_t expires;
	uint32_t head;	     /* fragments sorted by offset */
	uint32_t nfrags;     /* held */
	uint32_t meat;	     /* payload bytes held */
	uint32_t total;	     /* payload length, once the last fragment is in */
	uint32_t max_end;    /* highest end seen */
	uint32_t seq;	     /* creation order (eviction of the oldest) */
	uint16_t unfrag_len; /* bytes of ufrag[] */
	uint16_t frag_hdr;   /* IPv6: offset of the fragment header in ufrag[] */
	uint16_t frag_nh;    /* IPv6: the byte naming it */
	uint8_t next_hdr;    /* IPv6: the fragment header's next header */
	uint16_t l3_off;
	uint8_t ufrag[DF_UNFRAG_MAX]; /* the first fragment's L2 + L3 header */
	uint8_t hdr[DF_HDR_MAX];      /* payload bytes [0, DF_HDR_MAX) as they arrive */
};

struct df_stats {
	uint64_t held, done, dup, overlap, bad, timeouts, evicted, src_limit, too_many;
};

/* Frees a fragment the table gives up (overlap, timeout, eviction). */
typedef void (*df_release_fn)(void *arg, void *handle, int why);
#define DF_WHY_INVALID 1 /* its datagram was found malformed (overlap, bad lengths) */
#define DF_WHY_LIMIT 2	 /* timed out or evicted to make room */

struct defrag {
	struct df_cfg cfg;
	struct df_frag *frags;
	struct df_dgram *dgs;
	uint32_t free_frag, nheld, seq;
	df_release_fn release;
	void *release_arg;
	struct df_stats stats;
};

/* What df_add() made of a packet. */
enum df_res {
	DF_PASS, /* not a fragment (or not one to reassemble): go on with it */
	DF_HELD, /* kept (the table owns the handle now) */
	DF_DROP, /* refused: the caller drops it (the table does not own it) */
	DF_DONE, /* the datagram is whole: see struct df_done (the caller owns all) */
};

struct df_done {
	void *handles[DF_DGRAM_FRAGS_MAX]; /* by offset: [0] is the first fragment */
	unsigned int n;
	uint8_t frame[DF_SYNTH_MAX]; /* headers of the whole datagram, unfragmented */
	size_t len;
	struct pkt_meta meta; /* parsed from frame, lengths those of the whole datagram */
};

void df_cfg_default(struct df_cfg *c);
/* Allocate (calloc) for @c (checked: -EINVAL) with a release hook. 0, -EINVAL, -ENOMEM. */
int df_init(struct defrag *d, const struct df_cfg *c, df_release_fn release, void *arg);
/* Release everything held (through the hook), free the table. */
void df_destroy(struct defrag *d);

/*
 * Offer a parsed packet (@m from pkt_parse() on @frame, @len). @zone keeps
 * datagrams of different VLANs apart. On DF_DONE, @out holds the fragments
 * and the datagram's headers; the caller then owns every handle in it.
 */
enum df_res df_add(struct defrag *d, const struct pkt_meta *m, const uint8_t *frame, size_t len,
		   uint16_t zone, void *handle, uint64_t now_ns, struct df_done *out);

/* Drop datagrams past their timeout (releasing their fragments). Returns how many. */
unsigned int df_expire(struct defrag *d, uint64_t now_ns);

/* Fragments held now. */
unsigned int df_held(const struct defrag *d);

/*
 * The "defrag" element (nf/defrag_elem.c), in front of conntrack: a
 * non-fragment goes on at once (port 0); a fragment is held (PL_STOLEN)
 * until its datagram is whole. Then the first fragment goes on with the
 * whole datagram's meta (PKT_REASM; p->frame is the synthetic headers,
 * p->buf still the original fragment) and, if the graph did not drop it,
 * every other fragment follows unchanged with PKT_REASM_TAIL and the first
 * one's ct_state; if it was dropped, so are they (same reason). Elements
 * after it must let PKT_REASM_TAIL packets pass (conntrack and the
 * firewall's filter do). Fragments that arrive chained (scatter-gather)
 * cannot be held without a copy and are dropped.
 */
struct nf_defrag {
	struct defrag df;
	struct pl_elem *self;
	struct pl_pkt *slots; /* one saved packet per fragment that can be held */
	uint32_t *free_slots, nfree;
	struct df_done done;
};

extern const struct pl_class nf_defrag_class; /* priv: struct nf_defrag */

/* Allocate for @cfg (NULL: defaults). 0, -EINVAL or -ENOMEM. */
int nf_defrag_init(struct nf_defrag *nd, const struct df_cfg *cfg);
void nf_defrag_destroy(struct nf_defrag *nd);

#endif
