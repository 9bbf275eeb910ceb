// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for kernel/lib/logring.c and kernel/lib/crc32.c, and for
 * tools/sluice-logread on images written with the same code.
 *
 * The writer model below does what kernel/logsink.c does with the pure
 * API (format a blank disk, scan, continue after the newest block, start a
 * block per flush), on an in-memory disk, so reboots, torn writes and
 * corruption can be staged exactly.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sluice/crc32.h"
#include "sluice/logring.h"

#define T0 1700000000123456789ULL /* 2023-11-14T22:13:20.123456789Z */

struct disk {
	uint8_t *data;
	size_t size;
};

struct writer {
	struct disk *d;
	struct logring_geom g;
	uint64_t seq, rec;
	uint32_t boot;
	bool filling;
	uint8_t blk[4096];
	struct logring_scan scan;
};

static struct disk disk;
static struct writer w;

static void disk_new(size_t size)
{
	free(disk.data);
	disk.data = calloc(1, size);
	disk.size = size;
	ck_assert_ptr_nonnull(disk.data);
}

static uint8_t *block(const struct logring_geom *g, uint64_t n)
{
	ck_assert_uint_le((n + 1) * g->block_size, disk.size);
	return disk.data + n * g->block_size;
}

static int disk_read(void *ctx, uint64_t n, void *buf)
{
	const struct logring_geom *g = ctx;

	memcpy(buf, block(g, n), g->block_size);
	return 0;
}

/* Boot: decode the header (formatting a blank disk), scan, resume. */
static int w_open(uint32_t bs, uint64_t ring_id)
{
	char err[128];
	int rc;

	memset(&w, 0, sizeof(w));
	w.d = &disk;
	rc = logring_header_decode(disk.data, bs, disk.size, &w.g, err, sizeof(err));
	if (rc == -ENODATA) {
		ck_assert_int_eq(logring_geom_init(&w.g, disk.size, bs, ring_id, T0), 0);
		logring_header_encode(&w.g, disk.data);
	} else if (rc < 0) {
		return rc;
	}
	logring_scan_init(&w.scan);
	for (uint64_t s = 1; s <= w.g.nblocks; s++)
		logring_scan_block(&w.scan, &w.g, s, block(&w.g, s));
	w.seq = w.scan.newest + 1;
	w.rec = w.scan.next_rec;
	w.boot = w.scan.last_boot + 1;
	return 0;
}

static void w_flush(void)
{
	if (!w.filling)
		return;
	logring_block_seal(&w.g, w.blk);
	memcpy(block(&w.g, logring_slot(&w.g, w.seq)), w.blk, w.g.block_size);
	w.filling = false;
	w.seq++;
}

static void w_log(const char *text)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!w.filling) {
			logring_block_start(&w.g, w.blk, w.seq, w.rec);
			w.filling = true;
		}
		if (logring_block_append(&w.g, w.blk, w.boot, T0 + w.rec, text, strlen(text),
					 false) == 0) {
			w.rec++;
			return;
		}
		w_flush();
	}
	ck_abort_msg("a record did not fit an empty block");
}

/* Everything a walk returns. */
#define MAXREC 4096
static struct {
	unsigned int n;
	uint64_t seq[MAXREC];
	uint32_t boot[MAXREC];
	char text[MAXREC][64];
} got;
static struct logring_scan st;

static int collect(void *arg, const struct logring_rec *r)
{
	(void)arg;
	ck_assert_uint_lt(got.n, MAXREC);
	got.seq[got.n] = r->seq;
	got.boot[got.n] = r->boot;
	snprintf(got.text[got.n], sizeof(got.text[0]), "%.*s", r->len, r->text);
	got.n++;
	return 0;
}

static void walk(void)
{
	static uint8_t buf[4096];

	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(logring_walk(&w.g, disk_read, &w.g, buf, collect, NULL, &st), 0);
	for (unsigned int i = 1; i < got.n; i++) /* oldest to newest, never repeated */
		ck_assert_uint_gt(got.seq[i], got.seq[i - 1]);
}

