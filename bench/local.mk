# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks print figures; they are run by hand or by CI, never asserted as tests.
bench-boot: appliances/hello/hello.elf
	$(SHELL) $(srcdir)/bench/boot --image appliances/hello/hello.elf
.PHONY: bench-boot
bench-net: appliances/echo/echo.elf
	$(SHELL) $(srcdir)/bench/net --image appliances/echo/echo.elf
.PHONY: bench-net
bench-blk: tests/boot/blktest.elf
	$(SHELL) $(srcdir)/bench/blk --image tests/boot/blktest.elf
.PHONY: bench-blk
bench-firewall: appliances/firewall/firewall.elf
	$(SHELL) $(srcdir)/bench/firewall --image appliances/firewall/firewall.elf
.PHONY: bench-firewall
EXTRA_DIST += bench/boot bench/firewall
# The same on real Xen (the nested rig): hello and the firewall, with boot timelines.
bench-boot-xen: appliances/hello/hello.elf appliances/firewall/firewall.elf
	$(SHELL) $(srcdir)/bench/boot-xen --hello appliances/hello/hello.elf \
		--firewall appliances/firewall/firewall.elf
.PHONY: bench-boot-xen
EXTRA_DIST += bench/boot-xen
bench-lb: appliances/lb/lb.elf
	$(SHELL) $(srcdir)/bench/lb --image appliances/lb/lb.elf
.PHONY: bench-lb
EXTRA_DIST += bench/lb bench/lb-tool.c bench/lb-maglev.c
bench-tls: appliances/tls/tls.elf
	$(SHELL) $(srcdir)/bench/tls --image appliances/tls/tls.elf
.PHONY: bench-tls
EXTRA_DIST += bench/tls
