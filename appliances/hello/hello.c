/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hello appliance: the smallest complete Sluice appliance. It greets,
 * reports what the kernel found, shows the event loop's timers ticking and
 * stops cleanly. With ticks=0 it ticks until powered off, halting the CPU
 * between ticks (no host CPU while it waits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/plat.h"
#include "sluice/random.h"

static char greeting[80] = "Hello from Sluice";
static uint64_t ticks = 3;
static uint64_t interval_ms = 100;

static const struct cmdline_opt hello_opts[] = {
	{.key = "greeting",
	 .type = CMDLINE_STR,
	 .dst = greeting,
	 .dst_size = sizeof(greeting),
	 .help = "text to print at start-up"},
	{.key = "ticks",
	 .type = CMDLINE_U64,
	 .dst = &ticks,
	 .min = 0,
	 .max = 1000000,
	 .help = "timer ticks before stopping; 0 = run until powered off"},
	{.key = "interval-ms",
	 .type = CMDLINE_U64,
	 .dst = &interval_ms,
	 .min = 1,
	 .max = 3600000,
	 .help = "milliseconds between ticks"},
	{.key = NULL},
};

static struct timer tick_timer;
static uint64_t start_ns, count, slot;

static void tick(struct timer *t, void *arg)
{
	uint64_t now = now_ns(), skipped;

	(void)arg;
	count++;
	printf("hello: tick %llu at +%llu ms\n", (unsigned long long)count,
	       (unsigned long long)((now - start_ns) / 1000000));
	if (ticks && count >= ticks) {
		evloop_stop(SLUICE_EXIT_SUCCESS);
		return;
	}
	/* The next slot of the series (no drift); missed ones are skipped, not burst. */
	skipped = timer_arm_slot(t, start_ns, interval_ms * 1000000, &slot);
	if (skipped)
		printf("hello: %llu tick%s skipped (the domain was paused or the host stalled)\n",
		       (unsigned long long)skipped, skipped == 1 ? "" : "s");
}

static int hello_main(void)
{
	time_t now = time(NULL);
	struct tm tm;
	char date[32] = "unknown";
	int status;

	if (now > 0 && gmtime_r(&now, &tm))
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s\n", greeting);
	printf("hello: wall clock %s, entropy from %s, random %08x\n", date, random_source(),
	       (unsigned int)random_u32());
	kernel_mark_ready();

	start_ns = now_ns();
	timer_init(&tick_timer, tick, NULL);
	slot = 0;
	timer_arm_slot(&tick_timer, start_ns, interval_ms * 1000000, &slot);
	status = evloop_run();
	printf("hello: done after %llu ticks\n", (unsigned long long)count);
	return status;
}

const struct sluice_app sluice_app = {
	.name = "hello",
	.opts = hello_opts,
	.main = hello_main,
};
