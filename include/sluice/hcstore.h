/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The appliance's own key store, for platforms without xenstore (QEMU/KVM):
 * the host channel's keys live here and the host reaches them through the
 * control port (kernel/lib/hcproto.c, docs/hostcfg.md).
 *
 * Pure logic on the heap (also built into host unit tests). Keys are kept
 * sorted, so a key's subtree ("config" and "config/...") is one contiguous
 * run. Every change is made through hcs_apply(), which applies a list of
 * writes and removals all or nothing: it allocates everything first and
 * then only moves pointers, so running out of memory half-way cannot leave
 * half an update behind. Quotas (entries, bytes) bound what a host can
 * make us hold.
 */
#ifndef SLUICE_HCSTORE_H
#define SLUICE_HCSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hcs_entry {
	char *key;
	char *val; /* NUL-terminated copy; len bytes of value */
	uint32_t len;
	uint64_t ver; /* store version of the last change */
};

struct hcs_store {
	struct hcs_entry *e;
	unsigned int n, cap;
	size_t bytes;	 /* keys + values held */
	uint64_t ver;	 /* bumped by every applied change */
	uint64_t rm_ver; /* version of the last removal */
	unsigned int max_entries;
	size_t max_bytes;
	/* Called after each applied change with the key written or removed. */
	void (*changed)(void *ctx, const char *key);
	void *ctx;
};

enum hcs_kind { HCS_WRITE, HCS_RM };

struct hcs_op {
	enum hcs_kind kind;
	const char *key;
	const char *val; /* HCS_WRITE */
	size_t len;
};

void hcs_init(struct hcs_store *s, unsigned int max_entries, size_t max_bytes);
void hcs_fini(struct hcs_store *s);

/* The entry of @key, or NULL. Valid until the next change. */
const struct hcs_entry *hcs_get(const struct hcs_store *s, const char *key);
/* Index of the first key >= @key (the insertion point). */
unsigned int hcs_lower(const struct hcs_store *s, const char *key);
/* Is @key equal to @base or below it ("base/...")? */
bool hcs_in_subtree(const char *key, const char *base);

/*
 * The distinct first components below @key, each NUL-terminated, into
 * @out (cap bytes). *@count gets their number; -E2BIG when they do not fit,
 * -ENOENT when @key has no subtree and no value.
 */
int hcs_dir(const struct hcs_store *s, const char *key, char *out, size_t cap, unsigned int *count,
	    size_t *used);

/*
 * Apply @ops in order, all or nothing. 0, -ENOSPC (a quota), -ENOMEM,
 * -EINVAL (a malformed key). A removal takes the key's whole subtree; a
 * removal of something absent is no error.
 */
int hcs_apply(struct hcs_store *s, const struct hcs_op *ops, unsigned int n);

/* Key syntax: 1..120 bytes of [A-Za-z0-9_.-] components separated by '/'. */
int hcs_key_check(const char *key);

#endif
