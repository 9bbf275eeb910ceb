// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen blkfront, the device side (docs/xen.md §10, §12): the shared request
 * ring, its grant and event channel, the bounce pages, request posting
 * (plain and indirect), response validation, flush and the event-storm
 * guard. The xenstore side (discovery, negotiation, connect, close) is
 * blkfront_xs.c.
 *
 * Trust: the backend domain is not trusted with our memory. It writes the
 * response slots and the producer index, and may map any page we grant
 * for as long as it likes. So every response is copied out of the ring
 * once (RING_COPY_RESPONSE) and only the copy is looked at; the producer
 * index, the id (in range, in flight, answered once), the operation and
 * the status are checked before use; and a page whose grant cannot be
 * revoked is never freed or reused (XSA-396). A violation takes the device
 * out of service (blkdev_set_broken) and fails what is in flight with
 * -EIO instead of being guessed around.
 *
 * Data: caller buffers are never granted (they may share a page with
 * unrelated memory): requests are bounced through a per-device pool of
 * pages that only ever hold this device's data. With persistent grants
 * (chosen in blkfront_xs.c) the pool and the indirect pages are granted
 * once, writable (blkif.h note 8), for the whole connection; otherwise each
 * request grants its pages (read-only for writes) and revokes them on its
 * response, before looking at the data, and a grant still mapped after the
 * response is a violation.
 * Pages are identity mapped: a page's gfn is its address >> 12.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "blkfront_priv.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/xen_plat.h"

/*
 * A response producer index is believable only if it runs ahead of our
 * consumer by at most the requests we have outstanding (one response per
 * request); ring.h's check only bounds it by the ring size.
 */
#define BF_PROD_BAD(r, prod)                                                                       \
	(RING_RESPONSE_PROD_OVERFLOW(r, prod) ||                                                   \
	 (RING_IDX)((prod) - (r)->rsp_cons) > (RING_IDX)((r)->req_prod_pvt - (r)->rsp_cons))

/* Slot ids and pool indices are uint8_t; a largest request always fits the pool. */
_Static_assert(BF_RING_SIZE <= 256 && BF_POOL_PAGES <= 256, "uint8_t ids and pool indices");
_Static_assert(BF_POOL_PAGES >= BF_INDIRECT_SEGS, "the pool holds a largest request");
_Static_assert(BF_INDIRECT_SEGS <= BF_SEGS_PER_INDIRECT_PAGE, "one indirect page per request");

static uint64_t gfn_of(const void *page)
{
	return (uint64_t)(uintptr_t)page >> 12;
}

/* ---- completions: queued here, delivered from the loop ---- */

static void bf_queue_done(struct blkfront *bf, struct blk_req *req, int status)
{
	req->drv[0] = (uintptr_t)(intptr_t)status;
	req->next = NULL;
	*bf->done_tail = req;
	bf->done_tail = &req->next;
}

/*
 * Hand finished requests to their owners. Done callbacks may submit again,
 * so this runs only where the driver's state is consistent: at the end of
 * service(), from done_work, and at the end of a teardown.
 */
static void bf_deliver(struct blkfront *bf)
{
	struct blk_req *r;

	while ((r = bf->done_head)) {
		bf->done_head = r->next;
		if (!bf->done_head)
			bf->done_tail = &bf->done_head;
		r->next = NULL;
		blkdev_complete(&bf->dev, r, (int)(intptr_t)r->drv[0]);
	}
}

/* Completions made outside service(): the core stops calling it once the device is broken. */
static void bf_done_work(struct work *w)
{
	bf_deliver(container_of(w, struct blkfront, done_work));
}

/*
 * Take the device out of service: the port stays masked, nothing more is
 * read from the ring, and what is in flight fails now with -EIO. That is
 * safe because the backend only ever had our bounce pages, which stay
 * granted (or parked) until the backend closes (bf_rings_teardown). Always
 * -EIO, for the callers' returns.
 */
static int __attribute__((format(printf, 2, 3))) bf_failf(struct blkfront *bf, const char *fmt, ...)
{
	va_list ap;

	if (bf->port_open)
		evtchn_mask(&xen_evtchn, bf->port);
	if (bf->dev.broken)
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(bf->fail_msg, sizeof(bf->fail_msg), fmt, ap);
	va_end(ap);
	/* Unregistered, it has no work to post; it then just never registers (connect fails). */
	if (bf->registered)
		blkdev_set_broken(&bf->dev, bf->fail_msg); /* logs once */
	bf->dev.broken = true;
	for (unsigned int id = 0; id < BF_RING_SIZE; id++) {
		struct bf_slot *s = &bf->slots[id];

		if (s->inflight && s->req)
			bf_queue_done(bf, s->req, -EIO);
		s->req = NULL;
	}
	work_post(&bf->done_work);
	return -EIO;
}

