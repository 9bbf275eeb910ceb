// SPDX-License-Identifier: BSD-2-Clause
/*
 * Ports (sluice/nf/port.h): netdevs bound to a graph, drops by reason, the
 * TX pool and send, link readiness.
 */
#include <errno.h>
#include <stdio.h>

#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/nf/csum.h"
#include "sluice/nf/port.h"

#define LINK_REPORT_NS (10ull * 1000 * 1000 * 1000)

typedef unsigned long long ull;

static const char *const nf_reasons[NF_DROP_APP] = {
	[NF_DROP_OTHER] = "other",	 [NF_DROP_MALFORMED] = "malformed",
	[NF_DROP_QUEUE] = "queue_full",	 [NF_DROP_NOT_OURS] = "not_ours",
	[NF_DROP_NO_ROUTE] = "no_route", [NF_DROP_TTL] = "ttl",
	[NF_DROP_NO_NEIGH] = "no_neigh", [NF_DROP_UNSUPPORTED] = "unsupported",
	[NF_DROP_NOBUF] = "nobuf",	 [NF_DROP_LINK_LOCAL] = "link_local",
};

void nf_ports_init(struct nf_ports *ps, const char *who, struct pl_graph *g, struct work *run)
{
	*ps = (struct nf_ports){.who = who, .g = g, .run = run};
	for (unsigned int i = 0; i < NF_DROP_APP; i++)
		ps->reason[i] = nf_reasons[i];
}

int nf_drop_reason(struct nf_ports *ps, unsigned int code, const char *name)
{
	if (code < NF_DROP_APP || code >= NF_DROP_MAX || !name)
		return -EINVAL;
	ps->reason[code] = name;
	return 0;
}

/* Receive handler: only queue; the work runs the graph from the event loop. */
static void port_rx(struct netdev *dev, struct pktbuf *pkt, void *arg)
{
	struct nf_ports *ps = arg;

	/* A full queue drops (counted): the budget per poll keeps that rare. */
	pl_enqueue(ps->g, pkt, dev->index);
	work_post(ps->run);
}

int nf_port_bind(struct nf_ports *ps, struct netdev *dev)
{
	if (dev->index >= PL_IFS_MAX)
		return -E2BIG;
	ps->dev[dev->index] = dev;
	ps->n = MAX(ps->n, dev->index + 1);
	netdev_set_rx_handler(dev, port_rx, ps);
	return 0;
}

struct netdev *nf_port(const struct nf_ports *ps, uint32_t i)
{
	return i < ps->n ? ps->dev[i] : NULL;
}

int nf_ports_start(struct nf_ports *ps, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < ps->n; i++) {
		struct netdev *dev = ps->dev[i];
		int rc = dev ? netdev_start(dev) : 0;

		if (rc < 0) {
			snprintf(err, errlen, "%s: %s: cannot start (%d)", dev->name, dev->driver,
				 rc);
			return rc;
		}
	}
	return 0;
}

static bool all_up(const struct nf_ports *ps)
{
	for (unsigned int i = 0; i < ps->n; i++)
		if (ps->dev[i] && !ps->dev[i]->link_up)
			return false;
	return true;
}

/* Ready (once) when every link is up: before that nothing can be forwarded. */
static void link_check(struct work *w)
{
	struct nf_ports *ps = container_of(w, struct nf_ports, link_work);

	if (ps->is_ready || !all_up(ps))
		return;
	ps->is_ready = true;
	timer_cancel(&ps->link_timer);
	ps->ready(ps, ps->ready_arg);
}

/* Drivers may report links from interrupt handlers: only post work. */
static void link_changed(struct netdev *dev, bool up, void *arg)
{
	struct nf_ports *ps = arg;

	(void)dev;
	(void)up;
	work_post(&ps->link_work);
}

static void link_report(struct timer *t, void *arg)
{
	const struct nf_ports *ps = arg;
	char line[200];
	size_t pos = 0;

	(void)t;
	if (ps->is_ready)
		return;
	for (unsigned int i = 0; i < ps->n && pos < sizeof(line); i++)
		if (ps->dev[i])
			pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "%s%s %s",
						pos ? ", " : "", ps->dev[i]->name,
						ps->dev[i]->link_up ? "up" : "down");
	printf("%s: still waiting for links: %s\n", ps->who, line);
}

void nf_ports_when_up(struct nf_ports *ps, nf_ready_fn fn, void *arg)
{
	ps->ready = fn;
	ps->ready_arg = arg;
	ps->link_work.fn = link_check;
	timer_init(&ps->link_timer, link_report, ps);
	for (unsigned int i = 0; i < ps->n; i++)
		if (ps->dev[i])
			netdev_set_link_handler(ps->dev[i], link_changed, ps);
	timer_arm_in(&ps->link_timer, LINK_REPORT_NS);
	work_post(&ps->link_work); /* the links may be up already */
}

void nf_count_drop(struct nf_ports *ps, uint32_t iif, unsigned int why)
{
	if (iif < PL_IFS_MAX && why < NF_DROP_MAX)
		ps->drops[iif][why]++;
}

