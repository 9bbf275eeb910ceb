# Host unit tests (Check) for the pure-logic kernel modules.
# Each test links the module's source directly: same code as the kernel,
# built for the host. Host programs get Check and, by default, ASan/UBSan
# through Makefile.am's AM_CFLAGS/AM_LDFLAGS/LDADD; a host program that
# wants neither (a tool) sets its own _CFLAGS/_LDFLAGS/_LDADD.

check_PROGRAMS += tests/unit/test_memmap
tests_unit_test_memmap_SOURCES = tests/unit/test_memmap.c kernel/lib/memmap.c
TESTS += tests/unit/test_memmap

check_PROGRAMS += tests/unit/test_pagealloc
tests_unit_test_pagealloc_SOURCES = tests/unit/test_pagealloc.c kernel/lib/pagealloc.c
TESTS += tests/unit/test_pagealloc

check_PROGRAMS += tests/unit/test_cmdline
tests_unit_test_cmdline_SOURCES = tests/unit/test_cmdline.c kernel/lib/cmdline.c \
	kernel/lib/numparse.c
TESTS += tests/unit/test_cmdline

check_PROGRAMS += tests/unit/test_pvclock
tests_unit_test_pvclock_SOURCES = tests/unit/test_pvclock.c kernel/lib/pvclock.c
TESTS += tests/unit/test_pvclock

check_PROGRAMS += tests/unit/test_timerq
tests_unit_test_timerq_SOURCES = tests/unit/test_timerq.c kernel/lib/timerq.c
TESTS += tests/unit/test_timerq

check_PROGRAMS += tests/unit/test_irqstorm
tests_unit_test_irqstorm_SOURCES = tests/unit/test_irqstorm.c kernel/lib/irqstorm.c
TESTS += tests/unit/test_irqstorm

check_PROGRAMS += tests/unit/test_numparse
tests_unit_test_numparse_SOURCES = tests/unit/test_numparse.c kernel/lib/numparse.c \
	kernel/lib/inaddr.c
TESTS += tests/unit/test_numparse

check_PROGRAMS += tests/unit/test_ksyms_virtio
tests_unit_test_ksyms_virtio_SOURCES = tests/unit/test_ksyms_virtio.c kernel/lib/ksyms.c \
	kernel/lib/cmdline.c kernel/lib/numparse.c drivers/virtio/mmio_cmdline.c
TESTS += tests/unit/test_ksyms_virtio
