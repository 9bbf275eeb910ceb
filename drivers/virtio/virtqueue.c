/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueues (virtio 1.x §2.7), driver side. Pure logic over memory
 * the caller provides, so the same code runs in the kernel and in host
 * unit tests against a simulated (and hostile) device.
 *
 * Memory ordering. The device is another thread (QEMU's I/O thread, or a
 * vhost/hardware backend) reading and writing the rings concurrently:
 *  - descriptors and avail ring entries are written before avail->idx is
 *    published (release store): the device reads idx and then the entries;
 *  - used->idx is read before the used entries and the buffers they name
 *    (acquire load): the device writes them before it bumps idx;
 *  - after publishing avail->idx (or our used_event) and before reading
 *    the device's suppression hint (used->flags / avail_event, or used->idx
 *    again) a full fence orders our store before our load. Without it the
 *    store could sit in the store buffer while we read a stale hint, and
 *    the device, which checks our index after writing its hint, misses the
 *    update too: a lost notification (or interrupt) and a stalled queue.
 * On x86 the release/acquire accesses only constrain the compiler (TSO),
 * and the full fence is mb() from sluice/barrier.h, an mfence.
 *
 * Trust: the device only ever writes the used ring. Every used entry is
 * checked (id in range, a chain head, in flight; length within what the
 * chain offered; used->idx never ahead by more than what is in flight) and
 * the first violation marks the queue broken for good. Our own bookkeeping
 * (free list, chain links, lengths) never lives in shared memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/barrier.h"
#include "virtio.h"

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static size_t avail_bytes(unsigned int num)
{
	return sizeof(struct vring_avail) + sizeof(uint16_t) * (num + 1); /* + used_event */
}

static size_t used_offset(unsigned int num)
{
	return align_up(sizeof(struct vring_desc) * num + avail_bytes(num), VRING_ALIGN);
}

size_t vring_size(unsigned int num)
{
	/* + avail_event after the used ring */
	return used_offset(num) +
	       align_up(sizeof(struct vring_used) + sizeof(struct vring_used_elem) * num +
				sizeof(uint16_t),
			VRING_ALIGN);
}

int vq_init(struct virtqueue *vq, uint16_t index, uint16_t num, void *mem, bool event_idx)
{
	uint8_t *base = mem;

	memset(vq, 0, sizeof(*vq));
	if (num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	vq->next = calloc(num, sizeof(*vq->next));
	vq->slots = calloc(num, sizeof(*vq->slots));
	if (!vq->next || !vq->slots) {
		vq_fini(vq);
		return -ENOMEM;
	}
	vq->index = index;
	vq->num = num;
	vq->event_idx = event_idx;
	vq->desc = (struct vring_desc *)base;
	vq->avail = (struct vring_avail *)(base + sizeof(struct vring_desc) * num);
	vq->used = (struct vring_used *)(base + used_offset(num));
	vq->used_event = &vq->avail->ring[num];
	vq->avail_event = (volatile uint16_t *)&vq->used->ring[num];
	for (uint16_t i = 0; i < num; i++)
		vq->next[i] = (uint16_t)(i + 1); /* the last link is never followed */
	vq->free_head = 0;
	vq->nfree = num;
	return 0;
}

void vq_fini(struct virtqueue *vq)
{
	free(vq->next);
	free(vq->slots);
	vq->next = NULL;
	vq->slots = NULL;
	vq->num = 0;
	vq->nfree = 0;
}

int vq_add(struct virtqueue *vq, const struct vq_seg *segs, unsigned int nout, unsigned int nin,
	   void *token)
{
	unsigned int n = nout + nin;
	uint16_t head = vq->free_head, i = head;
	struct vq_slot *slot;

	if (!token || n == 0 || vq->broken)
		return -EINVAL;
	if (n > vq->nfree)
		return -ENOSPC;
	slot = &vq->slots[head];
	*slot = (struct vq_slot){.token = token, .ndesc = (uint16_t)n};
	for (unsigned int k = 0; k < n; k++) {
		struct vring_desc *d = &vq->desc[i];

		d->addr = segs[k].addr;
		d->len = segs[k].len;
		d->flags = (uint16_t)((k + 1 < n ? VRING_DESC_F_NEXT : 0) |
				      (k >= nout ? VRING_DESC_F_WRITE : 0));
		d->next = vq->next[i];
		if (k >= nout)
			slot->in_len += segs[k].len;
		else
			slot->out_len += segs[k].len;
		i = vq->next[i];
	}
	vq->free_head = i;
	vq->nfree = (uint16_t)(vq->nfree - n);
	vq->inflight++;
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	/* Release: the descriptors and the ring entry are visible before the new index. */
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	return 0;
}

bool vq_kick_prepare(struct virtqueue *vq)
{
	uint16_t old = vq->kicked_idx, new_idx = vq->avail_idx;

	vq->kicked_idx = new_idx;
	if (old == new_idx || vq->broken)
		return false;
	/* Full fence: our avail->idx store before reading the device's hint (see top). */
	mb();
	if (vq->event_idx)
		return vring_need_event(*vq->avail_event, new_idx, old);
	return !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) & VRING_USED_F_NO_NOTIFY);
}

