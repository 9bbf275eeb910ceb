# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# mbedTLS 3.6 (compiled from $(MBEDTLS_SRCDIR), never copied into the tree)
# with the kernel's flags and our configuration (tls/mbedtls_config.h), into
# k/libmbedtls.a, plus the Sluice glue in tls/. Only images that terminate
# TLS link it: an appliance adds $(TLS_LIBS) after its own objects and
# before $(NET_LIBS).
#
# Every library source is compiled but the three that exist only for Unix
# and Windows (sockets, timers, OS entropy: the kernel has its own); whatever
# the configuration leaves out compiles to nothing and --gc-sections drops what no one calls.
MBEDTLS_UNIX_ONLY = $(addprefix $(MBEDTLS_SRCDIR)/library/,net_sockets.c timing.c entropy_poll.c)
MBEDTLS_SRCS = $(filter-out $(MBEDTLS_UNIX_ONLY),$(wildcard $(MBEDTLS_SRCDIR)/library/*.c))
MBEDTLS_OBJS = $(patsubst $(MBEDTLS_SRCDIR)/library/%.c,k/mbedtls/%.o,$(MBEDTLS_SRCS))
MBEDTLS_CPPFLAGS = -I$(srcdir)/tls -I$(MBEDTLS_SRCDIR)/include \
	-DMBEDTLS_CONFIG_FILE='<mbedtls_config.h>'
# mbedTLS 3.6.6 trips one of the kernel's warnings, in code it owns: a
# parameter left unused when a feature is configured out (ssl_msg.c without
# a TLS client). Ours stay -Werror.
MBEDTLS_WFLAGS = -Wno-unused-parameter

k/mbedtls/%.o: KERNEL_INTERNAL_CPPFLAGS =
k/mbedtls/%.o: $(MBEDTLS_SRCDIR)/library/%.c $(srcdir)/tls/mbedtls_config.h Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(MBEDTLS_CPPFLAGS) $(MBEDTLS_WFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<

k/libmbedtls.a: $(MBEDTLS_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(MBEDTLS_OBJS) && $(RANLIB) $@

# The glue: the kernel's RNG and clock for PSA, lwIP's TCP under mbedTLS's
# BIO callbacks. Public headers only (kernel/local.mk), plus lwIP's.
TLS_SRCS = tls/tlsplat.c tls/tlsconn.c tls/proxyproto.c tls/certstore.c
TLS_HDRS = tls/mbedtls_config.h tls/tlsplat.h tls/tlsconn.h tls/proxyproto.h tls/certstore.h
TLS_OBJS = $(addprefix k/,$(TLS_SRCS:.c=.o))
k/tls/%.o: KERNEL_INTERNAL_CPPFLAGS =
k/tls/%.o: $(srcdir)/tls/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(MBEDTLS_CPPFLAGS) $(LWIP_CPPFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<

TLS_LIBS = $(TLS_OBJS) k/libmbedtls.a

-include $(MBEDTLS_OBJS:.o=.d) $(TLS_OBJS:.o=.d)
EXTRA_DIST += $(TLS_SRCS) $(TLS_HDRS) tls/local.mk
