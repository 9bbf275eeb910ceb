/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xen blkfront internals, shared by blkfront.c (the ring, requests,
 * bounce pages and their grants, response validation) and blkfront_xs.c
 * (xenstore glue: discovery, negotiation, connect, close). Host tests
 * include it too, to look at the ring and the slot tables.
 *
 * Everything here runs from the event loop except bf_evtchn_handler(),
 * which runs in interrupt context and only counts, masks and posts work.
 */
#ifndef SLUICE_BLKFRONT_PRIV_H
#define SLUICE_BLKFRONT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* ring.h's FLEX macros use memcpy */

/* ring.h needs xen_mb/xen_rmb/xen_wmb defined first (see barrier.h). */
#include "sluice/barrier.h"

#include <xen/grant_table.h>
#include <xen/io/blkif.h>
#include <xen/io/ring.h>

#include "sluice/blkdev.h"
#include "sluice/evloop.h"
#include "sluice/irqstorm.h"
#include "sluice/xenbus.h"

#define BF_PAGE_SIZE 4096U
#define BF_SECT_PER_PAGE (BF_PAGE_SIZE / BLKDEV_SECTOR)
#define BF_RING_SIZE ((unsigned int)__CONST_RING_SIZE(blkif, BF_PAGE_SIZE)) /* 32 */

/* Segments of a plain request, and the most we put in an indirect one. */
#define BF_DIRECT_SEGS ((unsigned int)BLKIF_MAX_SEGMENTS_PER_REQUEST) /* 11: 44 KiB */
/*
 * 32 segments (128 KiB, Linux blkfront's default max_indirect_segments):
 * one indirect page per request, and enough to amortise the request. The
 * backend may offer more (Linux blkback: 256); we never use more.
 */
#define BF_INDIRECT_SEGS 32U
#define BF_SEGS_PER_INDIRECT_PAGE                                                                  \
	((unsigned int)(BF_PAGE_SIZE / sizeof(struct blkif_request_segment)))

/*
 * Bounce pages per device (512 KiB). Every byte the backend sees goes
 * through these: caller buffers are never granted, since they may share a
 * page with unrelated memory. The pool bounds the data in flight; a
 * request that finds too few free pages waits like one that finds the
 * ring full (-EAGAIN). It must hold at least one largest request.
 */
#define BF_POOL_PAGES 128U

#define BF_CONNECT_TIMEOUT_NS (20ULL * 1000 * 1000 * 1000)
#define BF_CLOSE_TIMEOUT_NS (10ULL * 1000 * 1000 * 1000)

/* Vbds a scan considers (the blkdev table holds BLKDEV_MAX). */
#define BF_MAX_VBDS 16U

enum bf_state {
	BF_IDLE,      /* no ring */
	BF_RINGS,     /* ring, grant and port set up; backend not (yet) Connected */
	BF_CONNECTED, /* the data path runs */
};

/* How a BLK_FLUSH reaches the backend. */
enum bf_flush {
	BF_FLUSH_NONE,	  /* no cache advertised: completes at once (see bf_submit_flush) */
	BF_FLUSH_CACHE,	  /* BLKIF_OP_FLUSH_DISKCACHE */
	BF_FLUSH_BARRIER, /* BLKIF_OP_WRITE_BARRIER with no data */
};

/* Backend features, read at InitWait and again at Connected. */
struct bf_features {
	bool flush_cache, barrier, persistent;
	uint32_t max_indirect; /* feature-max-indirect-segments, 0: absent */
};

/* Disk properties, read at Connected. */
struct bf_props {
	uint64_t sectors; /* 512-byte units, whatever sector-size says */
	uint32_t sector_size;
	uint32_t info; /* VDISK_* */
	bool readonly; /* info has VDISK_READONLY, or mode is not "w" */
};

/* A page we own and may grant: a bounce page, an indirect page or the ring. */
struct bf_page {
	void *va;
	int ref; /* grant to the backend, < 0: none */
};

