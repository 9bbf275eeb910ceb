/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The log disk format: a ring of fixed-size blocks of log records that
 * survives reboots. Pure logic (encoding, validation, recovery scan and
 * ordered reading), shared by the kernel's writer (kernel/logsink.c), the
 * host reader (tools/sluice-logread) and the unit tests. No I/O here.
 *
 * On disk, all integers little-endian; B is the block size, the device's
 * logical sector size (512 or 4096), recorded in the header:
 *
 *   block 0: header (the rest of the block is zero)
 *     0   magic       "SLUICLOG"
 *     8   version     u32, 1
 *     12  block_size  u32, B
 *     16  nblocks     u64, ring slots (blocks 1 .. nblocks)
 *     24  ring_id     u64, random, chosen when the disk was formatted
 *     32  created_ns  u64, wall clock at formatting (informational)
 *     40  zero
 *     508 crc32       u32 of bytes 0 .. 507
 *
 *   blocks 1 .. nblocks: data blocks. The block with sequence number s
 *   (s >= 1, never reused) lives in slot 1 + (s - 1) % nblocks.
 *     0   magic       u32, 0x42524c53 ("SLRB")
 *     4   crc32       u32 of the whole block, this field taken as zero
 *     8   ring_id     u64, the header's (stale blocks of an earlier
 *                     format of the same disk do not count)
 *     16  seq         u64, block sequence number
 *     24  first_rec   u64, sequence number of the block's first record
 *     32  nrec        u16, records in the block
 *     34  used        u16, payload bytes after this 40-byte header
 *     36  reserved    u32, zero
 *     40  records back to back, then zeros to the end of the block:
 *         u16 len, u8 flags (1: text was truncated), u8 zero,
 *         u32 boot (1 for the first boot that wrote to the disk),
 *         u64 time_ns (wall clock, 0 if unknown), then len text bytes.
 *         Records are numbered first_rec, first_rec + 1, ...
 *
 * A written block is never rewritten (until the ring wraps over it): a
 * partially filled block that is flushed is final, and later records go to
 * the next block. So a torn or failed write can only lose the records of
 * the block being written, never older ones. Recovery (after any reboot)
 * reads every slot: the newest block is the valid one with the highest
 * sequence number, and writing continues with the next sequence number
 * (so a torn newest block is simply overwritten). Blocks that fail their
 * checksum, carry another ring_id or sit in the wrong slot for their
 * sequence number are skipped. 64-bit sequence numbers do not wrap.
 */
#ifndef SLUICE_LOGRING_H
#define SLUICE_LOGRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGRING_MAGIC "SLUICLOG"
#define LOGRING_VERSION 1
#define LOGRING_BLOCK_MAGIC 0x42524c53u
#define LOGRING_HDR_BYTES 512	      /* meaningful part of block 0 */
#define LOGRING_BLK_HDR 40	      /* data block header */
#define LOGRING_REC_HDR 16	      /* record header */
#define LOGRING_TEXT_MAX 456	      /* record text bytes: a record always fits a 512-byte block */
#define LOGRING_MAX_BYTES (32u << 20) /* of ring slots: bounds the scan at boot */
#define LOGRING_REC_TRUNCATED 0x01

struct logring_geom {
	uint32_t block_size;
	uint64_t nblocks;
	uint64_t ring_id;
	uint64_t created_ns;
};

/* A data block that passed validation. */
struct logring_blk {
	uint64_t seq, first_rec;
	uint16_t nrec, used;
};

struct logring_rec {
	uint64_t seq;
	uint32_t boot;
	uint64_t time_ns;
	bool truncated;
	uint16_t len;
	const char *text; /* not NUL-terminated; points into the block */
};

/* Recovery state: what logring_scan_block() has seen so far. */
struct logring_scan {
	uint64_t newest;    /* highest valid block sequence number, 0 if none */
	uint64_t next_rec;  /* record number after the newest block's last (1 if none) */
	uint32_t last_boot; /* boot of the newest record (0 if none) */
	uint64_t valid, empty, corrupt, foreign;
};