START_TEST(test_crc32)
{
	ck_assert_uint_eq(crc32_update(0, "123456789", 9), 0xcbf43926u); /* the check value */
	ck_assert_uint_eq(crc32_update(0, "", 0), 0);
	ck_assert_uint_eq(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
	ck_assert_uint_eq(crc32_update(0, "The quick brown fox jumps over the lazy dog", 43),
			  0x414fa339u);
}
END_TEST

START_TEST(test_geometry)
{
	struct logring_geom g;

	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 512, 1, 0), 0);
	ck_assert_uint_eq(g.nblocks, 2047);
	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 4096, 1, 0), 0);
	ck_assert_uint_eq(g.nblocks, 255);
	ck_assert_int_eq(logring_geom_init(&g, 1ULL << 40, 512, 1, 0), 0);
	ck_assert_uint_eq(g.nblocks, 65536); /* LOGRING_MAX_BYTES */
	ck_assert_int_eq(logring_geom_init(&g, 1ULL << 40, 4096, 1, 0), 0);
	ck_assert_uint_eq(g.nblocks, 8192);
	ck_assert_int_eq(logring_geom_init(&g, 3 * 512, 512, 1, 0), 0);
	ck_assert_uint_eq(g.nblocks, 2);
	ck_assert_int_eq(logring_geom_init(&g, 3 * 512 - 1, 512, 1, 0), -ENOSPC);
	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 1024, 1, 0), -EINVAL);
	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 0, 1, 0), -EINVAL);
	ck_assert_uint_eq(logring_slot(&g, 1), 1);
	ck_assert_uint_eq(logring_slot(&g, 2), 2);
	ck_assert_uint_eq(logring_slot(&g, 3), 1);
}
END_TEST

static int decode_hdr(const void *b, char *err)
{
	struct logring_geom g;

	return logring_header_decode(b, 512, 1 << 20, &g, err, 128);
}

