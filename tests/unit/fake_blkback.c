// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fake blkback and kernel shim for the blkfront unit tests (see
 * fake_blkback.h), on the fake Xen of fake_xen.c. Everything runs on one
 * thread: an "interrupt" is the fake Xen calling evtchn_demux() where the
 * real upcall could arrive (after a notify, or when unmasking a pending
 * port), never nested.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_blkback.h"
#include "fake_xen.h"
#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/timerq.h"
#include "sluice/xen_plat.h"
#include "sluice/xenbus.h"

struct fake_xs fbb_xs;

/* ---- fake Xen (fake_xen.c): a frontend's kick, grants the backend holds ---- */

static struct fbb_vbd vbds[FBB_MAX_VBDS];

static void fbb_send(uint32_t port)
{
	for (unsigned int i = 0; i < FBB_MAX_VBDS; i++) {
		struct fbb_vbd *v = &vbds[i];

		if (!v->used || !v->mapped || v->port != port)
			continue;
		v->kicks++;
		if (v->autorun)
			fbb_process(v, 0);
	}
}

static void gunmap(int ref)
{
	fx_unmap(ref, true);
}

unsigned int fbb_mapped_refs(void)
{
	return fx_mapped_refs();
}

void fbb_unmap_all(void)
{
	for (unsigned int i = 8; i < xen_gnttab.nr_frames * 512; i++)
		gunmap((int)i);
}

/* ---- the fake blkback: xenstore side ---- */

static void kv(struct fbb_vbd *v, bool fe, const char *key, const char *val)
{
	char p[FAKE_PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", fe ? v->fe : v->be, key);
	if (val)
		fake_kv_write(&fbb_xs, p, val);
	else
		fake_kv_rm(&fbb_xs, p);
}

static void be_set(struct fbb_vbd *v, int st)
{
	fx_set_state(v->be, st);
}

static int be_state(struct fbb_vbd *v)
{
	return fx_state(v->be);
}

static const char *fe_get(struct fbb_vbd *v, const char *key)
{
	char p[96];

	snprintf(p, sizeof(p), "%s/%s", v->fe, key);
	return fake_kv_get(&fbb_xs, p, NULL);
}

static long fe_num(struct fbb_vbd *v, const char *key)
{
	return fx_num(v->fe, key);
}

/* Persistent maps are made writable once and kept (Linux blkback). */
static void *pmap(struct fbb_vbd *v, int ref)
{
	for (unsigned int i = 0; i < v->npmaps; i++)
		if (v->pmaps[i] == ref)
			return fx_frame(ref);
	ck_assert_uint_lt(v->npmaps, FBB_MAX_PMAPS);
	v->pmaps[v->npmaps++] = ref;
	return fx_map(ref, true);
}

/* The frontend went Initialised: map its ring, publish the disk, go Connected. */
static void attach(struct fbb_vbd *v)
{
	unsigned int f = v->flags;
	char b[32];

	ck_assert_str_eq(fe_get(v, "protocol"), "x86_64-abi");
	v->ring_ref = (int)fe_num(v, "ring-ref");
	v->port = (uint32_t)fe_num(v, "event-channel");
	v->persistent = (f & FBB_PERSISTENT) && fe_num(v, "feature-persistent") == 1;
	v->npmaps = 0;
	BACK_RING_INIT(&v->ring, (blkif_sring_t *)fx_map(v->ring_ref, true), 4096);
	v->mapped = true;
	snprintf(b, sizeof(b), "%llu", (unsigned long long)v->sectors);
	kv(v, false, "sectors", b);
	kv(v, false, "info", f & FBB_RO ? "4" : "0");
	kv(v, false, "sector-size", f & FBB_SECTOR_4K ? "4096" : "512");
	kv(v, false, "feature-flush-cache", f & (FBB_NO_FLUSH | FBB_FLUSH_INITWAIT) ? "0" : "1");
	kv(v, false, "feature-barrier", f & FBB_BARRIER ? "1" : "0");
	kv(v, false, "feature-persistent", f & FBB_PERSISTENT ? "1" : "0");
	if (f & FBB_INDIRECT_LATE)
		kv(v, false, "feature-max-indirect-segments", "256");
	if (v->bad_key)
		kv(v, false, v->bad_key, v->bad_val);
	be_set(v, XenbusStateConnected);
}

static void release(struct fbb_vbd *v)
{
	if (!v->mapped)
		return;
	v->mapped = false;
	if (v->keep_mapped)
		return;
	gunmap(v->ring_ref);
	for (unsigned int i = 0; i < v->npmaps; i++)
		gunmap(v->pmaps[i]);
	v->npmaps = 0;
}

/* Blkback's frontend_changed(), reduced to the states we use. */
static void fbb_hook(struct fake_xs *f, const char *abs, const char *val, size_t len)
{
	char p[160];

	(void)f;
	(void)len;
	for (unsigned int i = 0; i < FBB_MAX_VBDS; i++) {
		struct fbb_vbd *v = &vbds[i];

		snprintf(p, sizeof(p), "%s/%s/state", FAKE_HOME, v->fe);
		if (!v->used || strcmp(abs, p) != 0)
			continue;
		switch (atoi(val)) {
		case XenbusStateInitialising:
			if (be_state(v) == XenbusStateClosed) /* "prepare for reconnect" */
				be_set(v, XenbusStateInitWait);
			break;
		case XenbusStateInitialised:
			if (!v->stall_connect && !v->mapped)
				attach(v);
			break;
		case XenbusStateClosing:
			release(v);
			be_set(v, XenbusStateClosing);
			break;
		case XenbusStateClosed:
			release(v);
			be_set(v, XenbusStateClosed);
			break;
		}
	}
}

uint8_t fbb_pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 9) * 13 + 1);
}

