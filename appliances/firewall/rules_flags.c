// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rule language parser: the two matches with their own syntax, `ct state`
 * (a comma list of states, a mask) and `tcp flags` (the readable
 * `syn,!ack` form and nftables' `& (syn|ack) == syn` form), both compiled
 * to a mask/value pair. Flag expressions are flat `a|b|c` lists in at most
 * one pair of parentheses: nothing nests, nothing recurses.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rules_int.h"

/* `ct state new,untracked` or `ct state { established, related }`: a mask. */
int fw_parse_ct(struct fw_parser *p, struct ir_match *m)
{
	const struct fw_tok *t = fw_cur(p), *lb = NULL;
	uint32_t mask = 0, v, hi;

	if (t->type == TK_EQ || t->type == TK_NE) {
		m->neg = t->type == TK_NE;
		fw_next(p);
	}
	if (fw_cur(p)->type == TK_LBRACE)
		lb = fw_next(p);
	for (;;) {
		t = fw_next(p);
		if (lb && t->type == TK_RBRACE && mask)
			break; /* after a trailing comma */
		if (t->type != TK_WORD)
			return fw_err_expected(p, t, "a ct state");
		if (fw_parse_scalar(t, VT_CT, p->line, &v, &hi, p->err))
			return -EINVAL;
		mask |= v;
		t = fw_cur(p);
		if (t->type == TK_COMMA) {
			fw_next(p);
			continue;
		}
		if (lb && fw_next(p)->type != TK_RBRACE)
			return fw_err_expected(p, t, "',' or '}'");
		break;
	}
	m->kind = FWM_MASK;
	m->lo = mask;
	return 0;
}

static int flag_word(struct fw_parser *p, const struct fw_tok *t, bool numbers, uint32_t *f)
{
	if (t->type != TK_WORD)
		return fw_err_expected(p, t, "a TCP flag");
	if (fw_lookup_name(fw_tcp_flags, t->s, t->len, f) == 0 ||
	    (numbers && fw_parse_u32(t->s, t->len, true, 255, f) == 0))
		return 0;
	fw_err_set(p->err, p->line, t->col, "unknown TCP flag '%.*s'", FW_ECHO(t));
	return -EINVAL;
}

/* `flag | flag ...`, optionally in parentheses; numbers allowed (`== 0`). */
static int flag_expr(struct fw_parser *p, uint32_t *out)
{
	const struct fw_tok *lp = NULL;
	uint32_t v = 0, f;

	if (fw_cur(p)->type == TK_LPAREN)
		lp = fw_next(p);
	for (;;) {
		if (flag_word(p, fw_next(p), true, &f))
			return -EINVAL;
		v |= f;
		if (fw_cur(p)->type != TK_PIPE)
			break;
		fw_next(p);
	}
	if (lp && fw_cur(p)->type != TK_RPAREN)
		return fw_err_expected(p, fw_cur(p), "')'");
	if (lp)
		fw_next(p);
	*out = v;
	return 0;
}

/* The readable form: `syn,!ack` = SYN set and ACK clear. */
static int flag_list(struct fw_parser *p, uint32_t *mask, uint32_t *val)
{
	for (;;) {
		bool clear = fw_cur(p)->type == TK_BANG;
		const struct fw_tok *t;
		uint32_t f;

		if (clear)
			fw_next(p);
		t = fw_next(p);
		if (flag_word(p, t, false, &f))
			return -EINVAL;
		if (*mask & f) {
			fw_err_set(p->err, p->line, t->col, "TCP flag '%.*s' given twice",
				   FW_ECHO(t));
			return -EINVAL;
		}
		*mask |= f;
		*val |= clear ? 0 : f;
		if (fw_cur(p)->type != TK_COMMA)
			return 0;
		fw_next(p);
	}
}

/* `tcp flags syn,!ack` | `tcp flags & (syn|ack) == syn` | `tcp flags == syn|ack` */
int fw_parse_tcp_flags(struct fw_parser *p, struct ir_match *m)
{
	const struct fw_tok *t = fw_cur(p);
	uint32_t mask = 0, val = 0;

	if (t->type == TK_AMP) {
		fw_next(p);
		if (flag_expr(p, &mask))
			return -EINVAL;
		t = fw_next(p);
		if (t->type != TK_EQ && t->type != TK_NE)
			return fw_err_expected(p, t, "'==' or '!='");
		m->neg = t->type == TK_NE;
		if (flag_expr(p, &val))
			return -EINVAL;
		if (val & ~mask) {
			fw_err_set(p->err, p->line, t->col,
				   "the value has flags outside the mask (it could never match)");
			return -EINVAL;
		}
	} else if (t->type == TK_EQ) {
		fw_next(p);
		mask = 0xff;
		if (flag_expr(p, &val))
			return -EINVAL;
	} else {
		if (t->type == TK_NE) {
			m->neg = true;
			fw_next(p);
		}
		if (flag_list(p, &mask, &val))
			return -EINVAL;
	}
	m->kind = FWM_FLAGS;
	m->lo = mask;
	m->hi = val;
	return 0;
}
