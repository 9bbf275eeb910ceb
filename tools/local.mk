# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# Host tools, installed with `make install`. They are ordinary programs:
# no Check and no sanitizers (those come with AM_CFLAGS/LDADD for the unit
# tests), hence their own flags.

# sluice-logread: print a log disk written by kernel/logsink.c.
bin_PROGRAMS += tools/sluice-logread
tools_sluice_logread_SOURCES = tools/sluice-logread.c kernel/lib/logring.c kernel/lib/crc32.c
tools_sluice_logread_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -I$(top_srcdir)/include
tools_sluice_logread_LDFLAGS =
tools_sluice_logread_LDADD =
