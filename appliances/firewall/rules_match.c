// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rule language parser, second half: matches (`ip saddr 10.0.0.0/8`,
 * `tcp dport != { 22, 80 }`, `tcp flags syn,!ack`, ...), anonymous sets and
 * named set definitions.
 *
 * Sets are flat: a '{' inside a set is an error, not a recursion, so brace
 * nesting in hostile text costs nothing. Element counts are checked against
 * the per-set and per-file limits before each element is stored.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rules_int.h"

struct field_desc {
	const char *kw;	 /* first keyword: "ip", "tcp", "iif", ... */
	const char *sub; /* second keyword, or NULL for one-word fields */
	uint8_t field, vt, proto, fam;
};

static const struct field_desc fields[] = {
	{"iif", NULL, FWF_IIF, VT_IFACE, 0, 0},
	{"oif", NULL, FWF_OIF, VT_IFACE, 0, 0},
	{"iifname", NULL, FWF_IIF, VT_IFACE, 0, 0},
	{"oifname", NULL, FWF_OIF, VT_IFACE, 0, 0},
	{"meta", "l4proto", FWF_L4PROTO, VT_PROTO, 0, 0},
	{"meta", "iif", FWF_IIF, VT_IFACE, 0, 0},
	{"meta", "oif", FWF_OIF, VT_IFACE, 0, 0},
	{"meta", "iifname", FWF_IIF, VT_IFACE, 0, 0},
	{"meta", "oifname", FWF_OIF, VT_IFACE, 0, 0},
	{"ether", "type", FWF_ETHERTYPE, VT_ETHERTYPE, 0, 0},
	{"vlan", "id", FWF_VLAN, VT_VLAN, 0, 0},
	{"ip", "saddr", FWF_SADDR4, VT_ADDR4, 0, 4},
	{"ip", "daddr", FWF_DADDR4, VT_ADDR4, 0, 4},
	{"ip", "protocol", FWF_IP_PROTO, VT_PROTO, 0, 4},
	{"ip6", "saddr", FWF_SADDR6, VT_ADDR6, 0, 6},
	{"ip6", "daddr", FWF_DADDR6, VT_ADDR6, 0, 6},
	{"ip6", "nexthdr", FWF_IP6_NEXTHDR, VT_PROTO, 0, 6},
	{"tcp", "sport", FWF_SPORT, VT_PORT, 6, 0},
	{"tcp", "dport", FWF_DPORT, VT_PORT, 6, 0},
	{"tcp", "flags", FWF_TCP_FLAGS, 0, 6, 0},
	{"udp", "sport", FWF_SPORT, VT_PORT, 17, 0},
	{"udp", "dport", FWF_DPORT, VT_PORT, 17, 0},
	{"sctp", "sport", FWF_SPORT, VT_PORT, 132, 0},
	{"sctp", "dport", FWF_DPORT, VT_PORT, 132, 0},
	{"th", "sport", FWF_SPORT, VT_PORT, 0, 0},
	{"th", "dport", FWF_DPORT, VT_PORT, 0, 0},
	{"icmp", "type", FWF_ICMP_TYPE, VT_ICMP, 1, 4},
	{"icmpv6", "type", FWF_ICMP6_TYPE, VT_ICMP6, 58, 6},
	{"ct", "state", FWF_CT_STATE, VT_CT, 0, 0},
	{NULL, NULL, 0, 0, 0, 0},
};

static const char *const settype_names[] = {
	[IRS_NONE] = "values",	    [IRS_PORT] = "ports",    [IRS_ADDR] = "addresses",
	[IRS_IFACE] = "interfaces", [IRS_SCALAR] = "values",
};

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static struct ir_set *set_at(struct fw_parser *p, uint32_t i)
{
	return FW_VEC_AT(&p->ir->sets, struct ir_set, i);
}

/* The slot of the named set @s (len bytes) in p->setmap: its index, or FW_NOKEY. */
static uint32_t *setmap_slot(struct fw_parser *p, const char *s, size_t len)
{
	uint32_t i = name_hash(s, len) & p->setmap_mask;

	/* At most max_sets entries in a table of >= 2 * max_sets slots: a free slot exists. */
	for (;; i = (i + 1) & p->setmap_mask) {
		uint32_t *slot = &p->setmap[i];
		const char *name;

		if (*slot == FW_NOKEY)
			return slot;
		name = set_at(p, *slot)->name;
		if (strlen(name) == len && memcmp(name, s, len) == 0)
			return slot;
	}
}

