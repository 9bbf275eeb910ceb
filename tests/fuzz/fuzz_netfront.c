// SPDX-License-Identifier: BSD-2-Clause
/*
 * drivers/netfront against a hostile netback: the fuzzer plays the backend
 * through the unit tests' fakes (tests/unit/fake_netback.c, fake_xen.c,
 * fake_kernel.c, fake_xenstore.c). Each input connects a fresh vif, then
 * runs a script of backend and driver actions:
 *
 *   0 raw RX response (id, offset, flags, status as the backend likes)
 *   1 raw TX response (id, status)
 *   2 a well-formed RX frame, in slots of a chosen size at a chosen offset
 *   3 the backend answers TX requests properly
 *   4 the backend moves a ring's response producer anywhere
 *   5 the driver sends a packet (a chain of 1-4 buffers)
 *   6 event: notify and run the kernel's work (the driver's poll)
 *   7 the backend maps a posted grant and keeps it
 *   8 the backend's xenstore state changes (Closing, Closed, or any value)
 *   9 the clock runs (timers: refill retries, connect timeouts)
 *
 * Packets the driver hands up must be sane (each buffer inside its page,
 * at most a maximal frame); the fakes' own checks (grants, pages, pools)
 * abort on misuse. The driver's file-scope state is reset between inputs
 * by compiling netfront_xs.c into this file; what the driver and the fakes
 * allocate per device is released by the scoped heap (scoped_heap.h).
 */
#include "../../drivers/netfront/netfront_xs.c"

#include "../unit/fake_netback.h"
#include "fuzz.h"
#include "scoped_heap.h"

/* Check's assertions in the fakes: a failure is a finding, so crash loudly. */
void _mark_point(const char *file, int line)
{
	(void)file;
	(void)line;
}

void _ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
{
	fprintf(stderr, "%s:%d: %s %s\n", file, line, expr, msg ? msg : "");
	abort();
}

/*
 * A raw TX response lands in the slot of a request the fake backend has not
 * consumed (requests and responses share slots), so the fake's own TX
 * processing would then read garbage it wrote itself: after one, the
 * backend only answers raw.
 */
static bool tx_raw;

static void reset_driver(void)
{
	nf_list = NULL;
	memset(&vif_bus.watch, 0, sizeof(vif_bus.watch));
	vif_bus.initial = false;
	memset(scan_devs, 0, sizeof(scan_devs));
	scan_err[0] = scan_err_logged[0] = '\0';
	nrejected = 0;
	tx_raw = false;
}

static void pop_all(struct netdev *d)
{
	struct pktbuf *p;

	while ((p = shim_rx_pop(d)) != NULL) {
		size_t total = 0;

		for (struct pktbuf *q = p; q; q = q->next) {
			if (q->off + q->len > 4096)
				abort();
			total += q->len;
		}
		if (total > FNB_FRAME_MAX)
			abort();
		pktbuf_free(p);
	}
}

static void send_pkt(struct fz *f, struct netdev *d)
{
	struct pktbuf *head = NULL, **tail = &head;
	unsigned int n = 1 + fz_u8(f) % 4;

	for (unsigned int i = 0; i < n; i++) {
		struct pktbuf *p = shim_tx_alloc();

		if (!p)
			break;
		p->len = (uint16_t)(fz_u16(f) % 4096);
		p->off = 0;
		memset(pkt_data(p), (int)i, p->len);
		*tail = p;
		tail = &p->next;
	}
	if (head)
		netdev_tx(d, head); /* takes the chain, sent or not */
}

static void step(struct fz *f, struct fnb_vif *v, struct netdev *d)
{
	uint8_t op = fz_u8(f);
	static uint8_t frame[FNB_FRAME_MAX];

	switch (op % 10) {
	case 0: {
		netif_rx_response_t r;

		r.id = fz_u16(f);
		r.offset = fz_u16(f);
		r.flags = fz_u16(f);
		r.status = (int16_t)fz_u16(f);
		/* One per posted request: the fake consumes one with each (excess: op 4). */
		if (v->mapped && v->rx.sring->req_prod != v->rx.req_cons)
			fnb_rx_raw(v, &r);
		break;
	}
	case 1: {
		uint16_t id = fz_u16(f);

		if (v->mapped) {
			fnb_tx_raw(v, id, (int16_t)fz_u16(f));
			tx_raw = true;
		}
		break;
	}
	case 2: {
		size_t len = fz_u16(f) % 9000, off = fz_u16(f) % 4096, frag;

		frag = 1 + fz_u16(f) % (4096 - off);
		memset(frame, 0x5a, len);
		if (v->mapped)
			fnb_rx_send(v, frame, len, frag, (uint16_t)off, fz_u16(f));
		break;
	}
	case 3:
		if (v->mapped && !tx_raw)
			fnb_tx_process(v, fz_u8(f));
		break;
	case 4:
		if (v->mapped) {
			if (op & 0x10)
				v->rx.sring->rsp_prod += fz_u16(f);
			else
				v->tx.sring->rsp_prod += fz_u16(f);
		}
		break;
	case 5:
		send_pkt(f, d);
		break;
	case 6:
		if (v->mapped)
			fnb_notify(v);
		shim_run_work();
		pop_all(d);
		break;
	case 7: { /* only a request still posted names a grant of ours */
		RING_IDX k = fz_u8(f) % 4;

		if (v->mapped && v->rx.sring->req_prod - v->rx.req_cons > k)
			fnb_map(fnb_rx_req_ref(v, v->rx.req_cons + k), true);
		break;
	}
	case 8: {
		static const char *const states[] = {"5", "6", "4", "2", "x", ""};
		char p[160];

		snprintf(p, sizeof(p), "%s/state", v->be);
		fake_kv_write(&fnb_xs, p, states[(op >> 4) % 6]);
		fnb_pump();
		break;
	}
	default:
		shim_advance((uint64_t)fz_u16(f) * 1000000ull);
		pop_all(d);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	struct fnb_vif *v;
	struct netdev *d;
	uint8_t flags = fz_u8(&f);

	reset_driver();
	fnb_init();
	v = fnb_add_vif(0, "00:16:3e:00:00:01", (flags & 1) ? FNB_NO_SG : 0);
	if (netfront_probe_all() != 1)
		abort();
	fnb_pump();
	d = shim_netdev(0);
	if (!d || !d->link_up || netdev_start(d) != 0)
		abort();
	shim_run_work();
	for (unsigned int steps = 0; !fz_empty(&f) && steps < 200 && !d->broken; steps++)
		step(&f, v, d);
	if (!d->broken) {
		shim_run_work();
		pop_all(d);
	}
	fz_heap_reset();
	return 0;
}
