// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for xen/evtchn.c. shared_info is an ordinary struct, and a small
 * fake of Xen's 2-level event logic (xen/common/event_2l.c) raises events
 * into it and implements EVTCHNOP_unmask, so that re-raised upcalls and lost
 * edges behave as they would under Xen.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/evtchn.h"

#define BIT(n) ((xen_ulong_t)1 << (n))
#define WORDS (EVTCHN_NR_PORTS / 64)

static struct shared_info si;
static struct evtchn_ctl ec;

/* What the fake hypervisor saw and does. */
static struct {
	unsigned int unmask_calls, send_calls, close_calls;
	uint32_t unmask_port[64], send_port, close_port;
	unsigned int injections; /* 0->1 transitions of upcall_pending (vCPU 0) */
	unsigned int bad_ctx;
	int unmask_rc;
	uint32_t new_port; /* what alloc_unbound / bind_virq return */
	int new_rc;
} xen;

/* Handler log. */
static uint32_t hlog[8192];
static unsigned int nlog;
static unsigned int pending_at_entry; /* handler found its own PENDING bit set */

static bool test_bit(const xen_ulong_t *bm, uint32_t port)
{
	return (bm[port / 64] & BIT(port % 64)) != 0;
}

static bool test_and_set(xen_ulong_t *w, xen_ulong_t bit)
{
	return (__atomic_fetch_or(w, bit, __ATOMIC_SEQ_CST) & bit) != 0;
}

static bool test_and_clear(xen_ulong_t *w, xen_ulong_t bit)
{
	return (__atomic_fetch_and(w, ~bit, __ATOMIC_SEQ_CST) & bit) != 0;
}

/* Xen's vcpu_mark_events_pending(). */
static void mark_events_pending(unsigned int vcpu)
{
	uint8_t was =
		__atomic_exchange_n(&si.vcpu_info[vcpu].evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);

	if (!was && vcpu == 0)
		xen.injections++;
}

/* Xen's evtchn_2l_set_pending(): an event arrives on @port for @vcpu. */
static void xen_raise_on(uint32_t port, unsigned int vcpu)
{
	unsigned int w = port / 64;

	if (test_and_set(&si.evtchn_pending[w], BIT(port % 64)))
		return; /* already pending: no new edge */
	if (test_bit(si.evtchn_mask, port))
		return; /* masked: the edge is lost */
	if (!test_and_set(&si.vcpu_info[vcpu].evtchn_pending_sel, BIT(w)))
		mark_events_pending(vcpu);
}

static void xen_raise(uint32_t port)
{
	xen_raise_on(port, 0);
}

/* Xen's evtchn_2l_unmask(). */
static int fake_unmask(void *ctx, uint32_t port)
{
	unsigned int w = port / 64;

	if (ctx != &xen)
		xen.bad_ctx++;
	if (xen.unmask_calls < 64)
		xen.unmask_port[xen.unmask_calls] = port;
	xen.unmask_calls++;
	if (xen.unmask_rc)
		return xen.unmask_rc;
	if (test_and_clear(&si.evtchn_mask[w], BIT(port % 64)) &&
	    test_bit(si.evtchn_pending, port) &&
	    !test_and_set(&si.vcpu_info[0].evtchn_pending_sel, BIT(w)))
		mark_events_pending(0);
	return 0;
}

static int fake_send(void *ctx, uint32_t port)
{
	if (ctx != &xen)
		xen.bad_ctx++;
	xen.send_calls++;
	xen.send_port = port;
	return 0;
}

static int fake_close(void *ctx, uint32_t port)
{
	if (ctx != &xen)
		xen.bad_ctx++;
	xen.close_calls++;
	xen.close_port = port;
	return 0;
}

static int fake_alloc_unbound(void *ctx, uint16_t remote_dom, uint32_t *port)
{
	(void)remote_dom;
	if (ctx != &xen)
		xen.bad_ctx++;
	if (xen.new_rc)
		return xen.new_rc;
	*port = xen.new_port;
	return 0;
}

static int fake_bind_virq(void *ctx, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
	(void)virq;
	(void)vcpu;
	return fake_alloc_unbound(ctx, 0, port);
}

static const struct evtchn_ops fake_ops = {
	.unmask = fake_unmask,
	.send = fake_send,
	.close = fake_close,
	.alloc_unbound = fake_alloc_unbound,
	.bind_virq = fake_bind_virq,
};

