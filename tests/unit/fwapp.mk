# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The firewall appliance's host-testable parts (tests/unit/test_fwapp.c):
# the packet pipeline, the parse/conntrack/filter elements on real frames,
# answers to rejected packets and the configuration parsers, linked with the
# rule compiler and the connection tracker exactly as the image is.
check_PROGRAMS += tests/unit/test_fwapp
tests_unit_test_fwapp_SOURCES = tests/unit/test_fwapp.c \
	appliances/firewall/fwfilter.c appliances/firewall/fwreject.c \
	appliances/firewall/fwconf.c kernel/lib/inaddr.c kernel/lib/numparse.c $(NF_PURE_SRCS) \
	$(FW_APP_HDRS) $(NF_HDRS) $(FW_RULES_SRCS) $(FW_RULES_HDRS)
tests_unit_test_fwapp_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/firewall
TESTS += tests/unit/test_fwapp

# The shared layer alone: two graphs joined in one process, the stats
# registry, the checksum helpers (tests/unit/test_nf.c).
check_PROGRAMS += tests/unit/test_nf
tests_unit_test_nf_SOURCES = tests/unit/test_nf.c $(NF_PURE_SRCS) kernel/lib/inaddr.c \
	kernel/lib/numparse.c $(NF_HDRS)
TESTS += tests/unit/test_nf
