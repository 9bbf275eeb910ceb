// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for drivers/blkfront against the fake blkback of
 * fake_blkback.c, through the real block layer (kernel/blkdev.c):
 * negotiation (features at InitWait and at Connected, disk properties,
 * names), I/O of every size (plain and indirect requests, unaligned
 * buffers, 4 KiB sectors), a full ring and a full bounce pool (-EAGAIN,
 * the core's wait queue), flush in its three forms, read-only disks,
 * persistent grants, a hostile backend (bad, duplicate and idle ids, wrong
 * operation, unknown status, producer overflow, grants kept after a
 * response or at disconnect, scribbled requests, event storms, malformed
 * keys) and detach/attach. In every hostile case the device must go broken
 * with everything in flight failed, and nothing may crash or touch freed
 * memory (ASan/UBSan; free pages are poisoned). Each test runs in its own
 * process (CK_FORK): the driver keeps its vbd list in statics.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_blkback.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/xen_plat.h"

#define XVDA 51712
#define XVDB 51728
#define MAXB (256 * 512)

static struct fbb_vbd *V;
static struct blkdev *D;
static struct blkfront *BF;

struct treq {
	struct blk_req r;
	bool done;
	int status;
};

static void tdone(struct blk_req *r)
{
	struct treq *t = container_of(r, struct treq, r);

	ck_assert_msg(!t->done, "request completed twice");
	t->done = true;
	t->status = r->status;
}

static void submit(struct treq *t, enum blk_op op, uint64_t sector, uint32_t count, void *buf)
{
	memset(t, 0, sizeof(*t));
	t->r = (struct blk_req){
		.op = op, .sector = sector, .count = count, .buf = buf, .done = tdone};
	blkdev_submit(D, &t->r);
}

static const char *fe_key(struct fbb_vbd *v, const char *key)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", v->fe, key);
	return fake_kv_get(&fbb_xs, p, NULL);
}

static void setup(void)
{
	fbb_init();
}

/* One vbd, probed and connected. */
static void start_one(uint64_t sectors, unsigned int flags)
{
	V = fbb_add_vbd(XVDA, sectors, flags);
	ck_assert_int_eq(blkfront_probe_all(), 1);
	fbb_pump();
	D = blkdev_get(0);
	ck_assert_ptr_nonnull(D);
	BF = D->priv;
	ck_assert_int_eq(BF->state, BF_CONNECTED);
	shim_run_work();
}

static void fill(uint8_t *b, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + 5 * i + (i >> 9));
}

static bool disk_is(uint64_t sector, const uint8_t *b, size_t len)
{
	return memcmp(V->disk + sector * 512, b, len) == 0;
}

static bool is_pattern(const uint8_t *b, uint64_t sector, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != fbb_pattern(sector * 512 + i))
			return false;
	return true;
}

/* ---- negotiation ---- */

START_TEST(test_connect_keys)
{
	start_one(2048, 0);
	ck_assert_ptr_nonnull(fe_key(V, "ring-ref"));
	ck_assert_ptr_nonnull(fe_key(V, "event-channel"));
	ck_assert_str_eq(fe_key(V, "protocol"), "x86_64-abi");
	ck_assert_str_eq(fe_key(V, "feature-persistent"), "1");
	ck_assert_str_eq(fe_key(V, "state"), "4");
	ck_assert_ptr_null(fe_key(V, "ring-page-order"));
	ck_assert_ptr_null(fe_key(V, "multi-queue-num-queues"));
	ck_assert_str_eq(D->name, "blk0");
	ck_assert_str_eq(D->driver, "blkfront");
	ck_assert_str_eq(D->id, "xvda");
	ck_assert_uint_eq(D->sectors, 2048);
	ck_assert_uint_eq(D->sector_size, 512);
	ck_assert(!D->readonly && D->can_flush && !D->broken);
	ck_assert_uint_eq(D->max_sectors, BF_INDIRECT_SEGS * 8);
	/* Linux blkback publishes feature-flush-cache only at Connected: read twice. */
	ck_assert(!BF->features_iw.flush_cache && BF->features.flush_cache);
	ck_assert_uint_eq(BF->features_iw.max_indirect, 256);
	ck_assert(BF->indirect && !BF->persistent);
	ck_assert_int_eq(BF->flush, BF_FLUSH_CACHE);
	ck_assert_uint_eq(shim_log_count("blk0: blkfront xvda: 2048 sectors"), 1);
	/* A second probe is a rescan: nothing new. */
	ck_assert_int_eq(blkfront_probe_all(), 0);
	ck_assert_uint_eq(blkdev_count(), 1);
}
END_TEST

