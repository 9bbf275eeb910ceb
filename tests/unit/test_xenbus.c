// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for xen/xenbus.c: the fake xenstored plays the toolstack's
 * device nodes and a scripted backend state machine reacting to our
 * frontend state writes.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_xenstore.h"
#include "sluice/xenbus.h"
#include "sluice/xenstore.h"

#define SEC 1000000000ull
#define BE "/local/domain/0/backend/vif/7/0"
#define BE_STATE BE "/state"
#define FE "device/vif/0"
#define FE_STATE_ABS FAKE_HOME "/" FE "/state"

static struct fake_xs F;
static struct xs_client C;
static struct xenbus_dev D;
static char err[256];

enum be_mode {
	BE_NORMAL,	   /* netback/blkback-like */
	BE_SKIP,	   /* goes straight to Connected on frontend Initialising */
	BE_STUCK,	   /* never moves */
	BE_CLOSE_ON_CONN,  /* jumps to Closed when the frontend connects */
	BE_CONCURRENT,	   /* someone else completes the connect under us */
	BE_LEAVE_ON_CLOSE, /* removes its node when the frontend closes */
};

static enum be_mode mode;
static int setup_calls, setup_ret;
static int fe_hist[32], nhist;

static void be_set(struct fake_xs *f, int st)
{
	char b[4];

	snprintf(b, sizeof(b), "%d", st);
	fake_kv_write(f, BE_STATE, b);
}

static int be_state(void)
{
	const char *v = fake_kv_get(&F, BE_STATE, NULL);

	return v ? atoi(v) : -1;
}

static const char *fe_get(const char *key)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", FE, key);
	return fake_kv_get(&F, p, NULL);
}

/* The backend script: reacts to committed writes of our state node. */
static void be_hook(struct fake_xs *f, const char *abs, const char *val, size_t len)
{
	int fe;

	(void)len;
	if (strcmp(abs, FE_STATE_ABS) != 0)
		return;
	fe = atoi(val);
	ck_assert_int_lt(nhist, 32);
	fe_hist[nhist++] = fe;
	switch (mode) {
	case BE_NORMAL:
	case BE_LEAVE_ON_CLOSE:
		if (fe == XenbusStateInitialising && be_state() == XenbusStateClosed)
			be_set(f, XenbusStateInitWait);
		else if (fe == XenbusStateInitialised || fe == XenbusStateConnected)
			be_set(f, XenbusStateConnected);
		else if (fe == XenbusStateClosing)
			be_set(f, XenbusStateClosing);
		else if (fe == XenbusStateClosed && mode == BE_LEAVE_ON_CLOSE)
			fake_kv_rm(f, BE);
		else if (fe == XenbusStateClosed)
			be_set(f, XenbusStateClosed);
		break;
	case BE_SKIP:
		if (fe == XenbusStateInitialising)
			be_set(f, XenbusStateConnected);
		break;
	case BE_CLOSE_ON_CONN:
		if (fe == XenbusStateConnected)
			be_set(f, XenbusStateClosed);
		break;
	case BE_CONCURRENT:
		if (fe == XenbusStateInitialising)
			fake_kv_write(f, FE "/state", "4");
		break;
	case BE_STUCK:
		break;
	}
}

static void setup(void)
{
	fake_init(&F, 0xFFFFFF00u);
	ck_assert_int_eq(xs_init(&C, &F.ring, &fake_ops, &F), 0);
	fake_kv_write(&F, FE "/backend", BE);
	fake_kv_write(&F, FE "/backend-id", "0");
	fake_kv_write(&F, FE "/state", "1");
	fake_kv_write(&F, BE_STATE, "2");
	F.on_write = be_hook;
	mode = BE_NORMAL;
	nhist = 0;
	setup_calls = 0;
	setup_ret = 0;
	memset(err, 0, sizeof(err));
	memset(&D, 0, sizeof(D));
	snprintf(D.nodename, sizeof(D.nodename), "%s", FE);
	snprintf(D.backend, sizeof(D.backend), "%s", BE);
}

