# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# nf/: the shared network-function layer between net/ and the appliances
# (kernel -> drivers -> net -> nf -> appliances): the packet pipeline, the
# parser and connection tracking, checksums, ports, neighbour and route
# lookup, the stats registry and the pipeline appliance skeleton. Public
# headers are include/sluice/nf/. Compiled with the kernel's flags (and
# lwIP's headers: routes and neighbours read lwIP's netifs); an appliance
# links $(NF_LIBS) before $(NET_LIBS).
#
# NF_PURE_SRCS have no kernel calls: host unit tests link them as they are.
NF_PURE_SRCS = nf/pipeline.c nf/pktparse.c nf/conntrack.c nf/conntrack_table.c nf/conntrack_tcp.c \
	nf/ct_elem.c nf/parse_elem.c nf/defrag.c nf/defrag_elem.c nf/csum.c nf/answer.c nf/route_parse.c nf/stats.c
NF_SRCS = $(NF_PURE_SRCS) nf/ct_svc.c nf/port.c nf/neigh.c nf/route.c nf/router.c nf/log.c nf/app.c \
	nf/confchan.c nf/publish.c
NF_HDRS = include/sluice/nf/pipeline.h include/sluice/nf/pktmeta.h \
	include/sluice/nf/conntrack.h include/sluice/nf/ct.h include/sluice/nf/parse.h \
	include/sluice/nf/csum.h include/sluice/nf/answer.h include/sluice/nf/port.h \
	include/sluice/nf/neigh.h include/sluice/nf/route.h include/sluice/nf/router.h \
	include/sluice/nf/stats.h include/sluice/nf/log.h include/sluice/nf/app.h \
	include/sluice/nf/confchan.h include/sluice/nf/defrag.h
NF_OBJS = $(addprefix k/,$(NF_SRCS:.c=.o))

k/nf/%.o: KERNEL_INTERNAL_CPPFLAGS = # public headers only (kernel/local.mk)
k/nf/%.o: $(srcdir)/nf/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) -MD -MP -MF $(@:.o=.d) -c -o $@ $<
-include $(NF_OBJS:.o=.d)

NF_LIBS = $(NF_OBJS)
EXTRA_DIST += $(NF_SRCS) $(NF_HDRS)