static const struct evtchn_ops no_ops = {0};

static void rec(uint32_t port, void *arg)
{
	(void)arg;
	if (test_bit(si.evtchn_pending, port))
		pending_at_entry++;
	ck_assert_uint_lt(nlog, sizeof(hlog) / sizeof(hlog[0]));
	hlog[nlog++] = port;
}

static void setup(void)
{
	memset(&si, 0, sizeof(si));
	memset(&xen, 0, sizeof(xen));
	nlog = 0;
	pending_at_entry = 0;
	evtchn_init(&ec, &si, &fake_ops, &xen);
}

/* Bind @port to rec() and unmask it (nothing pending: no hypercall). */
static void bind_live(uint32_t port, evtchn_handler_fn fn, void *arg)
{
	ck_assert_int_eq(evtchn_bind(&ec, port, fn ? fn : rec, arg), 0);
	ck_assert_int_eq(evtchn_unmask(&ec, port), 0);
}

static void assert_quiet(void)
{
	for (unsigned int w = 0; w < WORDS; w++)
		ck_assert_msg(si.evtchn_pending[w] == 0, "pending[%u] = %#lx", w,
			      (unsigned long)si.evtchn_pending[w]);
	ck_assert_uint_eq(si.vcpu_info[0].evtchn_pending_sel, 0);
	ck_assert_uint_eq(si.vcpu_info[0].evtchn_upcall_pending, 0);
}

START_TEST(test_init_masks_everything)
{
	memset(&si, 0, sizeof(si)); /* a fresh page: every port unmasked */
	for (unsigned int w = 0; w < WORDS; w++)
		si.evtchn_pending[w] = ~(xen_ulong_t)0x5a;
	for (unsigned int v = 0; v < XEN_LEGACY_MAX_VCPUS; v++) {
		si.vcpu_info[v].evtchn_pending_sel = ~(xen_ulong_t)0;
		si.vcpu_info[v].evtchn_upcall_pending = 1;
	}
	si.wc_version = 0x1234;
	evtchn_init(&ec, &si, &fake_ops, &xen);
	for (unsigned int w = 0; w < WORDS; w++) {
		ck_assert_uint_eq(si.evtchn_mask[w], ~(xen_ulong_t)0);
		ck_assert_uint_eq(si.evtchn_pending[w], 0);
	}
	for (unsigned int v = 0; v < XEN_LEGACY_MAX_VCPUS; v++) {
		ck_assert_uint_eq(si.vcpu_info[v].evtchn_pending_sel, 0);
		ck_assert_uint_eq(si.vcpu_info[v].evtchn_upcall_pending, 0);
	}
	ck_assert_uint_eq(si.wc_version, 0x1234);
	ck_assert_uint_eq(ec.spurious + ec.deferred + ec.upcalls, 0);
	ck_assert_uint_eq(xen.unmask_calls + xen.send_calls + xen.close_calls, 0);
	/* Nothing is unmasked, so nothing can be raised. */
	xen_raise(5);
	ck_assert_uint_eq(xen.injections, 0);
}
END_TEST

START_TEST(test_bind_unbind_errors)
{
	ck_assert_int_eq(evtchn_bind(&ec, EVTCHN_MAX_PORTS, rec, NULL), -EINVAL);
	ck_assert_int_eq(evtchn_bind(&ec, 4095, rec, NULL), -EINVAL);
	ck_assert_int_eq(evtchn_bind(&ec, 0xffffffffu, rec, NULL), -EINVAL);
	ck_assert_int_eq(evtchn_bind(&ec, 3, NULL, NULL), -EINVAL);
	ck_assert_int_eq(evtchn_bind(&ec, 3, rec, NULL), 0);
	ck_assert_int_eq(evtchn_bind(&ec, 3, rec, NULL), -EBUSY);
	ck_assert_int_eq(evtchn_unbind(&ec, 4), -ENOENT);
	ck_assert_int_eq(evtchn_unbind(&ec, 5000), -EINVAL);
	ck_assert_int_eq(evtchn_unmask(&ec, 4), -ENOENT);
	ck_assert_int_eq(evtchn_unmask(&ec, EVTCHN_MAX_PORTS), -EINVAL);
	ck_assert_int_eq(evtchn_notify(&ec, EVTCHN_NR_PORTS), -EINVAL);
	ck_assert_int_eq(evtchn_close(&ec, EVTCHN_NR_PORTS), -EINVAL);
	ck_assert_uint_eq(xen.unmask_calls + xen.send_calls + xen.close_calls, 0);
	/* Bind leaves (or makes) the port masked. */
	si.evtchn_mask[0] &= ~BIT(7);
	ck_assert_int_eq(evtchn_bind(&ec, 7, rec, NULL), 0);
	ck_assert(test_bit(si.evtchn_mask, 7));
	ck_assert(test_bit(si.evtchn_mask, 3));
	/* The highest bindable port works. */
	bind_live(EVTCHN_MAX_PORTS - 1, NULL, NULL);
	xen_raise(EVTCHN_MAX_PORTS - 1);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 1);
	ck_assert_uint_eq(hlog[0], EVTCHN_MAX_PORTS - 1);
}
END_TEST

