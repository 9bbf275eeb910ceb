/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block test appliance: the in-guest half of tests/boot/virtio-blk.test and
 * of bench/blk. Options (all optional):
 *
 *   test=info        list every blkdev
 *   test=pattern     write the pattern over the region, flush, read it back
 *   test=verify      read the region and check the pattern (after a reboot)
 *   test=readonly    the disk must be read-only: writes refused with -EROFS,
 *                    the region (written by the host) still reads back right
 *   test=bench-seq   sequential reads over the region: MB/s
 *   test=bench-rand  4 KiB random reads inside the region: IOPS
 *   blk=N|all        the device (default 0); `all` runs the test on each
 *   seed=N           pattern seed; device blkN uses seed + N
 *   start=S mb=M     the region: M MiB from sector S (default 2048, 4)
 *   bs=K qd=D        bench: request size in KiB, requests in flight
 *   count=N          bench-rand: number of reads
 *
 * The pattern is a function of the seed and the absolute byte offset only,
 * so any request sizes produce the same disk contents: 8-byte little-endian
 * words, word n (disk offset 8n) = splitmix64 output n for state `seed`,
 * i.e. mix(seed + (n + 1) * 0x9e3779b97f4a7c15). The host computes the same
 * thing in Python to check the image file. Requests use mixed sizes (the
 * first quarter of the region in 1-8 sector requests, so the ring fills and
 * the blkdev queue holds the rest), all submitted at once, with buffers
 * that are 512-byte but not page aligned. Prints "blktest: SUCCESS" or
 * "blktest: FAILED".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/app.h"
#include "sluice/blkdev.h"
#include "sluice/drivers.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"

#define PAGE 4096
#define WAIT_NS (120ULL * 1000000000ULL)
#define SECTOR_WORDS (BLKDEV_SECTOR / 8)

static char test[16] = "info";
static char blk[8] = "0";
static uint64_t seed = 1, start = 2048, mb = 4, bs_kib = 1024, qd = 1, count = 2000;

static const struct cmdline_opt blktest_opts[] = {
	{.key = "test",
	 .type = CMDLINE_STR,
	 .dst = test,
	 .dst_size = sizeof(test),
	 .help = "info, pattern, verify, readonly, bench-seq or bench-rand"},
	{.key = "blk",
	 .type = CMDLINE_STR,
	 .dst = blk,
	 .dst_size = sizeof(blk),
	 .help = "device index, or all"},
	{.key = "seed",
	 .type = CMDLINE_U64,
	 .dst = &seed,
	 .max = UINT64_MAX,
	 .help = "pattern seed (blkN uses seed + N)"},
	{.key = "start",
	 .type = CMDLINE_U64,
	 .dst = &start,
	 .max = UINT64_MAX / 2,
	 .help = "first sector of the region"},
	{.key = "mb",
	 .type = CMDLINE_U64,
	 .dst = &mb,
	 .min = 1,
	 .max = 4096,
	 .help = "region size in MiB"},
	{.key = "bs",
	 .type = CMDLINE_U64,
	 .dst = &bs_kib,
	 .min = 4,
	 .max = 4096,
	 .help = "bench-seq request size in KiB"},
	{.key = "qd",
	 .type = CMDLINE_U64,
	 .dst = &qd,
	 .min = 1,
	 .max = 64,
	 .help = "bench requests in flight"},
	{.key = "count",
	 .type = CMDLINE_U64,
	 .dst = &count,
	 .min = 1,
	 .max = 10000000,
	 .help = "bench-rand reads"},
	{.key = NULL},
};