/*
 * Geometry for formatting a disk of @disk_bytes: all blocks after the
 * header, at most LOGRING_MAX_BYTES of them. 0, -EINVAL (block size not 512 or
 * 4096) or -ENOSPC (fewer than 2 data blocks).
 */
int logring_geom_init(struct logring_geom *g, uint64_t disk_bytes, uint32_t block_size,
		      uint64_t ring_id, uint64_t created_ns);

/* Write the header into @blk (g->block_size bytes). */
void logring_header_encode(const struct logring_geom *g, void *blk);

/*
 * Decode and validate the header in the first @len (>= 512) bytes of a
 * disk of @disk_bytes. 0; -ENODATA when those bytes are all zero (a blank
 * disk); -EINVAL when they are something else or an invalid header, with
 * the reason in @err ("not a Sluice log disk (no SLUICLOG magic)",
 * "header checksum mismatch", ...).
 */
int logring_header_decode(const void *blk, size_t len, uint64_t disk_bytes, struct logring_geom *g,
			  char *err, size_t errlen);

/* Disk block (in units of g->block_size) holding block sequence @seq >= 1. */
uint64_t logring_slot(const struct logring_geom *g, uint64_t seq);

/* Start an empty data block in @blk. */
void logring_block_start(const struct logring_geom *g, void *blk, uint64_t seq, uint64_t first_rec);

/*
 * Append a record; text longer than LOGRING_TEXT_MAX is cut and flagged.
 * 0, or -ENOSPC when the block has no room for it (start a new block).
 */
int logring_block_append(const struct logring_geom *g, void *blk, uint32_t boot, uint64_t time_ns,
			 const char *text, size_t len, bool truncated);

/* Records in a block being built. */
unsigned int logring_block_nrec(const void *blk);

/* Compute the checksum: call after the last append, before writing. */
void logring_block_seal(const struct logring_geom *g, void *blk);

/*
 * Validate the block read from disk block @slot. 0 (and *@info), -ENODATA
 * (all zero: never written), -ESTALE (intact but from another ring or
 * another slot), -EBADMSG (torn or corrupt).
 */
int logring_block_decode(const struct logring_geom *g, const void *blk, uint64_t slot,
			 struct logring_blk *info);

/*
 * Record @i (< info->nrec) of a block that logring_block_decode() accepted;
 * *@pos carries the position from one call to the next (start at 0 for
 * i == 0). Returns 0, or -EBADMSG if the block does not hold it.
 */
int logring_block_record(const struct logring_geom *g, const void *blk,
			 const struct logring_blk *info, unsigned int i, size_t *pos,
			 struct logring_rec *rec);

void logring_scan_init(struct logring_scan *s);

/* Account for disk block @slot, whose contents are @blk. */
void logring_scan_block(struct logring_scan *s, const struct logring_geom *g, uint64_t slot,
			const void *blk);

/* Read disk block @block (g->block_size bytes) into @buf: 0 or -errno. */
typedef int (*logring_read_fn)(void *ctx, uint64_t block, void *buf);

/* Called per record, oldest first; a nonzero return stops the walk with it. */
typedef int (*logring_emit_fn)(void *arg, const struct logring_rec *rec);

/*
 * Read the ring through @rd (two passes: a scan for the newest block, then
 * the window of nblocks sequence numbers ending there, in order) and hand
 * every record of every valid block to @emit. @buf is one block of
 * scratch. Fills *@st with the scan's counters. Returns 0, the reader's
 * -errno, or @emit's nonzero value.
 */
int logring_walk(const struct logring_geom *g, logring_read_fn rd, void *ctx, void *buf,
		 logring_emit_fn emit, void *arg, struct logring_scan *st);

#endif
