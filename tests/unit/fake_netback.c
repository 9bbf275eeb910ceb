// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fake netback and kernel shim for the netfront unit tests (see
 * fake_netback.h), on the fake Xen of fake_xen.c. Everything runs on one
 * thread: an "interrupt" is the fake Xen calling evtchn_demux() where the
 * real upcall could arrive (after a notify, or when unmasking a pending
 * port), never nested.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_netback.h"
#include "fake_xen.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/timerq.h"
#include "sluice/xen_plat.h"
#include "sluice/xenbus.h"

struct fake_xs fnb_xs;

/* ---- packet buffers and the netdev layer (as kernel/netdev.c, minus interrupts) ---- */

static struct netdev *devices[NETDEV_MAX];
static unsigned int ndevices;
static struct pktbuf *rxq[NETDEV_MAX], *rxq_tail[NETDEV_MAX];
static unsigned int rxq_len[NETDEV_MAX];
static struct pktbuf_pool txpool;

int pktbuf_pool_init(struct pktbuf_pool *pool, const char *name, unsigned int n)
{
	struct pktbuf *meta = calloc(n, sizeof(*meta));

	ck_assert_ptr_nonnull(meta);
	memset(pool, 0, sizeof(*pool));
	pool->name = name;
	for (unsigned int i = 0; i < n; i++) {
		meta[i].page = page_alloc(1);
		if (!meta[i].page)
			break;
		meta[i].pool = pool;
		meta[i].batch_next = pool->free;
		pool->free = &meta[i];
		pool->total++;
		pool->nfree++;
	}
	return pool->total == n ? 0 : -ENOMEM;
}

struct pktbuf *pktbuf_alloc(struct pktbuf_pool *pool)
{
	struct pktbuf *p = pool->free;

	if (!p) {
		pool->alloc_failures++;
		return NULL;
	}
	pool->free = p->batch_next;
	pool->nfree--;
	ck_assert_msg(shim_page_live(p->page), "pool %s hands out a freed page", pool->name);
	p->off = PKTBUF_HEADROOM;
	p->len = 0;
	p->flags = 0;
	p->csum_start = p->csum_offset = 0;
	p->next = p->batch_next = NULL;
	p->drv = 0;
	p->refs = 1;
	return p;
}

void pktbuf_free(struct pktbuf *p)
{
	while (p) {
		struct pktbuf *next = p->next;

		ck_assert_msg(p->refs > 0, "pktbuf %p freed twice", (void *)p);
		if (--p->refs == 0) {
			p->batch_next = p->pool->free;
			p->pool->free = p;
			p->pool->nfree++;
		}
		p = next;
	}
}

size_t pktbuf_chain_len(const struct pktbuf *p)
{
	size_t n = 0;

	for (; p; p = p->next)
		n += p->len;
	return n;
}

struct pktbuf *shim_tx_alloc(void)
{
	return pktbuf_alloc(&txpool);
}

unsigned int shim_tx_pool_free(void)
{
	return txpool.nfree;
}

static void netdev_work(struct work *w)
{
	struct netdev *dev = container_of(w, struct netdev, work);
	struct pktbuf *pkts[NETDEV_POLL_BUDGET];
	unsigned int n;
	bool more;

	dev->stats.polls++;
	if (dev->broken)
		return;
	n = dev->ops->rx(dev, 0, pkts, NETDEV_POLL_BUDGET);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int d = dev->index;

		ck_assert_ptr_nonnull(pkts[i]);
		dev->stats.rx_packets++;
		dev->stats.rx_bytes += pktbuf_chain_len(pkts[i]);
		pkts[i]->batch_next = NULL;
		if (rxq[d])
			rxq_tail[d]->batch_next = pkts[i];
		else
			rxq[d] = pkts[i];
		rxq_tail[d] = pkts[i];
		rxq_len[d]++;
	}
	more = dev->ops->service(dev);
	if (dev->broken)
		return;
	if (n == NETDEV_POLL_BUDGET || more || dev->polling || dev->ops->irq_enable(dev))
		work_post(w);
}

struct pktbuf *shim_rx_pop(struct netdev *dev)
{
	struct pktbuf *p = rxq[dev->index];

