// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-logread: print the records of a Sluice log disk (the ring that
 * kernel/logsink.c writes; format in include/sluice/logring.h), oldest
 * first. It reads a raw disk image or a block device and never writes.
 *
 * The image is untrusted input like any disk: the format code validates
 * every block, and record text is printed with control bytes escaped so a
 * log line cannot drive the terminal.
 *
 * Exit status: 0 records printed (or the log is empty), 1 not a usable log
 * disk (blank, something else, or a damaged header), 2 usage error, 3 I/O
 * error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sluice/logring.h"
#include "sluice/numparse.h"

#define EXIT_NOTLOG 1
#define EXIT_USAGE 2
#define EXIT_IO 3

struct opts {
	uint64_t lines; /* 0: all */
	uint64_t since;
	bool json, verbose;
};

struct disk {
	int fd;
	uint32_t block_size;
	const char *path;
};

struct printer {
	const struct opts *o;
	uint64_t total; /* matching records (first pass) */
	uint64_t skip;	/* matching records to skip before printing (for -n) */
	uint64_t seen, printed;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sluice-logread [OPTION]... IMAGE\n"
		   "Print the records of a Sluice log disk (raw image or block device), oldest "
		   "first.\n\n"
		   "  -n, --lines=N    only the last N records\n"
		   "  -s, --since=SEQ  only records with sequence number SEQ or later\n"
		   "  -j, --json       one JSON object per record and line\n"
		   "  -v, --verbose    describe the disk and the blocks found on stderr\n"
		   "  -h, --help       show this help\n\n"
		   "Text output: \"#SEQ boot=N TIME TEXT\", TIME in UTC with nanoseconds (\"-\" "
		   "when\nunknown); control bytes in TEXT appear as \\xNN, a backslash as \\\\.\n"
		   "Exit status: 0 success (also for an empty log), 1 not a usable log disk,\n"
		   "2 usage error, 3 I/O error.\n");
}

/* Decimal digits only (no sign, blanks or suffix that strtoull would let pass). */
static int parse_u64(const char *s, uint64_t *out)
{
	return num_parse_dec(s, strlen(s), 0, out) < 0 ? -EINVAL : 0;
}

