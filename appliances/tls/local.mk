# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The TLS terminator appliance (docs/tls.md): lwIP's raw TCP API (net/),
# mbedTLS and the TLS glue (tls/local.mk), the configuration channel and
# counters of nf/. TLS_CONF_SRCS is the configuration file's parser: pure
# logic, also built into sluice-ctl's validator and the host unit tests.
TLS_CONF_SRCS = appliances/tls/tlsconf.c
TLS_APP_SRCS = appliances/tls/tls.c appliances/tls/tlsrt.c appliances/tls/tlssess.c
TLS_APP_HDRS = appliances/tls/tls.h appliances/tls/tlsconf.h
TLS_IMAGE_SRCS = $(TLS_APP_SRCS) $(TLS_CONF_SRCS)
TLS_IMAGE_OBJS = $(addprefix k/,$(TLS_IMAGE_SRCS:.c=.o))

k/appliances/tls/%.o: KERNEL_INTERNAL_CPPFLAGS = # public headers only (kernel/local.mk)
k/appliances/tls/%.o: $(srcdir)/appliances/tls/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(MBEDTLS_CPPFLAGS) $(LWIP_CPPFLAGS) -I$(srcdir)/appliances/tls \
		-MD -MP -MF $(@:.o=.d) -c -o $@ $<
-include $(TLS_IMAGE_OBJS:.o=.d)

images_DATA += appliances/tls/tls.elf
appliances/tls/tls.elf: $(IMAGE_DEPS) $(TLS_IMAGE_OBJS) $(NF_LIBS) $(TLS_LIBS) $(NET_LIBS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(LINK_IMAGE) $@ $(KERNEL_OBJS) $(TLS_IMAGE_OBJS) $(NF_LIBS) $(TLS_LIBS) $(NET_LIBS)
CLEANFILES += appliances/tls/tls.elf appliances/tls/tls.dbg
EXTRA_DIST += $(TLS_APP_SRCS) $(TLS_APP_HDRS) $(TLS_CONF_SRCS) appliances/tls/tls.cfg docs/tls.md