	if (p) {
		rxq[dev->index] = p->batch_next;
		rxq_len[dev->index]--;
		p->batch_next = NULL;
	}
	return p;
}

unsigned int shim_rx_queued(struct netdev *dev)
{
	return rxq_len[dev->index];
}

int netdev_register(struct netdev *dev)
{
	if (ndevices >= NETDEV_MAX)
		return -E2BIG;
	dev->index = ndevices;
	snprintf(dev->name, sizeof(dev->name), "net%u", ndevices);
	dev->work.fn = netdev_work;
	if (dev->nqueues == 0)
		dev->nqueues = 1;
	devices[ndevices++] = dev;
	return 0;
}

unsigned int netdev_count(void)
{
	return ndevices;
}

struct netdev *shim_netdev(unsigned int i)
{
	return i < ndevices ? devices[i] : NULL;
}

int netdev_start(struct netdev *dev)
{
	int rc = dev->ops->start(dev);

	if (rc == 0)
		work_post(&dev->work);
	return rc;
}

int netdev_tx(struct netdev *dev, struct pktbuf *pkt)
{
	size_t len = pktbuf_chain_len(pkt);
	int rc;

	if (dev->broken || !dev->link_up) {
		dev->stats.tx_drops++;
		pktbuf_free(pkt);
		return -ENETDOWN;
	}
	rc = dev->ops->tx(dev, 0, pkt);
	if (rc < 0) {
		pktbuf_free(pkt);
		return rc;
	}
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += len;
	return 0;
}

void netdev_irq(struct netdev *dev)
{
	dev->stats.irqs++;
	dev->ops->irq_disable(dev);
	work_post(&dev->work);
}

void netdev_set_link(struct netdev *dev, bool up)
{
	if (dev->link_up == up)
		return;
	dev->link_up = up;
	kprintf("%s: link %s\n", dev->name, up ? "up" : "down");
}

void netdev_set_broken(struct netdev *dev, const char *reason)
{
	if (dev->broken)
		return;
	dev->broken = true;
	dev->broken_reason = reason;
	kprintf("%s: %s: disabled: %s\n", dev->name, dev->driver, reason);
	netdev_set_link(dev, false);
}

void netdev_format_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* ---- fake Xen (fake_xen.c): a frontend's kick, grants the backend maps ---- */

static struct fnb_vif vifs[FNB_MAX_VIFS];

static void fnb_send(uint32_t port)
{
	for (unsigned int i = 0; i < FNB_MAX_VIFS; i++)
		if (vifs[i].used && vifs[i].mapped && vifs[i].port == port)
			vifs[i].kicks++;
}

void *fnb_map(int ref, bool write)
{
	return fx_map(ref, write);
}

void fnb_unmap(int ref, bool write)
{
	fx_unmap(ref, write);
}

/* ---- the fake netback: xenstore side ---- */

static void be_set(struct fnb_vif *v, int st)
{
	fx_set_state(v->be, st);
}

static int be_state(struct fnb_vif *v)
{
	return fx_state(v->be);
}

static long fe_num(struct fnb_vif *v, const char *key)
{
	return fx_num(v->fe, key);
}

/* The frontend went Connected: map its rings as netback's connect() does. */
static void attach(struct fnb_vif *v)
{
	ck_assert_int_eq(fe_num(v, "request-rx-copy"), 1);
	v->tx_ref = (int)fe_num(v, "tx-ring-ref");
	v->rx_ref = (int)fe_num(v, "rx-ring-ref");
	v->port = (uint32_t)fe_num(v, "event-channel");
	BACK_RING_INIT(&v->tx, (netif_tx_sring_t *)fnb_map(v->tx_ref, true), 4096);
	BACK_RING_INIT(&v->rx, (netif_rx_sring_t *)fnb_map(v->rx_ref, true), 4096);
	v->mapped = true;
}

static void release(struct fnb_vif *v)
{
	if (!v->mapped)
		return;
	v->mapped = false;
	for (unsigned int k = 0; k < v->hold_rx; k++) /* hostile: grab posted RX pages */
		fnb_map(fnb_rx_req_ref(v, v->rx.req_cons + k), true);
	if (v->keep_mapped)
		return;
	fnb_unmap(v->tx_ref, true);
	fnb_unmap(v->rx_ref, true);
}