/* No temporary watch left behind, no protocol violation. */
static void clean(void)
{
	ck_assert_msg(!F.violation, "client broke the protocol: %s", F.violation_msg);
	ck_assert_uint_eq(fake_nwatches(&F), 0);
	ck_assert_ptr_null(C.watches);
	ck_assert(!C.broken);
}

static void assert_hist(const int *want, int n)
{
	ck_assert_int_eq(nhist, n);
	for (int i = 0; i < n; i++)
		ck_assert_msg(fe_hist[i] == want[i], "frontend state #%d = %d, want %d", i,
			      fe_hist[i], want[i]);
}

static int net_setup(struct xs_client *c, uint32_t tx, void *arg)
{
	ck_assert_ptr_eq(arg, &D);
	ck_assert_uint_ne(tx, 0);
	setup_calls++;
	if (setup_ret)
		return setup_ret;
	ck_assert_int_eq(xs_printf(c, tx, FE "/tx-ring-ref", "%u", 8u), 0);
	ck_assert_int_eq(xs_printf(c, tx, FE "/event-channel", "%u", 9u), 0);
	return 0;
}

START_TEST(test_state_names)
{
	ck_assert_str_eq(xenbus_state_name(XenbusStateInitWait), "InitWait");
	ck_assert_str_eq(xenbus_state_name(XenbusStateReconfigured), "Reconfigured");
	ck_assert_str_eq(xenbus_state_name(9), "invalid");
}
END_TEST

START_TEST(test_read_state)
{
	static const struct {
		const char *v;
		int r, st;
	} cases[] = {
		{"0", 0, 0},	       {"4", 0, 4},
		{"8", 0, 8},	       {"9", -EINVAL, 0},
		{"04", -EINVAL, 0},    {"", -EINVAL, 0},
		{"4\n", -EINVAL, 0},   {"-1", -EINVAL, 0},
		{"12345", -EINVAL, 0}, {"Connected", -EINVAL, 0},
	};
	enum xenbus_state st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_kv_write(&F, "x/state", cases[i].v);
		st = (enum xenbus_state)77;
		ck_assert_msg(xenbus_read_state(&C, "x", &st) == cases[i].r, "value '%s'",
			      cases[i].v);
		ck_assert_int_eq(st, cases[i].r ? 77 : cases[i].st);
	}
	ck_assert_int_eq(xenbus_read_state(&C, "nonexistent", &st), -ENOENT);
	clean();
}
END_TEST

START_TEST(test_switch_state)
{
	ck_assert_int_eq(xenbus_switch_state(&C, 0, FE, XenbusStateClosing), 0);
	ck_assert_str_eq(fe_get("state"), "5");
	ck_assert_int_eq(xenbus_switch_state(&C, 0, FE, (enum xenbus_state)9), -EINVAL);
	ck_assert_str_eq(fe_get("state"), "5");
	clean();
}
END_TEST

START_TEST(test_wait_state_timeout_text)
{
	enum xenbus_state got = XenbusStateClosed;
	uint64_t t0 = F.now;

	fake_kv_write(&F, BE_STATE, "1");
	ck_assert_int_eq(xenbus_wait_state(&C, BE, XENBUS_STATE_BIT(XenbusStateInitWait), 2 * SEC,
					   &got, err, sizeof(err)),
			 -ETIMEDOUT);
	ck_assert_str_eq(err,
			 "timeout waiting for " BE_STATE " in {InitWait} (last: Initialising)");
	ck_assert_int_eq(got, XenbusStateInitialising);
	ck_assert_uint_ge(F.now - t0, 2 * SEC);
	ck_assert_uint_lt(F.now - t0, 2 * SEC + XENBUS_POLL_NS);
	clean();
}
END_TEST

