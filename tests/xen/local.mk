# SPDX-License-Identifier: BSD-2-Clause
# Real-Xen tests: Debian's Xen 4.17 with a Linux PV dom0, booted in QEMU TCG
# by tests/xen/rig (see tests/xen/README.md). They are not part of `make
# check`: each boot takes 6-10 s and a cold cache needs the Debian archive
# once. Run them with `make check-xen`.
XEN_TESTS = \
	tests/xen/selftest.test \
	tests/xen/hello-pvh.test

EXTRA_DIST += $(XEN_TESTS) tests/xen/rig tests/xen/dom0/init tests/xen/dom0/lib.sh \
	tests/xen/README.md

# The automake test harness, on just these tests (hello-pvh.test needs the
# hello image, which `check` builds through check_DATA).
check-xen:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(XEN_TESTS)'

# Fill the rig's cache (downloads ~80 MB once; a warm cache costs nothing).
xen-rig-prepare:
	$(srcdir)/tests/xen/rig prepare

.PHONY: check-xen xen-rig-prepare
