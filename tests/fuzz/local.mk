# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# libFuzzer harnesses (docs/fuzzing.md): host programs built with clang,
# whatever CC configure chose, because libFuzzer is clang's. They are not
# part of `all` or `check`; `make fuzz` builds them and runs each for
# FUZZ_SECONDS on a scratch copy of its seed corpus (tests/fuzz/corpus/NAME),
# failing if any crashes. `make fuzz-build` only builds them.
FUZZ_CC = clang
FUZZ_SECONDS = 10
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Wall -Wextra -Werror
FUZZ_CPPFLAGS = -I$(top_srcdir)/include -I$(top_srcdir)/kernel/include $(XEN_CPPFLAGS)
# (A driver's *_xs.c, and blkdev.c, are #included by their harness, not compiled alone.)
FUZZ_COMPILE = @mkdir -p tests/fuzz && echo "  FUZZCC   $@" && \
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -o $@ $(filter-out %_xs.c %/blkdev.c,$(filter %.c,$^))

FUZZ_NAMES = numparse inaddr cmdline ustar confgen ctlproto fwrules conntrack hcproto \
	virtqueue xenstore netfront blkfront lbconf lbnat tlsconf certstore tlspush
FUZZ_PROGS = $(addprefix tests/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_DEPS = tests/fuzz/fuzz.h tests/fuzz/local.mk
CLEANFILES += $(FUZZ_PROGS)

tests/fuzz/fuzz_numparse: tests/fuzz/fuzz_numparse.c kernel/lib/numparse.c $(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_inaddr: tests/fuzz/fuzz_inaddr.c kernel/lib/inaddr.c kernel/lib/numparse.c $(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_cmdline: tests/fuzz/fuzz_cmdline.c kernel/lib/cmdline.c kernel/lib/numparse.c \
		$(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_ustar: tests/fuzz/fuzz_ustar.c kernel/lib/ustar.c kernel/lib/numparse.c \
		$(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_confgen: tests/fuzz/fuzz_confgen.c nf/confchan.c kernel/lib/numparse.c \
		$(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_ctlproto: tests/fuzz/fuzz_ctlproto.c tools/ctl_proto.c kernel/lib/numparse.c \
		$(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_fwrules: tests/fuzz/fuzz_fwrules.c $(FW_RULES_SRCS) $(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_conntrack: tests/fuzz/fuzz_conntrack.c nf/pktparse.c nf/conntrack.c \
		nf/conntrack_table.c nf/conntrack_tcp.c nf/defrag.c $(FW_RULES_SRCS) $(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_hcproto: tests/fuzz/fuzz_hcproto.c kernel/lib/hcproto.c kernel/lib/hcstore.c \
		$(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_virtqueue: tests/fuzz/fuzz_virtqueue.c drivers/virtio/virtqueue.c $(FUZZ_DEPS)
	$(FUZZ_COMPILE) -I$(top_srcdir)/drivers/virtio
tests/fuzz/fuzz_xenstore: tests/fuzz/fuzz_xenstore.c xen/xs.c xen/xs_ring.c kernel/lib/numparse.c \
		$(FUZZ_DEPS)
	$(FUZZ_COMPILE)
tests/fuzz/fuzz_lbconf: tests/fuzz/fuzz_lbconf.c $(LB_CORE_SRCS) nf/csum.c kernel/lib/inaddr.c \
		kernel/lib/numparse.c $(FUZZ_DEPS)
	$(FUZZ_COMPILE) -I$(top_srcdir)/appliances/lb
tests/fuzz/fuzz_lbnat: tests/fuzz/fuzz_lbnat.c appliances/lb/lbnat.c nf/pktparse.c nf/csum.c \
		$(FUZZ_DEPS)
	$(FUZZ_COMPILE) -I$(top_srcdir)/appliances/lb
tests/fuzz/fuzz_tlsconf: tests/fuzz/fuzz_tlsconf.c $(TLSCONF_SRCS) $(FUZZ_DEPS)
	$(FUZZ_COMPILE) -I$(top_srcdir)/appliances/tls

# The certificate store links mbedTLS (the sources of tests/unit/tls.mk's
# host build) compiled with clang's coverage and sanitizers, and starts
# from seeds made at build time: they hold private keys, never committed.
FUZZ_MBEDTLS_OBJS = $(patsubst $(MBEDTLS_SRCDIR)/library/%.c,tests/fuzz/mbedtls/%.o,$(MBEDTLS_HOST_SRCS))
tests/fuzz/mbedtls/%.o: $(MBEDTLS_SRCDIR)/library/%.c $(top_srcdir)/tls/mbedtls_config.h
	@mkdir -p $(@D) && echo "  FUZZCC   $@" && $(FUZZ_CC) -std=gnu11 -g -O1 \
		-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
		$(MBEDTLS_HOST_CPPFLAGS) -c -o $@ $<
tests/fuzz/libmbedx509.a: $(FUZZ_MBEDTLS_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(FUZZ_MBEDTLS_OBJS) && $(RANLIB) $@
tests/fuzz/seeds/certstore: $(top_srcdir)/tests/fuzz/mkcertseeds $(top_srcdir)/tests/unit/mkcerts
	$(AM_V_GEN)rm -rf $@ && $(top_srcdir)/tests/fuzz/mkcertseeds \
		$(top_srcdir)/tests/unit/mkcerts $@
tests/fuzz/fuzz_certstore: tests/fuzz/fuzz_certstore.c tls/certstore.c tests/fuzz/libmbedx509.a \
		tests/fuzz/seeds/certstore $(FUZZ_DEPS)
	$(FUZZ_COMPILE) -I$(top_srcdir)/tls $(MBEDTLS_HOST_CPPFLAGS) tests/fuzz/libmbedx509.a
CLEANFILES += tests/fuzz/libmbedx509.a $(FUZZ_MBEDTLS_OBJS)

# The TLS terminator's push path (appliances/tls/tlsrt.c: base64, ustar,
# tls.cfg, the certificate store, an mbedTLS server config per listener):
# mbedTLS as above plus its TLS sources; lwIP's headers only (tls.h names
# its types). Seeds hold private keys: made at build time, as certstore's.
FUZZ_MBEDTLS_SSL_OBJS = $(patsubst $(MBEDTLS_SRCDIR)/library/%.c,tests/fuzz/mbedtls/%.o,\
	$(wildcard $(MBEDTLS_SRCDIR)/library/ssl_*.c))
tests/fuzz/libmbedssl.a: $(FUZZ_MBEDTLS_SSL_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(FUZZ_MBEDTLS_SSL_OBJS) && $(RANLIB) $@
tests/fuzz/seeds/tlspush: $(top_srcdir)/tests/fuzz/mktlspushseeds $(top_srcdir)/tests/unit/mkcerts
	$(AM_V_GEN)rm -rf $@ && $(top_srcdir)/tests/fuzz/mktlspushseeds \
		$(top_srcdir)/tests/unit/mkcerts $@
tests/fuzz/fuzz_tlspush: tests/fuzz/fuzz_tlspush.c appliances/tls/tlsrt.c tls/certstore.c \
		kernel/lib/ustar.c $(TLSCONF_SRCS) tests/fuzz/libmbedssl.a tests/fuzz/libmbedx509.a \
		tests/fuzz/seeds/tlspush $(FUZZ_DEPS)
	$(FUZZ_COMPILE) -I$(top_srcdir)/appliances/tls -I$(top_srcdir)/tls \
		-I$(top_srcdir)/net/include -I$(LWIP_SRCDIR)/src/include $(MBEDTLS_HOST_CPPFLAGS) \
		tests/fuzz/libmbedssl.a tests/fuzz/libmbedx509.a
CLEANFILES += tests/fuzz/libmbedssl.a $(FUZZ_MBEDTLS_SSL_OBJS)

# The driver harnesses run the drivers against the unit tests' fakes with an
# input-scoped heap (scoped_heap.h, forced in); they compile the driver's
# xenstore file into the harness to reset its file-scope state.
FUZZ_HEAP = -include $(top_srcdir)/tests/fuzz/scoped_heap.h
FUZZ_NETFRONT_SRCS = tests/fuzz/fuzz_netfront.c tests/fuzz/scoped_heap.c \
	tests/unit/fake_netback.c tests/unit/fake_kernel.c tests/unit/fake_xenstore.c \
	tests/unit/fake_xen.c drivers/netfront/netfront.c drivers/netfront/netfront_tx.c \
	drivers/netfront/netfront_rx.c xen/evtchn.c xen/gnttab.c xen/xs.c xen/xs_ring.c \
	xen/xenbus.c kernel/lib/timerq.c kernel/lib/irqstorm.c kernel/lib/numparse.c
tests/fuzz/fuzz_netfront: $(FUZZ_NETFRONT_SRCS) drivers/netfront/netfront_xs.c \
		tests/fuzz/scoped_heap.h $(FUZZ_DEPS)
	$(FUZZ_COMPILE) $(FUZZ_HEAP)
FUZZ_BLKFRONT_SRCS = tests/fuzz/fuzz_blkfront.c tests/fuzz/scoped_heap.c \
	tests/unit/fake_blkback.c tests/unit/fake_kernel.c tests/unit/fake_xenstore.c \
	tests/unit/fake_xen.c drivers/blkfront/blkfront.c xen/evtchn.c xen/gnttab.c xen/xs.c \
	xen/xs_ring.c xen/xenbus.c kernel/lib/timerq.c kernel/lib/irqstorm.c kernel/lib/numparse.c
tests/fuzz/fuzz_blkfront: $(FUZZ_BLKFRONT_SRCS) drivers/blkfront/blkfront_xs.c \
		drivers/blkfront/blkfront_keys.c kernel/blkdev.c tests/fuzz/scoped_heap.h $(FUZZ_DEPS)
	$(FUZZ_COMPILE) $(FUZZ_HEAP)

fuzz-build: $(FUZZ_PROGS)
fuzz: fuzz-build
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz \
		$(top_srcdir)/tests/fuzz/corpus tests/fuzz $(FUZZ_NAMES)
# Scratch corpora, logs and crash inputs of past runs.
clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/work tests/fuzz/fuzz_*.log tests/fuzz/*-crash-* tests/fuzz/seeds
.PHONY: fuzz fuzz-build clean-fuzz
EXTRA_DIST += tests/fuzz/run-fuzz $(addsuffix .c,$(FUZZ_PROGS)) $(FUZZ_DEPS) \
	tests/fuzz/scoped_heap.c tests/fuzz/scoped_heap.h tests/fuzz/mkcorpus tests/fuzz/fwrules.dict \
	tests/fuzz/corpus docs/fuzzing.md tests/fuzz/mkcertseeds tests/fuzz/mktlspushseeds