/* ---- pages and grants ---- */

void bf_release_parked(void *cookie, void *arg)
{
	(void)arg;
	if (cookie)
		page_free(cookie, 1);
}

/*
 * Revoke @p's grant, if it has one. False: done, the page is ours again.
 * True: the backend still maps it, so the quarantine takes the ref and the
 * page (freed by a later gnttab_reap() once revoked; leaked for good if
 * the quarantine is full) and @p forgets the page.
 */
static bool bf_ungrant(struct blkfront *bf, struct bf_page *p)
{
	if (p->ref < 0)
		return false;
	if (gnttab_end_access(&xen_gnttab, p->ref) == 0) {
		p->ref = -1;
		return false;
	}
	if (gnttab_quarantine(&xen_gnttab, p->ref, p->va) == 0)
		bf->st.quarantined++;
	else
		bf->st.leaked++;
	p->ref = -1;
	p->va = NULL;
	return true;
}

/* Give a page up: revoke, then free only if that worked. */
static void bf_page_release(struct blkfront *bf, struct bf_page *p)
{
	if (!bf_ungrant(bf, p) && p->va)
		page_free(p->va, 1);
	p->va = NULL;
}

static int bf_grant(struct blkfront *bf, struct bf_page *p, bool readonly)
{
	int ref = gnttab_grant_access(&xen_gnttab, bf->xb.backend_id, gfn_of(p->va), readonly);

	if (ref < 0)
		return ref;
	p->ref = ref;
	return 0;
}

/* Per-request grants: the backend writes read pages and only reads the rest. */
static int bf_slot_grant(struct blkfront *bf, struct bf_slot *s, bool write)
{
	int rc = 0;

	if (bf->persistent)
		return 0; /* granted for the whole connection */
	for (unsigned int i = 0; i < s->npages && rc == 0; i++)
		rc = bf_grant(bf, &bf->pool[s->pages[i]], write);
	if (rc == 0 && s->ind_used)
		rc = bf_grant(bf, &s->ind, true);
	return rc;
}

/* Revoke a request's per-request grants. True: the backend still maps one (parked). */
static bool bf_slot_ungrant(struct blkfront *bf, struct bf_slot *s)
{
	bool busy = false;

	if (bf->persistent)
		return false;
	for (unsigned int i = 0; i < s->npages; i++)
		busy |= bf_ungrant(bf, &bf->pool[s->pages[i]]);
	if (s->ind_used)
		busy |= bf_ungrant(bf, &s->ind);
	return busy;
}

/* Return a slot's id and pages; parked pages (va NULL) are lost to the pool. */
static void bf_slot_free(struct blkfront *bf, unsigned int id)
{
	struct bf_slot *s = &bf->slots[id];

	for (unsigned int i = 0; i < s->npages; i++)
		if (bf->pool[s->pages[i]].va)
			bf->pool_free[bf->pool_nfree++] = s->pages[i];
	s->npages = 0;
	s->inflight = false;
	s->ind_used = false;
	s->req = NULL;
	bf->id_free[bf->id_nfree++] = (uint8_t)id;
}

/* ---- requests ---- */

static uint8_t bf_seg_sectors(const struct blk_req *req, unsigned int i)
{
	uint32_t left = req->count - i * BF_SECT_PER_PAGE;

	return (uint8_t)(left < BF_SECT_PER_PAGE ? left : BF_SECT_PER_PAGE);
}

static void bf_seg(struct blkif_request_segment *seg, int ref, uint8_t sectors)
{
	seg->gref = (grant_ref_t)ref;
	seg->first_sect = 0;
	seg->last_sect = (uint8_t)(sectors - 1); /* inclusive */
}

