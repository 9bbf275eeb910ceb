// SPDX-License-Identifier: BSD-2-Clause
/*
 * Bridge mode (the default): a transparent bump in the wire between net0
 * and net1. The appliance has no address of its own; every frame that
 * arrives on one NIC is parsed, tracked and classified, and an accepted
 * frame leaves through the other NIC unchanged: the same pktbuf, never
 * copied (netdev_tx takes the page received on the other NIC).
 *
 *   parse -0-> conntrack -> filter -0-> accepted(counter) -> tx
 *     |                        '-1-> reject-limit(ratelimit) -0-> reject
 *     '-1-> bypass(counter) -> tx          (ARP, ND, MLD: never filtered)
 *
 * Also here, shared with routed mode: the output elements (tx, reject)
 * and fw_send(), which fills in a checksum that a peer left blank when the
 * egress NIC cannot (a frame from a Xen neighbour leaving through a NIC
 * without checksum offload).
 */
#include <errno.h>
#include <stdio.h>

#include "fwapp.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/netdev.h"

#define REJECT_POOL_PAGES 32 /* answers and neighbour probes in flight */
#define REJECT_POOL_MIN 4
#define LINK_REPORT_NS (10ull * 1000 * 1000 * 1000)

struct fw_rejecter {
	struct pktbuf_pool pool;
	uint64_t sent, unanswerable, nobuf;
};

static struct fw_rejecter rejecter;
static struct pl_elem parse_e, ct_e, filter_e, accepted_e, bypass_e, tx_e, rlimit_e, reject_e;
static struct fw_parse parse_cfg;
static struct pl_counter accepted_cnt, bypass_cnt;
static struct pl_tbf reject_tbf;
static struct work link_work;
static struct timer link_timer;
static bool bridge_ready;