START_TEST(test_wait_state_reaches)
{
	enum xenbus_state got;

	/* Already there: no wait at all. */
	ck_assert_int_eq(xenbus_wait_state(&C, BE, XENBUS_STATE_BIT(XenbusStateInitWait), SEC, &got,
					   err, sizeof(err)),
			 0);
	ck_assert_int_eq(got, XenbusStateInitWait);
	/* A missing node counts as Unknown. */
	fake_kv_rm(&F, BE_STATE);
	ck_assert_int_eq(xenbus_wait_state(&C, BE, XENBUS_STATE_BIT(XenbusStateUnknown), SEC, &got,
					   err, sizeof(err)),
			 0);
	ck_assert_int_eq(got, XenbusStateUnknown);
	/* Garbage is an error naming the key, not a state. */
	fake_kv_write(&F, BE_STATE, "x");
	ck_assert_int_eq(xenbus_wait_state(&C, BE, XENBUS_STATE_BIT(XenbusStateConnected), SEC,
					   &got, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, BE_STATE ": not a valid state value");
	ck_assert_int_eq(xenbus_wait_state(&C, BE, 0, SEC, &got, err, sizeof(err)), -EINVAL);
	clean();
}
END_TEST

static void add_vif(const char *id, const char *backend, const char *beid)
{
	char p[64];

	snprintf(p, sizeof(p), "device/vif/%s/backend", id);
	fake_kv_write(&F, p, backend);
	snprintf(p, sizeof(p), "device/vif/%s/backend-id", id);
	fake_kv_write(&F, p, beid);
}

START_TEST(test_enumerate)
{
	struct xenbus_dev devs[4];
	unsigned int n = 99;

	add_vif("10", "/local/domain/0/backend/vif/7/10", "0");
	add_vif("2", "/local/domain/3/backend/vif/7/2", "3");
	add_vif("1", "/local/domain/0/backend/vif/7/1", "0");
	ck_assert_int_eq(xenbus_enumerate(&C, "vif", devs, 4, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(devs[0].devid, 0);
	ck_assert_uint_eq(devs[1].devid, 1);
	ck_assert_uint_eq(devs[2].devid, 2);
	ck_assert_uint_eq(devs[3].devid, 10);
	ck_assert_str_eq(devs[0].nodename, "device/vif/0");
	ck_assert_str_eq(devs[0].backend, BE);
	ck_assert_str_eq(devs[2].backend, "/local/domain/3/backend/vif/7/2");
	ck_assert_uint_eq(devs[2].backend_id, 3);
	ck_assert_int_eq(xenbus_enumerate(&C, "vif", devs, 3, &n, err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "device/vif: more than 3 devices");
	ck_assert_int_eq(xenbus_enumerate(&C, "vbd", devs, 4, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(xenbus_enumerate(&C, "../x", devs, 4, &n, err, sizeof(err)), -EINVAL);
	clean();
}
END_TEST

/* One bad field per case: the call fails and the message names the key. */
START_TEST(test_enumerate_rejects)
{
	static const struct {
		const char *backend, *beid, *msg;
		int r;
	} cases[] = {
		{BE, "0x1", "device/vif/0/backend-id: not a domain id below 0x7ff0", -EINVAL},
		{BE, "32752", "device/vif/0/backend-id: not a domain id below 0x7ff0", -EINVAL},
		{BE, "1", "device/vif/0/backend: '" BE "' is not under /local/domain/1/backend/",
		 -EINVAL},
		{"/local/domain/0/backend/", "0",
		 "device/vif/0/backend: '/local/domain/0/backend/' is not a clean path", -EINVAL},
		{"/local/domain/0/backend//vif", "0",
		 "device/vif/0/backend: '/local/domain/0/backend//vif' is not a clean path",
		 -EINVAL},
		{"/local/domain/0/backend/../7", "0",
		 "device/vif/0/backend: invalid character 0x2e", -EINVAL},
		{"local/domain/0/backend/vif", "0",
		 "device/vif/0/backend: 'local/domain/0/backend/vif' is not under "
		 "/local/domain/0/backend/",
		 -EINVAL},
		{"/local/domain/0/backendx/vif", "0",
		 "device/vif/0/backend: '/local/domain/0/backendx/vif' is not under "
		 "/local/domain/0/backend/",
		 -EINVAL},
		{"/local/domain/0/backend/vif/7/0/"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaa",
		 "0", "device/vif/0/backend: value too long (max 127 bytes)", -E2BIG},
	};
	struct xenbus_dev devs[2];
	unsigned int n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		add_vif("0", cases[i].backend, cases[i].beid);
		err[0] = '\0';
		ck_assert_msg(xenbus_enumerate(&C, "vif", devs, 2, &n, err, sizeof(err)) ==
				      cases[i].r,
			      "case %zu", i);
		ck_assert_str_eq(err, cases[i].msg);
	}
	add_vif("0", BE, "0");
	fake_kv_rm(&F, FE "/backend");
	ck_assert_int_eq(xenbus_enumerate(&C, "vif", devs, 2, &n, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "reading device/vif/0/backend: error -2");
	add_vif("0", BE, "0");
	add_vif("eth0", BE, "0");
	ck_assert_int_eq(xenbus_enumerate(&C, "vif", devs, 2, &n, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "device/vif: entry 'eth0' is not a device number");
	clean();
}
END_TEST

START_TEST(test_connect_netfront)
{
	static const int want[] = {XenbusStateInitialising, XenbusStateConnected};

	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 0);
	ck_assert_int_eq(setup_calls, 1);
	ck_assert_str_eq(fe_get("state"), "4");
	ck_assert_str_eq(fe_get("tx-ring-ref"), "8");
	ck_assert_str_eq(fe_get("event-channel"), "9");
	ck_assert_int_eq(be_state(), XenbusStateConnected);
	assert_hist(want, 2);
	ck_assert_str_eq(err, "");
	clean();
}
END_TEST

/* From a backend in Closed (a previous clean close): Initialising brings it to InitWait. */
START_TEST(test_connect_from_closed)
{
	fake_kv_write(&F, BE_STATE, "6");
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 0);
	ck_assert_int_eq(be_state(), XenbusStateConnected);
	clean();
}
END_TEST

START_TEST(test_connect_backend_skips)
{
	mode = BE_SKIP;
	fake_kv_write(&F, BE_STATE, "1");
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 0);
	ck_assert_int_eq(setup_calls, 1);
	ck_assert_str_eq(fe_get("state"), "4");
	clean();
}
END_TEST

/* Left over from an earlier user: led through Closing and Closed before the handshake. */
START_TEST(test_connect_already_connected)
{
	static const int want[] = {XenbusStateClosing, XenbusStateClosed, XenbusStateInitialising,
				   XenbusStateConnected};

	fake_kv_write(&F, FE "/state", "4");
	fake_kv_write(&F, BE_STATE, "4");
	nhist = 0;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 0);
	assert_hist(want, 4);
	ck_assert_int_eq(be_state(), XenbusStateConnected);
	ck_assert_int_eq(setup_calls, 1);
	clean();
}
END_TEST

START_TEST(test_connect_already_closing)
{
	static const int want[] = {XenbusStateClosing, XenbusStateClosed, XenbusStateInitialising,
				   XenbusStateConnected};

	fake_kv_write(&F, BE_STATE, "5");
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 0);
	assert_hist(want, 4);
	clean();
}
END_TEST

START_TEST(test_connect_stuck_initwait)
{
	ck_assert_uint_eq(F.now, 1000000000ull);
	mode = BE_STUCK;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 3 * SEC, err, sizeof(err)),
			 -ETIMEDOUT);
	ck_assert_str_eq(err, "timeout waiting for " BE_STATE " in {Connected} (last: InitWait)");
	ck_assert_str_eq(fe_get("state"), "4");
	ck_assert_uint_lt(F.now, 1000000000ull + 3 * SEC + XENBUS_POLL_NS);
	clean();
}
END_TEST

