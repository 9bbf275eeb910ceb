/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pure parsing of the firewall's configuration text (fwconf.c), also built
 * into tests/unit/test_fwapp.c.
 */
#ifndef SLUICE_FWCONF_H
#define SLUICE_FWCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Turn inline rules (';' separates lines, except inside "strings") into
 * rule text in place: each separator becomes '\n', so columns stay right.
 * Returns the number of lines.
 */
unsigned int fwconf_inline(char *text);
#endif
