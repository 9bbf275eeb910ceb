/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connection tracking for the firewall appliance: nftables-like `ct state`
 * for the classifier, from parsed packets (sluice/pktmeta.h).
 * Pure logic: built into the kernel and into host tests.
 *
 * Per packet the appliance does:
 *
 *	st = ct_lookup_update(ct, &m, now, &e);   // classify with st (and e)
 *	if (verdict == ACCEPT && (st == CT_NEW || (m.flags & PKT_FIRST_FRAG)))
 *		if (ct_confirm(ct, &m, now, &e) == -ENOSPC)
 *			verdict = DROP;                    // table full, nothing evictable
 *
 * and from a periodic timer ct_expire(ct, now, budget). Entries exist only
 * for accepted flows (nftables confirms on accept), so a packet the rules
 * drop never costs a table slot. The table knows nothing about rules: a
 * rule-set swap leaves it untouched.
 *
 * Key: the flow's 5-tuple normalized so both directions give the same key
 * (lower (address, port) endpoint first), plus an optional zone (the VLAN
 * id with ct_cfg.vlan_zones). The ingress NIC is NOT in the key: in bridge
 * mode replies arrive on the other port and must find the same entry. It is
 * recorded per direction in the entry (iif[]) for the rules to use.
 * ICMP queries (echo, timestamp, ...) are keyed by (requester, responder,
 * id, request type): a reply can only ever match in the reply direction.
 *
 * Hash: SipHash-1-3 of the key under a 128-bit key derived from the 64-bit
 * seed given to ct_init() (from random_bytes()), so remote senders cannot
 * aim flows at one bucket. Chained buckets, entries in one array allocated
 * at init: no allocation per packet, fixed memory.
 */
#ifndef SLUICE_CONNTRACK_H
#define SLUICE_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pktmeta.h"

/* `ct state` bits, with nftables' values (NF_CT_STATE_*_BIT). */
#define CT_INVALID 0x01
#define CT_ESTABLISHED 0x02
#define CT_RELATED 0x04
#define CT_NEW 0x08
#define CT_UNTRACKED 0x40

enum ct_dir { CT_DIR_ORIG = 0, CT_DIR_REPLY = 1 };

/* TCP states (Linux's names and meanings; SYN_SENT2 is a simultaneous open). */
enum ct_tcp_state {
	CT_TCP_NONE,
	CT_TCP_SYN_SENT,
	CT_TCP_SYN_SENT2,
	CT_TCP_SYN_RECV,
	CT_TCP_ESTABLISHED,
	CT_TCP_FIN_WAIT,   /* a FIN seen in one direction */
	CT_TCP_CLOSE_WAIT, /* that FIN acknowledged */
	CT_TCP_LAST_ACK,   /* FINs seen both ways, the last not yet acknowledged */
	CT_TCP_TIME_WAIT,  /* both FINs acknowledged */
	CT_TCP_CLOSE,	   /* reset */
	CT_TCP_NSTATES,
};

/*
 * What IP fragments get when nothing reassembles them in front (the
 * firewall reassembles first, nf/defrag.h, so its conntrack never sees a
 * fragment). TCP fragments are always INVALID: a segment's length, and so
 * its window checks, is only known whole.
 */
enum ct_frag_policy {
	/*
	 * Default. An accepted first fragment (passed to ct_confirm()) leaves a
	 * short-lived record keyed by (source, destination, protocol, IP id);
	 * later fragments of that datagram get the first one's ct state. A
	 * fragment whose first fragment was not accepted (dropped, or not seen
	 * yet: reordered) is INVALID, so a rule set dropping INVALID never lets
	 * through pieces of a datagram whose header it refused.
	 */
	CT_FRAG_TRACK,
	CT_FRAG_INVALID,   /* every fragment, first included, is INVALID */
	CT_FRAG_UNTRACKED, /* fragments bypass tracking: rules match addresses */
};

/* Timeouts in seconds, 1 .. CT_TIMEOUT_MAX. */
#define CT_TIMEOUT_MAX 100000000u

struct ct_cfg {
	uint32_t tcp_timeout[CT_TCP_NSTATES]; /* indexed by enum ct_tcp_state */
	uint32_t udp, udp_stream;	      /* unreplied or one reply / assured */
	uint32_t icmp;
	uint32_t generic;    /* other IP protocols (GRE, ESP, ...) */
	uint32_t frag;	     /* fragment records (only without nf/defrag in front) */
	bool tcp_loose;	     /* let a mid-stream ACK create an entry (off: only a SYN can) */
	bool tcp_liberal;    /* never mark out-of-window TCP INVALID */
	bool vlan_zones;     /* VLAN id is part of the key (overlapping address spaces) */
	uint8_t frag_policy; /* enum ct_frag_policy */
};