static int push_match(struct fw_parser *p, const struct ir_match *m)
{
	const struct ir_rule *r = FW_VEC_AT(&p->ir->rules, struct ir_rule, p->rule);
	struct ir_match *slot;

	if (p->ir->matches.n - r->first >= p->lim->max_matches) {
		fw_err_set(p->err, p->line, m->col, "too many matches in one rule (max %u)",
			   p->lim->max_matches);
		return -E2BIG;
	}
	slot = fw_vec_push(p->mem, &p->ir->matches);
	if (!slot)
		return fw_err_nomem(p);
	*slot = *m;
	return 0;
}

/* Address family check: `ip` matches take IPv4, `ip6` matches IPv6. */
static int check_fam(struct fw_parser *p, const struct fw_tok *t, unsigned int vt,
		     const struct ir_elem *e)
{
	if (vt == VT_ADDR4 && e->fam == 6) {
		fw_err_set(p->err, p->line, t->col, "IPv6 address in an 'ip' match (use 'ip6')");
		return -EINVAL;
	}
	if (vt == VT_ADDR6 && e->fam == 4) {
		fw_err_set(p->err, p->line, t->col, "IPv4 address in an 'ip6' match (use 'ip')");
		return -EINVAL;
	}
	return 0;
}

/* One element of a set whose type the match decides (@vt). */
static int parse_elem(struct fw_parser *p, const struct fw_tok *t, unsigned int vt,
		      struct ir_elem *e)
{
	if (vt == VT_ADDR4 || vt == VT_ADDR6)
		return fw_parse_prefix(t, p->line, e, p->err) || check_fam(p, t, vt, e) ? -EINVAL
											: 0;
	return fw_parse_scalar(t, vt, p->line, &e->lo, &e->hi, p->err);
}

/* One element of a named set: its type is guessed and must agree with the others. */
static int named_elem(struct fw_parser *p, const struct fw_tok *t, struct ir_set *s,
		      struct ir_elem *e)
{
	unsigned int ty = fw_guess_elem(t);

	if (ty == IRS_NONE) {
		fw_err_set(p->err, p->line, t->col,
			   "cannot tell what '%.*s' is (expected a port, an address or an "
			   "interface)",
			   FW_ECHO(t));
		return -EINVAL;
	}
	if (s->type != IRS_NONE && s->type != ty) {
		fw_err_set(p->err, p->line, t->col, "set '%s' mixes %s and %s", s->name,
			   settype_names[s->type], settype_names[ty]);
		return -EINVAL;
	}
	s->type = (uint8_t)ty;
	if (ty == IRS_ADDR)
		return fw_parse_prefix(t, p->line, e, p->err);
	return fw_parse_scalar(t, ty == IRS_PORT ? VT_PORT : VT_IFACE, p->line, &e->lo, &e->hi,
			       p->err);
}

static int push_elem(struct fw_parser *p, struct ir_set *s, const struct fw_tok *t,
		     struct ir_elem **e)
{
	if (s->n >= p->lim->max_set_elems) {
		fw_err_set(p->err, p->line, t->col, "set has too many elements (max %u)",
			   p->lim->max_set_elems);
		return -E2BIG;
	}
	if (p->nelems >= p->lim->max_elems) {
		fw_err_set(p->err, p->line, t->col, "too many set elements (max %u in all sets)",
			   p->lim->max_elems);
		return -E2BIG;
	}
	*e = fw_vec_push(p->mem, &p->ir->elems);
	if (!*e)
		return fw_err_nomem(p);
	s->n++;
	p->nelems++;
	return 0;
}

/* Check the token at an element's place; 1 at the closing brace. */
static int elem_tok(struct fw_parser *p, const struct fw_tok *lb, const struct ir_set *s)
{
	const struct fw_tok *t = fw_cur(p);

	switch (t->type) {
	case TK_END:
		fw_err_set(p->err, p->line, lb->col, "'{' is not closed");
		return -EINVAL;
	case TK_LBRACE:
		fw_err_set(p->err, p->line, t->col, "nested sets are not supported");
		return -EINVAL;
	case TK_SETREF:
		fw_err_set(p->err, p->line, t->col, "a set reference cannot be inside '{...}'");
		return -EINVAL;
	case TK_RBRACE:
		if (s->n == 0) {
			fw_err_set(p->err, p->line, lb->col, "empty set");
			return -EINVAL;
		}
		return 1;
	}
	return 0;
}

