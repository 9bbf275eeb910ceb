/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Strict unsigned numbers from untrusted text (command line, xenstore,
 * archives, control-channel replies, tool arguments). Pure logic, shared
 * by the kernel, the host tools and the unit tests.
 *
 * Strict means: exactly the given bytes, digits only. No sign, blank,
 * prefix or suffix is skipped, because any of them means the writer did
 * not write the number we would otherwise read. A stray character is
 * -EINVAL even when the digits before it already overflow (checked first:
 * "99999999999999999999x" is not a number, rather than a large one); a
 * well-formed number above UINT64_MAX is -ERANGE. *@v is written only on
 * success.
 */
#ifndef SLUICE_NUMPARSE_H
#define SLUICE_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reject leading zeros ("007"; "0" itself is fine): for values a program
 * wrote (xenstore keys, protocol fields), where "007" is not what a writer
 * of 7 produces. Without it leading zeros are accepted, never as octal.
 */
#define NUM_CANONICAL 0x1u

/* Value of the hex digit @c (either case), or -1. */
int num_hexval(char c);

/* Decimal digits, exactly @len bytes at @s. 0, -EINVAL or -ERANGE. */
int num_parse_dec(const char *s, size_t len, unsigned int flags, uint64_t *v);

/* Hex digits (either case, no "0x"), exactly @len bytes at @s. 0, -EINVAL or -ERANGE. */
int num_parse_hex(const char *s, size_t len, unsigned int flags, uint64_t *v);

#endif /* SLUICE_NUMPARSE_H */
