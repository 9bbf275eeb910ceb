// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for xen/xs.c and xen/xs_ring.c against the fake xenstored. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_xenstore.h"
#include "sluice/xenstore.h"

static struct fake_xs F;
static struct xs_client C;

#define MS 1000000ull

static void setup_at(uint32_t idx)
{
	fake_init(&F, idx);
	ck_assert_int_eq(xs_init(&C, &F.ring, &fake_ops, &F), 0);
}

static void setup(void)
{
	setup_at(0);
}

static void clean(void)
{
	ck_assert_msg(!F.violation, "client broke the protocol: %s", F.violation_msg);
}

/* Let the fake run until everything it has to say is in our queue. */
static void drain(void)
{
	for (int i = 0; i < 1000 && (F.out_len > 0 || xs_rx_pending(&C)); i++) {
		fake_step(&F);
		ck_assert_int_ge(xs_poll(&C), 0);
	}
	ck_assert_uint_eq(F.out_len, 0);
}

struct rec {
	int n;
	char last[FAKE_PATH_MAX];
};

static void rec_fn(struct xs_watch *w, const char *path)
{
	struct rec *r = w->arg;

	r->n++;
	snprintf(r->last, sizeof(r->last), "%s", path);
}

static void put(const char *path, const char *val)
{
	ck_assert_int_eq(xs_write(&C, 0, path, val, strlen(val)), 0);
}

static void expect(const char *path, const char *want)
{
	char b[XENSTORE_PAYLOAD_MAX + 1];
	size_t len;

	ck_assert_int_eq(xs_read(&C, 0, path, b, sizeof(b), &len), 0);
	ck_assert_str_eq(b, want);
	ck_assert_uint_eq(len, strlen(want));
}

START_TEST(test_init_args)
{
	const struct xs_ops no_wait = {.notify = fake_ops.notify, .now_ns = fake_ops.now_ns};

	ck_assert_int_eq(xs_init(NULL, &F.ring, &fake_ops, &F), -EINVAL);
	ck_assert_int_eq(xs_init(&C, NULL, &fake_ops, &F), -EINVAL);
	ck_assert_int_eq(xs_init(&C, &F.ring, &no_wait, &F), -EINVAL);
	F.ring.rsp_prod = F.ring.rsp_cons + XENSTORE_RING_SIZE + 1;
	ck_assert_int_eq(xs_init(&C, &F.ring, &fake_ops, &F), -EIO);
	F.ring.rsp_prod = F.ring.rsp_cons;
	F.ring.req_prod = F.ring.req_cons - 1;
	ck_assert_int_eq(xs_init(&C, &F.ring, &fake_ops, &F), -EIO);
}
END_TEST

START_TEST(test_write_read)
{
	static const char bin[] = {'a', 0, 'b'};
	char b[16];
	size_t len;

	put("data/a", "hello");
	ck_assert_str_eq(fake_kv_get(&F, FAKE_HOME "/data/a", NULL), "hello");
	expect("data/a", "hello");
	put("/local/domain/7/data/b", "");
	expect("data/b", "");
	ck_assert_int_eq(xs_write(&C, 0, "data/bin", bin, sizeof(bin)), 0);
	ck_assert_int_eq(xs_read(&C, 0, "data/bin", b, sizeof(b), &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(b, bin, 3);
	ck_assert_int_eq(b[3], 0);
	ck_assert_uint_eq(C.stats.stale_replies + C.stats.bad_msgs, 0);
	clean();
}
END_TEST

START_TEST(test_read_e2big)
{
	char b[8];
	size_t len = 0;

	put("data/a", "hello");
	memset(b, 'X', sizeof(b));
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, 5, &len), -E2BIG);
	ck_assert_uint_eq(len, 5);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(b[i], 'X'); /* nothing truncated into the buffer */
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, 6, &len), 0);
	ck_assert_str_eq(b, "hello");
	ck_assert_int_eq(xs_read(&C, 0, "data/a", NULL, 0, &len), -E2BIG);
	clean();
}
END_TEST

