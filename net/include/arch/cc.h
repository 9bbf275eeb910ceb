/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwIP compiler/platform glue for the Sluice kernel (picolibc, ring 0).
 * docs/toolchain.md §4: SSIZE_MAX must be defined (else lwIP
 * typedefs its own ssize_t, which clashes with picolibc's long), and
 * BYTE_ORDER must come from the libc, never from here.
 */
#ifndef SLUICE_LWIP_ARCH_CC_H
#define SLUICE_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
/* First, so that the libc defines BYTE_ORDER before lwIP's arch.h looks for it. */
#include <sys/types.h>

#include "sluice/kernel.h"
#include "sluice/random.h"

#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

/* picolibc provides errno.h; lwIP must not invent its own E* values. */
#define LWIP_ERRNO_STDINCLUDE 1

/* lwIP's printf-style diagnostics: @x is a parenthesised argument list. */
#define LWIP_PLATFORM_DIAG(x)                                                                      \
	do {                                                                                       \
		printf x;                                                                          \
	} while (0)

/* A broken lwIP invariant means corrupted network state: stop, with the place. */
#define LWIP_PLATFORM_ASSERT(x)                                                                    \
	panic("lwIP assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

/* TCP ISNs, ports, DHCP xids and IPv6 temporaries: hardware entropy only. */
#define LWIP_RAND() ((u32_t)random_u32())

#endif
