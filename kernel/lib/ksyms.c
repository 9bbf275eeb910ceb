/* SPDX-License-Identifier: BSD-2-Clause */
#include <stddef.h>

#include "sluice/ksyms.h"

const char *ksyms_lookup(const struct ksyms_table *t, uint64_t addr, uint64_t text_end,
			 uint64_t *off)
{
	uint64_t lo = 0, hi = t->count;

	if (t->count == 0 || addr < t->addrs[0] || addr >= text_end)
		return NULL;
	/* Largest index with addrs[i] <= addr. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (t->addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*off = addr - t->addrs[lo];
	return t->names + t->name_offs[lo];
}
