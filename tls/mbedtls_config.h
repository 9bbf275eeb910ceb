/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mbedTLS 3.6 configuration for Sluice (MBEDTLS_CONFIG_FILE). It replaces
 * mbedTLS's default config entirely: only what a TLS terminator needs is
 * built (docs/tls.md, "What is compiled in"):
 *
 *   - TLS 1.3 and TLS 1.2, server side;
 *   - ECDHE with X25519 and P-256 (P-384 as a third group);
 *   - certificates: ECDSA P-256/P-384, RSA 2048..4096 (PKCS#1 v1.5 and PSS);
 *   - AES-GCM (AES-NI when the CPU has it, checked at run time) and
 *     ChaCha20-Poly1305; SHA-256/384;
 *   - session tickets (TLS 1.3 and 1.2), SNI, ALPN, client certificates.
 *
 * The same file serves two builds:
 *   - the kernel (tls/local.mk): configure undefines __linux__ for kernel
 *     code, so the RNG is the kernel's RDSEED/RDRAND source behind PSA's
 *     external-RNG hook (tls/tlsplat.c) and mbedtls_ms_time() comes from
 *     the kernel's monotonic clock (MBEDTLS_PLATFORM_MS_TIME_ALT);
 *   - host programs (unit tests, fuzzers, sluice-ctl's validator), built
 *     with __linux__ defined: PSA seeds its own DRBG from getrandom() and
 *     the TLS client is added so that tests can drive handshakes.
 * Nothing else differs, so host tests exercise the kernel's algorithms.
 *
 * Name it with angle brackets, -I tls -DMBEDTLS_CONFIG_FILE='<mbedtls_config.h>':
 * with quotes, build_info.h would find mbedTLS's own default mbedtls_config.h
 * next to itself first.
 */
#ifndef SLUICE_MBEDTLS_CONFIG_H
#define SLUICE_MBEDTLS_CONFIG_H

/* ---------------------------------------------------------------- system */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
/* Certificate validity checks read the wall clock (time() -> gettimeofday(),
 * which the kernel serves from plat->wallclock_ns, kernel/libc_glue.c). */
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_NO_PLATFORM_ENTROPY

#if !defined(__linux__)
/* Kernel: no /dev/urandom, no clock_gettime(); both come from tls/tlsplat.c. */
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#else
/* Host: PSA's built-in DRBG, seeded by getrandom() (entropy_poll.c). */
#undef MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_SSL_CLI_C
#endif

/* ----------------------------------------------------------------- PSA */
#define MBEDTLS_PSA_CRYPTO_C
/* TLS 1.2, X.509 and PK go through PSA too: one implementation of each
 * algorithm, one place where drivers (X25519) plug in. */
#define MBEDTLS_USE_PSA_CRYPTO

/* ------------------------------------------------------- symmetric crypto */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_AES_C
/* Tables in .rodata: nothing to generate at boot, nothing writable. */
#define MBEDTLS_AES_ROM_TABLES
/* AES-NI and PCLMULQDQ through mbedTLS's inline assembly, used only when
 * CPUID says the CPU has them (aesni.c). The kernel runs with SSE enabled
 * and every interrupt saves the XMM state (docs/tls.md, "AES-NI"). */
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_HKDF_C

/* ------------------------------------------------------ public-key crypto */
#define MBEDTLS_BIGNUM_C
/* RSA-4096 is the largest key accepted (512 bytes). */
#define MBEDTLS_MPI_MAX_SIZE 512
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21

/* ------------------------------------------------- keys and certificates */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
/* mbedtls_strerror(): errors name what went wrong (never key material). */
#define MBEDTLS_ERROR_C

/* ------------------------------------------------------------------- TLS */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
/* TLS 1.3 needs the peer's certificate kept for client authentication. */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES
/* No MBEDTLS_SSL_EARLY_DATA: 0-RTT data can be replayed (docs/tls.md). No
 * renegotiation, no DTLS, no CBC suites, no SHA-1, no static RSA. */

/*
 * Record buffers: a peer may send 16 KiB records, so the input buffer must
 * hold one; full-size output records halve the per-record cost of a bulk
 * transfer. About 2 x 16.7 KiB per connection (docs/tls.md, "Memory").
 */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 16384

#endif
