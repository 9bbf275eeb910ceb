/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The X25519 PSA transparent driver (tls/x25519_drv.h) on HACL*'s
 * Hacl_Curve25519_crypto_scalarmult (RFC 7748 X25519: it clamps the scalar
 * itself and takes the u-coordinate as 32 little-endian bytes).
 */
#include <string.h>

#include "Hacl_Curve25519.h"
#include "mbedtls/platform_util.h"
#include "x25519_drv.h"

bool sluice_x25519_driver_on = true;

static const uint8_t base_point[32] = {9};

static bool is_x25519_pair(const psa_key_attributes_t *a)
{
	return sluice_x25519_driver_on &&
	       psa_get_key_type(a) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY) &&
	       psa_get_key_bits(a) == 255;
}

psa_status_t sluice_x25519_generate_key(const psa_key_attributes_t *attributes, uint8_t *key_buffer,
					size_t key_buffer_size, size_t *key_buffer_length)
{
	psa_status_t st;

	if (!is_x25519_pair(attributes))
		return PSA_ERROR_NOT_SUPPORTED;
	if (key_buffer_size < 32)
		return PSA_ERROR_BUFFER_TOO_SMALL;
	/* From PSA's RNG: the kernel's RDSEED/RDRAND source (tls/tlsplat.c). */
	st = psa_generate_random(key_buffer, 32);
	if (st != PSA_SUCCESS)
		return st;
	/* Stored clamped, as PSA's own Curve25519 keys are (RFC 7748 §5). */
	key_buffer[0] &= 248;
	key_buffer[31] &= 127;
	key_buffer[31] |= 64;
	*key_buffer_length = 32;
	return PSA_SUCCESS;
}

psa_status_t sluice_x25519_export_public_key(const psa_key_attributes_t *attributes,
					     const uint8_t *key_buffer, size_t key_buffer_size,
					     uint8_t *data, size_t data_size, size_t *data_length)
{
	uint8_t priv[32];

	if (!is_x25519_pair(attributes))
		return PSA_ERROR_NOT_SUPPORTED;
	if (key_buffer_size != 32)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (data_size < 32)
		return PSA_ERROR_BUFFER_TOO_SMALL;
	memcpy(priv, key_buffer, 32); /* HACL* takes non-const pointers */
	Hacl_Curve25519_crypto_scalarmult(data, priv, (uint8_t *)base_point);
	mbedtls_platform_zeroize(priv, sizeof(priv));
	*data_length = 32;
	return PSA_SUCCESS;
}

psa_status_t sluice_x25519_key_agreement(const psa_key_attributes_t *attributes,
					 const uint8_t *key_buffer, size_t key_buffer_size,
					 psa_algorithm_t alg, const uint8_t *peer_key,
					 size_t peer_key_length, uint8_t *shared_secret,
					 size_t shared_secret_size, size_t *shared_secret_length)
{
	uint8_t priv[32], peer[32], acc = 0;

	if (!is_x25519_pair(attributes) || alg != PSA_ALG_ECDH)
		return PSA_ERROR_NOT_SUPPORTED;
	/* The peer's share is the client's: exactly 32 bytes, checked here. */
	if (key_buffer_size != 32 || peer_key_length != 32)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (shared_secret_size < 32)
		return PSA_ERROR_BUFFER_TOO_SMALL;
	memcpy(priv, key_buffer, 32);
	memcpy(peer, peer_key, 32);
	Hacl_Curve25519_crypto_scalarmult(shared_secret, priv, peer);
	mbedtls_platform_zeroize(priv, sizeof(priv));
	/*
	 * A low-order point from the peer gives an all-zero secret (RFC 7748
	 * §6.1, RFC 8446 §7.4.2: abort); checked without a data-dependent branch.
	 */
	for (int i = 0; i < 32; i++)
		acc |= shared_secret[i];
	if (acc == 0) {
		mbedtls_platform_zeroize(shared_secret, 32);
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	*shared_secret_length = 32;
	return PSA_SUCCESS;
}
