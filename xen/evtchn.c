// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen event channels, 2-level ABI (docs/xen.md §5; Xen event_channel.h and
 * xen/common/event_2l.c; Linux drivers/xen/events/events_2l.c).
 *
 * Xen owns PENDING (it sets bits, we clear them) and only reads MASK, which
 * is ours. It raises an upcall only on a 0->1 PENDING edge of an unmasked
 * port, setting the selector bit port/64 and evtchn_upcall_pending on the
 * way. Everything below follows from two consequences of that:
 *
 *  - Xen modifies the bitmap words concurrently from other physical CPUs, so
 *    every read-modify-write of a bitmap word is an atomic (lock-prefixed)
 *    operation. A plain "word &= ~bit" could write back a stale copy of the
 *    word and wipe out a bit Xen set in between: a lost event.
 *  - An edge that happens while a port is masked, or while its PENDING bit is
 *    still set, raises nothing. So PENDING is cleared before a handler runs
 *    (an event arriving during the handler makes a fresh edge), and unmasking
 *    a pending port needs EVTCHNOP_unmask to get the upcall raised again.
 *
 * The atomics are __atomic builtins: the SEQ_CST read-modify-writes compile
 * to lock-prefixed instructions on x86, which are also full barriers, and
 * they are compiler barriers too. Plain loads of shared words use
 * __atomic_load_n(RELAXED) so that each pass really re-reads memory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sluice/evtchn.h"

#define NR_WORDS (EVTCHN_NR_PORTS / EVTCHN_WORD_BITS)

/* 64-bit shifts throughout: 1 << n is undefined for n > 31. */
static xen_ulong_t port_bit(uint32_t port)
{
	return (xen_ulong_t)1 << (port % EVTCHN_WORD_BITS);
}

static xen_ulong_t *pending_word(struct evtchn_ctl *e, uint32_t port)
{
	return &e->si->evtchn_pending[port / EVTCHN_WORD_BITS];
}

static xen_ulong_t *mask_word(struct evtchn_ctl *e, uint32_t port)
{
	return &e->si->evtchn_mask[port / EVTCHN_WORD_BITS];
}

