// SPDX-License-Identifier: BSD-2-Clause
/*
 * The host-channel protocol server and key store (kernel/lib/hcproto.c,
 * kernel/lib/hcstore.c): the control port's byte stream comes from the
 * host, which a network function must not trust. The input is a script:
 *
 *   0 raw bytes      u16 length and the bytes, fed to hcp_input as they come
 *   1 framed request type, id, tx (small), payload: a valid header around
 *                    fuzzed payload, to get past framing into each request
 *   2 drain output   up to a fuzzed capacity, checking every frame sent
 *   3 appliance write a key from a small pool (fires the host's watches)
 *   4 reconnect      hcp_reset
 *
 * Everything the server sends must be well-framed: magic, version, a known
 * type, a length within HCP_PAYLOAD_MAX. Small quotas make the store's
 * limits reachable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/hcproto.h"
#include "sluice/hcstore.h"

static struct hcp_conn conn;
static struct hcs_store store;

/* Output is parsed as a stream: frames may be split across drains (a partial one plus a drain). */
static uint8_t obuf[HCP_FRAME_MAX + HCP_OUT_CAP];
static size_t olen;

static void on_change(void *ctx, const char *key)
{
	(void)ctx;
	hcp_changed(&conn, key);
}

static void check_output(const uint8_t *p, size_t n)
{
	if (n > sizeof(obuf) - olen) {
		fprintf(stderr, "%zu bytes of a frame pending and %zu more\n", olen, n);
		abort(); /* a frame longer than HCP_FRAME_MAX, or output beyond HCP_OUT_CAP */
	}
	memcpy(obuf + olen, p, n);
	olen += n;
	while (olen >= HCP_HDR_LEN) {
		struct hcp_hdr h;
		size_t fl;

		memcpy(&h, obuf, sizeof(h));
		if (h.magic != HCP_MAGIC || h.version != HCP_VERSION || h.len > HCP_PAYLOAD_MAX ||
		    (h.type != HCP_REPLY && h.type != HCP_ERROR && h.type != HCP_EVENT)) {
			fprintf(stderr, "bad frame: magic %#x version %u type %#x len %u\n",
				h.magic, h.version, h.type, h.len);
			abort();
		}
		fl = HCP_HDR_LEN + h.len;
		if (olen < fl)
			break;
		memmove(obuf, obuf + fl, olen - fl);
		olen -= fl;
	}
}

static void drain(size_t cap)
{
	static uint8_t buf[HCP_OUT_CAP];
	size_t n;

	if (cap == 0 || cap > sizeof(buf))
		cap = sizeof(buf);
	while ((n = hcp_output(&conn, buf, cap)) > 0) {
		if (n > cap)
			abort();
		check_output(buf, n);
	}
	if (hcp_has_output(&conn) && cap >= HCP_FRAME_MAX)
		abort(); /* said it had output, then gave none */
}

/* Feed everything, draining whenever the server pushes back. */
static void feed(const uint8_t *p, size_t n)
{
	unsigned int stalls = 0;

	while (n > 0) {
		size_t k = hcp_input(&conn, p, n);

		if (k > n)
			abort();
		if (k == 0) {
			if (++stalls > 2)
				abort(); /* no progress even with the output drained */
			drain(0);
			continue;
		}
		stalls = 0;
		p += k;
		n -= k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"status", "config", "config/gen", "stats/0", "a/b/c"};
	struct fz f = {data, size};
	uint8_t frame[HCP_FRAME_MAX];

	hcs_init(&store, 24, 8192);
	store.changed = on_change;
	hcp_init(&conn, &store);
	olen = 0;
	for (unsigned int steps = 0; !fz_empty(&f) && steps < 512; steps++) {
		uint8_t op = fz_u8(&f);

		switch (op % 5) {
		case 0: {
			const uint8_t *p;
			size_t n = fz_take(&f, fz_u16(&f), &p);

			feed(p, n);
			break;
		}
		case 1: {
			struct hcp_hdr h = {.magic = HCP_MAGIC, .version = HCP_VERSION};
			size_t n;

			h.type = (uint8_t)(1 + (op >> 3) % 9);
			h.id = fz_u8(&f);
			h.tx = (op & 0x80) ? fz_u8(&f) % 4 : 0;
			n = fz_chunk(&f, frame + HCP_HDR_LEN, HCP_PAYLOAD_MAX);
			h.len = (uint32_t)n;
			memcpy(frame, &h, sizeof(h));
			feed(frame, HCP_HDR_LEN + n);
			break;
		}
		case 2:
			drain(fz_u16(&f));
			break;
		case 3: {
			const char *k = keys[(op >> 3) % 5];
			char val[16];
			struct hcs_op o = {.kind = (op & 0x80) ? HCS_RM : HCS_WRITE, .key = k};

			snprintf(val, sizeof(val), "%u", fz_u8(&f));
			o.val = val;
			o.len = strlen(val);
			hcs_apply(&store, &o, 1);
			break;
		}
		default:
			hcp_reset(&conn);
			olen = 0;
			break;
		}
		if (store.n > store.max_entries || store.bytes > store.max_bytes)
			abort();
	}
	drain(0);
	hcp_reset(&conn);
	hcs_fini(&store);
	return 0;
}
