# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Host unit tests (Check) for drivers/netfront. Same conventions as
# tests/unit/xen.mk. The driver runs against a fake netback that shares its
# rings in-process (tests/unit/fake_netback.c, which also provides the
# kernel around the driver: pages, pktbufs, netdev, timers, clock) and the
# fake xenstored; the real event-channel, grant-table, xenstore and xenbus
# code is linked in.
check_PROGRAMS += tests/unit/test_netfront
tests_unit_test_netfront_SOURCES = tests/unit/test_netfront.c tests/unit/fake_netback.c \
	tests/unit/fake_netback.h tests/unit/fake_kernel.c tests/unit/fake_kernel.h \
	tests/unit/fake_xenstore.c tests/unit/fake_xenstore.h tests/unit/fake_xen.c tests/unit/fake_xen.h \
	drivers/netfront/netfront.c drivers/netfront/netfront_tx.c drivers/netfront/netfront_rx.c \
	drivers/netfront/netfront_xs.c \
	drivers/netfront/netfront_priv.h xen/evtchn.c xen/gnttab.c xen/xs.c xen/xs_ring.c \
	xen/xenbus.c kernel/lib/timerq.c kernel/lib/irqstorm.c \
	kernel/lib/numparse.c
tests_unit_test_netfront_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_netfront_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_netfront_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_netfront