START_TEST(test_names)
{
	fbb_add_vbd(XVDA, 64, 0);
	fbb_add_vbd(XVDB + 1, 64, 0);
	fbb_add_vbd((1u << 28) | (26u << 8), 64, 0);
	fbb_add_vbd(768, 64, 0);
	ck_assert_int_eq(blkfront_probe_all(), 4);
	ck_assert_str_eq(blkdev_get(0)->id, "vbd 768");
	ck_assert_str_eq(blkdev_get(1)->id, "xvda");
	ck_assert_str_eq(blkdev_get(2)->id, "xvdb1");
	ck_assert_str_eq(blkdev_get(3)->id, "xvdaa");
}
END_TEST

START_TEST(test_indirect_late)
{
	start_one(1024, FBB_INDIRECT_LATE);
	ck_assert_uint_eq(BF->features_iw.max_indirect, 0);
	ck_assert_uint_eq(BF->features.max_indirect, 256);
	ck_assert(BF->indirect);
	ck_assert_uint_eq(D->max_sectors, 256);
}
END_TEST

START_TEST(test_no_indirect)
{
	static uint8_t buf[MAXB];
	struct treq t;

	start_one(1024, FBB_NO_INDIRECT);
	V->autorun = true;
	ck_assert(!BF->indirect);
	ck_assert_uint_eq(D->max_sectors, 88);
	submit(&t, BLK_READ, 0, 89, buf);
	shim_run_work();
	ck_assert(t.done && t.status == -EINVAL);
	ck_assert_int_eq(blkdev_read_sync(D, 10, buf, 88), 0);
	ck_assert(is_pattern(buf, 10, 88 * 512));
	ck_assert_uint_eq(V->last_nseg, 11);
	ck_assert_uint_eq(V->indirect, 0);
}
END_TEST

START_TEST(test_backend_late)
{
	V = fbb_add_vbd(XVDA, 128, FBB_NOT_READY);
	ck_assert_int_eq(blkfront_probe_all(), 0); /* waited, timed out */
	ck_assert_uint_eq(blkdev_count(), 0);
	fbb_ready(V); /* hotplug done: InitWait, and the watch connects */
	ck_assert_uint_eq(blkdev_count(), 1);
	D = blkdev_get(0);
	V->autorun = true;
	ck_assert_int_eq(((struct blkfront *)D->priv)->state, BF_CONNECTED);
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
}
END_TEST

START_TEST(test_connect_pending)
{
	V = fbb_add_vbd(XVDA, 128, 0);
	V->stall_connect = true;
	ck_assert_int_eq(blkfront_probe_all(), 0);
	ck_assert_str_eq(fe_key(V, "state"), "3"); /* Initialised, waiting */
	shim_advance(30ULL * 1000 * 1000 * 1000);
	ck_assert_uint_eq(shim_log_count("still not Connected"), 1);
	fbb_connect_now(V);
	ck_assert_uint_eq(blkdev_count(), 1);
	ck_assert_str_eq(fe_key(V, "state"), "4");
}
END_TEST

/* Malformed values at Connected: refused, closed properly, nothing left mapped. */
static const char *const bad_keys[][2] = {
	{"sector-size", "1000"},
	{"sector-size", "8192"},
	{"sectors", "12x"},
	{"sectors", ""},
	{"info", "-1"},
	{"feature-persistent", "2"},
	{"feature-flush-cache", "yes"},
	{"feature-max-indirect-segments", "99999999999"},
};

START_TEST(test_bad_keys)
{
	V = fbb_add_vbd(XVDA, 128, 0);
	V->bad_key = bad_keys[_i][0];
	V->bad_val = bad_keys[_i][1];
	ck_assert_int_eq(blkfront_probe_all(), 0);
	fbb_pump();
	ck_assert_uint_eq(blkdev_count(), 0);
	ck_assert_uint_eq(shim_log_count("cannot connect"), 1);
	ck_assert_str_eq(fe_key(V, "state"), "6"); /* closed properly */
	ck_assert_uint_eq(fbb_mapped_refs(), 0);
}
END_TEST

START_TEST(test_odd_mode)
{
	V = fbb_add_vbd(XVDA, 128, 0);
	V->bad_key = "mode";
	V->bad_val = "rw";
	ck_assert_int_eq(blkfront_probe_all(), 1);
	ck_assert(blkdev_get(0)->readonly); /* unknown mode: never write */
}
END_TEST