static void *mark_broken(struct virtqueue *vq, const char *why)
{
	vq->broken = why;
	return NULL;
}

/* Return a chain's descriptors to the free list (private links only). */
static void free_chain(struct virtqueue *vq, uint16_t head)
{
	uint16_t i = head, n = vq->slots[head].ndesc;

	for (uint16_t k = 1; k < n; k++)
		i = vq->next[i];
	vq->next[i] = vq->free_head;
	vq->free_head = head;
	vq->nfree = (uint16_t)(vq->nfree + n);
	vq->slots[head].token = NULL;
	vq->inflight--;
}

void *vq_get_used(struct virtqueue *vq, uint32_t *len)
{
	uint16_t used_idx, pending;
	struct vring_used_elem e;
	struct vq_slot *slot;
	uint32_t limit;
	void *token;

	if (vq->broken)
		return NULL;
	/* Acquire: the entries (and the buffers they name) are read after the index. */
	used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	pending = (uint16_t)(used_idx - vq->last_used);
	if (pending == 0)
		return NULL;
	/* Untrusted: the device cannot have completed more chains than it was given. */
	if (pending > vq->inflight)
		return mark_broken(vq, "used index ahead of the buffers in flight");
	e.id = __atomic_load_n(&vq->used->ring[vq->last_used & (vq->num - 1)].id, __ATOMIC_RELAXED);
	e.len = __atomic_load_n(&vq->used->ring[vq->last_used & (vq->num - 1)].len,
				__ATOMIC_RELAXED);
	/* Untrusted: the id must name a chain head we made available and not yet got back. */
	if (e.id >= vq->num)
		return mark_broken(vq, "used id out of range");
	slot = &vq->slots[e.id];
	if (!slot->token)
		return mark_broken(vq, "used id not in flight");
	/*
	 * Untrusted: at most the chain's writable bytes. A chain with none
	 * (transmit) should report 0, but legacy devices historically report
	 * the bytes read (§2.7.8.2 legacy note); that is tolerated, up to the
	 * chain's size, because nobody uses the length of such a chain.
	 */
	limit = slot->in_len ? slot->in_len : slot->out_len;
	if (e.len > limit)
		return mark_broken(vq, "used length larger than the buffer");
	token = slot->token;
	if (len)
		*len = slot->in_len ? e.len : 0;
	free_chain(vq, (uint16_t)e.id);
	vq->last_used++;
	return token;
}

bool vq_has_used(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) != vq->last_used;
}

void vq_disable_cb(struct virtqueue *vq)
{
	/*
	 * With event indexes the device interrupts only when used->idx
	 * passes used_event, which we leave where it is: it has just been
	 * passed, so no further interrupt comes until we move it. Without
	 * them, the flag asks the device to hold back.
	 */
	if (!vq->event_idx)
		__atomic_store_n(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
}

bool vq_enable_cb(struct virtqueue *vq)
{
	if (vq->event_idx)
		*vq->used_event = vq->last_used; /* interrupt for the very next completion */
	else
		__atomic_store_n(&vq->avail->flags, 0, __ATOMIC_RELAXED);
	/*
	 * Full fence: the store above before re-reading used->idx. A
	 * completion the device made before it could see our store raised no
	 * interrupt, so it must be caught here (see top).
	 */
	mb();
	return vq_has_used(vq);
}

void *vq_detach_unused(struct virtqueue *vq)
{
	for (uint16_t i = 0; i < vq->num; i++) {
		void *token = vq->slots[i].token;

		if (token) {
			free_chain(vq, i);
			return token;
		}
	}
	return NULL;
}