/* `{ elem, elem, ... }` (a trailing comma is fine) into set @si; consumes the braces. */
static int parse_elems(struct fw_parser *p, uint32_t si, unsigned int vt)
{
	const struct fw_tok *lb = fw_next(p);
	struct ir_set *s = set_at(p, si);
	int rc;

	s->first = p->ir->elems.n;
	for (;;) {
		const struct fw_tok *t;
		struct ir_elem *e;

		rc = elem_tok(p, lb, s);
		if (rc)
			break;
		t = fw_next(p);
		rc = push_elem(p, s, t, &e);
		if (!rc)
			rc = s->name[0] ? named_elem(p, t, s, e) : parse_elem(p, t, vt, e);
		if (rc)
			return rc;
		t = fw_cur(p);
		if (t->type == TK_COMMA)
			fw_next(p);
		else if (t->type != TK_RBRACE)
			return fw_err_expected(p, t, "',' or '}'");
	}
	if (rc < 0)
		return rc;
	fw_next(p); /* '}' */
	return 0;
}

static int new_set(struct fw_parser *p, uint32_t *si)
{
	if (!fw_vec_push(p->mem, &p->ir->sets))
		return fw_err_nomem(p);
	*si = p->ir->sets.n - 1;
	set_at(p, *si)->line = p->line;
	set_at(p, *si)->col = fw_cur(p)->col;
	return 0;
}

/* `set NAME { elements }` */
int fw_parse_set(struct fw_parser *p)
{
	const struct fw_tok *name, *lb;
	uint32_t *slot, si;
	int rc;

	fw_next(p); /* "set" */
	name = fw_next(p);
	lb = fw_cur(p);
	if (name->type != TK_WORD ||
	    !((name->s[0] >= 'a' && name->s[0] <= 'z') ||
	      (name->s[0] >= 'A' && name->s[0] <= 'Z') || name->s[0] == '_') ||
	    memchr(name->s, '.', name->len) || memchr(name->s, ':', name->len) ||
	    memchr(name->s, '/', name->len))
		return fw_err_expected(p, name, "a set name (letters, digits, '_' and '-')");
	if (name->len > FW_SET_NAME_MAX) {
		fw_err_set(p->err, p->line, name->col, "set name too long (max %d bytes)",
			   FW_SET_NAME_MAX);
		return -EINVAL;
	}
	slot = setmap_slot(p, name->s, name->len);
	if (*slot != FW_NOKEY) {
		fw_err_set(p->err, p->line, name->col,
			   "set '%.*s' defined twice (first on line %u)", FW_ECHO(name),
			   set_at(p, *slot)->line);
		return -EINVAL;
	}
	if (p->nnamed >= p->lim->max_sets) {
		fw_err_set(p->err, p->line, name->col, "too many sets (max %u)", p->lim->max_sets);
		return -E2BIG;
	}
	if (lb->type != TK_LBRACE)
		return fw_err_expected(p, lb, "'{'");
	if (fw_tok_is(&p->toks[p->pos + 1], "type") || fw_tok_is(&p->toks[p->pos + 1], "flags") ||
	    fw_tok_is(&p->toks[p->pos + 1], "elements")) {
		fw_err_set(p->err, p->line, p->toks[p->pos + 1].col,
			   "nftables set declarations are not supported: write set NAME { element, "
			   "... }");
		return -EINVAL;
	}
	rc = new_set(p, &si);
	if (rc)
		return rc;
	memcpy(set_at(p, si)->name, name->s, name->len);
	rc = parse_elems(p, si, 0);
	if (rc)
		return rc;
	*setmap_slot(p, name->s, name->len) = si;
	p->nnamed++;
	return fw_cur(p)->type == TK_END
		       ? 0
		       : fw_err_expected(p, fw_cur(p), "the end of the line after '}'");
}

static const char *article(const char *what)
{
	return strchr("aeiouAEIOU", what[0]) ? "an" : "a";
}