void fbb_init(void)
{
	shim_kernel_init(0x30000000UL, &fbb_xs, true);
	for (unsigned int i = 0; i < FBB_MAX_VBDS; i++)
		free(vbds[i].disk);
	memset(vbds, 0, sizeof(vbds));
	fx_init(&fbb_xs, fbb_send);
	fbb_xs.on_write = fbb_hook;
}

struct fbb_vbd *fbb_add_vbd(unsigned int devid, uint64_t sectors, unsigned int flags)
{
	struct fbb_vbd *v = NULL;
	char b[16];

	for (unsigned int i = 0; i < FBB_MAX_VBDS && !v; i++)
		if (!vbds[i].used)
			v = &vbds[i];
	ck_assert_ptr_nonnull(v);
	free(v->disk);
	memset(v, 0, sizeof(*v));
	v->used = true;
	v->devid = devid;
	v->flags = flags;
	v->sectors = sectors;
	v->disk = malloc(sectors * 512 + 1);
	ck_assert_ptr_nonnull(v->disk);
	for (uint64_t i = 0; i < sectors * 512; i++)
		v->disk[i] = fbb_pattern(i);
	snprintf(v->fe, sizeof(v->fe), "device/vbd/%u", devid);
	snprintf(v->be, sizeof(v->be), FBB_BE_BASE "/%u", devid);
	snprintf(b, sizeof(b), "%u", devid);
	kv(v, false, "state", flags & FBB_NOT_READY ? "1" : "2");
	if (!(flags & (FBB_NO_INDIRECT | FBB_INDIRECT_LATE)))
		kv(v, false, "feature-max-indirect-segments", "256");
	if (flags & FBB_FLUSH_INITWAIT)
		kv(v, false, "feature-flush-cache", "1");
	kv(v, false, "max-ring-page-order", "4");
	kv(v, false, "multi-queue-max-queues", "4");
	kv(v, false, "mode", flags & (FBB_RO | FBB_MODE_R_ONLY) ? "r" : "w");
	kv(v, true, "backend", v->be);
	kv(v, true, "backend-id", "0");
	kv(v, true, "virtual-device", b);
	kv(v, true, "device-type", "disk");
	kv(v, true, "state", "1");
	return v;
}

void fbb_pump(void)
{
	fx_pump();
}

void fbb_remove_nodes(struct fbb_vbd *v)
{
	char p[160];

	release(v);
	snprintf(p, sizeof(p), "%s/%s", FAKE_HOME, v->fe);
	fake_kv_rm(&fbb_xs, p);
	fake_kv_rm(&fbb_xs, v->be);
	v->used = false;
	fbb_pump();
}

void fbb_connect_now(struct fbb_vbd *v)
{
	v->stall_connect = false;
	attach(v);
	fbb_pump();
}

