/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fake wire of the lwIP stack test: two netdevs whose transmit is the
 * other's receive, with the netdev API's contract (driver-owned packets,
 * -EAGAIN when the "ring" is full, rx/service/irq_enable from the poll
 * work). Each frame is copied into a page of the receiving NIC's RX pool,
 * sometimes split into two fragments (zero-copy chains, and first
 * fragments too short for the headers, which the stack must copy); on
 * request frames are dropped, or TCP frames handed over with a blank
 * checksum as a local peer with checksum offload would.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lwiptest.h"
#include "sluice/kernel.h"
#include "sluice/netdev.h"

#define WIRE_RING 256 /* frames queued per direction, like a device ring */

struct fake_nic {
	struct netdev dev;
	struct fake_nic *peer;
	struct pktbuf_pool rx_pool;
	struct pktbuf *q_head, *q_tail;
	unsigned int qlen;
	uint64_t frames;
};

static struct fake_nic fakes[2];
unsigned int wire_drop_every;
bool wire_blank_tcp_csum;
unsigned int wire_dropped, wire_blanked;

static int fake_start(struct netdev *dev)
{
	netdev_set_link(dev, true); /* as a driver does once the backend is there */
	return 0;
}

static void fake_stop(struct netdev *dev)
{
	(void)dev;
}

/* TCP/IPv4: leave only the pseudo-header sum, as a local peer with offload does. */
static void blank_tcp_csum(struct pktbuf *pkt)
{
	uint8_t *f = pkt_data(pkt), *ip = f + 14;
	unsigned int ihl = (ip[0] & 15u) * 4, l4len;
	uint32_t acc = 6; /* IPPROTO_TCP */

	if (pkt->len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 6)
		return;
	l4len = (unsigned int)(ip[2] << 8 | ip[3]) - ihl;
	if (14 + ihl + 18 > pkt->len)
		return;
	for (int i = 12; i < 20; i += 2)
		acc += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	acc += l4len;
	acc = (acc >> 16) + (acc & 0xffff);
	acc = (acc >> 16) + (acc & 0xffff);
	ip[ihl + 16] = (uint8_t)(acc >> 8);
	ip[ihl + 17] = (uint8_t)acc;
	wire_blanked++;
	pkt->flags |= PKT_CSUM_BLANK;
	pkt->csum_start = (uint16_t)(14 + ihl);
	pkt->csum_offset = 16;
}

/* Copy @len bytes of @src into one or two fresh pages of @to's pool. */
static struct pktbuf *wire_copy(struct fake_nic *to, const uint8_t *src, size_t len, size_t cut)
{
	struct pktbuf *a = pktbuf_alloc(&to->rx_pool), *b = NULL;

	if (!a)
		return NULL;
	if (cut && cut < len) {
		b = pktbuf_alloc(&to->rx_pool);
		if (!b) {
			pktbuf_free(a);
			return NULL;
		}
		b->off = (uint16_t)(PKTBUF_HEADROOM + (cut & 7)); /* odd offsets too */
		memcpy(pkt_data(b), src + cut, len - cut);
		b->len = (uint16_t)(len - cut);
		a->next = b;
		len = cut;
	}
	memcpy(pkt_data(a), src, len);
	a->len = (uint16_t)len;
	return a;
}

static int fake_tx(struct netdev *dev, unsigned int q, struct pktbuf *pkt)
{
	struct fake_nic *f = container_of(dev, struct fake_nic, dev), *to = f->peer;
	uint8_t frame[PKTBUF_SIZE];
	size_t len = pktbuf_copy_out(pkt, frame, sizeof(frame)), cut = 0;
	struct pktbuf *copy;

	(void)q;
	f->frames++;
	if (wire_drop_every && f->frames % wire_drop_every == 0) {
		wire_dropped++;
		pktbuf_free(pkt); /* lost on the wire: the sender never knows */
		return 0;
	}
	if (to->qlen >= WIRE_RING)
		return -EAGAIN;
	/* Every 3rd frame in two pieces; every 4th of those with the headers cut short. */
	if (f->frames % 3 == 0)
		cut = f->frames % 12 == 0 ? 20 + f->frames % 40 : 300 + f->frames % 1000;
	copy = wire_copy(to, frame, len, cut);
	if (!copy)
		return -EAGAIN;
	if (wire_blank_tcp_csum)
		blank_tcp_csum(copy);
	pktbuf_free(pkt); /* "transmitted": completions are immediate here */
	if (to->q_tail)
		to->q_tail->batch_next = copy;
	else
		to->q_head = copy;
	to->q_tail = copy;
	to->qlen++;
	netdev_irq(&to->dev);
	return 0;
}

static unsigned int fake_rx(struct netdev *dev, unsigned int q, struct pktbuf **pkts,
			    unsigned int max)
{
	struct fake_nic *f = container_of(dev, struct fake_nic, dev);
	unsigned int n = 0;

	(void)q;
	while (n < max && f->q_head) {
		pkts[n] = f->q_head;
		f->q_head = f->q_head->batch_next;
		pkts[n++]->batch_next = NULL;
		f->qlen--;
	}
	if (!f->q_head)
		f->q_tail = NULL;
	return n;
}

static bool fake_service(struct netdev *dev)
{
	(void)dev;
	return false;
}

static bool fake_irq_enable(struct netdev *dev)
{
	return container_of(dev, struct fake_nic, dev)->qlen > 0;
}

static void fake_irq_disable(struct netdev *dev)
{
	(void)dev;
}

static const struct netdev_ops fake_ops = {
	.start = fake_start,
	.stop = fake_stop,
	.tx = fake_tx,
	.rx = fake_rx,
	.service = fake_service,
	.irq_enable = fake_irq_enable,
	.irq_disable = fake_irq_disable,
};

int wire_init(void)
{
	for (int i = 0; i < 2; i++) {
		struct fake_nic *f = &fakes[i];
		int rc = pktbuf_pool_init(&f->rx_pool, "wire", 128);

		if (rc < 0)
			return rc;
		f->peer = &fakes[!i];
		f->dev.driver = "wire";
		f->dev.ops = &fake_ops;
		f->dev.mtu = 1500;
		memcpy(f->dev.mac, (uint8_t[]){0x02, 0, 0, 0, 0, (uint8_t)(i + 1)}, 6);
		rc = netdev_register(&f->dev);
		if (rc < 0)
			return rc;
	}
	return 0;
}
