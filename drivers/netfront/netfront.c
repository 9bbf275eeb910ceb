// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen netfront, the device side (primer §13, §15): the shared TX and RX
 * rings, their grants and event channel, transmit, receive, response
 * validation and the event-storm guard. The xenstore side (discovery,
 * connect, close, hot-plug) is netfront_xs.c.
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

#define TX_MASK (NF_TX_RING_SIZE - 1)
#define RX_MASK (NF_RX_RING_SIZE - 1)

/*
 * A response producer index is believable only if it runs ahead of our
 * consumer by at most the requests we have outstanding. ring.h's check
 * bounds it by the ring size only; ours is the tighter of the two.
 */
#define NF_PROD_BAD(r, prod)                                                                       \
	(RING_RESPONSE_PROD_OVERFLOW(r, prod) ||                                                   \
	 (RING_IDX)((prod) - (r)->rsp_cons) > (RING_IDX)((r)->req_prod_pvt - (r)->rsp_cons))

static uint64_t gfn_of(const void *page)
{
	return (uint64_t)(uintptr_t)page >> 12;
}

/*
 * Take the device out of service: nothing more is read from the rings and
 * the port stays masked. The rings and grants are released when the
 * backend closes (netfront_xs.c). Always -EIO, for the callers' returns.
 */
static int __attribute__((format(printf, 2, 3))) nf_failf(struct netfront *nf, const char *fmt, ...)
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
static bool nf_put_buf(struct netfront *nf, int ref, struct pktbuf *p, bool copy)
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

/* ---- transmit ---- */

static void nf_tx_reset(struct netfront *nf)
{
	memset(nf->txs, 0, sizeof(nf->txs));
	nf->tx_nfree = 0;
	for (unsigned int id = NF_TX_RING_SIZE; id > 0; id--)
		nf->tx_free[nf->tx_nfree++] = (uint16_t)(id - 1);
}

/* A chain the backend will accept: *@nslots slots, *@total bytes. */
static int nf_tx_check(const struct netfront *nf, const struct pktbuf *pkt, unsigned int *nslots,
		       size_t *total)
{
	unsigned int n = 0;
	size_t len = 0;

	for (const struct pktbuf *p = pkt; p; p = p->next) {
		if (++n > NF_MAX_SLOTS)
			return -EMSGSIZE;
		/* A slot is one page: netback drops the vif on offset + size > 4096. */
		if (p->len == 0 || (size_t)p->off + p->len > NF_PAGE_SIZE)
			return -EINVAL;
		len += p->len;
	}
	/* Netback wants the Ethernet header whole in the first slot. */
	if (n == 0 || pkt->len < NF_ETH_HLEN)
		return -EINVAL;
	if ((n > 1 && !nf->feat_sg) || len > XEN_NETIF_MAX_TX_SIZE)
		return -EMSGSIZE;
	*nslots = n;
	*total = len;
	return 0;
}

static bool nf_tx_room(const struct netfront *nf, unsigned int n)
{
	return RING_FREE_REQUESTS(&nf->tx) >= n && nf->tx_nfree >= n;
}

/*
 * Grant every fragment's page read-only, or none of them. Per packet, not
 * once per buffer: TX buffers belong to whatever pool they came from (the
 * stack's, another NIC's RX pool) and return to it after completion, so a
 * grant kept beyond that would let this backend read whatever the page
 * holds next, possibly traffic of another vif served by another backend
 * domain. A v1 grant costs two stores and its revocation one cmpxchg, with
 * no hypercall, so keeping grants would save little.
 */
static int nf_tx_grant(struct netfront *nf, struct pktbuf *pkt, int *refs)
{
	struct pktbuf *p;
	unsigned int i = 0, j;
	bool busy = false;
	int rc;

	for (p = pkt; p; p = p->next, i++) {
		refs[i] =
			gnttab_grant_access(&xen_gnttab, nf->xb.backend_id, gfn_of(p->page), true);
		if (refs[i] < 0)
			break;
	}
	if (!p)
		return 0;
	rc = refs[i];
	/* Never published, but a backend can map any ref it guesses. */
	for (j = 0, p = pkt; j < i; j++, p = p->next)
		busy |= nf_put_buf(nf, refs[j], p, true);
	if (busy)
		nf_failf(nf, "tx: backend mapped grants it was never given");
	return rc == -ENOSPC ? -ENOBUFS : rc;
}

