/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio over PCI (virtio 1.x §4.1): the legacy interface of transitional
 * devices (I/O BAR0 registers, §4.1.4.8) and the modern one (vendor
 * capabilities pointing at common/notify/ISR/device config, §4.1.4).
 *
 * Interrupts are MSI-X only. INTx would need the PIRQ routing of the
 * chipset (ACPI _PRT, or q35's LPC PIRQ registers) to know which IOAPIC
 * input a slot's INTx pin reaches; without an AML interpreter that cannot
 * be known reliably, so a device without MSI-X is refused. QEMU's
 * virtio-pci devices all have MSI-X. Table entry 0 serves the queues and
 * entry 1 configuration changes (or entry 0 both, in a one-entry table).
 *
 * Trust: BAR sizes, capability offsets and lengths, queue sizes and
 * notification offsets come from the device and are bounds-checked before
 * anything is mapped or accessed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/pci.h"
#include "sluice/x86.h"
#include "virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4
/* Transitional devices (§4.1.2.3): IDs 0x1000-0x103f, legacy registers in BAR0. */
#define VIRTIO_PCI_NET_TRANSITIONAL 0x1000
#define VIRTIO_PCI_BLOCK_TRANSITIONAL 0x1001
#define VIRTIO_PCI_CONSOLE_TRANSITIONAL 0x1003
#define VIRTIO_PCI_TRANSITIONAL_LAST 0x103f
/* Modern-only devices: 0x1040 + the virtio device type (§4.1.2.1). */
#define VIRTIO_PCI_MODERN_BASE 0x1040
#define VIRTIO_PCI_MODERN_LAST 0x107f

/* Legacy I/O registers (with MSI-X enabled, the device config starts at 24). */
#define L_HOST_FEATURES 0
#define L_GUEST_FEATURES 4
#define L_QUEUE_PFN 8
#define L_QUEUE_NUM 12
#define L_QUEUE_SEL 14
#define L_QUEUE_NOTIFY 16
#define L_STATUS 18
#define L_MSIX_CONFIG 20
#define L_MSIX_QUEUE 22
#define L_CONFIG 24

/* Modern capability types and the common configuration layout. */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_MSIX_CONFIG 0x10
#define C_STATUS 0x14
#define C_CONFIG_GEN 0x15
#define C_Q_SELECT 0x16
#define C_Q_SIZE 0x18
#define C_Q_MSIX 0x1a
#define C_Q_ENABLE 0x1c
#define C_Q_NOTIFY_OFF 0x1e
#define C_Q_DESC 0x20
#define C_Q_DRIVER 0x28
#define C_Q_DEVICE 0x30
#define C_LEN 0x38

#define MSI_NO_VECTOR 0xffff
#define VEC_QUEUES 0
#define VEC_CONFIG 1
#define RESET_SPINS 1000000
#define MAX_CANDIDATES 16
#define MAX_WINDOW (1U << 20) /* no virtio structure needs more than this */

struct vpci {
	struct virtio_dev vd;
	struct pci_dev pci;
	struct pci_msix msix;
	bool modern;
	uint16_t config_entry; /* MSI-X entry for configuration changes */
	/* legacy */
	uint16_t io;
	uint32_t io_size;
	/* modern: pointers into mapped memory BARs */
	volatile uint8_t *common, *devcfg, *notify;
	uint32_t devcfg_len, notify_len, notify_mult;
};

#define to_vpci(d) container_of(d, struct vpci, vd)

static uint8_t rd8(volatile uint8_t *p, unsigned int off)
{
	return *(volatile uint8_t *)(p + off);
}

static uint16_t rd16(volatile uint8_t *p, unsigned int off)
{
	return *(volatile uint16_t *)(p + off);
}

static uint32_t rd32(volatile uint8_t *p, unsigned int off)
{
	return *(volatile uint32_t *)(p + off);
}

static void wr8(volatile uint8_t *p, unsigned int off, uint8_t v)
{
	*(volatile uint8_t *)(p + off) = v;
}

static void wr16(volatile uint8_t *p, unsigned int off, uint16_t v)
{
	*(volatile uint16_t *)(p + off) = v;
}

static void wr32(volatile uint8_t *p, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(p + off) = v;
}

/* 64-bit fields are written as two dwords, low first (§4.1.3.1). */
static void wr64(volatile uint8_t *p, unsigned int off, uint64_t v)
{
	wr32(p, off, (uint32_t)v);
	wr32(p, off + 4, (uint32_t)(v >> 32));
}

static uint8_t vpci_get_status(struct virtio_dev *d)
{
	struct vpci *vp = to_vpci(d);

	return vp->modern ? rd8(vp->common, C_STATUS) : inb(vp->io + L_STATUS);
}

static void vpci_set_status(struct virtio_dev *d, uint8_t s)
{
	struct vpci *vp = to_vpci(d);

	if (vp->modern)
		wr8(vp->common, C_STATUS, s);
	else
		outb(vp->io + L_STATUS, s);
}

static void vpci_reset(struct virtio_dev *d)
{
	vpci_set_status(d, 0);
	/* §4.1.4.3.2: the reset is complete only once the status reads back 0. */
	for (unsigned int i = 0; i < RESET_SPINS && vpci_get_status(d) != 0; i++)
		cpu_relax();
}

static uint64_t vpci_get_features(struct virtio_dev *d)
{
	struct vpci *vp = to_vpci(d);
	uint64_t f;

	if (!vp->modern)
		return inl(vp->io + L_HOST_FEATURES); /* legacy: 32 feature bits */
	wr32(vp->common, C_DFSELECT, 0);
	f = rd32(vp->common, C_DF);
	wr32(vp->common, C_DFSELECT, 1);
	return f | (uint64_t)rd32(vp->common, C_DF) << 32;
}

static void vpci_set_features(struct virtio_dev *d, uint64_t f)
{
	struct vpci *vp = to_vpci(d);

	if (!vp->modern) {
		outl(vp->io + L_GUEST_FEATURES, (uint32_t)f);
		return;
	}
	wr32(vp->common, C_GFSELECT, 0);
	wr32(vp->common, C_GF, (uint32_t)f);
	wr32(vp->common, C_GFSELECT, 1);
	wr32(vp->common, C_GF, (uint32_t)(f >> 32));
}

/* The legacy interface has no generation counter (a torn read is possible there). */
static uint32_t vpci_config_gen(struct virtio_dev *d)
{
	struct vpci *vp = to_vpci(d);

	return vp->modern ? rd8(vp->common, C_CONFIG_GEN) : 0;
}

static int vpci_config_read(struct virtio_dev *d, unsigned int off, unsigned int width,
			    uint32_t *val)
{
	struct vpci *vp = to_vpci(d);
	uint32_t len = vp->modern ? vp->devcfg_len : vp->io_size - L_CONFIG;

	if ((width != 1 && width != 2 && width != 4) || off > len || width > len - off)
		return -EINVAL;
	if (vp->modern)
		*val = width == 1   ? rd8(vp->devcfg, off)
		       : width == 2 ? rd16(vp->devcfg, off)
				    : rd32(vp->devcfg, off);
	else
		*val = width == 1   ? inb(vp->io + L_CONFIG + off)
		       : width == 2 ? inw(vp->io + L_CONFIG + off)
				    : inl(vp->io + L_CONFIG + off);
	return 0;
}

/* Route configuration-change interrupts; the device forgot it on reset. */
static int vpci_prepare(struct virtio_dev *d)
{
	struct vpci *vp = to_vpci(d);
	uint16_t got;

	if (vp->modern) {
		wr16(vp->common, C_MSIX_CONFIG, vp->config_entry);
		got = rd16(vp->common, C_MSIX_CONFIG);
	} else {
		outw(vp->io + L_MSIX_CONFIG, vp->config_entry);
		got = inw(vp->io + L_MSIX_CONFIG);
	}
	/* A device out of vector resources answers NO_VECTOR (§4.1.5.1.2). */
	return got == vp->config_entry ? 0 : -EIO;
}

static unsigned int vpci_queue_max(struct virtio_dev *d, unsigned int idx)
{
	struct vpci *vp = to_vpci(d);

	if (vp->modern) {
		wr16(vp->common, C_Q_SELECT, (uint16_t)idx);
		return rd16(vp->common, C_Q_SIZE);
	}
	outw(vp->io + L_QUEUE_SEL, (uint16_t)idx);
	return inw(vp->io + L_QUEUE_NUM);
}

static int legacy_queue_enable(struct vpci *vp, struct virtqueue *vq)
{
	uint64_t pfn = (uint64_t)(uintptr_t)vq->desc >> 12;

	if (pfn > 0xffffffffULL)
		return -ERANGE; /* the register holds a 32-bit page number */
	outw(vp->io + L_QUEUE_SEL, vq->index);
	outw(vp->io + L_MSIX_QUEUE, VEC_QUEUES);
	if (inw(vp->io + L_MSIX_QUEUE) != VEC_QUEUES)
		return -EIO;
	outl(vp->io + L_QUEUE_PFN, (uint32_t)pfn);
	return 0;
}

static int modern_queue_enable(struct vpci *vp, struct virtqueue *vq)
{
	volatile uint8_t *c = vp->common;
	uint64_t notify_off;

	wr16(c, C_Q_SELECT, vq->index);
	wr16(c, C_Q_SIZE, vq->num);
	wr16(c, C_Q_MSIX, VEC_QUEUES);
	if (rd16(c, C_Q_MSIX) != VEC_QUEUES)
		return -EIO;
	wr64(c, C_Q_DESC, (uint64_t)(uintptr_t)vq->desc);
	wr64(c, C_Q_DRIVER, (uint64_t)(uintptr_t)vq->avail);
	wr64(c, C_Q_DEVICE, (uint64_t)(uintptr_t)vq->used);
	/* Untrusted: the doorbell must fall inside the notify capability's window. */
	notify_off = (uint64_t)rd16(c, C_Q_NOTIFY_OFF) * vp->notify_mult;
	if (notify_off + 2 > vp->notify_len)
		return -EIO;
	vq->notify_addr = vp->notify + notify_off;
	wr16(c, C_Q_ENABLE, 1);
	return 0;
}

static int vpci_queue_enable(struct virtio_dev *d, struct virtqueue *vq)
{
	struct vpci *vp = to_vpci(d);

	vq->dev = d;
	return vp->modern ? modern_queue_enable(vp, vq) : legacy_queue_enable(vp, vq);
}

/*
 * The caller has fenced after publishing avail->idx. An OUT also waits for
 * earlier stores to drain, and UC MMIO stores are not reordered with them.
 */
static void vpci_notify(struct virtio_dev *d, struct virtqueue *vq)
{
	struct vpci *vp = to_vpci(d);

	if (vp->modern)
		*(volatile uint16_t *)vq->notify_addr = vq->index;
	else
		outw(vp->io + L_QUEUE_NOTIFY, vq->index);
}

static void vpci_irq_mask(struct virtio_dev *d, bool masked)
{
	struct vpci *vp = to_vpci(d);

	pci_msix_mask(&vp->msix, VEC_QUEUES, masked);
	if (vp->config_entry != VEC_QUEUES)
		pci_msix_mask(&vp->msix, vp->config_entry, masked);
}

static const struct virtio_ops vpci_ops = {
	.reset = vpci_reset,
	.get_status = vpci_get_status,
	.set_status = vpci_set_status,
	.get_features = vpci_get_features,
	.set_features = vpci_set_features,
	.config_gen = vpci_config_gen,
	.config_read = vpci_config_read,
	.prepare = vpci_prepare,
	.queue_max = vpci_queue_max,
	.queue_enable = vpci_queue_enable,
	.notify = vpci_notify,
	.irq_mask = vpci_irq_mask,
};

static void vpci_queue_irq(struct trap_frame *tf, void *arg)
{
	struct vpci *vp = arg;

	(void)tf;
	if (vp->vd.intr)
		vp->vd.intr(vp->vd.intr_arg, vp->config_entry == VEC_QUEUES
						     ? VIRTIO_INTR_VRING | VIRTIO_INTR_CONFIG
						     : VIRTIO_INTR_VRING);
}

static void vpci_config_irq(struct trap_frame *tf, void *arg)
{
	struct vpci *vp = arg;

	(void)tf;
	if (vp->vd.intr)
		vp->vd.intr(vp->vd.intr_arg, VIRTIO_INTR_CONFIG);
}

/* Legacy: BAR0 is the register file; everything else goes through it. */
static int legacy_setup(struct vpci *vp)
{
	struct pci_bar b;
	int rc = pci_bar_get(&vp->pci, 0, &b);

	if (rc < 0)
		return rc;
	/* Untrusted size: the registers up to the device config must be there. */
	if (!b.io || b.size < L_CONFIG)
		return -EIO;
	vp->io = (uint16_t)b.addr;
	vp->io_size = (uint32_t)b.size;
	return 0;
}

/*
 * Map the window a virtio capability describes; NULL if it is not inside
 * a memory BAR (QEMU puts every window in one) or is implausibly large.
 * Only the window is mapped: the BAR's size is the device's word.
 */
static volatile uint8_t *cap_window(struct vpci *vp, unsigned int cap, uint32_t *len)
{
	uint8_t bar = pci_read8(&vp->pci, cap + 4);
	uint32_t off = pci_read32(&vp->pci, cap + 8);
	struct pci_bar b;

	*len = pci_read32(&vp->pci, cap + 12);
	if (pci_bar_get(&vp->pci, bar, &b) < 0 || b.io)
		return NULL;
	if (*len == 0 || *len > MAX_WINDOW || off > b.size || *len > b.size - off)
		return NULL;
	if (paging_map(b.addr + off, *len, PG_RW | PG_UC) < 0)
		return NULL;
	return (volatile uint8_t *)(uintptr_t)(b.addr + off);
}

/* Modern: find the first usable capability of each type (§4.1.4). */
static int modern_setup(struct vpci *vp)
{
	volatile uint8_t *isr = NULL;
	uint32_t len;

	for (unsigned int n = 0;; n++) {
		unsigned int cap = pci_find_cap(&vp->pci, PCI_CAP_VENDOR, n);
		uint8_t type, cap_len;

		if (!cap)
			break;
		type = pci_read8(&vp->pci, cap + 3);
		cap_len = pci_read8(&vp->pci, cap + 2);
		if (cap_len < 16 || cap + cap_len > 256)
			continue;
		if (type == CAP_COMMON && !vp->common) {
			vp->common = cap_window(vp, cap, &len);
			if (vp->common && len < C_LEN)
				vp->common = NULL;
		} else if (type == CAP_NOTIFY && !vp->notify && cap_len >= 20) {
			vp->notify = cap_window(vp, cap, &vp->notify_len);
			vp->notify_mult = pci_read32(&vp->pci, cap + 16);
		} else if (type == CAP_ISR && !isr) {
			isr = cap_window(vp, cap, &len);
		} else if (type == CAP_DEVICE && !vp->devcfg) {
			vp->devcfg = cap_window(vp, cap, &vp->devcfg_len);
		}
	}
	/* The ISR is unused with MSI-X, but a device without one is malformed. */
	if (!vp->common || !vp->notify || !isr || !vp->devcfg)
		return -EIO;
	vp->modern = true;
	return 0;
}

static int setup_msix(struct vpci *vp)
{
	int rc = pci_msix_init(&vp->pci, &vp->msix);

	if (rc < 0)
		return rc == -ENODEV ? -ENOTSUP : rc; /* no MSI-X: see the top of the file */
	rc = pci_msix_route(&vp->msix, VEC_QUEUES, vpci_queue_irq, vp);
	if (rc < 0)
		return rc;
	vp->config_entry = VEC_QUEUES;
	if (vp->msix.nvec > VEC_CONFIG) {
		rc = pci_msix_route(&vp->msix, VEC_CONFIG, vpci_config_irq, vp);
		if (rc < 0)
			return rc;
		vp->config_entry = VEC_CONFIG;
	}
	return 0;
}

/*
 * The virtio device type behind a PCI device ID, 0 if none we drive. The
 * transitional IDs are a fixed table, not an offset (0x1002 is a balloon).
 */
static uint16_t vpci_device_type(uint16_t pci_device)
{
	uint16_t type = 0;

	if (pci_device == VIRTIO_PCI_NET_TRANSITIONAL)
		type = VIRTIO_ID_NET;
	else if (pci_device == VIRTIO_PCI_BLOCK_TRANSITIONAL)
		type = VIRTIO_ID_BLOCK;
	else if (pci_device == VIRTIO_PCI_CONSOLE_TRANSITIONAL)
		type = VIRTIO_ID_CONSOLE;
	else if (pci_device >= VIRTIO_PCI_MODERN_BASE && pci_device <= VIRTIO_PCI_MODERN_LAST)
		type = (uint16_t)(pci_device - VIRTIO_PCI_MODERN_BASE);
	return virtio_id_supported(type) ? type : 0;
}

static int vpci_attach_one(const struct pci_dev *pci, virtio_attach_fn attach)
{
	struct vpci *vp = calloc(1, sizeof(*vp));
	bool legacy = pci->device <= VIRTIO_PCI_TRANSITIONAL_LAST;
	int rc;

	if (!vp)
		return -ENOMEM;
	vp->pci = *pci;
	snprintf(vp->vd.where, sizeof(vp->vd.where), "pci %02x:%02x.%x", pci->bus, pci->slot,
		 pci->fn);
	/* A transitional device is driven through its legacy registers when it has them. */
	rc = legacy ? legacy_setup(vp) : -ENODEV;
	if (rc < 0)
		rc = modern_setup(vp);
	if (rc < 0)
		goto fail;
	pci_enable(&vp->pci, !vp->modern, true);
	vp->vd.ops = &vpci_ops;
	vp->vd.transport = vp->modern ? "pci-modern" : "pci-legacy";
	vp->vd.device_id = vpci_device_type(pci->device);
	vp->vd.needs_v1 = vp->modern;
	vp->vd.fixed_qsize = !vp->modern;
	vpci_reset(&vp->vd);
	/* MSI-X before anything else: it moves the legacy device config to offset 24. */
	rc = setup_msix(vp);
	if (rc < 0)
		goto fail;
	rc = attach(&vp->vd);
	if (rc < 0) {
		/* Vectors stay registered with @vp as their argument: keep it, reset and masked. */
		vpci_reset(&vp->vd);
		vpci_set_status(&vp->vd, VIRTIO_STATUS_FAILED);
		return rc;
	}
	return 0;
fail:
	kprintf("virtio: %s: unusable (%d)%s\n", vp->vd.where, rc,
		rc == -ENOTSUP ? ": no MSI-X" : "");
	/* No vector refers to @vp unless setup_msix() got that far; then it stays. */
	if (!vp->msix.table)
		free(vp);
	return rc;
}

struct candidates {
	struct pci_dev dev[MAX_CANDIDATES];
	unsigned int n;
};

static void collect(const struct pci_dev *d, void *arg)
{
	struct candidates *c = arg;

	if (d->vendor != VIRTIO_PCI_VENDOR || d->header_type != 0)
		return;
	if (!vpci_device_type(d->device))
		return;
	if (c->n < MAX_CANDIDATES)
		c->dev[c->n++] = *d;
}

int virtio_pci_probe(virtio_attach_fn attach)
{
	static struct candidates c; /* static: a boot-time, one-shot scan */
	int found = 0;

	c.n = 0;
	pci_scan(collect, &c);
	for (unsigned int i = 0; i < c.n; i++)
		if (vpci_attach_one(&c.dev[i], attach) == 0)
			found++;
	return found;
}
