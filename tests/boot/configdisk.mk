# SPDX-License-Identifier: BSD-2-Clause
# The config disk (kernel/configdisk.c, a tar archive read through
# kernel/lib/ustar.c) and the log sink (kernel/logsink.c, the ring format in
# kernel/lib/logring.c) are kernel sources (kernel/local.mk); here: the
# cfgtest image and the boot test that runs it on virtio-blk disks made on
# the host.
CFGTEST_SRCS = tests/boot/cfgtest.c
CFGTEST_OBJS = $(addprefix k/,$(CFGTEST_SRCS:.c=.o))

tests/boot/cfgtest.elf: $(CFGTEST_OBJS)
-include $(CFGTEST_OBJS:.o=.d)

check_DATA += tests/boot/cfgtest.elf
# The test also reads the log disk back with the host tool.
tests/boot/configdisk.log: tests/boot/cfgtest.elf tools/sluice-logread$(EXEEXT)
TESTS += tests/boot/configdisk.test
EXTRA_DIST += tests/boot/configdisk.test $(CFGTEST_SRCS) include/sluice/configdisk.h \
	include/sluice/crc32.h include/sluice/logring.h include/sluice/logsink.h \
	include/sluice/ustar.h
CLEANFILES += tests/boot/cfgtest.elf tests/boot/cfgtest.dbg
