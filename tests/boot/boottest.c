/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-guest half of the boot tests: `test=NAME` picks a scenario. Each one
 * prints what the host-side script asserts and stops with a status; the
 * negative ones must die with the kernel's fault or panic report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/plat.h"
#include "sluice/random.h"
#include "sluice/x86.h"

static char test[32] = "basic";
static uint64_t tolerance_pct = 5;
static uint64_t late_ms = 1;

static const struct cmdline_opt boottest_opts[] = {
	{.key = "test", .type = CMDLINE_STR, .dst = test, .dst_size = sizeof(test)},
	{.key = "tolerance-pct",
	 .type = CMDLINE_U64,
	 .dst = &tolerance_pct,
	 .min = 0,
	 .max = 1000,
	 .help = "timers: allowed lateness in percent"},
	{.key = "late-ms",
	 .type = CMDLINE_U64,
	 .dst = &late_ms,
	 .min = 0,
	 .max = 1000,
	 .help = "timers: allowed lateness in ms, on top of the percentage"},
	{.key = NULL},
};

/* Keep the compiler from proving the faults away. */
static void *volatile null_ptr;
static volatile int sink;

static int t_nullderef(void)
{
	return *(volatile int *)null_ptr;
}

static volatile int depth_limit = 1 << 30; /* never reached: the guard page is */

static __attribute__((noinline)) int recurse(int depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (depth >= depth_limit)
		return 0;
	return recurse(depth + 1) + frame[0];
}

static int t_stackoverflow(void)
{
	return recurse(0);
}

static int t_textwrite(void)
{
	*(volatile uint8_t *)(uintptr_t)&t_textwrite = 0xc3;
	return 0;
}

static int t_ud(void)
{
	__asm__ volatile("ud2");
	return 0;
}

static __attribute__((noinline)) void smash(const char *src, size_t n)
{
	char buf[16];

	memcpy(buf, src, n); /* n > sizeof(buf): overwrites the canary */
	sink = buf[3];
}

static int t_ssp(void)
{
	static const char big[64] = "0123456789abcdef0123456789abcdef0123456789abcdef";
	volatile size_t n = sizeof(big);

	smash(big, n);
	return 0;
}

/*
 * Sleeps of 10 ms, 100 ms and 1 s measured with the platform clock and
 * cross-checked against the TSC: never early, late by at most
 * `tolerance-pct` percent plus `late-ms` (default 1 ms; a loaded host
 * wakes a guest late, never early). Published keys bracket the run
 * ("timers-start", "timers-end") so the host can time it with its own
 * clock; "timers: span" is the guest's pvclock over the same bracket
 * (printing included), so that both measure one interval.
 */
static int t_timers(void)
{
	static const uint64_t ms[] = {10, 100, 1000};
	uint64_t total = 0, span0, span;
	int bad = 0;

	/* Warm-up: under TCG the first pass through the timer path is translated code. */
	evloop_wait_until(now_ns() + 1000000);
	if (plat->publish) /* separate keys: the host watches each one */
		plat->publish("timers-start", "1");
	span0 = now_ns(); /* the write is done: the host has seen it */
	for (size_t i = 0; i < ARRAY_SIZE(ms); i++) {
		uint64_t t0 = now_ns(), c0 = rdtsc(), t1, c1, slept, tsc_us;

		evloop_wait_until(t0 + ms[i] * 1000000);
		t1 = now_ns();
		c1 = rdtsc();
		slept = (t1 - t0) / 1000;
		tsc_us = plat_tsc_khz ? (c1 - c0) * 1000 / plat_tsc_khz : 0;
		total += slept;
		printf("timers: sleep %llu ms took %llu us (TSC %llu us)\n",
		       (unsigned long long)ms[i], (unsigned long long)slept,
		       (unsigned long long)tsc_us);
		if (slept < ms[i] * 1000 ||
		    slept > ms[i] * (1000 + 10 * tolerance_pct) + late_ms * 1000)
			bad = 1;
		/* Both clocks measured the same interval: they must agree within 1%. */
		if (tsc_us + 100 < slept * 99 / 100 || tsc_us > slept * 101 / 100 + 100)
			bad = 1;
	}
	span = (now_ns() - span0) / 1000; /* the end write has not started yet */
	if (plat->publish)
		plat->publish("timers-end", "1");
	printf("timers: total %llu us\n", (unsigned long long)total);
	printf("timers: span %llu us\n", (unsigned long long)span);
	return bad ? SLUICE_EXIT_FAILURE : SLUICE_EXIT_SUCCESS;
}

