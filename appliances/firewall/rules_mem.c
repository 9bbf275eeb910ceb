// SPDX-License-Identifier: BSD-2-Clause
/*
 * Memory for the rule compiler: a budgeted allocator, growable arrays and
 * the arena a compiled ruleset lives in.
 *
 * Rule text is untrusted, so the sizes it drives are not trusted either:
 * every byte goes through fw_mem_alloc(), which refuses to exceed the
 * budget (fw_limits.max_mem) before asking the heap. Size arithmetic is
 * checked for overflow wherever a count from the text is multiplied.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define CHUNK_MIN (64u << 10)

void *fw_mem_alloc(struct fw_mem *m, size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if (size > m->max - m->used)
		return NULL;
	p = calloc(1, size);
	if (p)
		m->used += size;
	return p;
}

void *fw_mem_grow(struct fw_mem *m, void *p, size_t old, size_t new)
{
	void *q;

	if (new <= old)
		return p;
	if (new - old > m->max - m->used)
		return NULL;
	q = realloc(p, new);
	if (!q)
		return NULL;
	memset((char *)q + old, 0, new - old);
	m->used += new - old;
	return q;
}

void fw_mem_free(struct fw_mem *m, void *p, size_t size)
{
	if (!p)
		return;
	free(p);
	m->used -= size < m->used ? size : m->used;
}

void fw_vec_init(struct fw_vec *v, size_t esize)
{
	v->data = NULL;
	v->n = 0;
	v->cap = 0;
	v->esize = (uint32_t)esize;
}

/* Doubling keeps pushes amortised O(1); counts stay far below 2^31 (limits). */
int fw_vec_reserve(struct fw_mem *m, struct fw_vec *v, uint32_t extra)
{
	uint32_t ncap = v->cap ? v->cap : 16;
	void *q;

	if (extra > UINT32_MAX / 2 - v->n)
		return -ENOMEM;
	if (v->n + extra <= v->cap)
		return 0;
	while (ncap < v->n + extra)
		ncap *= 2;
	q = fw_mem_grow(m, v->data, (size_t)v->cap * v->esize, (size_t)ncap * v->esize);
	if (!q)
		return -ENOMEM;
	v->data = q;
	v->cap = ncap;
	return 0;
}

void *fw_vec_push(struct fw_mem *m, struct fw_vec *v)
{
	if (fw_vec_reserve(m, v, 1))
		return NULL;
	return (char *)v->data + (size_t)v->n++ * v->esize;
}

void fw_vec_free(struct fw_mem *m, struct fw_vec *v)
{
	fw_mem_free(m, v->data, (size_t)v->cap * v->esize);
	v->data = NULL;
	v->n = v->cap = 0;
}

static struct fw_chunk *new_chunk(struct fw_arena *a, size_t csize)
{
	struct fw_chunk *c;

	if (csize > SIZE_MAX - sizeof(*c))
		return NULL;
	c = fw_mem_alloc(a->mem, sizeof(*c) + csize);
	if (!c)
		return NULL;
	c->size = csize;
	a->bytes += sizeof(*c) + csize;
	return c;
}

/*
 * Small requests are bumped from the head chunk (CHUNK_MIN bytes); a large
 * one gets a chunk of its own, linked behind the head so that the head's
 * free tail stays in use.
 */
void *fw_arena_alloc(struct fw_arena *a, size_t size)
{
	size_t need = ((size ? size : 1) + 15) & ~(size_t)15;
	struct fw_chunk *c = a->head;

	if (need < size)
		return NULL;
	if (need > CHUNK_MIN / 4) {
		c = new_chunk(a, need);
		if (!c)
			return NULL;
		c->used = need;
		c->next = a->head ? a->head->next : NULL;
		if (a->head)
			a->head->next = c;
		else
			a->head = c;
		return c->data;
	}
	if (!c || c->size - c->used < need) {
		c = new_chunk(a, CHUNK_MIN);
		if (!c)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	c->used += need;
	return c->data + c->used - need;
}

void fw_chunks_free(struct fw_chunk *c)
{
	while (c) {
		struct fw_chunk *next = c->next;

		free(c);
		c = next;
	}
}
