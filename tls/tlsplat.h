/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What mbedTLS needs from the kernel (tls/mbedtls_config.h): randomness for
 * PSA (the kernel's RDSEED/RDRAND source, never a fixed or time-based seed)
 * and a millisecond clock for TLS 1.3 ticket ages. Wall-clock time for
 * certificate validity comes through time() (kernel/libc_glue.c).
 */
#ifndef SLUICE_TLS_TLSPLAT_H
#define SLUICE_TLS_TLSPLAT_H

/*
 * Initialise PSA crypto once; 0 or a negative errno. Prints why on
 * failure. Safe to call more than once.
 */
int tls_crypto_init(void);

#endif
