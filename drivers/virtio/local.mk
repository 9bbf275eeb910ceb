# SPDX-License-Identifier: BSD-2-Clause
# virtio on QEMU: PCI and IOAPIC support, the virtio-pci and virtio-mmio
# transports, device discovery, the virtio-net netdev driver and the
# virtio-blk blkdev driver. Plus the images and boot tests that exercise
# them: the reflector and its tap-based test (root and /dev/net/tun needed),
# the block test appliance and its disk-image test.
KERNEL_SRCS += \
	kernel/pci.c \
	kernel/arch/x86_64/ioapic.c \
	drivers/virtio/virtqueue.c \
	drivers/virtio/virtio_pci.c \
	drivers/virtio/virtio_mmio.c \
	drivers/virtio/virtio_probe.c \
	drivers/virtio/virtio_net.c \
	drivers/virtio/virtio_blk.c \
	drivers/virtio/virtio_console.c

NETTEST_SRCS = tests/boot/nettest.c
NETTEST_OBJS = $(addprefix k/,$(NETTEST_SRCS:.c=.o))

tests/boot/nettest.elf: $(IMAGE_DEPS) $(NETTEST_OBJS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(LINK_IMAGE) $@ $(KERNEL_OBJS) $(NETTEST_OBJS)
-include $(NETTEST_OBJS:.o=.d)

# The image is a prerequisite of the test's log (built when the test runs).
tests/boot/virtio-net.log: tests/boot/nettest.elf
TESTS += tests/boot/virtio-net.test
EXTRA_DIST += drivers/virtio/virtio.h kernel/include/sluice/pci.h kernel/include/sluice/ioapic.h \
	tests/boot/virtio-net.test $(NETTEST_SRCS)
CLEANFILES += tests/boot/nettest.elf tests/boot/nettest.dbg

# The block test appliance (also the in-guest half of bench/blk).
BLKTEST_SRCS = tests/boot/blktest.c
BLKTEST_OBJS = $(addprefix k/,$(BLKTEST_SRCS:.c=.o))

tests/boot/blktest.elf: $(IMAGE_DEPS) $(BLKTEST_OBJS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(LINK_IMAGE) $@ $(KERNEL_OBJS) $(BLKTEST_OBJS)
-include $(BLKTEST_OBJS:.o=.d)

check_DATA += tests/boot/blktest.elf
tests/boot/virtio-blk.log: tests/boot/blktest.elf
TESTS += tests/boot/virtio-blk.test
EXTRA_DIST += tests/boot/virtio-blk.test $(BLKTEST_SRCS) bench/blk
CLEANFILES += tests/boot/blktest.elf tests/boot/blktest.dbg