/* Normalized flow key; 40 bytes, no padding (it is hashed and compared whole). */
struct ct_key {
	struct pkt_addr a, b; /* endpoints: a < b, or a = ICMP requester */
	uint16_t pa, pb;      /* their ports; ICMP: id, request type */
	uint16_t zone;
	uint8_t proto;
	uint8_t kind; /* IP version (4/6), | 0x80 for fragment records */
};

/* One direction of a TCP connection, as its sender (Linux's ip_ct_tcp_state). */
struct ct_tcp_side {
	uint32_t end;	  /* highest seq + len sent */
	uint32_t maxend;  /* highest seq the peer's window allows */
	uint32_t maxwin;  /* largest window advertised (scaled); 0: side not seen yet */
	uint32_t maxack;  /* highest ack sent */
	uint32_t fin_end; /* seq just after this side's FIN */
	uint8_t wscale;	  /* window shift in effect */
	uint8_t flags;	  /* CT_TS_* */
	/*
	 * The last segment from this side that was let through without being
	 * tracked (Linux's "ignored" packets, see conntrack_tcp.c): CT_IGN_*,
	 * and the window shift a SYN so ignored offered. The entry's last_val
	 * holds its number.
	 */
	uint8_t ign;
	uint8_t ign_wscale;
};

#define CT_IGN_SYN 0x01	   /* a SYN on a live connection (last_val: its seq + 1) */
#define CT_IGN_ACK 0x02	   /* a reply ACK to a SYN_SENT entry (last_val: its ack) */
#define CT_IGN_WSCALE 0x04 /* that SYN had the window scale option */

#define CT_TS_WSCALE 0x01 /* sent the window scale option */
#define CT_TS_FIN 0x02	  /* sent a FIN */
#define CT_TS_FINACK 0x04 /* its FIN was acknowledged */
#define CT_TS_MAXACK 0x08 /* maxack valid */
#define CT_TS_SYNACK 0x10 /* sent a SYN|ACK */

/* Entry status bits. */
#define CT_S_USED 0x01
#define CT_S_SEEN_REPLY 0x02
#define CT_S_ASSURED 0x04 /* a real two-way flow: never evicted for a newcomer */
#define CT_S_FRAG 0x08	  /* a fragment record, not a flow */
#define CT_S_LIBERAL 0x10 /* TCP windows not enforced (picked up mid-stream with ct-loose) */

struct ct_entry {
	struct ct_key key;
	uint64_t expires; /* ns, same clock as now_ns */
	uint32_t hash;
	uint32_t next;		   /* bucket chain / free list */
	uint16_t iif[2];	   /* ingress NIC per direction (reply: once seen) */
	uint32_t packets[2];	   /* per direction, wrapping */
	uint32_t mark;		   /* free for the rules (ct mark); kept across rule swaps */
	uint8_t status;		   /* CT_S_* */
	uint8_t tcp_state;	   /* enum ct_tcp_state */
	uint8_t orig_is_a;	   /* the original direction's source is key.a */
	uint8_t frag_state;	   /* fragment records: the ct state their fragments get */
	uint32_t last_val;	   /* TCP: see ct_tcp_side.ign */
	struct ct_tcp_side tcp[2]; /* indexed by enum ct_dir */
};

struct ct_stats {
	uint64_t lookups;
	uint64_t inserts;
	uint64_t evictions;	  /* live entries removed to make room */
	uint64_t full;		  /* insertions that found no free slot */
	uint64_t drops_when_full; /* ... and nothing evictable: ct_confirm() -ENOSPC */
	uint64_t expired;	  /* reaped by timeout (lazily or by ct_expire) */
	uint64_t invalid;	  /* packets classified CT_INVALID */
	uint64_t related;
	uint32_t entries; /* in use now */
	uint32_t max_entries;
};

struct ct_table {
	struct ct_entry *ents;
	uint32_t *buckets;
	uint32_t max, mask; /* entries; buckets - 1 */
	uint32_t free_head;
	uint32_t expire_cursor, evict_cursor;
	uint64_t k0, k1; /* SipHash key */
	struct ct_cfg cfg;
	struct ct_stats stats;
};

/* Most entries a table can have (indices are 32-bit, buckets a power of two). */
#define CT_MAX_ENTRIES (1u << 24)

/* Bytes ct_init() allocates for @max_entries (for sizing from free memory). */
size_t ct_mem_bytes(unsigned int max_entries);

/* Largest entry count whose table fits @bytes (0 if none; capped at CT_MAX_ENTRIES). */
unsigned int ct_entries_for_bytes(size_t bytes);

