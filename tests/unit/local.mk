# Host unit tests (Check) for the pure-logic kernel modules.
# Included from the top-level non-recursive Makefile.am, which defines
# check_PROGRAMS, TESTS, AM_CPPFLAGS and AM_CFLAGS; configure provides
# CHECK_CFLAGS/CHECK_LIBS (PKG_CHECK_MODULES) and UNIT_SAN_CFLAGS.
# Each test links the module's source directly: same code as the kernel,
# built for the host.

check_PROGRAMS += tests/unit/test_memmap
tests_unit_test_memmap_SOURCES = tests/unit/test_memmap.c kernel/lib/memmap.c
tests_unit_test_memmap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_memmap_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_memmap_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_memmap

check_PROGRAMS += tests/unit/test_pagealloc
tests_unit_test_pagealloc_SOURCES = tests/unit/test_pagealloc.c kernel/lib/pagealloc.c
tests_unit_test_pagealloc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_pagealloc_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_pagealloc_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_pagealloc

check_PROGRAMS += tests/unit/test_cmdline
tests_unit_test_cmdline_SOURCES = tests/unit/test_cmdline.c kernel/lib/cmdline.c
tests_unit_test_cmdline_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_cmdline_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_cmdline_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_cmdline

check_PROGRAMS += tests/unit/test_pvclock
tests_unit_test_pvclock_SOURCES = tests/unit/test_pvclock.c kernel/lib/pvclock.c
tests_unit_test_pvclock_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_pvclock_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_pvclock_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_pvclock

check_PROGRAMS += tests/unit/test_timerq
tests_unit_test_timerq_SOURCES = tests/unit/test_timerq.c kernel/lib/timerq.c
tests_unit_test_timerq_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_timerq_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_timerq_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_timerq

check_PROGRAMS += tests/unit/test_ksyms_virtio
tests_unit_test_ksyms_virtio_SOURCES = tests/unit/test_ksyms_virtio.c kernel/lib/ksyms.c \
	kernel/lib/cmdline.c drivers/virtio/mmio_cmdline.c
tests_unit_test_ksyms_virtio_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(UNIT_SAN_CFLAGS)
tests_unit_test_ksyms_virtio_LDFLAGS = $(UNIT_SAN_CFLAGS)
tests_unit_test_ksyms_virtio_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/test_ksyms_virtio
