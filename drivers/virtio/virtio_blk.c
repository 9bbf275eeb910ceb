/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk (virtio 1.x §5.2) behind the blkdev API, over any transport.
 *
 * One request queue. Negotiated: RO, FLUSH, BLK_SIZE, SEG_MAX, SIZE_MAX,
 * EVENT_IDX when offered, VERSION_1 on modern transports, ACCESS_PLATFORM
 * if a device insists (it gets physical addresses, as it then expects).
 * Without CONFIG_WCE, a device offering FLUSH has a writeback cache and one
 * that does not is write-through (§5.2.6.3): all we need to know.
 *
 * A request is a chain [header][data]...[status]. Header (16 bytes,
 * device-readable) and status (1 byte, writable) come from a driver-owned
 * command array and never share a descriptor with data, which is the
 * framing legacy devices may assume (§5.2.6.4), so ANY_LAYOUT is not
 * needed. Data goes straight to the caller's buffer: RAM is identity-mapped,
 * so a buffer is physically contiguous and takes one descriptor, split (at
 * page boundaries when possible) only where size_max demands it.
 *
 * Trust: used entries are validated by the virtqueue (id in range and in
 * flight, length within the chain) and here: on 1.x devices the length must
 * be the chain's writable length (so that it covers the status byte), and
 * the status must be a defined value (it is preset to an undefined one, so
 * a completion the device never wrote is caught). The config space is
 * sanity-checked before use. A violation marks the blkdev broken, masks
 * and resets the device so that it stops DMA, and then fails what was in
 * flight with -EIO; a device that does not even reset keeps its buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sluice/blkdev.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "virtio.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* Configuration space (§5.2.4); the geometry sits at 16-19. */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CONFIG_RETRIES 8

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define STATUS_UNWRITTEN 0xff /* preset: not a value the device may write */

#define WANTED_FEATURES                                                                            \
	(VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |                    \
	 VIRTIO_BIT(VIRTIO_BLK_F_RO) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |                         \
	 VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |                    \
	 VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM))

#define REQQ 0
#define VBLK_QSIZE 256		  /* ring size where the driver may choose */
#define VBLK_MAX_BYTES (1U << 20) /* largest request: bounds latency and descriptors */
#define VBLK_MAX_DATA_SEGS 64	  /* data descriptors per request (stack array) */
#define VBLK_SERVICE_BUDGET 64	  /* completions per service() call, for fairness */
#define VBLK_MAX_BLK_SIZE 4096	  /* logical block sizes blkdev users are ready for */
/* Capacity limit: byte offsets must fit 64 bits (sectors << 9). */
#define VBLK_MAX_SECTORS (UINT64_MAX / BLKDEV_SECTOR)

/* Device-readable request header (§5.2.6); little-endian, as x86 is. */
struct vblk_hdr {
	uint32_t type;
	uint32_t reserved; /* ioprio on legacy devices: 0 */
	uint64_t sector;   /* always in 512-byte units, whatever blk_size says */
};

/* One request in flight: the header, the status byte and the blkdev request. */
struct vblk_cmd {
	struct vblk_hdr hdr;
	volatile uint8_t status; /* written by the device */
	struct blk_req *req;
	struct vblk_cmd *next_free;
};

struct vblk_config {
	uint64_t capacity;
	uint32_t size_max, seg_max, blk_size;
};

struct vblk {
	struct blkdev bd;
	struct virtio_dev *vd;
	struct virtqueue vq;
	void *ring;
	size_t ring_pages;
	struct vblk_cmd *cmds;
	struct vblk_cmd *free_cmds;
	uint32_t seg_bytes;	    /* largest data descriptor */
	unsigned int max_data_segs; /* data descriptors per request */
	bool strict_len;	    /* 1.x: used lengths are exact (§2.7.8.1) */
	bool running;		    /* DRIVER_OK and not failed */
	volatile bool cfg_changed;  /* set from the interrupt handler */
	struct blk_req *local_head; /* finished without the device (see vblk_submit) */
	struct blk_req **local_tail;
};

static void vblk_kick(struct vblk *vb)
{
	if (vq_kick_prepare(&vb->vq))
		vb->vd->ops->notify(vb->vd, &vb->vq);
}

static int vblk_negotiate(struct vblk *vb)
{
	int rc = virtio_negotiate(vb->vd, WANTED_FEATURES);

	vb->strict_len = vb->vd->features & VIRTIO_BIT(VIRTIO_F_VERSION_1);
	return rc;
}

