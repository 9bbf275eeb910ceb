/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stddef.h>

#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/plat.h"
#include "sluice/x86.h"

static struct timerq timers;
static struct work *work_head, **work_tail = &work_head;
static bool stop_requested;
static int stop_status;

void evloop_init(void)
{
	timerq_init(&timers);
}

uint64_t now_ns(void)
{
	return plat->monotonic_ns();
}

void timer_arm_at(struct timer *t, uint64_t deadline_ns)
{
	uint64_t f = irq_save();

	timerq_arm(&timers, t, deadline_ns);
	irq_restore(f);
}

void timer_arm_in(struct timer *t, uint64_t delay_ns)
{
	uint64_t now = now_ns();

	timer_arm_at(t, delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns);
}

uint64_t timer_arm_slot(struct timer *t, uint64_t first, uint64_t period_ns, uint64_t *slot)
{
	uint64_t now = now_ns(), next = *slot + 1, skipped = 0;

	if (period_ns == 0)
		period_ns = 1;
	/* The first slot after now; slots are at most UINT64_MAX / period away. */
	if (now >= first && (now - first) / period_ns >= next) {
		uint64_t k = (now - first) / period_ns + 1;

		skipped = k - next;
		next = k;
	}
	*slot = next;
	timer_arm_at(t, next > (UINT64_MAX - first) / period_ns ? UINT64_MAX
								: first + next * period_ns);
	return skipped;
}

void timer_cancel(struct timer *t)
{
	uint64_t f = irq_save();

	timerq_cancel(&timers, t);
	irq_restore(f);
}

void work_post(struct work *w)
{
	uint64_t f = irq_save();

	if (!w->queued) {
		w->queued = true;
		w->next = NULL;
		*work_tail = w;
		work_tail = &w->next;
	}
	irq_restore(f);
}

void evloop_stop(int status)
{
	stop_status = status;
	stop_requested = true;
}

/*
 * Run everything that is due. Returns true if anything ran. Only the work
 * queued when the pass starts runs in it: work that re-posts itself (a NIC
 * with more packets than its budget) waits for the next pass, so timers
 * and other devices are never starved by a busy one.
 */
static bool run_due(void)
{
	bool ran = false;
	struct timer *t;
	struct work *w, *batch;
	uint64_t f;

	f = irq_save();
	batch = work_head;
	work_head = NULL;
	work_tail = &work_head;
	irq_restore(f);
	while (batch) {
		w = batch;
		batch = w->next;
		w->queued = false;
		w->fn(w);
		ran = true;
	}
	/* Timers are rechecked against the clock: an interrupt is only a hint. */
	for (;;) {
		f = irq_save();
		t = timerq_pop_expired(&timers, now_ns());
		irq_restore(f);
		if (!t)
			break;
		t->fn(t, t->arg);
		ran = true;
	}
	return ran;
}

/*
 * Sleep until an interrupt, unless work arrived. The check and the halt
 * must be atomic: `sti; hlt` executes hlt inside the STI interrupt shadow,
 * so an interrupt that posts work after our check still ends the hlt.
 */
static void idle(uint64_t limit)
{
	uint64_t next;

	irq_disable();
	if (work_head || stop_requested) {
		irq_enable();
		return;
	}
	next = MIN(timerq_next(&timers), limit);
	if (next <= now_ns()) {
		irq_enable();
		return;
	}
	plat->timer_set(next);
	__asm__ volatile("sti; hlt" : : : "memory");
}

int evloop_run(void)
{
	stop_requested = false;
	while (!stop_requested) {
		if (!run_due() && !stop_requested)
			idle(UINT64_MAX);
	}
	return stop_status;
}

void evloop_wait_until(uint64_t deadline_ns)
{
	while (now_ns() < deadline_ns) {
		if (!run_due())
			idle(deadline_ns);
	}
}

int evloop_wait_flag(volatile bool *flag, uint64_t deadline_ns)
{
	while (!*flag) {
		if (now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		if (!run_due() && !*flag)
			idle(deadline_ns);
	}
	return 0;
}
