/* SPDX-License-Identifier: BSD-2-Clause */
/* Network device registry, packet buffer pools and the per-device poll work. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/netdev.h"
#include "sluice/x86.h"

static struct netdev *devices[NETDEV_MAX];
static unsigned int ndevices;

int pktbuf_pool_init(struct pktbuf_pool *pool, const char *name, unsigned int n)
{
	struct pktbuf *meta = calloc(n, sizeof(*meta));

	if (!meta)
		return -ENOMEM;
	memset(pool, 0, sizeof(*pool));
	pool->name = name;
	for (unsigned int i = 0; i < n; i++) {
		/* One page per buffer: the unit of grants and of DMA descriptors. */
		uint8_t *page = page_alloc(1);

		if (!page)
			break;
		meta[i].page = page;
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
	uint64_t f = irq_save();
	struct pktbuf *p = pool->free;

	if (p) {
		pool->free = p->batch_next;
		pool->nfree--;
	} else {
		pool->alloc_failures++;
	}
	irq_restore(f);
	if (!p)
		return NULL;
	p->off = PKTBUF_HEADROOM;
	p->len = 0;
	p->flags = 0;
	p->csum_start = p->csum_offset = 0;
	p->next = p->batch_next = NULL;
	p->drv = 0;
	p->refs = 1;
	return p;
}

void pktbuf_ref(struct pktbuf *p)
{
	for (; p; p = p->next)
		p->refs++;
}

void pktbuf_free(struct pktbuf *p)
{
	while (p) {
		struct pktbuf *next = p->next;
		uint64_t f;

		if (p->refs == 0)
			panic("pktbuf_free: buffer %p of pool %s freed twice", (void *)p,
			      p->pool->name);
		if (--p->refs == 0) {
			f = irq_save();
			p->batch_next = p->pool->free;
			p->pool->free = p;
			p->pool->nfree++;
			irq_restore(f);
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

size_t pktbuf_copy_out(const struct pktbuf *p, void *dst, size_t cap)
{
	size_t n = 0;

	for (; p && n < cap; p = p->next) {
		size_t c = MIN((size_t)p->len, cap - n);

		memcpy((uint8_t *)dst + n, pkt_data(p), c);
		n += c;
	}
	return n;
}

/* Receive a budget's worth, hand it up, reap TX; re-arm the interrupt when idle. */
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
		dev->stats.rx_packets++;
		dev->stats.rx_bytes += pktbuf_chain_len(pkts[i]);
		if (dev->rx_handler) {
			dev->rx_handler(dev, pkts[i], dev->rx_arg);
		} else {
			dev->stats.rx_drops++;
			pktbuf_free(pkts[i]);
		}
	}
	more = dev->ops->service(dev);
	if (dev->broken)
		return;
	/* A full budget means more may be waiting: yield to other work, then come back. */
	if (n == NETDEV_POLL_BUDGET || more || dev->polling || dev->ops->irq_enable(dev))
		work_post(w);
}

void netdev_irq(struct netdev *dev)
{
	dev->stats.irqs++;
	dev->ops->irq_disable(dev);
	work_post(&dev->work);
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

struct netdev *netdev_get(unsigned int index)
{
	return index < ndevices ? devices[index] : NULL;
}

struct netdev *netdev_by_name(const char *name)
{
	for (unsigned int i = 0; i < ndevices; i++)
		if (strcmp(devices[i]->name, name) == 0)
			return devices[i];
	return NULL;
}

void netdev_set_rx_handler(struct netdev *dev, netdev_rx_fn fn, void *arg)
{
	dev->rx_arg = arg;
	dev->rx_handler = fn;
}

void netdev_set_link_handler(struct netdev *dev, netdev_link_fn fn, void *arg)
{
	dev->link_arg = arg;
	dev->link_handler = fn;
}

int netdev_start(struct netdev *dev)
{
	int rc = dev->ops->start(dev);

	if (rc == 0)
		work_post(&dev->work); /* pick up anything that arrived during start */
	return rc;
}

void netdev_stop(struct netdev *dev)
{
	dev->ops->stop(dev);
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
		if (rc == -EAGAIN)
			dev->stats.tx_drops++;
		else
			dev->stats.tx_errors++;
		pktbuf_free(pkt);
		return rc;
	}
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += len;
	return 0;
}

void netdev_set_link(struct netdev *dev, bool up)
{
	if (dev->link_up == up)
		return;
	dev->link_up = up;
	kprintf("%s: link %s\n", dev->name, up ? "up" : "down");
	if (dev->link_handler)
		dev->link_handler(dev, up, dev->link_arg);
}

void netdev_set_broken(struct netdev *dev, const char *reason)
{
	if (dev->broken)
		return;
	dev->broken = true;
	dev->broken_reason = reason;
	/* Once: a hostile peer must not be able to flood the console. */
	kprintf("%s: %s: disabled: %s\n", dev->name, dev->driver, reason);
	netdev_set_link(dev, false);
}

void netdev_format_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
