/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet pipeline: a small graph of elements in the manner of Click and
 * ClickOS. An element is a function with up to PL_PORTS_MAX outputs; the
 * appliance builds the graph from its configuration (pl_add, pl_connect),
 * checks it (pl_check: every port in range, no cycle), and feeds it
 * packets.
 *
 * Execution: receive handlers queue packets (pl_enqueue) and post the
 * appliance's work; the work calls pl_run(), which takes the queue in
 * batches of up to PL_BATCH_MAX packets. A batch is what the NICs' polls of
 * one event-loop pass delivered. Within a batch, each packet runs to
 * completion through the graph (element after element until it is sent,
 * queued or dropped) before the next packet starts, in arrival order:
 * stateful elements (connection tracking) then see exactly the order on
 * the wire, which a stage-at-a-time vector would not give (the fragments of
 * one datagram arrive back to back and depend on the first one's verdict).
 * What a batch shares is its timestamp, the begin/end hooks of the elements
 * and the state swaps that happen only between batches.
 *
 * State swaps: an element whose class has a swap hook can be given a new
 * state (a compiled rule set, a route table) with pl_stage(). Outside
 * pl_run() the swap happens at once; during a batch it is deferred to the
 * end of the batch, so every packet of a batch sees one state.
 *
 * Ownership: an element returns an output port, PL_DROP (the graph's
 * release hook frees the packet) or PL_STOLEN (the element kept the buffer:
 * sent it, queued it). An unconnected port drops. Packets are pktbufs
 * (sluice/netdev.h); a chained (scatter-gather) packet is linearised into a
 * scratch buffer for reading, and keeps its buffers for sending.
 *
 * Graphs are independent: all state, the packet in flight included, lives
 * in struct pl_graph, so one image (or one host test) can run several, and
 * a "join" element (pl_join_class) feeds one graph's output into another's
 * input queue: two network functions chained in one image.
 *
 * Pure logic with no kernel calls: built into the kernel and into host
 * tests. Single-threaded: run graphs from the event loop only.
 */
#ifndef SLUICE_PIPELINE_H
#define SLUICE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pktmeta.h"

struct pktbuf;

#define PL_ELEMS_MAX 32
#define PL_PORTS_MAX 4
#define PL_NAME_MAX 16	   /* bytes of an element name, with the NUL */
#define PL_BATCH_MAX 64	   /* packets per batch (NETDEV_POLL_BUDGET) */
#define PL_QUEUE_MAX 1024  /* packets waiting for pl_run(); more are dropped */
#define PL_FRAME_MAX 16384 /* largest (linearised) frame; longer ones are dropped */
#define PL_IFS_MAX 8	   /* interfaces counted per element (NETDEV_MAX) */
#define PL_IF_NONE UINT32_MAX
#define PL_ANNO_MAX 4 /* appliance annotation slots per packet */

/* What an element's push returns instead of a port. */
#define PL_DROP (-1)
#define PL_STOLEN (-2)

/* Why the core dropped a packet before any element saw it (pl_graph.core_drops). */
enum pl_core_drop {
	PL_CORE_QUEUE_FULL, /* pl_enqueue: PL_QUEUE_MAX packets already waiting */
	PL_CORE_BAD_BUF,    /* a fragment's offset/length outside its page */
	PL_CORE_OVERSIZE,   /* longer than PL_FRAME_MAX */
	PL_CORE_DROPS,
};

/*
 * A per-packet annotation: elements of one appliance pass each other what
 * the shared layer need not understand (a filter's verdict, a rule
 * number). The appliance names its slots; they are zeroed for each packet.
 */
union pl_anno {
	const void *ptr;
	uint64_t u64;
};

/* One packet on its way through the graph. */
struct pl_pkt {
	struct pktbuf *buf;	 /* the packet (owned by the graph until sent, queued or freed) */
	const uint8_t *frame;	 /* contiguous frame bytes: the page, or the scratch copy */
	uint32_t len;		 /* frame length */
	uint32_t iif;		 /* ingress interface (netdev index) */
	uint32_t oif;		 /* egress interface, PL_IF_NONE until an element decides */
	uint64_t now;		 /* the batch's timestamp (monotonic ns) */
	uint8_t ct_state;	 /* connection-tracking state (one CT_* bit), 0 if none */
	uint8_t reason;		 /* why an element dropped it (an nf_drop / appliance code) */
	struct pkt_addr nexthop; /* routing: the next hop's address */
	struct pkt_meta meta;	 /* parsed headers (a parse element fills them) */
	union pl_anno anno[PL_ANNO_MAX];
};

struct pl_elem;
struct pl_graph;

struct pl_class {
	const char *name;
	unsigned int nports; /* outputs, <= PL_PORTS_MAX */
	/* Required: handle one packet; returns a port < nports, PL_DROP or PL_STOLEN. */
	int (*push)(struct pl_elem *e, struct pl_pkt *p);
	/* Optional: before / after each batch. */
	void (*batch_begin)(struct pl_elem *e, uint64_t now);
	void (*batch_end)(struct pl_elem *e);
	/* Optional: install @state (from pl_stage) in place of the current one. */
	void (*swap)(struct pl_elem *e, void *state);
	/* Optional: free a staged state replaced by a newer one before it was installed. */
	void (*discard)(struct pl_elem *e, void *state);
};

/* Caller-allocated (static or heap); must stay valid while in the graph. */
struct pl_elem {
	const struct pl_class *cls;
	char name[PL_NAME_MAX];
	void *priv; /* the element's own state */
	struct pl_graph *g;
	struct pl_elem *out[PL_PORTS_MAX];
	/* Counters: packets in, out of each port, dropped here, kept by the element. */
	uint64_t in, out_pkts[PL_PORTS_MAX], drops, stolen;
	void *staged; /* a state waiting for the end of the batch */
	bool has_staged;
};

struct pl_qent {
	struct pktbuf *buf;
	uint32_t iif;
};

struct pl_graph {
	struct pl_elem *elems[PL_ELEMS_MAX];
	unsigned int nelems;
	struct pl_elem *entry;
	/*
	 * Frees a dropped packet; @by is the element that dropped it, or NULL
	 * for the core (p->reason is then an enum pl_core_drop). Required.
	 */
	void (*release)(struct pl_graph *g, struct pl_pkt *p, struct pl_elem *by);
	void *arg; /* for the appliance */
	bool running;
	/* The input queue: a ring of PL_QUEUE_MAX. */
	struct pl_qent queue[PL_QUEUE_MAX];
	unsigned int qhead, qcount;
	/* Statistics. */
	uint64_t batches, packets, max_batch;
	uint64_t core_drops[PL_CORE_DROPS];
	struct pl_pkt cur;	       /* the packet in flight: one at a time, run to completion */
	uint8_t scratch[PL_FRAME_MAX]; /* linearised chained frames */
};

/* Empty graph with a release hook. */
void pl_init(struct pl_graph *g,
	     void (*release)(struct pl_graph *, struct pl_pkt *, struct pl_elem *), void *arg);
/*
 * Add @e (zeroed here) of class @cls, named @name (cut to PL_NAME_MAX - 1),
 * with @priv. The first element added is the entry. 0, -E2BIG (too many),
 * -EINVAL (bad class).
 */
int pl_add(struct pl_graph *g, struct pl_elem *e, const struct pl_class *cls, const char *name,
	   void *priv);
/* Connect output @port of @from to @to. 0, -EINVAL (port out of range, foreign element). */
int pl_connect(struct pl_elem *from, unsigned int port, struct pl_elem *to);
/* Make @e the entry element. */
void pl_set_entry(struct pl_graph *g, struct pl_elem *e);
/*
 * Check the graph before use: an entry, and no cycle (a packet could loop
 * forever). 0, or -EINVAL with a reason in @err.
 */
int pl_check(const struct pl_graph *g, char *err, size_t errlen);
/* "parse -> ct -> filter [accept] -> fwd ..." for the console; returns strlen. */
size_t pl_describe(const struct pl_graph *g, char *buf, size_t len);

/*
 * Queue a received packet (ownership passes to the graph). Returns 0, or
 * -ENOBUFS when the queue is full (the packet was released, counted).
 */
int pl_enqueue(struct pl_graph *g, struct pktbuf *buf, uint32_t iif);
/* Packets waiting. */
unsigned int pl_pending(const struct pl_graph *g);
/*
 * Run everything queued, in batches, with @now as the first batch's time
 * (@clock, if not NULL, gives later batches theirs). Returns packets run.
 */
unsigned int pl_run(struct pl_graph *g, uint64_t now, uint64_t (*clock)(void));

/*
 * Give @e a new state: installed now outside pl_run, else at the end of the
 * current batch (a state staged earlier and not yet installed is discarded).
 * Returns 0 (installed), 1 (deferred) or -EINVAL (the class cannot swap).
 */
int pl_stage(struct pl_elem *e, void *state);

/* Send a packet on into output @port of @e from outside push (e.g. a queue flush). */
void pl_push_from(struct pl_elem *e, unsigned int port, struct pl_pkt *p);

/* ---- Generic elements ---- */

/* A token bucket: @rate per second, @burst extra; tokens in 1e-9 units. */
struct pl_tbf {
	uint64_t rate, burst; /* per second; packets */
	uint64_t tokens;      /* nano-tokens */
	uint64_t last;	      /* ns of the last refill */
	uint64_t passed, limited;
};

/* A full bucket; @rate 0 means nothing ever passes. */
void pl_tbf_init(struct pl_tbf *t, uint64_t rate, uint64_t burst, uint64_t now);
/* Take one token at @now: true if there was one. */
bool pl_tbf_take(struct pl_tbf *t, uint64_t now);

/* "counter": counts packets and bytes per ingress interface; one output. */
struct pl_counter {
	uint64_t packets[PL_IFS_MAX], bytes[PL_IFS_MAX];
};
extern const struct pl_class pl_counter_class;

/* "ratelimit": port 0 while the bucket has tokens, port 1 (unconnected: drop) after. */
extern const struct pl_class pl_ratelimit_class; /* priv: struct pl_tbf */

/*
 * "join": the end of one graph, feeding another graph's input queue (the
 * packet keeps its ingress interface; annotations do not cross). The
 * downstream graph runs its own batches afterwards, never nested inside
 * the upstream's (pl_run refuses nesting). A full downstream queue drops
 * there, counted as its core's queue_full.
 */
struct pl_join {
	struct pl_graph *to;
	uint64_t passed;
};
extern const struct pl_class pl_join_class; /* priv: struct pl_join */
/* Add a join element named @name to @from, feeding @to (@j: the caller's). 0 or pl_add's. */
int pl_join(struct pl_graph *from, struct pl_elem *e, struct pl_join *j, const char *name,
	    struct pl_graph *to);
/*
 * Run @n graphs in order, upstream first, again while a join left packets
 * queued downstream (at most PL_CHAIN_ROUNDS rounds: a chain is acyclic,
 * so @n rounds always drain it). Returns packets run.
 */
#define PL_CHAIN_ROUNDS 8
unsigned int pl_run_chain(struct pl_graph *const *gs, unsigned int n, uint64_t now,
			  uint64_t (*clock)(void));

#endif