/* Fill ring slot @r (zeroed by the caller) for slot @s and push it. */
static void bf_post(struct blkfront *bf, struct bf_slot *s, unsigned int id, blkif_request_t *r)
{
	const struct blk_req *req = s->req;
	int notify;

	if (s->ind_used) {
		blkif_request_indirect_t *ri = (blkif_request_indirect_t *)r;
		struct blkif_request_segment *segs = s->ind.va;

		/* Whole entries, padding included: the backend maps the page. */
		memset(segs, 0, s->npages * sizeof(*segs));
		for (unsigned int i = 0; i < s->npages; i++)
			bf_seg(&segs[i], bf->pool[s->pages[i]].ref, bf_seg_sectors(req, i));
		ri->operation = BLKIF_OP_INDIRECT;
		ri->indirect_op = s->op;
		ri->nr_segments = s->npages;
		ri->id = id;
		ri->sector_number = req->sector;
		ri->handle = (blkif_vdev_t)bf->xb.devid;
		ri->indirect_grefs[0] = (grant_ref_t)s->ind.ref;
		bf->st.indirect++;
	} else {
		r->operation = s->op;
		r->nr_segments = s->npages;
		r->handle = (blkif_vdev_t)bf->xb.devid;
		r->id = id;
		r->sector_number = req->op == BLK_FLUSH ? 0 : req->sector;
		for (unsigned int i = 0; i < s->npages; i++)
			bf_seg(&r->seg[i], bf->pool[s->pages[i]].ref, bf_seg_sectors(req, i));
	}
	s->inflight = true;
	bf->ring.req_prod_pvt++;
	/* wmb: the request before req_prod; mb: req_prod before reading req_event (ring.h). */
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&bf->ring, notify);
	if (notify)
		evtchn_notify(&xen_evtchn, bf->port);
}

/* A free id and a ring slot for @req with @npages pages, zeroed; NULL when full. */
static blkif_request_t *bf_slot_take(struct blkfront *bf, struct blk_req *req, unsigned int npages,
				     uint8_t op, unsigned int *id)
{
	blkif_request_t *r;
	struct bf_slot *s;

	if (RING_FULL(&bf->ring) || bf->id_nfree == 0 || bf->pool_nfree < npages)
		return NULL;
	*id = bf->id_free[--bf->id_nfree];
	s = &bf->slots[*id];
	s->req = req;
	s->op = op;
	s->npages = (uint8_t)npages;
	s->ind_used = npages > BF_DIRECT_SEGS;
	for (unsigned int i = 0; i < npages; i++)
		s->pages[i] = bf->pool_free[--bf->pool_nfree];
	r = RING_GET_REQUEST(&bf->ring, bf->ring.req_prod_pvt);
	/* The whole 112-byte slot: no stale bytes or padding reach the backend (XSA-216). */
	memset(r, 0, sizeof(*r));
	return r;
}

static int bf_submit_rw(struct blkfront *bf, struct blk_req *req)
{
	unsigned int npages = (req->count + BF_SECT_PER_PAGE - 1) / BF_SECT_PER_PAGE;
	bool write = req->op == BLK_WRITE;
	const uint8_t *src = req->buf;
	blkif_request_t *r;
	unsigned int id;
	int rc;

	if (req->count == 0 || npages > bf->max_segs)
		return -EINVAL;
	r = bf_slot_take(bf, req, npages, write ? BLKIF_OP_WRITE : BLKIF_OP_READ, &id);
	if (!r)
		return -EAGAIN; /* the core queues it and resubmits after a completion */
	for (unsigned int i = 0; write && i < npages; i++)
		memcpy(bf->pool[bf->slots[id].pages[i]].va, src + (size_t)i * BF_PAGE_SIZE,
		       (size_t)bf_seg_sectors(req, i) * BLKDEV_SECTOR);
	rc = bf_slot_grant(bf, &bf->slots[id], write);
	if (rc < 0) {
		/* Never published, but a backend can map any ref it guesses. */
		if (bf_slot_ungrant(bf, &bf->slots[id]))
			bf_failf(bf, "backend mapped grants it was never given");
		bf_slot_free(bf, id);
		/* Table full: our completions free refs, if we have requests out. */
		return rc == -ENOSPC && bf->id_nfree < BF_RING_SIZE ? -EAGAIN : -EIO;
	}
	bf_post(bf, &bf->slots[id], id, r);
	return 0;
}

/*
 * FLUSH: every write completed before is on stable storage when it
 * completes. Writes complete only after the backend answered them, so a
 * flush needs no ordering against those in flight. bf->flush says how
 * (bf_choose_modes() in blkfront_xs.c explains when a no-op is safe). An
 * EOPNOTSUPP answer fails the flush with -EIO and is not taken as licence
 * to skip later flushes: durability is then unknown.
 */
