// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rule compiler: the parser's intermediate form into an immutable ruleset.
 *
 * Everything the classifier reads (rules, matches, sets, the rule index,
 * texts) is allocated from one arena, freed as a whole; the mutable
 * per-rule state (counters, token buckets) and the classifier's scratch are
 * one separate allocation, so that a new ruleset can take over the state of
 * the live one (fw_ruleset_carry_state) without either being edited.
 * The compile never touches a live ruleset: the appliance compiles to the
 * side and swaps pointers between packet batches.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

struct compiler {
	struct fw_arena a;
	const struct fw_ir *ir;
	struct fw_ruleset *rs;
	const void **built; /* per IR set: its compiled form, built on first use */
	struct fw_error *err;
};

static int nomem(struct compiler *c)
{
	fw_err_set(c->err, 0, 0, "rules need more memory than allowed (%zu KiB)",
		   c->a.mem->max >> 10);
	return -ENOMEM;
}

static const uint64_t *build_bitmap(struct compiler *c, const struct ir_set *s)
{
	const struct ir_elem *e = FW_VEC_AT(&c->ir->elems, struct ir_elem, s->first);
	uint64_t *bm = fw_arena_alloc(&c->a, 4 * sizeof(*bm));

	if (!bm)
		return NULL;
	/* u8 fields: the parser bounded every value to 255. */
	for (uint32_t i = 0; i < s->n; i++)
		for (uint32_t v = e[i].lo; v <= e[i].hi && v < 256; v++)
			bm[v >> 6] |= 1ull << (v & 63);
	return bm;
}

