/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The event loop: the one place where appliances run. Interrupt handlers
 * only post work; timers and posted work run here with interrupts enabled,
 * one at a time, to completion. When nothing is due the CPU halts until the
 * next interrupt, so an idle appliance costs no host CPU.
 */
#ifndef SLUICE_EVLOOP_H
#define SLUICE_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/timerq.h"

struct work {
	void (*fn)(struct work *w);
	struct work *next;
	bool queued;
};

void evloop_init(void);

/* Monotonic nanoseconds (the platform clock). */
uint64_t now_ns(void);

/* Arm a timer at an absolute monotonic time, or @delay_ns from now. */
void timer_arm_at(struct timer *t, uint64_t deadline_ns);
void timer_arm_in(struct timer *t, uint64_t delay_ns);
void timer_cancel(struct timer *t);
/*
 * Periodic timers: slot k of a series starting at @first fires at
 * @first + k * @period_ns (no drift). Arm @t at the first slot after
 * *@slot that is still in the future, store its number in *@slot, and
 * return how many slots were skipped because their time had passed: a
 * series that fell behind (the domain was paused, e.g. `xl pause`, or the
 * host stalled) resumes at the next slot instead of firing the missed ones
 * in a burst, as most runtimes do.
 */
uint64_t timer_arm_slot(struct timer *t, uint64_t first, uint64_t period_ns, uint64_t *slot);

/* Queue @w to run once from the loop; callable from interrupt handlers. */
void work_post(struct work *w);

/* Run until evloop_stop(); returns the status passed to it. */
int evloop_run(void);
void evloop_stop(int status);

/*
 * Block the caller (start-up code only, never a callback) until @deadline
 * passes, running timers and work meanwhile.
 */
void evloop_wait_until(uint64_t deadline_ns);

/*
 * Block the caller (start-up code only) until *@flag becomes true, running
 * timers and work meanwhile. 0, or -ETIMEDOUT after @deadline_ns.
 */
int evloop_wait_flag(volatile bool *flag, uint64_t deadline_ns);

#endif
