// SPDX-License-Identifier: BSD-2-Clause
/*
 * NAT and full NAT rewriting in place (lbcore.h). Every changed 16-bit
 * word updates the checksums that cover it by RFC 1624 eqn. 3
 * (nf_csum_update16): the IPv4 header checksum for addresses, the TCP or
 * UDP checksum for addresses (pseudo-header) and ports. Nothing else of
 * the packet is touched: TCP options (the MSS a client announces stays what
 * it was; the backend's path is the client's), the payload, the TTL (the
 * forward element decrements it).
 *
 * ICMP errors about a flow carry the offending packet's headers: they are
 * translated the other way (the client quotes a reply it received, which
 * the backend must recognise as one it sent), with the quoted L4 checksum
 * when it is quoted whole, and the ICMP checksum is then computed afresh
 * over the message (errors are rare and the quote is short).
 *
 * The frame is untrusted: every offset is checked against @len before any
 * byte changes, so a refused packet is left as it was.
 */
#include <errno.h>
#include <string.h>

#include "lbcore.h"
#include "sluice/nf/csum.h"

#define P_TCP 6
#define P_UDP 17
#define P_ICMP 1
#define P_ICMP6 58

/* Where the headers of one (outer or quoted) packet are. */
struct hdrs {
	uint8_t *f;
	size_t l3, l4, end; /* end: bytes of this packet present in the frame */
	bool v6, partial;
	uint8_t proto;
	uint8_t *l4csum; /* NULL: none to update (UDP/IPv4 without, a cut quote) */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The checksum at @c covers @nwords 16-bit words that change from @old to @new. */
static void csum_words(uint8_t *c, const uint8_t *old, const uint8_t *new, unsigned int nwords,
		       bool partial)
{
	uint16_t v = rd16(c);

	/* A partial (offload) field holds the sum itself, not its complement. */
	if (partial)
		v = (uint16_t)~v;
	for (unsigned int i = 0; i < nwords; i++)
		v = nf_csum_update16(v, rd16(old + 2 * i), rd16(new + 2 * i));
	wr16(c, partial ? (uint16_t)~v : v);
}

/* Replace the source (@dst false) or destination address. */
static void set_addr(struct hdrs *h, bool dst, const struct pkt_addr *a)
{
	size_t alen = h->v6 ? 16 : 4;
	uint8_t *p = h->f + h->l3 + (h->v6 ? (dst ? 24 : 8) : (dst ? 16 : 12));

	if (memcmp(p, a->b, alen) == 0)
		return;
	if (!h->v6)
		csum_words(h->f + h->l3 + 10, p, a->b, 2, false);
	if (h->l4csum)
		csum_words(h->l4csum, p, a->b, (unsigned int)alen / 2, h->partial);
	memcpy(p, a->b, alen);
}

static void set_port(struct hdrs *h, bool dst, uint16_t port)
{
	uint8_t *p = h->f + h->l4 + (dst ? 2 : 0), n[2];

	wr16(n, port);
	/* A partial (offload) sum covers the pseudo-header only: the NIC sums the ports. */
	if (h->l4csum && !h->partial)
		csum_words(h->l4csum, p, n, 1, h->partial);
	memcpy(p, n, 2);
}

/* Fill in @h's L4 checksum pointer for a TCP/UDP header at h->l4 if it is there whole. */
static void find_l4csum(struct hdrs *h)
{
	size_t off = h->proto == P_TCP ? 16 : 6;

	h->l4csum = NULL;
	if (h->l4 + off + 2 > h->end)
		return;
	if (h->proto == P_UDP && !h->v6 && rd16(h->f + h->l4 + 6) == 0 && !h->partial)
		return; /* IPv4 UDP without a checksum stays without */
	h->l4csum = h->f + h->l4 + off;
}

/* Rewrite the endpoints of @h: source to @sa:@sp, destination to @da:@dp (NULL: keep). */
static void rewrite(struct hdrs *h, bool ports, const struct pkt_addr *sa, uint16_t sp,
		    const struct pkt_addr *da, uint16_t dp)
{
	if (sa)
		set_addr(h, false, sa);
	if (da)
		set_addr(h, true, da);
	if (ports && sa)
		set_port(h, false, sp);
	if (ports && da)
		set_port(h, true, dp);
}

/* The quoted packet of an ICMP error at @o->l4 + 8: its headers, if its ports are there. */
static int quoted(const struct hdrs *o, const struct pkt_meta *m, struct hdrs *q)
{
	size_t l3 = o->l4 + 8, ihl;

	if (!m->inner_valid || (m->inner_proto != P_TCP && m->inner_proto != P_UDP))
		return -EINVAL;
	*q = (struct hdrs){
		.f = o->f, .l3 = l3, .end = o->end, .v6 = o->v6, .proto = m->inner_proto};
	if (o->v6) {
		q->l4 = l3 + 40; /* the parser found the ports right after the header */
		if (q->l4 + 4 > o->end || o->f[l3 + 6] != m->inner_proto)
			return -EINVAL;
	} else {
		if (l3 + 20 > o->end)
			return -EINVAL;
		ihl = (size_t)(o->f[l3] & 0x0f) * 4;
		q->l4 = l3 + ihl;
		if (ihl < 20 || q->l4 + 4 > o->end)
			return -EINVAL;
	}
	find_l4csum(q);
	return 0;
}

/* ICMP(v6) checksum from scratch over the message (with the pseudo-header for v6). */
static void icmp_csum(struct hdrs *o)
{
	uint8_t *f = o->f, ph[8];
	size_t len = o->end - o->l4;
	uint32_t sum = 0;

	wr16(f + o->l4 + 2, 0);
	if (o->v6) {
		sum = nf_csum_add(sum, f + o->l3 + 8, 32);
		memset(ph, 0, sizeof(ph));
		ph[2] = (uint8_t)(len >> 8);
		ph[3] = (uint8_t)len;
		ph[7] = P_ICMP6;
		sum = nf_csum_add(sum, ph, sizeof(ph));
	}
	sum = nf_csum_add(sum, f + o->l4, len);
	wr16(f + o->l4 + 2, nf_csum_fold(sum));
}

/* Source and destination to write for @dir: NULL addresses are kept. */
struct target {
	const struct pkt_addr *sa, *da;
	uint16_t sp, dp;
};

static struct target fwd_target(const struct lb_nat *n)
{
	return (struct target){
		.sa = n->full ? &n->laddr : NULL, .sp = n->lport, .da = &n->baddr, .dp = n->bport};
}

static struct target reply_target(const struct lb_nat *n)
{
	return (struct target){
		.sa = &n->vaddr, .sp = n->vport, .da = n->full ? &n->caddr : NULL, .dp = n->cport};
}

/* An ICMP error travelling @dir: the outer header as @dir, the quote the other way. */
static int rewrite_icmp(struct hdrs *o, const struct pkt_meta *m, const struct lb_nat *n,
			enum lb_nat_dir dir)
{
	struct target t = dir == LB_NAT_FWD ? fwd_target(n) : reply_target(n);
	struct hdrs q;

