// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for kernel/lib/ustar.c: archives written by the real GNU tar
 * in each format it offers, and hand-made broken or hostile ones, whose
 * exact error messages are part of the interface (users read them on the
 * console when their config disk is refused).
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice/ustar.h"

#define ARCHIVE_MAX (2u << 20)

struct mem {
	uint8_t *data;
	size_t len;
	uint64_t fail_at; /* reads touching this offset fail (UINT64_MAX: none) */
	unsigned int reads;
};

static struct ustar u;
static struct mem mem;
static char err[256];

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *m = ctx;

	m->reads++;
	/* The index must never ask for bytes outside the size it was given. */
	ck_assert_uint_le(off, m->len);
	ck_assert_uint_le(len, m->len - off);
	if (m->fail_at >= off && m->fail_at < off + len)
		return -EIO;
	memcpy(buf, m->data + off, len);
	return 0;
}

static int index_mem(const uint8_t *data, size_t len)
{
	mem.data = (uint8_t *)data;
	mem.len = len;
	mem.fail_at = UINT64_MAX;
	mem.reads = 0;
	memset(err, 'x', sizeof(err)); /* must be overwritten */
	err[sizeof(err) - 1] = '\0';
	return ustar_index(&u, mem_read, &mem, len, err, sizeof(err));
}

/* ---------------------------------------------------------------- builder */

struct tarb {
	uint8_t buf[ARCHIVE_MAX];
	size_t len;
};

static struct tarb tb;

static void tb_reset(void)
{
	memset(&tb, 0, sizeof(tb));
}

/* @width - 1 zero-padded octal digits and a NUL (the value must fit). */
static void put_octal(uint8_t *dst, size_t width, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%0*llo", (int)width - 1, (unsigned long long)v);

	ck_assert_int_eq(n, (int)width - 1);
	memcpy(dst, tmp, width);
}

/* Recompute a header's checksum (unsigned sum) after editing it. */
static void tb_sum(uint8_t *h)
{
	unsigned int sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	put_octal(h + 148, 7, sum);
	h[155] = ' ';
}

/* Append a header (GNU or POSIX magic); returns it for further edits. */
static uint8_t *tb_hdr_fmt(const char *name, char type, uint64_t size, bool gnu)
{
	uint8_t *h = tb.buf + tb.len;

	ck_assert_uint_le(tb.len + 512, sizeof(tb.buf));
	memset(h, 0, 512);
	memcpy(h, name, strnlen(name, 100));
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0001750", 8);
	memcpy(h + 116, "0001750", 8);
	put_octal(h + 124, 12, size);
	memcpy(h + 136, "14707713012", 12);
	h[156] = (uint8_t)type;
	if (gnu)
		memcpy(h + 257, "ustar  ", 8);
	else
		memcpy(h + 257,
		       "ustar\0"
		       "00",
		       8);
	tb_sum(h);
	tb.len += 512;
	return h;
}

static uint8_t *tb_hdr(const char *name, char type, uint64_t size)
{
	return tb_hdr_fmt(name, type, size, true);
}

static void tb_data(const void *data, size_t len)
{
	ck_assert_uint_le(tb.len + len + 511, sizeof(tb.buf));
	memcpy(tb.buf + tb.len, data, len);
	tb.len += (len + 511) / 512 * 512;
}

static void tb_file(const char *name, const char *text)
{
	tb_hdr(name, '0', strlen(text));
	tb_data(text, strlen(text));
}

/* A pax 'x' header carrying @records (already formatted). */
static void tb_pax(const char *hname, char type, const char *records)
{
	tb_hdr_fmt(hname, type, strlen(records), false);
	tb_data(records, strlen(records));
}

static void tb_end(void)
{
	memset(tb.buf + tb.len, 0, 1024);
	tb.len += 1024;
}

static int tb_index(void)
{
	return index_mem(tb.buf, tb.len);
}

static void expect_err(int rc, const char *msg)
{
	int got = tb_index();

	if (got != rc)
		fprintf(stderr, "want: %s\n", msg);

	ck_assert_msg(got == rc, "expected %d, got %d (%s)", rc, got, err);
	ck_assert_str_eq(err, msg);
	ck_assert_uint_eq(u.n, 0); /* nothing half-indexed */
	ck_assert_uint_eq(u.nfiles, 0);
}

