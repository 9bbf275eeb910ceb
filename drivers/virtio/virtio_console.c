/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-console with multiport (virtio 1.x §5.3), used for one thing: the
 * host channel's control port (docs/hostcfg.md). The host names a port
 * HK_PORT_NAME ("org.sluice.ctl.0", QEMU: -device virtserialport,name=...)
 * and its bytes go to the protocol server (kernel/lib/hcproto.c) over the
 * appliance's own key store (kernel/hostcfg_local.c).
 *
 * Queues (§5.3.2): port 0 uses 0 (receive) and 1 (transmit), the control
 * queues are 2 and 3, port N > 0 uses 2N+2 and 2N+3. Every queue of the
 * first VCON_PORTS ports is set up before DRIVER_OK; only the control
 * queues and the control port's receive queue get buffers.
 *
 * Control messages (§5.3.6.2): we send DEVICE_READY, the host announces
 * each port with DEVICE_ADD, we answer PORT_READY, the host names it
 * (PORT_NAME) and says when its side opens or closes (PORT_OPEN), and we
 * open our side of the control port with PORT_OPEN, without which QEMU
 * does not deliver the host's bytes.
 *
 * Trust: the device is the host, which is not trusted with our memory.
 * Used lengths are checked by the virtqueue against what we offered; a
 * control message shorter than its header is dropped; port ids are
 * bounded by the ports we set up; a name is compared with its length.
 * What the host says on the port is the protocol server's to validate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/evloop.h"
#include "sluice/hostcfg_be.h"
#include "sluice/hostkeys.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "virtio.h"

#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define CFG_MAX_NR_PORTS 4

#define VCON_PORTS 4				 /* ports we set queues up for */
#define VCON_QSIZE 32				 /* where the driver may choose */
#define VCON_CRX_BUFS 8				 /* control receive buffers */
#define VCON_CMSG_LEN 256			 /* a control message and a port name */
#define VCON_CTX_BUFS 8				 /* control messages in flight */
#define VCON_RX_BUFS 4				 /* data pages the host can fill */
#define VCON_TX_BUFS 4				 /* data pages in flight to the host */
#define VCON_BUDGET 64				 /* used entries per queue and pass */
#define VCON_ANNOUNCE_QUIET_NS (20 * 1000000ull) /* no control message for this long: done */
#define VCON_ANNOUNCE_MAX_NS (500 * 1000000ull)	 /* and never wait longer at boot */

enum {
	VCON_DEVICE_READY = 0,
	VCON_DEVICE_ADD = 1,
	VCON_DEVICE_REMOVE = 2,
	VCON_PORT_READY = 3,
	VCON_CONSOLE_PORT = 4,
	VCON_RESIZE = 5,
	VCON_PORT_OPEN = 6,
	VCON_PORT_NAME = 7,
};

struct vcon_ctrl {
	uint32_t id;
	uint16_t event;
	uint16_t value;
};

struct vcon_q {
	struct virtqueue vq;
	void *ring;
	size_t pages;
};

struct vcon_rxbuf {
	uint8_t *page;
	uint32_t len, off; /* bytes the host wrote, bytes consumed */
};

struct vcon {
	struct virtio_dev *vd;
	unsigned int nports;
	struct vcon_q q[2 + 2 * VCON_PORTS];
	uint8_t crx[VCON_CRX_BUFS][VCON_CMSG_LEN];
	struct vcon_ctrl ctx[VCON_CTX_BUFS];
	bool ctx_busy[VCON_CTX_BUFS];
	int ctl_port; /* the control port's id, or -1 */
	bool host_open;
	struct vcon_rxbuf rx[VCON_RX_BUFS];
	struct vcon_rxbuf *held; /* a buffer the server could not take whole */
	uint8_t *tx[VCON_TX_BUFS];
	bool tx_busy[VCON_TX_BUFS];
	struct hcp_conn conn;
	struct work work;
	unsigned int ctrl_msgs; /* control messages received */
	bool broken;
};

static unsigned int rxq(unsigned int port)
{
	return port == 0 ? 0 : 2 + 2 * port;
}

static unsigned int txq(unsigned int port)
{
	return port == 0 ? 1 : 3 + 2 * port;
}

static void kick(struct vcon *vc, struct vcon_q *q)
{
	if (vq_kick_prepare(&q->vq))
		vc->vd->ops->notify(vc->vd, &q->vq);
}

