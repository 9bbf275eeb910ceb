// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for pipelined xenstore batches (xs_pipeline in xen/xs.c and
 * xs_talk_many in xen/xs_ring.c) against the fake xenstored, which answers
 * everything in the ring at each ops->wait() step: a batch must cost one
 * step where the same requests one by one cost one step each.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fake_xenstore.h"
#include "sluice/kernel.h"
#include "sluice/xenstore.h"

static struct fake_xs F;
static struct xs_client C;

static void setup(void)
{
	fake_init(&F, 0);
	ck_assert_int_eq(xs_init(&C, &F.ring, &fake_ops, &F), 0);
}

static void clean(void)
{
	ck_assert_msg(!F.violation, "client broke the protocol: %s", F.violation_msg);
}

static int fired;

static void on_fire(struct xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
	fired++;
}

/* The start-up batch of xen/control.c: reads, writes and watches, answered in one step. */
START_TEST(test_one_round_trip)
{
	char domid[24], name[64];
	struct xs_watch w1 = {.path = "control/shutdown", .token = "shutdown", .fn = on_fire};
	struct xs_watch w2 = {.path = "control/sysrq", .fn = on_fire};
	struct xs_preq r[] = {
		{.type = XS_READ, .path = "domid", .buf = domid, .buflen = sizeof(domid)},
		{.type = XS_READ, .path = "name", .buf = name, .buflen = sizeof(name)},
		{.type = XS_WRITE, .path = "control/feature-poweroff", .val = "1", .len = 1},
		{.type = XS_WATCH, .w = &w1},
		{.type = XS_WRITE, .path = "data/sluice/status", .val = "booting", .len = 7},
		{.type = XS_WATCH, .w = &w2},
	};
	unsigned int steps;

	fake_kv_write(&F, FAKE_HOME "/domid", "7");
	fake_kv_write(&F, FAKE_HOME "/name", "fw-1");
	steps = F.steps;
	ck_assert_int_eq(xs_pipeline(&C, r, ARRAY_SIZE(r)), 0);
	ck_assert_uint_eq(F.steps - steps, 1);
	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++)
		ck_assert_int_eq(r[i].rc, 0);
	ck_assert_str_eq(domid, "7");
	ck_assert_uint_eq(r[0].rlen, 1);
	ck_assert_str_eq(name, "fw-1");
	ck_assert_str_eq(fake_kv_get(&F, "data/sluice/status", NULL), "booting");
	ck_assert_str_eq(fake_kv_get(&F, "control/feature-poweroff", NULL), "1");
	ck_assert(w1.registered && w2.registered);
	ck_assert_str_eq(fake_watch_token(&F, "control/shutdown"), "shutdown");
	ck_assert_str_eq(fake_watch_token(&F, "control/sysrq"), w2.tok);
	/* Both watches fire once on registration, then on a change. */
	xs_dispatch_watches(&C);
	ck_assert_int_eq(fired, 2);
	ck_assert_int_eq(xs_write(&C, 0, "control/shutdown", "poweroff", 8), 0);
	xs_dispatch_watches(&C);
	ck_assert_int_eq(fired, 3);
	ck_assert_uint_eq(C.stats.stale_replies + C.stats.bad_msgs, 0);

	/* The same requests one at a time: a step each. */
	steps = F.steps;
	ck_assert_int_eq(xs_read(&C, 0, "domid", domid, sizeof(domid), NULL), 0);
	ck_assert_int_eq(xs_read(&C, 0, "name", name, sizeof(name), NULL), 0);
	ck_assert_int_eq(xs_write(&C, 0, "data/sluice/status", "ready", 5), 0);
	ck_assert_uint_eq(F.steps - steps, 3);
	clean();
}
END_TEST