static uint16_t nf_tx_csum_flags(const struct pktbuf *pkt)
{
	/* As Linux netfront: a blank checksum is ours to vouch for, so also "validated". */
	if (pkt->flags & PKT_CSUM_BLANK)
		return NETTXF_csum_blank | NETTXF_data_validated;
	return (pkt->flags & PKT_DATA_VALID) ? NETTXF_data_validated : 0;
}

static void nf_tx_post(struct netfront *nf, struct pktbuf *pkt, const int *refs, size_t total)
{
	unsigned int i = 0;
	uint16_t head = 0;
	bool notify;

	for (struct pktbuf *p = pkt; p; p = p->next, i++) {
		uint16_t id = nf->tx_free[--nf->tx_nfree];
		netif_tx_request_t *req = RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt);

		if (i == 0)
			head = id;
		nf->txs[id] = (struct nf_txslot){
			.frag = p, .pkt = i == 0 ? pkt : NULL, .ref = refs[i], .head = head};
		nf->txs[id].inflight = true;
		nf->txs[head].pending++;
		/* All five fields of the 12-byte request: no stale bytes reach the backend. */
		req->gref = (grant_ref_t)refs[i];
		req->offset = p->off;
		req->flags = (uint16_t)((p->next ? NETTXF_more_data : 0) |
					(i == 0 ? nf_tx_csum_flags(pkt) : 0));
		req->id = id;
		/* netif.h: the first slot's size is the whole packet's length. */
		req->size = (uint16_t)(i == 0 ? total : p->len);
		nf->tx.req_prod_pvt++;
	}
	/* wmb: requests before req_prod; mb: req_prod before reading req_event (ring.h). */
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, notify);
	if (notify)
		evtchn_notify(&xen_evtchn, nf->port);
}

/*
 * Slot @id is done (answered, or the connection is going away). Ids of a
 * packet's later slots are free at once; the first slot's id is held until
 * every slot is done, since it carries the packet. Returns nf_put_buf's
 * verdict: true if the backend still maps the page.
 */
static bool nf_tx_done(struct netfront *nf, uint16_t id)
{
	struct nf_txslot *s = &nf->txs[id];
	uint16_t head = s->head;
	struct nf_txslot *h = &nf->txs[head];
	bool busy = nf_put_buf(nf, s->ref, s->frag, true);

	s->inflight = false;
	s->frag = NULL;
	if (id != head)
		nf->tx_free[nf->tx_nfree++] = id;
	else
		s->held = true;
	if (--h->pending == 0) {
		pktbuf_free(h->pkt);
		h->pkt = NULL;
		h->held = false;
		nf->tx_free[nf->tx_nfree++] = head;
	}
	return busy;
}

static int nf_tx_response(struct netfront *nf, const netif_tx_response_t *r)
{
	/* The id comes from the backend: in range and one we are waiting for, once. */
	if (r->id >= NF_TX_RING_SIZE || !nf->txs[r->id].inflight)
		return nf_failf(nf, "tx: response for id %u, which is not in flight", r->id);
	switch (r->status) {
	case NETIF_RSP_OKAY:
		break;
	case NETIF_RSP_ERROR:
		nf->dev.stats.tx_errors++;
		break;
	case NETIF_RSP_DROPPED:
		nf->dev.stats.tx_drops++;
		break;
	default: /* NETIF_RSP_NULL included: we never send extra-info slots */
		return nf_failf(nf, "tx: response status %d for id %u", r->status, r->id);
	}
	if (nf_tx_done(nf, r->id))
		return nf_failf(nf, "tx: grant still in use by the backend after its response");
	return 0;
}

/* Reap TX completions. Bounded: every valid response retires a request. */
static void nf_tx_reap(struct netfront *nf)
{
	netif_tx_response_t rsp;
	RING_IDX cons, prod;
	int more;

	do {
		prod = nf->tx.sring->rsp_prod;
		xen_rmb(); /* the responses are read only after the index that covers them */
		if (NF_PROD_BAD(&nf->tx, prod)) {
			nf_failf(nf, "tx: response producer %u runs ahead of the requests (%u..%u)",
				 prod, nf->tx.rsp_cons, nf->tx.req_prod_pvt);
			return;
		}
		for (cons = nf->tx.rsp_cons; cons != prod; cons++) {
			RING_COPY_RESPONSE(&nf->tx, cons, &rsp);
			if (nf_tx_response(nf, &rsp) < 0)
				return;
			nf->work_done++;
		}
		nf->tx.rsp_cons = cons;
		/* Sets rsp_event, mb, re-reads rsp_prod: no completion goes unnoticed. */
		RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx, more);
	} while (more);
}

