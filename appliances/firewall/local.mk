# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The firewall appliance (docs/firewall.md): a stateful packet filter,
# bridging net0 and net1 or routing (through lwIP's addresses, net/local.mk),
# with the rule compiler (FW_RULES_SRCS, tests/unit/firewall.mk) and the
# connection tracker built in. Every file is compiled with the kernel's flags.
# (Automake hoists variables above rules, so FW_RULES_SRCS, defined in a
# later fragment, is set by the time the image rule is read.)
FW_APP_SRCS = appliances/firewall/firewall.c appliances/firewall/pipeline.c \
	appliances/firewall/fwfilter.c appliances/firewall/fwreject.c \
	appliances/firewall/bridge.c appliances/firewall/routed.c appliances/firewall/neigh.c \
	appliances/firewall/config.c appliances/firewall/fwconf.c appliances/firewall/stats.c
FW_CT_SRCS = appliances/firewall/pktparse.c appliances/firewall/conntrack.c \
	appliances/firewall/conntrack_tcp.c
FW_IMAGE_SRCS = $(FW_APP_SRCS) $(FW_CT_SRCS) $(FW_RULES_SRCS)
FW_IMAGE_OBJS = $(addprefix k/,$(FW_IMAGE_SRCS:.c=.o))

k/appliances/firewall/%.o: $(srcdir)/appliances/firewall/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) -I$(srcdir)/appliances/firewall -MD -MP -MF $(@:.o=.d) \
		-c -o $@ $<
-include $(FW_IMAGE_OBJS:.o=.d)

images_DATA += appliances/firewall/firewall.elf
appliances/firewall/firewall.elf: $(IMAGE_DEPS) $(FW_IMAGE_OBJS) $(NET_LIBS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(LINK_IMAGE) $@ $(KERNEL_OBJS) $(FW_IMAGE_OBJS) $(NET_LIBS)
CLEANFILES += appliances/firewall/firewall.elf appliances/firewall/firewall.dbg
EXTRA_DIST += $(FW_APP_SRCS) $(FW_CT_SRCS) appliances/firewall/fwapp.h \
	include/sluice/pipeline.h appliances/firewall/firewall.cfg docs/firewall.md

# Boot the firewall on QEMU with two NICs on isolated QEMU hubs, connected to
# nothing (FW_ARGS: its command
# line, e.g. FW_ARGS='rules="policy accept"'); tests/net/firewall.test
# wires it between two network namespaces instead.
run-firewall: appliances/firewall/firewall.elf
	$(SHELL) $(srcdir)/scripts/run-qemu --machine q35 --mem 128 \
		--image appliances/firewall/firewall.elf --append "$(FW_ARGS)" -- \
		-netdev hubport,id=n0,hubid=0 -device virtio-net-pci,netdev=n0 \
		-netdev hubport,id=n1,hubid=1 -device virtio-net-pci,netdev=n1
.PHONY: run-firewall