static int bf_submit_flush(struct blkfront *bf, struct blk_req *req)
{
	blkif_request_t *r;
	unsigned int id;

	if (bf->flush == BF_FLUSH_NONE) {
		bf->st.noop_flushes++;
		bf_queue_done(bf, req, 0);
		work_post(&bf->done_work); /* completions arrive from the loop, never in submit */
		return 0;
	}
	r = bf_slot_take(bf, req, 0,
			 bf->flush == BF_FLUSH_CACHE ? BLKIF_OP_FLUSH_DISKCACHE
						     : BLKIF_OP_WRITE_BARRIER,
			 &id);
	if (!r)
		return -EAGAIN;
	bf_post(bf, &bf->slots[id], id, r);
	return 0;
}

static int bf_submit(struct blkdev *dev, struct blk_req *req)
{
	struct blkfront *bf = dev->priv;

	if (bf->state != BF_CONNECTED)
		return -ENODEV;
	switch (req->op) {
	case BLK_READ:
		return bf_submit_rw(bf, req);
	case BLK_WRITE:
		/* The core refuses these already; a backend that said "r" never sees one. */
		if (dev->readonly || bf->props.readonly)
			return -EROFS;
		return bf_submit_rw(bf, req);
	case BLK_FLUSH:
		return bf_submit_flush(bf, req);
	}
	return -EINVAL;
}

/* ---- responses ---- */

static int bf_response(struct blkfront *bf, const blkif_response_t *r)
{
	struct bf_slot *s;
	struct blk_req *req;
	int status;

	/* The id comes from the backend: in range and one we are waiting for, once. */
	if (r->id >= BF_RING_SIZE || !bf->slots[r->id].inflight)
		return bf_failf(bf, "response for id %llu, which is not in flight",
				(unsigned long long)r->id);
	s = &bf->slots[r->id];
	/* Indirect requests are answered with their indirect_op, as Linux blkback does. */
	if (r->operation != s->op)
		return bf_failf(bf, "response for id %u has operation %u, not %u",
				(unsigned int)r->id, r->operation, s->op);
	if (r->status == BLKIF_RSP_OKAY)
		status = 0;
	else if (r->status == BLKIF_RSP_ERROR || r->status == BLKIF_RSP_EOPNOTSUPP)
		status = -EIO;
	else
		return bf_failf(bf, "response status %d for id %u", r->status, (unsigned int)r->id);
	/* Revoked before the data is looked at: then it cannot change any more. */
	if (bf_slot_ungrant(bf, s))
		return bf_failf(bf, "grant still in use by the backend after its response");
	req = s->req;
	for (unsigned int i = 0; status == 0 && s->op == BLKIF_OP_READ && i < s->npages; i++)
		memcpy((uint8_t *)req->buf + (size_t)i * BF_PAGE_SIZE, bf->pool[s->pages[i]].va,
		       (size_t)bf_seg_sectors(req, i) * BLKDEV_SECTOR);
	bf_slot_free(bf, (unsigned int)r->id);
	irqstorm_work(&bf->storm);
	bf_queue_done(bf, req, status);
	return 0;
}

/* Reap responses. Bounded: every valid response retires a request. */
static void bf_reap(struct blkfront *bf)
{
	blkif_response_t rsp;
	RING_IDX cons, prod;
	int more;

	do {
		prod = bf->ring.sring->rsp_prod;
		xen_rmb(); /* the responses are read only after the index that covers them */
		if (BF_PROD_BAD(&bf->ring, prod)) {
			bf_failf(bf, "response producer %u runs ahead of the requests (%u..%u)",
				 prod, bf->ring.rsp_cons, bf->ring.req_prod_pvt);
			return;
		}
		for (cons = bf->ring.rsp_cons; cons != prod; cons++) {
			RING_COPY_RESPONSE(&bf->ring, cons, &rsp);
			if (bf_response(bf, &rsp) < 0)
				return;
			bf->ring.rsp_cons = cons + 1;
		}
		/* Sets rsp_event, mb, re-reads rsp_prod: no response goes unnoticed. */
		RING_FINAL_CHECK_FOR_RESPONSES(&bf->ring, more);
	} while (more);
}

static bool bf_service(struct blkdev *dev)
{
	struct blkfront *bf = dev->priv;

	if (bf->state == BF_CONNECTED && !dev->broken)
		bf_reap(bf);
	bf_deliver(bf);
	return false;
}

/* ---- interrupts and the storm guard ---- */