static int nf_tx(struct netdev *dev, unsigned int q, struct pktbuf *pkt)
{
	struct netfront *nf = dev->priv;
	int refs[NF_MAX_SLOTS];
	unsigned int n;
	size_t total;
	int rc;

	(void)q;
	if (nf->state != NF_CONNECTED || dev->broken)
		return -ENETDOWN;
	rc = nf_tx_check(nf, pkt, &n, &total);
	if (rc < 0)
		return rc;
	if (!nf_tx_room(nf, n)) {
		nf_tx_reap(nf); /* completions may be waiting behind a masked port */
		if (dev->broken)
			return -ENETDOWN;
		if (!nf_tx_room(nf, n))
			return -EAGAIN;
	}
	rc = nf_tx_grant(nf, pkt, refs);
	if (rc < 0)
		return rc;
	nf_tx_post(nf, pkt, refs, total);
	return 0;
}

/* ---- receive ---- */

/* Post RX buffers up to NF_RX_TARGET; with @kick, notify a waiting backend. */
static void nf_rx_refill(struct netfront *nf, bool kick)
{
	unsigned int added = 0;
	int notify;

	while (nf->rx.req_prod_pvt - nf->rx.rsp_cons < NF_RX_TARGET) {
		RING_IDX i = nf->rx.req_prod_pvt;
		struct nf_rxslot *s = &nf->rxs[i & RX_MASK];
		struct pktbuf *p = pktbuf_alloc(&nf->rx_pool);
		netif_rx_request_t *req;
		int ref;

		if (!p)
			break; /* the stack holds them all; the next poll tries again */
		/* Writable: with request-rx-copy the backend copies into the page. */
		ref = gnttab_grant_access(&xen_gnttab, nf->xb.backend_id, gfn_of(p->page), false);
		if (ref < 0) {
			pktbuf_free(p);
			break;
		}
		s->buf = p;
		s->ref = ref;
		req = RING_GET_REQUEST(&nf->rx, i);
		req->id = (uint16_t)(i & RX_MASK); /* the slot: netback answers in the same one */
		req->pad = 0;
		req->gref = (grant_ref_t)ref;
		nf->rx.req_prod_pvt = i + 1;
		nf->rx_posted++;
		added++;
	}
	if (nf->rx_posted < NF_RX_MIN && nf->state == NF_CONNECTED && !nf->refill_timer.armed)
		timer_arm_in(&nf->refill_timer, NF_REFILL_RETRY_NS);
	if (!added)
		return;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, notify);
	if (notify && kick)
		evtchn_notify(&xen_evtchn, nf->port);
}

/* The stack held every RX buffer: poll again, whose service() refills. */
static void nf_refill_retry(struct timer *t, void *arg)
{
	struct netfront *nf = arg;

	(void)t;
	if (nf->state == NF_CONNECTED && !nf->dev.broken)
		work_post(&nf->dev.work);
}

enum nf_drop { NF_KEEP, NF_DROP_ERROR, NF_DROP_CSUM, NF_DROP_EXTRA };

/* One received packet: its slots' responses, copied once out of the ring. */
struct nf_rxpkt {
	unsigned int n;
	enum nf_drop drop;
	netif_rx_response_t rsp[NF_RX_PKT_SLOTS];
	bool extra[NF_RX_PKT_SLOTS];
};

static int nf_rx_check_data(struct netfront *nf, RING_IDX i, const netif_rx_response_t *r,
			    struct nf_rxpkt *pk)
{
	/* We post id = slot, and netback answers each request in its own slot. */
	if (r->id != (i & RX_MASK) || !nf->rxs[r->id].buf)
		return nf_failf(nf, "rx: response id %u in slot %u", r->id, i & RX_MASK);
	if (r->status < 0) {
		if (r->status != NETIF_RSP_ERROR && r->status != NETIF_RSP_DROPPED)
			return nf_failf(nf, "rx: response status %d", r->status);
		pk->drop = NF_DROP_ERROR;
		return 0;
	}
	if (r->offset > NF_PAGE_SIZE || (unsigned int)r->status > NF_PAGE_SIZE - r->offset)
		return nf_failf(nf, "rx: offset %u + length %d runs past the page", r->offset,
				r->status);
	return 0;
}

