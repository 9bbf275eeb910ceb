// SPDX-License-Identifier: BSD-2-Clause
/*
 * The appliance's own key store (include/sluice/hcstore.h).
 *
 * hcs_apply() works on a shadow of the sorted entry array: every string
 * the update needs is allocated while the shadow is built, and the real
 * store is touched only once the whole update has been simulated and fits
 * the quotas. Then the shadow replaces the array and what it dropped is
 * freed, so no failure can leave half an update behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/hcstore.h"

#define KEY_MAX 120

void hcs_init(struct hcs_store *s, unsigned int max_entries, size_t max_bytes)
{
	memset(s, 0, sizeof(*s));
	s->max_entries = max_entries;
	s->max_bytes = max_bytes;
}

void hcs_fini(struct hcs_store *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		free(s->e[i].key);
		free(s->e[i].val);
	}
	free(s->e);
	s->e = NULL;
	s->n = s->cap = 0;
	s->bytes = 0;
}

int hcs_key_check(const char *key)
{
	size_t len = strnlen(key, KEY_MAX + 1), comp = 0;

	if (len == 0 || len > KEY_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];

		if (c == '/') {
			if (comp == 0)
				return -EINVAL; /* empty component: leading, trailing or '//' */
			comp = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return -EINVAL;
		comp++;
	}
	return comp ? 0 : -EINVAL;
}

bool hcs_in_subtree(const char *key, const char *base)
{
	size_t bl = strlen(base);

	return strncmp(key, base, bl) == 0 && (key[bl] == '\0' || key[bl] == '/');
}