/* A backend still in Initialising (hotplug not done) never reaches InitWait. */
START_TEST(test_connect_no_initwait)
{
	mode = BE_STUCK;
	fake_kv_write(&F, BE_STATE, "1");
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D, SEC,
						 err, sizeof(err)),
			 -ETIMEDOUT);
	ck_assert_str_eq(err, "timeout waiting for " BE_STATE
			      " in {InitWait,Initialised,Connected} (last: Initialising)");
	ck_assert_int_eq(setup_calls, 0);
	ck_assert_str_eq(fe_get("state"), "1");
	clean();
}
END_TEST

START_TEST(test_connect_backend_closes)
{
	mode = BE_CLOSE_ON_CONN;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 -ECONNRESET);
	ck_assert_str_eq(err, BE_STATE " went Closed while waiting for {Connected}");
	clean();
}
END_TEST

START_TEST(test_connect_eagain)
{
	F.tx_end_eagain = 2;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 0);
	ck_assert_int_eq(setup_calls, 3);
	ck_assert_str_eq(fe_get("state"), "4");
	ck_assert_str_eq(fe_get("tx-ring-ref"), "8");
	ck_assert_int_eq(be_state(), XenbusStateConnected);
	clean();
}
END_TEST

START_TEST(test_connect_eagain_forever)
{
	F.tx_end_eagain = 1000;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 -EAGAIN);
	ck_assert_int_eq(setup_calls, XENBUS_TX_RETRIES);
	ck_assert_str_eq(err,
			 "device/vif/0: connect transaction still conflicting after 8 attempts");
	ck_assert_ptr_null(fe_get("tx-ring-ref"));
	ck_assert_str_eq(fe_get("state"), "1");
	F.tx_end_eagain = 0;
	clean();
}
END_TEST