/* An extra-info slot (it overlays a response): a known type, a bounded chain. */
static int nf_rx_check_extra(struct netfront *nf, const netif_rx_response_t *r,
			     unsigned int *extras, bool *more)
{
	netif_extra_info_t x;

	memcpy(&x, r, sizeof(x));
	++*extras;
	if (x.type == XEN_NETIF_EXTRA_TYPE_NONE || x.type >= XEN_NETIF_EXTRA_TYPE_MAX ||
	    *extras > NF_MAX_EXTRAS)
		return nf_failf(nf, "rx: bad extra info (type %u, #%u)", x.type, *extras);
	*more = x.flags & XEN_NETIF_EXTRA_FLAG_MORE;
	return 0;
}

/*
 * Copy and check the slots of the packet at rsp_cons, up to @prod: a data
 * slot, then extra-info slots if it says so, then data slots while
 * more_data is set. 1: *@pk is a complete packet; 0: not all of it is
 * published yet (nothing consumed, try again later); -EIO: broken.
 */
static int nf_rx_parse(struct netfront *nf, RING_IDX prod, struct nf_rxpkt *pk)
{
	RING_IDX i = nf->rx.rsp_cons;
	unsigned int data = 0, extras = 0;
	bool want_extra = false, more = true;

	pk->n = 0;
	pk->drop = NF_KEEP;
	while (more || want_extra) {
		netif_rx_response_t *r = &pk->rsp[pk->n];

		if (i == prod)
			return 0;
		if (pk->n == NF_RX_PKT_SLOTS)
			return nf_failf(nf, "rx: packet spans more than %u slots", NF_RX_PKT_SLOTS);
		RING_COPY_RESPONSE(&nf->rx, i, r);
		pk->extra[pk->n] = want_extra;
		if (want_extra) {
			if (nf_rx_check_extra(nf, r, &extras, &want_extra) < 0)
				return -EIO;
			/* We negotiated no GSO and no hashing: nothing to use these for. */
			pk->drop = pk->drop ? pk->drop : NF_DROP_EXTRA;
		} else {
			if (++data > NF_MAX_SLOTS)
				return nf_failf(nf, "rx: more_data chain longer than %u slots",
						NF_MAX_SLOTS);
			if (nf_rx_check_data(nf, i, r, pk) < 0)
				return -EIO;
			/* We wrote feature-no-csum-offload and cannot complete a checksum. */
			if (data == 1 && (r->flags & NETRXF_csum_blank) && !pk->drop)
				pk->drop = NF_DROP_CSUM;
			want_extra = data == 1 && (r->flags & NETRXF_extra_info);
			more = r->flags & NETRXF_more_data;
		}
		pk->n++;
		i++;
	}
	return 1;
}

static void nf_rx_count_drop(struct netfront *nf, enum nf_drop why)
{
	if (why == NF_DROP_ERROR) {
		nf->dev.stats.rx_errors++;
		return;
	}
	nf->dev.stats.rx_drops++;
	if (why == NF_DROP_EXTRA) {
		nf->st.rx_extra++;
	} else if (why == NF_DROP_CSUM) {
		nf->st.csum_blank++;
		if (!nf->csum_logged)
			kprintf("%s: netfront: dropping packets with blank checksums\n",
				nf->dev.name);
		nf->csum_logged = true;
	}
}

/* Consume a parsed packet: revoke every slot's grant, then build the chain. */
static struct pktbuf *nf_rx_take(struct netfront *nf, const struct nf_rxpkt *pk)
{
	struct pktbuf *head = NULL, **tail = &head;
	RING_IDX i = nf->rx.rsp_cons;
	enum nf_drop why = pk->drop;
	bool busy = false;
	size_t total = 0;

	for (unsigned int k = 0; k < pk->n; k++, i++) {
		struct nf_rxslot *s = &nf->rxs[i & RX_MASK];
		struct pktbuf *p = s->buf;

		s->buf = NULL;
		nf->rx_posted--;
		/* Revoked before the data is looked at: then it cannot change any more. */
		busy |= nf_put_buf(nf, s->ref, p, false);
		if (pk->extra[k] || why != NF_KEEP) {
			pktbuf_free(p);
			continue;
		}
		/*
		 * p->flags stays 0: NETRXF_data_validated would be the backend
		 * vouching for checksums, which the stack can check itself.
		 */
		p->off = pk->rsp[k].offset;
		p->len = (uint16_t)pk->rsp[k].status;
		total += p->len;
		*tail = p;
		tail = &p->next;
	}
	nf->rx.rsp_cons = i;
	nf->work_done++;
	if (busy) {
		pktbuf_free(head);
		nf_failf(nf, "rx: grant still in use by the backend after its response");
		return NULL;
	}
	if (why == NF_KEEP && total < NF_ETH_HLEN)
		why = NF_DROP_ERROR;
	if (why != NF_KEEP) {
		pktbuf_free(head);
		nf_rx_count_drop(nf, why);
		return NULL;
	}
	return head;
}

