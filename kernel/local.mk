# SPDX-License-Identifier: BSD-2-Clause
# The kernel is built with its own compiler flags (KERNEL_*), never the
# user's CFLAGS, through the pattern rules below: objects land in k/ and
# depend on the Makefile, so that a reconfigure with new flags rebuilds them.
KERNEL_SRCS = \
	kernel/arch/x86_64/boot.S \
	kernel/arch/x86_64/isr.S \
	kernel/arch/x86_64/stacks.S \
	kernel/arch/x86_64/cpu.c \
	kernel/arch/x86_64/idt.c \
	kernel/arch/x86_64/fault.c \
	kernel/arch/x86_64/lapic.c \
	kernel/arch/x86_64/pit.c \
	kernel/mm/mm.c \
	kernel/mm/paging.c \
	kernel/time/rtc.c \
	kernel/plat/plat.c \
	kernel/plat/qemu.c \
	kernel/acpi.c \
	kernel/boot.c \
	kernel/console.c \
	kernel/evloop.c \
	kernel/libc_glue.c \
	kernel/main.c \
	kernel/netdev.c \
	kernel/blkdev.c \
	kernel/configdisk.c \
	kernel/hostcfg.c \
	kernel/hostcfg_local.c \
	kernel/logsink.c \
	kernel/random.c \
	kernel/statedump.c \
	kernel/lib/cmdline.c \
	kernel/lib/crc32.c \
	kernel/lib/hcproto.c \
	kernel/lib/hcstore.c \
	kernel/lib/inaddr.c \
	kernel/lib/irqstorm.c \
	kernel/lib/ksyms.c \
	kernel/lib/logring.c \
	kernel/lib/memmap.c \
	kernel/lib/numparse.c \
	kernel/lib/pagealloc.c \
	kernel/lib/pvclock.c \
	kernel/lib/timerq.c \
	kernel/lib/ustar.c \
	drivers/virtio/mmio_cmdline.c \
	xen/console.c \
	xen/control.c \
	xen/evtchn.c \
	xen/gnttab.c \
	xen/hostcfg_xen.c \
	xen/hypercall.c \
	xen/plat_xen.c \
	xen/xenbus.c \
	xen/xs.c \
	xen/xs_ring.c

KERNEL_OBJS = $(addprefix k/,$(addsuffix .o,$(basename $(KERNEL_SRCS))))
# Headers: include/sluice/ is the API appliances and network functions may
# use; kernel/include/sluice/ holds the platform internals (Xen layer, CPU,
# traps, memory layout, boot, buses) that only kernel/, xen/, drivers/ and
# their tests see. An area that must stay on the public API clears
# KERNEL_INTERNAL_CPPFLAGS for its objects (lwIP, hello, echo),
# so an internal include there does not compile; scripts/check-layers
# reports the rest.
KERNEL_INTERNAL_CPPFLAGS = -I$(top_srcdir)/kernel/include
KCOMPILE = $(CC) $(KERNEL_ARCHFLAGS) $(KERNEL_CPPFLAGS) $(KERNEL_INTERNAL_CPPFLAGS) \
	-I$(top_srcdir)/include $(KERNEL_CFLAGS)
KERNEL_LIBS = $(PICOLIBC_PREFIX)/lib/libc.a $(LIBGCC)

# Silent-rules echo for the kernel compiler ("KCC file.o"); V=1 shows the command.
AM_V_KCC = $(am__v_KCC_@AM_V@)
am__v_KCC_ = $(am__v_KCC_@AM_DEFAULT_V@)
am__v_KCC_0 = @echo "  KCC     " $@;
am__v_KCC_1 =

k/%.o: $(srcdir)/%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && $(KCOMPILE) -MD -MP -MF $(@:.o=.d) -c -o $@ $<
k/%.o: $(srcdir)/%.S Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && $(KCOMPILE) -D__ASSEMBLY__ -MD -MP -MF $(@:.o=.d) -c -o $@ $<

-include $(KERNEL_OBJS:.o=.d)

# Link an image: $(LINK_IMAGE) OUT.elf OBJS... (two passes, checks; scripts/link-kernel)
LINK_IMAGE = LD="$(LD)" NM="$(NM)" OBJDUMP="$(OBJDUMP)" READELF="$(READELF)" \
	STRIP="$(STRIP)" KCOMPILE="$(KCOMPILE)" LDSCRIPT="$(srcdir)/kernel/kernel.ld" \
	KERNEL_LDFLAGS="$(KERNEL_LDFLAGS)" KERNEL_LIBS="$(KERNEL_LIBS)" \
	$(SHELL) $(srcdir)/scripts/link-kernel
IMAGE_DEPS = $(KERNEL_OBJS) $(srcdir)/kernel/kernel.ld $(srcdir)/scripts/link-kernel \
	$(srcdir)/scripts/gen-ksyms $(srcdir)/scripts/check-image

# Every image links the same way, so an area only states what its image
# adds, in link order (archives after the objects that use them):
#   appliances/hello/hello.elf: $(HELLO_OBJS)
# The kernel objects come first; then the image's own objects and archives.
%.elf: $(IMAGE_DEPS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(LINK_IMAGE) $@ $(KERNEL_OBJS) \
		$(filter-out $(KERNEL_OBJS),$(filter %.o %.a,$^))

EXTRA_DIST += $(KERNEL_SRCS) kernel/kernel.ld scripts/link-kernel scripts/gen-ksyms \
	scripts/check-image scripts/fetch-deps scripts/build-picolibc scripts/install-build-deps

clean-local: clean-kernel
clean-kernel:
	rm -rf k
.PHONY: clean-kernel
