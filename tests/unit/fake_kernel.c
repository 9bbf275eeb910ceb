// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel shim shared by the driver fakes (see fake_kernel.h). Single
 * threaded, like the fakes that use it.
 */
#define _GNU_SOURCE /* MAP_FIXED_NOREPLACE */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_kernel.h"
#include "fake_xenstore.h"
#include "sluice/evloop.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/timerq.h"
#include "sluice/xen_plat.h"
#include "sluice/xenbus.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The driver's view of the platform (xen_plat.h). */
struct evtchn_ctl xen_evtchn;
struct xs_client xen_xs;
struct gnttab xen_gnttab;
uint32_t xen_domid = FAKE_DOMID;

/* The clock: the fake xenstored's, set by shim_kernel_init(). */
static struct fake_xs *clock_xs;
static bool work_needs_fn;

/* ---- pages: a low arena, so that frame numbers fit a v1 grant entry ---- */

#define ARENA_PAGES 8192U
enum { PG_UNUSED, PG_LIVE, PG_FREE };

static uint8_t *arena;
static uintptr_t arena_base;
static uint8_t pg_state[ARENA_PAGES];
static uint32_t fifo[ARENA_PAGES]; /* freed pages, reused oldest first */
static unsigned int fifo_head, fifo_len, next_fresh, live;
static int fail_after = -1;

static void arena_init(void)
{
	if (arena)
		munmap(arena, (size_t)ARENA_PAGES * 4096);
	arena = mmap((void *)arena_base, (size_t)ARENA_PAGES * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_eq(arena, (void *)arena_base);
	memset(pg_state, 0, sizeof(pg_state));
	fifo_head = fifo_len = next_fresh = live = 0;
	fail_after = -1;
	POISON(arena, (size_t)ARENA_PAGES * 4096);
}

void *page_alloc(size_t npages)
{
	uint32_t i;

	ck_assert_uint_eq(npages, 1);
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	if (next_fresh < ARENA_PAGES) {
		i = next_fresh++;
	} else {
		ck_assert_msg(fifo_len > 0, "arena exhausted");
		i = fifo[fifo_head];
		fifo_head = (fifo_head + 1) % ARENA_PAGES;
		fifo_len--;
	}
	pg_state[i] = PG_LIVE;
	live++;
	UNPOISON(arena + (size_t)i * 4096, 4096);
	memset(arena + (size_t)i * 4096, 0, 4096);
	return arena + (size_t)i * 4096;
}

void page_free(void *p, size_t npages)
{
	size_t i = ((uint8_t *)p - arena) / 4096;

	ck_assert_uint_eq(npages, 1);
	ck_assert_msg((uint8_t *)p >= arena && i < ARENA_PAGES && ((uintptr_t)p & 4095) == 0,
		      "page_free(%p): not an arena page", p);
	ck_assert_msg(pg_state[i] == PG_LIVE, "page_free(%p): not allocated", p);
	pg_state[i] = PG_FREE;
	live--;
	memset(p, 0xdd, 4096);
	POISON(p, 4096);
	fifo[(fifo_head + fifo_len++) % ARENA_PAGES] = (uint32_t)i;
}

bool shim_page_live(const void *page)
{
	size_t i = ((const uint8_t *)page - arena) / 4096;

	return (const uint8_t *)page >= arena && i < ARENA_PAGES && pg_state[i] == PG_LIVE;
}

unsigned int shim_pages_live(void)
{
	return live;
}

void shim_page_fail_after(int n)
{
	fail_after = n;
}

/* ---- log, clock, timers, work ---- */

#define LOG_LINES 512
static char log_lines[LOG_LINES][200];
static unsigned int nlog;

int kprintf(const char *fmt, ...)
{
	char b[200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (getenv("SLUICE_TEST_VERBOSE") || getenv("NF_TEST_VERBOSE") || getenv("BF_TEST_VERBOSE"))
		fprintf(stderr, "kprintf: %s", b);
	if (nlog < LOG_LINES)
		memcpy(log_lines[nlog++], b, sizeof(b));
	return n;
}

unsigned int shim_log_count(const char *needle)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nlog; i++)
		n += strstr(log_lines[i], needle) != NULL;
	return n;
}

static struct timerq timers;
static struct work *work_head, **work_tail = &work_head;

uint64_t now_ns(void)
{
	return clock_xs->now;
}

uint64_t shim_now(void)
{
	return clock_xs->now;
}

void timer_arm_at(struct timer *t, uint64_t deadline)
{
	timerq_arm(&timers, t, deadline);
}

void timer_arm_in(struct timer *t, uint64_t delay)
{
	timerq_arm(&timers, t, now_ns() + delay);
}

void timer_cancel(struct timer *t)
{
	timerq_cancel(&timers, t);
}

void work_post(struct work *w)
{
	if (w->queued)
		return;
	if (work_needs_fn)
		ck_assert_ptr_nonnull(w->fn);
	w->queued = true;
	w->next = NULL;
	*work_tail = w;
	work_tail = &w->next;
}

void shim_run_work(void)
{
	for (unsigned int i = 0; i < 100000; i++) {
		struct work *w = work_head;
		struct timer *t;

		if (w) {
			work_head = w->next;
			if (!work_head)
				work_tail = &work_head;
			w->queued = false;
			w->fn(w);
			continue;
		}
		t = timerq_pop_expired(&timers, now_ns());
		if (!t)
			return;
		t->fn(t, t->arg);
	}
	ck_abort_msg("loop work never settles");
}

/*
 * Start-up waits (kernel/blkdev.c's synchronous wrappers, hc_run): the loop
 * runs until the flag is set, and time passes while nothing is due.
 */
int evloop_wait_flag(volatile bool *flag, uint64_t deadline)
{
	while (!*flag) {
		shim_run_work();
		if (*flag)
			break;
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		clock_xs->now += 1000000; /* nothing is due: let time pass */
	}
	return 0;
}

void shim_advance(uint64_t ns)
{
	clock_xs->now += ns;
	shim_run_work();
}

void shim_kernel_init(uintptr_t base, struct fake_xs *clock, bool needs_fn)
{
	ck_assert_ptr_nonnull(clock);
	arena_base = base;
	clock_xs = clock;
	work_needs_fn = needs_fn;
	arena_init();
	nlog = 0;
	timerq_init(&timers);
	work_head = NULL;
	work_tail = &work_head;
}

bool shim_work_pending(void)
{
	return work_head != NULL;
}
