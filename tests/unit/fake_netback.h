/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host-test environment for drivers/netfront: the fake Xen of fake_xen.h
 * (shared_info and event channels, a grant table in ordinary memory), the
 * fake xenstored of fake_xenstore.h, and a fake netback that shares the
 * rings with the driver in-process. The backend finds our pages the way Xen does, through the
 * grant entries (frame number == page address >> 12, so all pages come
 * from a low arena), and sets GTF_reading/GTF_writing while it "maps" one.
 *
 * It also stands in for the kernel around the driver (the shim): pages,
 * packet buffers, the netdev registry and poll work, timers, the clock and
 * kprintf. Pages are ASan-poisoned while free, so a page the driver frees
 * while the backend still uses it is caught.
 */
#ifndef FAKE_NETBACK_H
#define FAKE_NETBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../drivers/netfront/netfront_priv.h"
#include "fake_kernel.h"
#include "fake_xen.h"
#include "fake_xenstore.h"
#include "sluice/netdev.h"

#define FNB_BE_DOMID FX_BE_DOMID
#define FNB_MAX_VIFS 4
#define FNB_FRAME_MAX 65536
#define FNB_BE_BASE "/local/domain/0/backend/vif/7"

/* fnb_add_vif flags */
#define FNB_NO_RX_COPY 0x1 /* backend lacks feature-rx-copy */
#define FNB_NOT_READY 0x2  /* backend stays Initialising (hotplug not done) */
#define FNB_NO_SG 0x4	   /* backend lacks feature-sg */

struct fnb_vif {
	bool used;
	unsigned int devid;
	char fe[32]; /* device/vif/<devid> (relative) */
	char be[96]; /* absolute backend path */
	bool mapped; /* rings mapped (connected) */
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	int tx_ref, rx_ref;
	uint32_t port;
	/* Hostile knobs. */
	bool keep_mapped;     /* at close: leave the rings mapped */
	unsigned int hold_rx; /* at close: also map this many posted RX buffers */
	bool stall_connect;   /* never answer the frontend's Connected */
	bool no_tx_resp;      /* consume TX requests without answering */
	/* TX side, as seen by the backend. */
	uint64_t tx_frames, tx_bytes;
	unsigned int tx_max_slots;
	uint8_t last[FNB_FRAME_MAX];
	size_t last_len;
	void (*on_tx)(struct fnb_vif *v, const uint8_t *data, size_t len);
	unsigned int kicks; /* frontend notifications */
};

extern struct fake_xs fnb_xs;

/* Fresh fake Xen, xenstore, grant table, event channels and shim state. */
void fnb_init(void);
/* A vif: toolstack keys under device/vif/<devid> and a backend in InitWait. */
struct fnb_vif *fnb_add_vif(unsigned int devid, const char *mac, unsigned int flags);
/* Run xenstore traffic, watch callbacks and loop work until all is quiet. */
void fnb_pump(void);
/* xl network-detach: backend Closing, wait for Closed, remove both nodes. */
void fnb_detach(struct fnb_vif *v);
/* The backend node vanishes without a handshake (forced removal). */
void fnb_remove_nodes(struct fnb_vif *v);
/* Finish a connect held back by stall_connect (the hotplug script is done). */
void fnb_connect_now(struct fnb_vif *v);

/* Consume up to @max TX packets, answer them, notify. Returns packets. */
unsigned int fnb_tx_process(struct fnb_vif *v, unsigned int max);
/* Deliver a frame in slots of @frag bytes at @offset. 0 or -EAGAIN (too few buffers). */
int fnb_rx_send(struct fnb_vif *v, const void *data, size_t len, size_t frag, uint16_t offset,
		uint16_t first_flags);
/* Raw responses for hostile tests (pushed, not notified). */
void fnb_tx_raw(struct fnb_vif *v, uint16_t id, int16_t status);
void fnb_rx_raw(struct fnb_vif *v, const netif_rx_response_t *r);
/* An event to the frontend (Xen semantics: latched while masked). */
void fnb_notify(struct fnb_vif *v);
/* Map/unmap a grant as the backend: checks it is ours to map. */
void *fnb_map(int ref, bool write);
void fnb_unmap(int ref, bool write);
/* Posted RX request (grant ref) at ring position @i. */
int fnb_rx_req_ref(struct fnb_vif *v, RING_IDX i);

/* ---- the kernel shim (the rest is in fake_kernel.h) ---- */
struct netdev *shim_netdev(unsigned int i);
/* Next packet the poll handed up on @dev, or NULL. */
struct pktbuf *shim_rx_pop(struct netdev *dev);
unsigned int shim_rx_queued(struct netdev *dev);
/* A buffer from the test's TX pool. */
struct pktbuf *shim_tx_alloc(void);
unsigned int shim_tx_pool_free(void);

#endif
