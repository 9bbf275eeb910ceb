# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Xen blkfront (drivers/blkfront). Built into every kernel image; it only
# acts when the platform (or an appliance) calls blkfront_probe_all() on Xen.
# Its real-Xen test image and test are in tests/xen/local.mk.
KERNEL_SRCS += drivers/blkfront/blkfront.c drivers/blkfront/blkfront_xs.c \
	drivers/blkfront/blkfront_keys.c
EXTRA_DIST += drivers/blkfront/blkfront_priv.h