static void fail(struct vcon *vc, const char *why)
{
	if (vc->broken)
		return;
	vc->broken = true;
	vc->vd->ops->irq_mask(vc->vd, true);
	vc->vd->ops->reset(vc->vd); /* stop DMA into our buffers */
	hc_local_attach(NULL, NULL, NULL);
	kprintf("virtio-console: %s: %s; the control port is gone\n", vc->vd->where, why);
}

static int send_ctrl(struct vcon *vc, uint32_t id, uint16_t event, uint16_t value)
{
	struct vcon_q *q = &vc->q[3];

	for (unsigned int i = 0; i < VCON_CTX_BUFS; i++) {
		struct vq_seg seg;
		int rc;

		if (vc->ctx_busy[i])
			continue;
		vc->ctx[i] = (struct vcon_ctrl){.id = id, .event = event, .value = value};
		seg = (struct vq_seg){.addr = (uint64_t)(uintptr_t)&vc->ctx[i],
				      .len = sizeof(vc->ctx[i])};
		rc = vq_add(&q->vq, &seg, 1, 0, &vc->ctx[i]);
		if (rc < 0)
			return rc;
		vc->ctx_busy[i] = true;
		kick(vc, q);
		return 0;
	}
	return -EAGAIN;
}

static int post_crx(struct vcon *vc, uint8_t *buf)
{
	struct vq_seg seg = {.addr = (uint64_t)(uintptr_t)buf, .len = VCON_CMSG_LEN};

	return vq_add(&vc->q[2].vq, &seg, 0, 1, buf);
}

static int post_rx(struct vcon *vc, struct vcon_rxbuf *b)
{
	struct vq_seg seg = {.addr = (uint64_t)(uintptr_t)b->page, .len = PAGE_SIZE};

	b->len = b->off = 0;
	return vq_add(&vc->q[rxq((unsigned int)vc->ctl_port)].vq, &seg, 0, 1, b);
}

/* ---- the control port ---- */

static void port_kick(void *arg)
{
	struct vcon *vc = arg;

	work_post(&vc->work);
}

static void port_found(struct vcon *vc, uint32_t id)
{
	if (vc->ctl_port >= 0) {
		kprintf("virtio-console: a second %s port (%u) is ignored\n", HK_PORT_NAME, id);
		return;
	}
	vc->ctl_port = (int)id;
	for (unsigned int i = 0; i < VCON_RX_BUFS; i++)
		if (post_rx(vc, &vc->rx[i]) < 0)
			return fail(vc, "cannot post receive buffers");
	kick(vc, &vc->q[rxq(id)]);
	hcp_init(&vc->conn, hc_local_store());
	hc_local_attach(&vc->conn, port_kick, vc);
	send_ctrl(vc, id, VCON_PORT_OPEN, 1);
	kprintf("virtio-console: control port %s is port %u\n", HK_PORT_NAME, id);
}

/* The name follows the header, with or without a NUL (QEMU sends one). */
static bool name_is(const uint8_t *p, uint32_t len, const char *want)
{
	size_t wl = strlen(want);

	if (len == wl + 1 && p[wl] == '\0')
		len--;
	return len == wl && memcmp(p, want, wl) == 0;
}

static void handle_ctrl(struct vcon *vc, const uint8_t *m, uint32_t len)
{
	struct vcon_ctrl c;

	if (len < sizeof(c))
		return; /* shorter than its header: nothing in it can be trusted */
	memcpy(&c, m, sizeof(c));
	vc->ctrl_msgs++;
	switch (c.event) {
	case VCON_DEVICE_ADD:
		/* Ports beyond the queues we set up cannot be used: say so. */
		send_ctrl(vc, c.id, VCON_PORT_READY, c.id < vc->nports);
		break;
	case VCON_PORT_NAME:
		if (c.id < vc->nports && name_is(m + sizeof(c), len - sizeof(c), HK_PORT_NAME))
			port_found(vc, c.id);
		break;
	case VCON_PORT_OPEN:
		if ((int)c.id != vc->ctl_port)
			break;
		/* A new host connection starts from a clean slate. */
		hcp_reset(&vc->conn);
		vc->held = NULL;
		vc->host_open = c.value != 0;
		break;
	case VCON_DEVICE_REMOVE:
		if ((int)c.id == vc->ctl_port) {
			hc_local_attach(NULL, NULL, NULL);
			kprintf("virtio-console: control port removed\n");
		}
		break;
	default: /* CONSOLE_PORT, RESIZE: nothing for us */
		break;
	}
}