START_TEST(test_header)
{
	struct logring_geom g, h;
	uint8_t b[4096];
	char err[128];

	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 512, 0x1122334455667788ULL, T0), 0);
	logring_header_encode(&g, b);
	ck_assert(memcmp(b, "SLUICLOG\1\0\0\0\0\2\0\0", 16) == 0); /* little-endian */
	ck_assert_int_eq(logring_header_decode(b, 512, 1 << 20, &h, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(h.block_size, 512);
	ck_assert_uint_eq(h.nblocks, 2047);
	ck_assert_uint_eq(h.ring_id, 0x1122334455667788ULL);
	ck_assert_uint_eq(h.created_ns, T0);
	/* The disk shrank under the header. */
	ck_assert_int_eq(logring_header_decode(b, 512, 1 << 19, &h, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err,
			 "invalid geometry: 2047 blocks of 512 bytes on a disk of 524288 bytes");
	ck_assert_int_eq(logring_header_decode(b, 100, 1 << 20, &h, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "header block too short");
	b[100] = 1;
	ck_assert_int_eq(decode_hdr(b, err), -EINVAL);
	ck_assert_str_eq(err, "header checksum mismatch");
	memset(b, 0, sizeof(b));
	ck_assert_int_eq(decode_hdr(b, err), -ENODATA);
	ck_assert_str_eq(err, "blank (all zero): not formatted");
	b[511] = 1;
	ck_assert_int_eq(decode_hdr(b, err), -EINVAL);
	ck_assert_str_eq(err, "not a Sluice log disk (no SLUICLOG magic)");
	memcpy(b,
	       "\x7f"
	       "ELF",
	       4);
	ck_assert_int_eq(decode_hdr(b, err), -EINVAL);
	ck_assert_str_eq(err, "not a Sluice log disk (no SLUICLOG magic)");
}
END_TEST

/* Header fields that pass the CRC but not the checks (re-sealed by hand). */
START_TEST(test_header_fields)
{
	struct logring_geom g;
	uint8_t b[512];
	char err[128];
	uint32_t crc;

	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 512, 7, 0), 0);
	logring_header_encode(&g, b);
	b[8] = 2; /* version */
	crc = crc32_update(0, b, 508);
	memcpy(b + 508, &crc, 4); /* the test host is little-endian, as x86 is */
	ck_assert_int_eq(decode_hdr(b, err), -EINVAL);
	ck_assert_str_eq(err, "unsupported format version 2");
	b[8] = 1;
	b[13] = 4; /* block size 1024 */
	crc = crc32_update(0, b, 508);
	memcpy(b + 508, &crc, 4);
	ck_assert_int_eq(decode_hdr(b, err), -EINVAL);
	ck_assert_str_eq(err, "invalid block size 1024");
	b[13] = 2;
	memset(b + 16, 0xff, 8); /* nblocks 2^64 - 1: no overflow in the size check */
	crc = crc32_update(0, b, 508);
	memcpy(b + 508, &crc, 4);
	ck_assert_int_eq(decode_hdr(b, err), -EINVAL);
	ck_assert_str_eq(err, "invalid geometry: 18446744073709551615 blocks of 512 bytes on a "
			      "disk of 1048576 bytes");
	ck_assert_int_eq(logring_header_decode(b, 512, 1 << 20, &g, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_block)
{
	struct logring_geom g;
	struct logring_blk in;
	struct logring_rec r;
	uint8_t b[512], c[512];
	char big[600];
	unsigned int n = 0;
	size_t pos = 0;

	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 512, 99, 0), 0);
	logring_block_start(&g, b, 5, 100);
	while (logring_block_append(&g, b, 3, T0, "0123456789", 10, false) == 0)
		n++;
	ck_assert_uint_eq(n, (512 - 40) / (16 + 10)); /* 18 */
	ck_assert_uint_eq(logring_block_nrec(b), n);
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 5, &in), 0);
	ck_assert_uint_eq(in.seq, 5);
	ck_assert_uint_eq(in.first_rec, 100);
	ck_assert_uint_eq(in.nrec, n);
	for (unsigned int i = 0; i < n; i++) {
		ck_assert_int_eq(logring_block_record(&g, b, &in, i, &pos, &r), 0);
		ck_assert_uint_eq(r.seq, 100 + i);
		ck_assert_uint_eq(r.boot, 3);
		ck_assert_uint_eq(r.time_ns, T0);
		ck_assert(!r.truncated);
		ck_assert_uint_eq(r.len, 10);
		ck_assert(memcmp(r.text, "0123456789", 10) == 0);
	}
	ck_assert_int_eq(logring_block_record(&g, b, &in, n, &pos, &r), -EBADMSG);
	/* Wrong slot, wrong ring: intact but not ours. */
	ck_assert_int_eq(logring_block_decode(&g, b, 6, &in), -ESTALE);
	g.ring_id = 98;
	ck_assert_int_eq(logring_block_decode(&g, b, 5, &in), -ESTALE);
	g.ring_id = 99;
	/* Any flipped bit is caught. */
	for (size_t i = 0; i < sizeof(b); i += 7) {
		memcpy(c, b, sizeof(b));
		c[i] ^= 0x10;
		ck_assert_int_lt(logring_block_decode(&g, c, 5, &in), 0);
	}
	memset(c, 0, sizeof(c));
	ck_assert_int_eq(logring_block_decode(&g, c, 5, &in), -ENODATA);
	c[300] = 1;
	ck_assert_int_eq(logring_block_decode(&g, c, 5, &in), -EBADMSG);
	/* Long text is cut to LOGRING_TEXT_MAX and flagged; it still fits an empty block. */
	memset(big, 'x', sizeof(big));
	logring_block_start(&g, b, 5, 1);
	ck_assert_int_eq(logring_block_append(&g, b, 1, 0, big, sizeof(big), false), 0);
	ck_assert_int_eq(logring_block_append(&g, b, 1, 0, "", 0, false), -ENOSPC);
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 5, &in), 0);
	pos = 0;
	ck_assert_int_eq(logring_block_record(&g, b, &in, 0, &pos, &r), 0);
	ck_assert_uint_eq(r.len, LOGRING_TEXT_MAX);
	ck_assert(r.truncated);
}
END_TEST

