// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for xen/gnttab.c. The grant table is ordinary (mmap'd) memory,
 * the map_frame hypercall is a fake that records its arguments, and the
 * "backend" maps and unmaps a grant by setting and clearing GTF_reading /
 * GTF_writing the way Xen does.
 */
#define _GNU_SOURCE /* REG_EFL in ucontext_t */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "sluice/gnttab.h"

#define EPF GNTTAB_ENTRIES_PER_FRAME
#define RSV GNTTAB_NR_RESERVED_ENTRIES
#define MAXF 8U
#define BASE_GPFN 0xfe000ULL
#define BACKEND 7

static grant_entry_v1_t *tbl; /* MAXF frames */
static uint32_t store[MAXF * 512];
static struct gnttab g;

static struct {
	unsigned int calls;
	unsigned int idx[64];
	uint64_t gpfn[64];
	unsigned int refuse_from; /* map_frame fails for idx >= this */
	int refuse_rc;
	unsigned int bad_ctx;
} fk;

static int fake_map(void *ctx, unsigned int idx, uint64_t gpfn)
{
	if (ctx != &fk)
		fk.bad_ctx++;
	if (fk.calls < 64) {
		fk.idx[fk.calls] = idx;
		fk.gpfn[fk.calls] = gpfn;
	}
	fk.calls++;
	return idx >= fk.refuse_from ? fk.refuse_rc : 0;
}

static const struct gnttab_ops ops = {.map_frame = fake_map};
static const struct gnttab_ops no_map = {0};

static void setup(void)
{
	tbl = mmap(NULL, MAXF * GNTTAB_FRAME_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(tbl, MAP_FAILED);
	/* The toolstack's reserved entries (console, xenstore): must never change. */
	for (unsigned int r = 0; r < RSV; r++)
		tbl[r] = (grant_entry_v1_t){
			.flags = GTF_permit_access, .domid = 0, .frame = 0xc0de + r};
	memset(&fk, 0, sizeof(fk));
	fk.refuse_from = UINT_MAX;
	memset(store, 0xaa, sizeof(store));
}

static void teardown(void)
{
	munmap(tbl, MAXF * GNTTAB_FRAME_SIZE);
}

static void init_default(unsigned int initial, unsigned int max)
{
	ck_assert_int_eq(gnttab_init(&g, tbl, BASE_GPFN, initial, max, store, &ops, &fk), 0);
}

static void assert_reserved_intact(void)
{
	for (unsigned int r = 0; r < RSV; r++) {
		ck_assert_uint_eq(tbl[r].flags, GTF_permit_access);
		ck_assert_uint_eq(tbl[r].domid, 0);
		ck_assert_uint_eq(tbl[r].frame, 0xc0de + r);
	}
}

/* Backend maps / unmaps: Xen sets and clears these bits in flags. */
static void backend_set(int ref, uint16_t bits)
{
	__atomic_fetch_or(&tbl[ref].flags, bits, __ATOMIC_SEQ_CST);
}

static void backend_clear(int ref, uint16_t bits)
{
	__atomic_fetch_and(&tbl[ref].flags, (uint16_t)~bits, __ATOMIC_SEQ_CST);
}

static int grant(uint64_t gfn)
{
	return gnttab_grant_access(&g, BACKEND, gfn, false);
}

START_TEST(test_storage_words)
{
	ck_assert_uint_eq(gnttab_storage_words(0), 0);
	ck_assert_uint_eq(gnttab_storage_words(1), 512);
	ck_assert_uint_eq(gnttab_storage_words(MAXF), sizeof(store) / sizeof(store[0]));
	ck_assert_uint_eq(EPF, 512);
	ck_assert_uint_eq(sizeof(grant_entry_v1_t), 8);
}
END_TEST

START_TEST(test_init_errors)
{
	ck_assert_int_eq(gnttab_init(&g, NULL, BASE_GPFN, 1, 4, store, &ops, &fk), -EINVAL);
	ck_assert_int_eq(gnttab_init(&g, tbl, BASE_GPFN, 1, 4, NULL, &ops, &fk), -EINVAL);
	ck_assert_int_eq(gnttab_init(&g, tbl, BASE_GPFN, 1, 4, store, NULL, &fk), -EINVAL);
	ck_assert_int_eq(gnttab_init(&g, tbl, BASE_GPFN, 1, 4, store, &no_map, &fk), -EINVAL);
	ck_assert_int_eq(gnttab_init(&g, tbl, BASE_GPFN, 0, 4, store, &ops, &fk), -EINVAL);
	ck_assert_int_eq(gnttab_init(&g, tbl, BASE_GPFN, 5, 4, store, &ops, &fk), -EINVAL);
	ck_assert_int_eq(
		gnttab_init(&g, tbl, BASE_GPFN, 1, GNTTAB_MAX_FRAMES + 1, store, &ops, &fk),
		-EINVAL);
	ck_assert_int_eq(gnttab_init(&g, tbl, (1ULL << 52) - 2, 1, 4, store, &ops, &fk), -EINVAL);
	ck_assert_int_eq(gnttab_init(&g, tbl, UINT64_MAX, 1, 1, store, &ops, &fk), -EINVAL);
	ck_assert_uint_eq(fk.calls, 0);
	/* Xen refuses the second initial frame. */
	fk.refuse_from = 1;
	fk.refuse_rc = -ENOMEM;
	ck_assert_int_eq(gnttab_init(&g, tbl, BASE_GPFN, 2, 4, store, &ops, &fk), -ENOMEM);
	ck_assert_uint_eq(fk.calls, 2);
	assert_reserved_intact();
}
END_TEST

START_TEST(test_init_maps_initial_frames)
{
	init_default(3, 4);
	ck_assert_uint_eq(fk.calls, 3);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_uint_eq(fk.idx[i], i);
		ck_assert_uint_eq(fk.gpfn[i], BASE_GPFN + i);
	}
	ck_assert_uint_eq(g.nr_frames, 3);
	ck_assert_uint_eq(g.nr_free, 3 * EPF - RSV);
	ck_assert_uint_eq(g.in_use, 0);
	ck_assert_uint_eq(fk.bad_ctx, 0);
	assert_reserved_intact();
}
END_TEST