static void service_ctrl(struct vcon *vc)
{
	struct vcon_q *q = &vc->q[2];
	unsigned int n = 0;
	uint32_t len;
	uint8_t *buf;
	void *tok;

	while (n++ < VCON_BUDGET && (buf = vq_get_used(&q->vq, &len))) {
		handle_ctrl(vc, buf, len);
		if (vc->broken)
			return;
		post_crx(vc, buf);
	}
	kick(vc, q);
	while ((tok = vq_get_used(&vc->q[3].vq, &len)))
		vc->ctx_busy[(struct vcon_ctrl *)tok - vc->ctx] = false;
}

/* Feed the host's bytes to the server; a buffer it cannot take whole waits. */
static void service_rx(struct vcon *vc)
{
	struct vcon_q *q = &vc->q[rxq((unsigned int)vc->ctl_port)];
	struct vcon_rxbuf *b;
	unsigned int n = 0;
	uint32_t len;

	for (;;) {
		if (vc->held) {
			b = vc->held;
			vc->held = NULL;
		} else if (n++ < VCON_BUDGET && (b = vq_get_used(&q->vq, &len))) {
			b->len = len; /* bounded by the page we offered (virtqueue check) */
			b->off = 0;
		} else {
			break;
		}
		b->off += (uint32_t)hcp_input(&vc->conn, b->page + b->off, b->len - b->off);
		if (b->off < b->len) {
			vc->held = b; /* back-pressure: the host's replies are not read yet */
			break;
		}
		post_rx(vc, b);
	}
	kick(vc, q);
	if (vc->conn.broken && vc->conn.last_error[0]) {
		kprintf("virtio-console: control port: %s; ignoring the host until it reconnects\n",
			vc->conn.last_error);
		vc->conn.last_error[0] = '\0';
	}
}

static void service_tx(struct vcon *vc)
{
	struct vcon_q *q = &vc->q[txq((unsigned int)vc->ctl_port)];
	uint32_t len;
	void *tok;
	bool added = false;

	while ((tok = vq_get_used(&q->vq, &len)))
		vc->tx_busy[(uint8_t **)tok - vc->tx] = false;
	for (unsigned int i = 0; i < VCON_TX_BUFS && hcp_has_output(&vc->conn); i++) {
		struct vq_seg seg;
		size_t n;

		if (vc->tx_busy[i])
			continue;
		n = hcp_output(&vc->conn, vc->tx[i], PAGE_SIZE);
		if (!n)
			break;
		seg = (struct vq_seg){.addr = (uint64_t)(uintptr_t)vc->tx[i], .len = (uint32_t)n};
		if (vq_add(&q->vq, &seg, 1, 0, &vc->tx[i]) < 0)
			break; /* cannot happen: as many descriptors as pages */
		vc->tx_busy[i] = true;
		added = true;
	}
	if (added)
		kick(vc, q);
}

static void vcon_work(struct work *w)
{
	struct vcon *vc = container_of(w, struct vcon, work);

	if (vc->broken)
		return;
	service_ctrl(vc);
	if (vc->broken || vc->ctl_port < 0)
		goto check;
	service_tx(vc); /* room for replies first, so that input can flow */
	service_rx(vc);
	service_tx(vc);
check:
	for (unsigned int i = 0; i < ARRAY_SIZE(vc->q); i++) {
		struct virtqueue *vq = &vc->q[i].vq;

		if (!vc->q[i].ring)
			continue;
		if (vq->broken)
			return fail(vc, vq->broken);
		/*
		 * With event-idx the device interrupts again only once we say
		 * how far we have read; entries that completed meanwhile are
		 * picked up by another pass instead of waiting for an interrupt.
		 */
		if (vq_enable_cb(vq) && !(vc->held && i == rxq((unsigned int)vc->ctl_port)))
			work_post(&vc->work);
	}
}

static void vcon_intr(void *arg, unsigned int why)
{
	struct vcon *vc = arg;

	(void)why;
	work_post(&vc->work);
}

/* ---- set-up ---- */

