/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal virtio API: the split virtqueue (virtqueue.c, pure logic, also
 * built into host unit tests) and the transport interface that
 * virtio_pci.c and virtio_mmio.c implement for the device drivers
 * (virtio_net.c, virtio_blk.c), to which virtio_probe.c hands each device.
 *
 * Ring layout, feature bits and event-index rules follow the virtio 1.x
 * specification (split virtqueues, §2.7; legacy interfaces, §2.7.2 and
 * §4.1.4.8/§4.2.4). Everything is little-endian, which is x86's order, so
 * legacy (guest-endian) and modern devices share the same accessors.
 */
#ifndef SLUICE_DRIVERS_VIRTIO_H
#define SLUICE_DRIVERS_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Device status (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_FAILED 0x80

/* Transport and ring feature bits (§6). */
#define VIRTIO_F_ANY_LAYOUT 27 /* legacy only: implied by VERSION_1 */
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_BIT(b) (1ULL << (b))

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3

/* Device types a driver exists for: the transports leave all others alone. */
static inline bool virtio_id_supported(uint32_t id)
{
	return id == VIRTIO_ID_NET || id == VIRTIO_ID_BLOCK || id == VIRTIO_ID_CONSOLE;
}

/* Why an interrupt was raised (the ISR bits of §4.1.4.5 and §4.2.2). */
#define VIRTIO_INTR_VRING 0x1
#define VIRTIO_INTR_CONFIG 0x2

/* Split virtqueue structures (§2.7.5-2.7.8); only ever accessed in place. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VRING_DESC_F_NEXT 0x1
#define VRING_DESC_F_WRITE 0x2

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* num entries, then used_event */
};

#define VRING_AVAIL_F_NO_INTERRUPT 0x1

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* num entries, then avail_event */
};

#define VRING_USED_F_NO_NOTIFY 0x1

/*
 * The legacy interfaces want all three parts in one region with the used
 * ring on the next 4 KiB boundary; modern transports accept the same.
 */
#define VRING_ALIGN 4096
#define VQ_MAX_SIZE 1024 /* larger (device-chosen, legacy) rings are refused */

/*
 * Device-side event index check (§2.7.7.2, §2.7.10): having moved an index
 * from @old to @new_idx, is the other side's @event_idx among the entries
 * just passed? All arithmetic is modulo 2^16.
 */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* One segment of a buffer: physical address (== virtual here) and length. */
struct vq_seg {
	uint64_t addr;
	uint32_t len;
};

/* Driver-private state of a chain, indexed by its head descriptor. */
struct vq_slot {
	void *token;	  /* the caller's cookie; non-NULL while in flight */
	uint32_t in_len;  /* device-writable bytes: the most a used entry may report */
	uint32_t out_len; /* device-readable bytes */
	uint16_t ndesc;
};

struct virtqueue {
	uint16_t index; /* queue number within the device */
	uint16_t num;	/* ring size, a power of two */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	volatile uint16_t *used_event;	/* ours, after the avail ring */
	volatile uint16_t *avail_event; /* the device's, after the used ring */
	bool event_idx;

	/*
	 * The free list and chain links are kept here, not in the shared
	 * descriptor table, so a device scribbling on descriptors cannot
	 * corrupt our bookkeeping.
	 */
	uint16_t *next;
	struct vq_slot *slots;
	uint16_t free_head, nfree;
	uint16_t inflight;   /* chains made available and not yet used */
	uint16_t avail_idx;  /* our copy of avail->idx */
	uint16_t kicked_idx; /* avail_idx at the last notification decision */
	uint16_t last_used;  /* next used entry to consume */
	const char *broken;  /* why the device was judged hostile, or NULL */

	/* Transport's per-queue state. */
	void *dev;
	volatile void *notify_addr;
};

/* The largest power of two <= @x (0 for 0): a ring size from a device's maximum. */
static inline unsigned int vq_pow2_floor(unsigned int x)
{
	while (x & (x - 1))
		x &= x - 1;
	return x;
}

/* Bytes of ring memory a queue of @num entries needs (legacy layout). */
size_t vring_size(unsigned int num);

/*
 * Set up @vq over @mem (vring_size(@num) bytes, zeroed, 4 KiB aligned).
 * 0, -EINVAL (@num not a power of two in [1, VQ_MAX_SIZE]) or -ENOMEM.
 */
