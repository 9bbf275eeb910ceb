/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Log sink: the kernel side of the log ring (format and recovery logic in
 * kernel/lib/logring.c). Buffers move through three states: free, filling
 * (at most one: `cur`) and busy (queued or in flight until their write
 * completes). Every block gets the next sequence number when it starts
 * filling and is written once, so blocks reach the disk in sequence order
 * of submission; completions may come back in any order, which the format
 * tolerates (a lost write is a hole, never a reordering).
 *
 * Trust: the disk's existing contents are untrusted. The header is fully
 * validated before we write anything, and a disk that is not blank and not
 * a valid log is never written to. Data blocks found at open only feed the
 * recovery scan, which validates each one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/logring.h"
#include "sluice/logsink.h"
#include "sluice/plat.h"
#include "sluice/random.h"

#define SCAN_CHUNK (64 * 1024) /* bytes per read while scanning the ring at open */
#define CLOSE_TIMEOUT_NS (10ULL * 1000000000ULL)
/*
 * Smallest ring we write to: twice the blocks that can be in flight, so
 * that two writes in flight never target the same slot (their completion
 * order would decide which survives).
 */
#define MIN_BLOCKS (2 * LOGSINK_BUFFERS)

struct lbuf {
	struct blk_req req;
	uint8_t *data;
	uint64_t seq;
	unsigned int nrec;
	bool busy; /* queued or in flight: the driver may be using data */
};

static struct {
	struct blkdev *dev;
	struct logring_geom g;
	uint64_t next_blk; /* sequence number of the next block started */
	uint64_t next_rec;
	uint32_t boot;
	struct lbuf buf[LOGSINK_BUFFERS];
	struct lbuf *cur; /* filling, or NULL */
	unsigned int inflight;
	struct blk_req flush_req;
	bool flush_busy, flush_wanted;
	volatile bool idle; /* nothing queued, in flight or wanted */
	struct timer timer;
	uint64_t pending_drops; /* not yet reported in a record */
	struct logsink_stats st;
	bool open;
} ls;

static void update_idle(void)
{
	ls.idle = ls.inflight == 0 && !ls.flush_busy && !ls.flush_wanted;
}

static void flush_done(struct blk_req *req);

/* A cache flush covers only writes completed before it: wait for them first. */
static void kick_flush(void)
{
	if (!ls.flush_wanted || ls.inflight > 0 || ls.flush_busy)
		return;
	ls.flush_wanted = false;
	if (!ls.dev->can_flush)
		return; /* no volatile cache: completed writes are already stable */
	ls.flush_busy = true;
	ls.flush_req = (struct blk_req){.op = BLK_FLUSH, .done = flush_done};
	blkdev_submit(ls.dev, &ls.flush_req);
}

static void flush_done(struct blk_req *req)
{
	ls.flush_busy = false;
	if (req->status < 0)
		ls.st.write_errors++;
	kick_flush();
	update_idle();
}

static void write_done(struct blk_req *req)
{
	struct lbuf *b = req->arg;

	b->busy = false;
	ls.inflight--;
	if (req->status < 0) {
		ls.st.write_errors++;
		ls.st.lost_records += b->nrec;
	} else {
		ls.st.blocks++;
	}
	kick_flush();
	update_idle();
}

static void submit_block(struct lbuf *b)
{
	uint32_t per_block = ls.g.block_size / BLKDEV_SECTOR;

	logring_block_seal(&ls.g, b->data);
	b->busy = true;
	b->req = (struct blk_req){.op = BLK_WRITE,
				  .sector = logring_slot(&ls.g, b->seq) * per_block,
				  .count = per_block,
				  .buf = b->data,
				  .done = write_done,
				  .arg = b};
	ls.cur = NULL;
	ls.inflight++;
	ls.idle = false;
	blkdev_submit(ls.dev, &b->req);
}

/* A free buffer started as the next block, or NULL when all are busy. */
static struct lbuf *start_block(void)
{
	for (unsigned int i = 0; i < LOGSINK_BUFFERS; i++) {
		struct lbuf *b = &ls.buf[i];

		if (b->busy)
			continue;
		b->seq = ls.next_blk++;
		logring_block_start(&ls.g, b->data, b->seq, ls.next_rec);
		b->nrec = 0;
		return ls.cur = b;
	}
	return NULL;
}

static void on_timer(struct timer *t, void *arg)
{
	(void)t, (void)arg;
	logsink_flush();
}