static int queue_create(struct vcon *vc, unsigned int n)
{
	struct virtio_dev *d = vc->vd;
	struct vcon_q *q = &vc->q[n];
	unsigned int max = d->ops->queue_max(d, n), num;
	int rc;

	/* Untrusted: the legacy device dictates the size; anything unusable is refused. */
	num = d->fixed_qsize ? max : vq_pow2_floor(MIN(max, VCON_QSIZE));
	if (num < 4 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return -ENOTSUP;
	q->pages = ALIGN_UP(vring_size(num), PAGE_SIZE) / PAGE_SIZE;
	q->ring = page_alloc(q->pages);
	if (!q->ring)
		return -ENOMEM;
	rc = vq_init(&q->vq, (uint16_t)n, (uint16_t)num, q->ring,
		     d->features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	if (rc == 0 && (rc = d->ops->queue_enable(d, &q->vq)) < 0)
		vq_fini(&q->vq);
	if (rc < 0) {
		page_free(q->ring, q->pages);
		q->ring = NULL;
	}
	return rc;
}

static int buffers_alloc(struct vcon *vc)
{
	for (unsigned int i = 0; i < VCON_RX_BUFS; i++)
		if (!(vc->rx[i].page = page_alloc(1)))
			return -ENOMEM;
	for (unsigned int i = 0; i < VCON_TX_BUFS; i++)
		if (!(vc->tx[i] = page_alloc(1)))
			return -ENOMEM;
	return 0;
}

static int vcon_start(struct vcon *vc)
{
	struct virtio_dev *d = vc->vd;
	uint32_t ports;
	int rc;

	rc = virtio_negotiate(d, VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT) |
					 VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
					 VIRTIO_BIT(VIRTIO_F_VERSION_1));
	if (rc < 0)
		return rc;
	if (!(d->features & VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT)))
		return -ENOTSUP; /* a plain console has no named ports */
	if (d->ops->config_read(d, CFG_MAX_NR_PORTS, 4, &ports) < 0 || ports == 0)
		return -EIO;
	vc->nports = MIN(ports, VCON_PORTS);
	for (unsigned int p = 0; p < vc->nports; p++) {
		if ((rc = queue_create(vc, rxq(p))) < 0 || (rc = queue_create(vc, txq(p))) < 0)
			return rc;
		if (p == 0 && ((rc = queue_create(vc, 2)) < 0 || (rc = queue_create(vc, 3)) < 0))
			return rc;
	}
	rc = buffers_alloc(vc);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < VCON_CRX_BUFS; i++)
		if ((rc = post_crx(vc, vc->crx[i])) < 0)
			return rc;
	d->intr_arg = vc;
	d->intr = vcon_intr;
	d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_DRIVER_OK);
	kick(vc, &vc->q[2]);
	return send_ctrl(vc, 0, VCON_DEVICE_READY, 1);
}

/*
 * Start-up only: let the host announce and name its ports before the
 * appliance starts, so that it knows whether a host can reach it (an
 * appliance without boot rules waits for the host only when one can).
 * QEMU answers each control message at once; a quiet spell means the
 * announcements are over.
 */
static void await_ports(struct vcon *vc)
{
	uint64_t start = now_ns(), quiet_since = start;
	unsigned int seen = vc->ctrl_msgs;

	while (vc->ctl_port < 0 && !vc->broken && now_ns() - start < VCON_ANNOUNCE_MAX_NS &&
	       now_ns() - quiet_since < VCON_ANNOUNCE_QUIET_NS) {
		evloop_wait_until(now_ns() + 1000000);
		if (vc->ctrl_msgs != seen) {
			seen = vc->ctrl_msgs;
			quiet_since = now_ns();
		}
	}
}

static void vcon_destroy(struct vcon *vc)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vc->q); i++)
		if (vc->q[i].ring) {
			vq_fini(&vc->q[i].vq);
			page_free(vc->q[i].ring, vc->q[i].pages);
		}
	for (unsigned int i = 0; i < VCON_RX_BUFS; i++)
		if (vc->rx[i].page)
			page_free(vc->rx[i].page, 1);
	for (unsigned int i = 0; i < VCON_TX_BUFS; i++)
		if (vc->tx[i])
			page_free(vc->tx[i], 1);
	free(vc);
}

int virtio_console_attach(struct virtio_dev *d)
{
	static bool have_one;
	struct vcon *vc;
	int rc;

	if (d->device_id != VIRTIO_ID_CONSOLE)
		return -ENODEV;
	if (have_one) {
		kprintf("virtio-console: %s: one serial device is used; this one is left alone\n",
			d->where);
		return -EBUSY;
	}
	vc = calloc(1, sizeof(*vc));
	if (!vc)
		return -ENOMEM;
	vc->vd = d;
	vc->ctl_port = -1;
	vc->work.fn = vcon_work;
	rc = vcon_start(vc);
	if (rc < 0) {
		/* Reset first: the device lets go of the rings before they are freed. */
		d->intr = NULL;
		d->ops->reset(d);
		d->ops->set_status(d, VIRTIO_STATUS_FAILED);
		vcon_destroy(vc);
		kprintf("virtio-console: %s: start failed (%d)\n", d->where, rc);
		return rc;
	}
	have_one = true;
	kprintf("virtio-console: %s at %s, %u ports\n", d->transport, d->where, vc->nports);
	d->ops->irq_mask(d, false);
	await_ports(vc);
	return 0;
}