/* A correct CRC does not make a nonsensical layout acceptable. */
START_TEST(test_block_layout)
{
	struct logring_geom g;
	struct logring_blk in;
	uint8_t b[512];

	ck_assert_int_eq(logring_geom_init(&g, 1 << 20, 512, 99, 0), 0);
	logring_block_start(&g, b, 1, 1);
	ck_assert_int_eq(logring_block_append(&g, b, 1, 0, "abc", 3, false), 0);
	b[32] = 2; /* nrec says 2, one record present */
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 1, &in), -EBADMSG);
	b[32] = 1;
	b[34] = 200; /* used beyond the records */
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 1, &in), -EBADMSG);
	b[34] = 19;
	b[35] = 0xff; /* used beyond the block */
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 1, &in), -EBADMSG);
	b[35] = 0;
	b[40] = 0xff; /* record length beyond used */
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 1, &in), -EBADMSG);
	b[40] = 3;
	b[36] = 1; /* reserved */
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 1, &in), -EBADMSG);
	b[36] = 0;
	memset(b + 24, 0, 8); /* record numbers start at 1 */
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 1, &in), -EBADMSG);
	b[24] = 1;
	logring_block_seal(&g, b);
	ck_assert_int_eq(logring_block_decode(&g, b, 1, &in), 0);
}
END_TEST

START_TEST(test_append_and_read)
{
	char text[32];

	disk_new(1 << 20);
	ck_assert_int_eq(w_open(512, 42), 0);
	ck_assert_uint_eq(w.seq, 1);
	ck_assert_uint_eq(w.rec, 1);
	ck_assert_uint_eq(w.boot, 1);
	for (int i = 0; i < 100; i++) {
		snprintf(text, sizeof(text), "record %d", i);
		w_log(text);
	}
	w_flush();
	walk();
	ck_assert_uint_eq(got.n, 100);
	for (unsigned int i = 0; i < 100; i++) {
		snprintf(text, sizeof(text), "record %u", i);
		ck_assert_str_eq(got.text[i], text);
		ck_assert_uint_eq(got.seq[i], i + 1);
		ck_assert_uint_eq(got.boot[i], 1);
	}
	ck_assert_uint_eq(st.valid, w.seq - 1);
	ck_assert_uint_eq(st.corrupt, 0);
	/* Records not yet flushed are not on the disk. */
	w_log("pending");
	walk();
	ck_assert_uint_eq(got.n, 100);
}
END_TEST

START_TEST(test_reboot)
{
	disk_new(64 * 512);
	ck_assert_int_eq(w_open(512, 42), 0);
	w_log("boot one a");
	w_log("boot one b");
	w_flush();
	w_log("boot one c"); /* a second, partial block: flushed blocks are final */
	w_flush();
	ck_assert_int_eq(w_open(512, 43), 0); /* the ring id is kept: not reformatted */
	ck_assert_uint_eq(w.g.ring_id, 42);
	ck_assert_uint_eq(w.seq, 3);
	ck_assert_uint_eq(w.rec, 4);
	ck_assert_uint_eq(w.boot, 2);
	w_log("boot two a");
	w_flush();
	ck_assert_int_eq(w_open(512, 44), 0);
	ck_assert_uint_eq(w.boot, 3);
	w_log("boot three a");
	w_flush();
	walk();
	ck_assert_uint_eq(got.n, 5);
	ck_assert_str_eq(got.text[0], "boot one a");
	ck_assert_str_eq(got.text[2], "boot one c");
	ck_assert_str_eq(got.text[3], "boot two a");
	ck_assert_str_eq(got.text[4], "boot three a");
	ck_assert_uint_eq(got.seq[4], 5);
	ck_assert_uint_eq(got.boot[2], 1);
	ck_assert_uint_eq(got.boot[3], 2);
	ck_assert_uint_eq(got.boot[4], 3);
}
END_TEST

START_TEST(test_wraparound)
{
	char text[32];

	disk_new(9 * 512); /* 8 slots */
	ck_assert_int_eq(w_open(512, 1), 0);
	ck_assert_uint_eq(w.g.nblocks, 8);
	for (int i = 1; i <= 100; i++) { /* one record per block: 100 blocks */
		snprintf(text, sizeof(text), "r%d", i);
		w_log(text);
		w_flush();
	}
	walk();
	ck_assert_uint_eq(got.n, 8);
	for (unsigned int i = 0; i < 8; i++) {
		snprintf(text, sizeof(text), "r%u", 93 + i);
		ck_assert_str_eq(got.text[i], text);
		ck_assert_uint_eq(got.seq[i], 93 + i);
	}
	ck_assert_uint_eq(st.newest, 100);
	/* After a reboot the writer continues where it stopped, in the right slot. */
	ck_assert_int_eq(w_open(512, 1), 0);
	ck_assert_uint_eq(w.seq, 101);
	ck_assert_uint_eq(logring_slot(&w.g, w.seq), 5);
	w_log("after");
	w_flush();
	walk();
	ck_assert_uint_eq(got.n, 8);
	ck_assert_str_eq(got.text[0], "r94");
	ck_assert_str_eq(got.text[7], "after");
	ck_assert_uint_eq(got.seq[7], 101);
	ck_assert_uint_eq(got.boot[7], 2);
}
END_TEST