START_TEST(test_server_errors)
{
	char b[8];

	ck_assert_int_eq(xs_read(&C, 0, "data/none", b, sizeof(b), NULL), -ENOENT);
	F.fail_type = XS_READ;
	F.fail_err = "EACCES";
	ck_assert_int_eq(xs_read(&C, 0, "data/none", b, sizeof(b), NULL), -EACCES);
	F.fail_type = XS_WRITE;
	F.fail_err = "EWHATEVER";
	ck_assert_int_eq(xs_write(&C, 0, "data/x", "1", 1), -EIO);
	ck_assert(!C.broken);
	put("data/x", "2");
	expect("data/x", "2");
	clean();
}
END_TEST

START_TEST(test_errno_from_string)
{
	ck_assert_int_eq(xs_errno_from_string("EAGAIN", 6), -EAGAIN);
	ck_assert_int_eq(xs_errno_from_string("EAGAIN", 7), -EAGAIN);
	ck_assert_int_eq(xs_errno_from_string("ENOENT\0\0", 8), -ENOENT);
	ck_assert_int_eq(xs_errno_from_string("EPERM", 5), -EPERM);
	ck_assert_int_eq(xs_errno_from_string("E2BIG", 5), -E2BIG);
	ck_assert_int_eq(xs_errno_from_string("EAGAINX", 7), -EIO);
	ck_assert_int_eq(xs_errno_from_string("EAGAIN", 5), -EIO);
	ck_assert_int_eq(xs_errno_from_string("eagain", 6), -EIO);
	ck_assert_int_eq(xs_errno_from_string("", 0), -EIO);
	ck_assert_int_eq(xs_errno_from_string(NULL, 3), -EIO);
}
END_TEST

START_TEST(test_read_u64)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
		{"0", 0, 0},
		{"42", 0, 42},
		{"18446744073709551615", 0, UINT64_MAX},
		{"18446744073709551616", -ERANGE, 0},
		{"123456789012345678901234567890", -ERANGE, 0},
		{"", -EINVAL, 0},
		{"007", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"+1", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1\n", -EINVAL, 0},
		{"0x10", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;

		put("data/n", cases[i].s);
		ck_assert_msg(xs_read_u64(&C, 0, "data/n", &v) == cases[i].r, "case '%s'",
			      cases[i].s);
		ck_assert_uint_eq(v, cases[i].r ? 12345 : cases[i].v);
	}
	ck_assert_int_eq(xs_write(&C, 0, "data/n", "1\0002", 3), 0);
	ck_assert_int_eq(xs_read_u64(&C, 0, "data/n", &(uint64_t){0}), -EINVAL);
	ck_assert_int_eq(xs_read_u64(&C, 0, "data/missing", &(uint64_t){0}), -ENOENT);
	clean();
}
END_TEST

START_TEST(test_printf)
{
	char big[XS_PRINTF_MAX + 1];
	unsigned int nreq;

	ck_assert_int_eq(xs_printf(&C, 0, "data/p", "%u-%s", 12u, "ab"), 0);
	expect("data/p", "12-ab");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nreq = F.nreq;
	ck_assert_int_eq(xs_printf(&C, 0, "data/p", "%s", big), -E2BIG);
	ck_assert_uint_eq(F.nreq, nreq);
	expect("data/p", "12-ab");
	clean();
}
END_TEST

