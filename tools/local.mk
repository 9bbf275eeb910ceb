# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Host tools, installed with `make install`. They are ordinary programs:
# no Check and no sanitizers (those come with AM_CFLAGS/LDADD for the unit
# tests), hence their own flags.

# sluice-logread: print a log disk written by kernel/logsink.c.
bin_PROGRAMS += tools/sluice-logread
tools_sluice_logread_SOURCES = tools/sluice-logread.c kernel/lib/logring.c kernel/lib/crc32.c \
	kernel/lib/numparse.c
tools_sluice_logread_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -I$(top_srcdir)/include
tools_sluice_logread_LDFLAGS =
tools_sluice_logread_LDADD =

# sluice-ctl: list Sluice appliances, push configurations, read statistics
# (docs/hostcfg.md), through xenstore from dom0 or through a QEMU
# appliance's control socket. It links the firewall's
# rule compiler (FW_RULES_SRCS, tests/unit/firewall.mk) and the load
# balancer's parser (LB_CORE_SRCS, appliances/lb/local.mk) to check a file
# before pushing it, and Debian's libxenstore and libxenctrl (libxen-dev).
bin_PROGRAMS += tools/sluice-ctl
tools_sluice_ctl_SOURCES = tools/sluice-ctl.c tools/ctl_app.c tools/ctl_xs.c tools/ctl_sock.c \
	tools/ctl_validate.c tools/ctl_proto.c tools/ctl_int.h kernel/lib/hcproto.c kernel/lib/hcstore.c \
	kernel/lib/numparse.c \
	$(FW_RULES_SRCS) $(FW_RULES_HDRS) $(LB_CORE_SRCS) $(LB_CORE_HDRS) kernel/lib/inaddr.c nf/csum.c \
	tools/ctl_tls.c tools/ctl_archive.c tools/ctl_archive.h appliances/tls/tlsconf.c appliances/tls/tlsconf.h tls/certstore.c tls/certstore.h
tools_sluice_ctl_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -I$(top_srcdir)/include $(XEN_CPPFLAGS) \
	-I$(top_srcdir)/appliances/lb -I$(top_srcdir)/appliances/tls $(MBEDTLS_HOST_CPPFLAGS) \
	$(LIBARCHIVE_CFLAGS)
tools_sluice_ctl_LDFLAGS =
# The TLS terminator's check and push (tools/ctl_tls.c): the appliance's
# parser and certificate store on the host build of mbedTLS
# (tests/unit/tls.mk), and libarchive's headers for the pushed archive
# (the library itself is loaded on first use: tools/ctl_archive.c).
tools_sluice_ctl_LDADD = host/libmbedx509.a -lxenstore -lxenctrl
tools_sluice_ctl_DEPENDENCIES = host/libmbedx509.a

# The firewall appliance on real Xen, driven by sluice-ctl (tests/xen/firewall.test).
FW_XEN_TESTS = tests/xen/firewall.test
EXTRA_DIST += tests/xen/jobs/firewall.sh