/* 200 ports spread over all 16 bindable words, raised in scrambled order. */
START_TEST(test_many_ports)
{
	enum { N = 200 };
	uint32_t ports[N];
	unsigned int words = 0;

	for (unsigned int i = 0; i < N; i++) {
		ports[i] = (i * 37 + 11) % EVTCHN_MAX_PORTS; /* 37 is odd: all distinct */
		bind_live(ports[i], NULL, NULL);
	}
	ck_assert_uint_eq(xen.unmask_calls, 0);
	for (unsigned int i = 0; i < N; i++)
		xen_raise(ports[(i * 73) % N]);
	ck_assert_uint_eq(xen.injections, 1);
	for (unsigned int w = 0; w < 64; w++)
		words += (si.vcpu_info[0].evtchn_pending_sel >> w) & 1;
	ck_assert_uint_eq(words, EVTCHN_MAX_PORTS / 64);

	ck_assert_uint_eq(evtchn_demux(&ec, 0), N);
	ck_assert_uint_eq(nlog, N);
	for (unsigned int i = 1; i < N; i++)
		ck_assert_uint_lt(hlog[i - 1], hlog[i]); /* lowest first, each once */
	for (unsigned int i = 0; i < N; i++)
		ck_assert_uint_eq(ec.events[ports[i]], 1);
	ck_assert_uint_eq(pending_at_entry, 0);
	ck_assert_uint_eq(ec.spurious + ec.deferred, 0);
	ck_assert_uint_eq(ec.upcalls, 1);
	assert_quiet();
	/* A second upcall finds nothing. */
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 0);
}
END_TEST

struct refire {
	uint32_t other;
	unsigned int times;
};

/* Events arrive on its own port and on @other while it runs. */
static void refire(uint32_t port, void *arg)
{
	struct refire *r = arg;

	rec(port, NULL);
	if (r->times) {
		r->times--;
		xen_raise(port);
		xen_raise(r->other);
	}
}

static void check_refire(uint32_t self, uint32_t other)
{
	struct refire r = {.other = other, .times = 1};

	setup();
	bind_live(self, refire, &r);
	bind_live(other, NULL, NULL);
	xen_raise(self);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 3);
	ck_assert_uint_eq(ec.events[self], 2);
	ck_assert_uint_eq(ec.events[other], 1);
	ck_assert_uint_eq(ec.deferred + ec.spurious, 0);
	ck_assert_uint_eq(pending_at_entry, 0);
	assert_quiet();
}

START_TEST(test_event_during_handler)
{
	check_refire(10, 12);	  /* same word, higher */
	check_refire(12, 10);	  /* same word, lower */
	check_refire(10, 700);	  /* another word, not selected yet */
	check_refire(700, 10);	  /* another word, already scanned */
	check_refire(63, 64);	  /* word boundary */
	check_refire(1023, 1022); /* last bindable port */
}
END_TEST

/* Sets its own PENDING bit directly, without Xen's selector update, once. */
static void retrigger(uint32_t port, void *arg)
{
	unsigned int *times = arg;

	rec(port, NULL);
	if (*times) {
		(*times)--;
		__atomic_fetch_or(&si.evtchn_pending[port / 64], BIT(port % 64), __ATOMIC_SEQ_CST);
	}
}