static int anon_set(struct fw_parser *p, unsigned int vt, struct ir_match *m)
{
	uint32_t si;
	int rc = new_set(p, &si);

	if (rc)
		return rc;
	set_at(p, si)->type = vt == VT_ADDR4 || vt == VT_ADDR6 ? IRS_ADDR : IRS_SCALAR;
	rc = parse_elems(p, si, vt);
	m->kind = FWM_SET;
	m->lo = si;
	return rc;
}

static unsigned int vt_settype(unsigned int vt)
{
	switch (vt) {
	case VT_PORT:
		return IRS_PORT;
	case VT_ADDR4:
	case VT_ADDR6:
		return IRS_ADDR;
	case VT_IFACE:
		return IRS_IFACE;
	}
	return IRS_NONE;
}

/* `@name`: defined earlier in the file, and holding what the match compares. */
static int named_ref(struct fw_parser *p, const struct fw_tok *t, unsigned int vt,
		     struct ir_match *m)
{
	uint32_t si = *setmap_slot(p, t->s + 1, t->len - 1);
	unsigned int want = vt_settype(vt);

	if (si == FW_NOKEY) {
		fw_err_set(p->err, p->line, t->col, "undefined set '%.*s'", FW_ECHO(t));
		return -EINVAL;
	}
	if (want == IRS_NONE) {
		fw_err_set(p->err, p->line, t->col,
			   "named sets hold ports, addresses or interfaces; write the %s values "
			   "in { ... }",
			   fw_vtype_name(vt));
		return -EINVAL;
	}
	if (set_at(p, si)->type != want) {
		fw_err_set(p->err, p->line, t->col, "set '%.*s' holds %s, not %s", FW_ECHO(t),
			   settype_names[set_at(p, si)->type], settype_names[want]);
		return -EINVAL;
	}
	m->kind = FWM_SET;
	m->lo = si;
	return 0;
}

/* `< N`, `<= N`, `> N`, `>= N` as a range. */
static int relational(struct fw_parser *p, const struct fw_tok *op, const struct fw_tok *t,
		      unsigned int vt, struct ir_match *m)
{
	uint32_t v, hi, max = fw_vtype_max(vt);

	if (vt == VT_IFACE || vt == VT_CT || vt == VT_ADDR4 || vt == VT_ADDR6 ||
	    vt == VT_ETHERTYPE) {
		fw_err_set(p->err, p->line, op->col, "'%.*s' only compares numbers", FW_ECHO(op));
		return -EINVAL;
	}
	if (fw_parse_scalar(t, vt, p->line, &v, &hi, p->err))
		return -EINVAL;
	if (v != hi) {
		fw_err_set(p->err, p->line, t->col, "a range cannot follow '%.*s'", FW_ECHO(op));
		return -EINVAL;
	}
	if ((op->type == TK_LT && v == 0) || (op->type == TK_GT && v == max)) {
		fw_err_set(p->err, p->line, op->col, "'%.*s %.*s' matches nothing", FW_ECHO(op),
			   FW_ECHO(t));
		return -EINVAL;
	}
	m->kind = FWM_RANGE;
	m->lo = op->type == TK_LT || op->type == TK_LE ? 0 : op->type == TK_GT ? v + 1 : v;
	m->hi = op->type == TK_LT ? v - 1 : op->type == TK_LE ? v : max;
	return 0;
}

/* The value after a field: [op] value | [op] { ... } | [op] @set */
static int parse_rhs(struct fw_parser *p, unsigned int vt, struct ir_match *m)
{
	const struct fw_tok *op = fw_cur(p), *t;
	unsigned int type = op->type;
	const char *what = fw_vtype_name(vt);
	struct ir_elem e;
	int rc;

	if (type >= TK_EQ && type <= TK_GE)
		fw_next(p);
	else
		type = TK_EQ;
	m->neg = type == TK_NE;
	t = fw_cur(p);
	if (t->type != TK_WORD && t->type != TK_LBRACE && t->type != TK_SETREF) {
		char buf[40];

		snprintf(buf, sizeof(buf), "%s %s", article(what), what);
		return fw_err_expected(p, t, buf);
	}
	if (type > TK_NE) {
		rc = relational(p, op, fw_next(p), vt, m);
	} else if (t->type == TK_LBRACE) {
		rc = anon_set(p, vt, m);
	} else if (t->type == TK_SETREF) {
		rc = named_ref(p, fw_next(p), vt, m);
	} else if (vt == VT_ADDR4 || vt == VT_ADDR6) {
		rc = parse_elem(p, fw_next(p), vt, &e);
		m->kind = FWM_PREFIX;
		m->addr = e.addr;
		m->plen = e.plen;
	} else {
		m->kind = FWM_RANGE;
		rc = fw_parse_scalar(fw_next(p), vt, p->line, &m->lo, &m->hi, p->err);
	}
	if (!rc && fw_cur(p)->type == TK_COMMA) {
		fw_err_set(p->err, p->line, fw_cur(p)->col,
			   "a list of values needs braces: { a, b }");
		rc = -EINVAL;
	}
	return rc;
}