void nf_ports_release(struct pl_graph *g, struct pl_pkt *p, struct pl_elem *by)
{
	unsigned int why = p->reason;

	if (!by) /* the core's own reasons */
		why = p->reason == PL_CORE_QUEUE_FULL ? NF_DROP_QUEUE : NF_DROP_MALFORMED;
	nf_count_drop(g->arg, p->iif, why);
	pktbuf_free(p->buf);
}

/*
 * After the NICs: their receive rings come first when memory is short, and
 * then at most a quarter of the pages left (our own frames are rate-limited
 * or paced: a few pages do). A pool that got fewer pages than asked is
 * still a pool.
 */
int nf_tx_pool_init(struct nf_ports *ps, unsigned int pages, unsigned int min)
{
	unsigned int n = (unsigned int)MIN((uint64_t)pages, page_allocator.free_pages / 4);

	if (ps->pool.total)
		return 0;
	if (n >= min)
		pktbuf_pool_init(&ps->pool, "nf-tx", n);
	return ps->pool.total ? 0 : -ENOMEM;
}

struct pktbuf *nf_tx_alloc(struct nf_ports *ps)
{
	return ps->pool.total ? pktbuf_alloc(&ps->pool) : NULL;
}

int nf_send(struct nf_ports *ps, struct pktbuf *buf, uint32_t oif)
{
	struct netdev *dev = nf_port(ps, oif);

	if (!dev) {
		pktbuf_free(buf);
		return -ENODEV;
	}
	if ((buf->flags & PKT_CSUM_BLANK) && !(dev->features & NETDEV_F_TX_CSUM)) {
		/* A chained frame would need a sum across pages: never seen without GSO. */
		if (buf->next ||
		    nf_csum_fill(pkt_data(buf), buf->len, buf->csum_start, buf->csum_offset) < 0) {
			pktbuf_free(buf);
			return -EPROTO;
		}
		buf->flags = (uint16_t)((buf->flags & ~PKT_CSUM_BLANK) | PKT_DATA_VALID);
	}
	/*
	 * A full ring drops (netdev_tx counts it on the egress NIC): netdev_tx
	 * frees what it cannot send, and a backlog of our own kept on
	 * -EAGAIN made virtio TX stall under TCG floods (docs/firewall.md).
	 */
	return netdev_tx(dev, buf);
}

static int tx_push(struct pl_elem *e, struct pl_pkt *p)
{
	if (nf_send(e->priv, p->buf, p->oif) == -EPROTO)
		nf_count_drop(e->priv, p->iif, NF_DROP_UNSUPPORTED);
	return PL_STOLEN;
}

const struct pl_class nf_tx_class = {
	.name = "tx",
	.nports = 0,
	.push = tx_push,
};

/* Everything that arrived on port @i and was not forwarded, and what could not leave by it. */
static uint64_t port_drops(const struct nf_ports *ps, unsigned int i)
{
	const struct netdev_stats *s = &ps->dev[i]->stats;
	uint64_t n = s->rx_drops + s->rx_errors + s->tx_drops + s->tx_errors;

	for (unsigned int r = 0; r < NF_DROP_MAX; r++)
		n += ps->drops[i][r];
	return n;
}

size_t nf_ports_format(void *arg, char *buf, size_t len)
{
	const struct nf_ports *ps = arg;
	size_t pos = 0;

	for (unsigned int i = 0; i < ps->n && pos < len; i++) {
		const struct netdev_stats *s;

		if (!ps->dev[i])
			continue; /* routed: a NIC that failed to start */
		s = &ps->dev[i]->stats;
		pos += (size_t)snprintf(buf + pos, len - pos,
					"nic %s rx_packets=%llu rx_bytes=%llu tx_packets=%llu "
					"tx_bytes=%llu drops=%llu\n",
					ps->dev[i]->name, (ull)s->rx_packets, (ull)s->rx_bytes,
					(ull)s->tx_packets, (ull)s->tx_bytes,
					(ull)port_drops(ps, i));
	}
	return pos;
}

void nf_ports_print_drops(const struct nf_ports *ps, const char *prefix)
{
	for (unsigned int i = 0; i < ps->n; i++) {
		const struct netdev_stats *s;
		char line[400];
		size_t pos;

		if (!ps->dev[i])
			continue;
		s = &ps->dev[i]->stats;
		pos = (size_t)snprintf(line, sizeof(line), "%s: %s drops:", prefix,
				       ps->dev[i]->name);
		for (unsigned int r = 0; r < NF_DROP_MAX && pos < sizeof(line); r++)
			if (ps->drops[i][r])
				pos += (size_t)snprintf(line + pos, sizeof(line) - pos, " %s=%llu",
							ps->reason[r] ? ps->reason[r] : "?",
							(ull)ps->drops[i][r]);
		if (pos < sizeof(line))
			snprintf(line + pos, sizeof(line) - pos,
				 " nic_rx_drops=%llu nic_rx_errors=%llu nic_tx_drops=%llu "
				 "nic_tx_errors=%llu",
				 (ull)s->rx_drops, (ull)s->rx_errors, (ull)s->tx_drops,
				 (ull)s->tx_errors);
		printf("%s\n", line);
	}
}