START_TEST(test_directory)
{
	char b[64];
	unsigned int n = 99;
	bool x = false, y = false;

	ck_assert_int_eq(xs_mkdir(&C, 0, "data/d"), 0);
	ck_assert_int_eq(xs_directory(&C, 0, "data/d", b, sizeof(b), &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(b[0], 0);
	put("data/d/x", "1");
	put("data/d/yy", "2");
	ck_assert_int_eq(xs_directory(&C, 0, "data/d", b, sizeof(b), &n), 0);
	ck_assert_uint_eq(n, 2);
	for (const char *p = b; *p; p += strlen(p) + 1) {
		x |= strcmp(p, "x") == 0;
		y |= strcmp(p, "yy") == 0;
	}
	ck_assert(x && y);
	/* "x\0yy\0" + list NUL = 6 bytes */
	ck_assert_int_eq(xs_directory(&C, 0, "data/d", b, 5, &n), -E2BIG);
	ck_assert_int_eq(xs_directory(&C, 0, "data/d", b, 6, &n), 0);
	ck_assert_int_eq(xs_rm(&C, 0, "data/d"), 0);
	ck_assert_int_eq(xs_directory(&C, 0, "data/d", b, sizeof(b), &n), -ENOENT);
	ck_assert_ptr_null(fake_kv_get(&F, "data/d/x", NULL));
	ck_assert_int_eq(xs_rm(&C, 0, "data/d"), -ENOENT);
	clean();
}
END_TEST

START_TEST(test_request_too_big)
{
	static char val[XENSTORE_PAYLOAD_MAX];
	static char b[XENSTORE_PAYLOAD_MAX + 1];
	uint32_t prod = F.ring.req_prod;
	size_t len;

	memset(val, 'v', sizeof(val));
	/* "a\0" + 4095 bytes = 4097: refused before a single byte is written. */
	ck_assert_int_eq(xs_write(&C, 0, "a", val, XENSTORE_PAYLOAD_MAX - 1), -E2BIG);
	ck_assert_uint_eq(F.ring.req_prod, prod);
	ck_assert_uint_eq(F.notifies, 0);
	ck_assert(!C.broken);
	/* Exactly the maximum is fine, and comes back whole. */
	ck_assert_int_eq(xs_write(&C, 0, "a", val, XENSTORE_PAYLOAD_MAX - 2), 0);
	ck_assert_int_eq(xs_read(&C, 0, "a", b, sizeof(b), &len), 0);
	ck_assert_uint_eq(len, XENSTORE_PAYLOAD_MAX - 2);
	ck_assert_mem_eq(b, val, len);
	clean();
}
END_TEST

START_TEST(test_path_limits)
{
	static char p[XENSTORE_ABS_PATH_MAX + 2];
	char b[4];

	memset(p, 'a', sizeof(p) - 1);
	p[0] = '/';
	p[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(xs_read(&C, 0, p, b, sizeof(b), NULL), -ENAMETOOLONG);
	p[0] = 'a';
	p[XENSTORE_REL_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(xs_write(&C, 0, p, "1", 1), -ENAMETOOLONG);
	ck_assert_int_eq(xs_mkdir(&C, 0, ""), -EINVAL);
	ck_assert_int_eq(xs_rm(&C, 0, NULL), -EINVAL);
	ck_assert_uint_eq(F.nreq, 0);
	ck_assert_uint_eq(F.ring.req_prod, F.ring.req_cons);
}
END_TEST

/* Indices start 16 bytes before 2^32: every message crosses the wrap at least once. */
START_TEST(test_ring_wrap)
{
	static char val[3000], b[3001];
	size_t len;

	setup_at(0xFFFFFFF0u);
	for (int round = 0; round < 6; round++) {
		size_t n = 1000 + (size_t)round * 397;

		for (size_t i = 0; i < n; i++)
			val[i] = (char)('A' + (i * 7 + (size_t)round) % 26);
		ck_assert_int_eq(xs_write(&C, 0, "data/big", val, n), 0);
		memset(b, 0, sizeof(b));
		ck_assert_int_eq(xs_read(&C, 0, "data/big", b, sizeof(b), &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert_mem_eq(b, val, n);
	}
	ck_assert_uint_lt(F.ring.req_prod, 0xFFFFFFF0u); /* both rings really wrapped */
	ck_assert_uint_lt(F.ring.rsp_prod, 0xFFFFFFF0u);
	ck_assert(!C.broken);
	clean();
}
END_TEST

/* Replies trickle in a few bytes at a time: headers and payloads arrive split. */
START_TEST(test_partial_delivery)
{
	setup_at(0xFFFFFFFEu);
	F.out_chunk = 3;
	put("data/a", "a value longer than one chunk");
	expect("data/a", "a value longer than one chunk");
	F.out_chunk = 1;
	expect("data/a", "a value longer than one chunk");
	ck_assert_uint_eq(C.stats.bad_msgs + C.stats.stale_replies, 0);
	clean();
}
END_TEST

START_TEST(test_unknown_req_id)
{
	put("data/a", "1");
	F.unknown_reply_first = true;
	expect("data/a", "1");
	ck_assert_uint_eq(C.stats.stale_replies, 1);
	ck_assert(!C.broken);
	clean();
}
END_TEST

/* A late reply to a timed-out request reaches us while we wait for the next one. */
START_TEST(test_stale_reply_after_timeout)
{
	char b[8];
	uint64_t t0;

	put("data/a", "1");
	put("data/b", "2");
	C.timeout_ns = 50 * MS;
	F.stall_steps = 100;
	t0 = F.now;
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, sizeof(b), NULL), -ETIMEDOUT);
	ck_assert_uint_ge(F.now - t0, 50 * MS);
	ck_assert_uint_le(F.now - t0, 52 * MS);
	ck_assert(!C.broken);
	C.timeout_ns = XS_DEFAULT_TIMEOUT_NS;
	expect("data/b", "2");
	ck_assert_uint_eq(C.stats.stale_replies, 1);
	expect("data/a", "1");
	clean();
}
END_TEST

START_TEST(test_timeout_default)
{
	char b[8];
	uint64_t t0 = F.now;

	F.stall_steps = 1000000;
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, sizeof(b), NULL), -ETIMEDOUT);
	ck_assert_uint_ge(F.now - t0, XS_DEFAULT_TIMEOUT_NS);
	ck_assert_uint_le(F.now - t0, XS_DEFAULT_TIMEOUT_NS + 2 * MS);
	ck_assert(!C.broken);
}
END_TEST

/* Request ring full and the server gone: nothing was written, so the client survives. */
START_TEST(test_no_space_timeout)
{
	char b[8];

	F.ring.req_prod = F.ring.req_cons + XENSTORE_RING_SIZE;
	F.stall_steps = 1000000;
	C.timeout_ns = 20 * MS;
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, sizeof(b), NULL), -ETIMEDOUT);
	ck_assert(!C.broken);
	ck_assert_uint_eq(F.notifies, 0);
}
END_TEST

