/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xen netfront internals, shared by netfront.c (rings, storm guard, netdev
 * operations), netfront_tx.c (transmit), netfront_rx.c (receive) and
 * netfront_xs.c (xenstore glue, connect/close, hot-plug). Host tests
 * include it too, to look at the rings and the slot tables.
 *
 * Everything here runs from the event loop except nf_evtchn_handler(),
 * which runs in interrupt context and only counts, masks and posts work.
 */
#ifndef SLUICE_NETFRONT_PRIV_H
#define SLUICE_NETFRONT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* ring.h's FLEX macros use memcpy */

/* ring.h needs xen_mb/xen_rmb/xen_wmb defined first (see barrier.h). */
#include "sluice/barrier.h"

#include <xen/grant_table.h>
#include <xen/io/netif.h>
#include <xen/io/ring.h>

#include "sluice/evloop.h"
#include "sluice/irqstorm.h"
#include "sluice/netdev.h"
#include "sluice/xenbus.h"

#define NF_PAGE_SIZE 4096U
#define NF_TX_RING_SIZE ((unsigned int)__CONST_RING_SIZE(netif_tx, NF_PAGE_SIZE)) /* 256 */
#define NF_RX_RING_SIZE ((unsigned int)__CONST_RING_SIZE(netif_rx, NF_PAGE_SIZE)) /* 256 */

/*
 * RX buffers kept posted. Netback only delivers a packet once the ring
 * holds enough buffers for the largest one (Linux netfront never pushes
 * fewer than XEN_NETIF_NR_SLOTS_MIN + 1): NF_RX_MIN is the floor a
 * connection needs, NF_RX_TARGET the level refills aim for.
 */
#define NF_RX_TARGET 128U
#define NF_RX_MIN (XEN_NETIF_NR_SLOTS_MIN + 1U)
/* Per device; the spare beyond the target covers packets the stack still holds. */
#define NF_RX_POOL (NF_RX_TARGET + 2U * NETDEV_POLL_BUDGET)
/*
 * Below NF_RX_MIN posted the backend stops delivering, so no event will
 * come to trigger a refill: retry on a timer (as Linux's rx_refill_timer).
 */
#define NF_REFILL_RETRY_NS (10ULL * 1000 * 1000)

/* Slots of one packet, both directions (netif.h: what every backend must accept). */
#define NF_MAX_SLOTS ((unsigned int)XEN_NETIF_NR_SLOTS_MIN)
/* Extra-info slots after an RX packet's first slot: one per type at most. */
#define NF_MAX_EXTRAS ((unsigned int)XEN_NETIF_EXTRA_TYPE_MAX - 1U)
#define NF_RX_PKT_SLOTS (NF_MAX_SLOTS + NF_MAX_EXTRAS)

#define NF_ETH_HLEN 14U
#define NF_MTU 1500U

#define NF_CONNECT_TIMEOUT_NS (20ULL * 1000 * 1000 * 1000)
#define NF_CLOSE_TIMEOUT_NS (10ULL * 1000 * 1000 * 1000)

/* Vifs a rescan considers (the netdev table holds NETDEV_MAX). */
#define NF_MAX_VIFS 16U

enum nf_state {
	NF_IDLE,      /* no rings */
	NF_RINGS,     /* rings, grants and port set up; backend not (yet) Connected */
	NF_CONNECTED, /* backend Connected: the data path runs */
};

/* One TX ring slot (indexed by request id). */
struct nf_txslot {
	struct pktbuf *frag; /* the fragment this slot carries */
	struct pktbuf *pkt;  /* head slot only: the packet to free when all slots are done */
	int ref;	     /* grant of frag's page */
	uint16_t head;	     /* id of the packet's first slot */
	uint8_t pending;     /* head slot only: slots of the packet not yet answered */
	bool inflight;	     /* request posted, response not seen */
	bool held;	     /* head slot answered, id kept until the whole packet is */
};

/* One RX ring slot (indexed by ring position, which is also the request id). */
struct nf_rxslot {
	struct pktbuf *buf; /* NULL: nothing posted here */
	int ref;
};

