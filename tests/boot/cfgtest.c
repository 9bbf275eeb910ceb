/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Config disk and log sink test appliance: the in-guest half of
 * tests/boot/configdisk.test.
 *
 *   test=config   mount the config disk (auto-detected) and print every
 *                 member: "cfgtest: file PATH SIZE crc32 0xCRC" (the CRC of
 *                 the whole file read in odd-sized pieces, cross-checked
 *                 against configdisk_load()) and "cfgtest: dir PATH"; then
 *                 API checks. Without a valid config disk it says so and
 *                 still reaches ready: an appliance must survive a bad disk.
 *   test=logsink  append `records` records "TAG record I/N" to the log disk
 *                 (the first writable disk), paced so that nothing is
 *                 dropped, with a pause longer than the flush interval
 *                 halfway (the timer path), then close the sink.
 *   test=logburst append `records` records without letting the event loop
 *                 run: buffers run out, records are dropped and counted,
 *                 and a later record reports the loss.
 *
 * Every test prints "cfgtest: SUCCESS" or "cfgtest: FAILED" at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/app.h"
#include "sluice/blkdev.h"
#include "sluice/configdisk.h"
#include "sluice/crc32.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/logsink.h"

#define MS 1000000ULL

static char test[16] = "config";
static char tag[32] = "boot";
static uint64_t records = 100;

static const struct cmdline_opt cfgtest_opts[] = {
	{.key = "test",
	 .type = CMDLINE_STR,
	 .dst = test,
	 .dst_size = sizeof(test),
	 .help = "config, logsink or logburst"},
	{.key = "tag",
	 .type = CMDLINE_STR,
	 .dst = tag,
	 .dst_size = sizeof(tag),
	 .help = "logsink: text that starts every record"},
	{.key = "records",
	 .type = CMDLINE_U64,
	 .dst = &records,
	 .min = 1,
	 .max = 1000000,
	 .help = "logsink: records to append"},
	{.key = NULL},
};

static int failures;

static void check(bool ok, const char *what)
{
	if (!ok) {
		printf("cfgtest: check failed: %s\n", what);
		failures++;
	}
}

/* CRC of a file read in pieces of varying, odd sizes at unaligned offsets. */
static int crc_pieces(int fd, uint64_t size, uint32_t *crc)
{
	static uint8_t buf[7000];
	uint64_t off = 0;
	size_t piece = 1;

	*crc = 0;
	while (off < size) {
		ssize_t n = configdisk_read(fd, off, buf, piece);

		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		*crc = crc32_update(*crc, buf, (size_t)n);
		off += (uint64_t)n;
		piece = piece * 3 % sizeof(buf) + 1;
	}
	return configdisk_read(fd, size, buf, 1) == 0 ? 0 : -EIO; /* end of file */
}

static int show(void *arg, const char *path, uint64_t size, bool dir)
{
	uint32_t crc = 0, crc2 = 1;
	char *data = NULL;
	size_t len = 0;
	int fd;

	(void)arg;
	if (dir) {
		printf("cfgtest: dir %s\n", path);
		return 0;
	}
	fd = configdisk_open(path);
	check(fd >= 0 && configdisk_size(fd) == (int64_t)size, "open and size");
	check(fd >= 0 && crc_pieces(fd, size, &crc) == 0, "read in pieces");
	check(configdisk_load(path, 1 << 20, &data, &len) == 0 && len == size, "load");
	if (data)
		crc2 = crc32_update(0, data, len);
	free(data);
	check(crc == crc2, "piecewise and whole-file CRCs agree");
	printf("cfgtest: file %s %llu crc32 0x%08x\n", path, (unsigned long long)size,
	       (unsigned int)crc);
	return 0;
}

static int t_config(void)
{
	int rc = configdisk_mount(NULL);

	if (rc < 0) {
		printf("cfgtest: no config disk (%d)\n", rc);
		kernel_mark_ready();
		check(configdisk_open("etc/rules") == -ENODEV, "open without a disk");
		return 0;
	}
	configdisk_list(show, NULL);
	check(configdisk_mount(NULL) == -EBUSY, "second mount");
	check(configdisk_open("no/such/file") == -ENOENT, "missing file");
	check(configdisk_open("../etc/rules") == -ENOENT, "traversal in a lookup");
	check(configdisk_open("etc") == -EISDIR, "directory");
	check(configdisk_size(-1) == -EBADF && configdisk_size(100000) == -EBADF, "bad handle");
	check(configdisk_open("/etc/rules") == configdisk_open("./etc/rules"), "path forms");
	kernel_mark_ready();
	return 0;
}

static struct blkdev *log_disk(void)
{
	for (unsigned int i = 0; i < blkdev_count(); i++)
		if (!blkdev_get(i)->readonly)
			return blkdev_get(i);
	return NULL;
}

static void print_stats(void)
{
	struct logsink_stats st;

	logsink_get_stats(&st);
	printf("cfgtest: logsink boot %u: %llu records, %llu dropped, %llu blocks, %llu write "
	       "errors, next record #%llu\n",
	       st.boot, (unsigned long long)st.records, (unsigned long long)st.dropped,
	       (unsigned long long)st.blocks, (unsigned long long)st.write_errors,
	       (unsigned long long)st.next_seq);
}

static int t_logsink(bool burst)
{
	struct blkdev *dev = log_disk();
	struct logsink_stats st;
	int rc;

	if (!dev || (rc = logsink_open(dev)) < 0) {
		printf("cfgtest: no log disk\n");
		return -ENODEV;
	}
	kernel_mark_ready();
	for (uint64_t i = 1; i <= records; i++) {
		logsink_printf("%s record %llu/%llu\n", tag, (unsigned long long)i,
			       (unsigned long long)records);
		/* Paced: the event loop completes writes (under TCG, slowly). */
		if (!burst && i % 4 == 0)
			evloop_wait_until(now_ns() + MS);
		if (!burst &&
		    i == records / 2) /* longer than the flush interval: the timer writes */
			evloop_wait_until(now_ns() + (LOGSINK_FLUSH_MS + 300) * MS);
	}
	if (burst) {
		evloop_wait_until(now_ns() + 500 * MS); /* the buffers drain */
		logsink_printf("%s after the burst", tag);
	}
	logsink_get_stats(&st);
	check(burst ? st.dropped > 0 : st.dropped == 0, burst ? "burst drops" : "no drops");
	rc = logsink_close();
	check(rc == 0, "clean close");
	print_stats();
	logsink_printf("after close: discarded");
	return 0;
}

static int cfgtest_main(void)
{
	int rc;

	if (strcmp(test, "config") == 0)
		rc = t_config();
	else if (strcmp(test, "logsink") == 0 || strcmp(test, "logburst") == 0)
		rc = t_logsink(strcmp(test, "logburst") == 0);
	else
		rc = -EINVAL, printf("cfgtest: unknown test '%s'\n", test);
	if (rc < 0 || failures) {
		printf("cfgtest: FAILED\n");
		return SLUICE_EXIT_FAILURE;
	}
	printf("cfgtest: SUCCESS\n");
	return SLUICE_EXIT_SUCCESS;
}

const struct sluice_app sluice_app = {
	.name = "cfgtest",
	.opts = cfgtest_opts,
	.main = cfgtest_main,
};