START_TEST(test_page_alloc_failure)
{
	unsigned int before = shim_pages_live();

	V = fbb_add_vbd(XVDA, 128, 0);
	shim_page_fail_after(60); /* the ring, then the pool runs dry */
	ck_assert_int_eq(blkfront_probe_all(), 0);
	ck_assert_uint_eq(shim_pages_live(), before);
	ck_assert_uint_eq(blkdev_count(), 0);
}
END_TEST

/* ---- I/O ---- */

START_TEST(test_rw_many)
{
	static uint8_t wbuf[64][MAXB], rbuf[64][MAXB];
	static struct treq t[64];
	uint64_t sector = 0;
	uint32_t count[64];

	start_one(64 * 256, 0);
	V->autorun = true;
	for (unsigned int i = 0; i < 64; i++) {
		count[i] = i == 0 ? 256 : 1 + (i * 37) % 256;
		fill(wbuf[i], count[i] * 512, (uint8_t)i);
		submit(&t[i], BLK_WRITE, sector, count[i], wbuf[i]);
		sector += count[i];
	}
	shim_run_work();
	sector = 0;
	for (unsigned int i = 0; i < 64; i++) {
		ck_assert(t[i].done && t[i].status == 0);
		ck_assert(disk_is(sector, wbuf[i], count[i] * 512));
		submit(&t[i], BLK_READ, sector, count[i], rbuf[i]);
		sector += count[i];
	}
	shim_run_work();
	for (unsigned int i = 0; i < 64; i++) {
		ck_assert(t[i].done && t[i].status == 0);
		ck_assert(memcmp(rbuf[i], wbuf[i], count[i] * 512) == 0);
	}
	ck_assert_uint_eq(V->writes + V->reads, 128);
	ck_assert_uint_gt(V->indirect, 0);
	ck_assert_uint_eq(V->max_segs, 32);
	ck_assert_uint_eq(D->stats.errors, 0);
	ck_assert_uint_eq(BF->pool_nfree, BF_POOL_PAGES);
	ck_assert_uint_eq(BF->id_nfree, BF_RING_SIZE);
	ck_assert_uint_eq(fbb_mapped_refs(), 1); /* the ring */
}
END_TEST

START_TEST(test_ring_full)
{
	static uint8_t buf[100][512];
	static struct treq t[100];

	start_one(1024, 0);
	for (unsigned int i = 0; i < 100; i++)
		submit(&t[i], BLK_READ, i * 3, 1, buf[i]);
	ck_assert_uint_eq(fbb_pending(V), BF_RING_SIZE);
	ck_assert_ptr_nonnull(D->wait_head); /* -EAGAIN: the rest waits in the core */
	for (unsigned int round = 0; round < 20 && fbb_pending(V); round++) {
		fbb_process(V, 7);
		shim_run_work();
	}
	for (unsigned int i = 0; i < 100; i++) {
		ck_assert(t[i].done && t[i].status == 0);
		ck_assert(is_pattern(buf[i], i * 3, 512));
	}
	ck_assert_ptr_null(D->wait_head);
	ck_assert_uint_eq(V->reads, 100);
}
END_TEST

START_TEST(test_pool_full)
{
	static uint8_t buf[10][MAXB];
	static struct treq t[10];

	start_one(4096, 0);
	for (unsigned int i = 0; i < 10; i++)
		submit(&t[i], BLK_READ, i * 256, 256, buf[i]);
	/* 128 bounce pages: four 32-page requests, whatever room the ring has. */
	ck_assert_uint_eq(fbb_pending(V), BF_POOL_PAGES / 32);
	ck_assert_uint_eq(BF->pool_nfree, 0);
	while (fbb_pending(V)) {
		fbb_process(V, 1);
		shim_run_work();
	}
	for (unsigned int i = 0; i < 10; i++) {
		ck_assert(t[i].done && t[i].status == 0);
		ck_assert(is_pattern(buf[i], i * 256, MAXB));
	}
	ck_assert_uint_eq(V->indirect, 10);
}
END_TEST

START_TEST(test_indirect_sizes)
{
	static uint8_t buf[MAXB];
	struct treq t;

	start_one(1024, 0);
	V->autorun = true;
	ck_assert_int_eq(blkdev_read_sync(D, 1, buf, 88), 0);
	ck_assert_uint_eq(V->last_op, BLKIF_OP_READ);
	ck_assert_uint_eq(V->last_nseg, 11);
	ck_assert_int_eq(blkdev_read_sync(D, 2, buf, 89), 0);
	ck_assert_uint_eq(V->last_op, BLKIF_OP_INDIRECT);
	ck_assert_uint_eq(V->last_nseg, 12);
	ck_assert(is_pattern(buf, 2, 89 * 512));
	fill(buf, MAXB, 9);
	ck_assert_int_eq(blkdev_write_sync(D, 700, buf, 256), 0);
	ck_assert_uint_eq(V->last_nseg, 32);
	ck_assert_uint_eq(V->last_sector, 700);
	ck_assert(disk_is(700, buf, MAXB));
	submit(&t, BLK_READ, 0, 257, buf);
	shim_run_work();
	ck_assert(t.done && t.status == -EINVAL);
	ck_assert_uint_eq(BF->st.indirect, 2);
}
END_TEST

