// SPDX-License-Identifier: BSD-2-Clause
/*
 * The "lb" element (lb.h): for each parsed IP packet,
 *
 *   a flow's packet (either side)   NAT in place, counted, port 0 (route)
 *   an ICMP error about a flow      steered along the flow, port 0
 *   a new flow to a service         a backend picked (Maglev, WRR, LC),
 *                                   the flow created, NAT, port 0
 *   anything else                   port 1: the router (for us: lwIP)
 *
 * and the "gate" element after the router's forward decision for what is
 * not the load balancer's: it passes only with forward=1, so by default
 * the appliance does not route between the client and backend networks.
 *
 * Everything read comes from the parser's bounded view of the untrusted
 * frame (p->meta); the NAT code checks every offset again before writing.
 */
#include <errno.h>
#include <string.h>

#include "lb.h"
#include "sluice/netdev.h"
#include "sluice/nf/answer.h"

#define P_TCP 6
#define P_UDP 17

/* ARP and the ICMPv6 that lwIP needs (ND, MLD) go straight to the router. */
bool lb_bypass(const struct pkt_meta *m)
{
	if (m->l3 == PKT_L3_ARP)
		return true;
	return m->l3 == PKT_L3_IPV6 && m->proto == 58 && (m->flags & PKT_HAS_L4) &&
	       ((m->icmp_type >= 130 && m->icmp_type <= 137) || m->icmp_type == 143);
}

void lb_flow_gone(void *arg, struct lb_flow *f)
{
	struct lb_ctx *c = arg;

	if (f->be < LB_BE_SLOTS && c->be[f->be].c.active)
		c->be[f->be].c.active--;
	if (f->svc < LB_SVC_SLOTS && c->svc[f->svc].c.active)
		c->svc[f->svc].c.active--;
}

/* The flow's translation from its keys: k[0] = client -> VIP, k[1] = backend -> dst. */
static void flow_nat(const struct lb_flow *f, struct lb_nat *n)
{
	memset(n, 0, sizeof(*n));
	n->caddr = f->k[0].s;
	n->cport = f->k[0].sp;
	n->vaddr = f->k[0].d;
	n->vport = f->k[0].dp;
	n->baddr = f->k[1].s;
	n->bport = f->k[1].sp;
	n->laddr = f->k[1].d;
	n->lport = f->k[1].dp;
	n->v6 = f->k[0].v6;
	n->proto = f->k[0].proto;
	n->full = f->full;
}

/*
 * A fragment's own headers, to rewrite (@p: a reassembled datagram's first
 * fragment, PKT_REASM, whose p->meta and p->frame describe the whole
 * datagram, or a later one, PKT_REASM_TAIL). Trust: the buffer is the
 * untrusted frame as received; it is parsed afresh here (bounded by the
 * parser) and lb_nat_rewrite checks every offset again. A first fragment
 * must carry the whole TCP or UDP header: the ports and the checksum are
 * rewritten there (RFC 791 allows an 8-byte first fragment of TCP, whose
 * checksum then lies in the next one: refused). Later fragments carry no
 * L4 header: only their addresses (and IPv4 header checksum) change.
 * Fragmented ICMP errors are refused (their checksum would need the whole
 * message).
 */
static int frag_meta(const struct pl_pkt *p, struct pkt_meta *fm)
{
	const struct pktbuf *b = p->buf;

	pkt_parse(pkt_data(b), b->len, p->meta.ifindex, fm);
	if ((fm->flags & (PKT_MALFORMED | PKT_ICMP_ERROR)) || !(fm->flags & PKT_FRAGMENT))
		return -EINVAL;
	if (p->meta.flags & PKT_REASM_TAIL)
		return fm->flags & PKT_FIRST_FRAG ? -EINVAL : 0;
	if (!(fm->flags & PKT_FIRST_FRAG) || !(fm->flags & PKT_HAS_L4) ||
	    fm->l4_len < (fm->proto == P_TCP ? 20 : 8))
		return -EINVAL;
	return 0;
}

