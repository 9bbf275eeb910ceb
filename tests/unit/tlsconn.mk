# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# tls/tlsconn.c (mbedTLS's BIO on lwIP's raw TCP API) against a fake TCP
# that splits every byte into a segment of its own, with a real mbedTLS
# client: the host mbedTLS of tests/unit/tls.mk plus its TLS sources
# (host/libmbedssl-san.a, with the sanitizers), lwIP's headers only.
MBEDTLS_HOST_SSL_SRCS = $(wildcard $(MBEDTLS_SRCDIR)/library/ssl_*.c)
MBEDTLS_HOST_SSL_SAN_OBJS = $(patsubst $(MBEDTLS_SRCDIR)/library/%.c,host/mbedtls-san/%.o,\
	$(MBEDTLS_HOST_SSL_SRCS))
host/libmbedssl-san.a: $(MBEDTLS_HOST_SSL_SAN_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(MBEDTLS_HOST_SSL_SAN_OBJS) && $(RANLIB) $@
CLEANFILES += host/libmbedssl-san.a $(MBEDTLS_HOST_SSL_SAN_OBJS)

check_PROGRAMS += tests/unit/test_tlsconn
tests_unit_test_tlsconn_SOURCES = tests/unit/test_tlsconn.c tls/tlsconn.c tls/tlsconn.h
tests_unit_test_tlsconn_CPPFLAGS = $(AM_CPPFLAGS) $(MBEDTLS_HOST_CPPFLAGS) \
	-I$(top_srcdir)/net/include -I$(LWIP_SRCDIR)/src/include \
	-DMKCERTS='"$(abs_top_srcdir)/tests/unit/mkcerts"'
tests_unit_test_tlsconn_LDADD = host/libmbedssl-san.a host/libmbedx509-san.a $(LDADD)
tests_unit_test_tlsconn_DEPENDENCIES = host/libmbedssl-san.a host/libmbedx509-san.a
TESTS += tests/unit/test_tlsconn
