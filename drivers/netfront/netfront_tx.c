// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen netfront, transmit: checking a chain against what the backend
 * accepts, granting and posting its slots, and reaping and validating TX
 * responses. The trust rules are those of netfront.c: responses are copied
 * out of the ring once and checked before use, and a violation takes the
 * device out of service (nf_failf).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "netfront_priv.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/xen_plat.h"

#define TX_MASK (NF_TX_RING_SIZE - 1)

void nf_tx_reset(struct netfront *nf)
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
			gnttab_grant_access(&xen_gnttab, nf->xb.backend_id, nf_gfn(p->page), true);
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
bool nf_tx_done(struct netfront *nf, uint16_t id)
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
void nf_tx_reap(struct netfront *nf)
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
			irqstorm_work(&nf->storm);
		}
		nf->tx.rsp_cons = cons;
		/* Sets rsp_event, mb, re-reads rsp_prod: no completion goes unnoticed. */
		RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx, more);
	} while (more);
}

int nf_tx(struct netdev *dev, unsigned int q, struct pktbuf *pkt)
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
