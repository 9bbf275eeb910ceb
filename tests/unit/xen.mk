# Host unit tests (Check) for the xenstore client and the xenbus helpers.
# Same conventions as tests/unit/local.mk (included from the top-level
# Makefile.am, which defines check_PROGRAMS, TESTS, AM_CPPFLAGS and
# AM_CFLAGS; configure provides CHECK_CFLAGS/CHECK_LIBS and UNIT_SAN_CFLAGS).
# The Xen public headers come from the system (libxen-dev), as for the kernel.
# Both tests run the client against an in-memory fake xenstored
# (tests/unit/fake_xenstore.c) serving a real xenstore_domain_interface.

check_PROGRAMS += tests/unit/test_xenstore
tests_unit_test_xenstore_SOURCES = tests/unit/test_xenstore.c tests/unit/fake_xenstore.c \
	tests/unit/fake_xenstore.h xen/xs.c xen/xs_ring.c kernel/lib/numparse.c
TESTS += tests/unit/test_xenstore

check_PROGRAMS += tests/unit/test_xenbus
tests_unit_test_xenbus_SOURCES = tests/unit/test_xenbus.c tests/unit/fake_xenstore.c \
	tests/unit/fake_xenstore.h xen/xs.c xen/xs_ring.c xen/xenbus.c kernel/lib/numparse.c
TESTS += tests/unit/test_xenbus

check_PROGRAMS += tests/unit/test_xspipe
tests_unit_test_xspipe_SOURCES = tests/unit/test_xspipe.c tests/unit/fake_xenstore.c \
	tests/unit/fake_xenstore.h xen/xs.c xen/xs_ring.c kernel/lib/numparse.c
TESTS += tests/unit/test_xspipe