/* Rewrite p in place along @f in direction @dir; keep p->meta in step for the router. */
static int do_nat(const struct lb_ctx *c, struct pl_pkt *p, const struct lb_flow *f, int dir)
{
	struct pktbuf *b = p->buf;
	struct pkt_meta *m = &p->meta, fm;
	const struct pkt_meta *wm = m;
	struct lb_nat n;

	if (f->dsr) {
		/*
		 * Direct server return: the frame keeps the VIP (the backend holds
		 * it on a loopback); only the router's view of the destination
		 * becomes the backend, so that it goes out to the backend's MAC.
		 * Replies, when they pass here at all, go on as they are.
		 */
		if (dir == 0)
			m->daddr = c->be[f->be].addr;
		return 0;
	}

	flow_nat(f, &n);
	if (m->flags & (PKT_REASM | PKT_REASM_TAIL)) {
		if (frag_meta(p, &fm) < 0) {
			p->reason = LBD_UNSUPPORTED;
			return PL_DROP;
		}
		wm = &fm;
	}
	/* The headers must lie in the first buffer: that is the page we write. */
	if ((wm == m && b->len < p->len) ||
	    lb_nat_rewrite(pkt_data(b), b->len, wm, &n, dir ? LB_NAT_REPLY : LB_NAT_FWD,
			   (b->flags & PKT_CSUM_BLANK) != 0) < 0) {
		p->reason = LBD_UNSUPPORTED;
		return PL_DROP;
	}
	if (dir == 0) {
		if (f->full) {
			m->saddr = n.laddr;
			m->sport = n.lport;
		}
		m->daddr = n.baddr;
		m->dport = n.bport;
	} else {
		m->saddr = n.vaddr;
		m->sport = n.vport;
		if (f->full) {
			m->daddr = n.caddr;
			m->dport = n.cport;
		}
	}
	return 0;
}

static void count(struct lb_ctx *c, const struct lb_flow *f, int dir, uint32_t len)
{
	struct lb_ctr *s = &c->svc[f->svc].c, *b = &c->be[f->be].c;

	if (dir == 0) {
		s->pkts_in++, b->pkts_in++;
		s->bytes_in += len, b->bytes_in += len;
	} else {
		s->pkts_out++, b->pkts_out++;
		s->bytes_out += len, b->bytes_out += len;
	}
}

/* An ICMP error: the flow of the packet it quotes, which went the other way. */
static struct lb_flow *icmp_flow(struct lb_ctx *c, const struct pkt_meta *m, int *dir)
{
	struct lb_fkey k = {.s = m->inner_daddr,
			    .d = m->inner_saddr,
			    .sp = m->inner_dport,
			    .dp = m->inner_sport,
			    .proto = m->inner_proto,
			    .v6 = m->l3 == PKT_L3_IPV6};

	if (!m->inner_valid || (m->inner_proto != P_TCP && m->inner_proto != P_UDP))
		return NULL;
	return lb_flow_find(&c->flows, &k, dir);
}

/* Our address on the backend side for full NAT toward @b (the route's port). */
static bool local_addr(struct lb_ctx *c, const struct lb_svc *s, const struct lb_be *b,
		       struct pkt_addr *out);

/* Full NAT: a source port toward backend @bk free in the table (k1 = bk -> local:port). */
static bool full_port(struct lb_ctx *c, struct lb_fkey *k1, uint64_t h)
{
	uint32_t span = LB_FPORT_HI - LB_FPORT_LO + 1;
	int dir;

	for (unsigned int i = 0; i < 32; i++) {
		k1->dp = (uint16_t)(LB_FPORT_LO + (h + i * 7919u) % span);
		if (!lb_flow_find(&c->flows, k1, &dir))
			return true;
	}
	return false;
}

static int new_flow(struct lb_ctx *c, struct lb_svc *s, struct pl_pkt *p, struct lb_flow **fo)
{
	const struct pkt_meta *m = &p->meta;
	struct lb_fkey k0, k1;
	struct lb_flow *f;
	uint16_t bi;
	struct lb_be *b;
	int dir;

	/* TCP: a SYN opens; with NAT and Maglev any segment may (hashing finds the same backend).
	 */
	if (m->proto == P_TCP && (m->tcp_flags & 0x12) != 0x02 &&
	    !(s->cfg.sched == LB_MAGLEV && s->cfg.method != LB_FULLNAT)) {
		p->reason = LBD_NO_FLOW;
		return PL_DROP;
	}
	bi = lb_svc_pick(c, s, m);
	if (bi == LB_NONE) {
		s->no_backend++;
		p->reason = LBD_NO_BACKEND;
		return PL_DROP;
	}
	b = &c->be[bi];
	lb_fkey_of(m, &k0);
	k1 = (struct lb_fkey){.s = b->addr,
			      .sp = b->port,
			      .d = k0.s,
			      .dp = k0.sp,
			      .proto = k0.proto,
			      .v6 = k0.v6};
	if (s->cfg.method == LB_DSR) {
		/* Replies come from the VIP itself (when they pass here). */
		k1.s = k0.d;
		k1.sp = k0.dp;
	}
	if (s->cfg.method == LB_FULLNAT &&
	    (!local_addr(c, s, b, &k1.d) ||
	     !full_port(c, &k1, lb_flow_hash(&k0.s, &k0.d, k0.sp, k0.dp, k0.proto, c->seed)))) {
		p->reason = LBD_NO_PORT;
		return PL_DROP;
	}
	/* Two services sharing a backend and a client port: the reply key must stay unique. */
	if (lb_flow_find(&c->flows, &k1, &dir)) {
		p->reason = LBD_NO_PORT;
		return PL_DROP;
	}
	f = lb_flow_add(&c->flows, &k0, &k1, p->now, lb_flow_gone, c);
	if (!f) {
		p->reason = LBD_TABLE_FULL;
		return PL_DROP;
	}
	f->svc = (uint16_t)(s - c->svc);
	f->be = bi;
	f->full = s->cfg.method == LB_FULLNAT;
	f->dsr = s->cfg.method == LB_DSR;
	s->c.new_flows++, b->c.new_flows++;
	s->c.active++, b->c.active++;
	*fo = f;
	lb_flow_seen(f, 0, m, p->now);
	count(c, f, 0, p->len);
	return do_nat(c, p, f, 0);
}

