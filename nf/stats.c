// SPDX-License-Identifier: BSD-2-Clause
/*
 * The stats registry and the text formatters of sluice/nf/stats.h.
 */
#include <stdio.h>
#include <string.h>

#include "sluice/inaddr.h"
#include "sluice/nf/stats.h"

typedef unsigned long long ull;

void nf_stats_init(struct nf_stats *st)
{
	st->head = st->tail = NULL;
}

void nf_stats_add(struct nf_stats *st, struct nf_stats_section *sec, const char *name,
		  nf_stats_fn format, void *arg)
{
	*sec = (struct nf_stats_section){.name = name, .format = format, .arg = arg};
	if (st->tail)
		st->tail->next = sec;
	else
		st->head = sec;
	st->tail = sec;
}

size_t nf_stats_format(const struct nf_stats *st, char *buf, size_t len)
{
	size_t pos = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	/* A section that did not fit ends the text: later ones would be cut anyway. */
	for (const struct nf_stats_section *s = st->head; s && pos + 1 < len; s = s->next)
		pos += s->format(s->arg, buf + pos, len - pos);
	return pos < len ? pos : len - 1;
}

void nf_stats_print(const struct nf_stats *st, const char *prefix, char *buf, size_t len)
{
	size_t n = nf_stats_format(st, buf, len);
	const char *p = buf, *end = buf + n;

	/* Line by line with a prefix, so the console log greps cleanly. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int l = (int)((nl ? nl : end) - p);

		printf("%s: %.*s\n", prefix, l, p);
		p += l + 1;
	}
}

size_t nf_stats_pipeline(void *arg, char *buf, size_t len)
{
	const struct pl_graph *g = arg;
	int n = snprintf(buf, len, "pipeline batches=%llu packets=%llu max_batch=%llu\n",
			 (ull)g->batches, (ull)g->packets, (ull)g->max_batch);

	return n < 0 ? 0 : (size_t)n;
}

void nf_format_addr(const struct pkt_addr *a, bool v6, char *buf, size_t len)
{
	if (v6)
		inaddr_format6(a->b, buf, len); /* RFC 5952, the one formatter */
	else
		snprintf(buf, len, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
}

static size_t format_l4(const struct pkt_meta *m, char *b, size_t len)
{
	static const char flag_names[] = "FSRPAU";
	char flags[8];
	unsigned int n = 0;

	if (!(m->flags & PKT_HAS_L4))
		return (size_t)snprintf(b, len, " PROTO=%u", m->proto);
	if (m->proto == 1 || m->proto == 58)
		return (size_t)snprintf(b, len, " PROTO=%s TYPE=%u CODE=%u",
					m->proto == 1 ? "ICMP" : "ICMPv6", m->icmp_type,
					m->icmp_code);
	if (m->proto != 6)
		return (size_t)snprintf(b, len, " PROTO=%s SPT=%u DPT=%u",
					m->proto == 17 ? "UDP" : "L4", m->sport, m->dport);
	for (unsigned int i = 0; i < 6; i++)
		if (m->tcp_flags & (1u << i))
			flags[n++] = flag_names[i];
	flags[n] = '\0';
	return (size_t)snprintf(b, len, " PROTO=TCP SPT=%u DPT=%u FLAGS=%s", m->sport, m->dport,
				n ? flags : "-");
}

/* " SRC=... DST=... LEN=.. TTL=.." and the L4 part, for IPv4 and IPv6. */
static size_t format_ip(const struct pl_pkt *p, char *b, size_t len)
{
	const struct pkt_meta *m = &p->meta;
	char s[48], d[48];
	size_t pos;

	nf_format_addr(&m->saddr, m->l3 == PKT_L3_IPV6, s, sizeof(s));
	nf_format_addr(&m->daddr, m->l3 == PKT_L3_IPV6, d, sizeof(d));
	/* LEN is the IP packet's, as iptables says it (the frame's for non-IP). */
	pos = (size_t)snprintf(b, len, " SRC=%s DST=%s LEN=%u TTL=%u%s", s, d,
			       m->l4_off >= m->l3_off
				       ? (unsigned int)(m->l4_off + m->l4_len - m->l3_off)
				       : p->len, /* a header too short to say */
			       m->ttl, m->flags & PKT_FRAGMENT ? " FRAG" : "");
	if (pos < len && !(m->frag_off))
		pos += format_l4(m, b + pos, len - pos);
	return pos;
}

void nf_format_pkt(const struct pl_pkt *p, char *b, size_t len)
{
	const struct pkt_meta *m = &p->meta;
	char out[16] = "";
	size_t pos;

	if (p->oif != PL_IF_NONE)
		snprintf(out, sizeof(out), "net%u", p->oif);
	pos = (size_t)snprintf(b, len, "IN=net%u OUT=%s", p->iif, out);
	if (pos < len && (m->flags & PKT_VLAN))
		pos += (size_t)snprintf(b + pos, len - pos, " VLAN=%u", m->vlan);
	if (pos < len && (m->l3 == PKT_L3_IPV4 || m->l3 == PKT_L3_IPV6))
		pos += format_ip(p, b + pos, len - pos);
	else if (pos < len)
		pos += (size_t)snprintf(b + pos, len - pos, " ETHERTYPE=0x%04x LEN=%u",
					m->ethertype, p->len);
	if (pos < len && (m->flags & PKT_MALFORMED))
		snprintf(b + pos, len - pos, " MALFORMED");
}
