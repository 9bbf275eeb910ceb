/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Network devices: one API over netfront (Xen) and virtio-net (QEMU/KVM).
 *
 * Packets live in `struct pktbuf`s: one 4 KiB page of packet memory each,
 * with the metadata kept outside the page. A page is what netfront grants
 * to the backend and what a virtqueue descriptor points at, so the same
 * buffer can be received on one NIC and transmitted on another without a
 * copy, and handed to lwIP as a pbuf without a copy. Metadata never sits in
 * the page, because a backend given the page must not see or corrupt it.
 *
 * Threading model: drivers' interrupt handlers only mask their interrupt
 * and post the device's work; netdev_poll() then runs from the event loop,
 * receives up to a budget of packets, passes each to the rx handler and
 * reaps TX completions, and re-enables the interrupt when idle.
 */
#ifndef SLUICE_NETDEV_H
#define SLUICE_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/evloop.h"

#define PKTBUF_SIZE 4096
#define PKTBUF_HEADROOM 64 /* room for encapsulation in front of the data */
#define NETDEV_MAX 8
#define NETDEV_NAME_MAX 16
#define NETDEV_POLL_BUDGET 64

/* pktbuf flags */
#define PKT_CSUM_BLANK 0x1 /* L4 checksum not filled in (csum_start/offset say where) */
#define PKT_DATA_VALID 0x2 /* checksum verified by the peer/backend */

struct pktbuf_pool;

struct pktbuf {
	uint8_t *page;	/* the 4 KiB page (physical == virtual) */
	uint16_t off;	/* packet data starts at page + off */
	uint16_t len;	/* bytes of packet data in this buffer */
	uint16_t flags; /* PKT_* */
	uint16_t csum_start, csum_offset;
	struct pktbuf *next;	   /* next fragment of the same packet (SG), or NULL */
	struct pktbuf *batch_next; /* link in queues and batches */
	struct pktbuf_pool *pool;
	uintptr_t drv; /* driver-private per-buffer state while a driver owns it */
	uint32_t refs;
};

static inline uint8_t *pkt_data(const struct pktbuf *p)
{
	return p->page + p->off;
}

/*
 * A pool of page-sized buffers. Pools are per device (RX) or shared; a
 * buffer always returns to the pool it came from, whichever device freed it.
 */
struct pktbuf_pool {
	struct pktbuf *free;
	unsigned int total, nfree;
	uint64_t alloc_failures;
	const char *name;
};

/* Create a pool of @n buffers (pages from the page allocator). 0 or -ENOMEM. */
int pktbuf_pool_init(struct pktbuf_pool *pool, const char *name, unsigned int n);
/* A fresh buffer (off = PKTBUF_HEADROOM, len 0, refs 1), or NULL when empty. */
struct pktbuf *pktbuf_alloc(struct pktbuf_pool *pool);
/* Drop a reference to every fragment of a packet; the last one frees. */
void pktbuf_free(struct pktbuf *p);
void pktbuf_ref(struct pktbuf *p);
/* Total length of a fragment chain. */
size_t pktbuf_chain_len(const struct pktbuf *p);
/* Copy a chain's bytes into @dst (at most @cap); returns bytes copied. */
size_t pktbuf_copy_out(const struct pktbuf *p, void *dst, size_t cap);

struct netdev;

struct netdev_stats {
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
	uint64_t irqs, polls;
};

/* Device features. */
#define NETDEV_F_SG 0x1	     /* multi-buffer packets */
#define NETDEV_F_RX_CSUM 0x2 /* may deliver PKT_CSUM_BLANK / PKT_DATA_VALID packets */
#define NETDEV_F_TX_CSUM 0x4 /* accepts PKT_CSUM_BLANK packets and fills the checksum */

struct netdev_ops {
	/* Bring the device up (rings, RX buffers, interrupts). 0 or -errno. */
	int (*start)(struct netdev *dev);
	/* Quiesce and release the rings; the device may be started again. */
	void (*stop)(struct netdev *dev);
	/*
	 * Queue one packet (a fragment chain) on TX queue @q. On success the
	 * driver owns it and frees it on completion; on -EAGAIN (ring full)
	 * or any error the caller keeps it.
	 */
	int (*tx)(struct netdev *dev, unsigned int q, struct pktbuf *pkt);
	/* Receive up to @max packets from RX queue @q; returns how many. */
	unsigned int (*rx)(struct netdev *dev, unsigned int q, struct pktbuf **pkts,
			   unsigned int max);
	/* Reap TX completions and refill RX; returns true if work remains. */
	bool (*service)(struct netdev *dev);
	/* (Re-)enable the device's interrupt; returns true if work arrived meanwhile. */
	bool (*irq_enable)(struct netdev *dev);
	void (*irq_disable)(struct netdev *dev);
};

typedef void (*netdev_rx_fn)(struct netdev *dev, struct pktbuf *pkt, void *arg);
typedef void (*netdev_link_fn)(struct netdev *dev, bool up, void *arg);

struct netdev {
	char name[NETDEV_NAME_MAX]; /* "net0", ... */
	const char *driver;	    /* "virtio-net", "netfront" */
	unsigned int index;
	uint8_t mac[6];
	uint16_t mtu;
	bool link_up;
	bool broken; /* peer misbehaved: the device is out of service */
	const char *broken_reason;
	bool polling; /* poll mode: no interrupts, the loop polls every pass */
	uint32_t features;
	unsigned int nqueues;
	const struct netdev_ops *ops;
	void *priv;
	struct netdev_stats stats;
	netdev_rx_fn rx_handler;
	void *rx_arg;
	netdev_link_fn link_handler;
	void *link_arg;
	struct work work; /* posted by the driver's interrupt handler */
};

/* Register a device (assigns index and name). 0, -E2BIG. */
int netdev_register(struct netdev *dev);
unsigned int netdev_count(void);
struct netdev *netdev_get(unsigned int index);
struct netdev *netdev_by_name(const char *name);

/* Attach the upper layer (lwIP, a packet pipeline) before netdev_start(). */
void netdev_set_rx_handler(struct netdev *dev, netdev_rx_fn fn, void *arg);
/*
 * Who hears of link changes (@fn may be called from the driver's interrupt
 * handler: post work, do not run). Replaces the previous handler.
 */
void netdev_set_link_handler(struct netdev *dev, netdev_link_fn fn, void *arg);
int netdev_start(struct netdev *dev);
void netdev_stop(struct netdev *dev);

/* Transmit, counting drops and errors; takes ownership in every case. */
int netdev_tx(struct netdev *dev, struct pktbuf *pkt);

/* Called by drivers from their interrupt handlers. */
void netdev_irq(struct netdev *dev);
/* Called by drivers when the link goes up or down (backend (dis)connects). */
void netdev_set_link(struct netdev *dev, bool up);
/* Mark the device broken after a protocol violation; logs once. */
void netdev_set_broken(struct netdev *dev, const char *reason);

/* Printable MAC. */
void netdev_format_mac(const uint8_t mac[6], char buf[18]);

#endif
