# SPDX-License-Identifier: BSD-2-Clause
# Xen netfront (drivers/netfront). Built into every kernel image; it only
# acts when the platform (or an appliance) calls netfront_probe_all() on Xen.
KERNEL_SRCS += drivers/netfront/netfront.c drivers/netfront/netfront_tx.c \
	drivers/netfront/netfront_rx.c drivers/netfront/netfront_xs.c
EXTRA_DIST += drivers/netfront/netfront_priv.h

# The real-Xen test appliance: answers ARP and ICMP echo on every vif, for
# tests/xen/netfront.test (ping from dom0, detach/attach).
NETFRONTTEST_SRCS = tests/xen/netfronttest.c
NETFRONTTEST_OBJS = $(addprefix k/,$(NETFRONTTEST_SRCS:.c=.o))

tests/xen/netfronttest.elf: $(IMAGE_DEPS) $(NETFRONTTEST_OBJS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(LINK_IMAGE) $@ $(KERNEL_OBJS) $(NETFRONTTEST_OBJS)
-include $(NETFRONTTEST_OBJS:.o=.d)

# check_DATA cannot be appended to here: tests/boot/local.mk, included later,
# assigns it with '='. The test's log depends on the image instead, so
# `make check-xen` builds it exactly when the test runs; NETFRONT_TEST_IMAGES
# is there for whoever wants it in check_DATA too.
NETFRONT_TEST_IMAGES = tests/xen/netfronttest.elf
# Added to XEN_TESTS by tests/xen/local.mk (included after this fragment).
XEN_NET_TESTS = tests/xen/netfront.test
tests/xen/netfront.log: tests/xen/netfronttest.elf
EXTRA_DIST += $(NETFRONTTEST_SRCS) $(XEN_NET_TESTS) tests/xen/jobs/netfront.sh
CLEANFILES += tests/xen/netfronttest.elf tests/xen/netfronttest.dbg
