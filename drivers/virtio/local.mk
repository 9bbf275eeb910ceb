# SPDX-License-Identifier: BSD-2-Clause
# virtio on QEMU: PCI and IOAPIC support, the virtio-pci and virtio-mmio
# transports, and the virtio-net netdev driver. Plus the reflector image and
# the tap-based boot test that exercise them (root and /dev/net/tun needed).
KERNEL_SRCS += \
	kernel/pci.c \
	kernel/arch/x86_64/ioapic.c \
	drivers/virtio/virtqueue.c \
	drivers/virtio/virtio_pci.c \
	drivers/virtio/virtio_mmio.c \
	drivers/virtio/virtio_net.c

NETTEST_SRCS = tests/boot/nettest.c
NETTEST_OBJS = $(addprefix k/,$(NETTEST_SRCS:.c=.o))

tests/boot/nettest.elf: $(IMAGE_DEPS) $(NETTEST_OBJS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(LINK_IMAGE) $@ $(KERNEL_OBJS) $(NETTEST_OBJS)
-include $(NETTEST_OBJS:.o=.d)

# check_DATA is set with '=' in tests/boot/local.mk, included later, so the
# image is a prerequisite of the test's log instead (built when it runs).
tests/boot/virtio-net.log: tests/boot/nettest.elf
TESTS += tests/boot/virtio-net.test
EXTRA_DIST += drivers/virtio/virtio.h include/sluice/pci.h include/sluice/ioapic.h \
	tests/boot/virtio-net.test $(NETTEST_SRCS)
CLEANFILES += tests/boot/nettest.elf tests/boot/nettest.dbg
