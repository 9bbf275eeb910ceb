/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel symbol table for backtraces. scripts/gen-ksyms writes it from the
 * first link's `nm`; the second link places it last in the image, so adding
 * it moves no code.
 */
#ifndef SLUICE_KSYMS_H
#define SLUICE_KSYMS_H

#include <stdint.h>

struct ksyms_table {
	uint64_t count;
	const uint64_t *addrs;	   /* sorted ascending */
	const uint32_t *name_offs; /* offsets into names */
	const char *names;
};

/*
 * Find the symbol containing @addr: returns its name and sets *@off, or
 * NULL when @addr is below the first symbol or past @text_end.
 */
const char *ksyms_lookup(const struct ksyms_table *t, uint64_t addr, uint64_t text_end,
			 uint64_t *off);

/* The table linked into this image (empty in the first link). */
extern const struct ksyms_table kernel_ksyms;

#endif