	if (m->l4_len < 8 || quoted(o, m, &q) < 0)
		return -EINVAL;
	o->l4csum = NULL; /* computed afresh below */
	/* The quote went the opposite way: its source is what we give as destination. */
	rewrite(&q, true, t.da, t.dp, t.sa, t.sp);
	if (dir == LB_NAT_FWD)
		rewrite(o, false, n->full ? &n->laddr : NULL, 0, &n->baddr, 0);
	else
		rewrite(o, false, &n->vaddr, 0, n->full ? &n->caddr : NULL, 0);
	icmp_csum(o);
	return 0;
}

int lb_nat_rewrite(uint8_t *f, size_t len, const struct pkt_meta *m, const struct lb_nat *n,
		   enum lb_nat_dir dir, bool partial)
{
	struct hdrs o = {.f = f,
			 .l3 = m->l3_off,
			 .l4 = m->l4_off,
			 .v6 = m->l3 == PKT_L3_IPV6,
			 .proto = m->proto,
			 .partial = partial};
	struct target t = dir == LB_NAT_FWD ? fwd_target(n) : reply_target(n);
	bool ports = (m->flags & PKT_HAS_L4) && (m->proto == P_TCP || m->proto == P_UDP);

	if ((m->l3 != PKT_L3_IPV4 && m->l3 != PKT_L3_IPV6) || o.v6 != !!n->v6)
		return -EINVAL;
	o.end = (size_t)m->l4_off + m->l4_len;
	if (o.end > len || o.l3 + (o.v6 ? 40 : 20) > len)
		return -EINVAL;
	if (m->flags & PKT_ICMP_ERROR)
		return rewrite_icmp(&o, m, n, dir);
	if (ports)
		find_l4csum(&o);
	else if (m->flags & PKT_HAS_L4)
		return -EINVAL; /* a protocol whose checksum we do not know */
	if (ports && o.l4 + (m->proto == P_TCP ? 20 : 8) > o.end)
		return -EINVAL;
	rewrite(&o, ports, t.sa, t.sp, t.da, t.dp);
	return 0;
}

/*
 * The segment at @m becomes a bare RST in place (lbcore.h): it keeps its
 * addresses, ports and sequence number (the receiver's next expected one
 * for an in-order segment: RFC 5961 §3.2 has a receiver accept an RST
 * carrying exactly that), the ACK flag and number if it had them; options
 * and payload go. Both checksums are computed afresh (a short header).
 */
int lb_nat_to_rst(uint8_t *f, size_t len, const struct pkt_meta *m)
{
	size_t l3 = m->l3_off, l4 = m->l4_off, iplen;
	bool v6 = m->l3 == PKT_L3_IPV6;
	uint8_t *t = f + l4, ph[12];
	uint32_t sum;

	if ((m->l3 != PKT_L3_IPV4 && m->l3 != PKT_L3_IPV6) || m->proto != P_TCP ||
	    !(m->flags & PKT_HAS_L4) || (m->flags & (PKT_FRAGMENT | PKT_REASM)) || l4 + 20 > len ||
	    l3 + (v6 ? 40u : 20u) > l4)
		return -EINVAL;
	t[12] = 5 << 4;				  /* no options */
	t[13] = (uint8_t)(0x04 | (t[13] & 0x10)); /* RST, and ACK if it was there */
	memset(t + 14, 0, 6);			  /* window, checksum, urgent pointer */
	iplen = l4 + 20 - l3;
	if (v6) {
		wr16(f + l3 + 4, (uint16_t)(iplen - 40)); /* extension headers stay */
		sum = nf_csum_add(0, f + l3 + 8, 32);
	} else {
		wr16(f + l3 + 2, (uint16_t)iplen);
		wr16(f + l3 + 10, 0);
		wr16(f + l3 + 10, nf_csum_fold(nf_csum_add(0, f + l3, l4 - l3)));
		sum = nf_csum_add(0, f + l3 + 12, 8);
	}
	memset(ph, 0, sizeof(ph));
	ph[3] = 20;
	ph[7] = P_TCP;
	sum = nf_csum_add(sum, ph, 8);
	sum = nf_csum_add(sum, t, 20);
	wr16(t + 16, nf_csum_fold(sum));
	return (int)(l4 + 20);
}
