// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for kernel/lib/irqstorm.c, the event-storm guard. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/irqstorm.h"

static struct irqstorm s;
static uint64_t now;

static void setup(void)
{
	memset(&s, 0, sizeof(s));
	now = 1000;
}

/* One event whose poll found @work responses, then the unmask-time check. */
static bool round_trip(unsigned int work)
{
	irqstorm_event(&s);
	for (unsigned int i = 0; i < work; i++)
		irqstorm_work(&s);
	now += 10000;
	return irqstorm_check(&s, now);
}

START_TEST(test_quiet)
{
	ck_assert(!irqstorm_check(&s, now));
	ck_assert(!round_trip(1));
	ck_assert_uint_eq(s.spurious, 0);
	ck_assert_uint_eq(s.storms, 0);
}
END_TEST

/* More than IRQSTORM_SPURIOUS empty events in one window: a storm, once. */
START_TEST(test_storm)
{
	unsigned int i;

	for (i = 0; i < IRQSTORM_SPURIOUS; i++)
		ck_assert(!round_trip(0));
	ck_assert(round_trip(0));
	ck_assert_uint_eq(s.storms, 1);
	ck_assert_uint_eq(s.spurious, IRQSTORM_SPURIOUS + 1);
	/* The window starts over after a storm. */
	ck_assert(!round_trip(0));
}
END_TEST

/* Spurious events that do not outnumber useful ones RATIO to one are benign. */
START_TEST(test_ratio_under_load)
{
	for (unsigned int i = 0; i < 4 * IRQSTORM_SPURIOUS; i++) {
		ck_assert(!round_trip(1));
		ck_assert(!round_trip(0));
	}
	ck_assert_uint_eq(s.storms, 0);
	ck_assert_uint_ge(s.spurious, 4 * IRQSTORM_SPURIOUS);
}
END_TEST

/* Spurious events spread over many windows never add up to a storm. */
START_TEST(test_window_expires)
{
	for (unsigned int w = 0; w < 5; w++) {
		for (unsigned int i = 0; i < IRQSTORM_SPURIOUS / 2; i++)
			irqstorm_event(&s);
		ck_assert(!irqstorm_check(&s, now));
		now += IRQSTORM_WINDOW_NS;
	}
	ck_assert_uint_eq(s.storms, 0);
}
END_TEST

/* Several events coalesced before one check count as several. */
START_TEST(test_coalesced)
{
	for (unsigned int i = 0; i <= IRQSTORM_SPURIOUS; i++)
		irqstorm_event(&s);
	ck_assert(irqstorm_check(&s, now));
}
END_TEST

/* reset() forgets the events of a previous connection. */
START_TEST(test_reset)
{
	for (unsigned int i = 0; i <= IRQSTORM_SPURIOUS; i++)
		irqstorm_event(&s);
	irqstorm_reset(&s);
	ck_assert(!irqstorm_check(&s, now));
	ck_assert_uint_eq(s.spurious, 0);
}
END_TEST

START_TEST(test_report_rate_limited)
{
	uint32_t suppressed = 99;

	ck_assert(irqstorm_report(&s, 0, &suppressed)); /* time 0 is a valid first time */
	ck_assert_uint_eq(suppressed, 0);
	ck_assert(!irqstorm_report(&s, 1, &suppressed));
	ck_assert(!irqstorm_report(&s, IRQSTORM_LOG_NS - 1, &suppressed));
	ck_assert(irqstorm_report(&s, IRQSTORM_LOG_NS + 1, &suppressed));
	ck_assert_uint_eq(suppressed, 2);
}
END_TEST

static Suite *irqstorm_suite(void)
{
	Suite *su = suite_create("irqstorm");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_quiet);
	tcase_add_test(tc, test_storm);
	tcase_add_test(tc, test_ratio_under_load);
	tcase_add_test(tc, test_window_expires);
	tcase_add_test(tc, test_coalesced);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_report_rate_limited);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(irqstorm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
