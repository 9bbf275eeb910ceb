// SPDX-License-Identifier: BSD-2-Clause
/*
 * Log ring format: encoding, validation and recovery (the format itself is
 * described in include/sluice/logring.h).
 *
 * Trust: the reader (the kernel at boot, sluice-logread on the host) takes
 * the disk as untrusted. Every block is checked as a whole before any
 * field of it is used: magic, CRC, ring id, slot, and a record layout that
 * adds up exactly to the recorded `used` and `nrec`. A block that fails
 * any check contributes nothing. Integers are encoded byte by byte, so the
 * format does not depend on the host's endianness or alignment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/crc32.h"
#include "sluice/logring.h"

#define MIN_U64(a, b) ((uint64_t)(a) < (uint64_t)(b) ? (uint64_t)(a) : (uint64_t)(b))

/* Header fields. */
#define H_VERSION 8
#define H_BLOCK_SIZE 12
#define H_NBLOCKS 16
#define H_RING_ID 24
#define H_CREATED 32
#define H_CRC 508

/* Data block fields. */
#define B_MAGIC 0
#define B_CRC 4
#define B_RING_ID 8
#define B_SEQ 16
#define B_FIRST_REC 24
#define B_NREC 32
#define B_USED 34
#define B_RESERVED 36

/* Record fields, relative to the record. */
#define R_LEN 0
#define R_FLAGS 2
#define R_BOOT 4
#define R_TIME 8

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static bool block_size_ok(uint32_t bs)
{
	return bs == 512 || bs == 4096;
}

