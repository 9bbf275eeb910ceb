/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Textual IPv4/IPv6 addresses and small decimal numbers, strictly: the
 * command line, xenstore and rule files are untrusted, so no leading zeros,
 * no out-of-range octets or groups, at most one "::". Pure logic, shared by
 * the network configuration and the firewall (kernel and host tests).
 */
#ifndef SLUICE_INADDR_H
#define SLUICE_INADDR_H

#include <stddef.h>
#include <stdint.h>

/* Longest IPv6 text inaddr_format6() writes, with its NUL. */
#define INADDR6_STRLEN 40

/* A decimal number <= @max without leading zeros: the end, or NULL. */
const char *inaddr_parse_dec(const char *s, unsigned int max, unsigned int *out);

/* Dotted quad into @out (network order): the end, or NULL. */
const char *inaddr_parse4(const char *s, uint8_t out[4]);

/* Hex groups with at most one "::" into @out (network order): the end, or NULL. */
const char *inaddr_parse6(const char *s, uint8_t out[16]);

/*
 * @a (network order) as RFC 5952 text into @buf: lower-case hex, no
 * leading zeros in a group, the longest run of two or more zero groups
 * (the first of equal runs) as "::". Truncated to fit @len.
 */
void inaddr_format6(const uint8_t a[16], char *buf, size_t len);

#endif
