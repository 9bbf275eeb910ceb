# SPDX-License-Identifier: BSD-2-Clause
# Xen netfront (drivers/netfront). Built into every kernel image; it only
# acts when the platform (or an appliance) calls netfront_probe_all() on Xen.
# Its real-Xen test image and test are in tests/xen/local.mk.
KERNEL_SRCS += drivers/netfront/netfront.c drivers/netfront/netfront_tx.c \
	drivers/netfront/netfront_rx.c drivers/netfront/netfront_xs.c
EXTRA_DIST += drivers/netfront/netfront_priv.h