int vq_init(struct virtqueue *vq, uint16_t index, uint16_t num, void *mem, bool event_idx);
/* Release the private state (not the ring memory). */
void vq_fini(struct virtqueue *vq);

static inline unsigned int vq_free_descs(const struct virtqueue *vq)
{
	return vq->nfree;
}

/*
 * Make a chain available: @nout device-readable segments followed by @nin
 * device-writable ones. @token (non-NULL) comes back from vq_get_used().
 * 0, -EINVAL or -ENOSPC (not enough free descriptors).
 */
int vq_add(struct virtqueue *vq, const struct vq_seg *segs, unsigned int nout, unsigned int nin,
	   void *token);

/* After adding: does the device want a notification? */
bool vq_kick_prepare(struct virtqueue *vq);

/*
 * Next completed chain's token and the length the device wrote, or NULL.
 * Every used entry is validated; on a violation the queue is marked broken
 * (vq->broken says why) and NULL is returned from then on.
 */
void *vq_get_used(struct virtqueue *vq, uint32_t *len);
/* Are completed entries waiting? (false once broken) */
bool vq_has_used(struct virtqueue *vq);

/* Interrupt suppression: a hint only, interrupts may still arrive. */
void vq_disable_cb(struct virtqueue *vq);
/* Re-enable; true if entries completed meanwhile (the caller must poll again). */
bool vq_enable_cb(struct virtqueue *vq);

/* For teardown after a device reset: next in-flight token, or NULL. */
void *vq_detach_unused(struct virtqueue *vq);

/* ---- transports ---- */

struct virtio_dev;

struct virtio_ops {
	/* Write 0 to the status and wait until the device has reset. */
	void (*reset)(struct virtio_dev *d);
	uint8_t (*get_status)(struct virtio_dev *d);
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *d);
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	/* Config generation (0 where the transport has none). */
	uint32_t (*config_gen)(struct virtio_dev *d);
	/* Read a 1, 2 or 4-byte config field; -EINVAL beyond the config space. */
	int (*config_read)(struct virtio_dev *d, unsigned int off, unsigned int width,
			   uint32_t *val);
	/* After feature negotiation, before the queues: transport-specific set-up. */
	int (*prepare)(struct virtio_dev *d);
	/* Largest size of queue @idx (0: no such queue). */
	unsigned int (*queue_max)(struct virtio_dev *d, unsigned int idx);
	/* Tell the device where @vq's rings are, route its interrupt, enable it. */
	int (*queue_enable)(struct virtio_dev *d, struct virtqueue *vq);
	void (*notify)(struct virtio_dev *d, struct virtqueue *vq);
	/* Gate the device's interrupt line(s) (the whole device). */
	void (*irq_mask)(struct virtio_dev *d, bool masked);
};

/* Called from the device's interrupt handler with VIRTIO_INTR_* bits. */
typedef void (*virtio_intr_fn)(void *arg, unsigned int why);

struct virtio_dev {
	const struct virtio_ops *ops;
	const char *transport; /* "pci-legacy", "pci-modern", "mmio-v1", "mmio-v2" */
	char where[24];	       /* "pci 00:03.0", "mmio 0xfeb00e00" */
	uint16_t device_id;    /* VIRTIO_ID_* */
	bool needs_v1;	       /* modern transport: VERSION_1 is mandatory */
	bool fixed_qsize;      /* legacy PCI: the device dictates the queue size */
	uint64_t features;     /* negotiated */
	virtio_intr_fn intr;
	void *intr_arg;
};

/*
 * Transport probes: call @attach for every virtio device found; return the
 * number attached successfully, or -errno when probing itself failed.
 */
typedef int (*virtio_attach_fn)(struct virtio_dev *d);
int virtio_pci_probe(virtio_attach_fn attach);
int virtio_mmio_probe(virtio_attach_fn attach);

int virtio_probe_all(void);

/*
 * Reset the device, negotiate @wanted against what it offers (d->features
 * holds the result), check FEATURES_OK on 1.x devices and prepare the
 * transport. 0 or -errno. Shared by every device driver.
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);

/*
 * Device drivers: take over @d (0) or refuse it (-errno; -ENODEV for a
 * device type that is not theirs). Called once per device, at probe time.
 */
int virtio_net_attach(struct virtio_dev *d);
int virtio_blk_attach(struct virtio_dev *d);
int virtio_console_attach(struct virtio_dev *d);

#endif