/* A software retrigger is seen by the demux itself: no selector bit, no upcall. */
START_TEST(test_software_retrigger)
{
	unsigned int times = 2;

	bind_live(130, retrigger, &times);
	xen_raise(130);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 3);
	ck_assert_uint_eq(ec.events[130], 3);
	ck_assert_uint_eq(ec.deferred, 0);
	assert_quiet();
}
END_TEST

START_TEST(test_masked_not_dispatched)
{
	ck_assert_int_eq(evtchn_bind(&ec, 5, rec, NULL), 0); /* bound, still masked */
	bind_live(70, NULL, NULL);
	xen_raise(5);
	ck_assert_uint_eq(xen.injections, 0); /* masked: edge lost */
	xen_raise(70);
	si.vcpu_info[0].evtchn_pending_sel |= BIT(0); /* as if word 0 had been selected too */
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 1);
	ck_assert_uint_eq(hlog[0], 70);
	ck_assert(test_bit(si.evtchn_pending, 5)); /* still pending */
	ck_assert(test_bit(si.evtchn_mask, 5));
	ck_assert_uint_eq(ec.spurious, 0);

	/* Masking a live port stops dispatch too. */
	evtchn_mask(&ec, 70);
	xen_raise(70);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 0);
	ck_assert(test_bit(si.evtchn_pending, 70));
}
END_TEST

START_TEST(test_unmask_pending_reraises)
{
	ck_assert_int_eq(evtchn_bind(&ec, 5, rec, NULL), 0);
	xen_raise(5); /* lost edge while masked */
	ck_assert_uint_eq(xen.injections, 0);
	ck_assert_int_eq(evtchn_unmask(&ec, 5), 0);
	ck_assert_uint_eq(xen.unmask_calls, 1);
	ck_assert_uint_eq(xen.unmask_port[0], 5);
	/* Xen found it masked and pending: it unmasked it and raised the upcall. */
	ck_assert_uint_eq(xen.injections, 1);
	ck_assert(!test_bit(si.evtchn_mask, 5));
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 1);
	ck_assert_uint_eq(hlog[0], 5);
	assert_quiet();
	ck_assert_uint_eq(xen.bad_ctx, 0);
}
END_TEST

START_TEST(test_unmask_not_pending_no_hypercall)
{
	ck_assert_int_eq(evtchn_bind(&ec, 64, rec, NULL), 0);
	ck_assert_int_eq(evtchn_unmask(&ec, 64), 0);
	ck_assert_uint_eq(xen.unmask_calls, 0);
	ck_assert_uint_eq(si.evtchn_mask[1], ~BIT(0));
	ck_assert_uint_eq(si.evtchn_mask[0], ~(xen_ulong_t)0);
	/* Now live: a new event raises the upcall by itself. */
	xen_raise(64);
	ck_assert_uint_eq(xen.injections, 1);
}
END_TEST

START_TEST(test_unmask_hypercall_fails)
{
	xen.unmask_rc = -EINVAL;
	ck_assert_int_eq(evtchn_bind(&ec, 130, rec, NULL), 0);
	xen_raise(130);
	ck_assert_int_eq(evtchn_unmask(&ec, 130), -EINVAL);
	ck_assert_uint_eq(ec.unmask_errors, 1);
	/* Fallback: unmasked and flagged by hand, so the event is not lost. */
	ck_assert(!test_bit(si.evtchn_mask, 130));
	ck_assert_uint_eq(si.vcpu_info[0].evtchn_pending_sel, BIT(2));
	ck_assert(evtchn_has_work(&ec, 0));
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 1);
	ck_assert_uint_eq(hlog[0], 130);
	ck_assert(!evtchn_has_work(&ec, 0));
	assert_quiet();
}
END_TEST

START_TEST(test_unknown_ports_masked)
{
	/* Unmasked without a handler (a stray unmask), then an event arrives. */
	si.evtchn_mask[4] &= ~BIT(44);	/* port 300 */
	si.evtchn_mask[31] &= ~BIT(16); /* port 2000, beyond EVTCHN_MAX_PORTS */
	xen_raise(300);
	xen_raise(2000);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 0);
	ck_assert_uint_eq(ec.spurious, 2);
	ck_assert_uint_eq(nlog, 0);
	ck_assert(test_bit(si.evtchn_mask, 300));
	ck_assert(test_bit(si.evtchn_mask, 2000));
	assert_quiet();
	/* Masked now: a new event raises nothing and is not counted again. */
	xen_raise(300);
	ck_assert_uint_eq(xen.injections, 1);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 0);
	ck_assert_uint_eq(ec.spurious, 2);
}
END_TEST

