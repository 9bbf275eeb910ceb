// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl's TLS terminator support (tools/ctl_tls.c): the check that
 * `validate -a tls` and `push` run (the configuration with the
 * appliance's parser, then every certificate, key and CA bundle it names,
 * relative to the configuration's directory), and the value push sends
 * (base64 of a ustar archive). The archive is decoded, unpacked with the
 * system's tar and compared file by file, and indexed with the kernel's
 * own reader (kernel/lib/ustar.c) as the appliance does. Twice: made by libarchive,
 * and by the system's tar program (the fallback where libarchive is
 * absent, forced with SLUICE_CTL_ARCHIVER=tar). Certificates come from
 * tests/unit/mkcerts. About 2 s.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_int.h"
#include "mbedtls/base64.h"
#include "sluice/ustar.h"

static char dir[64], cfg[128], errs[8192];
static size_t lib_len; /* test_pack's archive, for test_pack_tar */

static void sh(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

static void write_cfg(const char *text)
{
	FILE *f = fopen(cfg, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* ctl_tls_check on @text with stderr captured into errs. */
static int check(const char *text)
{
	char summary[128], path[160];
	int fd, saved, r;
	ssize_t n;

	write_cfg(text);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	r = ctl_tls_check(cfg, text, strlen(text), summary, sizeof(summary));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, errs, sizeof(errs) - 1, 0);
	errs[n > 0 ? n : 0] = '\0';
	close(fd);
	if (r == 0)
		snprintf(errs, sizeof(errs), "%s", summary);
	return r;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_ctltls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	sh("mkdir %s/certs && '" MKCERTS "' %s/certs >/dev/null", dir);
	snprintf(cfg, sizeof(cfg), "%s/tls.cfg", dir);
}

static void teardown(void)
{
	sh("rm -rf '%s'", dir);
}

#define GOOD                                                                                       \
	"listen 0.0.0.0:443\n"                                                                     \
	"  cert example.com /certs/rsa.pem /certs/rsa.key\n"                                       \
	"  cert *.example.org certs/ec.pem certs/ecsec1.key\n"                                     \
	"  cert default /certs/chain.pem /certs/chain.key\n"                                       \
	"  client-ca /certs/ca.pem\n"                                                              \
	"  backend 10.0.0.1:80 proxy-v2\n"                                                         \
	"listen [::]:443\n"                                                                        \
	"  cert example.com /certs/rsa.pem /certs/rsa.key\n"                                       \
	"  backend 10.0.0.2:80\n"

START_TEST(test_validate)
{
	char want[1024];

	ck_assert_int_eq(check(GOOD), 0);
	ck_assert_str_eq(errs, "2 listeners, 4 certificates, 2 backends");

	/* The parser's own message, with the file's name. */
	ck_assert_int_eq(check("listen 0.0.0.0:443\n  cert x /a /b\n  bakend 1.2.3.4:5\n"),
			 CTL_EXIT_REJECTED);
	snprintf(want, sizeof(want),
		 "%s:3:3: 'bakend': expected listen, cert, alpn, client-ca, backend or limits\n",
		 cfg);
	ck_assert_str_eq(errs, want);

	/* Every bad file reported, by line, in one run. */
	ck_assert_int_eq(check("listen 0.0.0.0:443\n"
			       "  cert a.test /certs/rsa.pem /certs/ec.key\n"
			       "  cert b.test /certs/missing.pem /certs/rsa.key\n"
			       "  cert c.test /certs/rsa.pem /certs/enc.key\n"
			       "  cert www.example.net /certs/chain.pem /certs/chain.key\n"
			       "  client-ca /certs/rsa.key\n"
			       "  backend 10.0.0.1:80\n"),
			 CTL_EXIT_REJECTED);
	snprintf(want, sizeof(want),
		 "%s:2:1: /certs/ec.key: does not match the certificate in /certs/rsa.pem\n"
		 "%s:3:1: /certs/missing.pem: No such file or directory\n"
		 "%s:4:1: /certs/enc.key: encrypted private keys are not supported\n"
		 "%s:1:1: client-ca /certs/rsa.key: malformed CA certificate PEM (",
		 cfg, cfg, cfg, cfg);
	ck_assert_msg(strncmp(errs, want, strlen(want)) == 0, "got:\n%s\nwant:\n%s", errs, want);

	/* A name the certificate does not carry is a warning, not a refusal. */
	ck_assert_int_eq(
		check("listen 0.0.0.0:443\n  cert other.test /certs/rsa.pem /certs/rsa.key\n"
		      "  backend 10.0.0.1:80\n"),
		0);
}
END_TEST

struct mem {
	const unsigned char *p;
	size_t n;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ctx;

	if (off > m->n || len > m->n - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return 0;
}

#define NOPE "listen 1.2.3.4:5\ncert a.b /nope.pem /nope.key\nbackend 1.2.3.4:6\n"

/* Pack GOOD and check the archive with the appliance's reader and the system's tar. */
static size_t pack_and_compare(void)
{
	static struct ustar u;
	static const char *const members[] = {
		"certs/rsa.pem",   "certs/rsa.key",   "certs/ec.pem", "certs/ecsec1.key",
		"certs/chain.pem", "certs/chain.key", "certs/ca.pem"};
	char *val, path[160], err[128];
	unsigned char *tar;
	size_t vlen, tlen;
	struct mem m;
	FILE *f;

	write_cfg(GOOD);
	ck_assert_int_eq(ctl_tls_pack(cfg, GOOD, strlen(GOOD), &val, &vlen), 0);
	ck_assert_uint_le(vlen, ctl_chunked_max);
	ck_assert_uint_eq(strlen(val), vlen);
	mbedtls_base64_decode(NULL, 0, &tlen, (unsigned char *)val, vlen);
	tar = malloc(tlen);
	ck_assert_int_eq(mbedtls_base64_decode(tar, tlen, &tlen, (unsigned char *)val, vlen), 0);
	ck_assert_uint_eq(tlen % 512, 0);

	/* The appliance's reader: every member there, nothing else, the right sizes. */
	m = (struct mem){tar, tlen};
	ck_assert_int_eq(ustar_index(&u, mem_read, &m, tlen, err, sizeof(err)), 0);
	ck_assert_uint_eq(u.n, 8);
	ck_assert_uint_eq(ustar_lookup(&u, "tls.cfg")->size, strlen(GOOD));
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		ck_assert_msg(ustar_lookup(&u, members[i]) != NULL, "%s", members[i]);

	/* The system's tar: unpacked, byte for byte the files that were named. */
	snprintf(path, sizeof(path), "%s/push.tar", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(tar, 1, tlen, f), tlen);
	fclose(f);
	sh("mkdir %s/out && tar -xf %s/push.tar -C %s/out", dir);
	sh("test \"$(tar -tf %s/push.tar | sort | tr '\\n' ' ')\" = 'certs/ca.pem certs/chain.key "
	   "certs/chain.pem certs/ec.pem certs/ecsec1.key certs/rsa.key certs/rsa.pem tls.cfg ' "
	   "# %s %s",
	   dir);
	sh("cmp %s/tls.cfg %s/out/tls.cfg # %s", dir);
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "cmp %s/%s %s/out/%s", dir, members[i], dir, members[i]);
		ck_assert_msg(system(cmd) == 0, "%s", cmd);
	}
	free(tar);
	free(val);

	/* A file that cannot be read stops the push. */
	ck_assert_int_eq(ctl_tls_pack(cfg, NOPE, strlen(NOPE), &val, &vlen), CTL_EXIT_REJECTED);
	return tlen;
}

START_TEST(test_pack)
{
	unsetenv("SLUICE_CTL_ARCHIVER");
	lib_len = pack_and_compare();
}
END_TEST

/*
 * Without libarchive the system's tar program packs the same members: the
 * same checks, the archive trimmed to its end-of-archive blocks, and the
 * temporary directory holding the copies of the keys removed.
 */
START_TEST(test_pack_tar)
{
	char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	setenv("TMPDIR", tmp, 1);
	setenv("SLUICE_CTL_ARCHIVER", "tar", 1);
	sh("rm -rf %s/out %s/push.tar # %s", dir);
	/* Byte for byte as long as libarchive's: same members, same padding. */
	ck_assert_uint_eq(pack_and_compare(), lib_len);
	sh("test -z \"$(ls -A %s/tmp)\" # %s %s", dir);

	/* No tar program either: refused with both reasons, nothing left behind. */
	{
		char *val, *path = strdup(getenv("PATH"));
		size_t vlen;

		setenv("PATH", tmp, 1); /* an empty directory */
		write_cfg(GOOD);
		ck_assert_int_eq(ctl_tls_pack(cfg, GOOD, strlen(GOOD), &val, &vlen),
				 CTL_EXIT_REJECTED);
		setenv("PATH", path, 1);
		free(path);
		sh("test -z \"$(ls -A %s/tmp)\" # %s %s", dir);
	}
	unsetenv("SLUICE_CTL_ARCHIVER");
	unsetenv("TMPDIR");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctltls");
	TCase *tc = tcase_create("tls");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_pack);
	tcase_add_test(tc, test_pack_tar);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
