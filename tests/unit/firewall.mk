# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Firewall rule language, compiler and classifier (docs/firewall-rules.md):
# pure C shared by the kernel appliance and the host tool. FW_RULES_SRCS is
# the list an image or tool links; the tests link the same files.
FW_RULES_SRCS = appliances/firewall/rules_lex.c appliances/firewall/rules_values.c \
	appliances/firewall/rules_parse.c appliances/firewall/rules_match.c \
	appliances/firewall/rules_flags.c \
	appliances/firewall/rules_mem.c appliances/firewall/rules_compile.c \
	appliances/firewall/classify_index.c appliances/firewall/classify.c \
	appliances/firewall/set.c appliances/firewall/lpm.c
FW_RULES_HDRS = appliances/firewall/rules_int.h include/sluice/fwrules.h
EXTRA_DIST += docs/firewall-rules.md

check_PROGRAMS += tests/unit/test_fwrules
tests_unit_test_fwrules_SOURCES = tests/unit/test_fwrules.c tests/unit/fwtest.h \
	$(FW_RULES_SRCS) $(FW_RULES_HDRS)
tests_unit_test_fwrules_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/firewall
TESTS += tests/unit/test_fwrules

check_PROGRAMS += tests/unit/test_fwlimits
tests_unit_test_fwlimits_SOURCES = tests/unit/test_fwlimits.c tests/unit/fwtest.h \
	$(FW_RULES_SRCS) $(FW_RULES_HDRS)
tests_unit_test_fwlimits_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/firewall
TESTS += tests/unit/test_fwlimits

check_PROGRAMS += tests/unit/test_fwclassify
tests_unit_test_fwclassify_SOURCES = tests/unit/test_fwclassify.c tests/unit/fwtest.h \
	$(FW_RULES_SRCS) $(FW_RULES_HDRS)
tests_unit_test_fwclassify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/firewall
TESTS += tests/unit/test_fwclassify

check_PROGRAMS += tests/unit/test_fwindex
tests_unit_test_fwindex_SOURCES = tests/unit/test_fwindex.c tests/unit/fwtest.h \
	$(FW_RULES_SRCS) $(FW_RULES_HDRS)
tests_unit_test_fwindex_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/firewall
TESTS += tests/unit/test_fwindex

# Micro-benchmark: built by `make check`, run by hand (never a test): it
# prints ns/packet for 10, 1,000 and 10,000 rules. Optimised, no sanitizers.
check_PROGRAMS += tests/unit/bench_classify
tests_unit_bench_classify_SOURCES = tests/unit/bench_classify.c $(FW_RULES_SRCS) $(FW_RULES_HDRS)
tests_unit_bench_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/firewall
tests_unit_bench_classify_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -O2
tests_unit_bench_classify_LDFLAGS =
tests_unit_bench_classify_LDADD =