/*
 * on-down reset: tell the client at once that its connection is gone, with
 * an RST from the VIP (nf_answer_build: only to a well-formed unicast
 * segment, never to an RST), rate-limited so that no sender can use us to
 * multiply its packets.
 */
static void answer_rst(struct lb_ctx *c, const struct pl_pkt *p)
{
	struct pktbuf *b;
	size_t n;

	if (!nf_answerable(&p->meta) || !pl_tbf_take(&c->rst_tbf, p->now))
		return;
	b = nf_tx_alloc(&c->app.ports);
	if (!b)
		return;
	n = nf_answer_build(p->frame, p->len, &p->meta, NFA_TCP_RST, 0, 0, pkt_data(b),
			    PKTBUF_SIZE - b->off);
	if (n == 0) {
		pktbuf_free(b);
		return;
	}
	b->len = (uint16_t)n;
	if (nf_send(&c->app.ports, b, p->iif) == 0)
		c->resets++;
}

/*
 * on-down reset, the backend's side: the client's segment that found its
 * flow cut becomes an RST toward the backend, translated like the flow's
 * packets and carrying the segment's sequence number (lb_nat_to_rst), so
 * that the backend frees the connection now rather than at its own
 * timeouts. It shares the clients' RST budget. 0: @p is now that RST, to
 * forward; -1: drop @p.
 */
static int backend_rst(struct lb_ctx *c, struct pl_pkt *p, const struct lb_flow *f)
{
	struct pktbuf *b = p->buf;
	int n;

	/* A chained frame's headers are a scratch copy: not the page we would send. */
	if ((p->meta.flags & (PKT_REASM | PKT_REASM_TAIL)) || b->next ||
	    !pl_tbf_take(&c->rst_tbf, p->now) || do_nat(c, p, f, 0) < 0)
		return -1;
	n = lb_nat_to_rst(pkt_data(b), b->len, &p->meta);
	if (n < 0)
		return -1;
	b->len = (uint16_t)n;
	b->flags &= (uint16_t)~PKT_CSUM_BLANK; /* both checksums are whole now */
	p->len = (uint32_t)n;
	c->backend_resets++;
	return 0;
}

/* The flow's backend failed its checks and its service says its flows end with it. */
static bool cut_off(const struct lb_ctx *c, const struct lb_flow *f)
{
	return c->svc[f->svc].cfg.on_down == LB_DOWN_RESET && !c->be[f->be].health.up;
}

/* A SYN from the client on a flow that was reset or closed. */
static bool reopened(const struct lb_flow *f, int dir, const struct pkt_meta *m)
{
	return dir == 0 && m->proto == P_TCP && (m->tcp_flags & 0x12) == 0x02 &&
	       (f->flags & (LB_F_RST | LB_F_FIN0 | LB_F_FIN1));
}

/*
 * A packet (or a reassembled datagram, through its first fragment): NAT
 * along its flow (*@fo, *@diro: which), or port 1, or a drop.
 */
