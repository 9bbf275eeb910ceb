// SPDX-License-Identifier: BSD-2-Clause
/*
 * drivers/blkfront (with the block layer, kernel/blkdev.c) against a
 * hostile blkback: the fuzzer plays the backend through the unit tests'
 * fakes (tests/unit/fake_blkback.c, fake_xen.c, fake_kernel.c,
 * fake_xenstore.c). Each input connects a fresh vbd (its features chosen
 * by the first byte), then runs a script of backend and driver actions:
 *
 *   0 raw response: the id of a request it swallowed, or any id; any
 *     operation and status
 *   1 swallow a request (consume without answering)
 *   2 answer requests properly (with the knobs below)
 *   3 event: notify and run the kernel's work
 *   4 knobs: forced status, scribbling on consumed slots, holding data grants
 *   5 the driver submits a read, write or flush
 *   6 the response producer jumps
 *   7 the backend's xenstore state changes
 *   8 the clock runs
 *
 * Every request must complete at most once, with a documented status; the
 * fakes' checks (grants, XSA-216 zeroed bytes, segments in their page)
 * abort on misuse. File-scope state of blkfront_xs.c and blkdev.c is reset
 * by compiling them into this file; the scoped heap releases the rest.
 */
#include "../../drivers/blkfront/blkfront_xs.c"
#include "../../kernel/blkdev.c"

#include "../unit/fake_blkback.h"
#include "fuzz.h"
#include "scoped_heap.h"

void _mark_point(const char *file, int line)
{
	(void)file;
	(void)line;
}

/* Check's assertions in the fakes: a failure is a finding, so crash loudly. */
void _ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
{
	fprintf(stderr, "%s:%d: %s %s\n", file, line, expr, msg ? msg : "");
	abort();
}

#define NREQ 8
#define REQ_SECTORS 16

static struct treq {
	struct blk_req r;
	bool busy;
} reqs[NREQ];
static uint8_t bufs[NREQ][REQ_SECTORS * 512] __attribute__((aligned(4096)));
static uint64_t swallowed[16];
static unsigned int nswallowed;

/*
 * A raw response beyond the requests the backend consumed lands in the slot
 * of one it has not (requests and responses share slots): the fake's own
 * processing would then read garbage it wrote itself, so from then on the
 * backend only answers raw.
 */
static bool raw_only;

static void tdone(struct blk_req *r)
{
	struct treq *t = (struct treq *)r;

	if (!t->busy) {
		fprintf(stderr, "request %td completed twice\n", t - reqs);
		abort();
	}
	if (r->status != 0 && r->status != -EIO && r->status != -EROFS && r->status != -EINVAL &&
	    r->status != -ENODEV && r->status != -EOPNOTSUPP) {
		fprintf(stderr, "request completed with status %d\n", r->status);
		abort();
	}
	t->busy = false;
}

static void reset_driver(void)
{
	bf_list = NULL;
	memset(&vbd_bus.watch, 0, sizeof(vbd_bus.watch));
	vbd_bus.initial = false;
	memset(scan_devs, 0, sizeof(scan_devs));
	scan_err[0] = scan_err_logged[0] = '\0';
	memset(devices, 0, sizeof(devices));
	ndevices = 0;
	memset(refused, 0, sizeof(refused));
	memset(reqs, 0, sizeof(reqs));
	nswallowed = 0;
	raw_only = false;
}

static void step(struct fz *f, struct fbb_vbd *v, struct blkdev *d)
{
	uint8_t op = fz_u8(f);

	switch (op % 9) {
	case 0: {
		uint64_t id = (op & 0x10) && nswallowed ? swallowed[fz_u8(f) % nswallowed]
							: (uint64_t)fz_u32(f) << (fz_u8(f) & 32);

		if (v->mapped) {
			raw_only |= v->ring.rsp_prod_pvt == v->ring.req_cons;
			fbb_raw_response(v, id, fz_u8(f), (int16_t)fz_u16(f));
		}
		break;
	}
	case 1:
		if (v->mapped && !raw_only && fbb_pending(v) > 0) {
			uint64_t id = fbb_swallow(v);

			if (nswallowed < 16)
				swallowed[nswallowed++] = id;
		}
		break;
	case 2:
		if (v->mapped && !raw_only)
			fbb_process(v, fz_u8(f) % 8);
		break;
	case 3:
		if (v->mapped)
			fbb_notify(v);
		shim_run_work();
		break;
	case 4:
		v->force_status = (op & 0x10) ? (int16_t)fz_u16(f) : 0;
		v->scribble = op & 0x20;
		v->hold_data = op & 0x40;
		break;
	case 5: {
		struct treq *t = &reqs[fz_u8(f) % NREQ];
		uint8_t kind = fz_u8(f);

		if (t->busy)
			break;
		t->r = (struct blk_req){.op = kind % 3 == 2 ? BLK_FLUSH : kind % 3,
					.sector = fz_u16(f) % 80,
					.count = kind % 3 == 2 ? 0 : 1 + (kind >> 2) % REQ_SECTORS,
					.buf = bufs[t - reqs],
					.done = tdone};
		t->busy = true;
		blkdev_submit(d, &t->r);
		break;
	}
	case 6:
		if (v->mapped)
			v->ring.sring->rsp_prod += fz_u16(f);
		break;
	case 7: {
		static const char *const states[] = {"5", "6", "4", "2", "x", ""};
		char p[160];

		snprintf(p, sizeof(p), "%s/state", v->be);
		fake_kv_write(&fbb_xs, p, states[(op >> 4) % 6]);
		fbb_pump();
		break;
	}
	default:
		shim_advance((uint64_t)fz_u16(f) * 1000000ull);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int feat[8] = {0,
					     FBB_PERSISTENT,
					     FBB_NO_INDIRECT,
					     FBB_BARRIER | FBB_NO_FLUSH,
					     FBB_RO,
					     FBB_SECTOR_4K,
					     FBB_INDIRECT_LATE | FBB_PERSISTENT,
					     FBB_MODE_R_ONLY};
	struct fz f = {data, size};
	struct fbb_vbd *v;
	struct blkdev *d;

	reset_driver();
	fbb_init();
	v = fbb_add_vbd(51712, 64, feat[fz_u8(&f) % 8]);
	if (blkfront_probe_all() != 1)
		abort();
	fbb_pump();
	d = blkdev_get(0);
	if (!d)
		abort();
	shim_run_work();
	for (unsigned int steps = 0; !fz_empty(&f) && steps < 200; steps++)
		step(&f, v, d);
	shim_run_work();
	fz_heap_reset();
	v->disk = NULL; /* released above; fbb_init() would free it again */
	return 0;
}
