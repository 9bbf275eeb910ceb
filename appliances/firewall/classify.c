// SPDX-License-Identifier: BSD-2-Clause
/*
 * The packet classifier: first matching rule with a verdict wins, else the
 * policy.
 *
 * The packet's fields come from pkt_parse() and are used only where the
 * metadata says they are valid (l3, PKT_HAS_L4, PKT_VLAN): a match on a
 * field the packet does not have fails, negated or not, like nftables'
 * implicit protocol dependencies (`tcp dport != 22` does not match UDP).
 * IPv4 addresses are re-read from their 4 bytes, never trusting the
 * padding of struct pkt_addr.
 *
 * Candidate rules come from the index (classify_index.c) as sorted lists;
 * they are merged with a small binary heap, so rules are tried in rule
 * order and the first terminal match ends the walk. The heap and LPM
 * buffers live with the ruleset's mutable state: classification is
 * single-threaded per ruleset and uses no stack in proportion to the rules.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

static bool is_ip(const struct pkt_meta *m)
{
	return m->l3 == PKT_L3_IPV4 || m->l3 == PKT_L3_IPV6;
}

/* Protocols whose ports pkt_parse() reports. */
static bool has_ports(const struct pkt_meta *m)
{
	return (m->flags & PKT_HAS_L4) && is_ip(m) &&
	       (m->proto == 6 || m->proto == 17 || m->proto == 132 || m->proto == 136 ||
		m->proto == 33);
}

static bool l4_of(const struct pkt_meta *m, unsigned int l3, unsigned int proto)
{
	return m->l3 == l3 && m->proto == proto && (m->flags & PKT_HAS_L4);
}

/* The scalar a match looks at; false if the packet does not have it. */
static bool field_value(const struct fw_match *x, const struct pkt_meta *m, uint32_t oif,
			uint8_t ct, uint32_t *v)
{
	switch (x->field) {
	case FWF_IIF:
		*v = m->ifindex;
		return true;
	case FWF_OIF:
		*v = oif;
		return oif != FW_IF_NONE;
	case FWF_ETHERTYPE:
		*v = m->ethertype;
		return true;
	case FWF_VLAN:
		*v = m->vlan;
		return (m->flags & PKT_VLAN) != 0;
	case FWF_L4PROTO:
		*v = m->proto;
		return is_ip(m);
	case FWF_IP_PROTO:
		*v = m->proto;
		return m->l3 == PKT_L3_IPV4;
	case FWF_IP6_NEXTHDR:
		*v = m->proto;
		return m->l3 == PKT_L3_IPV6;
	case FWF_SPORT:
	case FWF_DPORT:
		*v = x->field == FWF_SPORT ? m->sport : m->dport;
		return has_ports(m) && (!x->proto || x->proto == m->proto);
	case FWF_ICMP_TYPE:
		*v = m->icmp_type;
		return l4_of(m, PKT_L3_IPV4, 1);
	case FWF_ICMP6_TYPE:
		*v = m->icmp_type;
		return l4_of(m, PKT_L3_IPV6, 58);
	case FWF_TCP_FLAGS:
		*v = m->tcp_flags;
		return is_ip(m) && m->proto == 6 && (m->flags & PKT_HAS_L4);
	case FWF_CT_STATE:
		*v = ct;
		return ct != 0; /* unknown: neither `ct state x` nor `ct state != x` */
	}
	return false;
}

