# SPDX-License-Identifier: BSD-2-Clause
# Boot tests: images started in QEMU TCG on -M microvm and -M q35, with
# assertions on console output and exit status (tests/boot/lib.sh).
BOOTTEST_SRCS = tests/boot/boottest.c
BOOTTEST_OBJS = $(addprefix k/,$(BOOTTEST_SRCS:.c=.o))

tests/boot/boottest.elf: $(BOOTTEST_OBJS)
-include $(BOOTTEST_OBJS:.o=.d)

# In-guest test of the stack without NIC drivers: two fake NICs wired back
# to back carry ping, UDP, a 1 MiB TCP echo and HTTP through the echo
# appliance's services (tests/boot/lwip.test).
LWIPTEST_SRCS = tests/boot/lwiptest.c tests/boot/lwiptest_wire.c
LWIPTEST_OBJS = $(addprefix k/,$(LWIPTEST_SRCS:.c=.o)) k/appliances/echo/services.o
k/tests/boot/lwip%.o: KERNEL_INTERNAL_CPPFLAGS = # an appliance: public headers only
k/tests/boot/lwip%.o: $(srcdir)/tests/boot/lwip%.c Makefile
	$(AM_V_KCC)$(MKDIR_P) $(@D) && \
	$(KCOMPILE) $(LWIP_CPPFLAGS) -I$(srcdir)/appliances/echo -MD -MP -MF $(@:.o=.d) -c -o $@ $<
-include $(LWIPTEST_OBJS:.o=.d)
tests/boot/lwiptest.elf: $(LWIPTEST_OBJS) $(NET_LIBS)
tests/boot/lwip.log: tests/boot/lwiptest.elf

BOOT_TESTS = \
	tests/boot/hello.test \
	tests/boot/cmdline.test \
	tests/boot/faults.test \
	tests/boot/panic.test \
	tests/boot/runtime.test \
	tests/boot/shutdown.test \
	tests/boot/nmi.test

TESTS += $(BOOT_TESTS) tests/boot/lwip.test
check_DATA += tests/boot/boottest.elf appliances/hello/hello.elf tests/boot/lwiptest.elf
TEST_EXTENSIONS = .test
TEST_LOG_COMPILER = $(SHELL)
# Check's per-test timeout (4 s by default) only catches hangs here: on a
# loaded 2-core machine an ASan build of a 65,536-step ring test took
# longer than that, so every unit test gets 60 s unless it asks for more.
AM_TESTS_ENVIRONMENT = top_builddir=$(top_builddir); export top_builddir; \
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-60}; export CK_DEFAULT_TIMEOUT;
EXTRA_DIST += $(BOOT_TESTS) $(BOOTTEST_SRCS) tests/boot/lib.sh scripts/run-qemu \
	$(LWIPTEST_SRCS) tests/boot/lwiptest.h tests/boot/lwip.test
CLEANFILES += tests/boot/boottest.elf tests/boot/boottest.dbg \
	tests/boot/lwiptest.elf tests/boot/lwiptest.dbg
