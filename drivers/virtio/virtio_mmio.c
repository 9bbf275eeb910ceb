/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio over MMIO (virtio 1.x §4.2): version 1 (legacy: GUEST_PAGE_SIZE
 * and QUEUE_PFN, QEMU's default) and version 2 (QUEUE_DESC/DRIVER/DEVICE,
 * with `-global virtio-mmio.force-legacy=false`). The transports come from
 * the `virtio_mmio.device=` tokens QEMU -M microvm appends to the command
 * line with acpi=off; with ACPI on, QEMU describes them in the DSDT instead
 * (found by kernel/acpi.c's acpi_find_virtio_mmio()).
 *
 * Interrupts: each transport has its own IOAPIC input (the token's IRQ is
 * the GSI), level-triggered and active-high. A level line stays asserted
 * until the device's InterruptStatus is acknowledged, so the handler
 * acknowledges before returning; otherwise it would re-fire after the EOI.
 *
 * Trust: the token's base and size were range-checked by the parser; the
 * registers' contents (magic, version, queue sizes) are checked here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sluice/ioapic.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/trap.h"
#include "sluice/virtio_mmio.h"
#include "sluice/x86.h"
#include "virtio.h"

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_GUEST_PAGE_SIZE 0x028 /* v1 */
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_ALIGN 0x03c /* v1 */
#define R_QUEUE_PFN 0x040   /* v1 */
#define R_QUEUE_READY 0x044 /* v2 */
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080   /* v2, low then high */
#define R_QUEUE_DRIVER 0x090 /* v2 */
#define R_QUEUE_DEVICE 0x0a0 /* v2 */
#define R_CONFIG_GEN 0x0fc   /* v2 */
#define R_CONFIG 0x100

#define MMIO_MAGIC 0x74726976 /* "virt" */
#define RESET_SPINS 1000000

struct vmmio {
	struct virtio_dev vd;
	volatile uint8_t *base;
	uint32_t size;
	uint32_t gsi;
	uint32_t version;
};

#define to_vmmio(d) container_of(d, struct vmmio, vd)

static uint32_t rd(struct vmmio *vm, unsigned int off)
{
	return *(volatile uint32_t *)(vm->base + off);
}

static void wr(struct vmmio *vm, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(vm->base + off) = v;
}

static uint8_t vmmio_get_status(struct virtio_dev *d)
{
	return (uint8_t)rd(to_vmmio(d), R_STATUS);
}

static void vmmio_set_status(struct virtio_dev *d, uint8_t s)
{
	wr(to_vmmio(d), R_STATUS, s);
}

static void vmmio_reset(struct virtio_dev *d)
{
	vmmio_set_status(d, 0);
	/* §4.2.2.1: the driver waits for the status to read back 0. */
	for (unsigned int i = 0; i < RESET_SPINS && vmmio_get_status(d) != 0; i++)
		cpu_relax();
}

static uint64_t vmmio_get_features(struct virtio_dev *d)
{
	struct vmmio *vm = to_vmmio(d);
	uint64_t f;

	wr(vm, R_DEVICE_FEATURES_SEL, 0);
	f = rd(vm, R_DEVICE_FEATURES);
	if (vm->version == 1)
		return f; /* legacy: 32 feature bits */
	wr(vm, R_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(vm, R_DEVICE_FEATURES) << 32;
}

static void vmmio_set_features(struct virtio_dev *d, uint64_t f)
{
	struct vmmio *vm = to_vmmio(d);

	wr(vm, R_DRIVER_FEATURES_SEL, 0);
	wr(vm, R_DRIVER_FEATURES, (uint32_t)f);
	if (vm->version == 1)
		return;
	wr(vm, R_DRIVER_FEATURES_SEL, 1);
	wr(vm, R_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

static uint32_t vmmio_config_gen(struct virtio_dev *d)
{
	struct vmmio *vm = to_vmmio(d);

	return vm->version == 1 ? 0 : rd(vm, R_CONFIG_GEN);
}

static int vmmio_config_read(struct virtio_dev *d, unsigned int off, unsigned int width,
			     uint32_t *val)
{
	struct vmmio *vm = to_vmmio(d);
	uint32_t len = vm->size - R_CONFIG; /* size >= 0x100: checked by the parser */
	volatile uint8_t *p;

	if ((width != 1 && width != 2 && width != 4) || off > len || width > len - off)
		return -EINVAL;
	p = vm->base + R_CONFIG + off;
	*val = width == 1 ? *p : width == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
	return 0;
}

static int vmmio_prepare(struct virtio_dev *d)
{
	struct vmmio *vm = to_vmmio(d);

	/* v1 computes ring addresses from page numbers in units of this size. */
	if (vm->version == 1)
		wr(vm, R_GUEST_PAGE_SIZE, 4096);
	return 0;
}

static unsigned int vmmio_queue_max(struct virtio_dev *d, unsigned int idx)
{
	struct vmmio *vm = to_vmmio(d);

	wr(vm, R_QUEUE_SEL, idx);
	return rd(vm, R_QUEUE_NUM_MAX);
}

static int vmmio_queue_enable(struct virtio_dev *d, struct virtqueue *vq)
{
	struct vmmio *vm = to_vmmio(d);
	uint64_t desc = (uint64_t)(uintptr_t)vq->desc;

	vq->dev = d;
	wr(vm, R_QUEUE_SEL, vq->index);
	if (vm->version == 1) {
		/* A queue still in use (PFN set) was not reset: refuse to stomp on it. */
		if (rd(vm, R_QUEUE_PFN) != 0 || desc >> 12 > 0xffffffffULL)
			return -EBUSY;
		wr(vm, R_QUEUE_NUM, vq->num);
		wr(vm, R_QUEUE_ALIGN, VRING_ALIGN);
		wr(vm, R_QUEUE_PFN, (uint32_t)(desc >> 12));
		return 0;
	}
	if (rd(vm, R_QUEUE_READY) != 0)
		return -EBUSY;
	wr(vm, R_QUEUE_NUM, vq->num);
	wr(vm, R_QUEUE_DESC, (uint32_t)desc);
	wr(vm, R_QUEUE_DESC + 4, (uint32_t)(desc >> 32));
	wr(vm, R_QUEUE_DRIVER, (uint32_t)(uintptr_t)vq->avail);
	wr(vm, R_QUEUE_DRIVER + 4, (uint32_t)((uint64_t)(uintptr_t)vq->avail >> 32));
	wr(vm, R_QUEUE_DEVICE, (uint32_t)(uintptr_t)vq->used);
	wr(vm, R_QUEUE_DEVICE + 4, (uint32_t)((uint64_t)(uintptr_t)vq->used >> 32));
	wr(vm, R_QUEUE_READY, 1);
	return 0;
}

/* The caller has fenced after publishing avail->idx; UC stores stay in order. */
static void vmmio_notify(struct virtio_dev *d, struct virtqueue *vq)
{
	wr(to_vmmio(d), R_QUEUE_NOTIFY, vq->index);
}

static void vmmio_irq_mask(struct virtio_dev *d, bool masked)
{
	struct vmmio *vm = to_vmmio(d);

	if (masked)
		ioapic_mask(vm->gsi);
	else
		ioapic_unmask(vm->gsi);
}

static const struct virtio_ops vmmio_ops = {
	.reset = vmmio_reset,
	.get_status = vmmio_get_status,
	.set_status = vmmio_set_status,
	.get_features = vmmio_get_features,
	.set_features = vmmio_set_features,
	.config_gen = vmmio_config_gen,
	.config_read = vmmio_config_read,
	.prepare = vmmio_prepare,
	.queue_max = vmmio_queue_max,
	.queue_enable = vmmio_queue_enable,
	.notify = vmmio_notify,
	.irq_mask = vmmio_irq_mask,
};

static void vmmio_irq(struct trap_frame *tf, void *arg)
{
	struct vmmio *vm = arg;
	uint32_t why = rd(vm, R_INTERRUPT_STATUS);

	(void)tf;
	/* Acknowledge first: the level line drops, and an event after this re-raises it. */
	wr(vm, R_INTERRUPT_ACK, why);
	why &= VIRTIO_INTR_VRING | VIRTIO_INTR_CONFIG;
	if (why && vm->vd.intr)
		vm->vd.intr(vm->vd.intr_arg, why);
}

static int vmmio_attach_one(const struct virtio_mmio_dev *t, virtio_attach_fn attach)
{
	struct vmmio *vm;
	uint32_t version, id;
	int rc, vec;

	rc = paging_map(t->base, t->size, PG_RW | PG_UC);
	if (rc < 0)
		return rc;
	if (*(volatile uint32_t *)(uintptr_t)t->base != MMIO_MAGIC)
		return -ENODEV;
	version = *(volatile uint32_t *)(uintptr_t)(t->base + R_VERSION);
	id = *(volatile uint32_t *)(uintptr_t)(t->base + R_DEVICE_ID);
	if (!virtio_id_supported(id))
		return -ENODEV; /* 0: an empty transport; others: no driver for them */
	if (version != 1 && version != 2)
		return -ENOTSUP;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	*vm = (struct vmmio){.base = (volatile uint8_t *)(uintptr_t)t->base,
			     .size = (uint32_t)t->size,
			     .gsi = t->irq,
			     .version = version};
	snprintf(vm->vd.where, sizeof(vm->vd.where), "mmio %#llx", (unsigned long long)t->base);
	vm->vd.ops = &vmmio_ops;
	vm->vd.transport = version == 1 ? "mmio-v1" : "mmio-v2";
	vm->vd.device_id = (uint16_t)id;
	vm->vd.needs_v1 = version == 2;
	vmmio_reset(&vm->vd);
	vec = irq_alloc_vector(vmmio_irq, vm);
	if (vec < 0) {
		free(vm);
		return vec;
	}
	/* Stays masked until the driver starts the device. */
	rc = ioapic_route(vm->gsi, (unsigned int)vec, IOAPIC_LEVEL);
	if (rc == 0)
		rc = attach(&vm->vd);
	if (rc < 0) {
		/* The vector keeps @vm as its argument: keep it, with the line masked. */
		kprintf("virtio: %s: unusable (%d)\n", vm->vd.where, rc);
		vmmio_set_status(&vm->vd, VIRTIO_STATUS_FAILED);
		return rc;
	}
	return 0;
}

int virtio_mmio_probe(virtio_attach_fn attach)
{
	int found = 0;

	for (unsigned int i = 0; i < virtio_mmio_ndevs && i < VIRTIO_MMIO_MAX; i++)
		if (vmmio_attach_one(&virtio_mmio_devs[i], attach) == 0)
			found++;
	return found;
}
