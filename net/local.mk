# SPDX-License-Identifier: BSD-2-Clause
# The network stack: lwIP 2.2 (compiled from $(LWIP_SRCDIR), never copied
# into the tree) with the kernel's flags, plus the Sluice glue in net/.
# An appliance that uses the network links $(NET_LIBS) after its own
# objects and lists $(NET_LIBS) among its image's prerequisites.

# Everything NO_SYS can use: the core, IPv4, IPv6 and Ethernet. The
# sequential APIs (src/api) need threads, and the other netifs (PPP,
# 6LoWPAN, SLIP, bridge) are not Ethernet NICs. Files whose feature is off
# in lwipopts.h compile to nothing.
LWIP_SRCS = $(wildcard $(LWIP_SRCDIR)/src/core/*.c $(LWIP_SRCDIR)/src/core/ipv4/*.c \
	$(LWIP_SRCDIR)/src/core/ipv6/*.c) $(LWIP_SRCDIR)/src/netif/ethernet.c
LWIP_OBJS = $(patsubst $(LWIP_SRCDIR)/src/%.c,k/lwip/%.o,$(LWIP_SRCS))
LWIP_CPPFLAGS = -I$(srcdir)/net/include -I$(LWIP_SRCDIR)/src/include
# lwIP 2.2.1 compiles cleanly with the kernel's -Wall -Wextra -Werror;
# should a new release trip a warning, add a targeted -Wno-... here only.
LWIP_WFLAGS =

k/lwip/%.o: $(LWIP_SRCDIR)/src/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) $(LWIP_WFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<

k/liblwip.a: $(LWIP_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(LWIP_OBJS) && $(RANLIB) $@

# The glue sees lwIP's headers and our port headers.
NET_SRCS = net/lwip_port.c net/netif.c net/config.c net/status.c
NET_OBJS = $(addprefix k/,$(NET_SRCS:.c=.o))
# lwIP and net/ see only the public headers (kernel/local.mk).
k/lwip/%.o: KERNEL_INTERNAL_CPPFLAGS =
k/net/%.o: KERNEL_INTERNAL_CPPFLAGS =
k/net/%.o: $(srcdir)/net/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<

# What a network appliance adds to its link (objects first, then the archive).
NET_LIBS = $(NET_OBJS) k/liblwip.a

-include $(LWIP_OBJS:.o=.d) $(NET_OBJS:.o=.d)
EXTRA_DIST += $(NET_SRCS) net/net_priv.h net/include/lwipopts.h net/include/arch/cc.h
