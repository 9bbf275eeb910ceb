# SPDX-License-Identifier: BSD-2-Clause
# Boot tests: images started in QEMU TCG on -M microvm and -M q35, with
# assertions on console output and exit status (tests/boot/lib.sh).
BOOTTEST_SRCS = tests/boot/boottest.c
BOOTTEST_OBJS = $(addprefix k/,$(BOOTTEST_SRCS:.c=.o))

tests/boot/boottest.elf: $(IMAGE_DEPS) $(BOOTTEST_OBJS)
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(LINK_IMAGE) $@ $(KERNEL_OBJS) $(BOOTTEST_OBJS)
-include $(BOOTTEST_OBJS:.o=.d)

BOOT_TESTS = \
	tests/boot/hello.test \
	tests/boot/cmdline.test \
	tests/boot/faults.test \
	tests/boot/panic.test \
	tests/boot/runtime.test \
	tests/boot/shutdown.test

TESTS += $(BOOT_TESTS)
check_DATA += tests/boot/boottest.elf appliances/hello/hello.elf
TEST_EXTENSIONS = .test
TEST_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = top_builddir=$(top_builddir); export top_builddir;
EXTRA_DIST += $(BOOT_TESTS) $(BOOTTEST_SRCS) tests/boot/lib.sh scripts/run-qemu
CLEANFILES += tests/boot/boottest.elf tests/boot/boottest.dbg
