// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the host channel: the appliance's own key store
 * (kernel/lib/hcstore.c), the control-port protocol server against a
 * host that follows the protocol and one that does not
 * (kernel/lib/hcproto.c), and the channel's front and transports
 * (kernel/hostcfg.c with kernel/hostcfg_local.c, and xen/hostcfg_xen.c
 * over the fake xenstored), driven through the kernel shim's event loop.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_kernel.h"
#include "fake_xenstore.h"
#include "sluice/hcproto.h"
#include "sluice/hcstore.h"
#include "sluice/hostcfg_be.h"
#include "sluice/nf/confchan.h"
#include "sluice/nf/stats.h"
#include "sluice/xen_plat.h"

/* ---------------------------------------------------------------- store */

static struct hcs_store st;
static unsigned int nchanged;
static char last_changed[128];

static void on_change(void *ctx, const char *key)
{
	(void)ctx;
	nchanged++;
	snprintf(last_changed, sizeof(last_changed), "%s", key);
}

static void store_setup(void)
{
	hcs_init(&st, 16, 4096);
	st.changed = on_change;
	nchanged = 0;
}

static void store_teardown(void)
{
	hcs_fini(&st);
}

static int put(const char *k, const char *v)
{
	struct hcs_op op = {.kind = HCS_WRITE, .key = k, .val = v, .len = strlen(v)};

	return hcs_apply(&st, &op, 1);
}

static const char *get(const char *k)
{
	const struct hcs_entry *e = hcs_get(&st, k);

	return e ? e->val : NULL;
}

START_TEST(store_write_read_rm)
{
	struct hcs_op rm = {.kind = HCS_RM, .key = "config"};

	ck_assert_int_eq(put("config/0", "a"), 0);
	ck_assert_int_eq(put("config/1", "b"), 0);
	ck_assert_int_eq(put("config.x", "keep"), 0); /* sorts between config and config/ */
	ck_assert_int_eq(put("config", "top"), 0);
	ck_assert_int_eq(put("configure", "keep"), 0);
	ck_assert_str_eq(get("config/1"), "b");
	ck_assert_int_eq(hcs_apply(&st, &rm, 1), 0);
	ck_assert_ptr_null(get("config"));
	ck_assert_ptr_null(get("config/0"));
	ck_assert_ptr_null(get("config/1"));
	ck_assert_str_eq(get("config.x"), "keep");
	ck_assert_str_eq(get("configure"), "keep");
	ck_assert_uint_eq(st.n, 2);
	ck_assert_str_eq(last_changed, "config");
}
END_TEST

