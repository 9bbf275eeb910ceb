/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio device discovery on QEMU/KVM: every transport (PCI, then MMIO) is
 * scanned once, and each device found goes to the driver for its type.
 * The transports only report types some driver handles (see
 * virtio_id_supported()), so the set of drivers lives in two places: there
 * and in the switch below.
 */
#include <errno.h>
#include <stdbool.h>

#include "sluice/drivers.h"
#include "sluice/kernel.h"
#include "virtio.h"

static int attach(struct virtio_dev *d)
{
	switch (d->device_id) {
	case VIRTIO_ID_NET:
		return virtio_net_attach(d);
	case VIRTIO_ID_BLOCK:
		return virtio_blk_attach(d);
	default:
		return -ENODEV;
	}
}

int virtio_probe_all(void)
{
	static bool probed;
	static int count;
	int p, m;

	/* Idempotent: the platform hook and an appliance may both ask. */
	if (probed)
		return count;
	probed = true;
	p = virtio_pci_probe(attach);
	m = virtio_mmio_probe(attach);
	if (p < 0 && m < 0)
		count = p;
	else
		count = MAX(p, 0) + MAX(m, 0);
	return count;
}
