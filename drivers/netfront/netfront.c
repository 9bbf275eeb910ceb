// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen netfront, the device side (docs/xen.md §10, §12): the shared TX and RX
 * rings, their grants and event channel, the event-storm guard and the
 * netdev operations. Transmit (and TX response validation) is
 * netfront_tx.c; receive (RX refill, RX response validation, fragment
 * chains) is netfront_rx.c. The xenstore side (discovery, connect, close,
 * hot-plug) is netfront_xs.c.
 *
 * Trust: the backend domain is not trusted with our memory. It writes the
 * response slots and producer indices of both rings and may map any page
 * we grant for as long as it likes. So every response is copied out of the
 * ring once (RING_COPY_RESPONSE) and only the copy is looked at; producer
 * indices, ids, offsets, lengths, statuses and slot counts are checked
 * before use; and a page whose grant cannot be revoked is never freed or
 * reused (XSA-396). A violation takes the device out of service
 * (netdev_set_broken) instead of being guessed around.
 *
 * Grants are made per use and revoked on completion, for TX too (see
 * nf_tx_grant). Pages are identity mapped: a page's gfn is its address >> 12.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netfront_priv.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/xen_plat.h"

/*
 * Take the device out of service: nothing more is read from the rings and
 * the port stays masked. The rings and grants are released when the
 * backend closes (netfront_xs.c). Always -EIO, for the callers' returns.
 */
int nf_failf(struct netfront *nf, const char *fmt, ...)
{
	va_list ap;

	if (nf->port_open)
		evtchn_mask(&xen_evtchn, nf->port);
	if (nf->dev.broken)
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(nf->fail_msg, sizeof(nf->fail_msg), fmt, ap);
	va_end(ap);
	netdev_set_broken(&nf->dev, nf->fail_msg); /* logs once */
	return -EIO;
}

void nf_release_parked(void *cookie, void *arg)
{
	(void)arg;
	if (cookie)
		page_free(cookie, 1);
}

/*
 * The backend still maps @ref: the quarantine takes the ref and @page
 * (NULL: a page that must simply never be freed) and frees the page once a
 * later gnttab_reap() revokes the grant. A full quarantine refuses: then
 * both are leaked for good, never freed.
 */
static void nf_park(struct netfront *nf, int ref, void *page)
{
	if (gnttab_quarantine(&xen_gnttab, ref, page) == 0)
		nf->st.quarantined++;
	else
		nf->st.leaked++;
}

/* Revoke a ring page's grant; the page is freed only if that worked. */
static void nf_put_ring(struct netfront *nf, int *ref, void **page)
{
	if (*ref >= 0 && gnttab_end_access(&xen_gnttab, *ref) != 0)
		nf_park(nf, *ref, *page);
	else if (*page)
		page_free(*page, 1);
	*ref = -1;
	*page = NULL;
}

/*
 * Revoke the grant of @p's page. Returns false when that worked. True means
 * the backend still maps the page (a violation, or a backend that vanished
 * without closing): the page goes to the quarantine and @p gets a fresh one
 * (a copy, if @copy, for whoever else holds @p), so @p stays usable and its
 * pool never sees the mapped page again. Without memory for a fresh page
 * @p is pinned instead (one reference that is never dropped).
 */
bool nf_put_buf(struct netfront *nf, int ref, struct pktbuf *p, bool copy)
{
	void *fresh;

	if (gnttab_end_access(&xen_gnttab, ref) == 0)
		return false;
	fresh = page_alloc(1);
	if (!fresh) {
		nf_park(nf, ref, NULL);
		p->refs++;
		return true;
	}
	/* TX grants are read-only: the backend cannot change what we copy. */
	if (copy)
		memcpy(fresh, p->page, NF_PAGE_SIZE);
	nf_park(nf, ref, p->page);
	p->page = fresh;
	nf->st.page_swaps++;
	return true;
}

/* ---- interrupts and the storm guard ---- */