static bool scalar_match(const struct fw_match *x, uint32_t v)
{
	switch (x->kind) {
	case FWM_RANGE:
		return v >= x->lo && v <= x->hi;
	case FWM_FLAGS:
		return (v & x->lo) == x->hi;
	case FWM_MASK:
		return (v & x->lo) != 0;
	case FWM_BITMAP:
		return v < 256 && (x->u.bitmap[v >> 6] >> (v & 63) & 1);
	case FWM_SSET:
		return fw_sset_has(x->u.sset, v);
	}
	return false;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The packet's address for field @f, IPv4 normalised; false if it has none. */
static bool packet_addr(const struct pkt_meta *m, unsigned int f, struct pkt_addr *a)
{
	bool src = f == FWF_SADDR4 || f == FWF_SADDR6;
	bool v6 = f == FWF_SADDR6 || f == FWF_DADDR6;
	const struct pkt_addr *pa = src ? &m->saddr : &m->daddr;

	if (m->l3 != (v6 ? PKT_L3_IPV6 : PKT_L3_IPV4))
		return false;
	if (v6) {
		*a = *pa;
	} else {
		memset(a, 0, sizeof(*a));
		memcpy(a->b, pa->b, 4);
	}
	return true;
}

static bool addr_match(const struct fw_match *x, const struct pkt_meta *m, bool *ok)
{
	bool v6 = x->field == FWF_SADDR6 || x->field == FWF_DADDR6;
	struct pkt_addr a;

	*ok = packet_addr(m, x->field, &a);
	if (!*ok)
		return false;
	if (x->kind == FWM_ASET)
		return fw_aset_has(x->u.aset, &a, v6);
	if (!v6)
		return (be32(a.b) & x->lo) == x->hi;
	return fw_addr_in(&a, &x->u.addr, x->plen);
}

static bool match_one(const struct fw_match *x, const struct pkt_meta *m, uint32_t oif, uint8_t ct)
{
	uint32_t v;
	bool ok, hit;

	if (fw_field_is_addr(x->field)) {
		hit = addr_match(x, m, &ok);
		return ok && hit != x->neg;
	}
	if (!field_value(x, m, oif, ct, &v))
		return false;
	return scalar_match(x, v) != x->neg;
}

bool fw_rule_matches(const struct fw_ruleset *rs, const struct fw_rule *r, const struct pkt_meta *m,
		     uint32_t oif, uint8_t ct_state)
{
	const struct fw_match *x = rs->matches + r->first;

	for (uint32_t i = 0; i < r->n; i++)
		if (!match_one(&x[i], m, oif, ct_state))
			return false;
	return true;
}

/*
 * Token bucket (credit in 1/rate ns, see rules_compile.c). A clock that
 * goes backwards adds nothing. The refill is clamped before multiplying, so
 * nothing overflows however long the rule was idle.
 */
static bool limit_pass(const struct fw_rule *r, struct fw_rule_state *s, uint64_t now)
{
	bool under;

	if (now > s->last_ns) {
		uint64_t el = now - s->last_ns, room = r->lim_max - s->credit;

		s->credit = el > room / r->lim_rate ? r->lim_max : s->credit + el * r->lim_rate;
		s->last_ns = now;
	}
	under = s->credit >= r->lim_cost;
	if (under)
		s->credit -= r->lim_cost;
	return (r->flags & FWR_LIMIT_OVER) ? !under : under;
}

static void push_list(const struct fw_ruleset *rs, uint32_t li, unsigned int *n)
{
	const struct fw_list *l = li == FW_NOKEY ? &rs->idx.fallback : &rs->idx.lists[li];

	if (l->n == 0)
		return;
	rs->heap[*n].p = rs->idx.cand + l->off;
	rs->heap[*n].end = rs->idx.cand + l->off + l->n;
	(*n)++;
}

/* The candidate lists under the packet's keys (at most FW_MAX_LISTS). */
static unsigned int gather(const struct fw_ruleset *rs, const struct pkt_meta *m)
{
	const struct fw_index *idx = &rs->idx;
	unsigned int n = 0;
	uint32_t li;

	if (has_ports(m)) {
		if (fw_u32map_get(&idx->port[0], m->sport, &li))
			push_list(rs, li, &n);
		if (fw_u32map_get(&idx->port[1], m->dport, &li))
			push_list(rs, li, &n);
	}
	if (is_ip(m)) {
		bool v6 = m->l3 == PKT_L3_IPV6;

		for (unsigned int dir = 0; dir < 2; dir++) {
			struct pkt_addr a;
			unsigned int k;

			packet_addr(m, (v6 ? FWF_SADDR6 : FWF_SADDR4) + dir, &a);
			if (fw_addrmap_get(&idx->exact[dir][v6], &a, &li))
				push_list(rs, li, &n);
			k = fw_lpm_collect(&idx->lpm[dir][v6], &a, rs->lpmbuf, 127);
			for (unsigned int i = 0; i < k; i++)
				push_list(rs, rs->lpmbuf[i], &n);
		}
	}
	push_list(rs, FW_NOKEY, &n);
	return n;
}

static void sift_down(struct fw_cursor *h, unsigned int n, unsigned int i)
{
	for (;;) {
		unsigned int c = 2 * i + 1;
		struct fw_cursor t;

		if (c >= n)
			return;
		if (c + 1 < n && *h[c + 1].p < *h[c].p)
			c++;
		if (*h[i].p <= *h[c].p)
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

/* The smallest rule index among the lists, advancing past it. */
static uint32_t pop_min(struct fw_cursor *h, unsigned int *n)
{
	uint32_t r = *h[0].p;

	if (++h[0].p == h[0].end)
		h[0] = h[--*n];
	sift_down(h, *n, 0);
	return r;
}

static void count(struct fw_rule_state *s, const struct pkt_meta *m)
{
	s->packets++;
	s->bytes += m->frame_len;
}

static void note_log(struct fw_logs *logs, uint32_t rule)
{
	if (!logs)
		return;
	if (logs->n < FW_LOG_MAX)
		logs->rule[logs->n++] = rule;
	else
		logs->missed++;
}

const struct fw_verdict *fw_classify_ex(const struct fw_ruleset *rs, const struct pkt_meta *m,
					uint32_t oif, uint8_t ct_state, uint64_t now_ns,
					struct fw_logs *logs)
{
	unsigned int n = gather(rs, m);
	uint32_t last = FW_NOKEY;

	if (logs)
		logs->n = logs->missed = 0;
	for (unsigned int i = n / 2; i-- > 0;)
		sift_down(rs->heap, n, i);
	while (n) {
		uint32_t ri = pop_min(rs->heap, &n);
		const struct fw_rule *r = &rs->rules[ri];

		/* A rule filed under two prefixes of one set can come up twice in a row. */
		if (ri == last)
			continue;
		last = ri;
		if (!fw_rule_matches(rs, r, m, oif, ct_state))
			continue;
		if ((r->flags & FWR_LIMIT) && !limit_pass(r, &rs->state[ri], now_ns))
			continue;
		count(&rs->state[ri], m);
		if (r->flags & FWR_LOG)
			note_log(logs, ri);
		if (r->flags & FWR_TERMINAL)
			return &r->verdict;
	}
	count(&rs->state[rs->nrules], m);
	return &rs->policy;
}

const struct fw_verdict *fw_classify(const struct fw_ruleset *rs, const struct pkt_meta *m,
				     uint8_t ct_state, uint64_t now_ns)
{
	return fw_classify_ex(rs, m, FW_IF_NONE, ct_state, now_ns, NULL);
}

int fw_rule_info(const struct fw_ruleset *rs, uint32_t rule, struct fw_rule_info *out)
{
	const struct fw_rule_state *s;

	if (rule == FW_RULE_POLICY) {
		s = &rs->state[rs->nrules];
		*out = (struct fw_rule_info){
			.text = rs->policy.action == FW_ACCEPT ? "policy accept" : "policy drop",
			.line = rs->policy_line,
			.terminal = true,
		};
	} else if (rule < rs->nrules) {
		const struct fw_rule *r = &rs->rules[rule];

		s = &rs->state[rule];
		*out = (struct fw_rule_info){
			.text = r->text,
			.line = r->line,
			.log_prefix = r->log_prefix,
			.terminal = (r->flags & FWR_TERMINAL) != 0,
		};
	} else {
		return -ENOENT;
	}
	out->packets = s->packets;
	out->bytes = s->bytes;
	return 0;
}

/* ------------------------------------------------------ state carry-over */

struct text_key {
	uint64_t hash;
	const char *text;
	uint32_t rule;
};

static uint64_t text_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* By text (hash first, then the bytes: a collision cannot pair different texts), then rule. */
static int cmp_text(const void *x, const void *y)
{
	const struct text_key *a = x, *b = y;
	int c;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	c = strcmp(a->text, b->text);
	if (c)
		return c;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

static struct text_key *sorted_texts(const struct fw_ruleset *rs)
{
	struct text_key *k = malloc(((size_t)rs->nrules + 1) * sizeof(*k));

	if (!k)
		return NULL;
	for (uint32_t i = 0; i < rs->nrules; i++)
		k[i] = (struct text_key){text_hash(rs->rules[i].text), rs->rules[i].text, i};
	if (rs->nrules)
		qsort(k, rs->nrules, sizeof(*k), cmp_text);
	return k;
}

/*
 * Both rulesets' rules sorted by text: equal texts form runs in rule order,
 * and the k-th rule of a run in @to takes the state of the k-th in @from.
 */
int fw_ruleset_carry_state(struct fw_ruleset *to, const struct fw_ruleset *from)
{
	struct text_key *a = sorted_texts(to), *b = sorted_texts(from);
	uint32_t i = 0, j = 0;

	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	while (i < to->nrules && j < from->nrules) {
		int c = cmp_text(&(struct text_key){a[i].hash, a[i].text, 0},
				 &(struct text_key){b[j].hash, b[j].text, 0});

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			to->state[a[i].rule] = from->state[b[j].rule];
			i++;
			j++;
		}
	}
	if (to->policy.action == from->policy.action)
		to->state[to->nrules] = from->state[from->nrules];
	free(a);
	free(b);
	return 0;
}
