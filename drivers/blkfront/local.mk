# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Xen blkfront (drivers/blkfront). Built into every kernel image; it only
# acts when the platform (or an appliance) calls blkfront_probe_all() on Xen.
KERNEL_SRCS += drivers/blkfront/blkfront.c drivers/blkfront/blkfront_xs.c
EXTRA_DIST += drivers/blkfront/blkfront_priv.h

# The real-Xen test appliance: checks, writes and verifies patterns on the
# blkdevs through the blkdev API, for tests/xen/blkfront.test.
BLKFRONTTEST_SRCS = tests/xen/blkfronttest.c
BLKFRONTTEST_OBJS = $(addprefix k/,$(BLKFRONTTEST_SRCS:.c=.o))

tests/xen/blkfronttest.elf: $(IMAGE_DEPS) $(BLKFRONTTEST_OBJS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(LINK_IMAGE) $@ $(KERNEL_OBJS) $(BLKFRONTTEST_OBJS)
-include $(BLKFRONTTEST_OBJS:.o=.d)

# As drivers/netfront/local.mk: check_DATA is assigned later with '=', so the
# test's log depends on the image instead; BLKFRONT_TEST_IMAGES is there for
# whoever wants it in check_DATA too.
BLKFRONT_TEST_IMAGES = tests/xen/blkfronttest.elf
# For XEN_TESTS (tests/xen/local.mk).
BLK_XEN_TESTS = tests/xen/blkfront.test
tests/xen/blkfront.log: tests/xen/blkfronttest.elf
EXTRA_DIST += $(BLKFRONTTEST_SRCS) $(BLK_XEN_TESTS) tests/xen/jobs/blkfront.sh
CLEANFILES += tests/xen/blkfronttest.elf tests/xen/blkfronttest.dbg