START_TEST(test_alloc_skips_reserved)
{
	static bool seen[2 * 512];

	init_default(2, 2);
	for (unsigned int i = 0; i < 2 * EPF - RSV; i++) {
		int ref = grant(0x1000 + i);

		ck_assert_int_ge(ref, (int)RSV);
		ck_assert_int_lt(ref, (int)(2 * EPF));
		ck_assert(!seen[ref]);
		seen[ref] = true;
		if (i == 0)
			ck_assert_int_eq(ref, RSV); /* lowest free ref first */
	}
	ck_assert_int_eq(grant(1), -ENOSPC);
	ck_assert_uint_eq(g.in_use, 2 * EPF - RSV);
	ck_assert_uint_eq(g.nr_free, 0);
	assert_reserved_intact();
}
END_TEST

START_TEST(test_entry_contents)
{
	int rw, ro;
	unsigned int nfree;

	init_default(1, 1);
	rw = gnttab_grant_access(&g, 3, 0x12345, false);
	ro = gnttab_grant_access(&g, 0x7fef, 0xffffffffULL, true);
	ck_assert_int_ge(rw, RSV);
	ck_assert_int_ge(ro, RSV);
	ck_assert_uint_eq(tbl[rw].flags, GTF_permit_access);
	ck_assert_uint_eq(tbl[rw].domid, 3);
	ck_assert_uint_eq(tbl[rw].frame, 0x12345);
	ck_assert_uint_eq(tbl[ro].flags, GTF_permit_access | GTF_readonly);
	ck_assert_uint_eq(tbl[ro].domid, 0x7fef);
	ck_assert_uint_eq(tbl[ro].frame, 0xffffffffU);
	/* v1 frames are 32 bits: refused, and no ref consumed. */
	nfree = g.nr_free;
	ck_assert_int_eq(gnttab_grant_access(&g, 3, 0x100000000ULL, false), -ERANGE);
	ck_assert_uint_eq(g.nr_free, nfree);
}
END_TEST