int fw_send(struct pktbuf *buf, uint32_t oif)
{
	struct netdev *dev = oif < fw_nnics ? fw_nics[oif] : NULL;

	if (!dev) {
		pktbuf_free(buf);
		return -ENODEV;
	}
	if ((buf->flags & PKT_CSUM_BLANK) && !(dev->features & NETDEV_F_TX_CSUM)) {
		/* A chained frame would need a sum across pages: never seen without GSO. */
		if (buf->next ||
		    fw_csum_fill(pkt_data(buf), buf->len, buf->csum_start, buf->csum_offset) < 0) {
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
	(void)e;
	if (fw_send(p->buf, p->oif) == -EPROTO)
		fw_count_drop(p->iif, FWD_UNSUPPORTED);
	return PL_STOLEN;
}

const struct pl_class fw_tx_class = {
	.name = "tx",
	.nports = 0,
	.push = tx_push,
};

/* The original is dropped (counted as rejected); the answer, if any, goes back out. */
static int reject_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct fw_rejecter *r = e->priv;
	const struct fw_verdict *v = p->verdict;
	struct pktbuf *a;
	size_t n;

	p->reason = FWD_REJECT;
	if (!v || p->iif >= fw_nnics)
		return PL_DROP;
	a = fw_tx_alloc();
	if (!a) {
		r->nobuf++;
		return PL_DROP;
	}
	n = fw_reject_build(p->frame, p->len, &p->meta, v->reject, v->code, pkt_data(a),
			    PKTBUF_SIZE - PKTBUF_HEADROOM);
	if (n == 0) {
		r->unanswerable++;
		pktbuf_free(a);
		return PL_DROP;
	}
	a->len = (uint16_t)n;
	if (fw_send(a, p->iif) == 0)
		r->sent++;
	return PL_DROP;
}

const struct pl_class fw_reject_class = {
	.name = "reject",
	.nports = 0,
	.push = reject_push,
};

/*
 * After the NICs: their receive rings come first when memory is short, and
 * then at most a quarter of the pages left (answers are rate-limited: a
 * few pages do). A pool that got fewer pages than asked is still a pool.
 * Without one, rejected packets are dropped without an answer.
 */
void fw_reject_pool_init(void)
{
	unsigned int n =
		(unsigned int)MIN((uint64_t)REJECT_POOL_PAGES, page_allocator.free_pages / 4);

	if (rejecter.pool.total)
		return;
	if (n >= REJECT_POOL_MIN)
		pktbuf_pool_init(&rejecter.pool, "fw-tx", n);
	if (!rejecter.pool.total)
		printf("firewall: no memory for answers: rejected packets are dropped silently\n");
}

struct pktbuf *fw_tx_alloc(void)
{
	return rejecter.pool.total ? pktbuf_alloc(&rejecter.pool) : NULL;
}

/* The reject branch of both modes: rate limit, then answer. Returns the first element. */
int fw_add_reject(struct pl_elem **first)
{
	int rc;

	pl_tbf_init(&reject_tbf, fw_opts.reject_rate, fw_opts.reject_burst, now_ns());
	rc = pl_add(&fw_graph, &rlimit_e, &pl_ratelimit_class, "reject-limit", &reject_tbf);
	if (rc == 0)
		rc = pl_add(&fw_graph, &reject_e, &fw_reject_class, "reject", &rejecter);
	if (rc == 0)
		rc = pl_connect(&rlimit_e, 0, &reject_e);
	*first = &rlimit_e;
	return rc;
}

void fw_reject_stats(uint64_t *sent, uint64_t *limited, uint64_t *unanswerable, uint64_t *nobuf)
{
	*sent = rejecter.sent;
	*limited = reject_tbf.limited;
	*unanswerable = rejecter.unanswerable;
	*nobuf = rejecter.nobuf;
}

static int build_graph(void)
{
	struct pl_elem *rej;
	int rc;

	parse_cfg.peer[0] = 1;
	parse_cfg.peer[1] = 0;
	for (unsigned int i = 2; i < PL_IFS_MAX; i++)
		parse_cfg.peer[i] = PL_IF_NONE;
	rc = pl_add(&fw_graph, &parse_e, &fw_parse_class, "parse", &parse_cfg);
	if (rc == 0)
		rc = pl_add(&fw_graph, &ct_e, &fw_ct_class, "conntrack", &fw_ct);
	if (rc == 0)
		rc = pl_add(&fw_graph, &filter_e, &fw_filter_class, "filter", &fw_filter);
	if (rc == 0)
		rc = pl_add(&fw_graph, &accepted_e, &pl_counter_class, "accepted", &accepted_cnt);
	if (rc == 0)
		rc = pl_add(&fw_graph, &bypass_e, &pl_counter_class, "bypass", &bypass_cnt);
	if (rc == 0)
		rc = pl_add(&fw_graph, &tx_e, &fw_tx_class, "tx", NULL);
	if (rc == 0)
		rc = fw_add_reject(&rej);
	if (rc < 0)
		return rc;
	/* Every port is wired; pl_connect can only fail on a programming error. */
	pl_connect(&parse_e, 0, &ct_e);
	pl_connect(&parse_e, 1, &bypass_e);
	pl_connect(&ct_e, 0, &filter_e);
	pl_connect(&filter_e, 0, &accepted_e);
	pl_connect(&filter_e, 1, rej);
	pl_connect(&accepted_e, 0, &tx_e);
	pl_connect(&bypass_e, 0, &tx_e);
	pl_set_entry(&fw_graph, &parse_e);
	fw_filter_elem = &filter_e;
	return 0;
}

/* Ready (once) when both links are up: before that nothing can be forwarded. */
static void link_check(struct work *w)
{
	(void)w;
	if (bridge_ready || !fw_nics[0]->link_up || !fw_nics[1]->link_up)
		return;
	bridge_ready = true;
	timer_cancel(&link_timer);
	fw_set_ready();
}

/* Drivers may report links from interrupt handlers: only post work. */
static void link_changed(struct netdev *dev, bool up, void *arg)
{
	(void)dev;
	(void)up;
	(void)arg;
	work_post(&link_work);
}

static void link_report(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (!bridge_ready)
		printf("firewall: still waiting for links: net0 %s, net1 %s\n",
		       fw_nics[0]->link_up ? "up" : "down", fw_nics[1]->link_up ? "up" : "down");
}

int fw_bridge_start(char *err, size_t errlen)
{
	int rc;

	if (netdev_count() < 2) {
		snprintf(err, errlen, "bridge mode needs two NICs (net0, net1), found %u",
			 netdev_count());
		return -ENODEV;
	}
	if (netdev_count() > 2)
		printf("firewall: bridging net0 and net1; the other %u NIC(s) stay unused\n",
		       netdev_count() - 2);
	fw_nnics = 2;
	fw_nics[0] = netdev_get(0);
	fw_nics[1] = netdev_get(1);
	rc = build_graph();
	if (rc < 0 || (rc = pl_check(&fw_graph, err, errlen)) < 0)
		return rc;
	link_work.fn = link_check;
	timer_init(&link_timer, link_report, NULL);
	for (unsigned int i = 0; i < 2; i++) {
		struct netdev *dev = fw_nics[i];

		dev->link_arg = NULL;
		dev->link_handler = link_changed;
		netdev_set_rx_handler(dev, fw_rx, NULL);
		rc = netdev_start(dev);
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s: cannot start (%d)", dev->name, dev->driver,
				 rc);
			return rc;
		}
	}
	fw_reject_pool_init();
	timer_arm_in(&link_timer, LINK_REPORT_NS);
	work_post(&link_work); /* the links may be up already */
	return 0;
}
