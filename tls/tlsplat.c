/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mbedTLS's platform hooks in the kernel (tls/mbedtls_config.h): PSA's
 * external RNG and mbedtls_ms_time().
 */
#include <errno.h>
#include <stdio.h>

#include "mbedtls/platform_time.h"
#include "psa/crypto.h"
#include "sluice/evloop.h"
#include "sluice/random.h"
#include "tlsplat.h"

/*
 * PSA draws every random byte here (keys, nonces, ECDSA blinding, ticket
 * keys): straight from the CPU's source, which the kernel refuses to run
 * without (sluice/random.h). A failure is reported to PSA, which fails the
 * operation; it never falls back to anything weaker.
 */
psa_status_t mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t *ctx,
					     uint8_t *output, size_t output_size,
					     size_t *output_length)
{
	(void)ctx;
	*output_length = 0;
	if (random_bytes(output, output_size) != 0)
		return PSA_ERROR_INSUFFICIENT_ENTROPY;
	*output_length = output_size;
	return PSA_SUCCESS;
}

/*
 * Ticket creation times and ages (TLS 1.3). Ticket keys live only in memory
 * and die with the VM, so a monotonic clock since boot is what ages need:
 * it never jumps when the wall clock is set.
 */
mbedtls_ms_time_t mbedtls_ms_time(void)
{
	return (mbedtls_ms_time_t)(now_ns() / 1000000u);
}

int tls_crypto_init(void)
{
	static int done;
	psa_status_t st;

	if (done)
		return 0;
	st = psa_crypto_init();
	if (st != PSA_SUCCESS) {
		printf("tls: PSA crypto failed to start (%d)\n", (int)st);
		return -EIO;
	}
	done = 1;
	return 0;
}