static void bf_storm_end(struct timer *t, void *arg)
{
	struct blkfront *bf = arg;

	(void)t;
	bf->storm_masked = false;
	/* Poll what piled up; that poll's irq_enable unmasks the port. */
	if (bf->state == BF_CONNECTED && !bf->dev.broken)
		work_post(&bf->dev.work);
}

/*
 * Events since the last call against the responses found
 * (sluice/irqstorm.h). True: a storm, the port stays masked until the timer.
 */
static bool bf_storm_check(struct blkfront *bf)
{
	uint64_t now = now_ns();
	uint32_t suppressed;

	if (!irqstorm_check(&bf->storm, now))
		return false;
	bf->storm_masked = true;
	timer_arm_in(&bf->storm_timer, IRQSTORM_BACKOFF_NS);
	if (irqstorm_report(&bf->storm, now, &suppressed))
		kprintf("%s: blkfront: event storm from the backend, port masked for %llu ms "
			"(%u more not logged)\n",
			bf->dev.name, (unsigned long long)(IRQSTORM_BACKOFF_NS / 1000000),
			suppressed);
	return true;
}

/* Interrupt context: count (for the storm guard), mask, and leave the rest to the loop. */
static void bf_evtchn_handler(uint32_t port, void *arg)
{
	struct blkfront *bf = arg;

	irqstorm_event(&bf->storm);
	if (bf->registered)
		blkdev_irq(&bf->dev);
	else
		evtchn_mask(&xen_evtchn, port); /* no blkdev work to post yet */
}

static void bf_irq_disable(struct blkdev *dev)
{
	struct blkfront *bf = dev->priv;

	if (bf->port_open)
		evtchn_mask(&xen_evtchn, bf->port);
}

static bool bf_irq_enable(struct blkdev *dev)
{
	struct blkfront *bf = dev->priv;
	int more;

	if (bf->state != BF_CONNECTED || dev->broken || bf->storm_masked)
		return false;
	if (bf_storm_check(bf))
		return false;
	evtchn_unmask(&xen_evtchn, bf->port); /* re-raises an event that came while masked */
	/* rsp_event = rsp_cons + 1, mb, re-read rsp_prod: an event for anything after this. */
	RING_FINAL_CHECK_FOR_RESPONSES(&bf->ring, more);
	return more;
}

static const struct blkdev_ops bf_ops = {
	.submit = bf_submit,
	.service = bf_service,
	.irq_enable = bf_irq_enable,
	.irq_disable = bf_irq_disable,
};

/* ---- set-up and teardown, for blkfront_xs.c ---- */

void bf_dev_init(struct blkfront *bf)
{
	bf->dev.driver = "blkfront";
	bf->dev.ops = &bf_ops;
	bf->dev.priv = bf;
	bf->done_tail = &bf->done_head;
	bf->done_work.fn = bf_done_work;
	bf->ring_page.ref = -1;
	for (unsigned int i = 0; i < BF_POOL_PAGES; i++)
		bf->pool[i].ref = -1;
	for (unsigned int i = 0; i < BF_RING_SIZE; i++)
		bf->slots[i].ind.ref = -1;
	timer_init(&bf->storm_timer, bf_storm_end, bf);
}

/*
 * The ring (a zeroed page, initialised here: only the frontend may), its
 * grant, an unbound port (masked until the device is serviced) and the
 * bounce pool. State BF_RINGS on success; on failure everything is undone.
 */
int bf_rings_setup(struct blkfront *bf)
{
	uint16_t be = bf->xb.backend_id;
	int rc = -ENOMEM;

	bf->ring_page.va = page_alloc(1);
	if (!bf->ring_page.va)
		goto fail;
	XEN_FRONT_RING_INIT(&bf->ring, (blkif_sring_t *)bf->ring_page.va, BF_PAGE_SIZE);
	rc = bf_grant(bf, &bf->ring_page, false);
	if (rc < 0)
		goto fail;
	rc = evtchn_alloc_unbound(&xen_evtchn, be, &bf->port);
	if (rc < 0)
		goto fail;
	bf->port_open = true;
	rc = evtchn_bind(&xen_evtchn, bf->port, bf_evtchn_handler, bf);
	if (rc < 0)
		goto fail;
	bf->state = BF_RINGS; /* from here teardown releases whatever exists */
	rc = -ENOMEM;
	for (bf->pool_nfree = 0; bf->pool_nfree < BF_POOL_PAGES; bf->pool_nfree++) {
		bf->pool[bf->pool_nfree].va = page_alloc(1);
		if (!bf->pool[bf->pool_nfree].va)
			goto fail;
		bf->pool_free[bf->pool_nfree] = (uint8_t)bf->pool_nfree;
	}
	for (bf->id_nfree = 0; bf->id_nfree < BF_RING_SIZE; bf->id_nfree++)
		bf->id_free[bf->id_nfree] = (uint8_t)(BF_RING_SIZE - 1 - bf->id_nfree);
	irqstorm_reset(&bf->storm);
	return 0;
fail:
	bf_rings_teardown(bf);
	return rc;
}

