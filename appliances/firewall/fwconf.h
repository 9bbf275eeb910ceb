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
/*
 * A config-generation value: canonical decimal, above @last. 0, 1 (equal
 * to @last: handled already), -EINVAL (not a number: reason in @err),
 * -ESTALE (not above @last).
 */
int fwconf_generation(const char *val, size_t len, uint64_t last, uint64_t *gen, char *err,
		      size_t errlen);
/* Copy @in to @out (cap @len) keeping printable ASCII and replacing the rest with '?'. */
void fwconf_sanitize(const char *in, size_t inlen, char *out, size_t len);

#endif
