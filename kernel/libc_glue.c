/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hooks picolibc leaves to the system (docs/toolchain.md §3) that are
 * not implemented next to their subsystem: stdout is in console.c, sbrk in
 * mm.c, getentropy in random.c, _exit in main.c.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/time.h>

#include "sluice/plat.h"

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	uint64_t ns = plat ? plat->wallclock_ns() : 0;

	(void)tz;
	if (!tv)
		return 0;
	tv->tv_sec = (time_t)(ns / 1000000000ULL);
	tv->tv_usec = (suseconds_t)((ns % 1000000000ULL) / 1000);
	return 0;
}