/* A request that times out half-written has corrupted the stream: broken. */
START_TEST(test_partial_write_timeout)
{
	static char val[3000];

	memset(val, 'q', sizeof(val));
	F.stall_steps = 1000000;
	C.timeout_ns = 20 * MS;
	ck_assert_int_eq(xs_write(&C, 0, "data/a", val, sizeof(val)), -ETIMEDOUT);
	ck_assert(C.broken);
	ck_assert_int_eq(xs_write(&C, 0, "data/a", "1", 1), -EIO);
}
END_TEST

/* Responses backed up and a request bigger than the free space: we must read while we write. */
START_TEST(test_drain_while_sending)
{
	static char val[3000];
	struct rec r = {0};
	struct xs_watch w = {.path = "data/w", .fn = rec_fn, .arg = &r};

	ck_assert_int_eq(xs_watch(&C, &w), 0);
	for (int i = 0; i < 100; i++)
		fake_emit_event(&F, "data/w/k", w.tok);
	fake_step(&F); /* the response ring is now full */
	F.strict_flow = true;
	memset(val, 'd', sizeof(val));
	ck_assert_int_eq(xs_write(&C, 0, "data/a", val, sizeof(val)), 0);
	ck_assert_uint_eq(C.evq_count, XS_EVQ_LEN);
	ck_assert(w.missed);
	ck_assert(!C.broken);
	clean();
}
END_TEST

START_TEST(test_oversized_reply)
{
	char b[8];
	unsigned int nreq;

	put("data/a", "1");
	F.oversized_next = true;
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, sizeof(b), NULL), -EIO);
	ck_assert(C.broken);
	nreq = F.nreq;
	ck_assert_int_eq(xs_write(&C, 0, "data/a", "2", 1), -EIO);
	ck_assert_int_eq(xs_poll(&C), -EIO);
	uint32_t tx;
	ck_assert_int_eq(xs_transaction_start(&C, &tx), -EIO);
	fake_step(&F);
	ck_assert_uint_eq(F.nreq, nreq); /* nothing more was sent */
}
END_TEST

START_TEST(test_corrupt_rsp_index)
{
	char b[8];

	F.ring.rsp_prod = F.ring.rsp_cons + 5000;
	ck_assert_int_eq(xs_read(&C, 0, "data/a", b, sizeof(b), NULL), -EIO);
	ck_assert(C.broken);
}
END_TEST

START_TEST(test_poll_nonblocking)
{
	unsigned int steps = F.steps;

	ck_assert_int_eq(xs_poll(&C), 0);
	ck_assert(!xs_rx_pending(&C));
	ck_assert_uint_eq(F.steps, steps);
	/* A stray reply is consumed and counted, without waiting. */
	fake_emit(&F, XS_READ, 77, 0, "x", 1);
	fake_step(&F);
	ck_assert(xs_rx_pending(&C));
	ck_assert_int_eq(xs_poll(&C), 0);
	ck_assert(!xs_rx_pending(&C));
	ck_assert_uint_eq(C.stats.stale_replies, 1);
	/* A malformed event (no token) is counted and dropped. */
	fake_emit(&F, XS_WATCH_EVENT, 0, 0, "data/x", 7);
	fake_step(&F);
	ck_assert_int_eq(xs_poll(&C), 0);
	ck_assert_uint_eq(C.stats.bad_msgs, 1);
}
END_TEST