/* Netback's frontend_changed(), reduced to the states we use. */
static void fnb_hook(struct fake_xs *f, const char *abs, const char *val, size_t len)
{
	char p[160];

	(void)f;
	(void)len;
	for (unsigned int i = 0; i < FNB_MAX_VIFS; i++) {
		struct fnb_vif *v = &vifs[i];

		snprintf(p, sizeof(p), "%s/%s/state", FAKE_HOME, v->fe);
		if (!v->used || strcmp(abs, p) != 0)
			continue;
		switch (atoi(val)) {
		case XenbusStateInitialising:
			if (be_state(v) == XenbusStateClosed) /* "prepare for reconnect" */
				be_set(v, XenbusStateInitWait);
			break;
		case XenbusStateConnected:
			if (v->stall_connect || v->mapped)
				break;
			attach(v);
			be_set(v, XenbusStateConnected);
			break;
		case XenbusStateClosing:
			release(v);
			be_set(v, XenbusStateClosing);
			break;
		case XenbusStateClosed:
			release(v);
			be_set(v, XenbusStateClosed);
			break;
		}
	}
}

void fnb_init(void)
{
	shim_kernel_init(0x20000000UL, &fnb_xs, false);
	ndevices = 0;
	memset(rxq, 0, sizeof(rxq));
	memset(rxq_len, 0, sizeof(rxq_len));
	memset(vifs, 0, sizeof(vifs));
	fx_init(&fnb_xs, fnb_send);
	fnb_xs.on_write = fnb_hook;
	ck_assert_int_eq(pktbuf_pool_init(&txpool, "test-tx", 600), 0);
}

struct fnb_vif *fnb_add_vif(unsigned int devid, const char *mac, unsigned int flags)
{
	struct fnb_vif *v = NULL;
	char p[160], b[16];

	for (unsigned int i = 0; i < FNB_MAX_VIFS && !v; i++)
		if (!vifs[i].used)
			v = &vifs[i];
	ck_assert_ptr_nonnull(v);
	memset(v, 0, sizeof(*v));
	v->used = true;
	v->devid = devid;
	snprintf(v->fe, sizeof(v->fe), "device/vif/%u", devid);
	snprintf(v->be, sizeof(v->be), FNB_BE_BASE "/%u", devid);
	snprintf(b, sizeof(b), "%u", devid);
#define FE(k, val) (snprintf(p, sizeof(p), "%s/%s", v->fe, k), fake_kv_write(&fnb_xs, p, val))
#define BE(k, val) (snprintf(p, sizeof(p), "%s/%s", v->be, k), fake_kv_write(&fnb_xs, p, val))
	BE("state", flags & FNB_NOT_READY ? "1" : "2");
	if (!(flags & FNB_NO_RX_COPY))
		BE("feature-rx-copy", "1");
	BE("feature-sg", flags & FNB_NO_SG ? "0" : "1");
	BE("feature-split-event-channels", "1");
	BE("multi-queue-max-queues", "4");
	FE("backend", v->be);
	FE("backend-id", "0");
	FE("handle", b);
	FE("mac", mac);
	FE("state", "1");
#undef FE
#undef BE
	return v;
}

void fnb_pump(void)
{
	fx_pump();
}

void fnb_remove_nodes(struct fnb_vif *v)
{
	char p[160];

	release(v);
	snprintf(p, sizeof(p), "%s/%s", FAKE_HOME, v->fe);
	fake_kv_rm(&fnb_xs, p);
	fake_kv_rm(&fnb_xs, v->be);
	v->used = false;
	fnb_pump();
}

void fnb_connect_now(struct fnb_vif *v)
{
	v->stall_connect = false;
	attach(v);
	be_set(v, XenbusStateConnected);
	fnb_pump();
}

void fnb_detach(struct fnb_vif *v)
{
	be_set(v, XenbusStateClosing); /* libxl: online = 0, state = Closing */
	fnb_pump();
	ck_assert_int_eq(be_state(v), XenbusStateClosed);
	fnb_remove_nodes(v);
}

/* ---- the fake netback: data path ---- */