/* One request failing does not stop the others; each gets its own result. */
START_TEST(test_mixed_results)
{
	char small[4], big[64], list[256];
	struct xs_watch w = {.path = "data/w", .fn = on_fire};
	struct xs_preq r[] = {
		{.type = XS_READ, .path = "data/missing", .buf = big, .buflen = sizeof(big)},
		{.type = XS_READ, .path = "data/long", .buf = small, .buflen = sizeof(small)},
		{.type = XS_READ, .path = "", .buf = big, .buflen = sizeof(big)}, /* no path */
		{.type = XS_DIRECTORY, .path = "device/vif", .buf = list, .buflen = sizeof(list)},
		{.type = XS_DIRECTORY, .path = "device/vbd", .buf = list, .buflen = sizeof(list)},
		{.type = XS_WATCH, .w = &w},
		{.type = XS_READ, .path = "data/long", .buf = big, .buflen = sizeof(big)},
		{.type = XS_RM, .path = "data/long"},
	};
	unsigned int nreq;

	fake_kv_write(&F, FAKE_HOME "/data/long", "0123456789");
	fake_kv_write(&F, FAKE_HOME "/device/vif/0/backend-id", "0");
	fake_kv_write(&F, FAKE_HOME "/device/vif/1/backend-id", "0");
	F.fail_type = XS_WATCH;
	F.fail_err = "EACCES";
	nreq = F.nreq;
	ck_assert_int_eq(xs_pipeline(&C, r, ARRAY_SIZE(r)), 0);
	ck_assert_uint_eq(F.nreq - nreq, ARRAY_SIZE(r) - 1); /* the bad path is never sent */
	ck_assert_int_eq(r[0].rc, -ENOENT);
	ck_assert_int_eq(r[1].rc, -E2BIG);
	ck_assert_uint_eq(r[1].rlen, 10);
	ck_assert_int_eq(r[2].rc, -EINVAL);
	ck_assert(!r[2].sent);
	ck_assert_int_eq(r[3].rc, 0);
	ck_assert_uint_eq(r[3].count, 2);
	ck_assert_int_eq(r[4].rc, -ENOENT);
	ck_assert_int_eq(r[5].rc, -EACCES);
	ck_assert(!w.registered); /* refused: forgotten, as xs_watch() does */
	ck_assert_int_eq(r[6].rc, 0);
	ck_assert_str_eq(big, "0123456789");
	ck_assert_int_eq(r[7].rc, 0);
	ck_assert_ptr_null(fake_kv_get(&F, "data/long", NULL));
	/* Order is kept: the read before the remove saw the value. */
	clean();
}
END_TEST

/* More requests than the 1 KiB ring holds: sent while replies are drained. */
START_TEST(test_more_than_a_ring)
{
	static char val[24][300];
	struct xs_preq r[24];
	char path[24][32];

	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++) {
		memset(val[i], 'a' + (int)i, sizeof(val[i]));
		snprintf(path[i], sizeof(path[i]), "data/k%u", i);
		r[i] = (struct xs_preq){
			.type = XS_WRITE, .path = path[i], .val = val[i], .len = sizeof(val[i])};
	}
	F.out_chunk = 16; /* replies trickle in, a few bytes per step */
	ck_assert_int_eq(xs_pipeline(&C, r, ARRAY_SIZE(r)), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++) {
		size_t len;
		const char *v = fake_kv_get(&F, path[i], &len);

		ck_assert_int_eq(r[i].rc, 0);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(len, sizeof(val[i]));
		ck_assert_int_eq(memcmp(v, val[i], len), 0);
	}
	ck_assert_uint_eq(C.stats.stale_replies + C.stats.bad_msgs, 0);
	clean();
}
END_TEST

/* Events and a reply for nobody arrive amid the batch's replies. */
START_TEST(test_interleaved_events_and_strays)
{
	struct xs_watch w = {.path = "data/w", .fn = on_fire};
	char b[16];
	struct xs_preq r[] = {
		{.type = XS_READ, .path = "data/a", .buf = b, .buflen = sizeof(b)},
		{.type = XS_WRITE, .path = "data/w/x", .val = "1", .len = 1},
	};

	fake_kv_write(&F, FAKE_HOME "/data/a", "va");
	ck_assert_int_eq(xs_watch(&C, &w), 0);
	xs_dispatch_watches(&C);
	fired = 0;
	F.events_before_reply = 1;
	F.unknown_reply_first = true;
	ck_assert_int_eq(xs_pipeline(&C, r, ARRAY_SIZE(r)), 0);
	ck_assert_int_eq(r[0].rc, 0);
	ck_assert_str_eq(b, "va");
	ck_assert_int_eq(r[1].rc, 0);
	ck_assert_uint_eq(C.stats.stale_replies, 1);
	ck_assert_int_eq(fired, 0); /* queued, never run from inside the batch */
	xs_dispatch_watches(&C);
	ck_assert_int_ge(fired, 1);
	clean();
}
END_TEST

