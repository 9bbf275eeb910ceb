// SPDX-License-Identifier: BSD-2-Clause
/*
 * Internet checksum helpers (sluice/nf/csum.h). Sums are folded as they
 * grow, so no length a frame can have overflows 32 bits.
 */
#include <errno.h>

#include "sluice/nf/csum.h"

uint32_t nf_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16); /* fold as we go: no overflow */
	}
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t nf_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int nf_csum_fill(uint8_t *frame, size_t len, uint16_t start, uint16_t offset)
{
	uint16_t c;

	if ((size_t)start + offset + 2 > len)
		return -EINVAL;
	/* The field holds the pseudo-header sum already: sum over it as it stands. */
	c = nf_csum_fold(nf_csum_add(0, frame + start, len - start));
	/* A UDP checksum of 0 means "none": send the equivalent 0xffff. */
	c = c ? c : 0xffff;
	frame[start + offset] = (uint8_t)(c >> 8);
	frame[start + offset + 1] = (uint8_t)c;
	return 0;
}

uint16_t nf_csum_update16(uint16_t csum, uint16_t old, uint16_t new)
{
	/* Eqn. 3, not eqn. 2: it never yields the 0x0000 that eqn. 2 can (RFC 1624 3). */
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~old;
	sum += new;
	return nf_csum_fold(sum);
}

uint16_t nf_csum_update32(uint16_t csum, uint32_t old, uint32_t new)
{
	csum = nf_csum_update16(csum, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
	return nf_csum_update16(csum, (uint16_t)old, (uint16_t) new);
}
