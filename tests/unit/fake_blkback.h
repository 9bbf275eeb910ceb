/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host-test environment for drivers/blkfront: the fake Xen of fake_xen.h
 * (shared_info and event channels, a grant table in ordinary memory), the
 * fake xenstored of fake_xenstore.h, and a fake blkback that shares the ring with the driver
 * in-process and serves a RAM disk. The backend finds our pages the way
 * Xen does, through the grant entries (frame number == page address >> 12,
 * so all pages come from a low arena), and sets GTF_reading/GTF_writing
 * while it "maps" one. It checks every request as blkback would, and more:
 * unused request bytes must be zero (XSA-216), segments must stay inside
 * their page, and a read-only vbd must never see a write.
 *
 * It also stands in for the kernel around the driver (the shim): pages,
 * loop work, timers, the clock, evloop_wait_flag and kprintf; the real
 * block layer (kernel/blkdev.c) is linked in. Pages are ASan-poisoned
 * while free, so a page the driver frees while the backend uses it is
 * caught.
 */
#ifndef FAKE_BLKBACK_H
#define FAKE_BLKBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../drivers/blkfront/blkfront_priv.h"
#include "fake_kernel.h"
#include "fake_xen.h"
#include "fake_xenstore.h"
#include "sluice/blkdev.h"

#define FBB_BE_DOMID FX_BE_DOMID
#define FBB_MAX_VBDS 4
#define FBB_BE_BASE "/local/domain/0/backend/vbd/7"
#define FBB_MAX_PMAPS 512 /* persistently mapped grants per vbd */

/* fbb_add_vbd flags */
#define FBB_RO 0x1		 /* mode "r" and info VDISK_READONLY */
#define FBB_NO_FLUSH 0x2	 /* no feature-flush-cache */
#define FBB_BARRIER 0x4		 /* feature-barrier = 1 */
#define FBB_PERSISTENT 0x8	 /* feature-persistent = 1 at Connected (as Linux blkback) */
#define FBB_INDIRECT_LATE 0x10	 /* feature-max-indirect-segments only at Connected */
#define FBB_NO_INDIRECT 0x20	 /* no feature-max-indirect-segments */
#define FBB_NOT_READY 0x40	 /* backend stays Initialising (hotplug not done) */
#define FBB_MODE_R_ONLY 0x80	 /* mode "r" but info 0 */
#define FBB_SECTOR_4K 0x100	 /* sector-size 4096 */
#define FBB_FLUSH_INITWAIT 0x200 /* feature-flush-cache at InitWait only, not at Connected */

struct fbb_vbd {
	bool used;
	unsigned int devid, flags;
	char fe[32]; /* device/vbd/<devid> (relative) */
	char be[96]; /* absolute backend path */
	uint64_t sectors;
	uint8_t *disk; /* sectors * 512 bytes */
	bool mapped;   /* ring mapped (connected) */
	blkif_back_ring_t ring;
	int ring_ref;
	uint32_t port;
	bool persistent; /* both sides: data grants stay mapped until disconnect */
	int pmaps[FBB_MAX_PMAPS];
	unsigned int npmaps;
	/* Script knobs. */
	bool autorun;	      /* answer requests as soon as the frontend kicks */
	bool keep_mapped;     /* at close: leave the ring and persistent grants mapped */
	bool hold_data;	      /* keep data grants mapped after answering */
	bool scribble;	      /* after consuming a request, fill its ring slot with 0xff */
	int16_t force_status; /* answer with this status instead (0: real result) */
	bool stall_connect;   /* never answer the frontend's Initialised */
	const char *bad_key;  /* written (with bad_val) among the Connected keys */
	const char *bad_val;
	/* What the backend saw. */
	unsigned int reads, writes, flushes, barriers, indirect, kicks;
	unsigned int max_segs, last_nseg;
	uint8_t last_op;
	uint64_t last_sector;
};

extern struct fake_xs fbb_xs;

/* Fresh fake Xen, xenstore, grant table, event channels and shim state. */
void fbb_init(void);
/* A vbd with a RAM disk of @sectors (512-byte) sectors, filled with fbb_pattern(0). */
struct fbb_vbd *fbb_add_vbd(unsigned int devid, uint64_t sectors, unsigned int flags);
/* Run xenstore traffic, watch callbacks and loop work until all is quiet. */
void fbb_pump(void);
/* xl block-detach: backend Closing, wait for Closed, remove both nodes. */
void fbb_detach(struct fbb_vbd *v);
/* The nodes vanish without a handshake (forced removal). */
void fbb_remove_nodes(struct fbb_vbd *v);
/* Finish a connect held back by stall_connect. */
void fbb_connect_now(struct fbb_vbd *v);
/* The backend goes InitWait (hotplug finished). */
void fbb_ready(struct fbb_vbd *v);

/* Answer up to @max requests (all, if 0) and notify. Returns requests answered. */
unsigned int fbb_process(struct fbb_vbd *v, unsigned int max);
/* Consume one request without answering; returns its id. */
uint64_t fbb_swallow(struct fbb_vbd *v);
/* A raw response (pushed, not notified). */
void fbb_raw_response(struct fbb_vbd *v, uint64_t id, uint8_t op, int16_t status);
/* An event to the frontend (Xen semantics: latched while masked). */
void fbb_notify(struct fbb_vbd *v);
/* Pending requests in the ring. */
unsigned int fbb_pending(struct fbb_vbd *v);
/* Grant refs the backend maps now (ring, persistent and held data maps). */
unsigned int fbb_mapped_refs(void);
/* The backend finally lets go of every grant it still maps. */
void fbb_unmap_all(void);

/* Byte @i of the initial disk image. */
uint8_t fbb_pattern(uint64_t i);

/* The kernel shim (pages, log, clock, timers, work) is fake_kernel.h. */

#endif