/* A handler that re-raises its own port every time it runs. */
static void stuck(uint32_t port, void *arg)
{
	rec(port, arg);
	xen_raise(port);
}

START_TEST(test_stuck_port_bounded)
{
	bind_live(3, stuck, NULL);
	bind_live(5, NULL, NULL);
	bind_live(200, NULL, NULL);
	xen_raise(3);
	xen_raise(5);
	xen_raise(200);

	/* Bounded: 3 runs once per round, the others once in all. */
	ck_assert_uint_eq(evtchn_demux(&ec, 0), EVTCHN_DEMUX_ROUNDS + 2);
	ck_assert_uint_eq(ec.events[3], EVTCHN_DEMUX_ROUNDS);
	ck_assert_uint_eq(ec.events[5], 1);
	ck_assert_uint_eq(ec.events[200], 1);
	/* Handed back to Xen: still pending, unmasked by Xen, upcall raised again. */
	ck_assert_uint_eq(ec.deferred, 1);
	ck_assert_uint_eq(xen.unmask_calls, 1);
	ck_assert_uint_eq(xen.unmask_port[0], 3);
	ck_assert(test_bit(si.evtchn_pending, 3));
	ck_assert(!test_bit(si.evtchn_mask, 3));
	ck_assert(evtchn_has_work(&ec, 0));
	ck_assert_uint_eq(si.vcpu_info[0].evtchn_pending_sel, BIT(0));

	/* The next upcall runs it again, still bounded. */
	ck_assert_uint_eq(evtchn_demux(&ec, 0), EVTCHN_DEMUX_ROUNDS);
	ck_assert_uint_eq(ec.deferred, 2);
	/* Once its driver masks it, it stays quiet. */
	evtchn_mask(&ec, 3);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 0);
	ck_assert_uint_eq(ec.events[3], 2 * EVTCHN_DEMUX_ROUNDS);
}
END_TEST

/* Every stuck port of a storm is handed back, not only the first. */
START_TEST(test_storm_defers_all)
{
	static const uint32_t p[] = {1, 63, 64, 500, 1023};

	for (unsigned int i = 0; i < 5; i++) {
		bind_live(p[i], stuck, NULL);
		xen_raise(p[i]);
	}
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 5 * EVTCHN_DEMUX_ROUNDS);
	ck_assert_uint_eq(ec.deferred, 5);
	ck_assert_uint_eq(xen.unmask_calls, 5);
	for (unsigned int i = 0; i < 5; i++) {
		ck_assert_uint_eq(xen.unmask_port[i], p[i]);
		ck_assert(!test_bit(si.evtchn_mask, p[i]));
	}
}
END_TEST

START_TEST(test_edge_shifts)
{
	bind_live(63, NULL, NULL);
	bind_live(64, NULL, NULL);
	xen_raise(63);
	ck_assert_uint_eq(si.evtchn_pending[0], BIT(63));
	ck_assert_uint_eq(si.evtchn_pending[1], 0);
	ck_assert_uint_eq(si.vcpu_info[0].evtchn_pending_sel, BIT(0));
	xen_raise(64);
	ck_assert_uint_eq(si.evtchn_pending[1], BIT(0));
	ck_assert_uint_eq(si.vcpu_info[0].evtchn_pending_sel, BIT(0) | BIT(1));
	ck_assert_uint_eq(si.evtchn_mask[0], ~BIT(63));
	ck_assert_uint_eq(si.evtchn_mask[1], ~BIT(0));
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 2);
	ck_assert_uint_eq(hlog[0], 63);
	ck_assert_uint_eq(hlog[1], 64);
	assert_quiet();

	/* Port 4095: bit 63 of word 63, selector bit 63. */
	si.evtchn_mask[63] = ~BIT(63);
	xen_raise(4095);
	ck_assert_uint_eq(si.vcpu_info[0].evtchn_pending_sel, BIT(63));
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 0);
	ck_assert_uint_eq(ec.spurious, 1);
	ck_assert_uint_eq(si.evtchn_mask[63], ~(xen_ulong_t)0);
	assert_quiet();

	si.evtchn_pending[63] = ~(xen_ulong_t)0;
	evtchn_clear(&ec, 4095);
	ck_assert_uint_eq(si.evtchn_pending[63], ~BIT(63));
	evtchn_clear(&ec, 4032);
	ck_assert_uint_eq(si.evtchn_pending[63], ~BIT(63) & ~BIT(0));
	si.evtchn_mask[63] = 0;
	evtchn_mask(&ec, 4095);
	ck_assert_uint_eq(si.evtchn_mask[63], BIT(63));
	/* Out of range: ignored, nothing past the bitmaps is touched. */
	si.wc_version = 77;
	evtchn_mask(&ec, 4096);
	evtchn_clear(&ec, 4096);
	evtchn_mask(&ec, 0xffffffffu);
	ck_assert_uint_eq(si.wc_version, 77);
	ck_assert_uint_eq(si.evtchn_mask[63], BIT(63));
	ck_assert_int_eq(evtchn_notify(&ec, 4095), 0);
	ck_assert_uint_eq(xen.send_port, 4095);
}
END_TEST