START_TEST(test_watch_immediate)
{
	struct rec r = {0};
	struct xs_watch w = {.path = "data/w", .fn = rec_fn, .arg = &r};

	ck_assert_int_eq(xs_watch(&C, &w), 0);
	ck_assert(w.registered);
	ck_assert_ptr_nonnull(fake_watch_token(&F, "data/w"));
	ck_assert_str_eq(fake_watch_token(&F, "data/w"), w.tok);
	ck_assert_int_eq(r.n, 0); /* queued, not run from inside the call */
	ck_assert_uint_eq(C.evq_count, 1);
	xs_dispatch_watches(&C);
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.last, "data/w");
	put("data/w/k", "1");
	xs_dispatch_watches(&C);
	ck_assert_int_eq(r.n, 2);
	ck_assert_str_eq(r.last, "data/w/k");
	ck_assert_int_eq(xs_unwatch(&C, &w), 0);
	ck_assert(!w.registered);
	ck_assert_uint_eq(fake_nwatches(&F), 0);
	clean();
}
END_TEST

/* The immediate event may also come after the reply: it then arrives through xs_poll. */
START_TEST(test_watch_fire_after_reply)
{
	struct rec r = {0};
	struct xs_watch w = {
		.path = "/local/domain/7/data/w", .token = "mytok", .fn = rec_fn, .arg = &r};

	F.watch_fire_after_reply = true;
	ck_assert_int_eq(xs_watch(&C, &w), 0);
	ck_assert_str_eq(fake_watch_token(&F, "/local/domain/7/data/w"), "mytok");
	drain();
	xs_dispatch_watches(&C);
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.last, "/local/domain/7/data/w");
	clean();
}
END_TEST

START_TEST(test_events_interleaved)
{
	struct rec r = {0};
	struct xs_watch w = {.path = "data/w", .fn = rec_fn, .arg = &r};

	put("data/a", "va");
	ck_assert_int_eq(xs_watch(&C, &w), 0);
	xs_dispatch_watches(&C);
	r.n = 0;
	F.events_before_reply = 2;
	expect("data/a", "va");
	expect("data/a", "va");
	F.events_before_reply = 0;
	ck_assert_int_eq(r.n, 0);
	ck_assert_uint_eq(C.evq_count, 4);
	xs_dispatch_watches(&C);
	ck_assert_int_eq(r.n, 4);
	ck_assert_uint_eq(C.stats.stale_replies + C.stats.bad_msgs, 0);
	clean();
}
END_TEST

START_TEST(test_event_overflow)
{
	struct rec r = {0};
	struct xs_watch w = {.path = "data/w", .fn = rec_fn, .arg = &r};
	char longp[400];

	ck_assert_int_eq(xs_watch(&C, &w), 0);
	xs_dispatch_watches(&C);
	r.n = 0;
	for (int i = 0; i < XS_EVQ_LEN + 8; i++)
		fake_emit_event(&F, "data/w/k", w.tok);
	drain();
	ck_assert_uint_eq(C.evq_count, XS_EVQ_LEN);
	ck_assert_uint_eq(C.stats.evq_overflows, 8);
	ck_assert(w.missed);
	xs_dispatch_watches(&C);
	ck_assert_int_eq(r.n, XS_EVQ_LEN + 1); /* the overflow folds into one more call */
	ck_assert_str_eq(r.last, "data/w");
	ck_assert(!w.missed);
	/* A path too long for a queue slot also folds into the flag. */
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	memcpy(longp, "data/w/", 7);
	fake_emit_event(&F, longp, w.tok);
	drain();
	ck_assert_uint_eq(C.evq_count, 0);
	ck_assert(w.missed);
	xs_dispatch_watches(&C);
	ck_assert_int_eq(r.n, XS_EVQ_LEN + 2);
	ck_assert_str_eq(r.last, "data/w");
	clean();
}
END_TEST