static int gerr(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int gerr(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int logring_geom_init(struct logring_geom *g, uint64_t disk_bytes, uint32_t block_size,
		      uint64_t ring_id, uint64_t created_ns)
{
	uint64_t blocks;

	if (!block_size_ok(block_size))
		return -EINVAL;
	blocks = disk_bytes / block_size;
	if (blocks < 3)
		return -ENOSPC;
	g->block_size = block_size;
	g->nblocks = MIN_U64(blocks - 1, LOGRING_MAX_BYTES / block_size);
	g->ring_id = ring_id;
	g->created_ns = created_ns;
	return 0;
}

void logring_header_encode(const struct logring_geom *g, void *blk)
{
	uint8_t *b = blk;

	memset(b, 0, g->block_size);
	memcpy(b, LOGRING_MAGIC, 8);
	put32(b + H_VERSION, LOGRING_VERSION);
	put32(b + H_BLOCK_SIZE, g->block_size);
	put64(b + H_NBLOCKS, g->nblocks);
	put64(b + H_RING_ID, g->ring_id);
	put64(b + H_CREATED, g->created_ns);
	put32(b + H_CRC, crc32_update(0, b, H_CRC));
}

int logring_header_decode(const void *blk, size_t len, uint64_t disk_bytes, struct logring_geom *g,
			  char *err, size_t errlen)
{
	const uint8_t *b = blk;
	uint32_t version, bs;
	uint64_t n;

	if (err && errlen > 0)
		err[0] = '\0';
	if (len < LOGRING_HDR_BYTES)
		return gerr(-EINVAL, err, errlen, "header block too short");
	if (all_zero(b, len))
		return gerr(-ENODATA, err, errlen, "blank (all zero): not formatted");
	if (memcmp(b, LOGRING_MAGIC, 8) != 0)
		return gerr(-EINVAL, err, errlen, "not a Sluice log disk (no SLUICLOG magic)");
	if (get32(b + H_CRC) != crc32_update(0, b, H_CRC))
		return gerr(-EINVAL, err, errlen, "header checksum mismatch");
	version = get32(b + H_VERSION);
	if (version != LOGRING_VERSION)
		return gerr(-EINVAL, err, errlen, "unsupported format version %u", version);
	bs = get32(b + H_BLOCK_SIZE);
	n = get64(b + H_NBLOCKS);
	if (!block_size_ok(bs))
		return gerr(-EINVAL, err, errlen, "invalid block size %u", bs);
	/* Bounded before the multiplication, so the size check cannot overflow. */
	if (n < 2 || n > LOGRING_MAX_BYTES / bs || (n + 1) * bs > disk_bytes)
		return gerr(-EINVAL, err, errlen,
			    "invalid geometry: %llu blocks of %u bytes on a disk of %llu bytes",
			    (unsigned long long)n, bs, (unsigned long long)disk_bytes);
	g->block_size = bs;
	g->nblocks = n;
	g->ring_id = get64(b + H_RING_ID);
	g->created_ns = get64(b + H_CREATED);
	return 0;
}

uint64_t logring_slot(const struct logring_geom *g, uint64_t seq)
{
	return 1 + (seq - 1) % g->nblocks;
}

void logring_block_start(const struct logring_geom *g, void *blk, uint64_t seq, uint64_t first_rec)
{
	uint8_t *b = blk;

	memset(b, 0, g->block_size);
	put32(b + B_MAGIC, LOGRING_BLOCK_MAGIC);
	put64(b + B_RING_ID, g->ring_id);
	put64(b + B_SEQ, seq);
	put64(b + B_FIRST_REC, first_rec);
}

int logring_block_append(const struct logring_geom *g, void *blk, uint32_t boot, uint64_t time_ns,
			 const char *text, size_t len, bool truncated)
{
	uint8_t *b = blk, *r;
	uint16_t used = get16(b + B_USED);
	size_t need;

	if (len > LOGRING_TEXT_MAX) {
		len = LOGRING_TEXT_MAX;
		truncated = true;
	}
	need = LOGRING_REC_HDR + len;
	if (need > g->block_size - LOGRING_BLK_HDR - used)
		return -ENOSPC;
	r = b + LOGRING_BLK_HDR + used;
	put16(r + R_LEN, (uint16_t)len);
	r[R_FLAGS] = truncated ? LOGRING_REC_TRUNCATED : 0;
	put32(r + R_BOOT, boot);
	put64(r + R_TIME, time_ns);
	memcpy(r + LOGRING_REC_HDR, text, len);
	put16(b + B_USED, (uint16_t)(used + need));
	put16(b + B_NREC, (uint16_t)(get16(b + B_NREC) + 1));
	return 0;
}

unsigned int logring_block_nrec(const void *blk)
{
	return get16((const uint8_t *)blk + B_NREC);
}

static uint32_t block_crc(const struct logring_geom *g, const uint8_t *b)
{
	static const uint8_t zero[4];
	uint32_t crc = crc32_update(0, b, B_CRC);

	crc = crc32_update(crc, zero, 4);
	return crc32_update(crc, b + B_CRC + 4, g->block_size - B_CRC - 4);
}

void logring_block_seal(const struct logring_geom *g, void *blk)
{
	put32((uint8_t *)blk + B_CRC, block_crc(g, blk));
}

/* Walk the records: their sizes must add up to `used` exactly, nrec of them. */
static bool records_ok(const struct logring_geom *g, const uint8_t *b, const struct logring_blk *in)
{
	size_t pos = 0;
	unsigned int n = 0;

	if (in->used > g->block_size - LOGRING_BLK_HDR)
		return false;
	while (pos < in->used) {
		const uint8_t *r = b + LOGRING_BLK_HDR + pos;
		size_t len;

		if (in->used - pos < LOGRING_REC_HDR)
			return false;
		len = get16(r + R_LEN);
		if (len > LOGRING_TEXT_MAX || len > in->used - pos - LOGRING_REC_HDR)
			return false;
		pos += LOGRING_REC_HDR + len;
		n++;
	}
	return n == in->nrec;
}

int logring_block_decode(const struct logring_geom *g, const void *blk, uint64_t slot,
			 struct logring_blk *info)
{
	const uint8_t *b = blk;
	struct logring_blk in;

	if (get32(b + B_MAGIC) != LOGRING_BLOCK_MAGIC)
		return all_zero(b, g->block_size) ? -ENODATA : -EBADMSG;
	if (get32(b + B_CRC) != block_crc(g, b))
		return -EBADMSG;
	in.seq = get64(b + B_SEQ);
	in.first_rec = get64(b + B_FIRST_REC);
	in.nrec = get16(b + B_NREC);
	in.used = get16(b + B_USED);
	/* Intact, but not ours: an earlier format of the disk, or a copied block. */
	if (get64(b + B_RING_ID) != g->ring_id || in.seq == 0 || logring_slot(g, in.seq) != slot)
		return -ESTALE;
	/* A correct CRC over a nonsensical layout is a writer bug or forgery: still no. */
	if (get32(b + B_RESERVED) != 0 || in.first_rec == 0 ||
	    in.first_rec > UINT64_MAX - in.nrec || !records_ok(g, b, &in))
		return -EBADMSG;
	*info = in;
	return 0;
}

int logring_block_record(const struct logring_geom *g, const void *blk,
			 const struct logring_blk *info, unsigned int i, size_t *pos,
			 struct logring_rec *rec)
{
	const uint8_t *r;

	if (i >= info->nrec || *pos + LOGRING_REC_HDR > info->used ||
	    info->used > g->block_size - LOGRING_BLK_HDR)
		return -EBADMSG;
	r = (const uint8_t *)blk + LOGRING_BLK_HDR + *pos;
	rec->seq = info->first_rec + i;
	rec->len = get16(r + R_LEN);
	rec->truncated = r[R_FLAGS] & LOGRING_REC_TRUNCATED;
	rec->boot = get32(r + R_BOOT);
	rec->time_ns = get64(r + R_TIME);
	rec->text = (const char *)r + LOGRING_REC_HDR;
	if (rec->len > info->used - *pos - LOGRING_REC_HDR)
		return -EBADMSG;
	*pos += LOGRING_REC_HDR + rec->len;
	return 0;
}

void logring_scan_init(struct logring_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->next_rec = 1;
}

void logring_scan_block(struct logring_scan *s, const struct logring_geom *g, uint64_t slot,
			const void *blk)
{
	struct logring_blk in;
	struct logring_rec rec;
	size_t pos = 0;
	int rc = logring_block_decode(g, blk, slot, &in);

	if (rc == -ENODATA) {
		s->empty++;
		return;
	}
	if (rc == -ESTALE) {
		s->foreign++;
		return;
	}
	if (rc < 0) {
		s->corrupt++;
		return;
	}
	s->valid++;
	if (in.seq <= s->newest)
		return;
	s->newest = in.seq;
	s->next_rec = in.first_rec + in.nrec;
	/* An empty block (never written by logsink, but valid) keeps the boot seen so far. */
	for (unsigned int i = 0; i < in.nrec; i++)
		if (logring_block_record(g, blk, &in, i, &pos, &rec) == 0)
			s->last_boot = rec.boot;
}

static int emit_block(const struct logring_geom *g, const void *buf, const struct logring_blk *in,
		      logring_emit_fn emit, void *arg)
{
	struct logring_rec rec;
	size_t pos = 0;
	int rc;

	for (unsigned int i = 0; i < in->nrec; i++) {
		if (logring_block_record(g, buf, in, i, &pos, &rec) < 0)
			return 0; /* cannot happen after decode; stop at the damage */
		if ((rc = emit(arg, &rec)) != 0)
			return rc;
	}
	return 0;
}

int logring_walk(const struct logring_geom *g, logring_read_fn rd, void *ctx, void *buf,
		 logring_emit_fn emit, void *arg, struct logring_scan *st)
{
	struct logring_blk in;
	uint64_t first;
	int rc;

	logring_scan_init(st);
	for (uint64_t slot = 1; slot <= g->nblocks; slot++) {
		if ((rc = rd(ctx, slot, buf)) < 0)
			return rc;
		logring_scan_block(st, g, slot, buf);
	}
	if (st->newest == 0)
		return 0;
	first = st->newest > g->nblocks ? st->newest - g->nblocks + 1 : 1;
	for (uint64_t seq = first; seq <= st->newest; seq++) {
		uint64_t slot = logring_slot(g, seq);

		if ((rc = rd(ctx, slot, buf)) < 0)
			return rc;
		/* Holes (lost writes) hold older blocks or damage: their seq differs. */
		if (logring_block_decode(g, buf, slot, &in) < 0 || in.seq != seq)
			continue;
		if ((rc = emit_block(g, buf, &in, emit, arg)) != 0)
			return rc;
	}
	return 0;
}