START_TEST(test_torn_newest)
{
	uint8_t *slot;

	disk_new(64 * 512);
	ck_assert_int_eq(w_open(512, 5), 0);
	for (int i = 0; i < 40; i++)
		w_log("a fairly long record so that blocks fill up quickly ........");
	w_flush();
	walk();
	ck_assert_uint_eq(got.n, 40);
	/* The newest block was being written when power went: its second half is old. */
	slot = block(&w.g, logring_slot(&w.g, w.seq - 1));
	memset(slot + 256, 0, 256);
	walk();
	ck_assert_uint_eq(st.corrupt, 1);
	ck_assert_uint_eq(st.newest, w.seq - 2);
	ck_assert_uint_lt(got.n, 40);
	ck_assert_uint_eq(got.seq[got.n - 1], got.n); /* everything before it survives */
	/* Reboot: the torn block is overwritten, numbering continues after the survivors. */
	ck_assert_int_eq(w_open(512, 5), 0);
	ck_assert_uint_eq(w.seq, st.newest + 1);
	ck_assert_uint_eq(w.rec, got.n + 1);
	w_log("after the crash");
	w_flush();
	ck_assert_uint_eq(st.newest + 1, w.seq - 1);
	walk();
	ck_assert_uint_eq(st.corrupt, 0);
	ck_assert_str_eq(got.text[got.n - 1], "after the crash");
	ck_assert_uint_eq(got.boot[got.n - 1], 2);
}
END_TEST

START_TEST(test_corrupt_middle)
{
	char text[32];
	unsigned int lost;

	disk_new(64 * 512);
	ck_assert_int_eq(w_open(512, 5), 0);
	for (int i = 0; i < 30; i++) {
		snprintf(text, sizeof(text), "r%d", i);
		w_log(text);
		if (i % 3 == 2)
			w_flush(); /* 10 blocks of 3 records */
	}
	block(&w.g, 4)[100] ^= 0x01; /* block 4: records 10..12 */
	walk();
	ck_assert_uint_eq(st.corrupt, 1);
	ck_assert_uint_eq(st.valid, 9);
	ck_assert_uint_eq(got.n, 27);
	lost = 0;
	for (unsigned int i = 0; i < got.n; i++) {
		if (got.seq[i] != i + 1 + lost)
			lost = (unsigned int)got.seq[i] - i - 1;
		snprintf(text, sizeof(text), "r%llu", (unsigned long long)got.seq[i] - 1);
		ck_assert_str_eq(got.text[i], text);
	}
	ck_assert_uint_eq(lost, 3);
	ck_assert_str_eq(got.text[9], "r12");
	/* The writer is not confused by a hole in the middle either. */
	ck_assert_int_eq(w_open(512, 5), 0);
	ck_assert_uint_eq(w.seq, 11);
	ck_assert_uint_eq(w.rec, 31);
}
END_TEST

/*
 * Writes complete out of order: block 7 reached the disk, block 6 did not,
 * so block 6's slot still holds block 2, which is older than the window and
 * must not appear among the newer records.
 */
START_TEST(test_lost_write)
{
	uint8_t saved[512];
	char text[8];

	disk_new(5 * 512); /* 4 slots */
	ck_assert_int_eq(w_open(512, 5), 0);
	for (int i = 1; i <= 7; i++) {
		if (i == 6)
			memcpy(saved, block(&w.g, logring_slot(&w.g, 6)), 512);
		snprintf(text, sizeof(text), "s%d", i);
		w_log(text);
		w_flush();
	}
	memcpy(block(&w.g, logring_slot(&w.g, 6)), saved, 512);
	walk();
	ck_assert_uint_eq(st.newest, 7);
	ck_assert_uint_eq(st.valid, 4);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_str_eq(got.text[0], "s4");
	ck_assert_str_eq(got.text[1], "s5");
	ck_assert_str_eq(got.text[2], "s7");
	ck_assert_int_eq(w_open(512, 5), 0);
	ck_assert_uint_eq(w.seq, 8);
	ck_assert_uint_eq(w.rec, 8);
}
END_TEST