/* xenstored silent: every request fails with the timeout; late replies are stale. */
START_TEST(test_timeout_then_stale)
{
	struct xs_watch w = {.path = "data/w", .fn = on_fire};
	char b[16];
	struct xs_preq r[] = {
		{.type = XS_READ, .path = "data/a", .buf = b, .buflen = sizeof(b)},
		{.type = XS_WATCH, .w = &w},
	};

	fake_kv_write(&F, FAKE_HOME "/data/a", "va");
	C.timeout_ns = 5 * FAKE_STEP_NS;
	F.stall_steps = 20;
	ck_assert_int_eq(xs_pipeline(&C, r, ARRAY_SIZE(r)), -ETIMEDOUT);
	ck_assert_int_eq(r[0].rc, -ETIMEDOUT);
	ck_assert_int_eq(r[1].rc, -ETIMEDOUT);
	ck_assert(!w.registered);
	C.timeout_ns = XS_DEFAULT_TIMEOUT_NS;
	/* The stalled requests are answered now: their replies are dropped, ours match. */
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, sizeof(b), NULL), 0);
	ck_assert_str_eq(b, "va");
	ck_assert_uint_ge(C.stats.stale_replies, 2);
	clean();
}
END_TEST

/* Bad arguments are refused locally; a reply of the wrong type is -EIO for that request. */
START_TEST(test_refusals)
{
	struct xs_watch w = {.path = "data/w", .fn = on_fire};
	static char huge[XENSTORE_PAYLOAD_MAX];
	struct xs_preq r[] = {
		{.type = XS_WRITE, .path = "data/h", .val = huge, .len = sizeof(huge)},
		{.type = XS_DIRECTORY, .path = "device"},
		{.type = XS_WATCH, .w = &w},
		{.type = XS_WATCH, .w = &w},
		{.type = XS_TRANSACTION_START, .path = "x"},
	};
	unsigned int nreq = F.nreq;

	ck_assert_int_eq(xs_pipeline(&C, r, ARRAY_SIZE(r)), 0);
	ck_assert_int_eq(r[0].rc, -E2BIG);
	ck_assert_int_eq(r[1].rc, -EINVAL);
	ck_assert_int_eq(r[2].rc, 0);
	ck_assert_int_eq(r[3].rc, -EBUSY); /* the same watch twice */
	ck_assert_int_eq(r[4].rc, -EINVAL);
	ck_assert_uint_eq(F.nreq - nreq, 1);
	ck_assert(w.registered);
	clean();
}
END_TEST

/* A broken stream fails the batch before sending: a watch must not stay registered. */
START_TEST(test_broken_before_sending)
{
	struct xs_watch w = {.path = "data/w", .fn = on_fire};
	struct xs_preq r[] = {
		{.type = XS_WATCH, .w = &w},
		{.type = XS_WRITE, .path = "data/a", .val = "1", .len = 1},
	};
	unsigned int nreq = F.nreq;

	C.broken = true;
	ck_assert_int_eq(xs_pipeline(&C, r, ARRAY_SIZE(r)), -EIO);
	ck_assert_int_eq(r[0].rc, -EIO);
	ck_assert_int_eq(r[1].rc, -EIO);
	ck_assert(!w.registered);
	ck_assert_ptr_null(C.watches);
	ck_assert_uint_eq(F.nreq, nreq);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xspipe");
	TCase *tc = tcase_create("pipeline");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_one_round_trip);
	tcase_add_test(tc, test_mixed_results);
	tcase_add_test(tc, test_more_than_a_ring);
	tcase_add_test(tc, test_interleaved_events_and_strays);
	tcase_add_test(tc, test_timeout_then_stale);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_broken_before_sending);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
