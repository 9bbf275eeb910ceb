# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The load balancer's pure logic (appliances/lb/local.mk: LB_CORE_SRCS):
# Maglev and the health counter, NAT rewriting against from-scratch
# checksums, the configuration parser's every error class, the flow table.
check_PROGRAMS += tests/unit/test_lb
tests_unit_test_lb_SOURCES = tests/unit/test_lb.c appliances/lb/maglev.c appliances/lb/lbhealth.c \
	$(LB_CORE_HDRS)
tests_unit_test_lb_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/lb
TESTS += tests/unit/test_lb

check_PROGRAMS += tests/unit/test_lbnat
tests_unit_test_lbnat_SOURCES = tests/unit/test_lbnat.c appliances/lb/lbnat.c nf/csum.c \
	nf/pktparse.c $(LB_CORE_HDRS)
tests_unit_test_lbnat_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/lb
TESTS += tests/unit/test_lbnat

check_PROGRAMS += tests/unit/test_lbconf
tests_unit_test_lbconf_SOURCES = tests/unit/test_lbconf.c $(LB_CORE_SRCS) $(LB_CORE_HDRS) \
	nf/csum.c kernel/lib/inaddr.c kernel/lib/numparse.c
tests_unit_test_lbconf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/lb
TESTS += tests/unit/test_lbconf

check_PROGRAMS += tests/unit/test_lbflow
tests_unit_test_lbflow_SOURCES = tests/unit/test_lbflow.c appliances/lb/lbflow.c \
	appliances/lb/maglev.c appliances/lb/lb.h $(LB_CORE_HDRS)
tests_unit_test_lbflow_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/lb
TESTS += tests/unit/test_lbflow

# Configuration swaps: slots kept by identity, removal, refusal (the
# kernel's clock and the health checker are stubbed in the test).
check_PROGRAMS += tests/unit/test_lbstate
tests_unit_test_lbstate_SOURCES = tests/unit/test_lbstate.c appliances/lb/lbstate.c \
	appliances/lb/lbconf.c appliances/lb/lbconf_val.c appliances/lb/maglev.c \
	appliances/lb/lbhealth.c kernel/lib/inaddr.c kernel/lib/numparse.c \
	appliances/lb/lb.h $(LB_CORE_HDRS)
tests_unit_test_lbstate_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/lb
TESTS += tests/unit/test_lbstate