/* Add a record to the filling block, sending it off first if it is full. */
static bool append(const char *text, size_t len, bool truncated)
{
	uint64_t when = plat->wallclock_ns ? plat->wallclock_ns() : 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (!ls.cur && !start_block())
			return false;
		if (logring_block_append(&ls.g, ls.cur->data, ls.boot, when, text, len,
					 truncated) == 0) {
			if (ls.cur->nrec++ == 0)
				timer_arm_in(&ls.timer, LOGSINK_FLUSH_MS * 1000000ULL);
			ls.next_rec++;
			ls.st.records++;
			return true;
		}
		submit_block(ls.cur); /* full (an empty block holds any record) */
	}
	return false;
}

static void write_record(const char *text, size_t len, bool truncated)
{
	char note[64];

	if (!ls.open)
		return;
	while (len > 0 && text[len - 1] == '\n')
		len--;
	if (ls.pending_drops) {
		snprintf(note, sizeof(note), "logsink: %llu record(s) dropped",
			 (unsigned long long)ls.pending_drops);
		if (append(note, strlen(note), false))
			ls.pending_drops = 0;
	}
	if (ls.pending_drops || !append(text, len, truncated)) {
		ls.st.dropped++;
		ls.pending_drops++;
	}
}

void logsink_write(const char *text, size_t len)
{
	write_record(text, len, false);
}

void logsink_vprintf(const char *fmt, va_list ap)
{
	char line[LOGRING_TEXT_MAX + 1];
	int n;

	if (!ls.open)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	write_record(line, MIN((size_t)n, (size_t)LOGRING_TEXT_MAX), n > LOGRING_TEXT_MAX);
}

void logsink_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logsink_vprintf(fmt, ap);
	va_end(ap);
}

void logsink_flush(void)
{
	if (!ls.open)
		return;
	timer_cancel(&ls.timer);
	if (ls.cur && ls.cur->nrec > 0)
		submit_block(ls.cur);
	ls.flush_wanted = true;
	kick_flush();
	update_idle();
}

int logsink_close(void)
{
	int rc;

	if (!ls.open)
		return 0;
	logsink_flush();
	rc = evloop_wait_flag(&ls.idle, now_ns() + CLOSE_TIMEOUT_NS);
	ls.open = false; /* buffers stay allocated: a timed-out write may still use one */
	kprintf("logsink: %s: closed: %llu records in %llu blocks, %llu dropped, %llu write "
		"errors%s\n",
		ls.dev->name, (unsigned long long)ls.st.records, (unsigned long long)ls.st.blocks,
		(unsigned long long)ls.st.dropped, (unsigned long long)ls.st.write_errors,
		rc < 0 ? ", timed out waiting for the disk" : "");
	if (rc < 0)
		return rc;
	return ls.st.write_errors ? -EIO : 0;
}

void logsink_get_stats(struct logsink_stats *st)
{
	*st = ls.st;
	st->next_seq = ls.next_rec;
	st->boot = ls.boot;
}

/* ---------------------------------------------------------------- open */

/*
 * Capacity in bytes. The sector count comes from the device (untrusted): a
 * value whose byte count overflows is clamped rather than wrapped.
 */
static uint64_t disk_bytes(const struct blkdev *dev)
{
	return dev->sectors > UINT64_MAX / BLKDEV_SECTOR ? UINT64_MAX
							 : dev->sectors * BLKDEV_SECTOR;
}

static int format_disk(struct blkdev *dev, uint8_t *scratch)
{
	uint64_t id;
	int rc;

	if ((rc = random_bytes(&id, sizeof(id))) < 0)
		return rc;
	rc = logring_geom_init(&ls.g, disk_bytes(dev), dev->sector_size, id,
			       plat->wallclock_ns ? plat->wallclock_ns() : 0);
	if (rc == 0 && ls.g.nblocks < MIN_BLOCKS)
		rc = -ENOSPC;
	if (rc < 0) {
		kprintf("logsink: %s (%s): disk too small for a log\n", dev->name, dev->id);
		return rc;
	}
	logring_header_encode(&ls.g, scratch);
	rc = blkdev_write_sync(dev, 0, scratch, dev->sector_size / BLKDEV_SECTOR);
	if (rc == 0 && dev->can_flush)
		rc = blkdev_flush_sync(dev);
	if (rc < 0) {
		kprintf("logsink: %s (%s): formatting failed (%d)\n", dev->name, dev->id, rc);
		return rc;
	}
	kprintf("logsink: %s (%s): formatted a blank disk\n", dev->name, dev->id);
	return 0;
}

