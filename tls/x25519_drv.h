/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * X25519 for PSA from the verified HACL* Curve25519 that ships in
 * mbedTLS's source tree (3rdparty/everest), as a PSA transparent driver
 * (docs/tls.md, "X25519"). mbedTLS 3.6 generates its dispatch layer only
 * for key import/export entry points; for key generation and key
 * agreement a driver is hooked into library/psa_crypto_driver_wrappers.h
 * by hand, which tls/patch-psa-wrappers does to a copy in the build
 * directory (tls/local.mk). Each entry point takes X25519 key pairs only
 * and says PSA_ERROR_NOT_SUPPORTED for anything else (or when switched
 * off), and PSA falls back to its built-in code.
 */
#ifndef SLUICE_TLS_X25519_DRV_H
#define SLUICE_TLS_X25519_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psa/crypto.h"

/* Dispatch on: tells the generated wrappers that a driver is compiled in. */
#ifndef PSA_CRYPTO_ACCELERATOR_DRIVER_PRESENT
#define PSA_CRYPTO_ACCELERATOR_DRIVER_PRESENT
#endif

/* On by default; off makes every entry point fall back (bench/tls compares). */
extern bool sluice_x25519_driver_on;

psa_status_t sluice_x25519_generate_key(const psa_key_attributes_t *attributes, uint8_t *key_buffer,
					size_t key_buffer_size, size_t *key_buffer_length);
psa_status_t sluice_x25519_export_public_key(const psa_key_attributes_t *attributes,
					     const uint8_t *key_buffer, size_t key_buffer_size,
					     uint8_t *data, size_t data_size, size_t *data_length);
psa_status_t sluice_x25519_key_agreement(const psa_key_attributes_t *attributes,
					 const uint8_t *key_buffer, size_t key_buffer_size,
					 psa_algorithm_t alg, const uint8_t *peer_key,
					 size_t peer_key_length, uint8_t *shared_secret,
					 size_t shared_secret_size, size_t *shared_secret_length);

#endif
