// SPDX-License-Identifier: BSD-2-Clause
/*
 * The split virtqueue's response handling (drivers/virtio/virtqueue.c)
 * against a hostile device: the fuzzer plays the device, which owns the
 * used ring and can also scribble anywhere in the shared ring memory
 * (descriptors and avail ring included), while the driver adds chains and
 * takes completions. The driver must never hand back a token it did not
 * have in flight, twice, or with a length larger than the chain's
 * writable bytes, and must never touch memory outside the ring. Script:
 *
 *   byte 0  ring size (a power of two up to 256) and event-index flag
 *   then    0 add a chain (1-4 readable + 0-4 writable segments)
 *           1 device completes: id, len, used->idx + 1
 *           2 device sets used->idx
 *           3 device writes a byte anywhere in the ring
 *           4 driver takes up to 8 completions
 *           5 interrupt suppression and notification decisions
 *           6 driver detaches an unused chain (device reset)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "virtio.h"

#define MAXQ 256

static struct {
	bool inflight;
	uint32_t in_len;
} model[MAXQ * 4];
static unsigned int next_tok;

static unsigned int tok_index(void *t)
{
	uintptr_t i = (uintptr_t)t;

	if (i == 0 || i > MAXQ * 4)
		abort();
	return (unsigned int)i - 1;
}

static void took(void *t, uint32_t len, bool check_len)
{
	unsigned int i = tok_index(t);

	if (!model[i].inflight) {
		fprintf(stderr, "token %u returned but not in flight\n", i);
		abort();
	}
	if (check_len && len > model[i].in_len)
		abort();
	model[i].inflight = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t cfg = fz_u8(&f);
	uint16_t num = (uint16_t)(1u << ((cfg & 7) + 1));
	bool event_idx = cfg & 0x80;
	size_t memsz = vring_size(num);
	uint8_t *mem = aligned_alloc(4096, memsz);
	struct virtqueue vq;
	uint32_t len;
	void *t;

	if (!mem)
		return 0;
	if (num > MAXQ)
		num = MAXQ;
	memset(mem, 0, memsz);
	memset(model, 0, sizeof(model));
	next_tok = 0;
	if (vq_init(&vq, 0, num, mem, event_idx) != 0)
		abort();
	for (unsigned int steps = 0; !fz_empty(&f) && steps < 1024; steps++) {
		uint8_t op = fz_u8(&f);

		switch (op % 7) {
		case 0: {
			struct vq_seg segs[8];
			unsigned int nout = 1 + ((op >> 3) & 3), nin = (op >> 5) & 7;
			uint32_t in_len = 0;
			int rc;

			if (nin > 4)
				nin = 4;
			for (unsigned int k = 0; k < nout + nin; k++) {
				segs[k] =
					(struct vq_seg){0x100000 + k * 0x1000, 1 + fz_u8(&f) * 16u};
				if (k >= nout)
					in_len += segs[k].len;
			}
			if (next_tok >= MAXQ * 4)
				break;
			rc = vq_add(&vq, segs, nout, nin, (void *)(uintptr_t)(next_tok + 1));
			if (rc == 0) {
				model[next_tok].inflight = true;
				model[next_tok].in_len = in_len;
				next_tok++;
			} else if (rc != -ENOSPC && rc != -EINVAL) {
				abort();
			}
			break;
		}
		case 1: {
			struct vring_used *u = vq.used;
			uint16_t id = fz_u16(&f);

			u->ring[u->idx % num] =
				(struct vring_used_elem){id % (num * 2u), fz_u32(&f)};
			u->idx++;
			break;
		}
		case 2:
			vq.used->idx = fz_u16(&f);
			break;
		case 3:
			mem[fz_u16(&f) % memsz] = fz_u8(&f);
			break;
		case 4:
			for (int k = 0; k < 8 && (t = vq_get_used(&vq, &len)) != NULL; k++)
				took(t, len, true);
			break;
		case 5:
			if (op & 8)
				vq_disable_cb(&vq);
			else
				vq_enable_cb(&vq);
			vq_kick_prepare(&vq);
			vq_has_used(&vq);
			break;
		default:
			if ((t = vq_detach_unused(&vq)) != NULL)
				took(t, 0, false);
			break;
		}
		if (vq.nfree > num || vq.inflight > num)
			abort();
	}
	/* Reset: every chain still in flight comes back exactly once. */
	while ((t = vq_detach_unused(&vq)) != NULL)
		took(t, 0, false);
	for (unsigned int i = 0; i < next_tok; i++)
		if (model[i].inflight)
			abort();
	if (vq.nfree != num)
		abort();
	vq_fini(&vq);
	free(mem);
	return 0;
}
