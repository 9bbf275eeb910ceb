// SPDX-License-Identifier: BSD-2-Clause
/*
 * The xenstore client (xen/xs.c, xen/xs_ring.c) against a hostile
 * xenstored: the fuzzer plays the other end of the shared ring. One input
 * stream drives both sides. At the top level, an opcode byte picks a client
 * call (read, write, directory, transactions, watches, chunked values, the
 * asynchronous slot, event dispatch) or a server step; inside the client's
 * wait() the server reads the client's requests off the ring (checking
 * they are well-formed: the client is ours) and answers with the next unit
 * of the script:
 *
 *   0 a reply to the last request: its type or another, the right req_id
 *     or another, a fuzzed payload (possibly longer than the maximum)
 *   1 a watch event, for a registered watch's token or a fuzzed one
 *   2 raw bytes
 *   3 nothing this time (the clock runs; enough of it times the call out)
 *
 * Whatever the server sends, the client must not crash, must keep its
 * promises (NUL-terminated values of the reported length, bounded
 * directory counts) and must not wait forever: the script running out
 * means silence, which ends every call by its timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/xenstore.h"

static struct xenstore_domain_interface ring;
static struct xs_client xs;
static struct fz *script;
static uint64_t clock_ns;

/* The server's view: requests being assembled, replies not yet in the ring. */
static uint8_t req[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
static size_t req_got;
static struct xsd_sockmsg last;
static uint8_t out[4 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)];
static size_t out_len;

#define NWATCH 3
static struct xs_watch watches[NWATCH];
static const char *const wpaths[NWATCH] = {"device/vif", "control/shutdown", "data/sluice"};
static unsigned int fired;

static void on_fire(struct xs_watch *w, const char *path)
{
	(void)w;
	fired += strlen(path) > 0;
}

static void take_requests(void)
{
	while (ring.req_cons != ring.req_prod) {
		uint32_t avail = ring.req_prod - ring.req_cons;
		struct xsd_sockmsg h;

		if (avail > XENSTORE_RING_SIZE)
			abort(); /* the client published more than a ring */
		req[req_got++] = (uint8_t)ring.req[MASK_XENSTORE_IDX(ring.req_cons)];
		ring.req_cons++;
		if (req_got < sizeof(h))
			continue;
		memcpy(&h, req, sizeof(h));
		if (h.len > XENSTORE_PAYLOAD_MAX || h.type >= XS_TYPE_COUNT) {
			fprintf(stderr, "client sent type %u len %u\n", h.type, h.len);
			abort();
		}
		if (req_got == sizeof(h) + h.len) {
			last = h;
			req_got = 0;
		}
	}
}

static void emit(uint32_t type, uint32_t id, uint32_t tx, const void *p, size_t len)
{
	struct xsd_sockmsg h = {.type = type, .req_id = id, .tx_id = tx, .len = (uint32_t)len};

	if (out_len + sizeof(h) + len > sizeof(out))
		return;
	memcpy(out + out_len, &h, sizeof(h));
	memcpy(out + out_len + sizeof(h), p, len);
	out_len += sizeof(h) + len;
}

