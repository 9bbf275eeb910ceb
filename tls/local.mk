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
# The PSA core and its driver dispatch are compiled from copies patched
# with the X25519 driver's hooks (below).
MBEDTLS_DRV_PATCHED = $(addprefix $(MBEDTLS_SRCDIR)/library/,psa_crypto.c \
	psa_crypto_driver_wrappers_no_static.c)
MBEDTLS_SRCS = $(filter-out $(MBEDTLS_UNIX_ONLY) $(MBEDTLS_DRV_PATCHED),\
	$(wildcard $(MBEDTLS_SRCDIR)/library/*.c))
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

# X25519 from HACL* (mbedTLS's 3rdparty/everest) as a PSA transparent
# driver (tls/x25519_drv.h): mbedTLS 3.6 does not generate dispatch code
# for key generation and agreement, so tls/patch-psa-wrappers adds the
# driver's calls to copies of the dispatch layer in k/mbedtls-drv/, where
# the copied psa_crypto.c finds the patched header next to itself.
EVEREST_DIR = $(MBEDTLS_SRCDIR)/3rdparty/everest
EVEREST_CPPFLAGS = -I$(EVEREST_DIR)/include/everest -I$(EVEREST_DIR)/include/everest/kremlib
EVEREST_OBJS = k/everest/Hacl_Curve25519.o k/everest/FStar_UInt64_FStar_UInt32_FStar_UInt16_FStar_UInt8.o
MBEDTLS_DRV_OBJS = k/mbedtls-drv/psa_crypto.o k/mbedtls-drv/psa_crypto_driver_wrappers_no_static.o

k/mbedtls-drv/psa_crypto_driver_wrappers.h: $(MBEDTLS_SRCDIR)/library/psa_crypto_driver_wrappers.h \
		$(srcdir)/tls/patch-psa-wrappers
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(SHELL) $(srcdir)/tls/patch-psa-wrappers $< $@
k/mbedtls-drv/psa_crypto_driver_wrappers_no_static.c: \
		$(MBEDTLS_SRCDIR)/library/psa_crypto_driver_wrappers_no_static.c \
		$(srcdir)/tls/patch-psa-wrappers
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(SHELL) $(srcdir)/tls/patch-psa-wrappers $< $@
k/mbedtls-drv/psa_crypto.c: $(MBEDTLS_SRCDIR)/library/psa_crypto.c
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp $< $@
k/mbedtls-drv/psa_crypto.o: k/mbedtls-drv/psa_crypto_driver_wrappers.h
k/mbedtls-drv/%.o: KERNEL_INTERNAL_CPPFLAGS =
k/mbedtls-drv/%.o: k/mbedtls-drv/%.c $(srcdir)/tls/mbedtls_config.h $(srcdir)/tls/x25519_drv.h Makefile
	$(AM_V_KCC)$(KCOMPILE) $(MBEDTLS_CPPFLAGS) -I$(MBEDTLS_SRCDIR)/library -DSLUICE_X25519_DRIVER \
		$(MBEDTLS_WFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<
k/everest/%.o: KERNEL_INTERNAL_CPPFLAGS =
k/everest/%.o: $(EVEREST_DIR)/library/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && $(KCOMPILE) $(MBEDTLS_CPPFLAGS) $(EVEREST_CPPFLAGS) \
		-MD -MP -MF $(@:.o=.d) -c -o $@ $<
k/everest/%.o: $(EVEREST_DIR)/library/kremlib/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && $(KCOMPILE) $(MBEDTLS_CPPFLAGS) $(EVEREST_CPPFLAGS) \
		-MD -MP -MF $(@:.o=.d) -c -o $@ $<

MBEDTLS_ALL_OBJS = $(MBEDTLS_OBJS) $(MBEDTLS_DRV_OBJS) $(EVEREST_OBJS)
k/libmbedtls.a: $(MBEDTLS_ALL_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(MBEDTLS_ALL_OBJS) && $(RANLIB) $@

# The glue: the kernel's RNG and clock for PSA, lwIP's TCP under mbedTLS's
# BIO callbacks. Public headers only (kernel/local.mk), plus lwIP's.
TLS_SRCS = tls/tlsplat.c tls/tlsconn.c tls/proxyproto.c tls/certstore.c tls/x25519_drv.c
TLS_HDRS = tls/mbedtls_config.h tls/tlsplat.h tls/tlsconn.h tls/proxyproto.h tls/certstore.h \
	tls/x25519_drv.h
TLS_OBJS = $(addprefix k/,$(TLS_SRCS:.c=.o))
k/tls/%.o: KERNEL_INTERNAL_CPPFLAGS =
k/tls/%.o: $(srcdir)/tls/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(MBEDTLS_CPPFLAGS) $(EVEREST_CPPFLAGS) $(LWIP_CPPFLAGS) -MD -MP -MF $(@:.o=.d) \
		-c -o $@ $<

TLS_LIBS = $(TLS_OBJS) k/libmbedtls.a

-include $(MBEDTLS_ALL_OBJS:.o=.d) $(TLS_OBJS:.o=.d)
EXTRA_DIST += $(TLS_SRCS) $(TLS_HDRS) tls/local.mk tls/patch-psa-wrappers