/* Read and check the header; format the disk if (and only if) it is blank. */
static int load_header(struct blkdev *dev, uint8_t *scratch)
{
	char err[128];
	int rc;

	rc = blkdev_read_sync(dev, 0, scratch, dev->sector_size / BLKDEV_SECTOR);
	if (rc < 0) {
		kprintf("logsink: %s (%s): cannot read the header (%d)\n", dev->name, dev->id, rc);
		return rc;
	}
	rc = logring_header_decode(scratch, dev->sector_size, disk_bytes(dev), &ls.g, err,
				   sizeof(err));
	if (rc == -ENODATA)
		return format_disk(dev, scratch);
	if (rc < 0) {
		kprintf("logsink: %s (%s): refusing the disk: %s\n", dev->name, dev->id, err);
		return memcmp(scratch, LOGRING_MAGIC, 8) != 0 ? -EEXIST : rc;
	}
	if (ls.g.nblocks < MIN_BLOCKS) {
		kprintf("logsink: %s (%s): refusing the disk: a ring of %llu blocks is too small\n",
			dev->name, dev->id, (unsigned long long)ls.g.nblocks);
		return -ENOSPC;
	}
	if (ls.g.block_size != dev->sector_size) {
		kprintf("logsink: %s (%s): refusing the disk: formatted for %u-byte blocks, "
			"sectors are %u bytes\n",
			dev->name, dev->id, ls.g.block_size, dev->sector_size);
		return -EINVAL;
	}
	return 0;
}

/* Read every slot once to find the newest block (the recovery scan). */
static int scan_ring(struct blkdev *dev, uint8_t *scratch, struct logring_scan *scan)
{
	uint32_t bs = ls.g.block_size, per_block = bs / BLKDEV_SECTOR;
	uint64_t chunk = MIN((uint64_t)SCAN_CHUNK, (uint64_t)dev->max_sectors * BLKDEV_SECTOR) / bs;
	int rc;

	if (chunk == 0)
		return -EINVAL;
	logring_scan_init(scan);
	for (uint64_t slot = 1; slot <= ls.g.nblocks; slot += chunk) {
		uint64_t n = MIN(chunk, ls.g.nblocks - slot + 1);

		rc = blkdev_read_sync(dev, slot * per_block, scratch, (uint32_t)(n * per_block));
		if (rc < 0) {
			kprintf("logsink: %s (%s): cannot read the ring (%d)\n", dev->name, dev->id,
				rc);
			return rc;
		}
		for (uint64_t i = 0; i < n; i++)
			logring_scan_block(scan, &ls.g, slot + i, scratch + i * bs);
	}
	return 0;
}

static int alloc_buffers(uint32_t bs)
{
	for (unsigned int i = 0; i < LOGSINK_BUFFERS; i++)
		if (!ls.buf[i].data && !(ls.buf[i].data = aligned_alloc(4096, bs)))
			return -ENOMEM;
	return 0;
}

int logsink_open(struct blkdev *dev)
{
	struct logring_scan scan;
	uint8_t *scratch;
	int rc;

	if (ls.open || ls.dev)
		return -EBUSY; /* also after close: buffers may still be with the old disk */
	if (!dev)
		return -ENODEV;
	if (dev->readonly) {
		kprintf("logsink: %s (%s): read-only\n", dev->name, dev->id);
		return -EROFS;
	}
	if (dev->sector_size != 512 && dev->sector_size != 4096) {
		kprintf("logsink: %s (%s): %u-byte sectors not supported\n", dev->name, dev->id,
			dev->sector_size);
		return -EINVAL;
	}
	if (!(scratch = aligned_alloc(4096, SCAN_CHUNK)))
		return -ENOMEM;
	rc = load_header(dev, scratch);
	if (rc == 0)
		rc = scan_ring(dev, scratch, &scan);
	free(scratch);
	if (rc == 0)
		rc = alloc_buffers(ls.g.block_size);
	if (rc < 0)
		return rc;
	ls.dev = dev;
	ls.next_blk = scan.newest + 1;
	ls.next_rec = scan.next_rec;
	ls.boot = scan.last_boot + 1;
	ls.idle = true;
	timer_init(&ls.timer, on_timer, NULL);
	ls.open = true;
	kprintf("logsink: %s (%s): %llu blocks of %u bytes, boot %u, next record #%llu%s\n",
		dev->name, dev->id, (unsigned long long)ls.g.nblocks, ls.g.block_size, ls.boot,
		(unsigned long long)ls.next_rec, scan.corrupt ? " (corrupt blocks skipped)" : "");
	return 0;
}