static void nf_storm_end(struct timer *t, void *arg)
{
	struct netfront *nf = arg;

	(void)t;
	nf->storm_masked = false;
	/* Poll what piled up; that poll's irq_enable unmasks the port. */
	if (nf->state == NF_CONNECTED && nf->started && !nf->dev.broken)
		work_post(&nf->dev.work);
}

/*
 * Account the events since the last call against the work the polls in
 * between found (sluice/irqstorm.h). True: a storm, the port stays masked
 * until the timer.
 */
static bool nf_storm_check(struct netfront *nf)
{
	uint64_t now = now_ns();
	uint32_t suppressed;

	if (!irqstorm_check(&nf->storm, now))
		return false;
	nf->storm_masked = true;
	timer_arm_in(&nf->storm_timer, IRQSTORM_BACKOFF_NS);
	if (irqstorm_report(&nf->storm, now, &suppressed))
		kprintf("%s: netfront: event storm from the backend, port masked for %llu ms "
			"(%u more not logged)\n",
			nf->dev.name, (unsigned long long)(IRQSTORM_BACKOFF_NS / 1000000),
			suppressed);
	return true;
}

/* Interrupt context: count (for the storm guard), mask, and leave the rest to the loop. */
static void nf_evtchn_handler(uint32_t port, void *arg)
{
	struct netfront *nf = arg;

	(void)port;
	irqstorm_event(&nf->storm);
	netdev_irq(&nf->dev);
}

static void nf_irq_disable(struct netdev *dev)
{
	struct netfront *nf = dev->priv;

	if (nf->port_open)
		evtchn_mask(&xen_evtchn, nf->port);
}

static bool nf_irq_enable(struct netdev *dev)
{
	struct netfront *nf = dev->priv;
	RING_IDX seen = nf->rx_seen;
	int more_tx;
	bool more_rx;

	if (nf->state != NF_CONNECTED || dev->broken || !nf->started || nf->storm_masked)
		return false;
	if (nf_storm_check(nf))
		return false;
	evtchn_unmask(&xen_evtchn, nf->port); /* re-raises an event that came while masked */
	/* An RX event for the first response beyond what the last poll looked at. */
	nf->rx.sring->rsp_event = seen + 1;
	xen_mb(); /* rsp_event is visible before rsp_prod is re-read, or an event could be lost */
	more_rx = nf->rx.sring->rsp_prod != seen;
	RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx, more_tx);
	return more_rx || more_tx;
}

static bool nf_service(struct netdev *dev)
{
	struct netfront *nf = dev->priv;

	if (nf->state != NF_CONNECTED || dev->broken)
		return false;
	nf_tx_reap(nf);
	if (!dev->broken)
		nf_rx_refill(nf, true);
	return false;
}

static int nf_start(struct netdev *dev)
{
	struct netfront *nf = dev->priv;

	if (dev->broken)
		return -EIO;
	/* netdev_start() polls next; that poll's irq_enable unmasks the port. */
	nf->started = true;
	return 0;
}

/* Quiesce: no more interrupts. The connection stays up; start resumes it. */
static void nf_stop(struct netdev *dev)
{
	struct netfront *nf = dev->priv;

	nf->started = false;
	nf_irq_disable(dev);
}

static const struct netdev_ops nf_ops = {
	.start = nf_start,
	.stop = nf_stop,
	.tx = nf_tx,
	.rx = nf_rx,
	.service = nf_service,
	.irq_enable = nf_irq_enable,
	.irq_disable = nf_irq_disable,
};

/* ---- set-up and teardown, for netfront_xs.c ---- */

int nf_dev_init(struct netfront *nf)
{
	int rc = pktbuf_pool_init(&nf->rx_pool, "netfront-rx", NF_RX_POOL);

	/* A short pool still works (refills stop early); too short cannot connect. */
	if (rc < 0 && nf->rx_pool.total < 2 * NF_RX_MIN)
		return rc;
	nf->dev.driver = "netfront";
	nf->dev.mtu = NF_MTU;
	nf->dev.nqueues = 1;
	nf->dev.ops = &nf_ops;
	nf->dev.priv = nf;
	nf->tx_ring_ref = nf->rx_ring_ref = -1;
	timer_init(&nf->storm_timer, nf_storm_end, nf);
	timer_init(&nf->refill_timer, nf_refill_retry, nf);
	return 0;
}