static int classify(struct lb_ctx *c, struct pl_pkt *p, struct lb_flow **fo, int *diro)
{
	const struct pkt_meta *m = &p->meta;
	struct lb_fkey k;
	struct lb_flow *f;
	struct lb_svc *s;
	int dir, rc;

	if ((m->l3 != PKT_L3_IPV4 && m->l3 != PKT_L3_IPV6) || (m->flags & PKT_MALFORMED))
		return 1;
	if (m->flags & PKT_ICMP_ERROR) {
		f = icmp_flow(c, m, &dir);
		if (!f)
			return 1;
		*fo = f, *diro = dir;
		rc = do_nat(c, p, f, dir);
		return rc < 0 ? rc : 0;
	}
	if ((m->flags & PKT_FRAGMENT) && lb_vip_match(c, m)) {
		/* A fragment defrag let through on its own (it could not hold it): no ports. */
		p->reason = LBD_UNSUPPORTED;
		return PL_DROP;
	}
	if ((m->proto != P_TCP && m->proto != P_UDP) || !(m->flags & PKT_HAS_L4))
		return 1;
	lb_fkey_of(m, &k);
	f = lb_flow_find(&c->flows, &k, &dir);
	if (f && (reopened(f, dir, m) || cut_off(c, f))) {
		/*
		 * A client reusing the port of a finished flow, or a flow whose
		 * backend failed (on-down reset): TCP is told (RST) and dropped,
		 * anything else (a SYN, UDP) is placed afresh like a new flow.
		 */
		bool tcp_cut = m->proto == P_TCP && cut_off(c, f) && !reopened(f, dir, m);
		int rst = -1;

		if (tcp_cut && dir == 0) {
			answer_rst(c, p); /* built from the segment as received */
			rst = backend_rst(c, p, f);
		}
		lb_flow_gone(c, f);
		lb_flow_del(&c->flows, f);
		if (tcp_cut) {
			if (rst == 0)
				return 0; /* the RST goes on to the backend */
			p->reason = LBD_BACKEND_DOWN;
			return PL_DROP;
		}
		f = NULL;
	}
	if (f) {
		*fo = f, *diro = dir;
		lb_flow_seen(f, dir, m, p->now);
		count(c, f, dir, p->len);
		rc = do_nat(c, p, f, dir);
		return rc < 0 ? rc : 0;
	}
	s = lb_svc_match(c, m);
	if (!s)
		return 1;
	rc = new_flow(c, s, p, fo);
	*diro = 0;
	return rc < 0 ? rc : 0;
}

/* The identity of the datagram whose first fragment @p is (as received, before NAT). */
static bool reasm_id(const struct pl_pkt *p, struct lb_reasm *r)
{
	struct pkt_meta fm;

	pkt_parse(pkt_data(p->buf), p->buf->len, p->meta.ifindex, &fm);
	if (!(fm.flags & PKT_FRAGMENT))
		return false;
	r->v6 = fm.l3 == PKT_L3_IPV6;
	r->id = fm.frag_id;
	r->s = fm.saddr;
	r->d = fm.daddr;
	return true;
}

/*
 * A later fragment of the datagram whose first fragment was just seen: the
 * same verdict. Trust: only the defrag element marks PKT_REASM_TAIL, and
 * only right after the datagram's first fragment went through; the
 * identity check keeps a tail from ever taking another datagram's verdict.
 */
static int reasm_tail(struct lb_ctx *c, struct pl_pkt *p)
{
	const struct pkt_meta *m = &p->meta;
	const struct lb_reasm *r = &c->reasm;
	int rc;

	if (!r->valid || r->v6 != (m->l3 == PKT_L3_IPV6) || r->id != m->frag_id ||
	    memcmp(&r->s, &m->saddr, sizeof(r->s)) != 0 ||
	    memcmp(&r->d, &m->daddr, sizeof(r->d)) != 0) {
		p->reason = LBD_UNSUPPORTED;
		return PL_DROP;
	}
	if (!r->f)
		return 1;
	count(c, r->f, r->dir, p->len);
	rc = do_nat(c, p, r->f, r->dir);
	return rc < 0 ? rc : 0;
}

static int lb_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct lb_ctx *c = e->priv;
	struct lb_flow *f = NULL;
	int dir = 0, rc;

	if (p->meta.flags & PKT_REASM_TAIL)
		return reasm_tail(c, p);
	if (!(p->meta.flags & PKT_REASM))
		return classify(c, p, &f, &dir);
	/* A whole datagram, through its first fragment: remember its verdict for the rest. */
	c->reasm.valid = reasm_id(p, &c->reasm);
	rc = classify(c, p, &f, &dir);
	c->reasm.f = rc == 0 ? f : NULL;
	c->reasm.dir = dir;
	c->reasm.valid = c->reasm.valid && rc >= 0 && (rc == 1 || f);
	return rc;
}

static bool local_addr(struct lb_ctx *c, const struct lb_svc *s, const struct lb_be *b,
		       struct pkt_addr *out)
{
	uint32_t oif;
	struct pkt_addr nh;

	if (!nf_route_lookup(&c->routes, s->cfg.v6, &b->addr, &oif, &nh))
		return false;
	return lb_port_addr(c, oif, s->cfg.v6, out);
}

const struct pl_class lb_class = {.name = "lb", .nports = 2, .push = lb_push};

static int gate_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct lb_ctx *c = e->priv;

	if (c->opts.forward)
		return 0;
	c->not_service++;
	p->reason = LBD_NOT_SERVICE;
	return PL_DROP;
}

const struct pl_class lb_gate_class = {.name = "gate", .nports = 1, .push = gate_push};