START_TEST(test_unaligned)
{
	static uint8_t area[3 * 4096];
	uint8_t *buf = area + 512 + 64; /* not page or sector aligned */

	start_one(1024, 0);
	V->autorun = true;
	fill(buf, 3 * 512, 1);
	ck_assert_int_eq(blkdev_write_sync(D, 5, buf, 3), 0);
	ck_assert(disk_is(5, buf, 3 * 512));
	ck_assert(is_pattern(V->disk + 8 * 512, 8, 512)); /* nothing beyond */
	ck_assert_int_eq(blkdev_read_sync(D, 3, buf, 13), 0);
	ck_assert_uint_eq(V->last_nseg, 2);
	ck_assert(is_pattern(buf, 3, 2 * 512));
	ck_assert(memcmp(buf + 2 * 512, V->disk + 5 * 512, 11 * 512) == 0);
}
END_TEST

START_TEST(test_sector_4k)
{
	static uint8_t buf[8 * 512];
	struct treq t;

	start_one(2052, FBB_SECTOR_4K);
	V->autorun = true;
	ck_assert_uint_eq(D->sector_size, 4096);
	ck_assert_uint_eq(D->sectors, 2048); /* the partial 4 KiB sector is cut */
	submit(&t, BLK_READ, 8, 4, buf);
	shim_run_work();
	ck_assert(t.done && t.status == -EINVAL);
	ck_assert_int_eq(blkdev_read_sync(D, 2040, buf, 8), 0);
	ck_assert(is_pattern(buf, 2040, sizeof(buf)));
}
END_TEST

START_TEST(test_io_error)
{
	uint8_t buf[512];

	start_one(128, 0);
	V->autorun = true;
	V->force_status = BLKIF_RSP_ERROR;
	ck_assert_int_eq(blkdev_read_sync(D, 0, buf, 1), -EIO);
	V->force_status = BLKIF_RSP_EOPNOTSUPP;
	ck_assert_int_eq(blkdev_write_sync(D, 0, buf, 1), -EIO);
	ck_assert(!D->broken); /* an I/O error is not a protocol violation */
	V->force_status = 0;
	ck_assert_int_eq(blkdev_read_sync(D, 0, buf, 1), 0);
	ck_assert_uint_eq(D->stats.errors, 2);
}
END_TEST

/* ---- flush ---- */

START_TEST(test_flush_cache)
{
	uint8_t buf[512] = {1};

	start_one(128, 0);
	V->autorun = true;
	ck_assert_int_eq(blkdev_write_sync(D, 3, buf, 1), 0);
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
	ck_assert_uint_eq(V->flushes, 1);
	ck_assert_uint_eq(V->last_op, BLKIF_OP_FLUSH_DISKCACHE);
	ck_assert_uint_eq(V->barriers, 0);
}
END_TEST

START_TEST(test_flush_barrier)
{
	start_one(128, FBB_NO_FLUSH | FBB_BARRIER);
	V->autorun = true;
	ck_assert(D->can_flush);
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
	ck_assert_uint_eq(V->barriers, 1);
	ck_assert_uint_eq(V->flushes, 0);
}
END_TEST

START_TEST(test_flush_none)
{
	unsigned int kicks;

	start_one(128, FBB_NO_FLUSH);
	V->autorun = true;
	ck_assert(!D->can_flush);
	kicks = V->kicks;
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
	ck_assert_uint_eq(V->kicks, kicks);
	ck_assert_uint_eq(V->flushes + V->barriers, 0);
	ck_assert_uint_eq(BF->st.noop_flushes, 1);
}
END_TEST

START_TEST(test_flush_initwait_only)
{
	start_one(128, FBB_FLUSH_INITWAIT);
	V->autorun = true;
	/* Offered at InitWait, withdrawn at Connected: Connected rules. */
	ck_assert(BF->features_iw.flush_cache && !BF->features.flush_cache);
	ck_assert(!D->can_flush);
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
	ck_assert_uint_eq(V->flushes, 0);
}
END_TEST