/* Read member @path completely and compare with @want. */
static void expect_file(const char *path, const void *want, size_t len)
{
	const struct ustar_member *m = ustar_lookup(&u, path);
	uint8_t *got;

	ck_assert_msg(m != NULL, "no member '%s'", path);
	ck_assert(!m->dir);
	ck_assert_uint_eq(m->size, len);
	got = malloc(len + 1);
	ck_assert_int_eq(ustar_read(&u, m, 0, got, len + 1), (ssize_t)len);
	ck_assert(memcmp(got, want, len) == 0);
	free(got);
}

/* ------------------------------------------------------ archives from tar */

static char tmpdir[64];

static void sh(const char *fmt, const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

static void write_file(const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tree/%s", tmpdir, rel);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static uint8_t big[300 * 1024];

/* 45 + 1 + 80 = 126 bytes: splittable into a ustar prefix and name. */
#define LONG_DIR "d123456789012345678901234567890123456789012345"
#define LONG_BASE "f1234567890123456789012345678901234567890123456789012345678901234567890123456789"
#define LONG_PATH LONG_DIR "/" LONG_BASE

static void make_tree(void)
{
	uint32_t x = 12345;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ustar.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	sh("mkdir -p %s/tree/etc/sub %s/tree/empty-dir", tmpdir, tmpdir);
	sh("mkdir -p %s/tree/" LONG_DIR "%s", tmpdir, "");
	for (size_t i = 0; i < sizeof(big); i++) {
		x = x * 1103515245 + 12345;
		big[i] = (uint8_t)(x >> 16);
	}
	write_file("etc/rules", "allow 10.0.0.0/8\n", 17);
	write_file("etc/sub/big.bin", big, sizeof(big));
	write_file("etc/empty", "", 0);
	write_file(LONG_PATH, "long\n", 5);
}

static bool have_gnu_tar(void)
{
	FILE *p = popen("tar --version 2>/dev/null", "r");
	char line[128] = "";
	bool gnu;

	if (!p)
		return false;
	gnu = fgets(line, sizeof(line), p) && strstr(line, "GNU tar");
	pclose(p);
	return gnu;
}

/* Archive the tree with `tar [--format=F] -cf X -C tree .` and load it. */
static size_t run_tar(const char *format, uint8_t *out, size_t max)
{
	char cmd[1024], path[512];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.tar", tmpdir, format[0] ? format : "default");
	snprintf(cmd, sizeof(cmd), "tar %s%s -cf %s -C %s/tree .", format[0] ? "--format=" : "",
		 format, path, tmpdir);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	len = fread(out, 1, max, f);
	ck_assert(feof(f));
	fclose(f);
	return len;
}

static uint8_t tarbuf[ARCHIVE_MAX];

static void check_tar_format(const char *format, bool long_names)
{
	size_t len;
	const struct ustar_member *m;

	if (!have_gnu_tar()) {
		fprintf(stderr, "test_ustar: no GNU tar, skipping the '%s' archive\n", format);
		return;
	}
	make_tree();
	len = run_tar(format, tarbuf, sizeof(tarbuf));
	ck_assert_msg(index_mem(tarbuf, len) == 0, "format '%s': %s", format, err);
	ck_assert_str_eq(err, "");
	/* etc, etc/sub, empty-dir, LONG_DIR + 4 files; the root "./" is skipped. */
	ck_assert_uint_eq(u.n, 8);
	ck_assert_uint_eq(u.nfiles, 4);
	ck_assert_uint_eq(u.file_bytes, 17 + sizeof(big) + 0 + 5);
	expect_file("etc/rules", "allow 10.0.0.0/8\n", 17);
	expect_file("etc/sub/big.bin", big, sizeof(big));
	expect_file("etc/empty", "", 0);
	if (long_names)
		expect_file(LONG_PATH, "long\n", 5);
	m = ustar_lookup(&u, "etc/sub");
	ck_assert_ptr_nonnull(m);
	ck_assert(m->dir);
	ck_assert_ptr_nonnull(ustar_lookup(&u, "empty-dir/"));
	ck_assert_ptr_null(ustar_lookup(&u, ""));
	ck_assert_ptr_null(ustar_lookup(&u, "."));
	for (unsigned int i = 0; i < u.n; i++) /* no "./" prefix survives */
		ck_assert_msg(strncmp(u.m[i].path, "./", 2) != 0, "%s", u.m[i].path);
	sh("rm -rf %s%s", tmpdir, "");
}

START_TEST(test_tar_default)
{
	check_tar_format("", true);
}
END_TEST

START_TEST(test_tar_gnu)
{
	check_tar_format("gnu", true);
}
END_TEST

START_TEST(test_tar_oldgnu)
{
	check_tar_format("oldgnu", true);
}
END_TEST

START_TEST(test_tar_ustar)
{
	check_tar_format("ustar", true); /* LONG_PATH is split into prefix and name */
}
END_TEST

START_TEST(test_tar_pax)
{
	check_tar_format("posix", true);
}
END_TEST

START_TEST(test_tar_v7_refused)
{
	size_t len;

	if (!have_gnu_tar())
		return;
	make_tree();
	sh("rm -rf %s/tree/" LONG_DIR "%s", tmpdir, ""); /* v7 names are 99 bytes at most */
	len = run_tar("v7", tarbuf, sizeof(tarbuf));
	ck_assert_int_eq(index_mem(tarbuf, len), -EINVAL);
	ck_assert_str_eq(err, "header at offset 0: not a ustar or GNU tar header (bad magic)");
	sh("rm -rf %s%s", tmpdir, "");
}
END_TEST

/* A symlink in a real archive is refused, naming it. */
START_TEST(test_tar_symlink_refused)
{
	size_t len;

	if (!have_gnu_tar())
		return;
	make_tree();
	sh("ln -s rules %s/tree/etc/link%s", tmpdir, "");
	len = run_tar("gnu", tarbuf, sizeof(tarbuf));
	ck_assert_int_eq(index_mem(tarbuf, len), -EINVAL);
	ck_assert_str_eq(err, "member './etc/link': symbolic links not supported");
	sh("rm -rf %s%s", tmpdir, "");
}
END_TEST

/* -------------------------------------------------------- hand-made ones */

START_TEST(test_minimal)
{
	const struct ustar_member *m;
	char buf[8];

	tb_reset();
	tb_hdr("./", '5', 0);
	tb_hdr("./etc/", '5', 0);
	tb_file("./etc/a", "hello");
	tb_hdr("./etc/old", '\0', 2); /* pre-POSIX regular file */
	tb_data("ok", 2);
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(u.n, 3);
	ck_assert_uint_eq(u.nfiles, 2);
	ck_assert_uint_eq(u.end, tb.len);
	ck_assert_str_eq(ustar_member(&u, 0)->path, "etc");
	ck_assert_str_eq(ustar_member(&u, 1)->path, "etc/a");
	ck_assert_ptr_null(ustar_member(&u, 3));
	m = ustar_lookup(&u, "/etc/a");
	ck_assert_ptr_eq(m, ustar_lookup(&u, "./etc/./a"));
	ck_assert_ptr_eq(m, ustar_lookup(&u, "etc/a"));
	ck_assert_ptr_null(ustar_lookup(&u, "etc/../etc/a"));
	ck_assert_ptr_null(ustar_lookup(&u, "etc/b"));
	/* Partial reads, reads at and past the end, directories. */
	ck_assert_int_eq(ustar_read(&u, m, 1, buf, 3), 3);
	ck_assert(memcmp(buf, "ell", 3) == 0);
	ck_assert_int_eq(ustar_read(&u, m, 3, buf, sizeof(buf)), 2);
	ck_assert(memcmp(buf, "lo", 2) == 0);
	ck_assert_int_eq(ustar_read(&u, m, 5, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ustar_read(&u, m, UINT64_MAX, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ustar_read(&u, ustar_lookup(&u, "etc"), 0, buf, sizeof(buf)), 0);
	mem.fail_at = m->offset;
	ck_assert_int_eq(ustar_read(&u, m, 0, buf, 5), -EIO);
}
END_TEST

START_TEST(test_empty_archive)
{
	tb_reset();
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_uint_eq(u.n, 0);
	/* tar's record padding and the rest of a disk after the end are ignored. */
	tb.len = 10240;
	tb.buf[9000] = 0xaa;
	ck_assert_msg(tb_index() == 0, "%s", err);
	/* A partial trailing block cannot hold anything. */
	tb_reset();
	tb_end();
	ck_assert_int_eq(index_mem(tb.buf, 1024 + 100), 0);
}
END_TEST

START_TEST(test_missing_end)
{
	tb_reset();
	expect_err(-EINVAL, "truncated archive: no end-of-archive marker");
	tb_file("a", "x");
	expect_err(-EINVAL, "truncated archive: no end-of-archive marker (after member 'a')");
	tb.len += 512; /* one zero block is not an end */
	expect_err(-EINVAL, "truncated archive: no end-of-archive marker (after member 'a')");
	tb_reset();
	tb_file("a", "x");
	tb.len += 512;
	tb_file("b", "y");
	tb_end();
	expect_err(-EINVAL,
		   "header at offset 1024: zero block followed by data (after member 'a')");
}
END_TEST

START_TEST(test_truncated_data)
{
	static uint8_t data[2000];

	tb_reset();
	tb_file("a", "x");
	tb_hdr("big", '0', sizeof(data));
	tb_data(data, sizeof(data));
	tb_end();
	tb.len = 1024 + 512 + 1024; /* cut inside big's data */
	expect_err(-EINVAL,
		   "member 'big': truncated (2000 bytes of data at offset 1536, archive has 2560)");
	tb.len = 1024 + 512 + 2048; /* data complete, end marker missing */
	expect_err(-EINVAL, "truncated archive: no end-of-archive marker (after member 'big')");
}
END_TEST

START_TEST(test_bad_checksum)
{
	uint8_t *h;

	tb_reset();
	tb_file("a", "x");
	h = tb_hdr("b", '0', 0);
	tb_end();
	h[0] = 'c'; /* the name changed after the checksum was computed */
	expect_err(-EINVAL, "header at offset 1024: bad checksum (after member 'a')");
	h[0] = 'b';
	ck_assert_msg(tb_index() == 0, "%s", err);
	memcpy(h + 148, "01x3456", 7); /* a checksum field that is not a number */
	expect_err(-EINVAL, "header at offset 1024: bad checksum (after member 'a')");
	tb.buf[0] ^= 1;
	expect_err(-EINVAL, "header at offset 0: bad checksum");
}
END_TEST

/* Historic tars summed signed bytes: both sums are accepted. */
START_TEST(test_signed_checksum)
{
	uint8_t *h;
	int sum = 0;

	tb_reset();
	h = tb_hdr("caf\xc3\xa9", '0', 0); /* UTF-8 name: bytes >= 0x80 */
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_str_eq(u.m[0].path, "caf\xc3\xa9");
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (int8_t)h[i];
	put_octal(h + 148, 7, (uint64_t)sum);
	ck_assert_msg(tb_index() == 0, "%s", err);
	put_octal(h + 148, 7, (uint64_t)sum + 1);
	expect_err(-EINVAL, "header at offset 0: bad checksum");
}
END_TEST

START_TEST(test_bad_magic)
{
	uint8_t *h;

	tb_reset();
	h = tb_hdr("a", '0', 0);
	tb_end();
	memcpy(h + 257,
	       "ustar\0"
	       "01",
	       8);
	tb_sum(h);
	expect_err(-EINVAL, "header at offset 0: not a ustar or GNU tar header (bad magic)");
	memset(h + 257, 0, 8);
	tb_sum(h);
	expect_err(-EINVAL, "header at offset 0: not a ustar or GNU tar header (bad magic)");
	/* Random bytes: the checksum fails first. */
	for (int i = 0; i < 512; i++)
		tb.buf[i] = (uint8_t)(i * 7 + 3);
	expect_err(-EINVAL, "header at offset 0: bad checksum");
}
END_TEST

START_TEST(test_numeric_fields)
{
	uint8_t *h;

	tb_reset();
	h = tb_hdr("a", '0', 3);
	tb_data("abc", 3);
	tb_end();
	memcpy(h + 124, "00000000009", 12);
	tb_sum(h);
	expect_err(-EINVAL, "member 'a': invalid size field");
	memcpy(h + 124, "0000000003x", 12);
	tb_sum(h);
	expect_err(-EINVAL, "member 'a': invalid size field");
	memset(h + 124, ' ', 12);
	tb_sum(h);
	expect_err(-EINVAL, "member 'a': invalid size field");
	memcpy(h + 124, "-0000000003", 12);
	tb_sum(h);
	expect_err(-EINVAL, "member 'a': invalid size field");
	/* Leading blanks, blank terminators and all 12 digits are fine. */
	memcpy(h + 124, "     3  \0\0\0\0", 12);
	tb_sum(h);
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_uint_eq(u.m[0].size, 3);
	memcpy(h + 124, "000000000003", 12);
	tb_sum(h);
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_uint_eq(u.m[0].size, 3);
	/* Octal overflow is refused, not wrapped. */
	memcpy(h + 124, "777777777777", 12);
	tb_sum(h);
	expect_err(-E2BIG, "member 'a': too large (68719476735 bytes, max 67108864)");
}
END_TEST

START_TEST(test_base256_size)
{
	static const uint8_t small[12] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
	static const uint8_t huge[12] = {0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0};
	static const uint8_t over[12] = {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t neg[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0xff, 0xfd};
	uint8_t *h;

	tb_reset();
	h = tb_hdr("a", '0', 3);
	tb_data("abc", 3);
	tb_end();
	memcpy(h + 124, small, 12);
	tb_sum(h);
	ck_assert_msg(tb_index() == 0, "%s", err);
	expect_file("a", "abc", 3);
	memcpy(h + 124, huge, 12);
	tb_sum(h);
	expect_err(-E2BIG, "member 'a': too large (8589934592 bytes, max 67108864)");
	memcpy(h + 124, over, 12); /* 2^64: does not fit */
	tb_sum(h);
	expect_err(-EINVAL, "member 'a': invalid size field");
	memcpy(h + 124, neg, 12);
	tb_sum(h);
	expect_err(-EINVAL, "member 'a': invalid size field");
}
END_TEST

START_TEST(test_huge_size)
{
	tb_reset();
	tb_hdr("a", '0', 077777777777ULL);
	tb_end();
	expect_err(-E2BIG, "member 'a': too large (8589934591 bytes, max 67108864)");
	tb_reset();
	tb_hdr("a", '0', USTAR_FILE_MAX); /* within the limit, beyond the archive */
	tb_end();
	expect_err(
		-EINVAL,
		"member 'a': truncated (67108864 bytes of data at offset 512, archive has 1536)");
}
END_TEST

START_TEST(test_paths)
{
	static const struct {
		const char *name, *err;
	} bad[] = {
		{"../x", "member '../x': path traversal"},
		{"etc/../x", "member 'etc/../x': path traversal"},
		{"./etc/..", "member './etc/..': path traversal"},
		{"/etc/x", "member '/etc/x': absolute path"},
		{"//x", "member '//x': absolute path"},
		{"etc//x", "member 'etc//x': empty path component"},
		{"etc/x/", "member 'etc/x/': empty path component"},
		{".", "member '.': empty path"},
		{"a\nb", "member 'a?b': control character in path"},
		{"a\x1b[2Jb", "member 'a?[2Jb': control character in path"},
		{"a\x7f", "member 'a?': control character in path"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tb_reset();
		tb_file(bad[i].name, "x");
		tb_end();
		expect_err(-EINVAL, bad[i].err);
	}
	tb_reset();
	tb_hdr("./etc/../", '5', 0);
	tb_end();
	expect_err(-EINVAL, "member './etc/../': path traversal");
	/* Harmless forms are normalised. */
	tb_reset();
	tb_file("././a/./b", "x");
	tb_file("..a/b..", "y");
	tb_hdr("d//", '5', 0); /* only one trailing slash is forgiven */
	tb_end();
	expect_err(-EINVAL, "member 'd//': empty path component");
	tb.len -= 1536;
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_str_eq(u.m[0].path, "a/b");
	ck_assert_str_eq(u.m[1].path, "..a/b..");
}
END_TEST

START_TEST(test_link_and_special_types)
{
	static const struct {
		char type;
		const char *err;
	} bad[] = {
		{'1', "member 'n': hard links not supported"},
		{'2', "member 'n': symbolic links not supported"},
		{'3', "member 'n': device nodes not supported"},
		{'4', "member 'n': device nodes not supported"},
		{'6', "member 'n': FIFOs not supported"},
		{'S', "member 'n': GNU sparse files not supported"},
		{'V', "member 'n': multi-volume archives not supported"},
		{'D', "member 'n': member type 'D' not supported"},
		{'\x01', "member 'n': member type 0x01 not supported"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tb_reset();
		tb_file("a", "x");
		tb_hdr("n", bad[i].type, 0);
		tb_end();
		expect_err(-EINVAL, bad[i].err);
	}
	/* A GNU long link name does not hide the symlink behind it. */
	tb_reset();
	tb_hdr("././@LongLink", 'K', 6);
	tb_data("target", 6);
	tb_hdr("lnk", '2', 0);
	tb_end();
	expect_err(-EINVAL, "member 'lnk': symbolic links not supported");
}
END_TEST

START_TEST(test_duplicates)
{
	tb_reset();
	tb_file("a", "x");
	tb_file("b", "y");
	tb_file("a", "z");
	tb_end();
	expect_err(-EEXIST, "member 'a': duplicate path");
	tb_reset();
	tb_file("etc/a", "x");
	tb_file("./etc/./a", "y"); /* the same path once normalised */
	tb_end();
	expect_err(-EEXIST, "member './etc/./a': duplicate path");
	tb_reset();
	tb_hdr("etc/", '5', 0);
	tb_file("etc", "y");
	tb_end();
	expect_err(-EEXIST, "member 'etc': duplicate path");
}
END_TEST

START_TEST(test_directory_with_data)
{
	tb_reset();
	tb_hdr("d/", '5', 3);
	tb_data("abc", 3);
	tb_end();
	expect_err(-EINVAL, "member 'd/': directory with data");
}
END_TEST

START_TEST(test_too_many_members)
{
	char name[16];

	tb_reset();
	for (int i = 0; i <= USTAR_MAX_MEMBERS; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		tb_hdr(name, '0', 0);
	}
	tb_end();
	expect_err(-E2BIG, "member 'f256': too many members (max 256)");
	tb.len -= 1536;
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_uint_eq(u.n, USTAR_MAX_MEMBERS);
}
END_TEST

/* Entries that are not members (here: the root, again and again) are bounded too. */
START_TEST(test_too_many_headers)
{
	tb_reset();
	for (int i = 0; i < 1089; i++)
		tb_hdr("./", '5', 0);
	tb_end();
	expect_err(-E2BIG, "header at offset 557056: too many headers (max 1088)");
	tb.len -= 1536;
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_uint_eq(u.n, 0);
}
END_TEST

START_TEST(test_gnu_long_names)
{
	char name[600];

	memset(name, 'n', sizeof(name));
	memcpy(name, "./", 2);
	name[2 + 255] = '\0';
	tb_reset();
	tb_hdr("././@LongLink", 'L', strlen(name) + 1);
	tb_data(name, strlen(name) + 1);
	tb_hdr("./nnnnnnnnnnn", '0', 2);
	tb_data("ok", 2);
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_str_eq(u.m[0].path, name + 2); /* 255 bytes: the limit */
	expect_file(name + 2, "ok", 2);
	/* 256 bytes once normalised. */
	name[2 + 255] = 'n';
	name[2 + 256] = '\0';
	tb_reset();
	tb_hdr("././@LongLink", 'L', strlen(name) + 1);
	tb_data(name, strlen(name) + 1);
	tb_hdr("./nnnnnnnnnnn", '0', 0);
	tb_end();
	expect_err(-EINVAL,
		   "member './nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...': "
		   "path too long (max 255 bytes)");
	/* Raw names longer than any sane path are refused before normalising. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	tb_reset();
	tb_hdr("././@LongLink", 'L', sizeof(name));
	tb_data(name, sizeof(name));
	tb_hdr("x", '0', 0);
	tb_end();
	expect_err(-EINVAL,
		   "member 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...': "
		   "name too long (max 255 bytes)");
	/* Oversized extended data, and a long name that names nothing. */
	tb_reset();
	tb_hdr("././@LongLink", 'L', USTAR_EXT_MAX + 1);
	tb_end();
	expect_err(-E2BIG, "member '././@LongLink': too large (4097 bytes, max 4096)");
	tb_reset();
	tb_hdr("././@LongLink", 'L', 2);
	tb_data("a", 2);
	tb_end();
	expect_err(-EINVAL, "header at offset 1024: extended header not followed by a member");
	tb_reset();
	tb_hdr("././@LongLink", 'L', 2);
	tb_data("a", 2);
	tb_hdr("././@LongLink", 'L', 2);
	tb_data("b", 2);
	tb_file("c", "x");
	tb_end();
	expect_err(-EINVAL, "member '././@LongLink': two GNU long names in a row");
}
END_TEST

START_TEST(test_pax)
{
	tb_reset();
	tb_pax("./PaxHeaders/x", 'g', "20 comment=whatever\n");
	tb_pax("./PaxHeaders/a", 'x',
	       "30 mtime=1795298276.895521074\n19 path=./etc/real\n9 size=4\n");
	tb_hdr("./etc/trunc", '0', 99); /* pax size overrides the header's */
	tb_data("abcd", 4);
	tb_file("./b", "b");
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_uint_eq(u.n, 2);
	expect_file("etc/real", "abcd", 4);
	expect_file("b", "b", 1); /* extended values apply to one member only */
	/* A pax path wins over a GNU long name whichever comes first. */
	tb_reset();
	tb_pax("./PaxHeaders/a", 'x', "10 path=p\n");
	tb_hdr("././@LongLink", 'L', 2);
	tb_data("l", 2);
	tb_file("h", "x");
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_str_eq(u.m[0].path, "p");
}
END_TEST

START_TEST(test_pax_errors)
{
	static const struct {
		char type;
		const char *records, *err;
	} bad[] = {
		{'x', "10 path=p", "member 'P': malformed pax record"},
		{'x', "12 path=p\n", "member 'P': malformed pax record"},
		{'x', "8 path=p\n", "member 'P': malformed pax record"},
		{'x', "x path=p\n", "member 'P': malformed pax record"},
		{'x', "6 =ab\n", "member 'P': malformed pax record"},
		{'x', "8 nokey\n", "member 'P': malformed pax record"},
		{'x', "99999999999999999999 a=b\n", "member 'P': malformed pax record"},
		{'x', "8 path=\n",
		 "member 'P': invalid pax path (empty, NUL byte or over 255 bytes)"},
		{'x', "11 size=1x\n", "member 'P': invalid pax size"},
		{'x', "29 size=99999999999999999999\n", "member 'P': invalid pax size"},
		{'x', "26 size=99999999999999999\n",
		 "member 'a': too large (99999999999999999 "
		 "bytes, max 67108864)"},
		{'x', "22 GNU.sparse.major=1\n", "member 'P': GNU sparse files not supported"},
		{'x', "13 path=../x\n", "member '../x': path traversal"},
		{'g', "10 path=p\n", "member 'P': global 'path' not supported"},
		{'g', "10 size=1\n", "member 'P': global 'size' not supported"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tb_reset();
		tb_pax("P", bad[i].type, bad[i].records);
		tb_file("a", "x");
		tb_end();
		expect_err(-EINVAL - (strstr(bad[i].err, "too large") ? E2BIG - EINVAL : 0),
			   bad[i].err);
	}
	/* A NUL inside a path value. */
	tb_reset();
	tb_hdr_fmt("P", 'x', 10, false);
	tb_data("10 path=\0\n", 10);
	tb_file("a", "x");
	tb_end();
	expect_err(-EINVAL, "member 'P': invalid pax path (empty, NUL byte or over 255 bytes)");
	tb_reset();
	tb_pax("P", 'x', "10 path=a\n");
	tb_pax("Q", 'x', "10 path=b\n");
	tb_file("c", "x");
	tb_end();
	expect_err(-EINVAL, "member 'Q': two pax headers in a row");
}
END_TEST

START_TEST(test_ustar_prefix)
{
	uint8_t *h;

	tb_reset();
	h = tb_hdr_fmt("name", '0', 1, false);
	memcpy(h + 345, "./some/prefix", 13);
	tb_sum(h);
	tb_data("x", 1);
	/* In GNU headers the prefix area holds other data: it is not a name. */
	h = tb_hdr_fmt("gname", '0', 1, true);
	memcpy(h + 345, "junk", 4);
	tb_sum(h);
	tb_data("y", 1);
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	ck_assert_str_eq(u.m[0].path, "some/prefix/name");
	ck_assert_str_eq(u.m[1].path, "gname");
	/* A prefix cannot smuggle a traversal in either. */
	memcpy(tb.buf + 345, "../x", 5);
	tb_sum(tb.buf);
	expect_err(-EINVAL, "member '../x/name': path traversal");
}
END_TEST

START_TEST(test_read_errors)
{
	tb_reset();
	tb_file("a", "x");
	tb_file("b", "y");
	tb_end();
	ck_assert_msg(tb_index() == 0, "%s", err);
	mem.fail_at = 1024;
	memset(err, 0, sizeof(err));
	ck_assert_int_eq(ustar_index(&u, mem_read, &mem, tb.len, err, sizeof(err)), -EIO);
	ck_assert_str_eq(err, "read error at offset 1024 (-5)");
	ck_assert_uint_eq(u.n, 0);
}
END_TEST

START_TEST(test_error_buffer)
{
	char small[16];

	tb_reset();
	tb_file("../x", "x");
	tb_end();
	mem.data = tb.buf;
	mem.len = tb.len;
	mem.fail_at = UINT64_MAX;
	ck_assert_int_eq(ustar_index(&u, mem_read, &mem, tb.len, NULL, 0), -EINVAL);
	ck_assert_int_eq(ustar_index(&u, mem_read, &mem, tb.len, small, sizeof(small)), -EINVAL);
	ck_assert_str_eq(small, "member '../x': ");
	/* The quoted name is cut, not the reason. */
	tb_reset();
	memset(tb.buf + 2048, 'a', 200);
	tb_hdr("././@LongLink", 'L', 205);
	memcpy(tb.buf + 2048, "../", 3);
	tb_data(tb.buf + 2048, 205);
	tb_hdr("x", '0', 0);
	tb_end();
	expect_err(-EINVAL,
		   "member '../aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': "
		   "path traversal");
}
END_TEST

/*
 * No input may crash the reader or make it read outside the archive
 * (mem_read asserts that): every truncation of a real-looking archive, and
 * random corruption with checksums fixed up so that the damage reaches the
 * field parsers.
 */
START_TEST(test_fuzz)
{
	static uint8_t good[16384], work[16384];
	uint32_t x = 42;
	size_t len;

	tb_reset();
	tb_hdr("./", '5', 0);
	tb_pax("./PaxHeaders/a", 'x', "16 path=./etc/a\n9 size=3\n");
	tb_hdr("a", '0', 3);
	tb_data("abc", 3);
	tb_hdr("././@LongLink", 'L', 8);
	tb_data("./etc/b", 8);
	tb_file("b", "hello");
	tb_end();
	len = tb.len;
	memcpy(good, tb.buf, len);
	ck_assert_msg(index_mem(good, len) == 0, "%s", err);
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_int_lt(index_mem(good, cut), 0);
	for (int iter = 0; iter < 20000; iter++) {
		int flips = 1 + iter % 4;

		memcpy(work, good, len);
		for (int f = 0; f < flips; f++) {
			x = x * 1103515245 + 12345;
			work[(x >> 8) % len] = (uint8_t)(x >> 24);
		}
		if (iter % 2)
			for (size_t h = 0; h < len; h += 512)
				tb_sum(work + h);
		index_mem(work, len);
		ck_assert(strlen(err) < sizeof(err) - 1); /* always terminated */
	}
}
END_TEST

static Suite *ustar_suite(void)
{
	Suite *s = suite_create("ustar");
	TCase *tt = tcase_create("tar");
	TCase *th = tcase_create("handmade");

	tcase_set_timeout(tt, 60);
	tcase_add_test(tt, test_tar_default);
	tcase_add_test(tt, test_tar_gnu);
	tcase_add_test(tt, test_tar_oldgnu);
	tcase_add_test(tt, test_tar_ustar);
	tcase_add_test(tt, test_tar_pax);
	tcase_add_test(tt, test_tar_v7_refused);
	tcase_add_test(tt, test_tar_symlink_refused);
	suite_add_tcase(s, tt);
	tcase_set_timeout(th, 60);
	tcase_add_test(th, test_minimal);
	tcase_add_test(th, test_empty_archive);
	tcase_add_test(th, test_missing_end);
	tcase_add_test(th, test_truncated_data);
	tcase_add_test(th, test_bad_checksum);
	tcase_add_test(th, test_signed_checksum);
	tcase_add_test(th, test_bad_magic);
	tcase_add_test(th, test_numeric_fields);
	tcase_add_test(th, test_base256_size);
	tcase_add_test(th, test_huge_size);
	tcase_add_test(th, test_paths);
	tcase_add_test(th, test_link_and_special_types);
	tcase_add_test(th, test_duplicates);
	tcase_add_test(th, test_directory_with_data);
	tcase_add_test(th, test_too_many_members);
	tcase_add_test(th, test_too_many_headers);
	tcase_add_test(th, test_gnu_long_names);
	tcase_add_test(th, test_pax);
	tcase_add_test(th, test_pax_errors);
	tcase_add_test(th, test_ustar_prefix);
	tcase_add_test(th, test_read_errors);
	tcase_add_test(th, test_error_buffer);
	tcase_add_test(th, test_fuzz);
	suite_add_tcase(s, th);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ustar_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