static int disk_read(void *ctx, uint64_t block, void *buf)
{
	struct disk *d = ctx;
	uint64_t off = block * d->block_size;
	size_t done = 0;

	while (done < d->block_size) {
		ssize_t n =
			pread(d->fd, (char *)buf + done, d->block_size - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO; /* a short image: the header lied */
		done += (size_t)n;
	}
	return 0;
}

static void format_time(uint64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (ns == 0 || !gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%09uZ", (unsigned int)(ns % 1000000000u));
}

static void print_text(const struct logring_rec *r)
{
	char when[64];

	format_time(r->time_ns, when, sizeof(when));
	printf("#%" PRIu64 " boot=%" PRIu32 " %s ", r->seq, r->boot, when);
	for (uint16_t i = 0; i < r->len; i++) {
		unsigned char c = (unsigned char)r->text[i];

		if (c == '\\')
			printf("\\\\");
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("%s\n", r->truncated ? " [truncated]" : "");
}

/* Bytes >= 0x80 pass through: records are normally UTF-8 (printf output). */
static void print_json(const struct logring_rec *r)
{
	printf("{\"seq\":%" PRIu64 ",\"boot\":%" PRIu32 ",\"time_ns\":%" PRIu64
	       ",\"truncated\":%s,\"text\":\"",
	       r->seq, r->boot, r->time_ns, r->truncated ? "true" : "false");
	for (uint16_t i = 0; i < r->len; i++) {
		unsigned char c = (unsigned char)r->text[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	printf("\"}\n");
}

static int count_rec(void *arg, const struct logring_rec *r)
{
	struct printer *p = arg;

	if (r->seq >= p->o->since)
		p->total++;
	return 0;
}

static int print_rec(void *arg, const struct logring_rec *r)
{
	struct printer *p = arg;

	if (r->seq < p->o->since || p->seen++ < p->skip)
		return 0;
	if (p->o->json)
		print_json(r);
	else
		print_text(r);
	p->printed++;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"lines", required_argument, NULL, 'n'}, {"since", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},	 {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "n:s:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 's':
			if (parse_u64(optarg, c == 'n' ? &o->lines : &o->since) < 0) {
				fprintf(stderr, "sluice-logread: -%c: '%s' is not a number\n", c,
					optarg);
				return -1;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sluice-logread: expected one IMAGE argument\n");
		return -1;
	}
	return 0;
}

/* Open the image and read its header; returns an exit status or -1 to go on. */
static int open_disk(struct disk *d, struct logring_geom *g)
{
	uint8_t hdr[LOGRING_HDR_BYTES];
	char err[160];
	off_t size;
	ssize_t n;
	int rc;

	d->fd = open(d->path, O_RDONLY);
	if (d->fd < 0) {
		fprintf(stderr, "sluice-logread: %s: %s\n", d->path, strerror(errno));
		return EXIT_IO;
	}
	/* lseek, not fstat: it also gives the size of a block device. */
	size = lseek(d->fd, 0, SEEK_END);
	n = pread(d->fd, hdr, sizeof(hdr), 0);
	if (size < 0 || n < 0) {
		fprintf(stderr, "sluice-logread: %s: %s\n", d->path, strerror(errno));
		return EXIT_IO;
	}
	if (n < (ssize_t)sizeof(hdr)) {
		fprintf(stderr, "sluice-logread: %s: too small for a log disk\n", d->path);
		return EXIT_NOTLOG;
	}
	rc = logring_header_decode(hdr, sizeof(hdr), (uint64_t)size, g, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sluice-logread: %s: %s\n", d->path, err);
		return EXIT_NOTLOG;
	}
	d->block_size = g->block_size;
	return -1;
}

static void describe(const struct disk *d, const struct logring_geom *g,
		     const struct logring_scan *st)
{
	char when[64];

	format_time(g->created_ns, when, sizeof(when));
	fprintf(stderr,
		"sluice-logread: %s: ring %016" PRIx64 ", %" PRIu64 " blocks of %" PRIu32
		" bytes, formatted %s\n"
		"sluice-logread: blocks: %" PRIu64 " valid, %" PRIu64 " never written, %" PRIu64
		" corrupt, %" PRIu64 " stale; newest block #%" PRIu64 ", next record #%" PRIu64
		"\n",
		d->path, g->ring_id, g->nblocks, g->block_size, when, st->valid, st->empty,
		st->corrupt, st->foreign, st->newest, st->next_rec);
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct disk d = {.fd = -1};
	struct logring_geom g;
	struct logring_scan st;
	struct printer p = {.o = &o};
	void *buf;
	int rc;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	d.path = argv[optind];
	if ((rc = open_disk(&d, &g)) >= 0)
		return rc;
	buf = malloc(g.block_size);
	if (!buf) {
		fprintf(stderr, "sluice-logread: out of memory\n");
		return EXIT_IO;
	}
	/* Two walks: count first, so that -n knows how many to skip. */
	rc = logring_walk(&g, disk_read, &d, buf, count_rec, &p, &st);
	if (rc == 0) {
		p.skip = o.lines && p.total > o.lines ? p.total - o.lines : 0;
		rc = logring_walk(&g, disk_read, &d, buf, print_rec, &p, &st);
	}
	if (rc < 0) {
		fprintf(stderr, "sluice-logread: %s: read error: %s\n", d.path, strerror(-rc));
		return EXIT_IO;
	}
	if (o.verbose)
		describe(&d, &g, &st);
	else if (st.corrupt)
		fprintf(stderr, "sluice-logread: %s: skipped %" PRIu64 " corrupt block(s)\n",
			d.path, st.corrupt);
	free(buf);
	close(d.fd);
	return fflush(stdout) == 0 ? 0 : EXIT_IO;
}
