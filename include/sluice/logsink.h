/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Log sink: appliances append text records to a writable disk that keeps
 * them across reboots, as a ring (format: sluice/logring.h; read it on the
 * host with tools/sluice-logread).
 *
 * Records are batched in memory into disk blocks and written
 * asynchronously: a block goes to the disk when it is full, when it has
 * waited LOGSINK_FLUSH_MS, on logsink_flush(), and on logsink_close(). At
 * most LOGSINK_BUFFERS blocks are in memory; when the disk cannot keep up
 * and all are full or in flight, new records are dropped and counted, and
 * the next record that fits is preceded by one saying how many were lost.
 *
 * The disk: a blank one (its first block all zero) is formatted; one that
 * already holds a Sluice log continues after its newest record (the boot
 * number goes up by one); anything else is refused and left untouched.
 *
 * Call from the event loop or start-up code, never from interrupt
 * handlers. Before logsink_open() succeeds, records are discarded.
 */
#ifndef SLUICE_LOGSINK_H
#define SLUICE_LOGSINK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/blkdev.h"

#define LOGSINK_BUFFERS 8     /* blocks in memory: filling, queued and in flight */
#define LOGSINK_FLUSH_MS 1000 /* longest a record waits in memory */

struct logsink_stats {
	uint64_t records;      /* accepted into a block */
	uint64_t dropped;      /* no buffer free (or text empty after open failed) */
	uint64_t blocks;       /* blocks written successfully */
	uint64_t write_errors; /* blocks (and their records) lost to I/O errors */
	uint64_t lost_records; /* records in those blocks */
	uint64_t next_seq;     /* sequence number the next record gets */
	uint32_t boot;	       /* this boot's number on the disk */
};

/*
 * Start logging to @dev (writable; its logical sector size is the ring's
 * block size). Reads the whole ring once to find where to continue, and
 * prints "logsink: blk1 (pci 0:4.0): 2047 blocks of 512 bytes, boot 2,
 * next record #15". Returns 0, -EROFS, -EBUSY (open, or was: one disk per
 * boot), -EEXIST (the
 * disk holds something else: not overwritten), -EINVAL (a damaged log
 * header, or one written for another sector size), -ENOSPC (disk too
 * small), -ENOMEM or the disk's -errno.
 */
int logsink_open(struct blkdev *dev);

/* Append one record (a trailing newline is dropped; text beyond LOGRING_TEXT_MAX is cut). */
void logsink_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void logsink_vprintf(const char *fmt, va_list ap);
void logsink_write(const char *text, size_t len);

/* Start writing what is buffered, then a cache flush; returns at once. */
void logsink_flush(void);

/*
 * Flush and wait until everything is on the disk (at most 10 s), then stop
 * accepting records: for clean shutdown, from the appliance's main() after
 * evloop_run() returns (not from a callback). 0, -ETIMEDOUT or -EIO if
 * blocks were lost. Prints the final counters.
 */
int logsink_close(void);

void logsink_get_stats(struct logsink_stats *st);

#endif
