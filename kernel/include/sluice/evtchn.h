/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xen event channels, 2-level ABI: the PENDING/MASK bitmaps in shared_info,
 * the per-vCPU selector word, and the upcall demultiplexer that turns them
 * into handler calls. The hypercalls sit behind struct evtchn_ops, so this is
 * pure logic: built into the kernel and into host tests, which simulate
 * shared_info in ordinary memory.
 *
 * Not reentrant: the platform calls evtchn_demux() from the upcall with
 * interrupts off, and the other functions either with interrupts off or from
 * code the upcall may interrupt (each is written to tolerate that, see
 * xen/evtchn.c). Only the legacy vcpu_info slots of shared_info (vCPUs 0..31)
 * are supported.
 */
#ifndef SLUICE_EVTCHN_H
#define SLUICE_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/event_channel.h>
#include <xen/xen.h>

/* Ports the 2-level bitmaps can name: 64 words of 64 bits on x86_64. */
#define EVTCHN_NR_PORTS ((uint32_t)EVTCHN_2L_NR_CHANNELS)
#define EVTCHN_WORD_BITS ((unsigned int)(sizeof(xen_ulong_t) * 8))

/*
 * Ports that can have a handler. Xen allocates the lowest free port and never
 * one above the domain's max_event_channels, which xl defaults to 1023, so a
 * table for 4096 ports would be three quarters dead weight. Binding a higher
 * port is refused; if one fires anyway it is masked and counted as spurious.
 */
#define EVTCHN_MAX_PORTS 1024U

/*
 * Work bound for one evtchn_demux() call: a port is dispatched at most once
 * per round and at most this many rounds run. A port still pending after the
 * last round (an event storm, or a handler that re-raises its own port) is
 * handed back to Xen to re-raise later, so other work and the interrupted
 * code get to run in between.
 */
#define EVTCHN_DEMUX_ROUNDS 4U

/* Hypercalls, provided by the platform layer. Each returns 0 or -errno. */
struct evtchn_ops {
	int (*unmask)(void *ctx, uint32_t port); /* EVTCHNOP_unmask */
	int (*send)(void *ctx, uint32_t port);	 /* EVTCHNOP_send */
	int (*close)(void *ctx, uint32_t port);	 /* EVTCHNOP_close */
	/* EVTCHNOP_alloc_unbound {dom = DOMID_SELF, remote_dom} -> *port */
	int (*alloc_unbound)(void *ctx, uint16_t remote_dom, uint32_t *port);
	/* EVTCHNOP_bind_virq {virq, vcpu} -> *port */
	int (*bind_virq)(void *ctx, uint32_t virq, uint32_t vcpu, uint32_t *port);
};

/* Runs with interrupts off, the port's PENDING bit already cleared. */
typedef void (*evtchn_handler_fn)(uint32_t port, void *arg);

struct evtchn_handler {
	evtchn_handler_fn fn; /* NULL = port not bound */
	void *arg;
};

struct evtchn_ctl {
	struct shared_info *si;
	const struct evtchn_ops *ops;
	void *ctx;
	struct evtchn_handler handlers[EVTCHN_MAX_PORTS];
	uint32_t events[EVTCHN_MAX_PORTS]; /* handler runs per port (wraps) */
	uint64_t upcalls;		   /* evtchn_demux() calls */
	uint64_t spurious;		   /* pending with no handler: masked */
	uint64_t deferred;		   /* over the round budget: handed back to Xen */
	uint64_t unmask_errors;		   /* EVTCHNOP_unmask failed: re-raised by hand */
};

/*
 * Take over the bitmaps: mask every port first (the page starts zeroed, that
 * is all unmasked), then clear every PENDING bit and the legacy vCPUs'
 * selectors. Events pending before this are dropped; drivers must look at
 * their rings after binding anyway, since events are only hints.
 */
void evtchn_init(struct evtchn_ctl *e, struct shared_info *si, const struct evtchn_ops *ops,
		 void *ctx);

/*
 * Attach @fn(@port, @arg) to @port. The port is left (or made) masked: call
 * evtchn_unmask() once the handler may run. An event already pending is
 * delivered at that point. -EINVAL (port >= EVTCHN_MAX_PORTS or no @fn),
 * -EBUSY (already bound).
 */
int evtchn_bind(struct evtchn_ctl *e, uint32_t port, evtchn_handler_fn fn, void *arg);

/*
 * Mask @port, clear its PENDING bit and forget its handler. The channel stays
 * open (see evtchn_close()). -EINVAL (bad port) or -ENOENT (not bound).
 */
int evtchn_unbind(struct evtchn_ctl *e, uint32_t port);

/* Set / clear MASK, clear PENDING. Ports >= EVTCHN_NR_PORTS are ignored. */
void evtchn_mask(struct evtchn_ctl *e, uint32_t port);
void evtchn_clear(struct evtchn_ctl *e, uint32_t port);

/*
 * Clear MASK. If the port is pending (its upcall edge was lost while it was
 * masked), re-mask it and issue EVTCHNOP_unmask, so that Xen unmasks it and
 * raises the upcall again. Returns 0, -EINVAL (bad port), -ENOENT (no handler:
 * unmasking it would only produce a spurious event), or the hypercall's error,
 * in which case the port is left unmasked and flagged in vCPU 0's selector
 * and upcall_pending by hand, so evtchn_has_work() still reports it.
 */
int evtchn_unmask(struct evtchn_ctl *e, uint32_t port);

/*
 * The upcall demultiplexer for @vcpu, called with interrupts off: clear
 * evtchn_upcall_pending, take the selector word, and for each selected
 * bitmap word dispatch every pending, unmasked port, lowest first, clearing
 * PENDING before its handler runs. Ports without a handler are masked and
 * counted. Bounded by EVTCHN_DEMUX_ROUNDS (see above). Returns the number of
 * handler calls; 0 for @vcpu >= XEN_LEGACY_MAX_VCPUS.
 */
unsigned int evtchn_demux(struct evtchn_ctl *e, unsigned int vcpu);

/*
 * Is an upcall pending for @vcpu? For an idle loop: test with interrupts
 * off, and run evtchn_demux() instead of halting if so.
 */
bool evtchn_has_work(const struct evtchn_ctl *e, unsigned int vcpu);

/* Signal the remote end (EVTCHNOP_send). -EINVAL for port >= EVTCHN_NR_PORTS. */
int evtchn_notify(struct evtchn_ctl *e, uint32_t port);

/*
 * Open a channel (the port comes back masked and unbound). A port Xen returns
 * at or above EVTCHN_MAX_PORTS is closed again and -ENOSPC returned. Missing
 * ops give -ENOSYS.
 */
int evtchn_alloc_unbound(struct evtchn_ctl *e, uint16_t remote_dom, uint32_t *port);
int evtchn_bind_virq(struct evtchn_ctl *e, uint32_t virq, uint32_t vcpu, uint32_t *port);

/* evtchn_unbind() if bound, then EVTCHNOP_close. */
int evtchn_close(struct evtchn_ctl *e, uint32_t port);

#endif
