# Host unit tests (Check) for the pure Xen modules: event channels and grant
# tables. Same conventions as tests/unit/local.mk (included from the
# top-level Makefile.am, which defines check_PROGRAMS, TESTS, AM_CPPFLAGS and
# AM_CFLAGS; configure provides CHECK_CFLAGS/CHECK_LIBS and UNIT_SAN_CFLAGS).
# The Xen public headers come from the system (libxen-dev), as for the kernel.

check_PROGRAMS += tests/unit/test_evtchn
tests_unit_test_evtchn_SOURCES = tests/unit/test_evtchn.c xen/evtchn.c
TESTS += tests/unit/test_evtchn

check_PROGRAMS += tests/unit/test_gnttab
tests_unit_test_gnttab_SOURCES = tests/unit/test_gnttab.c xen/gnttab.c
TESTS += tests/unit/test_gnttab