/* Timers fire in deadline order from the loop, and re-arming works. */
static struct timer tq[4];
static int fired[4], nfired;

static void on_timer(struct timer *t, void *arg)
{
	(void)t;
	fired[nfired++] = (int)(uintptr_t)arg;
	if (nfired == 4)
		evloop_stop(0);
}

static int t_evloop(void)
{
	static const uint64_t delay_ms[4] = {30, 10, 20, 40};
	uint64_t now = now_ns();

	for (int i = 0; i < 4; i++) {
		timer_init(&tq[i], on_timer, (void *)(uintptr_t)i);
		timer_arm_at(&tq[i], now + delay_ms[i] * 1000000);
	}
	evloop_run();
	printf("evloop: order %d %d %d %d\n", fired[0], fired[1], fired[2], fired[3]);
	return (fired[0] == 1 && fired[1] == 2 && fired[2] == 0 && fired[3] == 3) ? 0 : 1;
}

/* The heap is sized from RAM: most of it must really be allocatable. */
static int t_heap(void)
{
	uint64_t size = mm_heap_size(), got = 0;
	void *blocks[64];
	int n = 0;

	for (; n < 64; n++) {
		blocks[n] = malloc(size / 80);
		if (!blocks[n])
			break;
		memset(blocks[n], n, size / 80);
		got += size / 80;
	}
	for (int i = 0; i < n; i++) {
		const uint8_t *p = blocks[i];
		for (uint64_t j = 0; j < size / 80; j += 4096)
			if (p[j] != (uint8_t)i)
				return SLUICE_EXIT_FAILURE;
		free(blocks[i]);
	}
	void *pg = page_alloc(4);
	printf("heap: %llu KiB heap, allocated %llu KiB in %d blocks, page %p\n",
	       (unsigned long long)(size >> 10), (unsigned long long)(got >> 10), n, pg);
	if (!pg)
		return SLUICE_EXIT_FAILURE;
	page_free(pg, 4);
	return got * 10 >= size * 7 ? SLUICE_EXIT_SUCCESS : SLUICE_EXIT_FAILURE;
}

/*
 * SSE registers survive interrupts: keep a value in %xmm7 across a halt
 * that only a timer interrupt ends, many times over.
 */
static int t_sse(void)
{
	uint64_t end = now_ns() + 200 * 1000000ULL;
	int ok = 1, rounds = 0;

	while (now_ns() < end && ok) {
		double a = 1.0 + rounds, b;

		/* Interrupts off until the hlt: an early timer must still end it. */
		irq_disable();
		plat->timer_set(now_ns() + 100000);
		__asm__ volatile("movsd %1, %%xmm7\n\t"
				 "sti; hlt\n\t"
				 "movsd %%xmm7, %0"
				 : "=x"(b)
				 : "x"(a * 3.25)
				 : "xmm7");
		ok = b == (1.0 + rounds) * 3.25;
		rounds++;
	}
	printf("sse: %s after %d interrupts\n", ok ? "preserved" : "CORRUPTED", rounds);
	return ok && rounds > 10 ? SLUICE_EXIT_SUCCESS : SLUICE_EXIT_FAILURE;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{"nullderef", t_nullderef},
	{"stackoverflow", t_stackoverflow},
	{"textwrite", t_textwrite},
	{"ud", t_ud},
	{"ssp", t_ssp},
	{"timers", t_timers},
	{"evloop", t_evloop},
	{"heap", t_heap},
	{"sse", t_sse},
};

static int boottest_main(void)
{
	kernel_mark_ready();
	if (strcmp(test, "basic") == 0) {
		printf("basic: SUCCESS\n");
		return SLUICE_EXIT_SUCCESS;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		if (strcmp(test, tests[i].name) == 0) {
			int rc = tests[i].fn();

			printf("%s: %s\n", test, rc == 0 ? "SUCCESS" : "FAILED");
			return rc;
		}
	}
	printf("boottest: unknown test '%s'\n", test);
	return SLUICE_EXIT_CONFIG;
}

const struct sluice_app sluice_app = {
	.name = "boottest",
	.opts = boottest_opts,
	.main = boottest_main,
};
