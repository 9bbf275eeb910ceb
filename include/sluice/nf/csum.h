/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Internet checksum (RFC 1071) for network functions: summing, folding,
 * filling in a checksum a peer left to offload, and the incremental update
 * of RFC 1624 for elements that rewrite a field in place (a TTL, a NAT
 * address or port) without summing the packet again.
 *
 * Pure logic: built into the kernel and into host tests.
 */
#ifndef SLUICE_NF_CSUM_H
#define SLUICE_NF_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add @len bytes at @p (big-endian words) to the running sum @sum (kept below 2^17). */
uint32_t nf_csum_add(uint32_t sum, const uint8_t *p, size_t len);
/* Fold @sum to 16 bits and complement it: the value to store. */
uint16_t nf_csum_fold(uint32_t sum);
/*
 * Fill in a checksum left blank by a peer (PKT_CSUM_BLANK): the ones'
 * complement sum from @start to the end, stored at @start + @offset. 0 or
 * -EINVAL (offsets outside the frame).
 */
int nf_csum_fill(uint8_t *frame, size_t len, uint16_t start, uint16_t offset);
/*
 * RFC 1624 eqn. 3: the checksum @csum (as stored) after a 16-bit word of
 * the covered data changed from @old to @new: HC' = ~(~HC + ~m + m').
 */
uint16_t nf_csum_update16(uint16_t csum, uint16_t old, uint16_t new);
/* The same for a 32-bit field (an IPv4 address): two word updates. */
uint16_t nf_csum_update32(uint16_t csum, uint32_t old, uint32_t new);

#endif