START_TEST(test_growth)
{
	int ref;

	init_default(1, 3);
	ck_assert_uint_eq(fk.calls, 1);
	for (unsigned int i = 0; i < EPF - RSV; i++)
		ck_assert_int_lt(grant(i), (int)EPF);
	ck_assert_uint_eq(fk.calls, 1); /* no growth while refs were free */

	ref = grant(0x999);
	ck_assert_uint_eq(fk.calls, 2);
	ck_assert_uint_eq(fk.idx[1], 1);
	ck_assert_uint_eq(fk.gpfn[1], BASE_GPFN + 1);
	ck_assert_int_eq(ref, EPF); /* first ref of the new frame */
	ck_assert_uint_eq(tbl[ref].frame, 0x999);
	for (unsigned int i = 1; i < EPF; i++)
		ck_assert_int_eq(grant(i), EPF + i);

	ck_assert_int_eq(grant(1), 2 * EPF);
	ck_assert_uint_eq(fk.calls, 3);
	ck_assert_uint_eq(fk.idx[2], 2);
	ck_assert_uint_eq(fk.gpfn[2], BASE_GPFN + 2);
	for (unsigned int i = 1; i < EPF; i++)
		ck_assert_int_ge(grant(i), 0);

	ck_assert_int_eq(grant(1), -ENOSPC);
	ck_assert_int_eq(grant(1), -ENOSPC);
	ck_assert_uint_eq(fk.calls, 3); /* no hypercall past max_frames */
	ck_assert_uint_eq(g.nr_frames, 3);
	ck_assert_uint_eq(g.in_use, 3 * EPF - RSV);
	/* Freeing one makes room without growing. */
	ck_assert_int_eq(gnttab_end_access(&g, 600), 0);
	ck_assert_int_eq(grant(1), 600);
	ck_assert_uint_eq(fk.calls, 3);
	assert_reserved_intact();
}
END_TEST

START_TEST(test_growth_refused_by_xen)
{
	init_default(1, 4);
	fk.refuse_from = 2;
	fk.refuse_rc = -EINVAL;
	for (unsigned int i = 0; i < 2 * EPF - RSV; i++)
		ck_assert_int_ge(grant(i), 0);
	ck_assert_int_eq(grant(1), -EINVAL);
	ck_assert_uint_eq(fk.calls, 3);
	/* Xen's limit is 2 frames: no more failing hypercalls. */
	ck_assert_int_eq(grant(1), -ENOSPC);
	ck_assert_uint_eq(fk.calls, 3);
	ck_assert_uint_eq(g.max_frames, 2);
	ck_assert_uint_eq(g.nr_free, 0);
}
END_TEST

START_TEST(test_end_access)
{
	int a, b;

	init_default(1, 1);
	a = grant(0x10);
	b = grant(0x11);
	ck_assert_uint_eq(g.in_use, 2);
	ck_assert_int_eq(gnttab_end_access(&g, a), 0);
	ck_assert_uint_eq(tbl[a].flags, 0);
	ck_assert_uint_eq(g.in_use, 1);
	ck_assert_uint_eq(g.nr_free, EPF - RSV - 1);
	/* The freed ref is handed out again. */
	ck_assert_int_eq(grant(0x12), a);
	ck_assert_uint_eq(tbl[a].frame, 0x12);
	ck_assert_int_eq(gnttab_end_access(&g, b), 0);
	ck_assert_int_eq(gnttab_end_access(&g, a), 0);
	ck_assert_uint_eq(g.in_use, 0);
	ck_assert_uint_eq(g.nr_free, EPF - RSV);
}
END_TEST

/* Grant every free ref, checking that @ref is not among them. */
static void assert_never_handed_out(int ref)
{
	int r;

	while ((r = grant(0x77)) >= 0)
		ck_assert_int_ne(r, ref);
	ck_assert_int_eq(r, -ENOSPC);
}

static void check_busy(uint16_t bit)
{
	int ref;

	teardown(); /* fresh table for each flag */
	setup();
	init_default(1, 1);
	ref = grant(0x20);
	backend_set(ref, bit);
	ck_assert_int_eq(gnttab_end_access(&g, ref), -EBUSY);
	ck_assert_int_eq(gnttab_end_access(&g, ref), -EBUSY);
	ck_assert_uint_eq(g.busy, 2);
	/* Still granted, still the caller's ref. */
	ck_assert_uint_eq(tbl[ref].flags, GTF_permit_access | bit);
	ck_assert_uint_eq(tbl[ref].frame, 0x20);
	ck_assert_uint_eq(g.in_use, 1);
	ck_assert_uint_eq(g.nr_free, EPF - RSV - 1);
	assert_never_handed_out(ref);
	/* The backend unmaps: now it can be revoked. */
	backend_clear(ref, bit);
	ck_assert_int_eq(gnttab_end_access(&g, ref), 0);
	ck_assert_uint_eq(tbl[ref].flags, 0);
	ck_assert_int_eq(grant(0x21), ref);
}

