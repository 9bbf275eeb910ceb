# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Host unit tests (Check) for drivers/blkfront. Same conventions as
# tests/unit/netfront.mk. The driver runs against a fake blkback that shares
# its ring in-process (tests/unit/fake_blkback.c, which also provides the
# kernel around the driver: pages, loop work, timers, clock) and the fake
# xenstored; the real block layer, event-channel, grant-table, xenstore and
# xenbus code is linked in.
check_PROGRAMS += tests/unit/test_blkfront
tests_unit_test_blkfront_SOURCES = tests/unit/test_blkfront.c tests/unit/fake_blkback.c \
	tests/unit/fake_blkback.h tests/unit/fake_kernel.c tests/unit/fake_kernel.h \
	tests/unit/fake_xenstore.c tests/unit/fake_xenstore.h tests/unit/fake_xen.c tests/unit/fake_xen.h \
	drivers/blkfront/blkfront.c drivers/blkfront/blkfront_xs.c drivers/blkfront/blkfront_keys.c \
	drivers/blkfront/blkfront_priv.h kernel/blkdev.c xen/evtchn.c xen/gnttab.c xen/xs.c \
	xen/xs_ring.c xen/xenbus.c kernel/lib/timerq.c kernel/lib/irqstorm.c \
	kernel/lib/numparse.c
tests_unit_test_blkfront_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_blkfront_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_blkfront_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_blkfront
