// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for kernel/lib/timerq.c. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "sluice/timerq.h"

#define NT 64

static struct timerq q;
static struct timer t[NT];
static int fired[NT * 4], nfired;

static void record(struct timer *tm, void *arg)
{
	(void)tm;
	fired[nfired++] = (int)(intptr_t)arg;
}

static void setup(void)
{
	timerq_init(&q);
	for (int i = 0; i < NT; i++)
		timer_init(&t[i], record, (void *)(intptr_t)i);
	nfired = 0;
}

/*
 * Structural invariants: links consistent both ways, sorted by deadline,
 * count right, every queued timer armed. Plain ifs: called in hot loops.
 */
static void check_queue(void)
{
	unsigned int n = 0;

	for (struct timer *p = q.head, *prev = NULL; p; prev = p, p = p->next) {
		if (p->prev != prev || !p->armed)
			ck_abort_msg("bad link or disarmed timer at position %u", n);
		if (prev && prev->deadline > p->deadline)
			ck_abort_msg("unsorted at position %u", n);
		if (++n > NT)
			ck_abort_msg("cycle");
	}
	if (n != q.count)
		ck_abort_msg("count %u, walked %u", q.count, n);
}

/* Pop everything due by @now, running callbacks; returns how many fired. */
static int run_until(uint64_t now)
{
	struct timer *p;
	int n = 0;

	while ((p = timerq_pop_expired(&q, now))) {
		ck_assert(!p->armed);
		ck_assert_ptr_null(p->prev);
		ck_assert_ptr_null(p->next);
		p->fn(p, p->arg);
		n++;
	}
	check_queue();
	return n;
}

static void assert_fired(const int *want, int n)
{
	ck_assert_int_eq(nfired, n);
	for (int i = 0; i < n; i++)
		ck_assert_msg(fired[i] == want[i], "fired[%d] = %d, want %d", i, fired[i], want[i]);
}

START_TEST(test_empty)
{
	ck_assert_uint_eq(timerq_next(&q), UINT64_MAX);
	ck_assert_ptr_null(timerq_pop_expired(&q, UINT64_MAX));
	ck_assert_uint_eq(q.count, 0);
	ck_assert(!t[0].armed);
}
END_TEST

START_TEST(test_ordering)
{
	static const uint64_t dl[] = {50, 10, 30, 20, 40};
	static const int want[] = {1, 3, 2, 4, 0};

	for (int i = 0; i < 5; i++)
		timerq_arm(&q, &t[i], dl[i]);
	check_queue();
	ck_assert_uint_eq(q.count, 5);
	ck_assert_uint_eq(timerq_next(&q), 10);
	ck_assert_int_eq(run_until(UINT64_MAX), 5);
	assert_fired(want, 5);
	ck_assert_uint_eq(timerq_next(&q), UINT64_MAX);
	ck_assert_uint_eq(q.count, 0);
}
END_TEST

START_TEST(test_fifo_ties)
{
	static const int want[] = {3, 0, 1, 2, 4, 5};

	timerq_arm(&q, &t[0], 100);
	timerq_arm(&q, &t[1], 100);
	timerq_arm(&q, &t[2], 100);
	timerq_arm(&q, &t[3], 50);
	timerq_arm(&q, &t[4], 100);
	timerq_arm(&q, &t[5], 200);
	ck_assert_int_eq(run_until(200), 6);
	assert_fired(want, 6);
}
END_TEST

START_TEST(test_cancel_positions)
{
	static const int want[] = {1, 3};

	for (int i = 0; i < 5; i++)
		timerq_arm(&q, &t[i], (uint64_t)(i + 1) * 10);
	timerq_cancel(&q, &t[0]); /* head */
	check_queue();
	ck_assert_ptr_eq(q.head, &t[1]);
	ck_assert_uint_eq(timerq_next(&q), 20);
	timerq_cancel(&q, &t[2]); /* middle */
	check_queue();
	timerq_cancel(&q, &t[4]); /* tail */
	check_queue();
	ck_assert_uint_eq(q.count, 2);
	for (int i = 0; i < 5; i += 2) {
		ck_assert(!t[i].armed);
		ck_assert_ptr_null(t[i].prev);
		ck_assert_ptr_null(t[i].next);
	}
	ck_assert_int_eq(run_until(UINT64_MAX), 2);
	assert_fired(want, 2);
}
END_TEST

START_TEST(test_cancel_harmless)
{
	timerq_cancel(&q, &t[0]); /* never armed */
	ck_assert_uint_eq(q.count, 0);
	timerq_arm(&q, &t[0], 5);
	timerq_cancel(&q, &t[0]);
	timerq_cancel(&q, &t[0]); /* twice */
	ck_assert_uint_eq(q.count, 0);
	ck_assert_ptr_null(q.head);
	timerq_arm(&q, &t[1], 5);
	timerq_cancel(&q, &t[1]); /* the only one: queue empties */
	ck_assert_uint_eq(timerq_next(&q), UINT64_MAX);
	check_queue();
}
END_TEST