START_TEST(test_reformat_ignores_old_blocks)
{
	disk_new(32 * 512);
	ck_assert_int_eq(w_open(512, 1), 0);
	for (int i = 0; i < 50; i++)
		w_log("old ring");
	w_flush();
	memset(disk.data, 0, 512); /* the administrator wiped the header */
	ck_assert_int_eq(w_open(512, 2), 0);
	ck_assert_uint_eq(w.g.ring_id, 2);
	ck_assert_uint_eq(w.seq, 1);
	ck_assert_uint_eq(w.scan.foreign, 3);
	w_log("new ring");
	w_flush();
	walk();
	ck_assert_uint_eq(got.n, 1);
	ck_assert_str_eq(got.text[0], "new ring");
	ck_assert_uint_eq(st.foreign, 2); /* block 1 was overwritten */
}
END_TEST

START_TEST(test_not_a_log_disk)
{
	disk_new(32 * 512);
	memcpy(disk.data + 510, "\x55\xaa", 2); /* an MBR, say */
	ck_assert_int_eq(w_open(512, 1), -EINVAL);
	/* 4096-byte blocks: the whole first block must be blank. */
	disk_new(32 * 4096);
	disk.data[4000] = 1;
	ck_assert_int_eq(w_open(4096, 1), -EINVAL);
}
END_TEST

/* 64-bit sequence numbers: huge values work across a wrap of the slots. */
START_TEST(test_large_sequence)
{
	disk_new(9 * 512);
	ck_assert_int_eq(w_open(512, 9), 0);
	w.seq = (1ULL << 63) - 3;
	w.rec = (1ULL << 63) + 1000;
	for (int i = 0; i < 12; i++) {
		w_log("x");
		w_log("y");
		w_flush();
	}
	walk();
	ck_assert_uint_eq(got.n, 16);
	ck_assert_uint_eq(st.newest, (1ULL << 63) + 8);
	ck_assert_uint_eq(got.seq[0], (1ULL << 63) + 1000 + 8);
	ck_assert_uint_eq(got.seq[15], (1ULL << 63) + 1000 + 23);
	ck_assert_int_eq(w_open(512, 9), 0);
	ck_assert_uint_eq(w.seq, (1ULL << 63) + 9);
	ck_assert_uint_eq(w.rec, (1ULL << 63) + 1000 + 24);
}
END_TEST

START_TEST(test_4096_blocks)
{
	char text[32];

	disk_new(64 * 4096);
	ck_assert_int_eq(w_open(4096, 3), 0);
	ck_assert_uint_eq(w.g.block_size, 4096);
	ck_assert_uint_eq(w.g.nblocks, 63);
	for (int i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		w_log(text);
	}
	w_flush();
	ck_assert_int_eq(w_open(4096, 3), 0);
	w_log("second boot");
	w_flush();
	walk();
	ck_assert_uint_eq(got.n, 1001);
	ck_assert_str_eq(got.text[999], "line 999");
	ck_assert_uint_eq(got.boot[1000], 2);
}
END_TEST

/* Fails the read number *ctx (counting down). */
static int fail_read(void *ctx, uint64_t n, void *buf)
{
	uint64_t *left = ctx;

	return (*left)-- == 1 ? -EIO : disk_read(&w.g, n, buf);
}

static int stop_at_two(void *arg, const struct logring_rec *r)
{
	(void)arg;
	return r->seq == 2 ? 42 : 0;
}

/* An empty ring, a failing reader, and an emitter that stops the walk. */
START_TEST(test_walk_edges)
{
	static uint8_t buf[512];
	uint64_t bad;

	disk_new(32 * 512);
	ck_assert_int_eq(w_open(512, 1), 0);
	walk();
	ck_assert_uint_eq(got.n, 0);
	ck_assert_uint_eq(st.newest, 0);
	ck_assert_uint_eq(st.empty, 31);
	memset(&got, 0, sizeof(got));
	for (int i = 0; i < 3; i++) {
		w_log("r");
		w_flush();
	}
	bad = 7; /* in the scan */
	ck_assert_int_eq(logring_walk(&w.g, fail_read, &bad, buf, collect, NULL, &st), -EIO);
	bad = 31 + 2; /* in the ordered pass */
	ck_assert_int_eq(logring_walk(&w.g, fail_read, &bad, buf, collect, NULL, &st), -EIO);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_int_eq(logring_walk(&w.g, disk_read, &w.g, buf, stop_at_two, NULL, &st), 42);
}
END_TEST