void fbb_ready(struct fbb_vbd *v)
{
	be_set(v, XenbusStateInitWait);
	fbb_pump();
}

void fbb_detach(struct fbb_vbd *v)
{
	be_set(v, XenbusStateClosing); /* libxl: online = 0, state = Closing */
	fbb_pump();
	ck_assert_int_eq(be_state(v), XenbusStateClosed);
	fbb_remove_nodes(v);
}

/* ---- the fake blkback: data path ---- */

void fbb_notify(struct fbb_vbd *v)
{
	fx_notify(v->port);
}

unsigned int fbb_pending(struct fbb_vbd *v)
{
	return v->ring.sring->req_prod - v->ring.req_cons;
}

/* Copy request @i raw and check that everything it does not use is zero (XSA-216). */
static void take_request(struct fbb_vbd *v, RING_IDX i, blkif_request_t *out)
{
	union {
		blkif_request_t rw;
		blkif_request_indirect_t ind;
		uint8_t b[sizeof(blkif_request_t)];
	} raw, clean;
	unsigned int n;

	memcpy(&raw, (const void *)RING_GET_REQUEST(&v->ring, i), sizeof(raw));
	memset(&clean, 0, sizeof(clean));
	if (raw.rw.operation == BLKIF_OP_INDIRECT) {
		n = (raw.ind.nr_segments + BF_SEGS_PER_INDIRECT_PAGE - 1) /
		    BF_SEGS_PER_INDIRECT_PAGE;
		ck_assert_uint_le(n, BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
		clean.ind.operation = raw.ind.operation;
		clean.ind.indirect_op = raw.ind.indirect_op;
		clean.ind.nr_segments = raw.ind.nr_segments;
		clean.ind.id = raw.ind.id;
		clean.ind.sector_number = raw.ind.sector_number;
		clean.ind.handle = raw.ind.handle;
		memcpy(clean.ind.indirect_grefs, raw.ind.indirect_grefs, n * sizeof(grant_ref_t));
	} else {
		ck_assert_uint_le(raw.rw.nr_segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
		clean.rw.operation = raw.rw.operation;
		clean.rw.nr_segments = raw.rw.nr_segments;
		clean.rw.handle = raw.rw.handle;
		clean.rw.id = raw.rw.id;
		clean.rw.sector_number = raw.rw.sector_number;
		for (unsigned int k = 0; k < raw.rw.nr_segments; k++) {
			clean.rw.seg[k].gref = raw.rw.seg[k].gref;
			clean.rw.seg[k].first_sect = raw.rw.seg[k].first_sect;
			clean.rw.seg[k].last_sect = raw.rw.seg[k].last_sect;
		}
	}
	ck_assert_msg(memcmp(&raw, &clean, sizeof(raw)) == 0,
		      "request %u has stale bytes in unused fields (XSA-216)", i);
	ck_assert_uint_eq(raw.rw.operation == BLKIF_OP_INDIRECT ? raw.ind.handle : raw.rw.handle,
			  (uint16_t)v->devid);
	memcpy(out, &raw, sizeof(*out));
	if (v->scribble) /* hostile, and legal: the backend may write the whole page */
		memset((void *)RING_GET_REQUEST(&v->ring, i), 0xff, sizeof(blkif_request_t));
}

/* Move one segment between the disk and a granted page. */
static void do_seg(struct fbb_vbd *v, uint8_t op, const struct blkif_request_segment *s,
		   uint64_t *pos)
{
	size_t len = (size_t)(s->last_sect - s->first_sect + 1) * 512;
	bool rd = op == BLKIF_OP_READ;
	uint8_t *page;

	ck_assert_msg(s->first_sect <= s->last_sect && s->last_sect < 8, "segment %u..%u",
		      s->first_sect, s->last_sect);
	if (v->flags & FBB_SECTOR_4K)
		ck_assert(s->first_sect == 0 && s->last_sect == 7 && *pos % 4096 == 0);
	ck_assert_msg(*pos + len <= v->sectors * 512, "I/O past the end of the disk");
	page = v->persistent ? pmap(v, (int)s->gref) : fx_map((int)s->gref, rd);
	page += s->first_sect * 512;
	if (rd)
		memcpy(page, v->disk + *pos, len);
	else
		memcpy(v->disk + *pos, page, len);
	if (!v->persistent && !v->hold_data)
		gunmap((int)s->gref);
	*pos += len;
}

static int16_t do_rw(struct fbb_vbd *v, const blkif_request_t *r, uint8_t *op)
{
	const blkif_request_indirect_t *ri = (const blkif_request_indirect_t *)r;
	struct blkif_request_segment segs[256];
	unsigned int n = r->nr_segments;
	uint64_t pos = r->sector_number * 512;

	*op = r->operation;
	if (r->operation == BLKIF_OP_INDIRECT) {
		const struct blkif_request_segment *page;

		*op = ri->indirect_op;
		n = ri->nr_segments;
		ck_assert_msg(n > BLKIF_MAX_SEGMENTS_PER_REQUEST && n <= 256, "%u segments", n);
		page = v->persistent ? pmap(v, (int)ri->indirect_grefs[0])
				     : fx_map((int)ri->indirect_grefs[0], false);
		memcpy(segs, page, n * sizeof(segs[0]));
		for (unsigned int k = 0; k < n; k++)
			ck_assert_msg(*(const uint16_t *)((const uint8_t *)&segs[k] + 6) == 0,
				      "indirect segment %u padding not zero", k);
		if (!v->persistent)
			gunmap((int)ri->indirect_grefs[0]);
		pos = ri->sector_number * 512;
		v->indirect++;
	} else {
		ck_assert_msg(n > 0, "read/write without segments");
		memcpy(segs, r->seg, n * sizeof(segs[0]));
	}
	ck_assert_msg(*op == BLKIF_OP_READ || *op == BLKIF_OP_WRITE, "operation %u", *op);
	if (*op == BLKIF_OP_WRITE)
		ck_assert_msg(!(v->flags & (FBB_RO | FBB_MODE_R_ONLY)), "write to a read-only vbd");
	v->last_nseg = n;
	v->max_segs = n > v->max_segs ? n : v->max_segs;
	v->last_sector = pos / 512;
	for (unsigned int k = 0; k < n; k++)
		do_seg(v, *op, &segs[k], &pos);
	if (*op == BLKIF_OP_READ)
		v->reads++;
	else
		v->writes++;
	return BLKIF_RSP_OKAY;
}

static void respond(struct fbb_vbd *v, uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t *rsp = RING_GET_RESPONSE(&v->ring, v->ring.rsp_prod_pvt++);

	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
}

static bool processing;

unsigned int fbb_process(struct fbb_vbd *v, unsigned int max)
{
	unsigned int n = 0;
	int notify, more;

	if (processing)
		return 0; /* the frontend's notify came from inside our own notify */
	processing = true;
	do {
		while ((max == 0 || n < max) && v->ring.req_cons != v->ring.sring->req_prod) {
			blkif_request_t r;
			int16_t st;
			uint8_t op;

			take_request(v, v->ring.req_cons++, &r);
			v->last_op = r.operation;
			op = r.operation;
			if (op == BLKIF_OP_FLUSH_DISKCACHE || op == BLKIF_OP_WRITE_BARRIER) {
				ck_assert_uint_eq(r.nr_segments, 0);
				ck_assert_msg(!(v->flags & FBB_RO), "flush to a read-only vbd");
				if (op == BLKIF_OP_WRITE_BARRIER)
					v->barriers++;
				else
					v->flushes++;
				st = BLKIF_RSP_OKAY;
			} else {
				st = do_rw(v, &r, &op);
			}
			respond(v, r.id, op, v->force_status ? v->force_status : st);
			n++;
		}
		RING_FINAL_CHECK_FOR_REQUESTS(&v->ring, more);
	} while (more && (max == 0 || n < max));
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->ring, notify);
	processing = false;
	if (notify)
		fbb_notify(v);
	return n;
}

uint64_t fbb_swallow(struct fbb_vbd *v)
{
	blkif_request_t r;

	ck_assert_uint_gt(fbb_pending(v), 0);
	take_request(v, v->ring.req_cons++, &r);
	return r.id;
}

void fbb_raw_response(struct fbb_vbd *v, uint64_t id, uint8_t op, int16_t status)
{
	respond(v, id, op, status);
	RING_PUSH_RESPONSES(&v->ring);
}
