/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block devices: one API over blkfront (Xen) and virtio-blk (QEMU/KVM).
 *
 * Requests are asynchronous: a driver queues a request and completes it
 * later from the event loop by calling its `done` callback (never from
 * interrupt context). Data buffers are caller memory that must stay valid
 * until completion; they need not be aligned beyond 512 bytes, and drivers
 * that need page-granular or grantable memory bounce through their own
 * pages (a backend must never be granted a page that also holds unrelated
 * memory). blkdev_read_sync()/blkdev_write_sync() wrap the same requests for
 * start-up code, waiting in the event loop.
 */
#ifndef SLUICE_BLKDEV_H
#define SLUICE_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/evloop.h"

#define BLKDEV_MAX 8
#define BLKDEV_NAME_MAX 16
#define BLKDEV_SECTOR 512 /* offsets and counts are always in 512-byte units */

enum blk_op {
	BLK_READ,
	BLK_WRITE,
	BLK_FLUSH, /* everything completed before is on stable storage when this completes */
};

struct blkdev;
struct blk_req;
typedef void (*blk_done_fn)(struct blk_req *req);

struct blk_req {
	enum blk_op op;
	uint64_t sector; /* first 512-byte sector */
	uint32_t count;	 /* 512-byte sectors (0 for FLUSH) */
	void *buf;	 /* count * 512 bytes */
	blk_done_fn done;
	void *arg;
	int status; /* set before done(): 0 or -errno (-EIO, -EROFS, -EINVAL, -ENODEV) */
	/* Driver and queue private. */
	struct blk_req *next;
	uintptr_t drv[4];
};

struct blkdev_stats {
	uint64_t reads, writes, flushes, sectors_read, sectors_written, errors;
};

struct blkdev_ops {
	/*
	 * Queue @req. 0: it will complete through req->done. -EAGAIN: ring full,
	 * try again after a completion. Other -errno: rejected, done not called.
	 */
	int (*submit)(struct blkdev *dev, struct blk_req *req);
	/* Reap completions (from the device's work); returns true if work remains. */
	bool (*service)(struct blkdev *dev);
	bool (*irq_enable)(struct blkdev *dev);
	void (*irq_disable)(struct blkdev *dev);
};

struct blkdev {
	char name[BLKDEV_NAME_MAX]; /* "blk0", ... */
	const char *driver;	    /* "virtio-blk", "blkfront" */
	char id[32];		    /* where it came from: "xvda", "pci 0:3.0", "mmio 0xfeb00e00" */
	unsigned int index;
	uint64_t sectors;     /* capacity in 512-byte sectors */
	uint32_t sector_size; /* logical sector size (512 or 4096); I/O is aligned to it */
	uint32_t max_sectors; /* largest single request the driver takes */
	bool readonly;
	bool can_flush; /* the device has a volatile cache that FLUSH empties */
	bool broken;	/* peer misbehaved: out of service */
	const char *broken_reason;
	const struct blkdev_ops *ops;
	void *priv;
	struct blkdev_stats stats;
	/* Requests waiting for ring space (the queue layer resubmits them). */
	struct blk_req *wait_head, **wait_tail;
	struct work work; /* posted by the driver's interrupt handler */
};

int blkdev_register(struct blkdev *dev);
unsigned int blkdev_count(void);
struct blkdev *blkdev_get(unsigned int index);
struct blkdev *blkdev_by_name(const char *name);

/*
 * Submit a request, validated here: inside the device, aligned to
 * sector_size, at most max_sectors (callers split larger transfers);
 * read-only devices refuse writes with -EROFS and broken ones everything
 * with -EIO. Requests wait in a queue while the ring is full. Completion
 * always arrives through req->done from the event loop, also for requests
 * refused here, so callers have one path for results.
 */
void blkdev_submit(struct blkdev *dev, struct blk_req *req);

/* Synchronous wrappers for start-up code (not for callbacks): 0 or -errno. */
int blkdev_read_sync(struct blkdev *dev, uint64_t sector, void *buf, uint32_t count);
int blkdev_write_sync(struct blkdev *dev, uint64_t sector, const void *buf, uint32_t count);
int blkdev_flush_sync(struct blkdev *dev);

/* Called by drivers. */
void blkdev_irq(struct blkdev *dev); /* from the interrupt handler */
void blkdev_complete(struct blkdev *dev, struct blk_req *req, int status); /* from service() */
void blkdev_set_broken(struct blkdev *dev, const char *reason);

#endif