/* One unit of the script, then as much output as the ring takes. */
static void server_step(void)
{
	uint8_t c = fz_u8(script), buf[XENSTORE_PAYLOAD_MAX + 64];
	size_t n, k;

	take_requests();
	switch (c & 3) {
	case 0: {
		uint32_t type = (c & 4) ? fz_u8(script) % (XS_TYPE_COUNT + 1) : last.type;
		uint32_t id = (c & 8) ? fz_u32(script) : last.req_id;
		uint32_t tx = (c & 16) ? fz_u32(script) : last.tx_id;

		if (c & 32) { /* an error reply naming a real errno */
			static const char *const e[] = {"EAGAIN", "ENOENT", "EACCES", "E2BIG",
							"EBOGUS"};
			const char *s = e[(c >> 6) % 5];

			emit(XS_ERROR, id, tx, s, strlen(s) + 1);
			break;
		}
		n = fz_chunk(script, buf, sizeof(buf));
		emit(type, id, tx, buf, n);
		break;
	}
	case 1: {
		const struct xs_watch *w = &watches[(c >> 2) % NWATCH];
		size_t pl = fz_chunk(script, buf, 200);

		buf[pl++] = '\0';
		if (c & 0x80) {
			n = fz_chunk(script, buf + pl, 40);
			pl += n;
		} else {
			memcpy(buf + pl, w->tok, strlen(w->tok));
			pl += strlen(w->tok);
		}
		if (!(c & 0x40))
			buf[pl++] = '\0';
		emit(XS_WATCH_EVENT, 0, 0, buf, pl);
		break;
	}
	case 2:
		n = fz_chunk(script, buf, sizeof(buf));
		if (out_len + n <= sizeof(out)) {
			memcpy(out + out_len, buf, n);
			out_len += n;
		}
		break;
	default:
		break;
	}
	k = XENSTORE_RING_SIZE - (ring.rsp_prod - ring.rsp_cons);
	if (k > out_len)
		k = out_len;
	for (size_t i = 0; i < k; i++)
		ring.rsp[MASK_XENSTORE_IDX(ring.rsp_prod + i)] = (char)out[i];
	ring.rsp_prod += (uint32_t)k;
	memmove(out, out + k, out_len - k);
	out_len -= k;
}

static void op_notify(void *ctx)
{
	(void)ctx;
}

static int op_wait(void *ctx, uint64_t deadline)
{
	(void)ctx;
	if (fz_empty(script) && out_len == 0) {
		/* Silence from here on: only the timeout can end the call. */
		take_requests();
		if (clock_ns < deadline)
			clock_ns = deadline;
		return -ETIMEDOUT;
	}
	clock_ns += 100000000ull; /* 100 ms: 50 silent steps time a request out */
	server_step();
	return clock_ns >= deadline ? -ETIMEDOUT : 0;
}

static uint64_t op_now(void *ctx)
{
	(void)ctx;
	return clock_ns;
}

static const struct xs_ops ops = {.notify = op_notify, .wait = op_wait, .now_ns = op_now};

static void check_value(const char *buf, size_t cap, size_t len, int rc)
{
	if (rc == 0 && (len >= cap || buf[len] != '\0'))
		abort();
}

/* A pipelined batch of every kind of request, its replies from the script. */
static void pipeline(uint8_t op)
{
	char small[8], buf[XENSTORE_PAYLOAD_MAX + 1], list[XENSTORE_PAYLOAD_MAX + 1];
	struct xs_watch *w = &watches[(op >> 4) % NWATCH];
	struct xs_preq r[] = {
		{.type = XS_READ, .path = "domid", .buf = small, .buflen = sizeof(small)},
		{.type = XS_READ, .path = "name", .buf = buf, .buflen = sizeof(buf)},
		{.type = XS_WRITE, .path = "control/feature-poweroff", .val = "1", .len = 1},
		{.type = XS_WATCH, .w = w},
		{.type = XS_DIRECTORY, .path = "device/vif", .buf = list, .buflen = sizeof(list)},
		{.type = XS_RM, .path = "data/sluice/old"},
	};

	if (w->registered)
		r[3] = (struct xs_preq){.type = XS_MKDIR, .path = "data/sluice"};
	xs_pipeline(&xs, r, op & 1 ? 6 : 3);
	for (unsigned int i = 0; i < (op & 1 ? 6U : 3U); i++) {
		/* Every request is finished, and a result claims no more than its buffer. */
		if (!r[i].done || r[i].rc > 0)
			abort();
		if (r[i].rc == 0 && r[i].buf && r[i].buf[r[i].rlen] != '\0')
			abort();
		if (r[i].type == XS_WATCH && (r[i].rc == 0) != w->registered)
			abort();
	}
}

