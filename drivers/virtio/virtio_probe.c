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
	case VIRTIO_ID_CONSOLE:
		return virtio_console_attach(d);
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

/* Reset, acknowledge, negotiate (§3.1.1 steps 1-6) and prepare the transport. */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t f;

	d->ops->reset(d);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	f = d->ops->get_features(d) & wanted;
	if (d->needs_v1 && !(f & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		return -ENOTSUP; /* a modern transport without 1.x semantics is malformed */
	d->ops->set_features(d, f);
	d->features = f;
	if (f & VIRTIO_BIT(VIRTIO_F_VERSION_1)) {
		d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					      VIRTIO_STATUS_FEATURES_OK);
		/* The device may refuse our subset: it says so by clearing FEATURES_OK. */
		if (!(d->ops->get_status(d) & VIRTIO_STATUS_FEATURES_OK))
			return -EIO;
	}
	return d->ops->prepare(d);
}
