// SPDX-License-Identifier: BSD-2-Clause
/*
 * Timer queue: a doubly-linked list sorted by deadline. Insertion is O(n)
 * (an event loop has a handful of timers), while cancel and pop-earliest are
 * O(1), which is what the hot path (re-arming, firing) needs. A timer goes
 * after every timer with the same deadline, so equal deadlines fire in the
 * order they were armed.
 *
 * The caller owns the timers; a timer must only be cancelled or re-armed on
 * the queue it is armed on (the list cannot tell which one that is).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/timerq.h"

void timerq_init(struct timerq *q)
{
	q->head = NULL;
	q->count = 0;
}

void timer_init(struct timer *t, timer_fn fn, void *arg)
{
	t->deadline = 0;
	t->fn = fn;
	t->arg = arg;
	t->prev = NULL;
	t->next = NULL;
	t->armed = false;
}

static void unlink_timer(struct timerq *q, struct timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		q->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = NULL;
	t->next = NULL;
	t->armed = false;
	q->count--;
}

void timerq_arm(struct timerq *q, struct timer *t, uint64_t deadline)
{
	struct timer *prev = NULL, *cur;

	/* Re-arming moves the timer: take it out, then insert it afresh. */
	if (t->armed)
		unlink_timer(q, t);
	t->deadline = deadline;

	/* Read the head only now: unlinking may just have changed it. */
	cur = q->head;

	/* Skip everything due at or before @deadline: FIFO among equals. */
	while (cur && cur->deadline <= deadline) {
		prev = cur;
		cur = cur->next;
	}
	t->prev = prev;
	t->next = cur;
	if (prev)
		prev->next = t;
	else
		q->head = t;
	if (cur)
		cur->prev = t;
	t->armed = true;
	q->count++;
}

void timerq_cancel(struct timerq *q, struct timer *t)
{
	if (t->armed)
		unlink_timer(q, t);
}

/* An armed timer with deadline UINT64_MAX is indistinguishable from none: it never fires early. */
uint64_t timerq_next(const struct timerq *q)
{
	return q->head ? q->head->deadline : UINT64_MAX;
}

struct timer *timerq_pop_expired(struct timerq *q, uint64_t now)
{
	struct timer *t = q->head;

	if (!t || t->deadline > now)
		return NULL;
	/* Disarmed before the callback runs, so the callback may re-arm it. */
	unlink_timer(q, t);
	return t;
}
