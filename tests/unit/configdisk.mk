# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Host unit tests (Check) for the config disk's tar reader and the log
# ring format; host flags come from Makefile.am (see tests/unit/local.mk).
# test_ustar runs the system's GNU tar to make its archives; test_logring
# also runs tools/sluice-logread on images it writes, so it is built first.
check_PROGRAMS += tests/unit/test_ustar
tests_unit_test_ustar_SOURCES = tests/unit/test_ustar.c kernel/lib/ustar.c kernel/lib/numparse.c
TESTS += tests/unit/test_ustar

check_PROGRAMS += tests/unit/test_logring
tests_unit_test_logring_SOURCES = tests/unit/test_logring.c kernel/lib/logring.c \
	kernel/lib/crc32.c
TESTS += tests/unit/test_logring
EXTRA_tests_unit_test_logring_DEPENDENCIES = tools/sluice-logread$(EXEEXT)