/* Random damage never crashes the reader, and what it returns stays ordered. */
START_TEST(test_fuzz)
{
	static uint8_t good[17 * 512];
	uint32_t x = 7;

	disk_new(sizeof(good));
	ck_assert_int_eq(w_open(512, 11), 0);
	for (int i = 0; i < 300; i++)
		w_log(i % 7 ? "short" : "a somewhat longer record for variety's sake");
	w_flush();
	memcpy(good, disk.data, sizeof(good));
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(disk.data, good, sizeof(good));
		for (int f = 0; f < 1 + iter % 8; f++) {
			x = x * 1103515245 + 12345;
			disk.data[512 + (x >> 8) % (sizeof(good) - 512)] = (uint8_t)(x >> 24);
		}
		walk();
		ck_assert_uint_le(got.n, 300);
		if (iter % 100 == 0)
			ck_assert_int_eq(w_open(512, 11), 0);
	}
}
END_TEST

/* ------------------------------------------------------ sluice-logread */

static char image[64];

static void write_image(void)
{
	FILE *f = fopen(image, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(disk.data, 1, disk.size, f), disk.size);
	fclose(f);
}

/* Run the tool with @args on the image; returns its exit status and output. */
static int logread(const char *args, char *out, size_t outlen)
{
	const char *top = getenv("top_builddir");
	char cmd[512];
	size_t n;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s/tools/sluice-logread %s %s 2>&1", top ? top : ".", args,
		 image);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	status = pclose(p);
	ck_assert_msg(WIFEXITED(status), "%s", cmd);
	ck_assert_msg(WEXITSTATUS(status) != 127, "%s: not found (run `make` first)", cmd);
	return WEXITSTATUS(status);
}

static void logread_image(void)
{
	struct logring_geom *g = &w.g;

	disk_new(32 * 512);
	ck_assert_int_eq(w_open(512, 0xabcdef), 0);
	w_log("first");
	w_log("tab\there \x1b[31m back\\slash \"quoted\"");
	w_flush();
	ck_assert_int_eq(w_open(512, 0xabcdef), 0);
	w_log("second boot");
	/* A record without a clock reading, and a truncated one. */
	ck_assert_int_eq(logring_block_append(g, w.blk, w.boot, 0, "no clock", 8, false), 0);
	ck_assert_int_eq(logring_block_append(g, w.blk, w.boot, T0 + 5, "cut", 3, true), 0);
	w.rec += 2;
	w_flush();
	write_image();
}

