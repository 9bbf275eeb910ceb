/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xen grant tables, v1: hand out grant references for our pages, revoke them
 * safely, and park the ones a backend still has mapped (XSA-396) until the
 * backend lets go. The one hypercall (mapping a table frame) sits behind
 * struct gnttab_ops, so this is pure logic: built into the kernel and into
 * host tests, which use ordinary memory as the table.
 *
 * Not reentrant and not interrupt safe: callers serialize (the event loop,
 * or interrupts off). Only the grant entries are shared with Xen.
 */
#ifndef SLUICE_GNTTAB_H
#define SLUICE_GNTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/grant_table.h>
#include <xen/xen.h>

#define GNTTAB_FRAME_SIZE 4096U
#define GNTTAB_ENTRIES_PER_FRAME ((unsigned int)(GNTTAB_FRAME_SIZE / sizeof(grant_entry_v1_t)))

/*
 * Largest table we accept: refs stay below 2^19 and fit an int. Xen's own
 * per-domain limit (max_grant_frames, 64 by default) is far lower.
 */
#define GNTTAB_MAX_FRAMES 1024U

/* Refs parked by gnttab_quarantine() at any one time. */
#define GNTTAB_QUARANTINE_MAX 64U

struct gnttab_ops {
	/*
	 * Map grant-table frame @idx at guest frame @gpfn (XENMEM_add_to_physmap,
	 * space XENMAPSPACE_grant_table). Mapping a higher @idx than before grows
	 * the table. Returns 0 or -errno.
	 */
	int (*map_frame)(void *ctx, unsigned int idx, uint64_t gpfn);
};

struct gnttab_parked {
	int ref;
	void *cookie;
};

struct gnttab {
	grant_entry_v1_t *entries; /* frame 0; frame i follows at entries + i * 512 */
	uint64_t base_gpfn;	   /* frame i lives at guest frame base_gpfn + i */
	unsigned int nr_frames;	   /* frames mapped */
	unsigned int max_frames;   /* growth limit (lowered if Xen refuses to grow) */
	uint32_t *next;		   /* per ref: next free ref, or a GNTTAB_REF_* state */
	uint32_t free_head;	   /* GNTTAB_REF_END when the free list is empty */
	const struct gnttab_ops *ops;
	void *ctx;
	unsigned int nr_free;	  /* refs on the free list */
	unsigned int in_use;	  /* refs handed out, quarantined ones included */
	unsigned int quarantined; /* refs parked now: parked[0..quarantined) */
	uint64_t busy;		  /* end_access found the grant still mapped */
	uint64_t quarantine_full; /* parks refused: ref and page leaked for good */
	uint64_t reaped;	  /* parked refs finally revoked and released */
	struct gnttab_parked parked[GNTTAB_QUARANTINE_MAX];
};

/* Values of next[ref] that are not free-list links. */
#define GNTTAB_REF_END 0xffffffffU	/* end of the free list */
#define GNTTAB_REF_INUSE 0xfffffffeU	/* granted: owned by the caller */
#define GNTTAB_REF_PARKED 0xfffffffdU	/* owned by the quarantine */
#define GNTTAB_REF_RESERVED 0xfffffffcU /* 0..7: console, xenstore, tools */

/* uint32_t words of free-list storage a table of @max_frames needs. */
size_t gnttab_storage_words(unsigned int max_frames);

/*
 * Set up @g and map frames 0..@initial_frames-1. @entries_va is the virtual
 * address of frame 0; frames are contiguous, in guest-physical space at
 * [@base_gpfn, @base_gpfn + @max_frames) (a memory-map hole the caller
 * reserved) and virtually from @entries_va. @freelist_storage holds
 * gnttab_storage_words(@max_frames) words and must outlive @g. Returns 0,
 * -EINVAL (bad arguments) or map_frame's error (@g is then unusable).
 */
int gnttab_init(struct gnttab *g, void *entries_va, uint64_t base_gpfn, unsigned int initial_frames,
		unsigned int max_frames, uint32_t *freelist_storage, const struct gnttab_ops *ops,
		void *ctx);

/*
 * Grant @domid access to guest frame @gfn (read-only if @readonly). Refs 0..7
 * are never handed out. When no ref is free, the next frame is mapped, up to
 * max_frames. Returns the ref (>= 8), -ENOSPC (table full), -ERANGE (@gfn
 * does not fit v1's 32-bit frame field), or map_frame's error, after which
 * growth is not tried again (Xen's limit is below max_frames).
 */
int gnttab_grant_access(struct gnttab *g, uint16_t domid, uint64_t gfn, bool readonly);

/*
 * Revoke @ref. 0: revoked, the ref is free again and the page may be reused.
 * -EBUSY: the backend still maps it, the ref is NOT freed and the page must
 * not be freed or reused (XSA-396): retry later or gnttab_quarantine() it.
 * -EINVAL: not a ref handed out by gnttab_grant_access() (reserved, out of
 * range, already ended, or parked).
 */
int gnttab_end_access(struct gnttab *g, int ref);

/*
 * Park @ref, whose revocation failed, with @cookie (e.g. the page address).
 * From now on the quarantine owns the ref; gnttab_reap() retries it and
 * passes @cookie to its callback once revoked, and only then may the page be
 * freed. 0, -EINVAL (not an in-use ref), or -ENOSPC when the quarantine is
 * full: counted, the ref stays the caller's, and the caller must leak the
 * page deliberately (never free it).
 */
int gnttab_quarantine(struct gnttab *g, int ref, void *cookie);

/*
 * Retry every parked ref. For each one now revoked: free the ref, then call
 * @release(cookie, @arg) (may be NULL), exactly once per park. @release may
 * call back into gnttab. Returns the number released.
 */
unsigned int gnttab_reap(struct gnttab *g, void (*release)(void *cookie, void *arg), void *arg);

#endif
