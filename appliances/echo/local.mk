# SPDX-License-Identifier: BSD-2-Clause
# The echo appliance: ping, TCP/UDP echo (port 7) and a small HTTP server
# (port 80) on every NIC, through lwIP (net/local.mk).
ECHO_SRCS = appliances/echo/echo.c appliances/echo/services.c
ECHO_OBJS = $(addprefix k/,$(ECHO_SRCS:.c=.o))
k/appliances/echo/%.o: KERNEL_INTERNAL_CPPFLAGS = # public headers only (kernel/local.mk)
k/appliances/echo/%.o: $(srcdir)/appliances/echo/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<
-include $(ECHO_OBJS:.o=.d)

images_DATA += appliances/echo/echo.elf
appliances/echo/echo.elf: $(ECHO_OBJS) $(NET_LIBS)
# (images_DATA makes `all`, and so `check`, build it; see net/local.mk on check_DATA.)
CLEANFILES += appliances/echo/echo.elf appliances/echo/echo.dbg
EXTRA_DIST += $(ECHO_SRCS) appliances/echo/echo.h include/sluice/net.h

# Boot the echo appliance on QEMU with a user-mode NIC (ECHO_ARGS: e.g. ip=dhcp).
run-echo: appliances/echo/echo.elf
	$(SHELL) $(srcdir)/scripts/run-qemu --machine q35 --image appliances/echo/echo.elf \
		--append "$(ECHO_ARGS)"
.PHONY: run-echo