static int read_fields(struct virtio_dev *d, struct vblk_config *c)
{
	uint32_t lo, hi;
	int rc;

	rc = d->ops->config_read(d, CFG_CAPACITY, 4, &lo);
	rc |= d->ops->config_read(d, CFG_CAPACITY + 4, 4, &hi);
	c->capacity = (uint64_t)hi << 32 | lo;
	c->size_max = c->seg_max = c->blk_size = 0;
	if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX))
		rc |= d->ops->config_read(d, CFG_SIZE_MAX, 4, &c->size_max);
	if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX))
		rc |= d->ops->config_read(d, CFG_SEG_MAX, 4, &c->seg_max);
	if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE))
		rc |= d->ops->config_read(d, CFG_BLK_SIZE, 4, &c->blk_size);
	return rc ? -EIO : 0;
}

/*
 * A consistent snapshot of the config space: the 64-bit capacity takes two
 * reads, so a change in between must not give a torn value. Modern devices
 * have a generation counter; legacy ones (generation always 0) are read
 * until two snapshots agree.
 */
static int vblk_read_config(struct vblk *vb, struct vblk_config *c)
{
	struct virtio_dev *d = vb->vd;
	struct vblk_config prev;

	for (unsigned int t = 0; t < CONFIG_RETRIES; t++) {
		uint32_t gen = d->ops->config_gen(d);

		if (read_fields(d, c) < 0)
			return -EIO;
		if (gen != d->ops->config_gen(d))
			continue;
		if (t > 0 && prev.capacity == c->capacity && prev.size_max == c->size_max &&
		    prev.seg_max == c->seg_max && prev.blk_size == c->blk_size)
			return 0;
		prev = *c;
	}
	return -EIO; /* never stable: a device this busy changing is not usable */
}

/* Untrusted capacity: clamped to what 64-bit byte offsets and blk_size allow. */
static uint64_t sane_capacity(const struct vblk *vb, uint64_t capacity)
{
	uint32_t align = vb->bd.sector_size / BLKDEV_SECTOR;

	capacity = MIN(capacity, VBLK_MAX_SECTORS);
	return capacity - capacity % align; /* a partial last block cannot be addressed */
}

/*
 * Derive the request limits from the (untrusted) config space. blk_size is
 * an optimisation hint (the protocol counts 512-byte sectors whatever it
 * says), so an implausible one falls back to 512; implausible segment
 * limits make the device unusable.
 */
static int vblk_limits(struct vblk *vb, const struct vblk_config *c)
{
	struct blkdev *bd = &vb->bd;
	unsigned int segs = MIN(VBLK_MAX_DATA_SEGS, vb->vq.num - 2u);
	uint64_t bytes;

	bd->sector_size = BLKDEV_SECTOR;
	if (c->blk_size >= BLKDEV_SECTOR && c->blk_size <= VBLK_MAX_BLK_SIZE &&
	    !(c->blk_size & (c->blk_size - 1)))
		bd->sector_size = c->blk_size;
	vb->seg_bytes = VBLK_MAX_BYTES;
	if (vb->vd->features & VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX)) {
		if (c->size_max < BLKDEV_SECTOR)
			return -ENOTSUP; /* not even one sector per descriptor */
		vb->seg_bytes = MIN(c->size_max, VBLK_MAX_BYTES);
	}
	if (vb->vd->features & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX)) {
		if (c->seg_max == 0)
			return -ENOTSUP;
		segs = MIN(segs, c->seg_max);
	}
	vb->max_data_segs = segs;
	/*
	 * Worst case of data_segments(): page-aligned chunks after a partial
	 * first one, so one descriptor is kept for that; one chunk of any
	 * size always fits.
	 */
	if (vb->seg_bytes >= PAGE_SIZE)
		bytes = (uint64_t)(segs - 1) * ALIGN_DOWN(vb->seg_bytes, PAGE_SIZE);
	else
		bytes = (uint64_t)segs * vb->seg_bytes;
	bytes = MIN(MAX(bytes, vb->seg_bytes), VBLK_MAX_BYTES);
	bytes = ALIGN_DOWN(bytes, (uint64_t)bd->sector_size);
	if (bytes < bd->sector_size)
		return -ENOTSUP;
	bd->max_sectors = (uint32_t)(bytes / BLKDEV_SECTOR);
	bd->sectors = sane_capacity(vb, c->capacity);
	bd->readonly = vb->vd->features & VIRTIO_BIT(VIRTIO_BLK_F_RO);
	bd->can_flush = vb->vd->features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	return 0;
}