/* One request id (ids are slot numbers; the ring position is unrelated). */
struct bf_slot {
	struct blk_req *req; /* NULL once completed early (device broken) */
	bool inflight;	     /* request pushed, no response seen */
	uint8_t op;	     /* the operation the response must echo */
	uint8_t npages;
	uint8_t pages[BF_INDIRECT_SEGS]; /* pool indices, in segment order */
	struct bf_page ind;		 /* indirect page, allocated when indirect is in use */
	bool ind_used;			 /* this request went out indirect */
};

struct bf_stats {
	uint64_t quarantined;	 /* grants parked because the backend still maps them */
	uint64_t leaked;	 /* pages given up for good: the quarantine was full */
	uint64_t indirect;	 /* requests sent with indirect descriptors */
	uint64_t noop_flushes;	 /* flushes completed without the backend */
	uint64_t connects;	 /* successful connections */
	uint64_t connect_errors; /* failed connection attempts */
};

struct blkfront {
	struct blkdev dev;
	struct xenbus_dev xb;
	enum bf_state state;
	bool registered; /* dev is in the blkdev table (from the first connect on) */
	bool gone;	 /* frontend node removed */
	bool seen;	 /* listed by the current scan */
	int be_last;	 /* backend state at the last evaluation; -1: act on any */
	bool broken_logged;
	char fail_msg[112]; /* blkdev_set_broken() keeps the pointer */

	/* Negotiated: features_iw at InitWait, features at Connected (which rules). */
	struct bf_features features_iw, features;
	struct bf_props props;
	bool persistent;       /* pool pages granted once for the whole connection */
	bool indirect;	       /* requests over BF_DIRECT_SEGS go indirect */
	unsigned int max_segs; /* per request */
	enum bf_flush flush;

	/* The ring, its grant and the event channel. */
	blkif_front_ring_t ring;
	struct bf_page ring_page;
	uint32_t port;
	bool port_open;

	struct bf_slot slots[BF_RING_SIZE];
	uint8_t id_free[BF_RING_SIZE]; /* stack of free ids */
	unsigned int id_nfree;
	struct bf_page pool[BF_POOL_PAGES];
	uint8_t pool_free[BF_POOL_PAGES]; /* stack (LIFO, as blkif.h advises for persistent) */
	unsigned int pool_nfree;

	/* Completions waiting to be delivered from the loop. */
	struct blk_req *done_head, **done_tail;
	struct work done_work;

	/* Event storms (XSA-391): masked for a while when the guard says so. */
	struct irqstorm storm;
	bool storm_masked;
	struct timer storm_timer;

	struct bf_stats st;
	struct timer connect_timer; /* diagnostic: backend slow to reach Connected */
	char be_state_path[XENBUS_PATH_MAX];
	struct xs_watch be_watch;
	struct blkfront *next;
};

/* blkfront.c */
void bf_dev_init(struct blkfront *bf);
int bf_rings_setup(struct blkfront *bf);
int bf_start(struct blkfront *bf);
void bf_stop(struct blkfront *bf);
void bf_rings_teardown(struct blkfront *bf);
/* gnttab_reap() callback: a parked cookie is NULL or one page from page_alloc(). */
void bf_release_parked(void *cookie, void *arg);

/* blkfront_xs.c: a blkdev per device/vbd entry; returns blkdevs connected, or -errno. */
int blkfront_probe_all(void);

/* blkfront_keys.c */
/* "<node>/<key>" into @out (XENBUS_PATH_MAX bytes); 0 or -ENAMETOOLONG. */
int bf_key(char *out, const char *node, const char *key);
/* The connect transaction's body (see xenbus_frontend_connect). */
int bf_setup_keys(struct xs_client *c, uint32_t tx, void *arg);
/* Disk properties and features, at backend Connected; -errno, reported. */
int bf_read_props(struct blkfront *bf, struct bf_props *p, struct bf_features *f);

#endif
