/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timer queue for the event loop: intrusive, sorted by deadline (FIFO among
 * equal deadlines), O(1) cancel. The caller owns the timer memory.
 * Pure logic: built into the kernel and into host tests.
 */
#ifndef SLUICE_TIMERQ_H
#define SLUICE_TIMERQ_H

#include <stdbool.h>
#include <stdint.h>

struct timer;
typedef void (*timer_fn)(struct timer *t, void *arg);

struct timer {
	uint64_t deadline; /* monotonic ns */
	timer_fn fn;
	void *arg;
	struct timer *prev, *next;
	bool armed;
};

struct timerq {
	struct timer *head;
	unsigned int count;
};

void timerq_init(struct timerq *q);
void timer_init(struct timer *t, timer_fn fn, void *arg);

/* Arm (or re-arm, moving it) @t to fire at @deadline. */
void timerq_arm(struct timerq *q, struct timer *t, uint64_t deadline);

/* Disarm @t; harmless if it is not armed. */
void timerq_cancel(struct timerq *q, struct timer *t);

/* Earliest deadline, or UINT64_MAX when the queue is empty. */
uint64_t timerq_next(const struct timerq *q);

/*
 * Remove and return the earliest timer whose deadline is <= @now (disarmed,
 * so its callback may re-arm it), or NULL. The caller runs t->fn(t, t->arg).
 */
struct timer *timerq_pop_expired(struct timerq *q, uint64_t now);

#endif