static void client_op(struct fz *f, uint8_t op)
{
	static char big[XS_CHUNK_DATA * 4 + 1];
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	uint32_t tx = (op & 0x80) ? 1 + fz_u8(f) % 4 : 0, type, rlen;
	size_t len = 0;
	unsigned int count = 0;
	uint64_t v;
	const char *reply;
	int rc;

	switch (op % 15) {
	case 0:
		rc = xs_read(&xs, tx, "device/vif/0/state", buf, sizeof(buf), &len);
		check_value(buf, sizeof(buf), len, rc);
		break;
	case 1:
		xs_read_u64(&xs, tx, "device/vbd/768/sectors", &v);
		break;
	case 2:
		xs_write(&xs, tx, "data/sluice/status", "ready", 5);
		break;
	case 3:
		xs_printf(&xs, tx, "device/vif/0/state", "%d", 4);
		break;
	case 4:
		rc = xs_directory(&xs, tx, "device/vif", buf, sizeof(buf), &count);
		if (rc == 0 && count > sizeof(buf))
			abort();
		break;
	case 5:
		if (xs_transaction_start(&xs, &tx) == 0)
			xs_transaction_end(&xs, tx, op & 0x40);
		break;
	case 6: {
		struct xs_watch *w = &watches[(op >> 4) % NWATCH];

		if (w->registered)
			xs_unwatch(&xs, w);
		else
			xs_watch(&xs, w);
		break;
	}
	case 7:
		xs_poll(&xs);
		xs_dispatch_watches(&xs);
		break;
	case 8:
		rc = xs_read_chunked(&xs, tx, "data/sluice/config", big, sizeof(big), &len);
		check_value(big, sizeof(big), len, rc);
		break;
	case 9:
		memset(big, 'r', XS_CHUNK_DATA * 2 + 5);
		xs_write_chunked(&xs, "data/sluice/stats", big, XS_CHUNK_DATA * 2 + 5);
		break;
	case 10: {
		static const char key[] = "data/sluice/result";
		struct xs_seg seg = {key, sizeof(key)};

		xs_async_send(&xs, (op & 0x40) ? XS_READ : XS_DIRECTORY, tx, &seg, 1);
		break;
	}
	case 11:
		xs_async_pump(&xs);
		rc = xs_async_take(&xs, &type, &reply, &rlen);
		if (rc == 1 && (reply[rlen] != '\0' || rlen > XENSTORE_PAYLOAD_MAX))
			abort();
		break;
	case 12:
		xs_async_cancel(&xs);
		break;
	case 13:
		pipeline(op);
		break;
	default:
		if (op & 0x40)
			xs_rm(&xs, tx, "data/sluice/old");
		else
			xs_mkdir(&xs, tx, "data/sluice");
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint32_t start = fz_u32(&f);

	/* Indices as a restored or kexec'd guest may find them: anywhere, even about to wrap. */
	memset(&ring, 0, sizeof(ring));
	ring.req_prod = ring.req_cons = ring.rsp_prod = ring.rsp_cons = start;
	script = &f;
	clock_ns = 1;
	req_got = out_len = 0;
	memset(&last, 0, sizeof(last));
	fired = 0;
	if (xs_init(&xs, &ring, &ops, NULL) != 0)
		abort();
	xs.timeout_ns = 5000000000ull;
	for (unsigned int i = 0; i < NWATCH; i++)
		watches[i] = (struct xs_watch){.path = wpaths[i], .fn = on_fire};
	for (unsigned int steps = 0; !fz_empty(&f) && steps < 256; steps++) {
		uint8_t op = fz_u8(&f);

		if ((op & 0x30) == 0x30) {
			clock_ns += 1000000;
			server_step();
			xs_poll(&xs);
			xs_dispatch_watches(&xs);
		} else {
			client_op(&f, op);
		}
	}
	return 0;
}