/* The ring, and one command per request that can be in flight. */
static int vblk_queue_create(struct vblk *vb)
{
	struct virtio_dev *d = vb->vd;
	unsigned int max = d->ops->queue_max(d, REQQ), num, ncmds;
	int rc;

	/* Untrusted: the legacy device dictates the size; anything unusable is refused. */
	num = d->fixed_qsize ? max : vq_pow2_floor(MIN(max, VBLK_QSIZE));
	if (num < 4 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return -ENOTSUP;
	vb->ring_pages = ALIGN_UP(vring_size(num), PAGE_SIZE) / PAGE_SIZE;
	vb->ring = page_alloc(vb->ring_pages); /* zeroed, identity-mapped: addresses are physical */
	if (!vb->ring)
		return -ENOMEM;
	/* Every request takes two descriptors or more; heap memory is identity-mapped too. */
	ncmds = num / 2;
	vb->cmds = calloc(ncmds, sizeof(*vb->cmds));
	if (!vb->cmds) {
		rc = -ENOMEM;
		goto free_ring;
	}
	for (unsigned int i = 0; i < ncmds; i++) {
		vb->cmds[i].next_free = vb->free_cmds;
		vb->free_cmds = &vb->cmds[i];
	}
	rc = vq_init(&vb->vq, REQQ, (uint16_t)num, vb->ring,
		     d->features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	if (rc < 0)
		goto free_cmds;
	rc = d->ops->queue_enable(d, &vb->vq);
	if (rc < 0)
		goto fini;
	return 0;
fini:
	vq_fini(&vb->vq);
free_cmds:
	free(vb->cmds);
	vb->cmds = NULL;
free_ring:
	page_free(vb->ring, vb->ring_pages);
	vb->ring = NULL;
	return rc;
}

/* Only after a device reset: the device no longer touches the ring. */
static void vblk_queue_destroy(struct vblk *vb)
{
	if (!vb->ring)
		return;
	vq_fini(&vb->vq);
	free(vb->cmds);
	page_free(vb->ring, vb->ring_pages);
	vb->ring = NULL;
	vb->cmds = NULL;
}

/*
 * Describe [addr, addr + len) in descriptors of at most seg_bytes. The
 * buffer is physically contiguous (identity mapping), so it is cut only
 * where size_max forces it, at page boundaries when size_max allows;
 * vblk_limits() sized max_sectors so that the result fits max_data_segs.
 */
static unsigned int data_segments(const struct vblk *vb, uint64_t addr, uint32_t len,
				  struct vq_seg *seg)
{
	unsigned int n = 0;

	while (len && n < vb->max_data_segs) {
		uint32_t chunk = len;

		if (chunk > vb->seg_bytes) {
			chunk = vb->seg_bytes;
			if (vb->seg_bytes >= PAGE_SIZE)
				chunk = (uint32_t)(ALIGN_DOWN(addr + chunk, PAGE_SIZE) - addr);
		}
		seg[n++] = (struct vq_seg){addr, chunk};
		addr += chunk;
		len -= chunk;
	}
	return len ? 0 : n; /* 0: does not fit (cannot happen within max_sectors) */
}

/* Finish @req from the next service() without involving the device. */
static void complete_locally(struct vblk *vb, struct blk_req *req)
{
	req->next = NULL;
	*vb->local_tail = req;
	vb->local_tail = &req->next;
	work_post(&vb->bd.work);
}

static int vblk_submit(struct blkdev *bd, struct blk_req *req)
{
	struct vblk *vb = bd->priv;
	struct vq_seg seg[VBLK_MAX_DATA_SEGS + 2];
	unsigned int ndata = 0, nout, nin;
	struct vblk_cmd *cmd = vb->free_cmds;
	int rc;

	if (!vb->running)
		return -EIO;
	/* A write-through device (no FLUSH) has nothing volatile to flush. */
	if (req->op == BLK_FLUSH && !bd->can_flush) {
		req->status = 0;
		complete_locally(vb, req);
		return 0;
	}
	if (!cmd)
		return -EAGAIN;
	if (req->op != BLK_FLUSH) {
		ndata = data_segments(vb, (uint64_t)(uintptr_t)req->buf, req->count * BLKDEV_SECTOR,
				      &seg[1]);
		if (!ndata)
			return -EINVAL;
	}
	if (vq_free_descs(&vb->vq) < ndata + 2)
		return -EAGAIN;
	cmd->hdr = (struct vblk_hdr){
		.type = req->op == BLK_READ    ? VIRTIO_BLK_T_IN
			: req->op == BLK_WRITE ? VIRTIO_BLK_T_OUT
					       : VIRTIO_BLK_T_FLUSH,
		.sector = req->op == BLK_FLUSH ? 0 : req->sector, /* 0 for FLUSH (§5.2.6.2) */
	};
	cmd->status = STATUS_UNWRITTEN;
	cmd->req = req;
	seg[0] = (struct vq_seg){(uint64_t)(uintptr_t)&cmd->hdr, sizeof(cmd->hdr)};
	seg[ndata + 1] = (struct vq_seg){(uint64_t)(uintptr_t)&cmd->status, 1};
	/* Reads: the data is device-writable, so it goes with the status. */
	nout = req->op == BLK_WRITE ? 1 + ndata : 1;
	nin = ndata + 2 - nout;
	/* vq_add publishes with a release store: the header and preset status are seen first. */
	rc = vq_add(&vb->vq, seg, nout, nin, cmd);
	if (rc < 0)
		return rc == -ENOSPC ? -EAGAIN : -EIO;
	vb->free_cmds = cmd->next_free;
	vblk_kick(vb);
	return 0;
}

static void complete_local(struct vblk *vb)
{
	struct blk_req *req;

	while ((req = vb->local_head)) {
		vb->local_head = req->next;
		if (!vb->local_head)
			vb->local_tail = &vb->local_head;
		blkdev_complete(&vb->bd, req, req->status);
	}
}

/*
 * Fail @req and everything still in flight, once the device provably let
 * go; what never reached the device completes as it would have anyway.
 */
static void fail_inflight(struct vblk *vb, struct blk_req *req, bool reset_done)
{
	struct vblk_cmd *cmd;

	complete_local(vb);
	if (!reset_done) {
		kprintf("%s: virtio-blk: device did not reset; its buffers are abandoned\n",
			vb->bd.name);
		return;
	}
	if (req)
		blkdev_complete(&vb->bd, req, -EIO);
	while ((cmd = vq_detach_unused(&vb->vq)))
		blkdev_complete(&vb->bd, cmd->req, -EIO);
}

/*
 * A protocol violation: stop the device for good. @req (or NULL) was
 * already taken off the ring when the violation showed.
 */
static void vblk_fail(struct vblk *vb, const char *why, struct blk_req *req)
{
	struct virtio_dev *d = vb->vd;
	bool reset_done;

	d->ops->irq_mask(d, true);
	d->ops->reset(d);
	/* The transport's reset gives up after a while: only a 0 status proves it. */
	reset_done = d->ops->get_status(d) == 0;
	d->ops->set_status(d, VIRTIO_STATUS_FAILED);
	vb->running = false;
	blkdev_set_broken(&vb->bd, why);
	fail_inflight(vb, req, reset_done);
}

/*
 * The outcome of a used entry: 0 or -EIO, or 1 with *@why for a violation.
 * Untrusted: on 1.x devices, whose used lengths are exact, the length must
 * be the whole writable part, whose last byte is the status (a shorter one
 * means the status, or read data, was not written); and the status byte
 * must be a value the device may write (the preset one is not).
 */
static int cmd_result(const struct vblk *vb, const struct vblk_cmd *cmd, uint32_t len,
		      const char **why)
{
	uint32_t want = 1;
	uint8_t status = cmd->status;

	if (cmd->req->op == BLK_READ)
		want += cmd->req->count * BLKDEV_SECTOR;
	if (vb->strict_len && len != want) {
		*why = "used length is not the request's writable length";
		return 1;
	}
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_IOERR:
	case VIRTIO_BLK_S_UNSUPP: /* only what was negotiated is sent: still an I/O error */
		return -EIO;
	default:
		*why = status == STATUS_UNWRITTEN ? "completion without a status byte"
						  : "invalid status byte";
		return 1;
	}
}

static void vblk_config_changed(struct vblk *vb)
{
	struct vblk_config c;
	uint64_t sectors;

	vb->cfg_changed = false;
	/* Only the capacity may change at run time (a resize); the limits stay. */
	if (vblk_read_config(vb, &c) < 0)
		return;
	sectors = sane_capacity(vb, c.capacity);
	if (sectors != vb->bd.sectors)
		kprintf("%s: virtio-blk: capacity %llu -> %llu sectors\n", vb->bd.name,
			(unsigned long long)vb->bd.sectors, (unsigned long long)sectors);
	vb->bd.sectors = sectors;
}

static bool vblk_service(struct blkdev *bd)
{
	struct vblk *vb = bd->priv;
	struct blk_req *req;
	struct vblk_cmd *cmd;
	const char *why;
	unsigned int n = 0;
	uint32_t len;
	int rc;

	complete_local(vb);
	if (!vb->running)
		return false;
	if (vb->cfg_changed)
		vblk_config_changed(vb);
	/* vq_get_used() loads used->idx with acquire: the status byte is read after it. */
	while (n++ < VBLK_SERVICE_BUDGET && (cmd = vq_get_used(&vb->vq, &len))) {
		req = cmd->req;
		rc = cmd_result(vb, cmd, len, &why);
		if (rc > 0) {
			vblk_fail(vb, why, req);
			return false;
		}
		/* Back on the free list first: done() may submit again. */
		cmd->next_free = vb->free_cmds;
		vb->free_cmds = cmd;
		blkdev_complete(bd, req, rc);
		if (!vb->running)
			return false;
	}
	if (vb->vq.broken) {
		vblk_fail(vb, vb->vq.broken, NULL);
		return false;
	}
	return vq_has_used(&vb->vq);
}

static bool vblk_irq_enable(struct blkdev *bd)
{
	struct vblk *vb = bd->priv;

	if (!vb->running)
		return false;
	return vq_enable_cb(&vb->vq) || vb->local_head || vb->cfg_changed;
}

static void vblk_irq_disable(struct blkdev *bd)
{
	struct vblk *vb = bd->priv;

	if (vb->running)
		vq_disable_cb(&vb->vq);
}

static const struct blkdev_ops vblk_ops = {
	.submit = vblk_submit,
	.service = vblk_service,
	.irq_enable = vblk_irq_enable,
	.irq_disable = vblk_irq_disable,
};

/* Interrupt context: note a config change, then let blkdev mask and post the work. */
static void vblk_intr(void *arg, unsigned int why)
{
	struct vblk *vb = arg;

	if (why & VIRTIO_INTR_CONFIG)
		vb->cfg_changed = true;
	if (!vb->running)
		return;
	/*
	 * The blkdev layer may have given up on the device (a synchronous
	 * request timed out) without telling us: keep its interrupt quiet.
	 */
	if (vb->bd.broken) {
		vb->vd->ops->irq_mask(vb->vd, true);
		return;
	}
	blkdev_irq(&vb->bd);
}

static void vblk_announce(const struct vblk *vb)
{
	const struct blkdev *bd = &vb->bd;

	kprintf("%s: virtio-blk %s at %s, features %#llx%s, ring %u, %llu sectors, "
		"block %u, max %u sectors x %u segs%s%s\n",
		bd->name, vb->vd->transport, vb->vd->where, (unsigned long long)vb->vd->features,
		vb->vq.event_idx ? " (event-idx)" : "", vb->vq.num, (unsigned long long)bd->sectors,
		bd->sector_size, bd->max_sectors, vb->max_data_segs, bd->can_flush ? ", flush" : "",
		bd->readonly ? ", read-only" : "");
}

/* Negotiate, read the config, build the queue and go live; registered last. */
static int vblk_start(struct vblk *vb)
{
	struct virtio_dev *d = vb->vd;
	struct vblk_config c;
	int rc;

	rc = vblk_negotiate(vb);
	if (rc < 0)
		return rc;
	rc = vblk_read_config(vb, &c);
	if (rc < 0)
		return rc;
	rc = vblk_queue_create(vb);
	if (rc < 0)
		return rc;
	rc = vblk_limits(vb, &c);
	if (rc < 0)
		return rc;
	d->intr_arg = vb;
	d->intr = vblk_intr;
	d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_DRIVER_OK);
	vb->running = true;
	return 0;
}

int virtio_blk_attach(struct virtio_dev *d)
{
	struct vblk *vb;
	int rc;

	if (d->device_id != VIRTIO_ID_BLOCK)
		return -ENODEV;
	vb = calloc(1, sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->vd = d;
	vb->local_tail = &vb->local_head;
	vb->bd.driver = "virtio-blk";
	vb->bd.ops = &vblk_ops;
	vb->bd.priv = vb;
	snprintf(vb->bd.id, sizeof(vb->bd.id), "%s", d->where);
	rc = vblk_start(vb);
	if (rc < 0)
		goto fail;
	rc = blkdev_register(&vb->bd);
	if (rc < 0)
		goto fail;
	vblk_announce(vb);
	d->ops->irq_mask(d, false);
	return 0;
fail:
	/* Reset first: the device lets go of the ring before it is freed. */
	vb->running = false;
	d->intr = NULL;
	d->ops->reset(d);
	vblk_queue_destroy(vb);
	d->ops->set_status(d, VIRTIO_STATUS_FAILED);
	kprintf("virtio-blk: %s: start failed (%d)\n", d->where, rc);
	free(vb);
	return rc;
}