START_TEST(test_unwatch_purges)
{
	struct rec ra = {0}, rb = {0};
	struct xs_watch a = {.path = "data/a", .fn = rec_fn, .arg = &ra};
	struct xs_watch b = {.path = "data/b", .fn = rec_fn, .arg = &rb};
	char tok[XS_TOKEN_MAX];

	ck_assert_int_eq(xs_watch(&C, &a), 0);
	ck_assert_int_eq(xs_watch(&C, &b), 0);
	ck_assert_str_ne(a.tok, b.tok);
	put("data/a/1", "x");
	put("data/b/1", "x");
	put("data/a/2", "x");
	ck_assert_uint_eq(C.evq_count, 5);
	a.missed = true;
	ck_assert_int_eq(xs_unwatch(&C, &a), 0);
	ck_assert_uint_eq(C.evq_count, 2);
	xs_dispatch_watches(&C);
	ck_assert_int_eq(ra.n, 0);
	ck_assert_int_eq(rb.n, 2);
	/* An event still in flight for the old token is dropped and counted. */
	snprintf(tok, sizeof(tok), "%s", a.tok);
	fake_emit_event(&F, "data/a", tok);
	drain();
	ck_assert_uint_eq(C.stats.unknown_events, 1);
	ck_assert_uint_eq(C.evq_count, 0);
	ck_assert_int_eq(xs_unwatch(&C, &a), -EINVAL);
	clean();
}
END_TEST

START_TEST(test_watch_errors)
{
	struct rec r = {0};
	struct xs_watch a = {.path = "data/a", .token = "t", .fn = rec_fn, .arg = &r};
	struct xs_watch b = {.path = "data/b", .token = "t", .fn = rec_fn, .arg = &r};
	struct xs_watch c = {.path = "data/c", .fn = NULL};
	struct xs_watch d = {
		.path = "data/d", .token = "0123456789012345678901234567890123", .fn = rec_fn};
	struct xs_watch e = {.path = "data/e", .fn = rec_fn, .arg = &r};

	ck_assert_int_eq(xs_watch(&C, &a), 0);
	ck_assert_int_eq(xs_watch(&C, &a), -EBUSY);
	ck_assert_int_eq(xs_watch(&C, &b), -EEXIST);
	ck_assert(!b.registered);
	ck_assert_int_eq(xs_watch(&C, &c), -EINVAL);
	ck_assert_int_eq(xs_watch(&C, &d), -ENAMETOOLONG);
	F.fail_type = XS_WATCH;
	F.fail_err = "EACCES";
	ck_assert_int_eq(xs_watch(&C, &e), -EACCES);
	ck_assert(!e.registered);
	ck_assert_ptr_eq(C.watches, &a);
	ck_assert_ptr_null(a.next);
	clean();
}
END_TEST

static struct xs_watch *victim;
static int reentry_reads;

/* Unwatches another watch and talks to the store from inside dispatch. */
static void meddler(struct xs_watch *w, const char *path)
{
	char b[8];

	rec_fn(w, path);
	if (victim) {
		ck_assert_int_eq(xs_unwatch(&C, victim), 0);
		victim = NULL;
	}
	if (xs_read(&C, 0, "data/m/v", b, sizeof(b), NULL) == 0)
		reentry_reads++;
	/* Rewriting what we watch queues a new event: not run in this dispatch. */
	ck_assert_int_eq(xs_write(&C, 0, "data/m/v", "1", 1), 0);
}

START_TEST(test_dispatch_reentry)
{
	struct rec rm = {0}, rv = {0};
	struct xs_watch m = {.path = "data/m", .fn = meddler, .arg = &rm};
	struct xs_watch v = {.path = "data/v", .fn = rec_fn, .arg = &rv};

	put("data/m/v", "0");
	ck_assert_int_eq(xs_watch(&C, &m), 0);
	ck_assert_int_eq(xs_watch(&C, &v), 0);
	victim = &v;
	xs_dispatch_watches(&C); /* m's immediate event runs first and removes v's */
	ck_assert_int_eq(rm.n, 1);
	ck_assert_int_eq(rv.n, 0);
	ck_assert_uint_eq(C.evq_count, 1);
	xs_dispatch_watches(&C);
	ck_assert_int_eq(rm.n, 2);
	ck_assert_int_eq(reentry_reads, 2);
	clean();
}
END_TEST