START_TEST(store_dir)
{
	char out[64];
	unsigned int n;
	size_t used;

	put("net/net0/ip", "1");
	put("net/net0/gw", "2");
	put("net/net1/ip", "3");
	put("net.old", "x");
	ck_assert_int_eq(hcs_dir(&st, "net", out, sizeof(out), &n, &used), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(used, 10);
	ck_assert_str_eq(out, "net0");
	ck_assert_str_eq(out + 5, "net1");
	ck_assert_int_eq(hcs_dir(&st, "nothing", out, sizeof(out), &n, &used), -ENOENT);
	ck_assert_int_eq(hcs_dir(&st, "net", out, 6, &n, &used), -E2BIG);
}
END_TEST

START_TEST(store_all_or_nothing)
{
	struct hcs_op ops[20];
	char keys[20][16];

	put("keep", "1");
	/* Over the entry quota half-way: nothing of it may land. */
	for (int i = 0; i < 20; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k/%d", i);
		ops[i] = (struct hcs_op){.kind = HCS_WRITE, .key = keys[i], .val = "v", .len = 1};
	}
	nchanged = 0;
	ck_assert_int_eq(hcs_apply(&st, ops, 20), -ENOSPC);
	ck_assert_uint_eq(st.n, 1);
	ck_assert_uint_eq(nchanged, 0);
	/* Over the byte quota. */
	char *big = malloc(5000);
	memset(big, 'x', 5000);
	ops[0] = (struct hcs_op){.kind = HCS_WRITE, .key = "big", .val = big, .len = 5000};
	ck_assert_int_eq(hcs_apply(&st, ops, 1), -ENOSPC);
	free(big);
	ck_assert_ptr_null(get("big"));
	/* A malformed key anywhere refuses the whole update. */
	ops[0] = (struct hcs_op){.kind = HCS_WRITE, .key = "ok", .val = "1", .len = 1};
	ops[1] = (struct hcs_op){.kind = HCS_WRITE, .key = "bad//key", .val = "1", .len = 1};
	ck_assert_int_eq(hcs_apply(&st, ops, 2), -EINVAL);
	ck_assert_ptr_null(get("ok"));
	/* In order: a removal then writes below it. */
	ops[0] = (struct hcs_op){.kind = HCS_RM, .key = "keep"};
	ops[1] = (struct hcs_op){.kind = HCS_WRITE, .key = "keep/0", .val = "n", .len = 1};
	ops[2] = (struct hcs_op){.kind = HCS_WRITE, .key = "keep/0", .val = "m", .len = 1};
	ck_assert_int_eq(hcs_apply(&st, ops, 3), 0);
	ck_assert_ptr_null(get("keep"));
	ck_assert_str_eq(get("keep/0"), "m");
}
END_TEST

START_TEST(store_keys)
{
	static const char *const bad[] = {"", "/a", "a/", "a//b", "a b", "a\x01", "\xc3\xa9"};
	char longkey[130];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(hcs_key_check(bad[i]) == -EINVAL, "key %zu accepted", i);
	/* ".." is just a name here: keys are never paths on a file system. */
	ck_assert_int_eq(hcs_key_check("../x"), 0);
	ck_assert_int_eq(hcs_key_check("a/b-c_d.e/0"), 0);
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	ck_assert_int_eq(hcs_key_check(longkey), -EINVAL);
	longkey[120] = '\0';
	ck_assert_int_eq(hcs_key_check(longkey), 0);
}
END_TEST

/* ------------------------------------------------------------- protocol */

static struct hcp_conn conn;
static uint32_t next_id;

static void proto_setup(void)
{
	hcs_init(&st, 2048, 2 * 1024 * 1024);
	st.changed = NULL;
	hcp_init(&conn, &st);
	next_id = 0;
}

static void proto_teardown(void)
{
	hcp_reset(&conn);
	hcs_fini(&st);
}

static size_t frame(uint8_t *out, uint8_t type, uint32_t tx, const void *p, size_t len)
{
	struct hcp_hdr h = {.magic = HCP_MAGIC,
			    .version = HCP_VERSION,
			    .type = type,
			    .id = ++next_id,
			    .tx = tx,
			    .len = (uint32_t)len};

	memcpy(out, &h, HCP_HDR_LEN);
	memcpy(out + HCP_HDR_LEN, p, len);
	return HCP_HDR_LEN + len;
}

struct reply {
	uint8_t type;
	uint32_t id;
	char p[HCP_PAYLOAD_MAX + 1];
	uint32_t len;
};

/* Everything the server has to say, parsed; returns how many frames. */
static unsigned int drain(struct reply *r, unsigned int max)
{
	static uint8_t buf[64 * 1024];
	size_t n = hcp_output(&conn, buf, sizeof(buf)), pos = 0;
	unsigned int count = 0;

	while (pos < n) {
		struct hcp_hdr h;

		ck_assert_uint_ge(n - pos, HCP_HDR_LEN);
		memcpy(&h, buf + pos, HCP_HDR_LEN);
		ck_assert_uint_eq(h.magic, HCP_MAGIC);
		ck_assert_uint_le(h.len, n - pos - HCP_HDR_LEN);
		if (count < max) {
			r[count].type = h.type;
			r[count].id = h.id;
			r[count].len = h.len;
			memcpy(r[count].p, buf + pos + HCP_HDR_LEN, h.len);
			r[count].p[h.len] = '\0';
		}
		count++;
		pos += HCP_HDR_LEN + h.len;
	}
	return count;
}

static unsigned int events_seen;

/* One request, fed whole; its one reply (watch events around it are counted). */
static struct reply ask(uint8_t type, uint32_t tx, const void *p, size_t len)
{
	static uint8_t buf[HCP_FRAME_MAX];
	struct reply r[4], *found = NULL;
	size_t n = frame(buf, type, tx, p, len);
	unsigned int got;

	ck_assert_uint_eq(hcp_input(&conn, buf, n), n);
	got = drain(r, 4);
	for (unsigned int i = 0; i < got && i < 4; i++) {
		if (r[i].type == HCP_EVENT) {
			events_seen++;
			continue;
		}
		ck_assert_ptr_null(found);
		found = &r[i];
	}
	ck_assert_ptr_nonnull(found);
	ck_assert_uint_eq(found->id, next_id);
	return *found;
}

#define S(lit) lit, sizeof(lit) /* a string payload with its NUL */

START_TEST(proto_basics)
{
	struct reply r = ask(HCP_HELLO, 0, "", 0);

	ck_assert_uint_eq(r.type, HCP_REPLY);
	ck_assert_str_eq(r.p, "sluice-hc 1");
	r = ask(HCP_WRITE, 0, "a/b\0value with\nbytes", 20);
	ck_assert_uint_eq(r.type, HCP_REPLY);
	ck_assert_str_eq(get("a/b"), "value with\nbytes");
	r = ask(HCP_READ, 0, S("a/b"));
	ck_assert_uint_eq(r.type, HCP_REPLY);
	ck_assert_uint_eq(r.len, 16);
	r = ask(HCP_READ, 0, S("a/c"));
	ck_assert_uint_eq(r.type, HCP_ERROR);
	ck_assert_str_eq(r.p, "ENOENT");
	r = ask(HCP_DIR, 0, S("a"));
	ck_assert_str_eq(r.p, "b");
	r = ask(HCP_RM, 0, S("a"));
	ck_assert_uint_eq(r.type, HCP_REPLY);
	ck_assert_ptr_null(get("a/b"));
}
END_TEST

START_TEST(proto_hostile_payloads)
{
	char big[HCP_PAYLOAD_MAX];
	struct reply r;

	/* No NUL after the key: refused, not read past the payload. */
	r = ask(HCP_READ, 0, "abc", 3);
	ck_assert_str_eq(r.p, "EINVAL");
	r = ask(HCP_WRITE, 0, "no-nul", 6);
	ck_assert_str_eq(r.p, "EINVAL");
	r = ask(HCP_READ, 0, S("bad key"));
	ck_assert_str_eq(r.p, "EINVAL");
	/* A value over HK_VALUE_MAX. */
	memset(big, 'v', sizeof(big));
	memcpy(big, "k", 2);
	r = ask(HCP_WRITE, 0, big, 2 + 2049);
	ck_assert_str_eq(r.p, "E2BIG");
	ck_assert_ptr_null(get("k"));
	r = ask(0x55, 0, "", 0);
	ck_assert_str_eq(r.p, "ENOSYS");
	/* A transaction that is not open. */
	r = ask(HCP_READ, 99, S("k"));
	ck_assert_str_eq(r.p, "ENOENT");
	r = ask(HCP_TX_END, 0, S("1"));
	ck_assert_str_eq(r.p, "EINVAL");
	ck_assert(!conn.broken);
}
END_TEST

START_TEST(proto_bad_framing)
{
	uint8_t buf[64];
	struct reply r[4];
	size_t n = frame(buf, HCP_READ, 0, S("k"));

	/* A header that does not parse: one EPROTO, then silence until a reconnect. */
	buf[0] ^= 0xff;
	ck_assert_uint_eq(hcp_input(&conn, buf, n), n);
	ck_assert_uint_eq(drain(r, 4), 1);
	ck_assert_uint_eq(r[0].type, HCP_ERROR);
	ck_assert_str_eq(r[0].p, "EPROTO");
	ck_assert(conn.broken);
	n = frame(buf, HCP_HELLO, 0, "", 0);
	ck_assert_uint_eq(hcp_input(&conn, buf, n), n);
	ck_assert_uint_eq(drain(r, 4), 0);
	hcp_reset(&conn);
	ck_assert_uint_eq(hcp_input(&conn, buf, n), n);
	ck_assert_uint_eq(drain(r, 4), 1);
	/* A length over the maximum is a framing error too. */
	n = frame(buf, HCP_READ, 0, S("k"));
	((struct hcp_hdr *)buf)->len = HCP_PAYLOAD_MAX + 1;
	hcp_input(&conn, buf, HCP_HDR_LEN);
	ck_assert(conn.broken);
	ck_assert_uint_eq(drain(r, 4), 1);
	ck_assert_str_eq(r[0].p, "EPROTO");
}
END_TEST

START_TEST(proto_byte_by_byte)
{
	uint8_t buf[256];
	struct reply r[4];
	size_t n = frame(buf, HCP_WRITE, 0, "x/y\0hello", 9);

	n += frame(buf + n, HCP_READ, 0, S("x/y"));
	/* Every split point: the stream may arrive in any pieces. */
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(hcp_input(&conn, buf + i, 1), 1);
	ck_assert_uint_eq(drain(r, 4), 2);
	ck_assert_uint_eq(r[1].type, HCP_REPLY);
	ck_assert_str_eq(r[1].p, "hello");
}
END_TEST

START_TEST(proto_transactions)
{
	struct reply r = ask(HCP_TX_START, 0, "", 0);
	uint32_t tx = (uint32_t)strtoul(r.p, NULL, 10);
	struct hcs_op op = {.kind = HCS_WRITE, .key = "active-generation", .val = "5", .len = 1};

	ck_assert_uint_ne(tx, 0);
	ck_assert_str_eq(ask(HCP_TX_START, 0, "", 0).p, "EBUSY");
	ck_assert_uint_eq(ask(HCP_READ, tx, S("active-generation")).type, HCP_ERROR);
	ask(HCP_WRITE, tx, "config/0\0rules", 14);
	/* Read your own writes; others do not see them before the commit. */
	ck_assert_str_eq(ask(HCP_READ, tx, S("config/0")).p, "rules");
	ck_assert_ptr_null(get("config/0"));
	ck_assert_uint_eq(ask(HCP_TX_END, tx, S("1")).type, HCP_REPLY);
	ck_assert_str_eq(get("config/0"), "rules");

	/* The appliance writes what the transaction read: the commit fails, nothing lands. */
	tx = (uint32_t)strtoul(ask(HCP_TX_START, 0, "", 0).p, NULL, 10);
	ask(HCP_READ, tx, S("active-generation"));
	ask(HCP_WRITE, tx,
	    "config-generation\0"
	    "6",
	    19);
	ck_assert_int_eq(hcs_apply(&st, &op, 1), 0);
	ck_assert_str_eq(ask(HCP_TX_END, tx, S("1")).p, "EAGAIN");
	ck_assert_ptr_null(get("config-generation"));
	/* Aborted: nothing lands either. */
	tx = (uint32_t)strtoul(ask(HCP_TX_START, 0, "", 0).p, NULL, 10);
	ask(HCP_WRITE, tx,
	    "x\0"
	    "1",
	    3);
	ask(HCP_TX_END, tx, S("0"));
	ck_assert_ptr_null(get("x"));
}
END_TEST

START_TEST(proto_tx_bounds)
{
	uint32_t tx = (uint32_t)strtoul(ask(HCP_TX_START, 0, "", 0).p, NULL, 10);
	char p[64];
	struct reply r;
	int i;

	for (i = 0; i < HCP_TX_OPS_MAX + 5; i++) {
		int n = snprintf(p, sizeof(p), "k/%d", i);

		r = ask(HCP_WRITE, tx, p, (size_t)n + 1);
		if (r.type == HCP_ERROR)
			break;
	}
	ck_assert_int_eq(i, HCP_TX_OPS_MAX);
	ck_assert_str_eq(r.p, "ENOSPC");
	ask(HCP_TX_END, tx, S("0"));
	/* A reset forgets the transaction and frees it (ASan checks the leak). */
	tx = (uint32_t)strtoul(ask(HCP_TX_START, 0, "", 0).p, NULL, 10);
	ask(HCP_WRITE, tx,
	    "x\0"
	    "1",
	    3);
	hcp_reset(&conn);
	ck_assert_uint_eq(conn.tx_id, 0);
}
END_TEST

START_TEST(proto_watches)
{
	struct reply r[8];
	char p[32];

	events_seen = 0;
	ck_assert_uint_eq(ask(HCP_WATCH, 0, "result\0tok\0", 11).type, HCP_REPLY);
	ck_assert_uint_eq(events_seen, 1); /* fires once when set */
	hcp_changed(&conn, "result/x");
	ck_assert_uint_eq(drain(r, 8), 1); /* and for changes below its key */
	ck_assert_uint_eq(r[0].type, HCP_EVENT);
	ck_assert_str_eq(r[0].p, "result");
	ck_assert_str_eq(r[0].p + 7, "tok");
	/* A flood of changes coalesces into one event per watch. */
	for (int i = 0; i < 1000; i++) {
		snprintf(p, sizeof(p), "%d", i);
		put("result", p);
		hcp_changed(&conn, "result");
	}
	hcp_changed(&conn, "results"); /* a sibling with a longer name: not below the watch */
	ck_assert_uint_eq(drain(r, 8), 1);
	ck_assert_uint_eq(drain(r, 8), 0);
	/* Watches are bounded. */
	for (int i = 1; i < HCP_WATCHES_MAX; i++) {
		int n = snprintf(p, sizeof(p), "k%d%cT", i, 0);

		ck_assert_uint_eq(ask(HCP_WATCH, 0, p, (size_t)n + 1).type, HCP_REPLY);
		drain(r, 8);
	}
	ck_assert_str_eq(ask(HCP_WATCH, 0, "z\0t\0", 4).p, "ENOSPC");
	ck_assert_uint_eq(ask(HCP_UNWATCH, 0, "result\0tok\0", 11).type, HCP_REPLY);
	hcp_changed(&conn, "result");
	ck_assert_uint_eq(drain(r, 8), 0);
}
END_TEST

START_TEST(proto_backpressure)
{
	static uint8_t in[64 * 1024];
	size_t n = 0, used;
	struct reply r[4];

	/* A host that sends but never reads: the server stops taking input. */
	for (int i = 0; i < 1000; i++)
		n += frame(in + n, HCP_HELLO, 0, "", 0);
	used = hcp_input(&conn, in, n);
	ck_assert_uint_lt(used, n);
	ck_assert_uint_le(conn.out_len, HCP_OUT_CAP);
	/* Once it reads, the rest goes through and every request is answered once. */
	unsigned int replies = drain(r, 4);
	while (used < n) {
		used += hcp_input(&conn, in + used, n - used);
		replies += drain(r, 4);
	}
	ck_assert_uint_eq(replies, 1000);
}
END_TEST

/* ------------------------------------------------- the channel, locally */

static struct fake_xs clockxs;
static int done_rc;
static unsigned int ndone, nfired;

static void batch_done(struct hc_batch *b, int rc)
{
	(void)b;
	done_rc = rc;
	ndone++;
}

static void fired(struct hc_watch *w)
{
	(void)w;
	nfired++;
}

static unsigned int nkicks;
static unsigned int counter;

static size_t fmt_counter(void *arg, char *buf, size_t len)
{
	(void)arg;
	return (size_t)snprintf(buf, len, "x n=%u\n", counter);
}

static void kick(void *arg)
{
	(void)arg;
	nkicks++;
}

static void local_setup(void)
{
	fake_init(&clockxs, 0);
	shim_kernel_init(0x30000000UL, &clockxs, true);
	hc_set_backend(&hc_local_backend);
	hcs_fini(hc_local_store());
	ndone = nfired = 0;
}

START_TEST(local_batches)
{
	static char text[HC_CHUNKED_MAX], back[HC_CHUNKED_MAX + 1];
	char g[16];
	struct hc_op ops[3] = {
		{.kind = HC_WRITE_CHUNKED, .key = "config", .val = text, .len = 5000},
		{.kind = HC_WRITE, .key = "config-generation", .val = "3", .len = 1},
		{.kind = HC_READ_CHUNKED, .key = "config", .buf = back, .cap = sizeof(back)},
	};
	struct hc_batch b = {.ops = ops, .nops = 3, .done = batch_done};

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	ck_assert_int_eq(hc_submit(&b), 0);
	ck_assert_int_eq(hc_submit(&b), -EBUSY);
	ck_assert_uint_eq(ndone, 0); /* never completed inside hc_submit */
	shim_run_work();
	ck_assert_uint_eq(ndone, 1);
	ck_assert_int_eq(done_rc, 0);
	/* The batch's read saw its own chunked write: 3 chunks. */
	ck_assert_int_eq(ops[2].rc, 0);
	ck_assert_uint_eq(ops[2].out_len, 5000);
	ck_assert_mem_eq(back, text, 5000);
	ck_assert_str_eq(hcs_get(hc_local_store(), "config/count")->val, "3");
	/* A shorter rewrite leaves no stale chunk. */
	ops[0].len = 10;
	b.nops = 1;
	ck_assert_int_eq(hc_submit(&b), 0);
	shim_run_work();
	ck_assert_ptr_null(hcs_get(hc_local_store(), "config/1"));
	/* A torn value (a chunk missing) reads as -EINVAL and fails the batch. */
	struct hcs_op rm = {.kind = HCS_RM, .key = "config/0"};
	ck_assert_int_eq(hcs_apply(hc_local_store(), &rm, 1), 0);
	ops[0] = ops[2];
	ck_assert_int_eq(hc_submit(&b), 0);
	shim_run_work();
	ck_assert_int_eq(done_rc, -EINVAL);
	/* A read of an absent key does not fail a batch; a bad op is refused at once. */
	ops[0] = (struct hc_op){.kind = HC_READ, .key = "none", .buf = g, .cap = sizeof(g)};
	ck_assert_int_eq(hc_submit(&b), 0);
	shim_run_work();
	ck_assert_int_eq(done_rc, 0);
	ck_assert_int_eq(ops[0].rc, -ENOENT);
	ops[0].key = "bad key";
	ck_assert_int_eq(hc_submit(&b), -EINVAL);
}
END_TEST

START_TEST(local_watch_and_port)
{
	struct hc_watch w = {.key = "config-generation", .fn = fired};
	struct hcs_op op = {.kind = HCS_WRITE, .key = "config-generation", .val = "1", .len = 1};
	struct reply r[4];

	hcp_init(&conn, hc_local_store());
	hc_local_attach(&conn, kick, NULL);
	ck_assert(hc_present());
	ck_assert_int_eq(hc_watch(&w), 0);
	shim_run_work();
	ck_assert_uint_eq(nfired, 1); /* once when set */
	/* The host writes through the port: the appliance's watch fires. */
	ask(HCP_WATCH, 0, "status\0t\0", 9);
	hcs_apply(hc_local_store(), &op, 1);
	shim_run_work();
	ck_assert_uint_eq(nfired, 2);
	/* The appliance publishes: the host's watch fires. */
	hc_publish("status", "ready");
	shim_run_work();
	ck_assert_uint_gt(nkicks, 0); /* the port driver is told there is output */
	ck_assert_uint_eq(drain(r, 4), 1);
	ck_assert_uint_eq(r[0].type, HCP_EVENT);
	ck_assert_str_eq(hcs_get(hc_local_store(), "status")->val, "ready");
	hc_unwatch(&w);
	hcs_apply(hc_local_store(), &op, 1);
	shim_run_work();
	ck_assert_uint_eq(nfired, 2);
	hc_local_attach(NULL, NULL, NULL);
	hcp_reset(&conn);
}
END_TEST

/* ------------------------------------------------ the configuration channel */

START_TEST(test_generation)
{
	char err[128];
	uint64_t g = 0;

	ck_assert_int_eq(nf_conf_generation("5", 1, 0, &g, err, sizeof(err)), 0);
	ck_assert_uint_eq(g, 5);
	ck_assert_int_eq(nf_conf_generation("5", 1, 5, &g, err, sizeof(err)), 1);
	ck_assert_int_eq(nf_conf_generation("4", 1, 5, &g, err, sizeof(err)), -ESTALE);
	ck_assert_str_eq(err, "stale: generation 4 is not above 5");
	ck_assert_int_eq(nf_conf_generation("18446744073709551615", 20, 5, &g, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(g, UINT64_MAX);
	ck_assert_int_eq(nf_conf_generation("18446744073709551616", 20, 5, &g, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(nf_conf_generation("007", 3, 0, &g, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nf_conf_generation("0", 1, 0, &g, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nf_conf_generation("", 0, 0, &g, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nf_conf_generation("7\n", 2, 0, &g, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nf_conf_generation("-1", 2, 0, &g, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nf_conf_generation("1 ", 2, 0, &g, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_sanitize)
{
	char out[8];

	nf_sanitize("a\x1b[2Jbcdefgh", 12, out, sizeof(out));
	ck_assert_str_eq(out, "a?[2Jbc");
}
END_TEST

/* The appliance's side: "rules" compile when they start with "ok". */
static unsigned int napplied;
static char applied[64];

static int cc_compile(void *arg, const char *text, size_t len, void **out, char *msg, size_t msglen)
{
	(void)arg;
	if (len < 2 || strncmp(text, "ok", 2) != 0) {
		snprintf(msg, msglen, "rules:1:1: not ok");
		return -EINVAL;
	}
	*out = strndup(text, len);
	return *out ? 0 : -ENOMEM;
}

static void cc_apply(void *arg, void *compiled, char *sum, size_t sumlen)
{
	(void)arg;
	napplied++;
	snprintf(applied, sizeof(applied), "%s", (char *)compiled);
	snprintf(sum, sumlen, "%zu bytes", strlen(compiled));
	free(compiled);
}

static const struct nf_confchan_ops cc_ops = {.compile = cc_compile, .apply = cc_apply};

/* What a host tool does: text as chunks and the generation, in one update. */
static void host_push(const char *text, const char *gen)
{
	struct hcs_op ops[4] = {
		{.kind = HCS_RM, .key = "config"},
		{.kind = HCS_WRITE, .key = "config/0", .val = text, .len = strlen(text)},
		{.kind = HCS_WRITE, .key = "config/count", .val = "1", .len = 1},
		{.kind = HCS_WRITE, .key = "config-generation", .val = gen, .len = strlen(gen)},
	};

	ck_assert_int_eq(hcs_apply(hc_local_store(), ops, 4), 0);
	shim_run_work();
}

static const char *key(const char *k)
{
	const struct hcs_entry *e = hcs_get(hc_local_store(), k);

	return e ? e->val : NULL;
}

START_TEST(confchan_protocol)
{
	static struct nf_confchan cc;

	napplied = 0;
	memset(&cc, 0, sizeof(cc));
	ck_assert_int_eq(nf_confchan_start(&cc, &cc_ops, NULL, "test", "boot"), 0);
	shim_run_work();
	ck_assert_str_eq(key("result"), "0 ok boot");
	ck_assert_str_eq(key("active-generation"), "0");
	/* A good push is applied and said so, in one update. */
	host_push("ok first", "1");
	ck_assert_uint_eq(napplied, 1);
	ck_assert_str_eq(applied, "ok first");
	ck_assert_str_eq(key("result"), "1 ok 8 bytes");
	ck_assert_str_eq(key("active-generation"), "1");
	ck_assert_uint_eq(nf_confchan_generation(&cc), 1);
	/* A bad one changes nothing and says why. */
	host_push("bad", "2");
	ck_assert_uint_eq(napplied, 1);
	ck_assert_str_eq(key("result"), "2 error");
	ck_assert_str_eq(key("error"), "2 rules:1:1: not ok");
	ck_assert_str_eq(key("active-generation"), "1");
	/* The next good one clears the error. */
	host_push("ok third", "3");
	ck_assert_ptr_null(key("error"));
	ck_assert_str_eq(key("result"), "3 ok 8 bytes");
	/* A value that is no generation: reported (once), nothing applied. */
	host_push("ok x", "00\x1b[2J");
	ck_assert_str_eq(key("error"), "config-generation '00?[2J': not a decimal number");
	ck_assert_str_eq(key("result"), "3 ok 8 bytes");
	/* A stale generation. */
	host_push("ok y", "2");
	ck_assert_str_eq(key("error"), "2 stale: generation 2 is not above 3");
	ck_assert_uint_eq(napplied, 2);
	/* A missing chunk: the text is torn, refused. */
	struct hcs_op torn[2] = {
		{.kind = HCS_WRITE, .key = "config/count", .val = "2", .len = 1},
		{.kind = HCS_WRITE, .key = "config-generation", .val = "9", .len = 1}};
	ck_assert_int_eq(hcs_apply(hc_local_store(), torn, 2), 0);
	shim_run_work();
	ck_assert_str_eq(key("result"), "9 error");
	ck_assert_uint_eq(napplied, 2);
	/* After a refusal the channel goes on working. */
	host_push("ok ten", "10");
	ck_assert_str_eq(key("result"), "10 ok 6 bytes");
	hc_unwatch(&cc.watch);
}
END_TEST

START_TEST(publisher)
{
	static struct nf_stats st;
	static struct nf_stats_section sec;
	static struct nf_publisher p;
	unsigned int writes;

	nf_stats_init(&st);
	nf_stats_add(&st, &sec, "x", fmt_counter, NULL);
	ck_assert_int_eq(nf_publish_init(&p, &st, "test", 4096), 0);
	counter = 1;
	nf_publish(&p);
	shim_run_work();
	ck_assert_str_eq(key("stats/0"), "x n=1\n");
	writes = hc_local_store()->ver;
	/* Nothing moved: no host traffic at all. */
	nf_publish(&p);
	shim_run_work();
	ck_assert_uint_eq(hc_local_store()->ver, writes);
	counter = 2;
	nf_publish(&p);
	shim_run_work();
	ck_assert_str_eq(key("stats/0"), "x n=2\n");
	free(p.text);
}
END_TEST

/* ------------------------------------------------------- the channel, Xen */

extern const struct hc_backend hc_xen_backend;

static void xen_setup(void)
{
	fake_init(&clockxs, 0xFFFFFF00u);
	shim_kernel_init(0x30000000UL, &clockxs, true);
	ck_assert_int_eq(xs_init(&xen_xs, &clockxs.ring, &fake_ops, &clockxs), 0);
	hc_set_backend(&hc_xen_backend);
	ndone = nfired = 0;
}

static unsigned int dp_runs;

static void dp_fn(struct work *w)
{
	(void)w;
	dp_runs++;
}

static struct work dp_work = {.fn = dp_fn};

/* What the event channel does on Xen: xenstored steps, the channel hears of it. */
static void xen_settle(unsigned int want)
{
	for (unsigned int i = 0; i < 100000 && ndone < want; i++) {
		fake_step(&clockxs);
		clockxs.now += FAKE_STEP_NS;
		hc_xen_event();
		shim_run_work();
	}
	ck_assert_uint_eq(ndone, want);
}

START_TEST(xen_batches)
{
	static char text[6000], back[8192];
	struct hc_op ops[2] = {
		{.kind = HC_WRITE_CHUNKED, .key = "stats", .val = text, .len = sizeof(text)},
		{.kind = HC_READ_CHUNKED, .key = "stats", .buf = back, .cap = sizeof(back)},
	};
	struct hc_batch b = {.ops = ops, .nops = 2, .done = batch_done};

	memset(text, 's', sizeof(text));
	ck_assert_int_eq(hc_submit(&b), 0);
	xen_settle(1);
	ck_assert_int_eq(done_rc, 0);
	ck_assert_int_eq(ops[1].rc, 0);
	ck_assert_uint_eq(ops[1].out_len, sizeof(text));
	ck_assert_str_eq(fake_kv_get(&clockxs, "data/sluice/stats/count", NULL), "3");
	/* A synchronous call (a driver's) while the batch is in flight: both are answered. */
	char v[16];
	ck_assert_int_eq(hc_submit(&b), 0);
	shim_run_work(); /* the transaction start is sent */
	ck_assert(xen_xs.a_busy);
	ck_assert_int_eq(xs_read(&xen_xs, 0, "data/sluice/stats/count", v, sizeof(v), NULL), 0);
	ck_assert_str_eq(v, "3");
	xen_settle(2);
	ck_assert_int_eq(done_rc, 0);
	ck_assert_uint_eq(ops[1].out_len, sizeof(text));
	/* A conflict is redone; the batch still lands once. */
	clockxs.tx_end_eagain = 2;
	ck_assert_int_eq(hc_submit(&b), 0);
	xen_settle(3);
	ck_assert_int_eq(done_rc, 0);
	/*
	 * A slow dom0: the batch waits for it without holding the loop, so
	 * the data path's work keeps running meanwhile.
	 */
	clockxs.stall_steps = 200;
	ck_assert_int_eq(hc_submit(&b), 0);
	for (unsigned int i = 0; i < 50; i++) {
		dp_runs = 0;
		work_post(&dp_work);
		shim_run_work();
		fake_step(&clockxs);
		clockxs.now += FAKE_STEP_NS;
		ck_assert_uint_eq(dp_runs, 1);
	}
	ck_assert_uint_eq(ndone, 3);
	xen_settle(4);
	ck_assert_int_eq(done_rc, 0);
	/* A dom0 that stops answering fails the batch instead of hanging. */
	clockxs.stall_steps = 1000000;
	ck_assert_int_eq(hc_submit(&b), 0);
	xen_settle(5);
	ck_assert_int_eq(done_rc, -ETIMEDOUT);
	ck_assert_uint_ge(clockxs.now, HC_TIMEOUT_NS);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hostcfg");
	TCase *t = tcase_create("store");

	tcase_add_checked_fixture(t, store_setup, store_teardown);
	tcase_add_test(t, store_write_read_rm);
	tcase_add_test(t, store_dir);
	tcase_add_test(t, store_all_or_nothing);
	tcase_add_test(t, store_keys);
	suite_add_tcase(s, t);
	t = tcase_create("protocol");
	tcase_add_checked_fixture(t, proto_setup, proto_teardown);
	tcase_add_test(t, proto_basics);
	tcase_add_test(t, proto_hostile_payloads);
	tcase_add_test(t, proto_bad_framing);
	tcase_add_test(t, proto_byte_by_byte);
	tcase_add_test(t, proto_transactions);
	tcase_add_test(t, proto_tx_bounds);
	tcase_add_test(t, proto_watches);
	tcase_add_test(t, proto_backpressure);
	suite_add_tcase(s, t);
	t = tcase_create("local");
	tcase_add_checked_fixture(t, local_setup, NULL);
	tcase_add_test(t, local_batches);
	tcase_add_test(t, local_watch_and_port);
	tcase_add_test(t, confchan_protocol);
	tcase_add_test(t, publisher);
	tcase_add_test(t, test_generation);
	tcase_add_test(t, test_sanitize);
	suite_add_tcase(s, t);
	t = tcase_create("xen");
	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, xen_setup, NULL);
	tcase_add_test(t, xen_batches);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
