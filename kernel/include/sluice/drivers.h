/* SPDX-License-Identifier: BSD-2-Clause */
/* Device discovery entry points the platforms call (plat_ops.probe_devices). */
#ifndef SLUICE_DRIVERS_H
#define SLUICE_DRIVERS_H

/* QEMU/KVM: virtio-net and virtio-blk over PCI and MMIO. Returns devices found or -errno. */
int virtio_probe_all(void);

/* Xen: a netfront per device/vif entry. Returns devices found or -errno. */
int netfront_probe_all(void);

/* Xen: a blkfront per device/vbd entry. Returns disks connected or -errno. */
int blkfront_probe_all(void);

#endif
