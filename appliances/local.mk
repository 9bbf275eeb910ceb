# SPDX-License-Identifier: BSD-2-Clause
# Appliance images. Each is the kernel plus one appliance's objects.
HELLO_SRCS = appliances/hello/hello.c
HELLO_OBJS = $(addprefix k/,$(HELLO_SRCS:.c=.o))
# Appliances see only the public headers (kernel/local.mk).
k/appliances/hello/%.o: KERNEL_INTERNAL_CPPFLAGS =

# Installed into $(pkglibdir) (/usr/local/lib/sluice), where the xl
# configs (tests/xen/hello.cfg) expect them.
imagesdir = $(pkglibdir)
images_DATA = appliances/hello/hello.elf
appliances/hello/hello.elf: $(HELLO_OBJS)

CLEANFILES += appliances/hello/hello.elf appliances/hello/hello.dbg
EXTRA_DIST += $(HELLO_SRCS)
-include $(HELLO_OBJS:.o=.d)

# Boot the hello appliance on QEMU (TCG), as the README shows.
run-hello: appliances/hello/hello.elf
	$(SHELL) $(srcdir)/scripts/run-qemu --machine microvm --image appliances/hello/hello.elf \
		--append "$(HELLO_ARGS)"
.PHONY: run-hello