START_TEST(test_end_access_busy)
{
	check_busy(GTF_reading);
	check_busy(GTF_writing);
	check_busy(GTF_reading | GTF_writing);
}
END_TEST

START_TEST(test_bad_refs)
{
	int a;

	init_default(1, 2);
	a = grant(0x30);
	ck_assert_int_eq(gnttab_end_access(&g, a), 0);
	ck_assert_int_eq(gnttab_end_access(&g, a), -EINVAL); /* double end */
	ck_assert_uint_eq(g.nr_free, EPF - RSV);
	ck_assert_uint_eq(g.in_use, 0);
	for (int r = 0; r < (int)RSV; r++)
		ck_assert_int_eq(gnttab_end_access(&g, r), -EINVAL);
	ck_assert_int_eq(gnttab_end_access(&g, -1), -EINVAL);
	ck_assert_int_eq(gnttab_end_access(&g, INT_MIN), -EINVAL);
	ck_assert_int_eq(gnttab_end_access(&g, EPF), -EINVAL);	   /* frame 1 not mapped yet */
	ck_assert_int_eq(gnttab_end_access(&g, 2 * EPF), -EINVAL); /* beyond max */
	ck_assert_int_eq(gnttab_end_access(&g, INT_MAX), -EINVAL);
	ck_assert_int_eq(gnttab_end_access(&g, a + 1), -EINVAL); /* never granted */
	ck_assert_int_eq(gnttab_quarantine(&g, a, NULL), -EINVAL);
	ck_assert_int_eq(gnttab_quarantine(&g, 1, NULL), -EINVAL);
	ck_assert_int_eq(gnttab_quarantine(&g, -5, NULL), -EINVAL);
	ck_assert_uint_eq(g.nr_free, EPF - RSV);
	ck_assert_uint_eq(g.busy, 0);
	assert_reserved_intact();
}
END_TEST

static void *released[2 * GNTTAB_QUARANTINE_MAX];
static unsigned int nreleased;

static void release_cb(void *cookie, void *arg)
{
	ck_assert_ptr_eq(arg, &g);
	ck_assert_uint_lt(nreleased, sizeof(released) / sizeof(released[0]));
	released[nreleased++] = cookie;
}

START_TEST(test_quarantine_reap)
{
	static char page1[16], page2[16];
	int r1, r2, r3;

	init_default(1, 1);
	nreleased = 0;
	r1 = grant(0x41);
	r2 = grant(0x42);
	r3 = grant(0x43);
	backend_set(r1, GTF_writing);
	backend_set(r2, GTF_reading);
	ck_assert_int_eq(gnttab_end_access(&g, r1), -EBUSY);
	ck_assert_int_eq(gnttab_end_access(&g, r2), -EBUSY);
	ck_assert_int_eq(gnttab_quarantine(&g, r1, page1), 0);
	ck_assert_int_eq(gnttab_quarantine(&g, r2, page2), 0);
	ck_assert_uint_eq(g.quarantined, 2);
	/* The quarantine owns them now. */
	ck_assert_int_eq(gnttab_quarantine(&g, r1, page1), -EINVAL);
	ck_assert_int_eq(gnttab_end_access(&g, r1), -EINVAL);

	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), 0); /* still mapped */
	ck_assert_uint_eq(nreleased, 0);

	backend_clear(r1, GTF_writing);
	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), 1);
	ck_assert_uint_eq(nreleased, 1);
	ck_assert_ptr_eq(released[0], page1);
	ck_assert_uint_eq(tbl[r1].flags, 0);
	ck_assert_uint_eq(g.quarantined, 1);
	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), 0); /* exactly once */
	ck_assert_uint_eq(nreleased, 1);

	backend_clear(r2, GTF_reading);
	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), 1);
	ck_assert_ptr_eq(released[1], page2);
	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), 0);
	ck_assert_uint_eq(nreleased, 2);
	ck_assert_uint_eq(g.quarantined, 0);
	ck_assert_uint_eq(g.reaped, 2);
	ck_assert_uint_eq(g.in_use, 1); /* r3 */
	ck_assert_int_eq(gnttab_end_access(&g, r3), 0);
	ck_assert_uint_eq(g.nr_free, EPF - RSV);
	/* A NULL callback is allowed. */
	r1 = grant(0x44);
	backend_set(r1, GTF_reading);
	ck_assert_int_eq(gnttab_end_access(&g, r1), -EBUSY);
	ck_assert_int_eq(gnttab_quarantine(&g, r1, page1), 0);
	backend_clear(r1, GTF_reading);
	ck_assert_uint_eq(gnttab_reap(&g, NULL, NULL), 1);
	ck_assert_uint_eq(g.in_use, 0);
}
END_TEST

