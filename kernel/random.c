/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <string.h>

#include "sluice/kernel.h"
#include "sluice/random.h"
#include "sluice/x86.h"

/* Intel's DRNG guide: retry RDRAND 10 times; RDSEED may underflow more often. */
#define RDRAND_RETRIES 10
#define RDSEED_RETRIES 100

enum src { SRC_UNKNOWN, SRC_NONE, SRC_RDSEED, SRC_RDRAND };
static enum src source;

/* The canary the compiler checks (-mstack-protector-guard=global). */
uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ULL;

static __attribute__((no_stack_protector)) enum src probe(void)
{
	if (cpu_has_feature(7, CPUID_EBX, 18))
		return SRC_RDSEED;
	if (cpu_has_feature(1, CPUID_ECX, 30))
		return SRC_RDRAND;
	return SRC_NONE;
}

static __attribute__((no_stack_protector)) int hw_u64(uint64_t *v)
{
	unsigned char ok;

	if (source == SRC_UNKNOWN)
		source = probe();
	for (int i = 0; source == SRC_RDSEED && i < RDSEED_RETRIES; i++) {
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return 0;
		cpu_relax();
	}
	/* RDSEED exhausted (or absent): RDRAND is a DRBG reseeded from the same source. */
	if (source != SRC_NONE && cpu_has_feature(1, CPUID_ECX, 30)) {
		for (int i = 0; i < RDRAND_RETRIES; i++) {
			__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
			if (ok)
				return 0;
		}
	}
	return -EIO;
}

const char *random_source(void)
{
	if (source == SRC_UNKNOWN)
		source = probe();
	return source == SRC_RDSEED ? "RDSEED" : source == SRC_RDRAND ? "RDRAND" : NULL;
}

int random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t v;

	while (len) {
		size_t n = MIN(len, sizeof(v));

		if (hw_u64(&v) < 0)
			return -EIO;
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
	return 0;
}

uint32_t random_u32(void)
{
	uint64_t v;

	if (hw_u64(&v) < 0)
		panic("no hardware entropy (RDSEED/RDRAND failed)");
	return (uint32_t)v;
}

/* picolibc's arc4random and mbedTLS's entropy source end up here. */
int getentropy(void *buf, size_t len)
{
	if (len > 256) { /* the POSIX limit */
		errno = EIO;
		return -1;
	}
	if (random_bytes(buf, len) < 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * Called before any function with a canary is on the stack (kernel_entry
 * is built without one). Without a hardware source we keep the static
 * canary; kernel_main refuses to continue once the console can say why.
 */
void __attribute__((no_stack_protector)) ssp_init(void)
{
	uint64_t v;

	if (hw_u64(&v) == 0)
		__stack_chk_guard = v & ~0xffULL; /* a NUL low byte stops string overreads */
}

__attribute__((noreturn)) void __stack_chk_fail(void)
{
	panic("stack smashing detected (canary overwritten)");
}