static void unbind_next(uint32_t port, void *arg)
{
	rec(port, arg);
	ck_assert_int_eq(evtchn_unbind(&ec, port + 1), 0);
}

START_TEST(test_handler_unbinds_other)
{
	bind_live(20, unbind_next, NULL);
	bind_live(21, NULL, NULL);
	xen_raise(20);
	xen_raise(21);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 1);
	ck_assert_uint_eq(ec.events[21], 0);
	ck_assert_uint_eq(ec.spurious, 0);
	ck_assert(!test_bit(si.evtchn_pending, 21));
	ck_assert(test_bit(si.evtchn_mask, 21));
	assert_quiet();
}
END_TEST

START_TEST(test_unbind_rebind)
{
	bind_live(9, NULL, NULL);
	evtchn_mask(&ec, 9);
	xen_raise(9);
	ck_assert_int_eq(evtchn_unbind(&ec, 9), 0);
	ck_assert(!test_bit(si.evtchn_pending, 9));
	ck_assert(test_bit(si.evtchn_mask, 9));
	ck_assert_ptr_null(ec.handlers[9].fn);
	ck_assert_int_eq(evtchn_unbind(&ec, 9), -ENOENT);
	ck_assert_int_eq(evtchn_bind(&ec, 9, stuck, &ec), 0);
	ck_assert_ptr_eq(ec.handlers[9].arg, &ec);
}
END_TEST

START_TEST(test_other_vcpus)
{
	bind_live(40, NULL, NULL);
	xen_raise_on(40, 1);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 0); /* vCPU 0's selector is empty */
	ck_assert(evtchn_has_work(&ec, 1));
	ck_assert_uint_eq(evtchn_demux(&ec, 1), 1);
	ck_assert(!evtchn_has_work(&ec, 1));
	ck_assert_uint_eq(evtchn_demux(&ec, XEN_LEGACY_MAX_VCPUS), 0);
	ck_assert(!evtchn_has_work(&ec, XEN_LEGACY_MAX_VCPUS));
	ck_assert_uint_eq(ec.upcalls, 2);
}
END_TEST

START_TEST(test_wrappers)
{
	uint32_t port = 0;

	xen.new_port = 17;
	si.evtchn_mask[0] = 0;
	ck_assert_int_eq(evtchn_alloc_unbound(&ec, 0, &port), 0);
	ck_assert_uint_eq(port, 17);
	ck_assert(test_bit(si.evtchn_mask, 17)); /* masked until bound */
	xen.new_port = 2000;
	ck_assert_int_eq(evtchn_bind_virq(&ec, 0, 0, &port), -ENOSPC);
	ck_assert_uint_eq(xen.close_calls, 1);
	ck_assert_uint_eq(xen.close_port, 2000);
	xen.new_rc = -EBUSY;
	ck_assert_int_eq(evtchn_alloc_unbound(&ec, 0, &port), -EBUSY);

	bind_live(17, NULL, NULL);
	ck_assert_int_eq(evtchn_close(&ec, 17), 0);
	ck_assert_uint_eq(xen.close_port, 17);
	ck_assert_ptr_null(ec.handlers[17].fn);
	ck_assert(test_bit(si.evtchn_mask, 17));
	ck_assert_int_eq(evtchn_notify(&ec, 17), 0);
	ck_assert_uint_eq(xen.send_calls, 1);
	ck_assert_uint_eq(xen.bad_ctx, 0);

	evtchn_init(&ec, &si, &no_ops, NULL);
	ck_assert_int_eq(evtchn_alloc_unbound(&ec, 0, &port), -ENOSYS);
	ck_assert_int_eq(evtchn_bind_virq(&ec, 0, 0, &port), -ENOSYS);
	ck_assert_int_eq(evtchn_notify(&ec, 1), -ENOSYS);
	ck_assert_int_eq(evtchn_close(&ec, 1), -ENOSYS);
	/* No unmask op: the pending port is still re-raised by hand. */
	ck_assert_int_eq(evtchn_bind(&ec, 8, rec, NULL), 0);
	xen_raise(8);
	ck_assert_int_eq(evtchn_unmask(&ec, 8), -ENOSYS);
	ck_assert_uint_eq(evtchn_demux(&ec, 0), 1);
}
END_TEST

