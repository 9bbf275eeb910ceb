// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rule language parser: lines, `policy`, rules and their statements and
 * verdicts. Matches and sets are in rules_match.c.
 *
 * The text is untrusted (operators, xenstore). Every count it drives is
 * checked against struct fw_limits before anything is allocated for it, all
 * memory is budgeted (rules_mem.c), and parsing is a loop over lines and
 * tokens: nothing recurses on the input's structure. The first error stops
 * the parse with its line, column and a message naming the offending text.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rules_int.h"

int fw_err_nomem(struct fw_parser *p)
{
	fw_err_set(p->err, 0, 0, "rules need more memory than allowed (%zu KiB)",
		   p->lim->max_mem >> 10);
	return -ENOMEM;
}

int fw_err_expected(struct fw_parser *p, const struct fw_tok *t, const char *what)
{
	if (t->type == TK_END)
		fw_err_set(p->err, p->line, t->col, "expected %s at the end of the line", what);
	else
		fw_err_set(p->err, p->line, t->col, "expected %s, got '%.*s'", what, FW_ECHO(t));
	return -EINVAL;
}

static struct ir_rule *cur_rule(struct fw_parser *p)
{
	return FW_VEC_AT(&p->ir->rules, struct ir_rule, p->rule);
}

static int strs_append(struct fw_parser *p, const char *s, size_t n, uint32_t *off)
{
	struct fw_vec *v = &p->ir->strs;

	/* +1 for the NUL; n is bounded by the line length. */
	if (fw_vec_reserve(p->mem, v, (uint32_t)n + 1))
		return fw_err_nomem(p);
	*off = v->n;
	memcpy((char *)v->data + v->n, s, n);
	((char *)v->data)[v->n + n] = '\0';
	v->n += (uint32_t)n + 1;
	return 0;
}

/* The rule's text, tokens joined by one blank where the source had blanks. */
static int rule_text(struct fw_parser *p, struct ir_rule *r)
{
	struct fw_vec *v = &p->ir->strs;
	size_t need = 1;
	char *o;

	for (unsigned int i = 0; i < p->ntok; i++)
		need += p->toks[i].len + 1;
	if (fw_vec_reserve(p->mem, v, (uint32_t)need))
		return fw_err_nomem(p);
	o = (char *)v->data + v->n;
	r->text_off = v->n;
	for (unsigned int i = 0; i < p->ntok; i++) {
		if (i && p->toks[i].space_before)
			*o++ = ' ';
		memcpy(o, p->toks[i].s, p->toks[i].len);
		o += p->toks[i].len;
	}
	*o = '\0';
	r->text_len = (uint32_t)(o - ((char *)v->data + v->n));
	v->n += r->text_len + 1;
	return 0;
}

static int expect_end(struct fw_parser *p, const char *after)
{
	const struct fw_tok *t = fw_cur(p);

	if (t->type == TK_END)
		return 0;
	fw_err_set(p->err, p->line, t->col, "unexpected '%.*s' after %s", FW_ECHO(t), after);
	return -EINVAL;
}

static int parse_policy(struct fw_parser *p)
{
	const struct fw_tok *kw = fw_next(p), *t = fw_next(p);

	if (p->ir->policy >= 0) {
		fw_err_set(p->err, p->line, kw->col, "'policy' given twice");
		return -EINVAL;
	}
	if (fw_tok_is(t, "accept")) {
		p->ir->policy = FW_ACCEPT;
	} else if (fw_tok_is(t, "drop")) {
		p->ir->policy = FW_DROP;
	} else {
		fw_err_set(p->err, p->line, t->col, "expected 'accept' or 'drop' after 'policy'");
		return -EINVAL;
	}
	p->ir->policy_line = p->line;
	return expect_end(p, "the policy");
}

int fw_note_family(struct fw_parser *p, uint8_t fam, const struct fw_tok *t)
{
	if (p->fam && p->fam != fam) {
		fw_err_set(
			p->err, p->line, t->col,
			"'%.*s' conflicts with '%.*s' earlier in the rule (it could never match)",
			FW_ECHO(t), FW_ECHO(p->fam_tok));
		return -EINVAL;
	}
	p->fam = fam;
	p->fam_tok = t;
	return 0;
}

int fw_note_proto(struct fw_parser *p, uint8_t proto, const struct fw_tok *t)
{
	if (p->proto && p->proto != proto) {
		fw_err_set(
			p->err, p->line, t->col,
			"'%.*s' conflicts with '%.*s' earlier in the rule (it could never match)",
			FW_ECHO(t), FW_ECHO(p->proto_tok));
		return -EINVAL;
	}
	p->proto = proto;
	p->proto_tok = t;
	return 0;
}