START_TEST(test_quarantine_full)
{
	static char pages[GNTTAB_QUARANTINE_MAX + 1];
	int refs[GNTTAB_QUARANTINE_MAX + 1];

	init_default(1, 1);
	nreleased = 0;
	for (unsigned int i = 0; i <= GNTTAB_QUARANTINE_MAX; i++) {
		refs[i] = grant(0x100 + i);
		backend_set(refs[i], GTF_reading);
		ck_assert_int_eq(gnttab_end_access(&g, refs[i]), -EBUSY);
	}
	for (unsigned int i = 0; i < GNTTAB_QUARANTINE_MAX; i++)
		ck_assert_int_eq(gnttab_quarantine(&g, refs[i], &pages[i]), 0);
	ck_assert_int_eq(gnttab_quarantine(&g, refs[GNTTAB_QUARANTINE_MAX], &pages[0]), -ENOSPC);
	ck_assert_uint_eq(g.quarantine_full, 1);
	ck_assert_uint_eq(g.quarantined, GNTTAB_QUARANTINE_MAX);
	/* The refused ref stays the caller's and stays granted. */
	ck_assert_int_eq(gnttab_end_access(&g, refs[GNTTAB_QUARANTINE_MAX]), -EBUSY);
	/* Release every other one: each cookie exactly once. */
	for (unsigned int i = 0; i < GNTTAB_QUARANTINE_MAX; i += 2)
		backend_clear(refs[i], GTF_reading);
	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), GNTTAB_QUARANTINE_MAX / 2);
	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), 0);
	for (unsigned int i = 0; i < nreleased; i++) {
		unsigned int idx = (unsigned int)((char *)released[i] - pages);

		ck_assert_uint_eq(idx % 2, 0);
		for (unsigned int j = 0; j < i; j++)
			ck_assert_ptr_ne(released[j], released[i]);
	}
	ck_assert_uint_eq(g.quarantined, GNTTAB_QUARANTINE_MAX / 2);
	/* Room again. */
	ck_assert_int_eq(gnttab_quarantine(&g, refs[GNTTAB_QUARANTINE_MAX], &pages[0]), 0);
}
END_TEST

/* A release callback that grants a new page and parks another busy ref. */
static int parked_from_cb = -1;

static void release_reenter(void *cookie, void *arg)
{
	int ref;

	release_cb(cookie, arg);
	if (parked_from_cb >= 0)
		return;
	ref = grant(0x500);
	ck_assert_int_ge(ref, RSV);
	backend_set(ref, GTF_writing);
	ck_assert_int_eq(gnttab_end_access(&g, ref), -EBUSY);
	ck_assert_int_eq(gnttab_quarantine(&g, ref, &parked_from_cb), 0);
	parked_from_cb = ref;
}

START_TEST(test_reap_reentrant_callback)
{
	int a, b;

	init_default(1, 1);
	nreleased = 0;
	a = grant(0x50);
	b = grant(0x51);
	backend_set(a, GTF_reading);
	backend_set(b, GTF_reading);
	ck_assert_int_eq(gnttab_end_access(&g, a), -EBUSY);
	ck_assert_int_eq(gnttab_end_access(&g, b), -EBUSY);
	ck_assert_int_eq(gnttab_quarantine(&g, a, &a), 0);
	ck_assert_int_eq(gnttab_quarantine(&g, b, &b), 0);
	backend_clear(a, GTF_reading);
	backend_clear(b, GTF_reading);
	ck_assert_uint_eq(gnttab_reap(&g, release_reenter, &g), 2);
	ck_assert_uint_eq(nreleased, 2);
	ck_assert_uint_eq(g.quarantined, 1);
	ck_assert_int_eq(g.parked[0].ref, parked_from_cb);
	ck_assert_uint_eq(g.in_use, 1);
	backend_clear(parked_from_cb, GTF_writing);
	ck_assert_uint_eq(gnttab_reap(&g, release_cb, &g), 1);
	ck_assert_ptr_eq(released[2], &parked_from_cb);
	ck_assert_uint_eq(g.in_use, 0);
	ck_assert_uint_eq(g.nr_free, EPF - RSV);
}
END_TEST