START_TEST(test_connect_setup_fails)
{
	setup_ret = -ENOMEM;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 -ENOMEM);
	ck_assert_str_eq(err, "device/vif/0: setup failed: error -12");
	ck_assert_int_eq(setup_calls, 1);
	ck_assert_str_eq(fe_get("state"), "1");
	ck_assert(!F.in_tx);
	setup_ret = 0;
	clean();
}
END_TEST

/* Our state moved on under us (a second connect won): the guard refuses to act on InitWait. */
START_TEST(test_connect_reentry_guard)
{
	mode = BE_CONCURRENT;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 -EALREADY);
	ck_assert_str_eq(err,
			 "device/vif/0/state is Connected, not Initialising: connect re-entered");
	ck_assert_int_eq(setup_calls, 0);
	ck_assert(!F.in_tx);
	clean();
}
END_TEST

START_TEST(test_connect_blkfront)
{
	static const int want[] = {XenbusStateInitialising, XenbusStateInitialised};

	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateInitialised, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 0);
	ck_assert_str_eq(fe_get("state"), "3");
	ck_assert_int_eq(be_state(), XenbusStateConnected);
	assert_hist(want, 2);
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateClosing, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 -EINVAL);
	clean();
}
END_TEST

START_TEST(test_close)
{
	static const int want[] = {XenbusStateClosing, XenbusStateClosed};

	fake_kv_write(&F, FE "/state", "4");
	fake_kv_write(&F, BE_STATE, "4");
	nhist = 0;
	ck_assert_int_eq(xenbus_frontend_close(&C, &D, 10 * SEC, err, sizeof(err)), 0);
	assert_hist(want, 2);
	ck_assert_int_eq(be_state(), XenbusStateClosed);
	clean();
}
END_TEST

START_TEST(test_close_backend_vanishes)
{
	mode = BE_LEAVE_ON_CLOSE;
	fake_kv_write(&F, BE_STATE, "4");
	ck_assert_int_eq(xenbus_frontend_close(&C, &D, 10 * SEC, err, sizeof(err)), 0);
	ck_assert_int_eq(be_state(), -1);
	ck_assert_str_eq(fe_get("state"), "6");
	clean();
}
END_TEST

