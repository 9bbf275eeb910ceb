/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entropy from the CPU (RDSEED, else RDRAND). There is no fallback: a
 * unikernel without a hardware source has no other unpredictable input at
 * boot, and a silently weak seed would undermine TLS keys and TCP ISNs.
 */
#ifndef SLUICE_RANDOM_H
#define SLUICE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Which source is in use: "RDSEED", "RDRAND" or NULL (none). */
const char *random_source(void);

/* Fill @buf from the hardware source; 0, or -EIO when it keeps failing. */
int random_bytes(void *buf, size_t len);

/* A random 32-bit value for lwIP and friends; panics when no source works. */
uint32_t random_u32(void);

/* Draw the stack-protector canary; called first thing at boot. */
void ssp_init(void);

#endif
