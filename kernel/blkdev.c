/* SPDX-License-Identifier: BSD-2-Clause */
/* Block device registry, request validation and queueing, synchronous wrappers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/blkdev.h"
#include "sluice/kernel.h"
#include "sluice/x86.h"

#define SYNC_TIMEOUT_NS (30ULL * 1000000000ULL)

static struct blkdev *devices[BLKDEV_MAX];
static unsigned int ndevices;

/* Requests finished outside a driver's service() (refused, or the device broke). */
struct done_list {
	struct blk_req *head, **tail;
};
static struct done_list refused[BLKDEV_MAX];

static void run_refused(struct blkdev *dev)
{
	struct done_list *l = &refused[dev->index];
	struct blk_req *r;

	while ((r = l->head)) {
		l->head = r->next;
		if (!l->head)
			l->tail = &l->head;
		r->done(r);
	}
}

static void refuse(struct blkdev *dev, struct blk_req *req, int status)
{
	struct done_list *l = &refused[dev->index];

	req->status = status;
	req->next = NULL;
	*l->tail = req;
	l->tail = &req->next;
	dev->stats.errors++;
	work_post(&dev->work);
}

/* Hand waiting requests to the driver until its ring is full again. */
static void resubmit_waiting(struct blkdev *dev)
{
	struct blk_req *r;
	int rc;

	while ((r = dev->wait_head)) {
		rc = dev->broken ? -EIO : dev->ops->submit(dev, r);
		if (rc == -EAGAIN)
			return;
		dev->wait_head = r->next;
		if (!dev->wait_head)
			dev->wait_tail = &dev->wait_head;
		if (rc < 0)
			refuse(dev, r, rc);
	}
}

static void blkdev_work(struct work *w)
{
	struct blkdev *dev = container_of(w, struct blkdev, work);
	bool more = false;

	run_refused(dev);
	if (!dev->broken)
		more = dev->ops->service(dev);
	resubmit_waiting(dev);
	run_refused(dev);
	if (dev->broken)
		return;
	if (more || dev->ops->irq_enable(dev))
		work_post(w);
}

static int validate(const struct blkdev *dev, const struct blk_req *req)
{
	uint32_t align = dev->sector_size / BLKDEV_SECTOR;

	if (dev->broken)
		return -EIO;
	if (req->op == BLK_FLUSH)
		return 0;
	if (req->op != BLK_READ && req->op != BLK_WRITE)
		return -EINVAL;
	if (req->op == BLK_WRITE && dev->readonly)
		return -EROFS;
	if (req->count == 0 || req->count > dev->max_sectors || !req->buf)
		return -EINVAL;
	if (req->sector > dev->sectors || req->count > dev->sectors - req->sector)
		return -EINVAL;
	if (align > 1 && (req->sector % align || req->count % align))
		return -EINVAL;
	return 0;
}

void blkdev_submit(struct blkdev *dev, struct blk_req *req)
{
	int rc = validate(dev, req);

	req->next = NULL;
	if (rc < 0) {
		refuse(dev, req, rc);
		return;
	}
	if (req->op == BLK_READ)
		dev->stats.reads++, dev->stats.sectors_read += req->count;
	else if (req->op == BLK_WRITE)
		dev->stats.writes++, dev->stats.sectors_written += req->count;
	else
		dev->stats.flushes++;
	/* Keep submission order: nothing overtakes requests already waiting. */
	rc = dev->wait_head ? -EAGAIN : dev->ops->submit(dev, req);
	if (rc == -EAGAIN) {
		*dev->wait_tail = req;
		dev->wait_tail = &req->next;
	} else if (rc < 0) {
		refuse(dev, req, rc);
	}
}

void blkdev_complete(struct blkdev *dev, struct blk_req *req, int status)
{
	req->status = status;
	if (status < 0)
		dev->stats.errors++;
	req->done(req);
}

void blkdev_irq(struct blkdev *dev)
{
	dev->ops->irq_disable(dev);
	work_post(&dev->work);
}

void blkdev_set_broken(struct blkdev *dev, const char *reason)
{
	if (dev->broken)
		return;
	dev->broken = true;
	dev->broken_reason = reason;
	kprintf("%s: %s: disabled: %s\n", dev->name, dev->driver, reason);
	work_post(&dev->work); /* fail whatever waits */
}

int blkdev_register(struct blkdev *dev)
{
	if (ndevices >= BLKDEV_MAX)
		return -E2BIG;
	dev->index = ndevices;
	snprintf(dev->name, sizeof(dev->name), "blk%u", ndevices);
	dev->wait_head = NULL;
	dev->wait_tail = &dev->wait_head;
	dev->work.fn = blkdev_work;
	refused[ndevices].head = NULL;
	refused[ndevices].tail = &refused[ndevices].head;
	if (dev->sector_size < BLKDEV_SECTOR)
		dev->sector_size = BLKDEV_SECTOR;
	devices[ndevices++] = dev;
	return 0;
}

unsigned int blkdev_count(void)
{
	return ndevices;
}

struct blkdev *blkdev_get(unsigned int index)
{
	return index < ndevices ? devices[index] : NULL;
}

struct blkdev *blkdev_by_name(const char *name)
{
	for (unsigned int i = 0; i < ndevices; i++)
		if (strcmp(devices[i]->name, name) == 0)
			return devices[i];
	return NULL;
}

struct sync_req {
	struct blk_req req;
	volatile bool done;
};

static void sync_done(struct blk_req *req)
{
	struct sync_req *s = container_of(req, struct sync_req, req);

	s->done = true;
}

/*
 * The request lives on the heap: if the device never answers, it is marked
 * broken (its driver stops touching our buffers) and the request is
 * deliberately leaked rather than freed under a driver that still holds it.
 */
static int sync_io(struct blkdev *dev, enum blk_op op, uint64_t sector, void *buf, uint32_t count)
{
	struct sync_req *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->req = (struct blk_req){
		.op = op, .sector = sector, .count = count, .buf = buf, .done = sync_done};
	blkdev_submit(dev, &s->req);
	if (evloop_wait_flag(&s->done, now_ns() + SYNC_TIMEOUT_NS) < 0) {
		blkdev_set_broken(dev, "no answer to a synchronous request in 30 s");
		return -ETIMEDOUT;
	}
	rc = s->req.status;
	free(s);
	return rc;
}

int blkdev_read_sync(struct blkdev *dev, uint64_t sector, void *buf, uint32_t count)
{
	return sync_io(dev, BLK_READ, sector, buf, count);
}

int blkdev_write_sync(struct blkdev *dev, uint64_t sector, const void *buf, uint32_t count)
{
	return sync_io(dev, BLK_WRITE, sector, (void *)buf, count);
}

int blkdev_flush_sync(struct blkdev *dev)
{
	return sync_io(dev, BLK_FLUSH, 0, NULL, 0);
}