static xen_ulong_t load_word(const xen_ulong_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

/*
 * Atomic even for MASK, which Xen never writes: the upcall may interrupt a
 * mask/unmask of another port in the same word, and a non-atomic update
 * would then undo the upcall's change when it resumes.
 */
static void set_bits(xen_ulong_t *w, xen_ulong_t bits)
{
	__atomic_fetch_or(w, bits, __ATOMIC_SEQ_CST);
}

static void clear_bits(xen_ulong_t *w, xen_ulong_t bits)
{
	__atomic_fetch_and(w, ~bits, __ATOMIC_SEQ_CST);
}

static unsigned int lowest_bit(xen_ulong_t w)
{
	return (unsigned int)__builtin_ctzl(w);
}

void evtchn_init(struct evtchn_ctl *e, struct shared_info *si, const struct evtchn_ops *ops,
		 void *ctx)
{
	memset(e, 0, sizeof(*e));
	e->si = si;
	e->ops = ops;
	e->ctx = ctx;

	/*
	 * Mask first: once nothing is unmasked Xen raises no upcall, so
	 * clearing PENDING and the selectors below cannot race with a new one.
	 * Whole-word atomic stores: Xen may be setting PENDING bits meanwhile
	 * and must never see a torn word.
	 */
	for (unsigned int w = 0; w < NR_WORDS; w++)
		__atomic_store_n(&si->evtchn_mask[w], ~(xen_ulong_t)0, __ATOMIC_SEQ_CST);
	for (unsigned int w = 0; w < NR_WORDS; w++)
		__atomic_store_n(&si->evtchn_pending[w], 0, __ATOMIC_SEQ_CST);
	for (unsigned int v = 0; v < XEN_LEGACY_MAX_VCPUS; v++) {
		__atomic_store_n(&si->vcpu_info[v].evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&si->vcpu_info[v].evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
	}
}

static bool bindable(uint32_t port)
{
	return port < EVTCHN_MAX_PORTS;
}

int evtchn_bind(struct evtchn_ctl *e, uint32_t port, evtchn_handler_fn fn, void *arg)
{
	struct evtchn_handler *h;

	if (!bindable(port) || !fn)
		return -EINVAL;
	h = &e->handlers[port];
	if (h->fn)
		return -EBUSY;
	/*
	 * Masked before the handler is published: the demux only dispatches
	 * unmasked ports, so it cannot see a half-written handler. The SEQ_CST
	 * atomic is a compiler barrier, so the stores stay after it.
	 */
	evtchn_mask(e, port);
	h->arg = arg;
	h->fn = fn;
	return 0;
}

int evtchn_unbind(struct evtchn_ctl *e, uint32_t port)
{
	struct evtchn_handler *h;

	if (!bindable(port))
		return -EINVAL;
	h = &e->handlers[port];
	if (!h->fn)
		return -ENOENT;
	/* Mask, then clear: in the other order a new event could re-raise. */
	evtchn_mask(e, port);
	evtchn_clear(e, port);
	h->fn = NULL;
	h->arg = NULL;
	return 0;
}

void evtchn_mask(struct evtchn_ctl *e, uint32_t port)
{
	if (port < EVTCHN_NR_PORTS)
		set_bits(mask_word(e, port), port_bit(port));
}

void evtchn_clear(struct evtchn_ctl *e, uint32_t port)
{
	if (port < EVTCHN_NR_PORTS)
		clear_bits(pending_word(e, port), port_bit(port));
}

/*
 * Have Xen re-raise the upcall for a pending @port. EVTCHNOP_unmask only acts
 * on a masked port (Xen test-and-clears MASK, then sets the selector bit and
 * marks the upcall pending if PENDING is set), so mask it first. Xen raising
 * the upcall works for both upcall methods; setting the bits ourselves would
 * not re-inject a per-vCPU LAPIC vector. That is only the fallback if the
 * hypercall fails: the event then waits for the next upcall or an idle-loop
 * evtchn_has_work() check, but it is not lost.
 */
static int reraise(struct evtchn_ctl *e, uint32_t port)
{
	int rc = -ENOSYS;
	struct vcpu_info *vi = &e->si->vcpu_info[0];

	evtchn_mask(e, port);
	if (e->ops->unmask)
		rc = e->ops->unmask(e->ctx, port);
	if (rc == 0)
		return 0;
	e->unmask_errors++;
	clear_bits(mask_word(e, port), port_bit(port));
	set_bits(&vi->evtchn_pending_sel, (xen_ulong_t)1 << (port / EVTCHN_WORD_BITS));
	__atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	return rc;
}

int evtchn_unmask(struct evtchn_ctl *e, uint32_t port)
{
	if (!bindable(port))
		return -EINVAL;
	if (!e->handlers[port].fn)
		return -ENOENT;
	/*
	 * Clear MASK before testing PENDING. An event arriving in between then
	 * finds the port unmasked and Xen raises it, or we see it below; at
	 * worst both, and a duplicate event is harmless. The lock-prefixed
	 * clear is a full barrier, so the PENDING load cannot move above it.
	 */
	clear_bits(mask_word(e, port), port_bit(port));
	if (!(load_word(pending_word(e, port)) & port_bit(port)))
		return 0;
	return reraise(e, port);
}

/* Clear PENDING, then run the handler; 1 if one ran. */
static unsigned int dispatch(struct evtchn_ctl *e, uint32_t port)
{
	evtchn_handler_fn fn = NULL;
	void *arg = NULL;

	/*
	 * Clear before the handler: an event arriving while it runs is then a
	 * new 0->1 edge that Xen raises (and we find on the next pass), instead
	 * of being swallowed by a bit that is still set. The lock-prefixed
	 * clear is a full barrier, so the handler's reads of its ring happen
	 * after it: whatever the ring holds beyond what it sees will raise again.
	 */
	clear_bits(pending_word(e, port), port_bit(port));
	if (bindable(port)) {
		fn = e->handlers[port].fn;
		arg = e->handlers[port].arg;
	}
	if (!fn) {
		/* Nobody listens: mask it so it cannot fire again. */
		evtchn_mask(e, port);
		e->spurious++;
		return 0;
	}
	e->events[port]++;
	fn(port, arg);
	return 1;
}

/*
 * One round over bitmap word @w: dispatch each pending, unmasked port at most
 * once, lowest first. Both words are re-read on every pass, since Xen sets
 * PENDING at any time and handlers may mask ports. Returns the ports of the
 * word that are pending and unmasked again after their dispatch.
 */
static xen_ulong_t demux_word(struct evtchn_ctl *e, unsigned int w, unsigned int *ran)
{
	const xen_ulong_t *pending = &e->si->evtchn_pending[w];
	const xen_ulong_t *mask = &e->si->evtchn_mask[w];
	xen_ulong_t done = 0, bits;

	/* Skipping done ports keeps a port that keeps firing from starving the rest. */
	while ((bits = load_word(pending) & ~load_word(mask) & ~done) != 0) {
		unsigned int bit = lowest_bit(bits);

		done |= (xen_ulong_t)1 << bit;
		*ran += dispatch(e, w * EVTCHN_WORD_BITS + bit);
	}
	/* The loop ended, so whatever is pending and unmasked now was done. */
	return load_word(pending) & ~load_word(mask);
}

/* Hand every port of @words still pending and unmasked back to Xen. */
static void defer_words(struct evtchn_ctl *e, xen_ulong_t words)
{
	while (words) {
		unsigned int w = lowest_bit(words);
		xen_ulong_t left =
			load_word(&e->si->evtchn_pending[w]) & ~load_word(&e->si->evtchn_mask[w]);

		words &= words - 1;
		while (left) {
			e->deferred++;
			(void)reraise(e, w * EVTCHN_WORD_BITS + lowest_bit(left));
			left &= left - 1;
		}
	}
}

unsigned int evtchn_demux(struct evtchn_ctl *e, unsigned int vcpu)
{
	struct vcpu_info *vi;
	xen_ulong_t sel, carry = 0;
	unsigned int ran = 0;

	if (vcpu >= XEN_LEGACY_MAX_VCPUS)
		return 0;
	vi = &e->si->vcpu_info[vcpu];
	e->upcalls++;
	for (unsigned int round = 0; round < EVTCHN_DEMUX_ROUNDS; round++) {
		/*
		 * Clear upcall_pending first: with the callback-vector method
		 * Xen keeps injecting while it is set. Whatever Xen flags after
		 * this store is in the selector we take next, or raises a new
		 * upcall; clearing it after the scan could drop such an event.
		 * The xchg is a seq_cst (release + acquire) RMW, lock-prefixed
		 * on x86: the store is visible before it, and the bitmap reads
		 * below happen after it.
		 */
		__atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_RELAXED);
		sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
		/* Words with ports that fired again in the last round. */
		sel |= carry;
		carry = 0;
		if (!sel)
			return ran;
		while (sel) {
			unsigned int w = lowest_bit(sel);

			sel &= sel - 1;
			if (demux_word(e, w, &ran))
				carry |= (xen_ulong_t)1 << w;
		}
	}
	/* Budget spent: let the interrupted code run, Xen re-raises the rest. */
	defer_words(e, carry);
	return ran;
}

bool evtchn_has_work(const struct evtchn_ctl *e, unsigned int vcpu)
{
	if (vcpu >= XEN_LEGACY_MAX_VCPUS)
		return false;
	return __atomic_load_n(&e->si->vcpu_info[vcpu].evtchn_upcall_pending, __ATOMIC_RELAXED);
}

int evtchn_notify(struct evtchn_ctl *e, uint32_t port)
{
	if (port >= EVTCHN_NR_PORTS)
		return -EINVAL;
	if (!e->ops->send)
		return -ENOSYS;
	return e->ops->send(e->ctx, port);
}

/*
 * A port Xen just opened for us: make sure it is masked until bound, and
 * refuse one we could never bind. Xen is trusted, but the port number is
 * still used as an array index later, so it is range checked here.
 */
static int adopt_port(struct evtchn_ctl *e, int rc, uint32_t *port)
{
	if (rc)
		return rc;
	if (!bindable(*port)) {
		if (*port < EVTCHN_NR_PORTS)
			evtchn_mask(e, *port);
		if (e->ops->close)
			(void)e->ops->close(e->ctx, *port);
		return -ENOSPC;
	}
	evtchn_mask(e, *port);
	return 0;
}

int evtchn_alloc_unbound(struct evtchn_ctl *e, uint16_t remote_dom, uint32_t *port)
{
	if (!e->ops->alloc_unbound)
		return -ENOSYS;
	return adopt_port(e, e->ops->alloc_unbound(e->ctx, remote_dom, port), port);
}

int evtchn_bind_virq(struct evtchn_ctl *e, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
	if (!e->ops->bind_virq)
		return -ENOSYS;
	return adopt_port(e, e->ops->bind_virq(e->ctx, virq, vcpu, port), port);
}

int evtchn_close(struct evtchn_ctl *e, uint32_t port)
{
	if (port >= EVTCHN_NR_PORTS)
		return -EINVAL;
	if (bindable(port) && e->handlers[port].fn)
		(void)evtchn_unbind(e, port);
	else
		evtchn_mask(e, port);
	if (!e->ops->close)
		return -ENOSYS;
	return e->ops->close(e->ctx, port);
}