START_TEST(test_flush_eopnotsupp)
{
	start_one(128, 0);
	V->autorun = true;
	V->force_status = BLKIF_RSP_EOPNOTSUPP;
	ck_assert_int_eq(blkdev_flush_sync(D), -EIO);
	V->force_status = 0;
	ck_assert(!D->broken && D->can_flush); /* still asked next time */
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
	ck_assert_uint_eq(V->flushes, 2);
}
END_TEST

/* ---- read-only ---- */

static void readonly_checks(void)
{
	uint8_t buf[1024];
	struct blk_req r = {.op = BLK_WRITE, .sector = 0, .count = 1, .buf = buf};

	V->autorun = true;
	ck_assert(D->readonly);
	ck_assert(!D->can_flush);
	ck_assert_int_eq(blkdev_write_sync(D, 0, buf, 1), -EROFS);
	/* The driver refuses too, whatever the core does. */
	ck_assert_int_eq(D->ops->submit(D, &r), -EROFS);
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
	ck_assert_int_eq(blkdev_read_sync(D, 1, buf, 2), 0);
	ck_assert(is_pattern(buf, 1, sizeof(buf)));
	ck_assert_uint_eq(V->writes + V->flushes + V->barriers, 0);
	ck_assert(!D->broken);
}

START_TEST(test_readonly)
{
	start_one(128, FBB_RO);
	readonly_checks();
}
END_TEST

START_TEST(test_mode_r_only)
{
	start_one(128, FBB_MODE_R_ONLY);
	readonly_checks();
}
END_TEST

/* ---- persistent grants ---- */

START_TEST(test_persistent)
{
	static uint8_t wbuf[MAXB], rbuf[MAXB];
	unsigned int before = shim_pages_live();

	start_one(1024, FBB_PERSISTENT);
	V->autorun = true;
	ck_assert(BF->persistent);
	for (unsigned int i = 0; i < 20; i++) {
		uint32_t n = 1 + i * 13;

		fill(wbuf, n * 512, (uint8_t)i);
		ck_assert_int_eq(blkdev_write_sync(D, i * 40, wbuf, n), 0);
		ck_assert_int_eq(blkdev_read_sync(D, i * 40, rbuf, n), 0);
		ck_assert(memcmp(rbuf, wbuf, n * 512) == 0);
	}
	ck_assert_uint_gt(fbb_mapped_refs(), 1); /* kept mapped between requests */
	ck_assert_uint_le(V->npmaps, BF_POOL_PAGES + BF_RING_SIZE);
	fbb_detach(V);
	ck_assert_int_eq(BF->state, BF_IDLE);
	ck_assert_uint_eq(fbb_mapped_refs(), 0);
	ck_assert_uint_eq(BF->st.quarantined + BF->st.leaked, 0);
	ck_assert_uint_eq(shim_pages_live(), before);
}
END_TEST

/* ---- a hostile backend ---- */

static uint8_t hbuf[8][MAXB];
static struct treq ht[8];

/* @n reads in flight, consumed by the backend but not answered. */
static void inflight(unsigned int n, uint32_t count)
{
	for (unsigned int i = 0; i < n; i++)
		submit(&ht[i], BLK_READ, i * count, count, hbuf[i]);
	for (unsigned int i = 0; i < n; i++)
		fbb_swallow(V);
}

static void assert_broken(const char *why, unsigned int n)
{
	struct treq t;

	ck_assert(D->broken);
	ck_assert_msg(strstr(D->broken_reason, why) != NULL, "reason '%s', want '%s'",
		      D->broken_reason, why);
	ck_assert_uint_eq(shim_log_count("disabled:"), 1);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_msg(ht[i].done && ht[i].status == -EIO, "request %u: done %d status %d",
			      i, ht[i].done, ht[i].status);
	/* Out of service: refused, and more events or responses change nothing. */
	submit(&t, BLK_READ, 0, 1, hbuf[7]);
	fbb_raw_response(V, 0, BLKIF_OP_READ, 0);
	fbb_notify(V);
	shim_run_work();
	ck_assert(t.done && t.status == -EIO);
	ck_assert_uint_eq(shim_log_count("disabled:"), 1);
}

static void respond_and_run(uint64_t id, uint8_t op, int16_t status)
{
	fbb_raw_response(V, id, op, status);
	fbb_notify(V);
	shim_run_work();
}

START_TEST(test_hostile_bad_id)
{
	start_one(1024, 0);
	inflight(4, 1);
	respond_and_run(999, BLKIF_OP_READ, 0);
	assert_broken("not in flight", 4);
}
END_TEST

