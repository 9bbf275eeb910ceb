# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The TLS terminator's pure logic on the host: the configuration parser
# (every error class), the PROXY protocol encoders (hand-written bytes).
TLSCONF_SRCS = appliances/tls/tlsconf.c kernel/lib/inaddr.c kernel/lib/numparse.c
TLSCONF_HDRS = appliances/tls/tlsconf.h

check_PROGRAMS += tests/unit/test_tlsconf
tests_unit_test_tlsconf_SOURCES = tests/unit/test_tlsconf.c $(TLSCONF_SRCS) $(TLSCONF_HDRS)
tests_unit_test_tlsconf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appliances/tls
TESTS += tests/unit/test_tlsconf

check_PROGRAMS += tests/unit/test_proxyproto
tests_unit_test_proxyproto_SOURCES = tests/unit/test_proxyproto.c tls/proxyproto.c \
	tls/proxyproto.h kernel/lib/inaddr.c kernel/lib/numparse.c
tests_unit_test_proxyproto_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tls
TESTS += tests/unit/test_proxyproto
