/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c, docs/fuzzing.md):
 * a reader that turns the fuzzer's bytes into a script of small decisions.
 * Reading past the end yields zeros rather than failing, so every input is
 * a complete script and mutations that shorten it keep most of its meaning.
 */
#ifndef SLUICE_FUZZ_H
#define SLUICE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_empty(const struct fz *f)
{
	return f->n == 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t lo = fz_u8(f);

	return (uint16_t)(lo | fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t lo = fz_u16(f);

	return lo | (uint32_t)fz_u16(f) << 16;
}

/* Up to @max bytes (fewer at the end of the input); returns how many. */
static inline size_t fz_take(struct fz *f, size_t max, const uint8_t **out)
{
	size_t k = max < f->n ? max : f->n;

	*out = f->p;
	f->p += k;
	f->n -= k;
	return k;
}

/* Copy a length-prefixed (u16) chunk of at most @cap bytes into @buf. */
static inline size_t fz_chunk(struct fz *f, void *buf, size_t cap)
{
	size_t want = fz_u16(f);
	const uint8_t *p;
	size_t k = fz_take(f, want < cap ? want : cap, &p);

	memcpy(buf, p, k);
	return k;
}

#endif