/*
 * Rings (zeroed pages, initialised here: only the frontend may), their
 * grants, an unbound port (masked until started) and the first RX
 * buffers. State NF_RINGS on success; on failure everything is undone.
 */
int nf_rings_setup(struct netfront *nf)
{
	uint16_t be = nf->xb.backend_id;
	int rc = -ENOMEM;

	nf->tx_page = page_alloc(1);
	nf->rx_page = page_alloc(1);
	if (!nf->tx_page || !nf->rx_page)
		goto fail;
	XEN_FRONT_RING_INIT(&nf->tx, (netif_tx_sring_t *)nf->tx_page, NF_PAGE_SIZE);
	XEN_FRONT_RING_INIT(&nf->rx, (netif_rx_sring_t *)nf->rx_page, NF_PAGE_SIZE);
	rc = nf->tx_ring_ref = gnttab_grant_access(&xen_gnttab, be, nf_gfn(nf->tx_page), false);
	if (rc < 0)
		goto fail;
	rc = nf->rx_ring_ref = gnttab_grant_access(&xen_gnttab, be, nf_gfn(nf->rx_page), false);
	if (rc < 0)
		goto fail;
	rc = evtchn_alloc_unbound(&xen_evtchn, be, &nf->port);
	if (rc < 0)
		goto fail;
	nf->port_open = true;
	rc = evtchn_bind(&xen_evtchn, nf->port, nf_evtchn_handler, nf);
	if (rc < 0)
		goto fail;
	nf_tx_reset(nf);
	memset(nf->rxs, 0, sizeof(nf->rxs));
	nf->rx_posted = 0;
	nf->rx_seen = 0;
	irqstorm_reset(&nf->storm);
	nf->state = NF_RINGS;
	nf_rx_refill(nf, false); /* the backend is not listening yet */
	rc = -ENOMEM;
	if (nf->rx_posted < NF_RX_MIN)
		goto fail;
	return 0;
fail:
	nf_rings_teardown(nf);
	return rc;
}

/*
 * Release the connection's resources (any partial set-up too). Call after
 * the close handshake, when the backend should have unmapped everything;
 * grants it still maps are quarantined (nf_put_*), never freed.
 */
void nf_rings_teardown(struct netfront *nf)
{
	nf->state = NF_IDLE;
	timer_cancel(&nf->storm_timer);
	timer_cancel(&nf->refill_timer);
	nf->storm_masked = false;
	/* The port first: once closed, no handler runs for it. */
	if (nf->port_open)
		evtchn_close(&xen_evtchn, nf->port);
	nf->port_open = false;
	for (unsigned int id = 0; id < NF_TX_RING_SIZE; id++)
		if (nf->txs[id].inflight)
			nf_tx_done(nf, (uint16_t)id);
	for (unsigned int i = 0; i < NF_RX_RING_SIZE; i++) {
		struct nf_rxslot *s = &nf->rxs[i];

		if (!s->buf)
			continue;
		nf_put_buf(nf, s->ref, s->buf, false);
		pktbuf_free(s->buf);
		s->buf = NULL;
	}
	nf->rx_posted = 0;
	nf_put_ring(nf, &nf->tx_ring_ref, &nf->tx_page);
	nf_put_ring(nf, &nf->rx_ring_ref, &nf->rx_page);
	memset(&nf->tx, 0, sizeof(nf->tx));
	memset(&nf->rx, 0, sizeof(nf->rx));
}

/* The backend is Connected: the data path runs, the link is up. */
void nf_set_connected(struct netfront *nf)
{
	nf->state = NF_CONNECTED;
	nf->st.connects++;
	nf->dev.features = NETDEV_F_TX_CSUM | (nf->feat_sg ? NETDEV_F_SG : 0);
	netdev_set_link(&nf->dev, true);
	/* It may have been waiting for RX buffers; then poll (irq_enable unmasks). */
	evtchn_notify(&xen_evtchn, nf->port);
	if (nf->started)
		work_post(&nf->dev.work);
}