/* The compiled form of IR set @si for @field (named sets are built once and shared). */
static const void *get_set(struct compiler *c, uint32_t si, unsigned int field)
{
	const struct ir_set *s = FW_VEC_AT(&c->ir->sets, struct ir_set, si);
	const struct ir_elem *e = FW_VEC_AT(&c->ir->elems, struct ir_elem, s->first);
	void *out;

	if (c->built[si])
		return c->built[si];
	if (fw_field_is_u8(field)) {
		out = (void *)build_bitmap(c, s);
	} else if (fw_field_is_addr(field)) {
		out = fw_arena_alloc(&c->a, sizeof(struct fw_aset));
		if (out && fw_aset_build(&c->a, out, e, s->n))
			out = NULL;
	} else {
		out = fw_arena_alloc(&c->a, sizeof(struct fw_sset));
		if (out && fw_sset_build(&c->a, out, e, s->n))
			out = NULL;
	}
	c->built[si] = out;
	return out;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int compile_match(struct compiler *c, const struct ir_match *im, struct fw_match *m)
{
	m->field = im->field;
	m->kind = im->kind;
	m->proto = im->proto;
	m->plen = im->plen;
	m->neg = im->neg;
	m->lo = im->lo;
	m->hi = im->hi;
	if (im->kind == FWM_PREFIX) {
		m->u.addr = im->addr;
		if (im->field == FWF_SADDR4 || im->field == FWF_DADDR4) {
			/* IPv4: one masked 32-bit compare at run time. */
			m->lo = im->plen ? ~0u << (32 - im->plen) : 0;
			m->hi = be32(im->addr.b) & m->lo;
		}
	} else if (im->kind == FWM_SET) {
		const void *set = get_set(c, im->lo, im->field);

		if (!set)
			return nomem(c);
		m->kind = fw_field_is_u8(im->field)	? FWM_BITMAP
			  : fw_field_is_addr(im->field) ? FWM_ASET
							: FWM_SSET;
		if (m->kind == FWM_BITMAP)
			m->u.bitmap = set;
		else if (m->kind == FWM_ASET)
			m->u.aset = set;
		else
			m->u.sset = set;
	}
	return 0;
}

static void compile_rule(struct compiler *c, const struct ir_rule *ir, struct fw_rule *r,
			 uint32_t idx, const char *strs)
{
	r->first = ir->first;
	r->n = ir->n;
	r->line = ir->line;
	r->flags = ir->flags;
	r->verdict = ir->verdict;
	r->verdict.rule = idx;
	r->verdict.log = (ir->flags & FWR_LOG) != 0;
	r->text = strs + ir->text_off;
	r->log_prefix = ir->flags & FWR_LOG ? strs + ir->log_off : NULL;
	if (ir->flags & FWR_LIMIT) {
		/*
		 * Credit is counted in 1/rate ns: it grows by `rate` per ns and a
		 * packet costs one period, so `rate` packets fit in each period.
		 * The bucket holds rate + burst packets, like nftables' limit.
		 * The parser checked (rate + burst) * period fits in 64 bits.
		 */
		r->lim_rate = ir->lim_rate;
		r->lim_cost = ir->lim_period_ns;
		r->lim_max = (ir->lim_rate + ir->lim_burst) * ir->lim_period_ns;
	}
	(void)c;
}

static int compile_rules(struct compiler *c)
{
	const struct fw_ir *ir = c->ir;
	struct fw_ruleset *rs = c->rs;
	struct fw_rule *rules = fw_arena_alloc(&c->a, (size_t)ir->rules.n * sizeof(*rules));
	struct fw_match *matches = fw_arena_alloc(&c->a, (size_t)ir->matches.n * sizeof(*matches));
	char *strs = fw_arena_alloc(&c->a, ir->strs.n + 1);

	if (!rules || !matches || !strs)
		return nomem(c);
	memcpy(strs, ir->strs.data ? ir->strs.data : "", ir->strs.n);
	for (uint32_t i = 0; i < ir->matches.n; i++)
		if (compile_match(c, FW_VEC_AT(&ir->matches, struct ir_match, i), &matches[i]))
			return -ENOMEM;
	for (uint32_t i = 0; i < ir->rules.n; i++)
		compile_rule(c, FW_VEC_AT(&ir->rules, struct ir_rule, i), &rules[i], i, strs);
	rs->rules = rules;
	rs->matches = matches;
	rs->nrules = ir->rules.n;
	rs->policy.action = (uint8_t)ir->policy;
	rs->policy.rule = FW_RULE_POLICY;
	rs->policy_line = ir->policy_line;
	return 0;
}

/* Mutable state and scratch: one allocation, separate from the arena. */
static int alloc_state(struct compiler *c)
{
	struct fw_ruleset *rs = c->rs;
	size_t nstate = (size_t)rs->nrules + 1, heap = rs->idx.max_lists;
	size_t bytes =
		nstate * sizeof(*rs->state) + heap * sizeof(*rs->heap) + heap * sizeof(*rs->lpmbuf);
	char *p = fw_mem_alloc(c->a.mem, bytes);

	if (!p)
		return nomem(c);
	rs->state = (struct fw_rule_state *)p;
	rs->heap = (struct fw_cursor *)(p + nstate * sizeof(*rs->state));
	rs->lpmbuf = (uint32_t *)(p + nstate * sizeof(*rs->state) + heap * sizeof(*rs->heap));
	rs->state_bytes = bytes;
	for (uint32_t i = 0; i < rs->nrules; i++)
		rs->state[i].credit = rs->rules[i].lim_max; /* buckets start full */
	return 0;
}

static int compile(struct compiler *c)
{
	int rc;

	c->rs = fw_arena_alloc(&c->a, sizeof(*c->rs));
	c->built = fw_mem_alloc(c->a.mem, (size_t)c->ir->sets.n * sizeof(*c->built));
	if (!c->rs || !c->built)
		return nomem(c);
	rc = compile_rules(c);
	if (!rc && fw_index_build(&c->a, c->rs, c->ir))
		rc = nomem(c);
	if (!rc)
		rc = alloc_state(c);
	fw_mem_free(c->a.mem, c->built, (size_t)c->ir->sets.n * sizeof(*c->built));
	return rc;
}

int fw_compile_limits(const char *text, size_t len, const struct fw_limits *lim,
		      struct fw_ruleset **out, struct fw_error *err)
{
	struct fw_mem mem = {.used = 0, .max = lim->max_mem};
	struct fw_error dummy;
	struct compiler c = {.a = {.mem = &mem}};
	struct fw_ir ir;
	int rc;

	*out = NULL;
	lim = lim ? lim : &fw_default_limits;
	err = err ? err : &dummy;
	memset(err, 0, sizeof(*err));
	c.err = err;
	rc = fw_parse(text, len, lim, &mem, &ir, err);
	if (!rc) {
		c.ir = &ir;
		rc = compile(&c);
	}
	fw_ir_free(&mem, &ir);
	if (rc) {
		fw_chunks_free(c.a.head);
		return rc;
	}
	c.rs->chunks = c.a.head;
	c.rs->bytes = c.a.bytes + c.rs->state_bytes;
	*out = c.rs;
	return 0;
}

int fw_compile(const char *text, size_t len, struct fw_ruleset **out, struct fw_error *err)
{
	return fw_compile_limits(text, len, &fw_default_limits, out, err);
}

void fw_ruleset_free(struct fw_ruleset *rs)
{
	if (!rs)
		return;
	free(rs->state);
	fw_chunks_free(rs->chunks); /* rs itself lives in the arena: last */
}

size_t fw_ruleset_memory(const struct fw_ruleset *rs)
{
	return rs->bytes;
}

unsigned int fw_ruleset_nrules(const struct fw_ruleset *rs)
{
	return rs->nrules;
}
