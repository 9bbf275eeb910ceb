// SPDX-License-Identifier: BSD-2-Clause
/*
 * Real-Xen test appliance for drivers/blkfront (tests/xen/blkfront.test),
 * through the blkdev API only. It lists every blkdev, then:
 *  - on the first read-only disk: reads a head and a tail region and checks
 *    the pattern dom0 put there, and tries a write (must be -EROFS) and a
 *    flush (must succeed: nothing to flush);
 *  - on the first writable disk: reads its region; if it holds the pattern,
 *    an earlier boot wrote it ("found"); if it is all zeros, writes the
 *    pattern, flushes and reads it back ("wrote"); anything else fails.
 * Requests are submitted all at once in mixed sizes (1..8 sectors first,
 * so the ring fills and the block layer queues the rest; then up to 256,
 * so plain and indirect requests both occur), from buffers that are
 * 512-byte but not page aligned. Prints "blkfronttest: SUCCESS" or
 * "blkfronttest: FAILED" and keeps running (for xl reboot and the dom0
 * checks).
 *
 * The pattern is text that dom0's busybox awk can produce: sector s is 32
 * 16-byte records "<TAG><s as 8 digits><record as 2 digits>\n".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../drivers/blkfront/blkfront_priv.h"
#include "sluice/app.h"
#include "sluice/blkdev.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"

#define WAIT_NS (120ULL * 1000000000ULL)
#define RO_HEAD 1024U /* sectors at the start of the read-only disk */
#define RO_TAIL 128U  /* and at its end */
#define RW_START 2048U
#define RW_SECTORS 2048U /* 1 MiB */
#define MAX_REQS 1024U

static uint8_t area[RW_SECTORS * BLKDEV_SECTOR + 4096];
static uint8_t *const buf = area + 512 + 1024; /* 512-byte, not page, aligned */
static struct blk_req reqs[MAX_REQS];
static unsigned int nreqs, ndone, nfailed;
static volatile bool all_done;
static int first_error;

static void pattern(uint8_t *out, const char *tag, uint64_t sector)
{
	char rec[17];

	for (unsigned int r = 0; r < BLKDEV_SECTOR / 16; r++) {
		snprintf(rec, sizeof(rec), "%s%08llu%02u\n", tag, (unsigned long long)sector, r);
		memcpy(out + r * 16, rec, 16);
	}
}

/* The first sector in [first, first + n) that differs from the pattern, or -1. */
static long long check_pattern(const uint8_t *b, const char *tag, uint64_t first, uint32_t n)
{
	uint8_t want[BLKDEV_SECTOR];

	for (uint32_t i = 0; i < n; i++) {
		pattern(want, tag, first + i);
		if (memcmp(b + (size_t)i * BLKDEV_SECTOR, want, BLKDEV_SECTOR) != 0)
			return (long long)(first + i);
	}
	return -1;
}

static void req_done(struct blk_req *r)
{
	if (r->status < 0 && nfailed++ == 0)
		first_error = r->status;
	if (++ndone == nreqs)
		all_done = true;
}

/* Size of the next request at @done sectors into the region: small first, then large. */
static uint32_t next_size(unsigned int i, uint32_t done, uint32_t total, uint32_t max)
{
	static const uint32_t big[] = {256, 88, 89, 17, 200, 64, 131, 8};
	uint32_t n = done < total / 4 ? 1 + i % 8 : big[i % 8];

	n = MIN(n, max);
	return MIN(n, total - done);
}

/* [sector, sector + n) through @b, in mixed sizes, all in flight at once. 0 or -errno. */
static int bulk(struct blkdev *dev, enum blk_op op, uint64_t sector, uint8_t *b, uint32_t n)
{
	uint32_t done = 0;

	nreqs = ndone = nfailed = 0;
	all_done = false;
	first_error = 0;
	while (done < n && nreqs < MAX_REQS) {
		uint32_t c = next_size(nreqs, done, n, dev->max_sectors);

		reqs[nreqs] = (struct blk_req){.op = op,
					       .sector = sector + done,
					       .count = c,
					       .buf = b + (size_t)done * BLKDEV_SECTOR,
					       .done = req_done};
		nreqs++;
		done += c;
	}
	if (done < n)
		return -E2BIG;
	for (unsigned int i = 0; i < nreqs; i++)
		blkdev_submit(dev, &reqs[i]);
	if (evloop_wait_flag(&all_done, now_ns() + WAIT_NS) < 0)
		return -ETIMEDOUT;
	return nfailed ? first_error : 0;
}

static void show(struct blkdev *d)
{
	struct blkfront *bf = d->priv;

	printf("blkfronttest: %s %s %s sectors %llu sector-size %u %s flush %s max %u%s%s\n",
	       d->name, d->driver, d->id, (unsigned long long)d->sectors, d->sector_size,
	       d->readonly ? "ro" : "rw", d->can_flush ? "yes" : "no", d->max_sectors,
	       bf->indirect ? " indirect" : "", bf->persistent ? " persistent" : "");
}

static bool test_ro(struct blkdev *d)
{
	uint64_t tail = d->sectors - RO_TAIL;
	long long bad;
	int rc;

	rc = bulk(d, BLK_READ, 0, buf, RO_HEAD);
	bad = rc ? -1 : check_pattern(buf, "SLURO", 0, RO_HEAD);
	printf("blkfronttest: ro: head read %d, first bad sector %lld\n", rc, bad);
	if (rc || bad >= 0)
		return false;
	rc = bulk(d, BLK_READ, tail, buf, RO_TAIL);
	bad = rc ? -1 : check_pattern(buf, "SLURO", tail, RO_TAIL);
	printf("blkfronttest: ro: tail read %d, first bad sector %lld\n", rc, bad);
	if (rc || bad >= 0)
		return false;
	printf("blkfronttest: ro: pattern ok\n");
	rc = blkdev_write_sync(d, 0, buf, 8);
	printf("blkfronttest: ro: write refused: %d\n", rc);
	if (rc != -EROFS)
		return false;
	rc = blkdev_flush_sync(d);
	printf("blkfronttest: ro: flush %d\n", rc);
	return rc == 0;
}