/*
 * Write order of gnttab_grant_access(), observed on the compiled code: the
 * table page is read-only, so every store to it faults. The SIGSEGV handler
 * snapshots the entry, makes the page writable and sets the trap flag; the
 * store then executes and the SIGTRAP handler snapshots the entry again and
 * write-protects the page. Each store is logged with the entry before/after.
 */
#if defined(__x86_64__) && defined(__linux__)
#define TRAP_MAX 16
#define EFLAGS_TF 0x100

static volatile grant_entry_v1_t *trap_ent;
static struct {
	grant_entry_v1_t before, after;
} trap_log[TRAP_MAX];
static volatile unsigned int trap_n;
static volatile unsigned int trap_stray;

static grant_entry_v1_t snap(void)
{
	grant_entry_v1_t e = {
		.flags = trap_ent->flags, .domid = trap_ent->domid, .frame = trap_ent->frame};
	return e;
}

static void on_segv(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	char *a = info->si_addr;

	(void)sig;
	if (a < (char *)tbl || a >= (char *)tbl + GNTTAB_FRAME_SIZE || trap_n >= TRAP_MAX) {
		signal(SIGSEGV, SIG_DFL); /* not ours: crash for real on return */
		return;
	}
	if (a < (char *)trap_ent || a >= (char *)(trap_ent + 1))
		trap_stray++;
	trap_log[trap_n].before = snap();
	mprotect(tbl, GNTTAB_FRAME_SIZE, PROT_READ | PROT_WRITE);
	uc->uc_mcontext.gregs[REG_EFL] |= EFLAGS_TF;
}

static void on_trap(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)info;
	trap_log[trap_n].after = snap();
	trap_n++;
	mprotect(tbl, GNTTAB_FRAME_SIZE, PROT_READ);
	uc->uc_mcontext.gregs[REG_EFL] &= ~EFLAGS_TF;
}

static void trap_handlers(bool on)
{
	struct sigaction sa = {0};

	if (!on) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGTRAP, SIG_DFL);
		return;
	}
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = on_segv;
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
	sa.sa_sigaction = on_trap;
	ck_assert_int_eq(sigaction(SIGTRAP, &sa, NULL), 0);
}

static void check_write_order(uint16_t domid, uint32_t frame, bool ro)
{
	uint16_t want = (uint16_t)(GTF_permit_access | (ro ? GTF_readonly : 0));
	unsigned int flag_writes = 0;
	int ref;

	trap_ent = &tbl[RSV + g.in_use]; /* the ref the next grant hands out */
	trap_n = 0;
	ck_assert_int_eq(mprotect(tbl, GNTTAB_FRAME_SIZE, PROT_READ), 0);
	ref = gnttab_grant_access(&g, domid, frame, ro);
	ck_assert_int_eq(mprotect(tbl, GNTTAB_FRAME_SIZE, PROT_READ | PROT_WRITE), 0);
	ck_assert_ptr_eq(&tbl[ref], (grant_entry_v1_t *)trap_ent);
	ck_assert_uint_eq(trap_stray, 0);
	ck_assert_uint_ge(trap_n, 2);
	for (unsigned int i = 0; i < trap_n; i++) {
		grant_entry_v1_t b = trap_log[i].before, a = trap_log[i].after;

		if (a.flags == b.flags)
			continue;
		flag_writes++;
		/* The store that sets flags is the last one, and domid and frame were already in
		 * place. */
		ck_assert_uint_eq(i, trap_n - 1);
		ck_assert_uint_eq(b.flags, 0);
		ck_assert_uint_eq(a.flags, want);
		ck_assert_uint_eq(b.domid, domid);
		ck_assert_uint_eq(b.frame, frame);
	}
	ck_assert_uint_eq(flag_writes, 1);
	ck_assert_uint_eq(tbl[ref].flags, want);
}