/* Random raises, masks and unmasks against a model of which port must run. */
START_TEST(test_random_vs_model)
{
	static bool bound[EVTCHN_MAX_PORTS], masked[EVTCHN_MAX_PORTS], owed[EVTCHN_MAX_PORTS];
	static unsigned int want[EVTCHN_MAX_PORTS];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	memset(bound, 0, sizeof(bound));
	memset(masked, 0, sizeof(masked));
	memset(owed, 0, sizeof(owed));
	memset(want, 0, sizeof(want));
	for (int step = 0; step < 20000; step++) {
		uint32_t port;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		port = (uint32_t)(x >> 20) % 160 * 6; /* spread over words 0..14 */
		switch ((x >> 8) % 6) {
		case 0:
		case 1:
			/* An event: runs at the next demux unless masked. */
			if (bound[port] && !test_bit(si.evtchn_pending, port))
				owed[port] = true;
			xen_raise(port);
			break;
		case 2:
			if (!bound[port]) {
				ck_assert_int_eq(evtchn_bind(&ec, port, rec, NULL), 0);
				bound[port] = masked[port] = true;
				/* An event from before the bind is delivered, not dropped. */
				owed[port] = test_bit(si.evtchn_pending, port);
			} else if (masked[port]) {
				ck_assert_int_eq(evtchn_unmask(&ec, port), 0);
				masked[port] = false;
			} else {
				evtchn_mask(&ec, port);
				masked[port] = true;
			}
			break;
		default:
			nlog = 0;
			(void)evtchn_demux(&ec, 0);
			for (unsigned int i = 0; i < nlog; i++) {
				ck_assert(owed[hlog[i]]);
				owed[hlog[i]] = false;
				want[hlog[i]]++;
			}
			for (uint32_t p = 0; p < EVTCHN_MAX_PORTS; p++)
				if (owed[p] && !masked[p])
					ck_abort_msg("port %u lost an event", p);
			break;
		}
	}
	for (uint32_t p = 0; p < EVTCHN_MAX_PORTS; p++)
		ck_assert_uint_eq(ec.events[p], want[p]);
	ck_assert_uint_eq(ec.spurious, 0);
	ck_assert_uint_eq(pending_at_entry, 0);
}
END_TEST

static Suite *evtchn_suite(void)
{
	Suite *s = suite_create("evtchn");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init_masks_everything);
	tcase_add_test(tc, test_bind_unbind_errors);
	tcase_add_test(tc, test_many_ports);
	tcase_add_test(tc, test_event_during_handler);
	tcase_add_test(tc, test_software_retrigger);
	tcase_add_test(tc, test_masked_not_dispatched);
	tcase_add_test(tc, test_unmask_pending_reraises);
	tcase_add_test(tc, test_unmask_not_pending_no_hypercall);
	tcase_add_test(tc, test_unmask_hypercall_fails);
	tcase_add_test(tc, test_unknown_ports_masked);
	tcase_add_test(tc, test_stuck_port_bounded);
	tcase_add_test(tc, test_storm_defers_all);
	tcase_add_test(tc, test_edge_shifts);
	tcase_add_test(tc, test_handler_unbinds_other);
	tcase_add_test(tc, test_unbind_rebind);
	tcase_add_test(tc, test_other_vcpus);
	tcase_add_test(tc, test_wrappers);
	tcase_add_test(tc, test_random_vs_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(evtchn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