static bool all_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static bool test_rw(struct blkdev *d)
{
	long long bad;
	int rc;

	rc = bulk(d, BLK_READ, RW_START, buf, RW_SECTORS);
	if (rc == 0 && check_pattern(buf, "SLURW", RW_START, RW_SECTORS) < 0) {
		printf("blkfronttest: rw: found the pattern written earlier\n");
		return true;
	}
	if (rc || !all_zero(buf, (size_t)RW_SECTORS * BLKDEV_SECTOR)) {
		printf("blkfronttest: rw: region neither zero nor pattern (read %d)\n", rc);
		return false;
	}
	for (uint32_t i = 0; i < RW_SECTORS; i++)
		pattern(buf + (size_t)i * BLKDEV_SECTOR, "SLURW", RW_START + i);
	rc = bulk(d, BLK_WRITE, RW_START, buf, RW_SECTORS);
	printf("blkfronttest: rw: write %d (%u requests)\n", rc, nreqs);
	if (rc)
		return false;
	rc = blkdev_flush_sync(d);
	printf("blkfronttest: rw: flush %d\n", rc);
	if (rc)
		return false;
	memset(buf, 0, (size_t)RW_SECTORS * BLKDEV_SECTOR);
	rc = bulk(d, BLK_READ, RW_START, buf, RW_SECTORS);
	bad = rc ? -1 : check_pattern(buf, "SLURW", RW_START, RW_SECTORS);
	printf("blkfronttest: rw: read back %d, first bad sector %lld\n", rc, bad);
	if (rc || bad >= 0)
		return false;
	printf("blkfronttest: rw: wrote the pattern\n");
	return true;
}

/*
 * After a detach and re-attach (xl block-detach/-attach) the blkdev comes
 * back: read the pattern again, from a timer (no waiting in callbacks).
 */
static struct blkdev *watched;
static uint64_t connects_seen;
static struct timer reconnect_timer;
static struct blk_req again;
static uint8_t again_buf[128 * BLKDEV_SECTOR];

static void again_done(struct blk_req *r)
{
	long long bad = r->status ? -1 : check_pattern(again_buf, "SLURW", RW_START, 128);

	printf("blkfronttest: rw: reconnected, read %d, %s\n", r->status,
	       r->status == 0 && bad < 0 ? "pattern ok" : "pattern BAD");
}

static void reconnect_tick(struct timer *t, void *arg)
{
	struct blkfront *bf = watched->priv;

	(void)arg;
	if (bf->state == BF_CONNECTED && bf->st.connects != connects_seen) {
		connects_seen = bf->st.connects;
		again = (struct blk_req){.op = BLK_READ,
					 .sector = RW_START,
					 .count = 128,
					 .buf = again_buf,
					 .done = again_done};
		blkdev_submit(watched, &again);
	}
	timer_arm_in(t, 200ULL * 1000 * 1000);
}

static int blkfronttest_main(void)
{
	struct blkdev *ro = NULL, *rw = NULL;
	bool ok = true;
	int n;

	n = blkfront_probe_all();
	printf("blkfronttest: blkfront_probe_all: %d, %u blkdevs\n", n, blkdev_count());
	for (unsigned int i = 0; i < blkdev_count(); i++) {
		struct blkdev *d = blkdev_get(i);

		if (strcmp(d->driver, "blkfront") != 0)
			continue;
		show(d);
		if (d->readonly && !ro)
			ro = d;
		else if (!d->readonly && !rw)
			rw = d;
	}
	if (!ro || !rw) {
		printf("blkfronttest: need a read-only and a writable disk\n");
		ok = false;
	}
	ok = ok && test_ro(ro);
	ok = ok && test_rw(rw);
	for (unsigned int i = 0; i < blkdev_count(); i++) {
		struct blkdev *d = blkdev_get(i);
		struct blkfront *bf = d->priv;

		if (strcmp(d->driver, "blkfront") != 0)
			continue;
		printf("blkfronttest: %s: reads %llu writes %llu flushes %llu errors %llu "
		       "indirect %llu noop-flushes %llu quarantined %llu broken %d\n",
		       d->name, (unsigned long long)d->stats.reads,
		       (unsigned long long)d->stats.writes, (unsigned long long)d->stats.flushes,
		       (unsigned long long)d->stats.errors, (unsigned long long)bf->st.indirect,
		       (unsigned long long)bf->st.noop_flushes,
		       (unsigned long long)bf->st.quarantined, d->broken);
	}
	printf("blkfronttest: %s\n", ok ? "SUCCESS" : "FAILED");
	if (rw) {
		watched = rw;
		connects_seen = ((struct blkfront *)rw->priv)->st.connects;
		timer_init(&reconnect_timer, reconnect_tick, NULL);
		timer_arm_in(&reconnect_timer, 200ULL * 1000 * 1000);
	}
	kernel_mark_ready();
	return evloop_run();
}

const struct sluice_app sluice_app = {
	.name = "blkfronttest",
	.opts = NULL,
	.main = blkfronttest_main,
};