START_TEST(test_hostile_huge_id)
{
	start_one(1024, 0);
	inflight(2, 1);
	respond_and_run(1ULL << 40, BLKIF_OP_READ, 0);
	assert_broken("not in flight", 2);
}
END_TEST

START_TEST(test_hostile_dup_id)
{
	start_one(1024, 0);
	submit(&ht[0], BLK_READ, 0, 1, hbuf[0]);
	submit(&ht[1], BLK_READ, 1, 1, hbuf[1]);
	fbb_process(V, 1);
	shim_run_work();
	ck_assert(ht[0].done && ht[0].status == 0);
	fbb_swallow(V);
	respond_and_run(0, BLKIF_OP_READ, 0); /* id 0 again */
	assert_broken("not in flight", 0);
	ck_assert(ht[1].done && ht[1].status == -EIO);
}
END_TEST

START_TEST(test_hostile_idle_id)
{
	start_one(1024, 0);
	inflight(2, 1);
	respond_and_run(BF_RING_SIZE - 1, BLKIF_OP_READ, 0);
	assert_broken("not in flight", 2);
}
END_TEST

START_TEST(test_hostile_wrong_op)
{
	start_one(1024, 0);
	inflight(3, 1);
	respond_and_run(1, BLKIF_OP_WRITE, 0);
	assert_broken("operation", 3);
}
END_TEST

START_TEST(test_hostile_indirect_op)
{
	start_one(1024, 0);
	inflight(1, 256);
	respond_and_run(0, BLKIF_OP_INDIRECT, 0); /* must echo indirect_op */
	assert_broken("operation", 1);
}
END_TEST

START_TEST(test_hostile_status)
{
	start_one(1024, 0);
	inflight(2, 8);
	respond_and_run(0, BLKIF_OP_READ, 1);
	assert_broken("status", 2);
}
END_TEST

START_TEST(test_hostile_prod_overflow)
{
	start_one(1024, 0);
	inflight(2, 1);
	V->ring.sring->rsp_prod = BF->ring.rsp_cons + 3;
	fbb_notify(V);
	shim_run_work();
	assert_broken("runs ahead", 2);
}
END_TEST

START_TEST(test_hostile_prod_wrap)
{
	start_one(1024, 0);
	inflight(1, 1);
	V->ring.sring->rsp_prod = BF->ring.rsp_cons - 1; /* 2^32 - 1 ahead */
	fbb_notify(V);
	shim_run_work();
	assert_broken("runs ahead", 1);
}
END_TEST

START_TEST(test_hostile_grant_kept)
{
	start_one(1024, 0);
	V->hold_data = true;
	inflight(1, 16);
	fbb_process(V, 0); /* nothing left: a no-op */
	respond_and_run(0, BLKIF_OP_READ, 0);
	ck_assert(!D->broken); /* swallowed requests were never mapped */
	V->autorun = true;
	submit(&ht[1], BLK_READ, 0, 16, hbuf[1]);
	shim_run_work();
	ck_assert(D->broken);
	ck_assert(ht[1].done && ht[1].status == -EIO);
	ck_assert_ptr_nonnull(strstr(D->broken_reason, "still in use"));
	ck_assert_uint_eq(BF->st.quarantined, 2); /* both pages of the read */
	ck_assert_uint_eq(xen_gnttab.quarantined, 2);
	/* The backend lets go at last: the quarantine frees the pages. */
	fbb_unmap_all();
	ck_assert_uint_eq(gnttab_reap(&xen_gnttab, bf_release_parked, NULL), 2);
}
END_TEST

static void keep_mapped_at_close(unsigned int flags)
{
	unsigned int before = shim_pages_live(), mapped;
	void *ring;

	start_one(1024, flags);
	V->autorun = true;
	/* Four at once: every page of the pool gets used (and, if persistent, mapped). */
	for (unsigned int i = 0; i < 4; i++)
		submit(&ht[i], BLK_READ, i * 256, 256, hbuf[i]);
	shim_run_work();
	for (unsigned int i = 0; i < 4; i++)
		ck_assert(ht[i].done && ht[i].status == 0);
	ring = BF->ring_page.va;
	V->keep_mapped = true;
	mapped = fbb_mapped_refs();
	fbb_detach(V);
	ck_assert_int_eq(BF->state, BF_IDLE);
	ck_assert_uint_eq(BF->st.quarantined + BF->st.leaked, mapped);
	ck_assert_uint_eq(BF->st.quarantined, MIN(mapped, GNTTAB_QUARANTINE_MAX));
	ck_assert(shim_page_live(ring)); /* never freed while mapped */
	ck_assert_uint_eq(shim_pages_live(), before + mapped);
	ck_assert_uint_eq(shim_log_count("quarantined"), 1);
	fbb_unmap_all();
	gnttab_reap(&xen_gnttab, bf_release_parked, NULL);
	ck_assert_uint_eq(shim_pages_live(), before + BF->st.leaked);
}

