// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen grant tables, v1 (docs/xen.md §9; Xen grant_table.h).
 *
 * Each grant entry is {u16 flags; domid_t domid; u32 frame}. We write domid
 * and frame, then flags; Xen only honours an entry whose flags say
 * GTF_permit_access, and sets GTF_reading/GTF_writing in flags while a
 * backend has the frame mapped. The free refs form a singly linked list
 * threaded through caller-provided storage, one word per ref; the same word
 * records the state of refs that are not free, which is what lets us reject
 * double and foreign end_access calls.
 *
 * XSA-396: a page whose grant could not be revoked is still readable (or
 * writable) by the backend. Neither the ref nor the page may be reused until
 * revocation succeeds, so end_access reports -EBUSY and leaves both to the
 * caller, and the quarantine keeps them until a later retry works.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/barrier.h"
#include "sluice/gnttab.h"

/* Guest frame numbers of 64-bit physical addresses are below 2^52. */
#define GNTTAB_GPFN_LIMIT (1ULL << 52)

/*
 * Attempts at the revoke cmpxchg. It only fails when the flags changed under
 * us, that is the backend mapped or unmapped meanwhile; a backend doing that
 * in a tight loop must not keep us spinning, so give up and call it busy.
 */
#define GNTTAB_REVOKE_TRIES 64

size_t gnttab_storage_words(unsigned int max_frames)
{
	return (size_t)max_frames * GNTTAB_ENTRIES_PER_FRAME;
}

static uint32_t nr_refs(const struct gnttab *g)
{
	return g->nr_frames * GNTTAB_ENTRIES_PER_FRAME;
}

static void push_free(struct gnttab *g, uint32_t ref)
{
	g->next[ref] = g->free_head;
	g->free_head = ref;
	g->nr_free++;
}

/* Put refs [lo, hi) on the free list, lowest on top. */
static void push_range(struct gnttab *g, uint32_t lo, uint32_t hi)
{
	while (hi > lo)
		push_free(g, --hi);
}

static int map_next_frame(struct gnttab *g)
{
	unsigned int idx = g->nr_frames;
	int rc;

	rc = g->ops->map_frame(g->ctx, idx, g->base_gpfn + idx);
	if (rc)
		return rc;
	g->nr_frames++;
	return 0;
}

static bool init_args_ok(const void *entries_va, uint64_t base_gpfn, unsigned int initial_frames,
			 unsigned int max_frames, const uint32_t *storage,
			 const struct gnttab_ops *ops)
{
	if (!entries_va || !storage || !ops || !ops->map_frame)
		return false;
	if (initial_frames == 0 || initial_frames > max_frames || max_frames > GNTTAB_MAX_FRAMES)
		return false;
	return base_gpfn < GNTTAB_GPFN_LIMIT && max_frames <= GNTTAB_GPFN_LIMIT - base_gpfn;
}

int gnttab_init(struct gnttab *g, void *entries_va, uint64_t base_gpfn, unsigned int initial_frames,
		unsigned int max_frames, uint32_t *freelist_storage, const struct gnttab_ops *ops,
		void *ctx)
{
	if (!init_args_ok(entries_va, base_gpfn, initial_frames, max_frames, freelist_storage, ops))
		return -EINVAL;
	*g = (struct gnttab){
		.entries = entries_va,
		.base_gpfn = base_gpfn,
		.max_frames = max_frames,
		.next = freelist_storage,
		.free_head = GNTTAB_REF_END,
		.ops = ops,
		.ctx = ctx,
	};
	for (uint32_t r = 0; r < GNTTAB_NR_RESERVED_ENTRIES; r++)
		g->next[r] = GNTTAB_REF_RESERVED;
	while (g->nr_frames < initial_frames) {
		int rc = map_next_frame(g);

		if (rc)
			return rc;
	}
	/*
	 * The entries themselves are not written: Xen hands out new table
	 * frames zeroed, and the reserved ones belong to the toolstack.
	 */
	push_range(g, GNTTAB_NR_RESERVED_ENTRIES, nr_refs(g));
	return 0;
}

/* Map one more frame and put its refs on the (empty) free list. */
static int grow(struct gnttab *g)
{
	uint32_t lo = nr_refs(g);
	int rc;

	if (g->nr_frames >= g->max_frames)
		return -ENOSPC;
	rc = map_next_frame(g);
	if (rc) {
		/*
		 * Xen's limit is lower than ours (or it is out of memory): stop
		 * here rather than pay a failing hypercall on every grant.
		 */
		g->max_frames = g->nr_frames;
		return rc;
	}
	push_range(g, lo, nr_refs(g));
	return 0;
}