static unsigned int lower(const struct hcs_entry *e, unsigned int n, const char *key)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (strcmp(e[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

unsigned int hcs_lower(const struct hcs_store *s, const char *key)
{
	return lower(s->e, s->n, key);
}

const struct hcs_entry *hcs_get(const struct hcs_store *s, const char *key)
{
	unsigned int i = lower(s->e, s->n, key);

	return i < s->n && strcmp(s->e[i].key, key) == 0 ? &s->e[i] : NULL;
}

/*
 * "a/b" sorts before "a/b/c" but also before "a/b.c" ('.' < '/'), so the
 * subtree of a key is not contiguous from the key itself: its children
 * start at the first key >= "a/b/" and run while they have that prefix.
 */
static void subtree_children(const struct hcs_entry *e, unsigned int n, const char *key,
			     unsigned int *first, unsigned int *end)
{
	char pfx[KEY_MAX + 2];
	size_t kl = strlen(key);
	unsigned int i;

	memcpy(pfx, key, kl);
	pfx[kl] = '/';
	pfx[kl + 1] = '\0';
	i = *first = lower(e, n, pfx);
	while (i < n && strncmp(e[i].key, pfx, kl + 1) == 0)
		i++;
	*end = i;
}

int hcs_dir(const struct hcs_store *s, const char *key, char *out, size_t cap, unsigned int *count,
	    size_t *used)
{
	size_t kl = strlen(key), pos = 0;
	unsigned int first, end, cnt = 0;
	const char *prev = NULL;
	size_t prevlen = 0;

	*count = 0;
	*used = 0;
	if (hcs_key_check(key) < 0)
		return -EINVAL;
	subtree_children(s->e, s->n, key, &first, &end);
	if (first == end)
		return hcs_get(s, key) ? 0 : -ENOENT;
	for (unsigned int i = first; i < end; i++) {
		const char *c = s->e[i].key + kl + 1;
		size_t cl = strcspn(c, "/");

		if (prev && cl == prevlen && memcmp(prev, c, cl) == 0)
			continue; /* sorted: equal first components are adjacent */
		if (pos + cl + 1 > cap)
			return -E2BIG;
		memcpy(out + pos, c, cl);
		out[pos + cl] = '\0';
		pos += cl + 1;
		prev = c;
		prevlen = cl;
		cnt++;
	}
	*count = cnt;
	*used = pos;
	return 0;
}

/* ---- all-or-nothing updates ---- */

struct shadow {
	struct hcs_entry *e;
	unsigned int n, cap;
	size_t bytes;
	char **dropped; /* strings no longer referenced once the update lands */
	unsigned int ndropped;
	char **fresh; /* strings allocated for this update */
	unsigned int nfresh;
};

static void drop(struct shadow *sh, struct hcs_entry *e)
{
	sh->dropped[sh->ndropped++] = e->key;
	sh->dropped[sh->ndropped++] = e->val;
	sh->bytes -= strlen(e->key) + 1 + e->len + 1;
}

static void shadow_rm(struct shadow *sh, const char *key)
{
	unsigned int first, end, i = lower(sh->e, sh->n, key);

	if (i < sh->n && strcmp(sh->e[i].key, key) == 0) {
		drop(sh, &sh->e[i]);
		memmove(&sh->e[i], &sh->e[i + 1], (sh->n - i - 1) * sizeof(*sh->e));
		sh->n--;
	}
	subtree_children(sh->e, sh->n, key, &first, &end);
	for (i = first; i < end; i++)
		drop(sh, &sh->e[i]);
	memmove(&sh->e[first], &sh->e[end], (sh->n - end) * sizeof(*sh->e));
	sh->n -= end - first;
}

static int shadow_write(struct shadow *sh, const struct hcs_op *op, uint64_t ver)
{
	unsigned int i = lower(sh->e, sh->n, op->key);
	bool exists = i < sh->n && strcmp(sh->e[i].key, op->key) == 0;
	char *k = NULL, *v = malloc(op->len + 1);

	if (!v)
		return -ENOMEM;
	sh->fresh[sh->nfresh++] = v;
	memcpy(v, op->val, op->len);
	v[op->len] = '\0';
	if (exists) {
		sh->dropped[sh->ndropped++] = sh->e[i].val;
		sh->bytes -= sh->e[i].len;
		sh->e[i].val = v;
		sh->e[i].len = (uint32_t)op->len;
		sh->e[i].ver = ver;
		sh->bytes += op->len;
		return 0;
	}
	k = strdup(op->key);
	if (!k)
		return -ENOMEM;
	sh->fresh[sh->nfresh++] = k;
	memmove(&sh->e[i + 1], &sh->e[i], (sh->n - i) * sizeof(*sh->e));
	sh->e[i] = (struct hcs_entry){.key = k, .val = v, .len = (uint32_t)op->len, .ver = ver};
	sh->n++;
	sh->bytes += strlen(k) + 1 + op->len + 1;
	return 0;
}

/* Room for the worst case: every write a new entry, every entry dropped. */
static int shadow_init(struct shadow *sh, const struct hcs_store *s, const struct hcs_op *ops,
		       unsigned int n)
{
	unsigned int writes = 0;

	for (unsigned int i = 0; i < n; i++)
		writes += ops[i].kind == HCS_WRITE;
	memset(sh, 0, sizeof(*sh));
	sh->cap = s->n + writes;
	sh->e = malloc((sh->cap ? sh->cap : 1) * sizeof(*sh->e));
	sh->dropped = malloc((2 * sh->cap + 1) * sizeof(char *));
	sh->fresh = malloc((2 * writes + 1) * sizeof(char *));
	if (!sh->e || !sh->dropped || !sh->fresh) {
		free(sh->e);
		free(sh->dropped);
		free(sh->fresh);
		return -ENOMEM;
	}
	if (s->n)
		memcpy(sh->e, s->e, s->n * sizeof(*sh->e));
	sh->n = s->n;
	sh->bytes = s->bytes;
	return 0;
}

static int check_ops(const struct hcs_op *ops, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (hcs_key_check(ops[i].key) < 0)
			return -EINVAL;
		if (ops[i].kind == HCS_WRITE && (!ops[i].val && ops[i].len))
			return -EINVAL;
		if (ops[i].len > UINT32_MAX / 2)
			return -ENOSPC;
	}
	return 0;
}

int hcs_apply(struct hcs_store *s, const struct hcs_op *ops, unsigned int n)
{
	struct shadow sh;
	int rc = check_ops(ops, n);

	if (rc < 0)
		return rc;
	rc = shadow_init(&sh, s, ops, n);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < n && rc == 0; i++) {
		if (ops[i].kind == HCS_RM)
			shadow_rm(&sh, ops[i].key);
		else
			rc = shadow_write(&sh, &ops[i], s->ver + 1);
	}
	if (rc == 0 && (sh.n > s->max_entries || sh.bytes > s->max_bytes))
		rc = -ENOSPC;
	if (rc < 0) {
		/* Nothing reached the store: only this update's strings go. */
		for (unsigned int i = 0; i < sh.nfresh; i++)
			free(sh.fresh[i]);
		free(sh.e);
		free(sh.dropped);
		free(sh.fresh);
		return rc;
	}
	s->ver++;
	for (unsigned int i = 0; i < n; i++)
		if (ops[i].kind == HCS_RM)
			s->rm_ver = s->ver;
	free(s->e);
	s->e = sh.e;
	s->n = sh.n;
	s->cap = sh.cap;
	s->bytes = sh.bytes;
	for (unsigned int i = 0; i < sh.ndropped; i++)
		free(sh.dropped[i]);
	free(sh.dropped);
	free(sh.fresh);
	if (s->changed)
		for (unsigned int i = 0; i < n; i++)
			s->changed(s->ctx, ops[i].key);
	return 0;
}