START_TEST(test_close_unresponsive)
{
	mode = BE_STUCK;
	fake_kv_write(&F, BE_STATE, "4");
	ck_assert_int_eq(xenbus_frontend_close(&C, &D, 2 * SEC, err, sizeof(err)), -ETIMEDOUT);
	ck_assert_str_eq(err, "timeout waiting for " BE_STATE
			      " in {Unknown,Closing,Closed} (last: Connected)");
	ck_assert_str_eq(fe_get("state"), "5");
	clean();
}
END_TEST

/* A broken xenstore connection surfaces as an error naming the key, not a hang. */
START_TEST(test_connect_xenstore_broken)
{
	C.broken = true;
	ck_assert_int_eq(xenbus_frontend_connect(&C, &D, XenbusStateConnected, net_setup, &D,
						 10 * SEC, err, sizeof(err)),
			 -EIO);
	ck_assert_str_eq(err, "reading " BE_STATE ": error -5");
	C.broken = false;
	clean();
}
END_TEST

static bool known_0_and_5(unsigned int devid)
{
	return devid == 0 || devid == 5;
}

/* The hot-plug watch covers the subtree: our own key writes must not rescan the bus. */
START_TEST(test_event_needs_rescan)
{
	static const struct {
		const char *path;
		bool rescan;
	} cases[] = {
		{"device/vif", true},		/* the directory (or a coalesced event) */
		{"device/vif/3", true},		/* a device node came or went */
		{"device/vif/3/backend", true}, /* an unknown device's keys */
		{"device/vif/0/state", false},	/* our own writes */
		{"device/vif/0/tx-ring-ref", false},
		{"device/vif/5/feature-sg", false},
		{"device/vif/0/backend", true}, /* re-pointed: revive */
		{"device/vif/0/backend-id", true},
		{"/local/domain/7/device/vif/0/state", false}, /* absolute form */
		{"/local/domain/7/device/vif/9/state", true},
		{"device/vifx/0/state", true}, /* not ours: safe side */
		{"device/vbd/0/state", true},
		{"device/vif/0x1/state", true}, /* not a canonical devid */
		{"device/vif//state", true},
		{"elsewhere", true},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(xenbus_event_needs_rescan("vif", cases[i].path, known_0_and_5) ==
				      cases[i].rescan,
			      "%s", cases[i].path);
}
END_TEST

static Suite *xenbus_suite(void)
{
	Suite *s = suite_create("xenbus");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_read_state);
	tcase_add_test(tc, test_switch_state);
	tcase_add_test(tc, test_wait_state_timeout_text);
	tcase_add_test(tc, test_wait_state_reaches);
	tcase_add_test(tc, test_enumerate);
	tcase_add_test(tc, test_enumerate_rejects);
	tcase_add_test(tc, test_connect_netfront);
	tcase_add_test(tc, test_connect_from_closed);
	tcase_add_test(tc, test_connect_backend_skips);
	tcase_add_test(tc, test_connect_already_connected);
	tcase_add_test(tc, test_connect_already_closing);
	tcase_add_test(tc, test_connect_stuck_initwait);
	tcase_add_test(tc, test_connect_no_initwait);
	tcase_add_test(tc, test_connect_backend_closes);
	tcase_add_test(tc, test_connect_eagain);
	tcase_add_test(tc, test_connect_eagain_forever);
	tcase_add_test(tc, test_connect_setup_fails);
	tcase_add_test(tc, test_connect_reentry_guard);
	tcase_add_test(tc, test_connect_blkfront);
	tcase_add_test(tc, test_close);
	tcase_add_test(tc, test_close_backend_vanishes);
	tcase_add_test(tc, test_close_unresponsive);
	tcase_add_test(tc, test_connect_xenstore_broken);
	tcase_add_test(tc, test_event_needs_rescan);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xenbus_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
