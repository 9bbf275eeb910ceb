/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel shim shared by the driver fakes (fake_netback.c,
 * fake_blkback.c): the platform globals of xen_plat.h, pages from a low
 * arena (so that frame numbers fit a v1 grant entry; ASan-poisoned while
 * free), kprintf capture, and the event loop's clock, timers and work. The
 * clock is the fake xenstored's (struct fake_xs.now), so xenstore timeouts
 * and driver timers see the same time.
 *
 * Set SLUICE_TEST_VERBOSE (or the older NF_TEST_VERBOSE / BF_TEST_VERBOSE)
 * to echo kprintf to stderr.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_xenstore.h"

/*
 * Reset the shim for a new test: map the page arena at @arena_base (each
 * fake uses its own, so frame numbers tell them apart), clear the log,
 * timers and work, and take the time from @clock. With @work_needs_fn,
 * work_post() asserts that the posted work has a handler.
 */
void shim_kernel_init(uintptr_t arena_base, struct fake_xs *clock, bool work_needs_fn);
/* Whether work is posted and not yet run. */
bool shim_work_pending(void);

/* Run posted work and due timers until nothing is left. */
void shim_run_work(void);
/* Advance the clock (shared with the fake xenstored) and fire due timers. */
void shim_advance(uint64_t ns);
uint64_t shim_now(void);
/* kprintf lines containing @needle so far. */
unsigned int shim_log_count(const char *needle);
/* Page state in the arena. */
bool shim_page_live(const void *page);
unsigned int shim_pages_live(void);
/* Make page_alloc fail after @n more pages (-1: never). */
void shim_page_fail_after(int n);

#endif
