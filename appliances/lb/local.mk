# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The load balancer appliance (docs/loadbalancer.md). LB_CORE_SRCS is its
# pure logic (configuration language, Maglev, NAT, health counter): linked
# into the image, into sluice-ctl's validator and into the host unit tests
# (tests/unit/lb.mk) as they are.
LB_CORE_SRCS = appliances/lb/lbconf.c appliances/lb/lbconf_val.c appliances/lb/maglev.c \
	appliances/lb/lbnat.c appliances/lb/lbhealth.c
LB_CORE_HDRS = appliances/lb/lbcore.h appliances/lb/lbconf_int.h
EXTRA_DIST += $(LB_CORE_SRCS) $(LB_CORE_HDRS)

# The appliance: the core above plus its pipeline parts, compiled with the
# kernel's flags (and lwIP's headers: health checks use its raw TCP API).
LB_APP_SRCS = appliances/lb/lb.c appliances/lb/lbelem.c appliances/lb/lbflow.c \
	appliances/lb/lbstate.c appliances/lb/lbcheck.c appliances/lb/lbcfg.c
LB_APP_HDRS = appliances/lb/lb.h
LB_IMAGE_SRCS = $(LB_APP_SRCS) $(LB_CORE_SRCS)
LB_IMAGE_OBJS = $(addprefix k/,$(LB_IMAGE_SRCS:.c=.o))

k/appliances/lb/%.o: $(srcdir)/appliances/lb/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) -I$(srcdir)/appliances/lb -MD -MP -MF $(@:.o=.d) \
		-c -o $@ $<
-include $(LB_IMAGE_OBJS:.o=.d)

images_DATA += appliances/lb/lb.elf
appliances/lb/lb.elf: $(IMAGE_DEPS) $(LB_IMAGE_OBJS) $(NF_LIBS) $(NET_LIBS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(LINK_IMAGE) $@ $(KERNEL_OBJS) $(LB_IMAGE_OBJS) $(NF_LIBS) $(NET_LIBS)
CLEANFILES += appliances/lb/lb.elf appliances/lb/lb.dbg
EXTRA_DIST += $(LB_APP_SRCS) $(LB_APP_HDRS) appliances/lb/lb.cfg docs/loadbalancer.md
