# SPDX-License-Identifier: BSD-2-Clause
# Host unit tests (Check) for the split virtqueue: the kernel's
# drivers/virtio/virtqueue.c against a simulated device, well-behaved and
# hostile. Same conventions as tests/unit/local.mk.
check_PROGRAMS += tests/unit/test_virtqueue
tests_unit_test_virtqueue_SOURCES = tests/unit/test_virtqueue.c drivers/virtio/virtqueue.c \
	drivers/virtio/virtio.h
tests_unit_test_virtqueue_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/drivers/virtio
tests_unit_test_virtqueue_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_virtqueue_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_virtqueue_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_virtqueue
