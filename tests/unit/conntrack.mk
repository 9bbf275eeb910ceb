# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The shared layer's packet parser and connection tracking (nf/): pure
# logic, linked straight into host tests (Check, ASan/UBSan through AM_CFLAGS).

check_PROGRAMS += tests/unit/test_pktparse
tests_unit_test_pktparse_SOURCES = tests/unit/test_pktparse.c nf/pktparse.c
TESTS += tests/unit/test_pktparse

check_PROGRAMS += tests/unit/test_conntrack
tests_unit_test_conntrack_SOURCES = tests/unit/test_conntrack.c nf/conntrack.c \
	nf/conntrack_table.c nf/conntrack_tcp.c nf/pktparse.c
TESTS += tests/unit/test_conntrack

# Fragment reassembly (nf/defrag.c) on its own, on frames from the parser.
check_PROGRAMS += tests/unit/test_defrag
tests_unit_test_defrag_SOURCES = tests/unit/test_defrag.c nf/defrag.c nf/pktparse.c
TESTS += tests/unit/test_defrag