static int nested_result = 1;

static int nesting_wait(void *ctx, uint64_t deadline)
{
	char b[4];

	if (nested_result == 1)
		nested_result = xs_read(&C, 0, "data/a", b, sizeof(b), NULL);
	return fake_ops.wait(ctx, deadline);
}

START_TEST(test_reentrant_request_refused)
{
	struct xs_ops ops = {
		.notify = fake_ops.notify, .wait = nesting_wait, .now_ns = fake_ops.now_ns};

	ck_assert_int_eq(xs_init(&C, &F.ring, &ops, &F), 0);
	put("data/a", "1");
	ck_assert_int_eq(nested_result, -EBUSY); /* from inside ops->wait */
	expect("data/a", "1");
	clean();
}
END_TEST

START_TEST(test_transactions)
{
	uint32_t tx = 0;
	char b[8];

	ck_assert_int_eq(xs_transaction_start(&C, &tx), 0);
	ck_assert_uint_eq(tx, 0x7ffffff0u);
	ck_assert_int_eq(xs_write(&C, tx, "data/t", "1", 1), 0);
	ck_assert_uint_eq(F.last_tx_id, tx);
	ck_assert_int_eq(xs_read(&C, tx, "data/t", b, sizeof(b), NULL), 0);
	ck_assert_int_eq(xs_transaction_end(&C, tx, true), 0);
	expect("data/t", "1");

	ck_assert_int_eq(xs_transaction_start(&C, &tx), 0);
	ck_assert_int_eq(xs_write(&C, tx, "data/t", "2", 1), 0);
	ck_assert_int_eq(xs_transaction_end(&C, tx, false), 0);
	expect("data/t", "1");

	F.tx_end_eagain = 1;
	ck_assert_int_eq(xs_transaction_start(&C, &tx), 0);
	ck_assert_int_eq(xs_write(&C, tx, "data/t", "3", 1), 0);
	ck_assert_int_eq(xs_transaction_end(&C, tx, true), -EAGAIN);
	expect("data/t", "1");

	ck_assert_int_eq(xs_transaction_end(&C, 0, true), -EINVAL);
	ck_assert_int_eq(xs_transaction_start(&C, NULL), -EINVAL);
	F.garbage_tx_id = true;
	ck_assert_int_eq(xs_transaction_start(&C, &tx), -EIO);
	ck_assert_uint_eq(C.stats.bad_msgs, 1);
	clean();
}
END_TEST

static void pattern(char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 13 + seed) % 26);
}

START_TEST(test_chunked_roundtrip)
{
	static char val[10000], b[10001];
	size_t len = 0;

	pattern(val, sizeof(val), 1);
	ck_assert_int_eq(xs_write_chunked(&C, "data/cfg", val, sizeof(val)), 0);
	ck_assert_str_eq(fake_kv_get(&F, "data/cfg/count", NULL), "5");
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/cfg", b, sizeof(b), &len), 0);
	ck_assert_uint_eq(len, sizeof(val));
	ck_assert_mem_eq(b, val, sizeof(val));
	ck_assert_int_eq(b[len], 0);
	ck_assert_uint_eq(F.req_types[XS_TRANSACTION_START], 2);
	/* One byte short for the NUL: refused, not truncated. */
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/cfg", b, sizeof(val), &len), -E2BIG);
	/* Shrinking removes the old chunks. */
	ck_assert_int_eq(xs_write_chunked(&C, "data/cfg", "short", 5), 0);
	ck_assert_str_eq(fake_kv_get(&F, "data/cfg/count", NULL), "1");
	ck_assert_ptr_null(fake_kv_get(&F, "data/cfg/1", NULL));
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/cfg", b, sizeof(b), &len), 0);
	ck_assert_str_eq(b, "short");
	ck_assert_int_eq(xs_write_chunked(&C, "data/cfg", NULL, 0), 0);
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/cfg", b, sizeof(b), &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(b[0], 0);
	clean();
}
END_TEST

