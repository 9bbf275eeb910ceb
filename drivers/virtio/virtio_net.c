/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (virtio 1.x §5.1) behind the netdev API, over any transport.
 *
 * One RX and one TX queue. Negotiated: MAC, STATUS, EVENT_IDX when offered,
 * VERSION_1 on modern transports (ANY_LAYOUT on legacy ones), and
 * ACCESS_PLATFORM if a device insists (we hand it physical addresses, which
 * is what it then expects). No checksum, GSO or mergeable-buffer features:
 * every frame carries complete checksums and fits one page, so every
 * virtio-net header we send is all zeroes and every one we receive can be
 * ignored.
 *
 * RX: each buffer is one pktbuf page; the device writes the header just
 * before PKTBUF_HEADROOM and the frame at PKTBUF_HEADROOM, so the packet
 * goes up without a copy. The ring is kept full from a per-device pool.
 * TX: a chain is [shared zero header][fragment]...; the buffers are never
 * written by us or the device, so a packet may be in flight on several
 * NICs at once.
 *
 * Trust: used entries are validated by the virtqueue; a violation marks the
 * netdev broken, resets the device and deliberately leaks the buffers it
 * still holds (it might keep writing to them). The MAC and the queue sizes
 * are checked before use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/netdev.h"
#include "sluice/random.h"
#include "virtio.h"

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1
#define CFG_MAC 0
#define CFG_STATUS 6

#define WANTED_FEATURES                                                                            \
	(VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |                          \
	 VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) |                   \
	 VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM))

#define RXQ 0
#define TXQ 1
#define VNET_QSIZE 256	  /* ring size where the driver may choose */
#define VNET_RX_SPARE 128 /* pool buffers beyond a full ring: packets held upstream */
#define VNET_TX_MAX_FRAGS 16
#define VNET_MTU 1500
#define ETH_HLEN 14
#define MAX_FRAME (ETH_HLEN + 4 + VNET_MTU) /* one VLAN tag allowed */
#define HDR_LEN_LEGACY 10
#define HDR_LEN_V1 12 /* num_buffers is always present in 1.x */
#define CONFIG_RETRIES 8

struct vnet_queue {
	struct virtqueue vq;
	void *mem;
	size_t pages;
};

struct vnet {
	struct netdev nd;
	struct virtio_dev *vd;
	struct vnet_queue rx, tx;
	struct pktbuf_pool rx_pool;
	bool pool_ready;
	uint8_t *tx_hdr; /* a zeroed page, device-readable: every TX header */
	unsigned int hdr_len;
	unsigned int rx_segs; /* 1, or 2 when the header must be separate (legacy) */
	bool running;
	volatile bool cfg_changed; /* set from the interrupt handler */
	bool announced;
};

static void vnet_kick(struct vnet *vn, struct vnet_queue *q)
{
	if (vq_kick_prepare(&q->vq))
		vn->vd->ops->notify(vn->vd, &q->vq);
}

static int vnet_negotiate(struct vnet *vn)
{
	int rc = virtio_negotiate(vn->vd, WANTED_FEATURES);
	uint64_t f = vn->vd->features;

	vn->hdr_len = f & VIRTIO_BIT(VIRTIO_F_VERSION_1) ? HDR_LEN_V1 : HDR_LEN_LEGACY;
	vn->rx_segs =
		f & (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT)) ? 1 : 2;
	return rc;
}

