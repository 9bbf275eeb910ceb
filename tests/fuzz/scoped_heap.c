// SPDX-License-Identifier: BSD-2-Clause
/*
 * The input-scoped heap (scoped_heap.h): every live block and mapping is
 * recorded, so fz_heap_reset() can release them between inputs.
 */
#define FZ_SCOPED_HEAP_IMPL
#include "scoped_heap.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#undef malloc
#undef calloc
#undef aligned_alloc
#undef free
#undef mmap
#undef munmap

#define MAX_LIVE 65536

struct rec {
	void *p;
	size_t len; /* 0: a heap block; else a mapping's length */
};

static struct rec live[MAX_LIVE];
static unsigned int nlive;

/*
 * A mapping at a fixed address (the fake kernel's page arena) is kept
 * across inputs and handed back when the same one is asked for again:
 * its page faults, not the work under test, would otherwise dominate each
 * input. Its contents need not be fresh: pages are zeroed when allocated.
 */
static void *kept;
static size_t kept_len;

static void *track(void *p, size_t maplen)
{
	if (!p || p == MAP_FAILED)
		return p;
	if (nlive == MAX_LIVE) {
		fprintf(stderr, "scoped heap: more than %u live allocations\n", MAX_LIVE);
		abort();
	}
	live[nlive++] = (struct rec){p, maplen};
	return p;
}

/* Forget @p (and return its record's index), or -1 if it is not ours. */
static int untrack(void *p)
{
	for (unsigned int i = nlive; i-- > 0;)
		if (live[i].p == p) {
			live[i] = live[--nlive];
			return (int)i;
		}
	return -1;
}

void *fz_malloc(size_t n)
{
	return track(malloc(n), 0);
}

void *fz_calloc(size_t n, size_t size)
{
	return track(calloc(n, size), 0);
}

void *fz_aligned_alloc(size_t align, size_t n)
{
	return track(aligned_alloc(align, n), 0);
}

void fz_free(void *p)
{
	if (p)
		untrack(p);
	free(p);
}

void *fz_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (!(flags & MAP_FIXED_NOREPLACE))
		return track(mmap(addr, len, prot, flags, fd, off), len);
	if (kept && addr == kept && len == kept_len)
		return kept;
	p = mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && !kept) {
		kept = p;
		kept_len = len;
	}
	return p;
}

int fz_munmap(void *addr, size_t len)
{
	if (addr == kept && len == kept_len)
		return 0;
	untrack(addr);
	return munmap(addr, len);
}

void fz_heap_reset(void)
{
	while (nlive > 0) {
		struct rec r = live[--nlive];

		if (r.len)
			munmap(r.p, r.len);
		else
			free(r.p);
	}
}
