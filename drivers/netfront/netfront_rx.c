// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen netfront, receive: keeping RX buffers posted, validating RX
 * responses (data and extra-info slots) and turning a packet's slots into
 * a fragment chain. The trust rules are those of netfront.c: responses are
 * copied out of the ring once and checked before use, and a violation
 * takes the device out of service (nf_failf).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "netfront_priv.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/xen_plat.h"

#define RX_MASK (NF_RX_RING_SIZE - 1)

/* Post RX buffers up to NF_RX_TARGET; with @kick, notify a waiting backend. */
void nf_rx_refill(struct netfront *nf, bool kick)
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
		ref = gnttab_grant_access(&xen_gnttab, nf->xb.backend_id, nf_gfn(p->page), false);
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
void nf_refill_retry(struct timer *t, void *arg)
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
	irqstorm_work(&nf->storm);
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

unsigned int nf_rx(struct netdev *dev, unsigned int q, struct pktbuf **pkts, unsigned int max)
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