void fnb_notify(struct fnb_vif *v)
{
	fx_notify(v->port);
}

int fnb_rx_req_ref(struct fnb_vif *v, RING_IDX i)
{
	netif_rx_request_t req;

	RING_COPY_REQUEST(&v->rx, i, &req);
	return (int)req.gref;
}

unsigned int fnb_tx_process(struct fnb_vif *v, unsigned int max)
{
	netif_tx_request_t req[NF_MAX_SLOTS];
	unsigned int pkts = 0;
	int notify;

	while (pkts < max && v->tx.req_cons != v->tx.sring->req_prod) {
		unsigned int n = 0;
		size_t rest = 0, off = 0;

		do {
			ck_assert_msg(n < NF_MAX_SLOTS, "more than %u TX slots", NF_MAX_SLOTS);
			ck_assert_msg(v->tx.req_cons != v->tx.sring->req_prod, "partial packet");
			RING_COPY_REQUEST(&v->tx, v->tx.req_cons++, &req[n]);
		} while (req[n++].flags & NETTXF_more_data);
		for (unsigned int k = 1; k < n; k++)
			rest += req[k].size;
		ck_assert_msg(rest < req[0].size, "first slot size is not the packet length");
		for (unsigned int k = 0; k < n; k++) {
			size_t len = k ? req[k].size : req[0].size - rest;
			uint8_t *page = fnb_map((int)req[k].gref, false);

			ck_assert_uint_le(req[k].offset + len, 4096);
			memcpy(v->last + off, page + req[k].offset, len);
			fnb_unmap((int)req[k].gref, false);
			off += len;
		}
		v->last_len = off;
		v->tx_frames++;
		v->tx_bytes += off;
		v->tx_max_slots = n > v->tx_max_slots ? n : v->tx_max_slots;
		if (v->on_tx)
			v->on_tx(v, v->last, off);
		for (unsigned int k = 0; k < n && !v->no_tx_resp; k++) {
			netif_tx_response_t *r = RING_GET_RESPONSE(&v->tx, v->tx.rsp_prod_pvt++);

			r->id = req[k].id;
			r->status = NETIF_RSP_OKAY;
		}
		pkts++;
	}
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->tx, notify);
	if (notify)
		fnb_notify(v);
	return pkts;
}

int fnb_rx_send(struct fnb_vif *v, const void *data, size_t len, size_t frag, uint16_t offset,
		uint16_t first_flags)
{
	size_t nslots = len ? (len + frag - 1) / frag : 1, done = 0;
	int notify;

	if (v->rx.sring->req_prod - v->rx.req_cons < nslots)
		return -EAGAIN;
	for (size_t k = 0; k < nslots; k++) {
		size_t chunk = len - done < frag ? len - done : frag;
		netif_rx_request_t req;
		netif_rx_response_t *r;
		uint8_t *page;

		RING_COPY_REQUEST(&v->rx, v->rx.req_cons++, &req);
		ck_assert_uint_le(offset + chunk, 4096);
		page = fnb_map((int)req.gref, true);
		memcpy(page + offset, (const uint8_t *)data + done, chunk);
		fnb_unmap((int)req.gref, true);
		r = RING_GET_RESPONSE(&v->rx, v->rx.rsp_prod_pvt++);
		r->id = req.id;
		r->offset = offset;
		r->flags = (uint16_t)((k == 0 ? first_flags : 0) |
				      (k + 1 < nslots ? NETRXF_more_data : 0));
		r->status = (int16_t)chunk;
		done += chunk;
	}
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->rx, notify);
	if (notify)
		fnb_notify(v);
	return 0;
}

void fnb_tx_raw(struct fnb_vif *v, uint16_t id, int16_t status)
{
	netif_tx_response_t *r = RING_GET_RESPONSE(&v->tx, v->tx.rsp_prod_pvt++);

	r->id = id;
	r->status = status;
	RING_PUSH_RESPONSES(&v->tx);
}

void fnb_rx_raw(struct fnb_vif *v, const netif_rx_response_t *rsp)
{
	v->rx.req_cons++;
	*RING_GET_RESPONSE(&v->rx, v->rx.rsp_prod_pvt++) = *rsp;
	RING_PUSH_RESPONSES(&v->rx);
}