START_TEST(test_chunked_eagain)
{
	static char val[5000], b[5001];
	size_t len;

	pattern(val, sizeof(val), 2);
	F.tx_end_eagain = 3;
	ck_assert_int_eq(xs_write_chunked(&C, "data/cfg", val, sizeof(val)), 0);
	ck_assert_uint_eq(F.req_types[XS_TRANSACTION_START], 4);
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/cfg", b, sizeof(b), &len), 0);
	ck_assert_mem_eq(b, val, sizeof(val));
	/* Bounded: a store that never lets us commit gets -EAGAIN, and nothing is left behind. */
	F.tx_end_eagain = 1000;
	ck_assert_int_eq(xs_write_chunked(&C, "data/new", val, sizeof(val)), -EAGAIN);
	ck_assert_uint_eq(F.req_types[XS_TRANSACTION_START], 5 + XS_TX_RETRIES);
	ck_assert_ptr_null(fake_kv_get(&F, "data/new/count", NULL));
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/cfg", b, sizeof(b), &len), -EAGAIN);
	F.tx_end_eagain = 0;
	clean();
}
END_TEST

START_TEST(test_chunked_validation)
{
	static char b[64], longp[XS_CHUNK_PATH_MAX + 2];
	size_t len;
	uint32_t tx;

	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, sizeof(b), &len), -ENOENT);
	put("data/c/count", "x");
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, sizeof(b), &len), -EINVAL);
	put("data/c/count", "257");
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, sizeof(b), &len), -EINVAL);
	put("data/c/count", "99999999999999999999999");
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, sizeof(b), &len), -EINVAL);
	put("data/c/count", "2");
	put("data/c/0", "abc");
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, sizeof(b), &len), -ENOENT);
	put("data/c/1", "def");
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, sizeof(b), &len), 0);
	ck_assert_str_eq(b, "abcdef");
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, 6, &len), -E2BIG);
	ck_assert_int_eq(xs_read_chunked(&C, 0, "data/c", b, 0, &len), -E2BIG);
	/* Inside the caller's transaction: no transaction of its own. */
	ck_assert_int_eq(xs_transaction_start(&C, &tx), 0);
	ck_assert_int_eq(xs_read_chunked(&C, tx, "data/c", b, sizeof(b), &len), 0);
	ck_assert_uint_eq(F.req_types[XS_TRANSACTION_START], 9); /* 8 reads above + ours */
	ck_assert_int_eq(xs_transaction_end(&C, tx, true), 0);
	memset(longp, 'l', sizeof(longp) - 1);
	ck_assert_int_eq(xs_read_chunked(&C, 0, longp, b, sizeof(b), &len), -ENAMETOOLONG);
	ck_assert_int_eq(xs_write_chunked(&C, longp, "x", 1), -ENAMETOOLONG);
	ck_assert_int_eq(
		xs_write_chunked(&C, "data/c", b, (size_t)XS_CHUNK_DATA * XS_CHUNK_COUNT_MAX + 1),
		-E2BIG);
	clean();
}
END_TEST

static Suite *xenstore_suite(void)
{
	Suite *s = suite_create("xenstore");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init_args);
	tcase_add_test(tc, test_write_read);
	tcase_add_test(tc, test_read_e2big);
	tcase_add_test(tc, test_server_errors);
	tcase_add_test(tc, test_errno_from_string);
	tcase_add_test(tc, test_read_u64);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_request_too_big);
	tcase_add_test(tc, test_path_limits);
	tcase_add_test(tc, test_ring_wrap);
	tcase_add_test(tc, test_partial_delivery);
	tcase_add_test(tc, test_unknown_req_id);
	tcase_add_test(tc, test_stale_reply_after_timeout);
	tcase_add_test(tc, test_timeout_default);
	tcase_add_test(tc, test_no_space_timeout);
	tcase_add_test(tc, test_partial_write_timeout);
	tcase_add_test(tc, test_drain_while_sending);
	tcase_add_test(tc, test_oversized_reply);
	tcase_add_test(tc, test_corrupt_rsp_index);
	tcase_add_test(tc, test_poll_nonblocking);
	tcase_add_test(tc, test_watch_immediate);
	tcase_add_test(tc, test_watch_fire_after_reply);
	tcase_add_test(tc, test_events_interleaved);
	tcase_add_test(tc, test_event_overflow);
	tcase_add_test(tc, test_unwatch_purges);
	tcase_add_test(tc, test_watch_errors);
	tcase_add_test(tc, test_dispatch_reentry);
	tcase_add_test(tc, test_reentrant_request_refused);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_chunked_roundtrip);
	tcase_add_test(tc, test_chunked_eagain);
	tcase_add_test(tc, test_chunked_validation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xenstore_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