static int parse_log(struct fw_parser *p, struct ir_rule *r, const struct fw_tok *kw)
{
	char buf[FW_LOG_PREFIX_MAX + 1];
	size_t n = 0;

	if (r->flags & FWR_LOG) {
		fw_err_set(p->err, p->line, kw->col, "only one 'log' per rule");
		return -EINVAL;
	}
	r->flags |= FWR_LOG;
	buf[0] = '\0';
	if (fw_tok_is(fw_cur(p), "prefix")) {
		const struct fw_tok *kp = fw_next(p), *s = fw_next(p);

		if (s->type != TK_STRING) {
			fw_err_set(p->err, p->line, s->col, "expected a \"string\" after '%.*s'",
				   FW_ECHO(kp));
			return -EINVAL;
		}
		/* Printable ASCII only (the lexer checked): the prefix goes to the console. */
		if (fw_tok_string(s, buf, sizeof(buf), &n)) {
			fw_err_set(p->err, p->line, s->col, "log prefix too long (max %d bytes)",
				   FW_LOG_PREFIX_MAX);
			return -EINVAL;
		}
	}
	r->log_len = (uint32_t)n;
	return strs_append(p, buf, n, &r->log_off);
}

static int rate_unit(const char *s, size_t len, uint64_t *ns)
{
	static const struct fw_name units[] = {
		{"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}, {NULL, 0},
	};
	uint32_t secs;

	if (fw_lookup_name(units, s, len, &secs))
		return -EINVAL;
	*ns = (uint64_t)secs * 1000000000ull;
	return 0;
}

/* "N/unit" */
static int parse_rate(struct fw_parser *p, const struct fw_tok *t, struct ir_rule *r)
{
	const char *slash = t->type == TK_WORD ? memchr(t->s, '/', t->len) : NULL;
	size_t l1 = slash ? (size_t)(slash - t->s) : 0;
	uint32_t rate;
	int rc;

	if (!slash) {
		fw_err_set(p->err, p->line, t->col, "expected a rate such as 100/second");
		return -EINVAL;
	}
	rc = fw_parse_u32(t->s, l1, false, FW_LIMIT_RATE_MAX, &rate);
	if (rc || rate == 0) {
		fw_err_set(p->err, p->line, t->col, "limit rate %.*s %s (1 to %u)", (int)l1, t->s,
			   rc == -ERANGE ? "out of range" : "invalid", FW_LIMIT_RATE_MAX);
		return -EINVAL;
	}
	if (rate_unit(slash + 1, t->len - l1 - 1, &r->lim_period_ns)) {
		fw_err_set(p->err, p->line, t->col + (uint32_t)l1 + 1,
			   "unknown time unit '%.*s' (second, minute, hour or day)",
			   (int)(t->len - l1 - 1 < FW_ECHO_MAX ? t->len - l1 - 1 : FW_ECHO_MAX),
			   slash + 1);
		return -EINVAL;
	}
	r->lim_rate = rate;
	return 0;
}

/* `limit rate [over] N/unit [burst N [packets]]` */
static int parse_limit(struct fw_parser *p, struct ir_rule *r, const struct fw_tok *kw)
{
	const struct fw_tok *t = fw_next(p);
	uint32_t burst = 5; /* nftables' default */

	if (r->flags & FWR_LIMIT) {
		fw_err_set(p->err, p->line, kw->col, "only one 'limit' per rule");
		return -EINVAL;
	}
	if (!fw_tok_is(t, "rate")) {
		fw_err_set(p->err, p->line, t->col, "expected 'rate' after 'limit'");
		return -EINVAL;
	}
	r->flags |= FWR_LIMIT;
	if (fw_tok_is(fw_cur(p), "over")) {
		fw_next(p);
		r->flags |= FWR_LIMIT_OVER;
	}
	t = fw_next(p);
	if (parse_rate(p, t, r))
		return -EINVAL;
	if (fw_tok_is(fw_cur(p), "burst")) {
		const struct fw_tok *b;

		fw_next(p);
		b = fw_next(p);
		if (b->type != TK_WORD ||
		    fw_parse_u32(b->s, b->len, false, FW_LIMIT_BURST_MAX, &burst)) {
			fw_err_set(p->err, p->line, b->col, "expected a burst of 0 to %u packets",
				   FW_LIMIT_BURST_MAX);
			return -EINVAL;
		}
		if (fw_tok_is(fw_cur(p), "packets"))
			fw_next(p);
	}
	r->lim_burst = burst;
	/* The bucket holds (rate + burst) * period in units of 1/rate ns: must fit 64 bits. */
	if (r->lim_rate + burst > UINT64_MAX / r->lim_period_ns) {
		fw_err_set(p->err, p->line, t->col, "limit rate %.*s is too high for its unit",
			   FW_ECHO(t));
		return -EINVAL;
	}
	return 0;
}

static int parse_reject_with(struct fw_parser *p, struct ir_rule *r)
{
	static const char *const kinds[] = {[FW_REJECT_ICMP] = "icmp",
					    [FW_REJECT_ICMPV6] = "icmpv6",
					    [FW_REJECT_ICMPX] = "icmpx"};
	const struct fw_tok *t = fw_next(p), *c;
	uint32_t code;

	if (fw_tok_is(t, "tcp")) {
		c = fw_next(p);
		if (!fw_tok_is(c, "reset")) {
			fw_err_set(p->err, p->line, c->col, "expected 'reset' after 'with tcp'");
			return -EINVAL;
		}
		if (p->proto != 6) {
			fw_err_set(p->err, p->line, t->col,
				   "'reject with tcp reset' needs a tcp match in the rule");
			return -EINVAL;
		}
		r->verdict.reject = FW_REJECT_TCP_RESET;
		return 0;
	}
	for (unsigned int k = FW_REJECT_ICMP; k <= FW_REJECT_ICMPX; k++) {
		if (!fw_tok_is(t, kinds[k]))
			continue;
		if ((k == FW_REJECT_ICMP && p->fam == 6) ||
		    (k == FW_REJECT_ICMPV6 && p->fam == 4)) {
			fw_err_set(p->err, p->line, t->col,
				   "'reject with %s' cannot answer this rule's IP version",
				   kinds[k]);
			return -EINVAL;
		}
		if (fw_tok_is(fw_cur(p), "type"))
			fw_next(p);
		c = fw_next(p);
		if (fw_reject_code(c, k, &code)) {
			fw_err_set(p->err, p->line, c->col, "unknown %s reject type '%.*s'",
				   kinds[k], FW_ECHO(c));
			return -EINVAL;
		}
		r->verdict.reject = (uint8_t)k;
		r->verdict.code = (uint8_t)code;
		return 0;
	}
	fw_err_set(p->err, p->line, t->col,
		   "expected 'tcp reset', 'icmp', 'icmpv6' or 'icmpx' after 'with'");
	return -EINVAL;
}

/* A verdict ends the rule. Returns 1 if @kw was not a verdict. */
static int parse_verdict(struct fw_parser *p, struct ir_rule *r, const struct fw_tok *kw)
{
	if (fw_tok_is(kw, "accept")) {
		r->verdict.action = FW_ACCEPT;
	} else if (fw_tok_is(kw, "drop")) {
		r->verdict.action = FW_DROP;
	} else if (fw_tok_is(kw, "reject")) {
		r->verdict.action = FW_REJECT;
		r->verdict.reject = FW_REJECT_AUTO;
		if (fw_tok_is(fw_cur(p), "with")) {
			fw_next(p);
			if (parse_reject_with(p, r))
				return -EINVAL;
		}
	} else {
		return 1;
	}
	r->flags |= FWR_TERMINAL;
	return expect_end(p, "the verdict");
}

/* Returns 1 if @kw is not a statement. */
static int parse_statement(struct fw_parser *p, struct ir_rule *r, const struct fw_tok *kw)
{
	if (fw_tok_is(kw, "counter")) {
		r->flags |= FWR_COUNTER;
		return 0;
	}
	if (fw_tok_is(kw, "log"))
		return parse_log(p, r, kw);
	if (fw_tok_is(kw, "limit"))
		return parse_limit(p, r, kw);
	return parse_verdict(p, r, kw);
}

static int parse_rule(struct fw_parser *p)
{
	struct ir_rule *r;
	int rc;

	if (p->ir->rules.n >= p->lim->max_rules) {
		fw_err_set(p->err, p->line, 1, "too many rules (max %u)", p->lim->max_rules);
		return -E2BIG;
	}
	if (!fw_vec_push(p->mem, &p->ir->rules))
		return fw_err_nomem(p);
	p->rule = p->ir->rules.n - 1;
	p->fam = p->proto = 0;
	r = cur_rule(p);
	r->line = p->line;
	r->first = p->ir->matches.n;
	while (fw_cur(p)->type != TK_END) {
		const struct fw_tok *kw = fw_next(p);

		/* r stays valid: only matches, sets, elements and strings grow meanwhile. */
		rc = parse_statement(p, r, kw);
		if (rc == 1)
			rc = fw_parse_match(p, kw);
		if (rc)
			return rc;
	}
	r->n = p->ir->matches.n - r->first;
	if (!(r->flags & (FWR_TERMINAL | FWR_COUNTER | FWR_LOG))) {
		fw_err_set(
			p->err, p->line, 1,
			"rule does nothing: add a verdict (accept, drop, reject), counter or log");
		return -EINVAL;
	}
	return rule_text(p, r);
}

static int parse_line(struct fw_parser *p)
{
	const struct fw_tok *t = fw_cur(p);

	if (fw_tok_is(t, "policy"))
		return parse_policy(p);
	if (fw_tok_is(t, "set"))
		return fw_parse_set(p);
	return parse_rule(p);
}

/* One line: length and byte checks are the lexer's; here the line limits. */
static int do_line(struct fw_parser *p, const char *s, size_t len)
{
	int rc;

	if (len && s[len - 1] == '\r')
		len--; /* CRLF files are common from some editors */
	if (len > p->lim->max_line) {
		fw_err_set(p->err, p->line, p->lim->max_line + 1, "line too long (max %u bytes)",
			   p->lim->max_line);
		return -E2BIG;
	}
	rc = fw_lex_line(s, len, p->line, p->toks, p->tokmax, &p->ntok, p->err);
	if (rc || p->ntok == 0)
		return rc;
	p->pos = 0;
	return parse_line(p);
}

/* A line has at most one token per byte, plus TK_END. */
static int parser_init(struct fw_parser *p, size_t len)
{
	size_t cap = 16;

	p->tokmax = (unsigned int)(len < p->lim->max_line ? len : p->lim->max_line) + 2;
	while (cap < (size_t)p->lim->max_sets * 2)
		cap *= 2;
	p->toks = fw_mem_alloc(p->mem, p->tokmax * sizeof(*p->toks));
	p->setmap = fw_mem_alloc(p->mem, cap * sizeof(*p->setmap));
	if (!p->toks || !p->setmap)
		return fw_err_nomem(p);
	memset(p->setmap, 0xff, cap * sizeof(*p->setmap));
	p->setmap_mask = (uint32_t)cap - 1;
	return 0;
}

static void parser_fini(struct fw_parser *p)
{
	size_t cap = (size_t)p->setmap_mask + 1;

	fw_mem_free(p->mem, p->toks, p->tokmax * sizeof(*p->toks));
	if (p->setmap)
		fw_mem_free(p->mem, p->setmap, cap * sizeof(*p->setmap));
}

static int parse_lines(struct fw_parser *p, const char *text, size_t len)
{
	size_t i = 0;
	int rc = 0;

	while (i < len && !rc) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) : len - i;

		if (++p->line > p->lim->max_lines) {
			fw_err_set(p->err, p->line, 1, "too many lines (max %u)",
				   p->lim->max_lines);
			return -E2BIG;
		}
		rc = do_line(p, text + i, l);
		i += l + 1;
	}
	return rc;
}