static uint64_t pattern_word(uint64_t s, uint64_t n)
{
	uint64_t z = s + (n + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void pattern_fill(uint64_t s, uint8_t *buf, uint64_t sector, uint64_t nsect)
{
	for (uint64_t i = 0; i < nsect * SECTOR_WORDS; i++) {
		uint64_t w = pattern_word(s, sector * SECTOR_WORDS + i);

		memcpy(buf + i * 8, &w, 8);
	}
}

/* Sectors of @buf (from @sector) that differ from the pattern; the first in *@first. */
static uint64_t pattern_check(uint64_t s, const uint8_t *buf, uint64_t sector, uint64_t nsect,
			      uint64_t *first)
{
	uint64_t bad = 0;

	for (uint64_t k = 0; k < nsect; k++) {
		for (uint64_t i = 0; i < SECTOR_WORDS; i++) {
			uint64_t w;

			memcpy(&w, buf + (k * SECTOR_WORDS + i) * 8, 8);
			if (w != pattern_word(s, (sector + k) * SECTOR_WORDS + i)) {
				if (!bad++)
					*first = sector + k;
				break;
			}
		}
	}
	return bad;
}

/* xorshift64: request sizes and random offsets (never 0 with a non-zero state). */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A buffer 512-byte aligned but @skew bytes past a page boundary: requests cross pages. */
static uint8_t *alloc_skewed(size_t bytes, size_t skew, void **raw)
{
	*raw = malloc(bytes + 2 * PAGE);
	if (!*raw)
		return NULL;
	return (uint8_t *)ALIGN_UP((uintptr_t)*raw, PAGE) + skew;
}

/* ---- batches: many requests in flight, one wait ---- */

struct batch {
	unsigned int pending, failed;
	int first_err;
	volatile bool idle;
};

struct io {
	struct blk_req req;
	struct batch *b;
};

static void io_done(struct blk_req *r)
{
	struct io *io = container_of(r, struct io, req);
	struct batch *b = io->b;

	if (r->status < 0 && !b->failed++)
		b->first_err = r->status;
	if (--b->pending == 0)
		b->idle = true;
}

/* Split [first, first + n) into mixed-size chunks, all submitted at once; then wait. */
static int batch_run(struct blkdev *dev, enum blk_op op, uint64_t first, uint64_t n, uint8_t *buf,
		     uint64_t rseed, struct batch *b)
{
	uint32_t align = dev->sector_size / BLKDEV_SECTOR;
	uint32_t maxc = ALIGN_DOWN(dev->max_sectors, align);
	struct io *ios = calloc(n / align + 1, sizeof(*ios));
	uint64_t pos = 0, r = rseed | 1;
	unsigned int k = 0;
	int rc;

	if (!ios)
		return -ENOMEM;
	*b = (struct batch){.pending = 1};
	while (pos < n) {
		uint64_t c, x = rnd(&r);

		if (pos < n / 4) /* small requests: the ring fills and the blkdev layer queues */
			c = 1 + x % 8;
		else
			c = (x & 3) == 0 ? maxc : 1 + (x >> 2) % ((x & 3) == 1 ? 16 : maxc);
		c = MIN(ALIGN_UP(c, align), MIN(maxc, n - pos));
		ios[k] = (struct io){.req = {.op = op,
					     .sector = first + pos,
					     .count = (uint32_t)c,
					     .buf = buf + pos * BLKDEV_SECTOR,
					     .done = io_done},
				     .b = b};
		b->pending++;
		blkdev_submit(dev, &ios[k++].req);
		pos += c;
	}
	/* The extra count kept completions from declaring the batch idle early. */
	if (--b->pending == 0)
		b->idle = true;
	rc = evloop_wait_flag(&b->idle, now_ns() + WAIT_NS);
	if (rc == 0)
		free(ios); /* after a timeout the driver may still hold them */
	printf("blktest: %s: %s %llu sectors in %u requests: %s\n", dev->name,
	       op == BLK_READ ? "read" : "wrote", (unsigned long long)n, k,
	       rc < 0	   ? "timed out"
	       : b->failed ? "errors"
			   : "ok");
	if (rc < 0)
		return rc;
	return b->failed ? b->first_err : 0;
}

/* ---- tests ---- */

static bool region_ok(const struct blkdev *dev, uint64_t nsect)
{
	uint32_t align = dev->sector_size / BLKDEV_SECTOR;

	if (start % align || start > dev->sectors || nsect > dev->sectors - start) {
		printf("blktest: %s: region %llu+%llu does not fit %llu sectors (block %u)\n",
		       dev->name, (unsigned long long)start, (unsigned long long)nsect,
		       (unsigned long long)dev->sectors, dev->sector_size);
		return false;
	}
	return true;
}

/* Read the region back in mixed sizes and compare it with the pattern. */
static bool read_verify(struct blkdev *dev, uint64_t s, uint64_t nsect)
{
	struct batch b;
	uint64_t bad, first = 0;
	void *raw;
	uint8_t *buf = alloc_skewed(nsect * BLKDEV_SECTOR, 1536, &raw);
	int rc;

	if (!buf)
		return false;
	memset(buf, 0xa5, nsect * BLKDEV_SECTOR);
	rc = batch_run(dev, BLK_READ, start, nsect, buf, s ^ 0x5eed2, &b);
	if (rc < 0) {
		printf("blktest: %s: read failed (%d)\n", dev->name, rc);
		return false; /* the buffer may still be the driver's */
	}
	bad = pattern_check(s, buf, start, nsect, &first);
	free(raw);
	printf("blktest: %s: verify %llu sectors from %llu: %llu bad%s", dev->name,
	       (unsigned long long)nsect, (unsigned long long)start, (unsigned long long)bad,
	       bad ? "" : "\n");
	if (bad)
		printf(", first at sector %llu\n", (unsigned long long)first);
	return bad == 0;
}

static bool test_pattern(struct blkdev *dev, uint64_t s, uint64_t nsect)
{
	struct batch b;
	void *raw;
	uint8_t *buf = alloc_skewed(nsect * BLKDEV_SECTOR, 512, &raw);
	int rc;

	if (!buf)
		return false;
	pattern_fill(s, buf, start, nsect);
	rc = batch_run(dev, BLK_WRITE, start, nsect, buf, s ^ 0x5eed1, &b);
	if (rc < 0) {
		printf("blktest: %s: write failed (%d)\n", dev->name, rc);
		return false;
	}
	free(raw);
	rc = blkdev_flush_sync(dev);
	printf("blktest: %s: flush (%s): %d\n", dev->name, dev->can_flush ? "device" : "no cache",
	       rc);
	return rc == 0 && read_verify(dev, s, nsect);
}

static bool test_readonly(struct blkdev *dev, uint64_t s, uint64_t nsect)
{
	/* 4 KiB: a whole block at any sector size the blkdev layer allows. */
	static uint8_t block[4096] __attribute__((aligned(PAGE)));
	uint32_t n = sizeof(block) / BLKDEV_SECTOR;
	struct batch b;
	int w, a;

	w = blkdev_write_sync(dev, start, block, n);
	a = batch_run(dev, BLK_WRITE, start, n, block, 1, &b);
	printf("blktest: %s: read-only %s, sync write %d, async write %d (want %d)\n", dev->name,
	       dev->readonly ? "yes" : "no", w, a, -EROFS);
	return dev->readonly && w == -EROFS && a == -EROFS && read_verify(dev, s, nsect);
}

static void print_info(const struct blkdev *dev)
{
	printf("blktest: %s driver %s id \"%s\" sectors %llu sector_size %u max_sectors %u "
	       "ro %s flush %s%s%s\n",
	       dev->name, dev->driver, dev->id, (unsigned long long)dev->sectors, dev->sector_size,
	       dev->max_sectors, dev->readonly ? "yes" : "no", dev->can_flush ? "yes" : "no",
	       dev->broken ? " BROKEN: " : "", dev->broken ? dev->broken_reason : "");
}

/* ---- benchmarks: qd requests in flight, each completion submits the next ---- */

struct bench {
	struct blkdev *dev;
	bool random;
	uint64_t next, end;	/* sequential: the sectors still to read */
	uint64_t slots, rng;	/* random: chunk-sized slots in the region */
	uint64_t issued, limit; /* random: reads issued, reads wanted */
	uint32_t chunk;		/* sectors per request */
	unsigned int inflight, errors;
	volatile bool idle;
};

struct bench_io {
	struct blk_req req;
	struct bench *b;
};

static bool bench_next(struct bench *b, struct blk_req *r)
{
	if (b->random) {
		if (b->issued >= b->limit)
			return false;
		r->sector = start + rnd(&b->rng) % b->slots * b->chunk;
		r->count = b->chunk;
	} else {
		if (b->next >= b->end)
			return false;
		r->sector = b->next;
		r->count = (uint32_t)MIN(b->chunk, b->end - b->next);
		b->next += r->count;
	}
	b->issued++;
	b->inflight++;
	blkdev_submit(b->dev, r);
	return true;
}

static void bench_done(struct blk_req *r)
{
	struct bench *b = container_of(r, struct bench_io, req)->b;

	b->inflight--;
	if (r->status < 0)
		b->errors++;
	else if (bench_next(b, r))
		return;
	if (b->inflight == 0)
		b->idle = true;
}

/* Run @b with qd page-aligned buffers; elapsed ns, or 0 on failure. */
static uint64_t bench_run(struct bench *b)
{
	struct bench_io *ios = calloc(qd, sizeof(*ios));
	void *raw = malloc((size_t)qd * b->chunk * BLKDEV_SECTOR + PAGE);
	uint8_t *buf = raw ? (uint8_t *)ALIGN_UP((uintptr_t)raw, PAGE) : NULL;
	uint64_t t0 = now_ns(), t1;
	int rc;

	if (!ios || !buf) {
		free(ios);
		free(raw);
		return 0;
	}
	for (unsigned int i = 0; i < qd; i++) {
		ios[i] =
			(struct bench_io){.req = {.op = BLK_READ,
						  .buf = buf + (size_t)i * b->chunk * BLKDEV_SECTOR,
						  .done = bench_done},
					  .b = b};
		if (!bench_next(b, &ios[i].req))
			break;
	}
	b->idle = b->inflight == 0;
	rc = evloop_wait_flag(&b->idle, now_ns() + 10 * WAIT_NS);
	t1 = now_ns();
	if (rc < 0)
		return 0; /* the buffers may still be the driver's: leaked */
	free(ios);
	free(raw);
	return b->errors ? 0 : MAX(t1 - t0, 1);
}

static bool bench_seq(struct blkdev *dev, uint64_t nsect)
{
	uint32_t align = dev->sector_size / BLKDEV_SECTOR;
	struct bench b = {.dev = dev, .next = start, .end = start + nsect};
	uint64_t ns, bytes = nsect * BLKDEV_SECTOR;

	b.chunk = (uint32_t)MIN(bs_kib * 2, ALIGN_DOWN(dev->max_sectors, align));
	ns = bench_run(&b);
	if (ns)
		printf("blktest: bench-seq %s: %llu bytes in %llu us: %llu.%02llu MB/s "
		       "(bs %u KiB, qd %llu)\n",
		       dev->name, (unsigned long long)bytes, (unsigned long long)(ns / 1000),
		       (unsigned long long)(bytes * 1000 / ns),
		       (unsigned long long)(bytes * 100000 / ns % 100), b.chunk / 2,
		       (unsigned long long)qd);
	return ns != 0;
}

static bool bench_rand(struct blkdev *dev, uint64_t nsect)
{
	struct bench b = {.dev = dev, .random = true, .rng = seed | 1, .limit = count};
	uint64_t ns;

	b.chunk = (uint32_t)MAX(4096 / BLKDEV_SECTOR, dev->sector_size / BLKDEV_SECTOR);
	b.slots = nsect / b.chunk;
	ns = bench_run(&b);
	if (ns)
		printf("blktest: bench-rand %s: %llu reads of %u KiB in %llu us: %llu IOPS, "
		       "%llu us per read (qd %llu)\n",
		       dev->name, (unsigned long long)count, b.chunk / 2,
		       (unsigned long long)(ns / 1000),
		       (unsigned long long)(count * 1000000000ULL / ns),
		       (unsigned long long)(ns / 1000 / count), (unsigned long long)qd);
	return ns != 0;
}

static bool run_one(struct blkdev *dev)
{
	uint64_t nsect = mb * 2048, s = seed + dev->index;

	if (!region_ok(dev, nsect))
		return false;
	if (!strcmp(test, "pattern"))
		return test_pattern(dev, s, nsect);
	if (!strcmp(test, "verify"))
		return read_verify(dev, s, nsect);
	if (!strcmp(test, "readonly"))
		return test_readonly(dev, s, nsect);
	if (!strcmp(test, "bench-seq"))
		return bench_seq(dev, nsect);
	if (!strcmp(test, "bench-rand"))
		return bench_rand(dev, nsect);
	printf("blktest: unknown test '%s'\n", test);
	return false;
}

/* The devices blk= selects: a bit per index; 0 if it names none. */
static unsigned int selected(void)
{
	uint64_t idx;

	if (!strcmp(blk, "all"))
		return (1u << blkdev_count()) - 1;
	if (cmdline_parse_u64(blk, &idx) < 0 || idx >= blkdev_count()) {
		printf("blktest: blk=%s: no such device\n", blk);
		return 0;
	}
	return 1u << idx;
}

static int blktest_main(void)
{
	int n = virtio_probe_all();
	bool info = !strcmp(test, "info");
	unsigned int which;
	bool ok;

	printf("blktest: %d device(s) probed, %u blkdev(s); test=%s blk=%s seed=%llu\n", n,
	       blkdev_count(), test, blk, (unsigned long long)seed);
	kernel_mark_ready();
	/* info lists every device; the other tests run on the selected ones in turn. */
	which = info ? (1u << blkdev_count()) - 1 : selected();
	ok = which != 0;
	for (unsigned int i = 0; ok && i < blkdev_count(); i++) {
		if (!(which & (1u << i)))
			continue;
		if (info)
			print_info(blkdev_get(i));
		else
			ok = run_one(blkdev_get(i));
	}
	for (unsigned int i = 0; i < blkdev_count(); i++)
		ok &= !blkdev_get(i)->broken;
	printf("blktest: %s\n", ok ? "SUCCESS" : "FAILED");
	return ok ? SLUICE_EXIT_SUCCESS : SLUICE_EXIT_FAILURE;
}

const struct sluice_app sluice_app = {
	.name = "blktest",
	.opts = blktest_opts,
	.main = blktest_main,
};