static int queue_create(struct vnet *vn, struct vnet_queue *q, uint16_t idx)
{
	struct virtio_dev *d = vn->vd;
	unsigned int max = d->ops->queue_max(d, idx), num;
	int rc;

	/* Untrusted: the legacy device dictates the size; anything unusable is refused. */
	num = d->fixed_qsize ? max : vq_pow2_floor(MIN(max, VNET_QSIZE));
	if (num < 2 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return -ENOTSUP;
	q->pages = ALIGN_UP(vring_size(num), PAGE_SIZE) / PAGE_SIZE;
	q->mem = page_alloc(q->pages); /* zeroed, identity-mapped: ring addresses are physical */
	if (!q->mem)
		return -ENOMEM;
	rc = vq_init(&q->vq, idx, (uint16_t)num, q->mem,
		     d->features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	if (rc < 0)
		goto free_mem;
	rc = d->ops->queue_enable(d, &q->vq);
	if (rc < 0)
		goto fini;
	return 0;
fini:
	vq_fini(&q->vq);
free_mem:
	page_free(q->mem, q->pages);
	q->mem = NULL;
	return rc;
}

/* Only after a device reset: the device no longer touches the ring or the buffers. */
static void queue_destroy(struct vnet_queue *q)
{
	struct pktbuf *p;

	if (!q->mem)
		return;
	while ((p = vq_detach_unused(&q->vq)))
		pktbuf_free(p);
	vq_fini(&q->vq);
	page_free(q->mem, q->pages);
	q->mem = NULL;
}

static void vnet_fill_rx(struct vnet *vn)
{
	struct virtqueue *vq = &vn->rx.vq;
	bool added = false;

	while (vq_free_descs(vq) >= vn->rx_segs) {
		struct pktbuf *p = pktbuf_alloc(&vn->rx_pool);
		uint64_t data, hdr;
		struct vq_seg seg[2];

		if (!p)
			break;
		data = (uint64_t)(uintptr_t)p->page + PKTBUF_HEADROOM;
		hdr = data - vn->hdr_len;
		if (vn->rx_segs == 1) {
			seg[0] = (struct vq_seg){hdr, PKTBUF_SIZE - PKTBUF_HEADROOM + vn->hdr_len};
		} else {
			seg[0] = (struct vq_seg){hdr, vn->hdr_len};
			seg[1] = (struct vq_seg){data, PKTBUF_SIZE - PKTBUF_HEADROOM};
		}
		if (vq_add(vq, seg, 0, vn->rx_segs, p) < 0) {
			pktbuf_free(p);
			break;
		}
		added = true;
	}
	/* Before DRIVER_OK (start) the device must not be notified yet (§3.1.1). */
	if (added && vn->running)
		vnet_kick(vn, &vn->rx);
}

static void vnet_update_link(struct vnet *vn)
{
	uint32_t status;
	bool up = true;

	/* Without STATUS the link is always up (§5.1.4). */
	if ((vn->vd->features & VIRTIO_BIT(VIRTIO_NET_F_STATUS)) &&
	    vn->vd->ops->config_read(vn->vd, CFG_STATUS, 2, &status) == 0)
		up = status & VIRTIO_NET_S_LINK_UP;
	netdev_set_link(&vn->nd, up);
}

/* A protocol violation: stop the device for good and keep its buffers away from reuse. */
static void vnet_fail(struct vnet *vn, const char *why)
{
	vn->vd->ops->irq_mask(vn->vd, true);
	vn->vd->ops->reset(vn->vd);
	vn->vd->ops->set_status(vn->vd, VIRTIO_STATUS_FAILED);
	vn->running = false;
	netdev_set_broken(&vn->nd, why);
}

static void vnet_announce(struct vnet *vn)
{
	if (vn->announced)
		return;
	vn->announced = true;
	kprintf("%s: virtio-net %s at %s, features %#llx%s, rx ring %u, tx ring %u\n", vn->nd.name,
		vn->vd->transport, vn->vd->where, (unsigned long long)vn->vd->features,
		vn->rx.vq.event_idx ? " (event-idx)" : "", vn->rx.vq.num, vn->tx.vq.num);
}

static int vnet_start(struct netdev *nd)
{
	struct vnet *vn = nd->priv;
	struct virtio_dev *d = vn->vd;
	int rc;

	if (vn->running)
		return 0;
	if (nd->broken)
		return -EIO;
	rc = vnet_negotiate(vn);
	if (rc < 0)
		goto fail;
	rc = queue_create(vn, &vn->rx, RXQ);
	if (rc < 0)
		goto fail;
	rc = queue_create(vn, &vn->tx, TXQ);
	if (rc < 0)
		goto fail;
	if (!vn->pool_ready) {
		/* Pools cannot be destroyed: created once, reused across restarts. */
		rc = pktbuf_pool_init(&vn->rx_pool, nd->name, vn->rx.vq.num + VNET_RX_SPARE);
		if (rc < 0 && vn->rx_pool.total == 0)
			goto fail;
		vn->pool_ready = true;
	}
	/* Buffers may be made available before DRIVER_OK, but not notified (§3.1.1). */
	vnet_fill_rx(vn);
	d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_DRIVER_OK);
	vn->running = true;
	vnet_announce(vn);
	vnet_update_link(vn);
	d->ops->irq_mask(d, false);
	vnet_kick(vn, &vn->rx); /* the fill above could not notify yet */
	return 0;
fail:
	/* Reset first: the device lets go of the rings before they are freed. */
	d->ops->reset(d);
	queue_destroy(&vn->tx);
	queue_destroy(&vn->rx);
	d->ops->set_status(d, VIRTIO_STATUS_FAILED);
	kprintf("%s: virtio-net: start failed (%d)\n", nd->name, rc);
	return rc;
}

static void vnet_stop(struct netdev *nd)
{
	struct vnet *vn = nd->priv;

	/* Not running, or broken: a broken device keeps its rings and buffers (see top). */
	if (!vn->running)
		return;
	vn->vd->ops->irq_mask(vn->vd, true);
	vn->vd->ops->reset(vn->vd);
	vn->running = false;
	queue_destroy(&vn->rx);
	queue_destroy(&vn->tx);
	netdev_set_link(nd, false);
}

static void vnet_reap_tx(struct vnet *vn)
{
	struct pktbuf *p;

	while ((p = vq_get_used(&vn->tx.vq, NULL)))
		pktbuf_free(p);
	if (vn->tx.vq.broken)
		vnet_fail(vn, vn->tx.vq.broken);
}

/* Gather the chain behind the shared zero header; -errno for what we cannot send. */
static int tx_segments(struct vnet *vn, const struct pktbuf *pkt, struct vq_seg *seg)
{
	unsigned int n = 0;
	size_t total = 0;

	seg[n++] = (struct vq_seg){(uint64_t)(uintptr_t)vn->tx_hdr, vn->hdr_len};
	for (const struct pktbuf *p = pkt; p; p = p->next) {
		if (p->flags & PKT_CSUM_BLANK)
			return -EINVAL; /* no TX checksum offload was negotiated */
		if (p->len == 0)
			continue;
		if (n > VNET_TX_MAX_FRAGS)
			return -EMSGSIZE;
		if ((size_t)p->off + p->len > PKTBUF_SIZE)
			return -EINVAL;
		seg[n++] = (struct vq_seg){(uint64_t)(uintptr_t)pkt_data(p), p->len};
		total += p->len;
	}
	if (total < ETH_HLEN || total > MAX_FRAME)
		return -EMSGSIZE; /* no GSO: nothing larger than the MTU */
	return (int)n;
}

static int vnet_tx(struct netdev *nd, unsigned int q, struct pktbuf *pkt)
{
	struct vnet *vn = nd->priv;
	struct vq_seg seg[VNET_TX_MAX_FRAGS + 1];
	int n, rc;

	if (q != 0)
		return -EINVAL;
	if (!vn->running)
		return -ENETDOWN;
	n = tx_segments(vn, pkt, seg);
	if (n < 0)
		return n;
	if (vq_free_descs(&vn->tx.vq) < (unsigned int)n) {
		vnet_reap_tx(vn);
		if (!vn->running)
			return -EIO;
	}
	rc = vq_add(&vn->tx.vq, seg, (unsigned int)n, 0, pkt);
	if (rc == -ENOSPC) {
		/*
		 * Full, and the device may be idle waiting for a notification it
		 * missed (seen under TCG floods: the ring stayed full for good).
		 * A spare notify costs one exit; a missing one stalls the NIC.
		 */
		vn->vd->ops->notify(vn->vd, &vn->tx.vq);
		return -EAGAIN;
	}
	if (rc < 0)
		return rc;
	vnet_kick(vn, &vn->tx);
	return 0;
}

static unsigned int vnet_rx(struct netdev *nd, unsigned int q, struct pktbuf **pkts,
			    unsigned int max)
{
	struct vnet *vn = nd->priv;
	unsigned int n = 0;
	struct pktbuf *p;
	uint32_t len;

	if (q != 0 || !vn->running)
		return 0;
	while (n < max && (p = vq_get_used(&vn->rx.vq, &len))) {
		/* len <= the buffer (checked by the virtqueue); a runt is a device error. */
		if (len < vn->hdr_len + ETH_HLEN) {
			nd->stats.rx_errors++;
			pktbuf_free(p);
			continue;
		}
		p->off = PKTBUF_HEADROOM;
		p->len = (uint16_t)(len - vn->hdr_len);
		p->flags = 0; /* no GUEST_CSUM: the header's flags mean nothing */
		pkts[n++] = p;
	}
	/* What was validated before the violation is ours and still good. */
	if (vn->rx.vq.broken)
		vnet_fail(vn, vn->rx.vq.broken);
	return n;
}

static bool vnet_service(struct netdev *nd)
{
	struct vnet *vn = nd->priv;

	if (!vn->running)
		return false;
	vnet_reap_tx(vn);
	if (!vn->running)
		return false;
	vnet_fill_rx(vn);
	if (vn->cfg_changed) {
		vn->cfg_changed = false;
		vnet_update_link(vn);
	}
	return false;
}

static bool vnet_irq_enable(struct netdev *nd)
{
	struct vnet *vn = nd->priv;
	bool more;

	if (!vn->running)
		return false;
	more = vq_enable_cb(&vn->rx.vq);
	more |= vq_enable_cb(&vn->tx.vq);
	return more || vn->cfg_changed;
}

static void vnet_irq_disable(struct netdev *nd)
{
	struct vnet *vn = nd->priv;

	if (!vn->running)
		return;
	vq_disable_cb(&vn->rx.vq);
	vq_disable_cb(&vn->tx.vq);
}

static const struct netdev_ops vnet_ops = {
	.start = vnet_start,
	.stop = vnet_stop,
	.tx = vnet_tx,
	.rx = vnet_rx,
	.service = vnet_service,
	.irq_enable = vnet_irq_enable,
	.irq_disable = vnet_irq_disable,
};

/* Interrupt context: note a config change, then let netdev mask and post the work. */
static void vnet_intr(void *arg, unsigned int why)
{
	struct vnet *vn = arg;

	if (why & VIRTIO_INTR_CONFIG)
		vn->cfg_changed = true;
	if (vn->running)
		netdev_irq(&vn->nd);
}

/* MAC from the config space (stable across a generation change), else random. */
static void vnet_read_mac(struct vnet *vn, uint64_t offered)
{
	struct virtio_dev *d = vn->vd;
	uint32_t b;

	if (offered & VIRTIO_BIT(VIRTIO_NET_F_MAC)) {
		for (unsigned int t = 0; t < CONFIG_RETRIES; t++) {
			uint32_t gen = d->ops->config_gen(d);
			int rc = 0;

			for (unsigned int i = 0; i < 6; i++) {
				rc |= d->ops->config_read(d, CFG_MAC + i, 1, &b);
				vn->nd.mac[i] = (uint8_t)b;
			}
			if (rc == 0 && gen == d->ops->config_gen(d))
				break;
		}
	}
	/* Untrusted: a multicast or all-zero source address would be unusable. */
	if ((vn->nd.mac[0] & 1) || !memcmp(vn->nd.mac, "\0\0\0\0\0\0", 6)) {
		static uint8_t fallback;

		/* Boot refused to run without an entropy source; this is only a guard. */
		if (random_bytes(vn->nd.mac, 6) < 0)
			memset(vn->nd.mac, ++fallback, 6);
		vn->nd.mac[0] =
			(uint8_t)((vn->nd.mac[0] & ~1) | 2); /* unicast, locally administered */
	}
}

int virtio_net_attach(struct virtio_dev *d)
{
	struct vnet *vn;
	uint64_t offered;
	int rc;

	if (d->device_id != VIRTIO_ID_NET)
		return -ENODEV;
	vn = calloc(1, sizeof(*vn));
	if (!vn)
		return -ENOMEM;
	vn->tx_hdr = page_alloc(1);
	if (!vn->tx_hdr) {
		rc = -ENOMEM;
		goto free_vn;
	}
	vn->vd = d;
	vn->nd.driver = "virtio-net";
	vn->nd.mtu = VNET_MTU;
	vn->nd.features = NETDEV_F_SG;
	vn->nd.nqueues = 1;
	vn->nd.ops = &vnet_ops;
	vn->nd.priv = vn;
	/* Features are readable after ACKNOWLEDGE|DRIVER; the device stays reset until start. */
	d->ops->reset(d);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	offered = d->ops->get_features(d);
	vnet_read_mac(vn, offered);
	d->ops->reset(d);
	rc = netdev_register(&vn->nd);
	if (rc < 0)
		goto free_hdr;
	d->intr_arg = vn;
	d->intr = vnet_intr;
	return 0;
free_hdr:
	page_free(vn->tx_hdr, 1);
free_vn:
	free(vn);
	return rc;
}