int gnttab_grant_access(struct gnttab *g, uint16_t domid, uint64_t gfn, bool readonly)
{
	grant_entry_v1_t *ent;
	uint32_t ref;
	int rc;

	/* v1's frame field is 32 bits: pages at or above 16 TiB cannot be granted. */
	if (gfn > UINT32_MAX)
		return -ERANGE;
	if (g->free_head == GNTTAB_REF_END) {
		rc = grow(g);
		if (rc)
			return rc;
	}
	ref = g->free_head;
	g->free_head = g->next[ref];
	g->next[ref] = GNTTAB_REF_INUSE;
	g->nr_free--;
	g->in_use++;

	/* A free entry has flags == 0, so Xen ignores it while we fill it in. */
	ent = &g->entries[ref];
	ent->domid = domid;
	ent->frame = (uint32_t)gfn;
	/*
	 * Write barrier: Xen must never see the new flags with the old domid or
	 * frame, or the wrong domain could get the wrong page. On x86 stores
	 * become visible in program order (TSO), so only the compiler can
	 * reorder them, and a compiler barrier is enough (grant_table.h: "WMB
	 * is a no-op on current x86, a compiler barrier is still required").
	 */
	wmb();
	/* A single 16-bit store: Xen reads flags concurrently and must not see it torn. */
	__atomic_store_n(&ent->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
			 __ATOMIC_RELAXED);
	return (int)ref;
}

/*
 * Clear the entry's flags unless the backend has the frame mapped. The
 * cmpxchg is what makes this safe: Xen sets GTF_reading/GTF_writing with its
 * own cmpxchg when a backend maps the grant, so a plain store of 0 could land
 * just after a mapping was made, "revoking" a grant that is still in use.
 * Ours fails if the flags changed since we checked them, and we re-check.
 * Once it succeeds Xen refuses new mappings. It is lock-prefixed, so also a
 * full barrier: the caller's later reuse of the page comes after it.
 */
static int revoke(grant_entry_v1_t *ent)
{
	uint16_t f = __atomic_load_n(&ent->flags, __ATOMIC_RELAXED);

	for (int i = 0; i < GNTTAB_REVOKE_TRIES; i++) {
		if (f & (GTF_reading | GTF_writing))
			return -EBUSY;
		/* On failure this reloads @f with the current flags. */
		if (__atomic_compare_exchange_n(&ent->flags, &f, 0, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return 0;
	}
	return -EBUSY;
}

/* Is @ref one we handed out and still in the caller's hands? */
static bool ref_in_use(const struct gnttab *g, int ref)
{
	if (ref < (int)GNTTAB_NR_RESERVED_ENTRIES || (uint32_t)ref >= nr_refs(g))
		return false;
	return g->next[ref] == GNTTAB_REF_INUSE;
}

static void release_ref(struct gnttab *g, uint32_t ref)
{
	push_free(g, ref);
	g->in_use--;
}

int gnttab_end_access(struct gnttab *g, int ref)
{
	if (!ref_in_use(g, ref))
		return -EINVAL;
	if (revoke(&g->entries[ref])) {
		g->busy++;
		return -EBUSY;
	}
	release_ref(g, (uint32_t)ref);
	return 0;
}

int gnttab_quarantine(struct gnttab *g, int ref, void *cookie)
{
	if (!ref_in_use(g, ref))
		return -EINVAL;
	if (g->quarantined >= GNTTAB_QUARANTINE_MAX) {
		g->quarantine_full++;
		return -ENOSPC;
	}
	g->next[ref] = GNTTAB_REF_PARKED;
	g->parked[g->quarantined++] = (struct gnttab_parked){.ref = ref, .cookie = cookie};
	return 0;
}

unsigned int gnttab_reap(struct gnttab *g, void (*release)(void *cookie, void *arg), void *arg)
{
	unsigned int i = 0, n = 0;

	while (i < g->quarantined) {
		struct gnttab_parked p = g->parked[i];

		if (revoke(&g->entries[p.ref])) {
			i++;
			continue;
		}
		/*
		 * Unpark before the callback, which may grant or quarantine
		 * again; the last entry moves into slot i, which is retried.
		 */
		g->parked[i] = g->parked[--g->quarantined];
		release_ref(g, (uint32_t)p.ref);
		g->reaped++;
		n++;
		if (release)
			release(p.cookie, arg);
	}
	return n;
}
