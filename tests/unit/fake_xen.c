// SPDX-License-Identifier: BSD-2-Clause
/* The fake Xen of the frontend unit tests (see fake_xen.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "fake_kernel.h"
#include "fake_xen.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/xen_plat.h"
#include "sluice/xenstore.h"

#define FX_FRAMES 8 /* grant-table frames: room for the tests' largest sets */

static struct fake_xs *xs;
static fx_send_fn send_hook;
static struct shared_info *si;
static uint32_t next_port;
static bool in_upcall;
static grant_entry_v1_t *gtab;
static uint32_t gstore[FX_FRAMES * 512];

/* Deliver a pending upcall now, as the CPU would with interrupts on; never nested. */
static void upcall(void)
{
	if (in_upcall)
		return;
	in_upcall = true;
	while (__atomic_load_n(&si->vcpu_info[0].evtchn_upcall_pending, __ATOMIC_SEQ_CST))
		evtchn_demux(&xen_evtchn, 0);
	in_upcall = false;
}

static void raise_sel(uint32_t port)
{
	__atomic_fetch_or(&si->vcpu_info[0].evtchn_pending_sel, 1UL << (port / 64),
			  __ATOMIC_SEQ_CST);
	__atomic_store_n(&si->vcpu_info[0].evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

/* EVTCHNOP_unmask: clear MASK; if PENDING, raise the upcall again. */
static int ev_unmask(void *ctx, uint32_t port)
{
	unsigned long bit = 1UL << (port % 64);

	(void)ctx;
	__atomic_fetch_and(&si->evtchn_mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
	if (si->evtchn_pending[port / 64] & bit) {
		raise_sel(port);
		upcall();
	}
	return 0;
}

static int ev_send(void *ctx, uint32_t port)
{
	(void)ctx;
	if (send_hook)
		send_hook(port);
	return 0;
}

static int ev_close(void *ctx, uint32_t port)
{
	(void)ctx;
	(void)port;
	return 0;
}

static int ev_alloc(void *ctx, uint16_t remote, uint32_t *port)
{
	(void)ctx;
	ck_assert_uint_eq(remote, FX_BE_DOMID);
	*port = next_port++;
	return 0;
}

static const struct evtchn_ops ev_ops = {
	.unmask = ev_unmask, .send = ev_send, .close = ev_close, .alloc_unbound = ev_alloc};

/* The table is ordinary memory: nothing to map for a new frame. */
static int gt_map(void *ctx, unsigned int idx, uint64_t gpfn)
{
	(void)ctx;
	(void)idx;
	(void)gpfn;
	return 0;
}

static const struct gnttab_ops gt_ops = {.map_frame = gt_map};

void fx_init(struct fake_xs *store, fx_send_fn on_send)
{
	xs = store;
	send_hook = on_send;
	next_port = 16;
	in_upcall = false;
	si = calloc(1, sizeof(*si));
	ck_assert_ptr_nonnull(si);
	evtchn_init(&xen_evtchn, si, &ev_ops, NULL);
	gtab = mmap(NULL, FX_FRAMES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	ck_assert_ptr_ne(gtab, MAP_FAILED);
	ck_assert_int_eq(
		gnttab_init(&xen_gnttab, gtab, 0x100000, 1, FX_FRAMES, gstore, &gt_ops, NULL), 0);
	fake_init(xs, 0xFFFFFF00u);
	ck_assert_int_eq(xs_init(&xen_xs, &xs->ring, &fake_ops, xs), 0);
}

void fx_notify(uint32_t port)
{
	unsigned long bit = 1UL << (port % 64);
	unsigned int w = port / 64;

	if (__atomic_fetch_or(&si->evtchn_pending[w], bit, __ATOMIC_SEQ_CST) & bit)
		return;
	if (si->evtchn_mask[w] & bit)
		return;
	raise_sel(port);
	upcall();
}

void *fx_map(int ref, bool write)
{
	grant_entry_v1_t *e;

	ck_assert_msg(ref >= 8 && (unsigned int)ref < xen_gnttab.nr_frames * 512, "bad ref %d",
		      ref);
	e = &gtab[ref];
	ck_assert_msg((e->flags & 3) == GTF_permit_access, "ref %d not granted", ref);
	ck_assert_uint_eq(e->domid, FX_BE_DOMID);
	ck_assert_msg(!write || !(e->flags & GTF_readonly), "ref %d is read-only", ref);
	__atomic_fetch_or(&e->flags, GTF_reading | (write ? GTF_writing : 0), __ATOMIC_SEQ_CST);
	return fx_frame(ref);
}

void fx_unmap(int ref, bool write)
{
	__atomic_fetch_and(&gtab[ref].flags, (uint16_t) ~(GTF_reading | (write ? GTF_writing : 0)),
			   __ATOMIC_SEQ_CST);
}

void *fx_frame(int ref)
{
	return (void *)((uintptr_t)gtab[ref].frame << 12);
}

unsigned int fx_mapped_refs(void)
{
	unsigned int n = 0;

	for (unsigned int i = 8; i < xen_gnttab.nr_frames * 512; i++)
		n += (gtab[i].flags & (GTF_reading | GTF_writing)) != 0;
	return n;
}

void fx_pump(void)
{
	unsigned int quiet = 0;

	for (unsigned int i = 0; i < 10000; i++) {
		fake_step(xs);
		xs_poll(&xen_xs);
		if (xen_xs.evq_count == 0 && xs->out_len == 0 && !xs_rx_pending(&xen_xs) &&
		    !shim_work_pending()) {
			if (++quiet == 2)
				return;
			continue;
		}
		quiet = 0;
		xs_dispatch_watches(&xen_xs);
		shim_run_work();
	}
	ck_abort_msg("pump: xenstore traffic never settles");
}

void fx_set_state(const char *node, int state)
{
	char p[FAKE_PATH_MAX], b[4];

	snprintf(p, sizeof(p), "%s/state", node);
	snprintf(b, sizeof(b), "%d", state);
	fake_kv_write(xs, p, b);
}

int fx_state(const char *node)
{
	char p[FAKE_PATH_MAX];
	const char *s;

	snprintf(p, sizeof(p), "%s/state", node);
	s = fake_kv_get(xs, p, NULL);
	return s ? atoi(s) : -1;
}

long fx_num(const char *node, const char *key)
{
	char p[FAKE_PATH_MAX];
	const char *s;

	snprintf(p, sizeof(p), "%s/%s", node, key);
	s = fake_kv_get(xs, p, NULL);
	ck_assert_msg(s != NULL, "frontend did not write %s", key);
	return strtol(s, NULL, 10);
}