int fw_parse(const char *text, size_t len, const struct fw_limits *lim, struct fw_mem *mem,
	     struct fw_ir *ir, struct fw_error *err)
{
	struct fw_parser p = {.lim = lim, .mem = mem, .ir = ir, .err = err};
	int rc;

	memset(ir, 0, sizeof(*ir));
	fw_vec_init(&ir->rules, sizeof(struct ir_rule));
	fw_vec_init(&ir->matches, sizeof(struct ir_match));
	fw_vec_init(&ir->sets, sizeof(struct ir_set));
	fw_vec_init(&ir->elems, sizeof(struct ir_elem));
	fw_vec_init(&ir->strs, 1);
	ir->policy = -1;
	if (len > lim->max_text) {
		fw_err_set(err, 0, 0, "rules too large (%zu bytes, max %zu)", len, lim->max_text);
		return -E2BIG;
	}
	rc = parser_init(&p, len);
	if (!rc)
		rc = parse_lines(&p, text, len);
	parser_fini(&p);
	if (!rc && ir->policy < 0) {
		fw_err_set(err, 0, 0, "no policy: add a line 'policy accept' or 'policy drop'");
		rc = -EINVAL;
	}
	return rc;
}

void fw_ir_free(struct fw_mem *mem, struct fw_ir *ir)
{
	fw_vec_free(mem, &ir->rules);
	fw_vec_free(mem, &ir->matches);
	fw_vec_free(mem, &ir->sets);
	fw_vec_free(mem, &ir->elems);
	fw_vec_free(mem, &ir->strs);
}