START_TEST(test_flags_written_last)
{
	init_default(1, 1);
	trap_handlers(true);
	check_write_order(BACKEND, 0x12345678, false);
	check_write_order(0x7ff1, 0xabcdef, true);
	/* A reused ref (old domid/frame still in the entry) too. */
	ck_assert_int_eq(gnttab_end_access(&g, RSV + 1), 0);
	ck_assert_int_eq(gnttab_end_access(&g, RSV), 0);
	check_write_order(1, 2, false);
	trap_handlers(false);
}
END_TEST
#endif

/* Random grants, busy backends, revokes, parks and reaps against a model. */
START_TEST(test_random_vs_model)
{
	enum { FREE, GRANTED, PARKED };
	static uint8_t state[MAXF * 512];
	static uint32_t gfn_of[MAXF * 512];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	unsigned int live = 0;

	memset(state, FREE, sizeof(state));
	init_default(1, 3);
	nreleased = 0;
	for (int step = 0; step < 50000; step++) {
		int ref;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		ref = (int)((x >> 16) % (3 * EPF));
		switch ((x >> 8) % 8) {
		case 0:
		case 1:
		case 2:
			ref = grant((uint32_t)step);
			if (live == 3 * EPF - RSV) {
				ck_assert_int_eq(ref, -ENOSPC);
				break;
			}
			ck_assert_int_ge(ref, RSV);
			ck_assert_uint_eq(state[ref], FREE);
			state[ref] = GRANTED;
			gfn_of[ref] = (uint32_t)step;
			live++;
			break;
		case 3:
			if (state[ref] == GRANTED)
				backend_set(ref, (x >> 40) & 1 ? GTF_reading : GTF_writing);
			break;
		case 4:
			if (state[ref] != FREE)
				backend_clear(ref, GTF_reading | GTF_writing);
			break;
		case 5:
		case 6: {
			bool busy = ref < (int)(3 * EPF) &&
				    (tbl[ref].flags & (GTF_reading | GTF_writing));
			int rc = gnttab_end_access(&g, ref);

			if (state[ref] != GRANTED) {
				ck_assert_int_eq(rc, -EINVAL);
			} else if (busy) {
				ck_assert_int_eq(rc, -EBUSY);
				if (gnttab_quarantine(&g, ref, &gfn_of[ref]) == 0)
					state[ref] = PARKED;
			} else {
				ck_assert_int_eq(rc, 0);
				state[ref] = FREE;
				live--;
			}
			break;
		}
		default: {
			unsigned int before = nreleased, n = gnttab_reap(&g, release_cb, &g);

			ck_assert_uint_eq(nreleased - before, n);
			for (unsigned int i = before; i < nreleased; i++) {
				int r = (int)((uint32_t *)released[i] - gfn_of);

				ck_assert_uint_eq(state[r], PARKED);
				ck_assert_uint_eq(tbl[r].flags, 0);
				state[r] = FREE;
				live--;
			}
			nreleased = 0;
			break;
		}
		}
		ck_assert_uint_eq(g.in_use, live);
		ck_assert_uint_eq(g.nr_free + live, g.nr_frames * EPF - RSV);
	}
	assert_reserved_intact();
}
END_TEST

static Suite *gnttab_suite(void)
{
	Suite *s = suite_create("gnttab");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_storage_words);
	tcase_add_test(tc, test_init_errors);
	tcase_add_test(tc, test_init_maps_initial_frames);
	tcase_add_test(tc, test_alloc_skips_reserved);
	tcase_add_test(tc, test_entry_contents);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_growth_refused_by_xen);
	tcase_add_test(tc, test_end_access);
	tcase_add_test(tc, test_end_access_busy);
	tcase_add_test(tc, test_bad_refs);
	tcase_add_test(tc, test_quarantine_reap);
	tcase_add_test(tc, test_quarantine_full);
	tcase_add_test(tc, test_reap_reentrant_callback);
#if defined(__x86_64__) && defined(__linux__)
	tcase_add_test(tc, test_flags_written_last);
#endif
	tcase_add_test(tc, test_random_vs_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gnttab_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