START_TEST(test_rearm_moves)
{
	static const int want[] = {1, 0, 2};
	static const int want2[] = {4, 3, 5};

	timerq_arm(&q, &t[0], 10);
	timerq_arm(&q, &t[1], 20);
	timerq_arm(&q, &t[2], 30);
	timerq_arm(&q, &t[0], 25); /* head moves to the middle */
	check_queue();
	ck_assert_uint_eq(q.count, 3);
	ck_assert_uint_eq(timerq_next(&q), 20);
	timerq_arm(&q, &t[2], 27); /* tail moves earlier, still last */
	check_queue();
	ck_assert_int_eq(run_until(100), 3);
	assert_fired(want, 3);

	/* Re-arming at the same deadline goes behind the others with that deadline. */
	nfired = 0;
	timerq_arm(&q, &t[3], 5);
	timerq_arm(&q, &t[4], 5);
	timerq_arm(&q, &t[5], 5);
	timerq_arm(&q, &t[4], 5);
	timerq_arm(&q, &t[3], 5);
	timerq_arm(&q, &t[5], 5);
	ck_assert_uint_eq(q.count, 3);
	ck_assert_int_eq(run_until(5), 3);
	assert_fired(want2, 3);
}
END_TEST

START_TEST(test_pop_only_expired)
{
	timerq_arm(&q, &t[0], 10);
	timerq_arm(&q, &t[1], 20);
	timerq_arm(&q, &t[2], 30);
	ck_assert_ptr_null(timerq_pop_expired(&q, 0));
	ck_assert_ptr_null(timerq_pop_expired(&q, 9));
	ck_assert_uint_eq(q.count, 3);
	ck_assert_ptr_eq(timerq_pop_expired(&q, 20), &t[0]); /* deadline < now */
	ck_assert_ptr_eq(timerq_pop_expired(&q, 20), &t[1]); /* deadline == now */
	ck_assert_ptr_null(timerq_pop_expired(&q, 20));
	ck_assert_uint_eq(timerq_next(&q), 30);
	ck_assert_ptr_eq(timerq_pop_expired(&q, UINT64_MAX), &t[2]);
	ck_assert_ptr_null(timerq_pop_expired(&q, UINT64_MAX));
}
END_TEST

static int rearm_count;

static void periodic(struct timer *tm, void *arg)
{
	(void)arg;
	rearm_count++;
	/* Re-arming from the callback is allowed: the timer was disarmed. */
	if (rearm_count < 5)
		timerq_arm(&q, tm, tm->deadline + 100);
}

START_TEST(test_rearm_from_callback)
{
	timer_init(&t[0], periodic, NULL);
	rearm_count = 0;
	timerq_arm(&q, &t[0], 100);
	timerq_arm(&q, &t[1], 250);
	ck_assert_int_eq(run_until(1000), 6);
	ck_assert_int_eq(rearm_count, 5);
	ck_assert_uint_eq(q.count, 0);
	ck_assert_uint_eq(t[0].deadline, 500);
}
END_TEST

START_TEST(test_deadline_extremes)
{
	timerq_arm(&q, &t[0], UINT64_MAX);
	timerq_arm(&q, &t[1], 0);
	ck_assert_uint_eq(timerq_next(&q), 0);
	ck_assert_ptr_eq(timerq_pop_expired(&q, 0), &t[1]);
	ck_assert_uint_eq(timerq_next(&q), UINT64_MAX);
	ck_assert_uint_eq(q.count, 1);
	ck_assert_ptr_eq(timerq_pop_expired(&q, UINT64_MAX), &t[0]);
}
END_TEST

/*
 * Randomized against a model: each armed timer has (deadline, sequence of
 * its last arm); the queue must always pop in (deadline, sequence) order.
 */
static uint64_t rng_state = 0xda3e39cb94b95bdbULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

START_TEST(test_random_vs_model)
{
	bool armed[NT] = {false};
	uint64_t seq[NT] = {0}, dl[NT] = {0}, clock = 0, nextseq = 1;

	for (int step = 0; step < 100000; step++) {
		int i = (int)(rng() % NT), op = (int)(rng() % 10);

		if (op < 5) {
			dl[i] = clock + rng() % 50; /* small range: many ties */
			seq[i] = nextseq++;
			armed[i] = true;
			timerq_arm(&q, &t[i], dl[i]);
		} else if (op < 7) {
			armed[i] = false;
			timerq_cancel(&q, &t[i]);
		} else {
			struct timer *p = timerq_pop_expired(&q, clock);
			int best = -1;

			for (int k = 0; k < NT; k++)
				if (armed[k] && dl[k] <= clock &&
				    (best < 0 || dl[k] < dl[best] ||
				     (dl[k] == dl[best] && seq[k] < seq[best])))
					best = k;
			if (p != (best < 0 ? NULL : &t[best]))
				ck_abort_msg("step %d: popped %ld, want %d", step,
					     p ? (long)(p - t) : -1L, best);
			if (best >= 0)
				armed[best] = false;
			clock += rng() % 3;
		}
		if (step % 16 == 0)
			check_queue();
	}
}
END_TEST

static Suite *timerq_suite(void)
{
	Suite *s = suite_create("timerq");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_ordering);
	tcase_add_test(tc, test_fifo_ties);
	tcase_add_test(tc, test_cancel_positions);
	tcase_add_test(tc, test_cancel_harmless);
	tcase_add_test(tc, test_rearm_moves);
	tcase_add_test(tc, test_pop_only_expired);
	tcase_add_test(tc, test_rearm_from_callback);
	tcase_add_test(tc, test_deadline_extremes);
	tcase_add_test(tc, test_random_vs_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(timerq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
