# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Host unit tests (Check) for the host channel: the appliance's own key
# store and the control-port protocol server (pure), and the channel's
# front with its local and Xen transports, on the kernel shim's event loop
# and the fake xenstored; the network functions' configuration channel and
# stats publisher on top.
check_PROGRAMS += tests/unit/test_hostcfg
tests_unit_test_hostcfg_SOURCES = tests/unit/test_hostcfg.c tests/unit/fake_kernel.c \
	tests/unit/fake_kernel.h tests/unit/fake_xenstore.c tests/unit/fake_xenstore.h \
	kernel/lib/hcstore.c kernel/lib/hcproto.c kernel/hostcfg.c kernel/hostcfg_local.c \
	xen/hostcfg_xen.c xen/xs.c xen/xs_ring.c kernel/lib/timerq.c kernel/lib/numparse.c \
	nf/confchan.c nf/publish.c nf/stats.c kernel/lib/crc32.c kernel/lib/inaddr.c
TESTS += tests/unit/test_hostcfg
