/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Textual IPv4/IPv6 addresses and small decimal numbers, strictly: the
 * command line, xenstore and rule files are untrusted, so no leading zeros,
 * no out-of-range octets or groups, at most one "::". Pure logic, shared by
 * the network configuration and the firewall (kernel and host tests).
 */
#ifndef SLUICE_INADDR_H
#define SLUICE_INADDR_H

#include <stdint.h>

/* A decimal number <= @max without leading zeros: the end, or NULL. */
const char *inaddr_parse_dec(const char *s, unsigned int max, unsigned int *out);

/* Dotted quad into @out (network order): the end, or NULL. */
const char *inaddr_parse4(const char *s, uint8_t out[4]);

/* Hex groups with at most one "::" into @out (network order): the end, or NULL. */
const char *inaddr_parse6(const char *s, uint8_t out[16]);

#endif
