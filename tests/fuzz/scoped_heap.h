/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An input-scoped heap for the driver harnesses (fuzz_netfront,
 * fuzz_blkfront), forced in with -include before everything else.
 *
 * The drivers allocate per device and never free (a kernel's devices live
 * until power-off), and the unit-test fakes they run against allocate per
 * fresh environment: under Check each test is its own process, but a
 * fuzzer runs millions of inputs in one. Renaming the allocation calls of
 * every file in the harness lets fz_heap_reset() release, after each
 * input, whatever that input allocated, so memory stays flat and the leak
 * checker stays quiet without touching the code under test.
 */
#ifndef SLUICE_FUZZ_SCOPED_HEAP_H
#define SLUICE_FUZZ_SCOPED_HEAP_H

#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

void *fz_malloc(size_t n);
void *fz_calloc(size_t n, size_t size);
void *fz_aligned_alloc(size_t align, size_t n);
void fz_free(void *p);
void *fz_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int fz_munmap(void *addr, size_t len);
/* Release everything allocated since the last reset. */
void fz_heap_reset(void);

#ifndef FZ_SCOPED_HEAP_IMPL
#define malloc fz_malloc
#define calloc fz_calloc
#define aligned_alloc fz_aligned_alloc
#define free fz_free
#define mmap fz_mmap
#define munmap fz_munmap
#endif

#endif