static unsigned int nf_rx(struct netdev *dev, unsigned int q, struct pktbuf **pkts,
			  unsigned int max)
{
	struct netfront *nf = dev->priv;
	struct nf_rxpkt pk;
	unsigned int n = 0;
	RING_IDX prod = 0;
	int rc = 1;

	(void)q;
	if (nf->state != NF_CONNECTED || dev->broken)
		return 0;
	while (n < max) {
		struct pktbuf *p;

		prod = nf->rx.sring->rsp_prod;
		xen_rmb(); /* the responses are read only after the index that covers them */
		if (NF_PROD_BAD(&nf->rx, prod)) {
			nf_failf(nf, "rx: response producer %u runs ahead of the requests (%u..%u)",
				 prod, nf->rx.rsp_cons, nf->rx.req_prod_pvt);
			return n;
		}
		if (prod == nf->rx.rsp_cons)
			break;
		rc = nf_rx_parse(nf, prod, &pk);
		if (rc <= 0)
			break;
		p = nf_rx_take(nf, &pk);
		if (dev->broken)
			return n;
		if (p)
			pkts[n++] = p;
	}
	/* A half-published packet is left alone until its producer moves on. */
	nf->rx_seen = rc == 0 ? prod : nf->rx.rsp_cons;
	if (!dev->broken)
		nf_rx_refill(nf, true);
	return n;
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

/* The backend decides how often this happens: at most one line per NF_STORM_LOG_NS. */
static void nf_storm_log(struct netfront *nf, uint64_t now)
{
	if (nf->storm_logged_at && now - nf->storm_logged_at < NF_STORM_LOG_NS) {
		nf->storm_unlogged++;
		return;
	}
	kprintf("%s: netfront: event storm from the backend, port masked for %llu ms "
		"(%u more not logged)\n",
		nf->dev.name, (unsigned long long)(NF_STORM_BACKOFF_NS / 1000000),
		nf->storm_unlogged);
	nf->storm_logged_at = now ? now : 1;
	nf->storm_unlogged = 0;
}

/*
 * Account the events since the last call against the work the polls in
 * between found. True: a storm, the port stays masked until the timer.
 */
static bool nf_storm_check(struct netfront *nf)
{
	uint32_t ev = __atomic_load_n(&nf->irq_events, __ATOMIC_RELAXED);
	uint32_t fresh = ev - nf->ev_seen;
	uint64_t now = now_ns();

	nf->ev_seen = ev;
	if (now - nf->win_start >= NF_STORM_WINDOW_NS) {
		nf->win_start = now;
		nf->win_spurious = nf->win_useful = 0;
	}
	if (fresh && nf->work_done == 0) {
		nf->win_spurious += fresh;
		nf->st.spurious += fresh;
	} else if (fresh) {
		nf->win_useful++;
	}
	nf->work_done = 0;
	if (nf->win_spurious <= NF_STORM_SPURIOUS ||
	    nf->win_spurious <= NF_STORM_RATIO * nf->win_useful)
		return false;
	nf->st.storms++;
	nf->storm_masked = true;
	nf->win_spurious = nf->win_useful = 0;
	timer_arm_in(&nf->storm_timer, NF_STORM_BACKOFF_NS);
	nf_storm_log(nf, now);
	return true;
}

/* Interrupt context: count (for the storm guard), mask, and leave the rest to the loop. */
static void nf_evtchn_handler(uint32_t port, void *arg)
{
	struct netfront *nf = arg;

	(void)port;
	__atomic_store_n(&nf->irq_events, nf->irq_events + 1, __ATOMIC_RELAXED);
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
	rc = nf->tx_ring_ref = gnttab_grant_access(&xen_gnttab, be, gfn_of(nf->tx_page), false);
	if (rc < 0)
		goto fail;
	rc = nf->rx_ring_ref = gnttab_grant_access(&xen_gnttab, be, gfn_of(nf->rx_page), false);
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
	nf->ev_seen = nf->irq_events;
	nf->work_done = nf->win_spurious = nf->win_useful = 0;
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