START_TEST(test_hostile_keep_mapped_at_close)
{
	keep_mapped_at_close(0);
	ck_assert_uint_eq(BF->st.quarantined, 1); /* the ring */
}
END_TEST

START_TEST(test_hostile_keep_persistent_at_close)
{
	keep_mapped_at_close(FBB_PERSISTENT);
	ck_assert_uint_gt(BF->st.leaked, 0); /* more than the quarantine holds: leaked */
}
END_TEST

START_TEST(test_hostile_scribble)
{
	static uint8_t buf[MAXB];

	start_one(4096, 0);
	V->autorun = true;
	V->scribble = true; /* every request slot is 0xff when we reuse it */
	for (unsigned int i = 0; i < 3 * BF_RING_SIZE; i++) {
		uint32_t n = 1 + (i * 53) % 256;

		ck_assert_int_eq(blkdev_read_sync(D, i * 11, buf, n), 0);
		ck_assert(is_pattern(buf, i * 11, n * 512));
	}
	ck_assert_int_eq(blkdev_flush_sync(D), 0);
	ck_assert(!D->broken);
}
END_TEST

START_TEST(test_hostile_storm)
{
	start_one(128, 0);
	for (unsigned int i = 0; i < 1000; i++) {
		fbb_notify(V);
		shim_run_work();
	}
	ck_assert_uint_ge(BF->storm.storms, 1);
	ck_assert_uint_eq(shim_log_count("event storm"), 1);
	/* It still works once the backend behaves. */
	shim_advance(IRQSTORM_BACKOFF_NS);
	V->autorun = true;
	ck_assert_int_eq(blkdev_read_sync(D, 0, hbuf[0], 1), 0);
	ck_assert(!D->broken);
}
END_TEST

START_TEST(test_no_storm_under_load)
{
	start_one(4096, 0);
	V->autorun = true;
	for (unsigned int i = 0; i < 2000; i++)
		ck_assert_int_eq(blkdev_read_sync(D, i % 4000, hbuf[0], 1), 0);
	ck_assert_uint_eq(BF->storm.storms, 0);
}
END_TEST

/* ---- detach and attach ---- */

START_TEST(test_detach_reattach)
{
	uint8_t buf[512];
	struct treq t;

	start_one(1024, 0);
	V->autorun = true;
	ck_assert_int_eq(blkdev_write_sync(D, 9, (uint8_t[512]){7}, 1), 0);
	fbb_detach(V);
	ck_assert_int_eq(BF->state, BF_IDLE);
	ck_assert_uint_eq(fbb_mapped_refs(), 0);
	submit(&t, BLK_READ, 0, 1, buf);
	shim_run_work();
	ck_assert(t.done && t.status == -ENODEV);
	V = fbb_add_vbd(XVDA, 1024, 0);
	V->autorun = true;
	fbb_pump();
	ck_assert_int_eq(BF->state, BF_CONNECTED);
	ck_assert_uint_eq(blkdev_count(), 1);
	ck_assert_uint_eq(BF->st.connects, 2);
	ck_assert_int_eq(blkdev_read_sync(D, 5, buf, 1), 0);
	ck_assert(is_pattern(buf, 5, 512));
}
END_TEST

START_TEST(test_detach_inflight)
{
	start_one(1024, 0);
	submit(&ht[0], BLK_READ, 0, 1, hbuf[0]);
	submit(&ht[1], BLK_READ, 1, 1, hbuf[1]);
	submit(&ht[2], BLK_READ, 2, 1, hbuf[2]);
	fbb_process(V, 1); /* answered, not yet reaped when the backend leaves */
	fbb_swallow(V);	   /* taken, never answered */
	fbb_detach(V);
	ck_assert(ht[0].done && ht[0].status == 0);
	ck_assert(is_pattern(hbuf[0], 0, 512));
	ck_assert(ht[1].done && ht[1].status == -EIO);
	ck_assert(ht[2].done && ht[2].status == -EIO);
	ck_assert(!D->broken);
	ck_assert_uint_eq(BF->st.quarantined, 0);
}
END_TEST

START_TEST(test_reattach_other_geometry)
{
	start_one(1024, 0);
	fbb_detach(V);
	V = fbb_add_vbd(XVDA, 2048, 0);
	fbb_pump();
	ck_assert_int_eq(BF->state, BF_IDLE);
	ck_assert_uint_eq(shim_log_count("another geometry"), 1);
	ck_assert_uint_eq(D->sectors, 1024);
}
END_TEST

