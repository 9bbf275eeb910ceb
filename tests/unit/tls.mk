# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The TLS terminator's parts on the host: the configuration parser (every
# error class), the PROXY protocol encoders (hand-written bytes), the
# certificate store on a host build of mbedTLS (below; also linked by
# sluice-ctl and, rebuilt with clang, by tests/fuzz/fuzz_certstore), and
# sluice-ctl's TLS check and push value. The certificate tests take about
# 2 s each, most of it openssl making keys (tests/unit/mkcerts).
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

# mbedTLS 3.6 for host programs, from $(MBEDTLS_SRCDIR) with the kernel's
# configuration (tls/mbedtls_config.h, whose host branch seeds PSA from
# getrandom()). Only the crypto, PK and X.509 sources: the TLS protocol
# files, sockets, timers and debug output are left out; sources of
# features the configuration disables compile to empty objects. Two
# builds: with the unit tests' sanitizers (host/libmbedx509-san.a) and
# plain for sluice-ctl (host/libmbedx509.a); about 30 s each with -j2.
MBEDTLS_HOST_SKIP = $(addprefix $(MBEDTLS_SRCDIR)/library/,net_sockets.c timing.c debug.c) \
	$(wildcard $(MBEDTLS_SRCDIR)/library/ssl_*.c)
MBEDTLS_HOST_SRCS = $(filter-out $(MBEDTLS_HOST_SKIP),$(wildcard $(MBEDTLS_SRCDIR)/library/*.c))
MBEDTLS_HOST_CPPFLAGS = -I$(top_srcdir)/tls -I$(MBEDTLS_SRCDIR)/include \
	-DMBEDTLS_CONFIG_FILE='<mbedtls_config.h>'
MBEDTLS_HOST_SAN_OBJS = $(patsubst $(MBEDTLS_SRCDIR)/library/%.c,host/mbedtls-san/%.o,$(MBEDTLS_HOST_SRCS))
MBEDTLS_HOST_OBJS = $(patsubst $(MBEDTLS_SRCDIR)/library/%.c,host/mbedtls/%.o,$(MBEDTLS_HOST_SRCS))

host/mbedtls-san/%.o: $(MBEDTLS_SRCDIR)/library/%.c $(top_srcdir)/tls/mbedtls_config.h
	$(AM_V_CC)$(MKDIR_P) $(@D) && $(CC) -std=gnu11 -O1 -g $(UNIT_SAN_CFLAGS) \
		$(MBEDTLS_HOST_CPPFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<
host/mbedtls/%.o: $(MBEDTLS_SRCDIR)/library/%.c $(top_srcdir)/tls/mbedtls_config.h
	$(AM_V_CC)$(MKDIR_P) $(@D) && $(CC) -std=gnu11 -O2 -g $(MBEDTLS_HOST_CPPFLAGS) \
		-MD -MP -MF $(@:.o=.d) -c -o $@ $<
host/libmbedx509-san.a: $(MBEDTLS_HOST_SAN_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(MBEDTLS_HOST_SAN_OBJS) && $(RANLIB) $@
host/libmbedx509.a: $(MBEDTLS_HOST_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(MBEDTLS_HOST_OBJS) && $(RANLIB) $@
-include $(MBEDTLS_HOST_SAN_OBJS:.o=.d) $(MBEDTLS_HOST_OBJS:.o=.d)
CLEANFILES += host/libmbedx509-san.a host/libmbedx509.a $(MBEDTLS_HOST_SAN_OBJS) \
	$(MBEDTLS_HOST_OBJS) $(MBEDTLS_HOST_SAN_OBJS:.o=.d) $(MBEDTLS_HOST_OBJS:.o=.d)

# The certificate store against certificates tests/unit/mkcerts makes
# with openssl at run time; free() is wrapped to look for key material in
# every block freed while loading and after certstore_free.
check_PROGRAMS += tests/unit/test_certstore
tests_unit_test_certstore_SOURCES = tests/unit/test_certstore.c tls/certstore.c tls/certstore.h
tests_unit_test_certstore_CPPFLAGS = $(AM_CPPFLAGS) $(MBEDTLS_HOST_CPPFLAGS) \
	-DMKCERTS='"$(abs_top_srcdir)/tests/unit/mkcerts"'
tests_unit_test_certstore_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=free
tests_unit_test_certstore_LDADD = host/libmbedx509-san.a $(LDADD)
tests_unit_test_certstore_DEPENDENCIES = host/libmbedx509-san.a
TESTS += tests/unit/test_certstore
EXTRA_DIST += tests/unit/mkcerts

# sluice-ctl's TLS check and push value (tools/ctl_tls.c): messages by
# file and line, and the archive unpacked by tar and by the kernel's reader.
check_PROGRAMS += tests/unit/test_ctltls
tests_unit_test_ctltls_SOURCES = tests/unit/test_ctltls.c tools/ctl_tls.c tools/ctl_archive.c \
	tools/ctl_proto.c \
	tls/certstore.c kernel/lib/ustar.c $(TLSCONF_SRCS)
tests_unit_test_ctltls_CPPFLAGS = $(AM_CPPFLAGS) $(MBEDTLS_HOST_CPPFLAGS) $(LIBARCHIVE_CFLAGS) \
	-I$(top_srcdir)/tools -I$(top_srcdir)/appliances/tls -I$(top_srcdir)/tls \
	-DMKCERTS='"$(abs_top_srcdir)/tests/unit/mkcerts"'
tests_unit_test_ctltls_LDADD = host/libmbedx509-san.a $(LDADD)
tests_unit_test_ctltls_DEPENDENCIES = host/libmbedx509-san.a
TESTS += tests/unit/test_ctltls
