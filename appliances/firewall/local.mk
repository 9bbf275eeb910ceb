# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The firewall appliance (docs/firewall.md): a stateful packet filter,
# bridging net0 and net1 or routing (through lwIP's addresses, net/local.mk),
# with the rule compiler (FW_RULES_SRCS, tests/unit/firewall.mk), on the
# shared network-function layer (NF_LIBS, nf/local.mk). Every file is
# compiled with the kernel's flags.
# (Automake hoists variables above rules, so FW_RULES_SRCS, defined in a
# later fragment, is set by the time the image rule is read.)
FW_APP_SRCS = appliances/firewall/firewall.c appliances/firewall/fwfilter.c \
	appliances/firewall/fwreject.c appliances/firewall/fwreply.c \
	appliances/firewall/bridge.c appliances/firewall/routed.c \
	appliances/firewall/config.c appliances/firewall/fwconf.c appliances/firewall/stats.c
FW_APP_HDRS = appliances/firewall/fw.h appliances/firewall/fwelem.h \
	appliances/firewall/fwmode.h appliances/firewall/fwsvc.h appliances/firewall/fwconf.h
FW_IMAGE_SRCS = $(FW_APP_SRCS) $(FW_RULES_SRCS)
FW_IMAGE_OBJS = $(addprefix k/,$(FW_IMAGE_SRCS:.c=.o))

k/appliances/firewall/%.o: KERNEL_INTERNAL_CPPFLAGS = # public headers only (kernel/local.mk)
k/appliances/firewall/%.o: $(srcdir)/appliances/firewall/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) -I$(srcdir)/appliances/firewall -MD -MP -MF $(@:.o=.d) \
		-c -o $@ $<
-include $(FW_IMAGE_OBJS:.o=.d)

images_DATA += appliances/firewall/firewall.elf
appliances/firewall/firewall.elf: $(IMAGE_DEPS) $(FW_IMAGE_OBJS) $(NF_LIBS) $(NET_LIBS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(LINK_IMAGE) $@ $(KERNEL_OBJS) $(FW_IMAGE_OBJS) $(NF_LIBS) $(NET_LIBS)
CLEANFILES += appliances/firewall/firewall.elf appliances/firewall/firewall.dbg
EXTRA_DIST += $(FW_APP_SRCS) $(FW_APP_HDRS) appliances/firewall/firewall.cfg docs/firewall.md

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