START_TEST(test_logread_text)
{
	static char out[8192];

	snprintf(image, sizeof(image), "/tmp/test_logring.%d.img", (int)getpid());
	logread_image();
	ck_assert_int_eq(logread("", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "#1 boot=1 2023-11-14T22:13:20.123456790Z first\n"
			      "#2 boot=1 2023-11-14T22:13:20.123456791Z tab\\x09here \\x1b[31m "
			      "back\\\\slash \"quoted\"\n"
			      "#3 boot=2 2023-11-14T22:13:20.123456792Z second boot\n"
			      "#4 boot=2 - no clock\n"
			      "#5 boot=2 2023-11-14T22:13:20.123456794Z cut [truncated]\n");
	ck_assert_int_eq(logread("-n 2", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "#4 boot=2 - no clock\n"
			      "#5 boot=2 2023-11-14T22:13:20.123456794Z cut [truncated]\n");
	ck_assert_int_eq(logread("--lines=10 --since=3", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "#3 boot=2 2023-11-14T22:13:20.123456792Z second boot\n"
			      "#4 boot=2 - no clock\n"
			      "#5 boot=2 2023-11-14T22:13:20.123456794Z cut [truncated]\n");
	ck_assert_int_eq(logread("-s 4 -n 1 --json", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{\"seq\":5,\"boot\":2,\"time_ns\":1700000000123456794,"
			      "\"truncated\":true,\"text\":\"cut\"}\n");
	ck_assert_int_eq(logread("-j -n 4", out, sizeof(out)), 0);
	ck_assert(strstr(out, "{\"seq\":2,\"boot\":1,\"time_ns\":1700000000123456791,\"truncated\":"
			      "false,\"text\":\"tab\\there \\u001b[31m back\\\\slash "
			      "\\\"quoted\\\"\"}\n") == out);
	ck_assert_int_eq(logread("-s 99", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	unlink(image);
}
END_TEST

START_TEST(test_logread_damage_and_errors)
{
	static char out[8192];

	snprintf(image, sizeof(image), "/tmp/test_logring.%d.img", (int)getpid());
	logread_image();
	disk.data[512 + 100] ^= 1; /* block 1: records 1 and 2 */
	write_image();
	ck_assert_int_eq(logread("-n 1", out, sizeof(out)), 0);
	ck_assert(strstr(out, "#5 boot=2 "));
	ck_assert(strstr(out, "skipped 1 corrupt block(s)\n"));
	ck_assert_int_eq(logread("-v -n 0 -s 99", out, sizeof(out)), 0);
	ck_assert(strstr(out, ": ring 0000000000abcdef, 31 blocks of 512 bytes, formatted "
			      "2023-11-14T22:13:20.123456789Z\n"));
	ck_assert(strstr(out, "blocks: 1 valid, 29 never written, 1 corrupt, 0 stale; newest "
			      "block #2, next record #6\n"));
	memset(disk.data, 0, disk.size);
	write_image();
	ck_assert_int_eq(logread("", out, sizeof(out)), 1);
	ck_assert(strstr(out, ": blank (all zero): not formatted\n"));
	disk.data[3] = 'x';
	write_image();
	ck_assert_int_eq(logread("", out, sizeof(out)), 1);
	ck_assert(strstr(out, ": not a Sluice log disk (no SLUICLOG magic)\n"));
	ck_assert_int_eq(logread("-n x", out, sizeof(out)), 2);
	ck_assert(strstr(out, "-n: 'x' is not a number\n"));
	ck_assert_int_eq(logread("--bogus", out, sizeof(out)), 2);
	ck_assert_int_eq(logread("--help", out, sizeof(out)), 0);
	ck_assert(strstr(out, "Usage: sluice-logread"));
	unlink(image);
	ck_assert_int_eq(logread("", out, sizeof(out)), 3);
	/* An image cut short: the header promises blocks that are not there. */
	disk_new(32 * 512);
	ck_assert_int_eq(w_open(512, 1), 0);
	disk.size = 10 * 512;
	write_image();
	ck_assert_int_eq(logread("", out, sizeof(out)), 1);
	ck_assert(strstr(out, "invalid geometry: 31 blocks of 512 bytes on a disk of 5120 bytes"));
	unlink(image);
}
END_TEST

static Suite *logring_suite(void)
{
	Suite *s = suite_create("logring");
	TCase *tf = tcase_create("format");
	TCase *tr = tcase_create("ring");
	TCase *tt = tcase_create("logread");

	tcase_add_test(tf, test_crc32);
	tcase_add_test(tf, test_geometry);
	tcase_add_test(tf, test_header);
	tcase_add_test(tf, test_header_fields);
	tcase_add_test(tf, test_block);
	tcase_add_test(tf, test_block_layout);
	suite_add_tcase(s, tf);
	tcase_set_timeout(tr, 60);
	tcase_add_test(tr, test_append_and_read);
	tcase_add_test(tr, test_reboot);
	tcase_add_test(tr, test_wraparound);
	tcase_add_test(tr, test_torn_newest);
	tcase_add_test(tr, test_corrupt_middle);
	tcase_add_test(tr, test_lost_write);
	tcase_add_test(tr, test_reformat_ignores_old_blocks);
	tcase_add_test(tr, test_not_a_log_disk);
	tcase_add_test(tr, test_large_sequence);
	tcase_add_test(tr, test_4096_blocks);
	tcase_add_test(tr, test_walk_edges);
	tcase_add_test(tr, test_fuzz);
	suite_add_tcase(s, tr);
	tcase_set_timeout(tt, 60);
	tcase_add_test(tt, test_logread_text);
	tcase_add_test(tt, test_logread_damage_and_errors);
	suite_add_tcase(s, tt);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(logring_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
