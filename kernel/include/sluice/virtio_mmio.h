/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-mmio transports announced on the command line. QEMU -M microvm
 * appends ` virtio_mmio.device=512@0xfeb00000:12` for each transport with a
 * device attached (docs/virtio.md §2); the virtio driver probes these.
 */
#ifndef SLUICE_VIRTIO_MMIO_H
#define SLUICE_VIRTIO_MMIO_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_MMIO_MAX 24

struct virtio_mmio_dev {
	uint64_t base;
	uint64_t size;
	uint32_t irq;
};

/* Parse "SIZE[K|M]@BASE:IRQ"; 0 or -EINVAL with a reason in @err. */
int virtio_mmio_parse(const char *s, struct virtio_mmio_dev *dev, char *err, size_t errlen);

/* Record a transport (validated, duplicates refused): 0, -EINVAL, -EEXIST, -E2BIG. */
int virtio_mmio_add(uint64_t base, uint64_t size, uint32_t irq);

/* Command-line hook: parse and record one transport. */
int virtio_mmio_cmdline(const char *value, void *ctx, char *err, size_t errlen);

extern struct virtio_mmio_dev virtio_mmio_devs[VIRTIO_MMIO_MAX];
extern unsigned int virtio_mmio_ndevs;

#endif
