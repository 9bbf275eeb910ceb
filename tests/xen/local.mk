# SPDX-License-Identifier: BSD-2-Clause
# Real-Xen tests: Debian's Xen 4.17 with a Linux PV dom0, booted in QEMU TCG
# by tests/xen/rig (see tests/xen/README.md). They are not part of `make
# check`, so that their timing checks do not share the CPUs with the QEMU
# boot tests: run them with `make check-xen` (scripts/run-tests runs both).
# A cold cache needs the Debian archive once (~80 MB).
XEN_TESTS = \
	tests/xen/selftest.test \
	tests/xen/lifecycle.test \
	tests/xen/echo.test \
	tests/xen/configdisk.test \
	tests/xen/netfront.test \
	tests/xen/blkfront.test \
	tests/xen/lb.test \
	tests/xen/tls.test \
	$(FW_XEN_TESTS)

# The netfront test appliance: answers ARP and ICMP echo on every vif, for
# tests/xen/netfront.test (ping from dom0, detach/attach).
NETFRONTTEST_SRCS = tests/xen/netfronttest.c
NETFRONTTEST_OBJS = $(addprefix k/,$(NETFRONTTEST_SRCS:.c=.o))
tests/xen/netfronttest.elf: $(NETFRONTTEST_OBJS)
-include $(NETFRONTTEST_OBJS:.o=.d)

# The blkfront test appliance: checks, writes and verifies patterns on the
# blkdevs through the blkdev API, for tests/xen/blkfront.test.
BLKFRONTTEST_SRCS = tests/xen/blkfronttest.c
BLKFRONTTEST_OBJS = $(addprefix k/,$(BLKFRONTTEST_SRCS:.c=.o))
tests/xen/blkfronttest.elf: $(BLKFRONTTEST_OBJS)
-include $(BLKFRONTTEST_OBJS:.o=.d)

# Each test's log depends on its image, so `make check-xen` builds the
# image exactly when the test runs.
tests/xen/netfront.log: tests/xen/netfronttest.elf
tests/xen/blkfront.log: tests/xen/blkfronttest.elf
tests/xen/lb.log: appliances/lb/lb.elf tools/sluice-ctl
tests/xen/tls.log: appliances/tls/tls.elf tools/sluice-ctl tests/xen/tlsprobe
EXTRA_DIST += $(NETFRONTTEST_SRCS) tests/xen/jobs/netfront.sh \
	$(BLKFRONTTEST_SRCS) tests/xen/jobs/blkfront.sh
CLEANFILES += tests/xen/netfronttest.elf tests/xen/netfronttest.dbg \
	tests/xen/blkfronttest.elf tests/xen/blkfronttest.dbg

EXTRA_DIST += $(XEN_TESTS) tests/xen/rig tests/xen/dom0/init tests/xen/dom0/lib.sh \
	tests/xen/README.md tests/xen/hello.cfg tests/xen/jobs/lifecycle.sh tests/xen/jobs/echo.sh tests/xen/jobs/configdisk.sh \
	tests/xen/jobs/lb.sh

# The automake test harness, on just these tests (hello-pvh.test needs the
# hello image, which `check` builds through check_DATA).
check-xen:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(XEN_TESTS)' TEST_SUITE_LOG=test-suite-xen.log

# Fill the rig's cache (downloads ~80 MB once; a warm cache costs nothing).
xen-rig-prepare:
	$(srcdir)/tests/xen/rig prepare

.PHONY: check-xen xen-rig-prepare

# tlsprobe, the TLS 1.3 client of tests/xen/tls.test: the host mbedTLS of
# tests/unit/tls.mk (tls/mbedtls_config.h, whose host branch has the
# client side) plus its TLS sources, plain (no sanitizers), linked
# statically so that it runs in the rig's dom0 as it is.
TLSPROBE_SSL_OBJS = $(patsubst $(MBEDTLS_SRCDIR)/library/%.c,host/mbedtls/%.o,\
	$(wildcard $(MBEDTLS_SRCDIR)/library/ssl_*.c))
host/libmbedssl.a: $(TLSPROBE_SSL_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(TLSPROBE_SSL_OBJS) && $(RANLIB) $@
tests/xen/tlsprobe: tests/xen/tlsprobe.c host/libmbedssl.a host/libmbedx509.a
	$(AM_V_CC)$(MKDIR_P) $(@D) && $(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror \
		$(MBEDTLS_HOST_CPPFLAGS) -static -o $@ $< host/libmbedssl.a host/libmbedx509.a
CLEANFILES += tests/xen/tlsprobe host/libmbedssl.a $(TLSPROBE_SSL_OBJS)
EXTRA_DIST += tests/xen/tlsprobe.c tests/xen/jobs/tls.sh