/* Default timeouts and options (Linux-like timeouts, strict TCP pickup). */
void ct_cfg_default(struct ct_cfg *c);

/*
 * Allocate (calloc) a table of @max_entries with the default config. The
 * seed must be secret and random (random_bytes()): it keys the hash.
 * Returns 0, -EINVAL (0 or > CT_MAX_ENTRIES) or -ENOMEM.
 */
int ct_init(struct ct_table *t, unsigned int max_entries, uint64_t hash_seed);
void ct_destroy(struct ct_table *t);

/* Replace the config (applies to packets from now on). 0 or -EINVAL. */
int ct_set_cfg(struct ct_table *t, const struct ct_cfg *c);

/*
 * Classify @m and update its flow: returns one CT_* state and sets *@entry
 * (may be NULL) to the flow's entry, or to NULL when there is none (NEW
 * before confirmation, INVALID, UNTRACKED, fragment records). Semantics:
 *   NEW         first packet of a flow that may create one (TCP: a SYN), or
 *               more original-direction packets before any reply;
 *   ESTABLISHED the flow has been seen both ways (the first reply included);
 *   RELATED     an ICMP error about a tracked flow (*entry: that flow);
 *   INVALID     malformed, against the TCP state machine or window, a reply
 *               or an ICMP error with no flow, a non-creatable ICMP type;
 *   UNTRACKED   not IP (ARP, ...), ICMPv6 neighbour discovery and MLD.
 * Expired entries are reaped on the way. Entry pointers stay valid until the
 * next call into this module.
 */
uint8_t ct_lookup_update(struct ct_table *t, const struct pkt_meta *m, uint64_t now_ns,
			 struct ct_entry **entry);

/*
 * The classifier accepted @m (which was just passed to ct_lookup_update()):
 * create its flow's entry if it was NEW without one, and record an accepted
 * first fragment (CT_FRAG_TRACK). A no-op returning 0 otherwise. Sets
 * *@entry (may be NULL) to the flow's entry when there is one.
 * Returns 0, -EINVAL (not a packet that can create a flow) or -ENOSPC (the
 * table is full and nothing could be evicted: drop the packet).
 */
int ct_confirm(struct ct_table *t, const struct pkt_meta *m, uint64_t now_ns,
	       struct ct_entry **entry);

/*
 * Incremental expiry for a periodic timer: visit @budget slots (a rotating
 * cursor over the whole array) and reap those past their timeout. To sweep
 * the table every S seconds, call every T seconds with max_entries * T / S.
 * Returns how many entries were reaped.
 */
unsigned int ct_expire(struct ct_table *t, uint64_t now_ns, unsigned int budget);

/* Remove one entry / every entry (config, seed and counters are kept). */
void ct_delete(struct ct_table *t, struct ct_entry *e);
void ct_flush(struct ct_table *t);

/* Direction of @m within its flow @e (ORIG for ICMP requests). */
enum ct_dir ct_pkt_dir(const struct ct_entry *e, const struct pkt_meta *m);

const char *ct_tcp_state_name(unsigned int s);

/* What ct_tcp_track() made of a segment. */
enum ct_tcp_verdict {
	CT_TCP_BAD,	/* invalid: nothing was changed */
	CT_TCP_OK,	/* tracked: state and windows updated */
	CT_TCP_IGNORED, /* let through untracked (Linux's sIG): the entry may be stale */
};

/*
 * TCP tracking (conntrack_tcp.c), used by conntrack.c; not for the
 * appliance. ct_tcp_track() checks and applies one segment of direction
 * @dir to @e (a CT_TCP_* verdict; BAD changes nothing);
 * @liberal tolerates out-of-window segments. ct_tcp_reopens(): a SYN on a
 * finished connection (TIME_WAIT/CLOSE) starts a new one (RFC 1122
 * 4.2.2.13). ct_tcp_may_create(): only a SYN may create a connection, or a
 * plain ACK with @loose (mid-stream pickup). ct_tcp_new(): initialize @e
 * from the confirmed first segment.
 */
int ct_tcp_track(struct ct_entry *e, int dir, const struct pkt_meta *m, bool liberal);
bool ct_tcp_reopens(const struct ct_entry *e, const struct pkt_meta *m);
bool ct_tcp_may_create(const struct pkt_meta *m, bool loose);
void ct_tcp_new(struct ct_entry *e, const struct pkt_meta *m);

/* Bucket @m's flow hashes to (diagnostics, tests); UINT32_MAX if untrackable. */
uint32_t ct_bucket_of(const struct ct_table *t, const struct pkt_meta *m);

#endif