START_TEST(test_forced_removal)
{
	struct treq t;

	start_one(1024, 0);
	fbb_remove_nodes(V);
	ck_assert(BF->gone);
	ck_assert_int_eq(BF->state, BF_IDLE);
	submit(&t, BLK_READ, 0, 1, hbuf[0]);
	shim_run_work();
	ck_assert(t.done && t.status == -ENODEV);
}
END_TEST

START_TEST(test_broken_stays_down)
{
	start_one(1024, 0);
	inflight(1, 1);
	respond_and_run(7, BLKIF_OP_READ, 0);
	ck_assert(D->broken);
	fbb_detach(V);
	V = fbb_add_vbd(XVDA, 1024, 0);
	fbb_pump();
	ck_assert_int_eq(BF->state, BF_IDLE);
	ck_assert_uint_eq(shim_log_count("broken earlier"), 1);
}
END_TEST

START_TEST(test_two_disks)
{
	static uint8_t buf[MAXB];
	struct fbb_vbd *ro, *rw;

	ro = fbb_add_vbd(XVDA, 256, FBB_RO);
	rw = fbb_add_vbd(XVDB, 512, 0);
	ro->autorun = rw->autorun = true;
	ck_assert_int_eq(blkfront_probe_all(), 2);
	ck_assert(blkdev_get(0)->readonly && !blkdev_get(1)->readonly);
	fill(buf, MAXB, 3);
	ck_assert_int_eq(blkdev_write_sync(blkdev_get(0), 0, buf, 8), -EROFS);
	ck_assert_int_eq(blkdev_write_sync(blkdev_get(1), 256, buf, 256), 0);
	ck_assert(memcmp(rw->disk + 256 * 512, buf, MAXB) == 0);
	ck_assert_uint_eq(ro->writes, 0);
}
END_TEST

static Suite *blkfront_suite(void)
{
	Suite *s = suite_create("blkfront");
	TCase *tc = tcase_create("blkfront");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_connect_keys);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_indirect_late);
	tcase_add_test(tc, test_no_indirect);
	tcase_add_test(tc, test_backend_late);
	tcase_add_test(tc, test_connect_pending);
	tcase_add_loop_test(tc, test_bad_keys, 0, (int)ARRAY_SIZE(bad_keys));
	tcase_add_test(tc, test_odd_mode);
	tcase_add_test(tc, test_page_alloc_failure);
	tcase_add_test(tc, test_rw_many);
	tcase_add_test(tc, test_ring_full);
	tcase_add_test(tc, test_pool_full);
	tcase_add_test(tc, test_indirect_sizes);
	tcase_add_test(tc, test_unaligned);
	tcase_add_test(tc, test_sector_4k);
	tcase_add_test(tc, test_io_error);
	tcase_add_test(tc, test_flush_cache);
	tcase_add_test(tc, test_flush_barrier);
	tcase_add_test(tc, test_flush_none);
	tcase_add_test(tc, test_flush_initwait_only);
	tcase_add_test(tc, test_flush_eopnotsupp);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_mode_r_only);
	tcase_add_test(tc, test_persistent);
	tcase_add_test(tc, test_hostile_bad_id);
	tcase_add_test(tc, test_hostile_huge_id);
	tcase_add_test(tc, test_hostile_dup_id);
	tcase_add_test(tc, test_hostile_idle_id);
	tcase_add_test(tc, test_hostile_wrong_op);
	tcase_add_test(tc, test_hostile_indirect_op);
	tcase_add_test(tc, test_hostile_status);
	tcase_add_test(tc, test_hostile_prod_overflow);
	tcase_add_test(tc, test_hostile_prod_wrap);
	tcase_add_test(tc, test_hostile_grant_kept);
	tcase_add_test(tc, test_hostile_keep_mapped_at_close);
	tcase_add_test(tc, test_hostile_keep_persistent_at_close);
	tcase_add_test(tc, test_hostile_scribble);
	tcase_add_test(tc, test_hostile_storm);
	tcase_add_test(tc, test_no_storm_under_load);
	tcase_add_test(tc, test_detach_reattach);
	tcase_add_test(tc, test_detach_inflight);
	tcase_add_test(tc, test_reattach_other_geometry);
	tcase_add_test(tc, test_forced_removal);
	tcase_add_test(tc, test_broken_stays_down);
	tcase_add_test(tc, test_two_disks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(blkfront_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK); /* the driver's statics: one process per test */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