struct nf_stats {
	uint64_t csum_blank;	 /* RX packets dropped: checksum left blank */
	uint64_t rx_extra;	 /* RX packets dropped: unsolicited extra info */
	uint64_t quarantined;	 /* grants parked because the backend still maps them */
	uint64_t leaked;	 /* grants (and pages) given up for good: quarantine full */
	uint64_t page_swaps;	 /* pktbufs given a fresh page because theirs stays mapped */
	uint64_t connects;	 /* successful connections */
	uint64_t connect_errors; /* failed connection attempts */
};

struct netfront {
	struct netdev dev;
	struct xenbus_dev xb;
	enum nf_state state;
	bool started; /* netdev started: the stack wants interrupts */
	bool gone;    /* frontend node removed (xl network-detach) */
	bool feat_sg; /* backend takes multi-slot TX (feature-sg) */
	bool seen;    /* listed by the current rescan */
	int be_last;  /* backend state at the last evaluation; -1: act on whatever it is */
	bool csum_logged, state_logged, broken_logged;
	char fail_msg[112]; /* netdev_set_broken() keeps the pointer */

	/* Rings, their grants and the (single) event channel. */
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	void *tx_page, *rx_page;
	int tx_ring_ref, rx_ring_ref; /* < 0: not granted */
	uint32_t port;
	bool port_open;

	struct nf_txslot txs[NF_TX_RING_SIZE];
	uint16_t tx_free[NF_TX_RING_SIZE]; /* stack of free ids */
	unsigned int tx_nfree;
	struct nf_rxslot rxs[NF_RX_RING_SIZE];
	unsigned int rx_posted;
	RING_IDX rx_seen; /* rsp_prod up to which the last poll looked */
	struct pktbuf_pool rx_pool;
	struct timer refill_timer;

	/* Event storms (XSA-391): masked for a while when the guard says so. */
	struct irqstorm storm;
	bool storm_masked;
	struct timer storm_timer;

	struct nf_stats st;
	struct timer connect_timer; /* diagnostic: backend slow to reach Connected */
	char be_state_path[XENBUS_PATH_MAX];
	struct xs_watch be_watch;
	struct netfront *next;
};

/*
 * A response producer index is believable only if it runs ahead of our
 * consumer by at most the requests we have outstanding. ring.h's check
 * bounds it by the ring size only; ours is the tighter of the two.
 */
#define NF_PROD_BAD(r, prod)                                                                       \
	(RING_RESPONSE_PROD_OVERFLOW(r, prod) ||                                                   \
	 (RING_IDX)((prod) - (r)->rsp_cons) > (RING_IDX)((r)->req_prod_pvt - (r)->rsp_cons))

static inline uint64_t nf_gfn(const void *page)
{
	return (uint64_t)(uintptr_t)page >> 12;
}

/* netfront.c */
int nf_dev_init(struct netfront *nf);
int nf_rings_setup(struct netfront *nf);
void nf_rings_teardown(struct netfront *nf);
void nf_set_connected(struct netfront *nf);
/* gnttab_reap() callback: a parked cookie is NULL or one page from page_alloc(). */
void nf_release_parked(void *cookie, void *arg);
/* Take the device out of service (logged once); always -EIO. */
int nf_failf(struct netfront *nf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Revoke a buffer's grant; true: the backend still maps it (the page was swapped). */
bool nf_put_buf(struct netfront *nf, int ref, struct pktbuf *p, bool copy);

/* netfront_tx.c */
void nf_tx_reset(struct netfront *nf);
bool nf_tx_done(struct netfront *nf, uint16_t id);
void nf_tx_reap(struct netfront *nf);
int nf_tx(struct netdev *dev, unsigned int q, struct pktbuf *pkt);

/* netfront_rx.c */
void nf_rx_refill(struct netfront *nf, bool kick);
void nf_refill_retry(struct timer *t, void *arg); /* refill_timer's callback */
unsigned int nf_rx(struct netdev *dev, unsigned int q, struct pktbuf **pkts, unsigned int max);

/* netfront_xs.c: register a netdev per device/vif entry; count or -errno. */
int netfront_probe_all(void);

#endif