/* Persistent mode: grant the pool and the indirect pages once, writable (blkif.h note 8). */
static int bf_grant_all(struct blkfront *bf)
{
	int rc = 0;

	for (unsigned int i = 0; i < BF_POOL_PAGES && rc == 0; i++)
		rc = bf_grant(bf, &bf->pool[i], false);
	for (unsigned int i = 0; i < BF_RING_SIZE && rc == 0 && bf->indirect; i++)
		rc = bf_grant(bf, &bf->slots[i].ind, false);
	return rc;
}

/*
 * Start the data path with the modes blkfront_xs.c chose from what the
 * backend said at Connected (bf->indirect, bf->persistent, bf->flush and
 * the blkdev's geometry): indirect pages, persistent grants. 0, or -errno
 * (the caller tears the connection down).
 */
int bf_start(struct blkfront *bf)
{
	for (unsigned int i = 0; i < BF_RING_SIZE && bf->indirect; i++) {
		bf->slots[i].ind.va = page_alloc(1);
		bf->indirect = bf->slots[i].ind.va != NULL; /* short of memory: plain requests */
	}
	if (!bf->indirect)
		bf->max_segs = MIN(bf->max_segs, BF_DIRECT_SEGS);
	bf->dev.max_sectors = bf->max_segs * BF_SECT_PER_PAGE;
	/* The backend agreed to persistent grants, so it keeps them mapped: no fallback. */
	if (bf->persistent && bf_grant_all(bf) < 0)
		return -ENOSPC;
	bf->state = BF_CONNECTED;
	bf->st.connects++;
	/* The port is still masked: this poll's irq_enable unmasks it. */
	if (bf->registered)
		work_post(&bf->dev.work);
	return 0;
}

/*
 * Stop the data path (the backend is leaving): responses already in the
 * ring complete normally, new requests are refused with -ENODEV.
 */
void bf_stop(struct blkfront *bf)
{
	if (bf->state == BF_CONNECTED && !bf->dev.broken)
		bf_reap(bf);
	if (bf->state != BF_IDLE)
		bf->state = BF_RINGS;
	if (bf->port_open)
		evtchn_mask(&xen_evtchn, bf->port);
	timer_cancel(&bf->storm_timer);
	bf->storm_masked = false;
	bf_deliver(bf);
}

/*
 * Release the connection's resources (any partial set-up too). Call after
 * the close handshake, when the backend should have answered and unmapped
 * everything: responses it left are still taken (unless it is broken),
 * requests still unanswered fail with -EIO, and grants it still maps are
 * quarantined, never freed.
 */
void bf_rings_teardown(struct blkfront *bf)
{
	if (bf->ring.sring && bf->ring.req_prod_pvt != bf->ring.rsp_cons && !bf->dev.broken)
		bf_reap(bf);
	bf->state = BF_IDLE;
	/* The port first: once closed, no handler runs for it. */
	if (bf->port_open)
		evtchn_close(&xen_evtchn, bf->port);
	bf->port_open = false;
	for (unsigned int id = 0; id < BF_RING_SIZE; id++) {
		struct bf_slot *s = &bf->slots[id];

		if (!s->inflight)
			continue;
		bf_slot_ungrant(bf, s);
		if (s->req)
			bf_queue_done(bf, s->req, -EIO);
		bf_slot_free(bf, id);
	}
	for (unsigned int i = 0; i < BF_POOL_PAGES; i++)
		bf_page_release(bf, &bf->pool[i]);
	for (unsigned int i = 0; i < BF_RING_SIZE; i++)
		bf_page_release(bf, &bf->slots[i].ind);
	bf_page_release(bf, &bf->ring_page);
	memset(&bf->ring, 0, sizeof(bf->ring));
	bf->pool_nfree = bf->id_nfree = 0;
	bf->persistent = bf->indirect = false;
	timer_cancel(&bf->storm_timer);
	bf->storm_masked = false;
	bf_deliver(bf);
}