/* "saddr, daddr or protocol": the second keywords that follow @kw. */
static void list_subs(const struct fw_tok *kw, char *buf, size_t len)
{
	const char *sep = "";
	size_t o = 0;
	unsigned int n = 0, total = 0;

	for (const struct field_desc *d = fields; d->kw; d++)
		total += fw_tok_is(kw, d->kw);
	buf[0] = '\0';
	for (const struct field_desc *d = fields; d->kw && o < len; d++) {
		if (!fw_tok_is(kw, d->kw))
			continue;
		n++;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", sep, d->sub);
		sep = n + 1 == total ? " or " : ", ";
	}
}

static const struct field_desc *find_field(struct fw_parser *p, const struct fw_tok *kw)
{
	const struct fw_tok *sub;
	const struct field_desc *d;
	char subs[96];

	for (d = fields; d->kw && !fw_tok_is(kw, d->kw); d++)
		;
	if (!d->kw) {
		if (kw->type == TK_WORD)
			fw_err_set(p->err, p->line, kw->col, "unknown keyword '%.*s'", FW_ECHO(kw));
		else if (kw->type == TK_SEMI)
			fw_err_set(p->err, p->line, kw->col,
				   "unexpected ';' (write one rule per line)");
		else if (kw->type == TK_BANG)
			fw_err_set(p->err, p->line, kw->col,
				   "unexpected '!' (negate with '!=' after the field: ip saddr != "
				   "10.0.0.0/8)");
		else
			fw_err_set(p->err, p->line, kw->col, "unexpected '%.*s'", FW_ECHO(kw));
		return NULL;
	}
	if (!d->sub)
		return d;
	sub = fw_next(p);
	for (; d->kw; d++)
		if (fw_tok_is(kw, d->kw) && fw_tok_is(sub, d->sub))
			return d;
	list_subs(kw, subs, sizeof(subs));
	if (sub->type == TK_WORD)
		fw_err_set(p->err, p->line, sub->col, "unknown %.*s field '%.*s' (expected %s)",
			   FW_ECHO(kw), FW_ECHO(sub), subs);
	else
		fw_err_set(p->err, p->line, sub->col, "expected %s after '%.*s'", subs,
			   FW_ECHO(kw));
	return NULL;
}

int fw_parse_match(struct fw_parser *p, const struct fw_tok *kw)
{
	const struct field_desc *d = find_field(p, kw);
	const struct fw_tok *val;
	struct ir_match m = {0};
	int rc;

	if (!d)
		return -EINVAL;
	if ((d->fam && fw_note_family(p, d->fam, kw)) ||
	    (d->proto && fw_note_proto(p, d->proto, kw)))
		return -EINVAL;
	m.field = d->field;
	m.proto = d->proto;
	m.col = kw->col;
	val = &p->toks[p->pos];
	if (d->field == FWF_TCP_FLAGS)
		rc = fw_parse_tcp_flags(p, &m);
	else if (d->field == FWF_CT_STATE)
		rc = fw_parse_ct(p, &m);
	else
		rc = parse_rhs(p, d->vt, &m);
	if (rc)
		return rc;
	/* `ip protocol udp` then `tcp dport 22` could never match: say so. */
	if (d->vt == VT_PROTO && m.kind == FWM_RANGE && m.lo == m.hi && !m.neg &&
	    fw_note_proto(p, (uint8_t)m.lo, val->type == TK_WORD ? val : kw))
		return -EINVAL;
	return push_match(p, &m);
}
