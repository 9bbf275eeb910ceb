// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the certificate store (tls/certstore.c) on the host
 * build of mbedTLS with the kernel's configuration. Certificates and keys
 * are made fresh by tests/unit/mkcerts (openssl) in a temporary directory:
 * RSA and ECDSA, PKCS#8 and traditional keys, a two-certificate chain.
 * Checked: every entry kept with its validity window, SNI selection
 * (exact, one-label wildcard, default), one message per bad entry naming
 * its file (mismatched key, malformed PEM, encrypted key, expired and
 * not-yet-valid certificates, an expired CA in a chain) with the good
 * entries kept, and that no freed heap block still holds key material,
 * while loading or after certstore_free (free() is wrapped at link time).
 * About 2 s, most of it openssl making the keys.
 */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certstore.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"

static char dir[64];
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;

/* ---- free() that looks for secrets in what is freed ---- */

void __real_free(void *p);
void __wrap_free(void *p);

static const unsigned char *needles[4];
static size_t needle_len[4], nneedles;
static volatile bool armed; /* volatile: free() is a builtin the compiler thinks reads no globals */
static volatile unsigned int leaks;

void __wrap_free(void *p)
{
	if (p && armed) {
		const unsigned char *b = p;
		size_t n = malloc_usable_size(p);

		for (size_t k = 0; k < nneedles; k++)
			for (size_t i = 0; i + needle_len[k] <= n; i++)
				if (b[i] == needles[k][0] &&
				    memcmp(b + i, needles[k], needle_len[k]) == 0) {
					leaks++;
					break;
				}
	}
	__real_free(p);
}

/* ---- fixtures ---- */

struct file {
	unsigned char *p;
	size_t n;
};

static struct file slurp(const char *name)
{
	char path[128];
	struct file f = {0};
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	f.p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(f.p);
	ck_assert_uint_eq(fread(f.p, 1, (size_t)n, fp), (size_t)n);
	f.n = (size_t)n;
	fclose(fp);
	return f;
}

static void setup(void)
{
	char cmd[256];

	snprintf(dir, sizeof(dir), "/tmp/test_certstore.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "'%s' '%s'", MKCERTS, dir);
	ck_assert_int_eq(system(cmd), 0);
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	ck_assert_int_eq(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0), 0);
}

static void teardown(void)
{
	char cmd[128];

	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Messages reported during one build. */
static char msgs[16][CERTSTORE_MSG_MAX];
static bool fatal[16];
static unsigned int nmsgs;

static void collect(void *arg, bool is_fatal, const char *msg)
{
	(void)arg;
	ck_assert_uint_lt(nmsgs, 16);
	fatal[nmsgs] = is_fatal;
	snprintf(msgs[nmsgs++], CERTSTORE_MSG_MAX, "%s", msg);
}

/* Entry @pattern from files @cert and @key (read from the directory). */
static struct certstore_in entry(const char *pattern, const char *cert, const char *key)
{
	struct file c = slurp(cert), k = slurp(key);

	return (struct certstore_in){pattern, c.p, c.n, k.p, k.n, cert, key};
}

static void free_entries(struct certstore_in *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)in[i].chain);
		free((void *)in[i].key);
	}
}

static int build(struct certstore_in *in, size_t n, int64_t now, struct certstore **s)
{
	nmsgs = 0;
	return certstore_build(in, n, now, mbedtls_ctr_drbg_random, &drbg, collect, NULL, s);
}

/* The validity window of a certificate file, through the store itself. */
static void window(const char *cert, const char *key, int64_t *from, int64_t *to)
{
	struct certstore_in in = entry("default", cert, key);
	struct certstore *s;

	ck_assert_int_eq(build(&in, 1, time(NULL) + 60, &s), 0);
	*from = s->certs[0].not_before;
	*to = s->certs[0].not_after;
	certstore_free(s);
	free_entries(&in, 1);
}

/* ---- tests ---- */

START_TEST(test_time)
{
	mbedtls_x509_time t0 = {1970, 1, 1, 0, 0, 0}, t1 = {2000, 1, 1, 0, 0, 0},
			  t2 = {2038, 1, 19, 3, 14, 8}, t3 = {2024, 2, 29, 23, 59, 59};

	ck_assert_int_eq(certstore_x509_time(&t0), 0);
	ck_assert_int_eq(certstore_x509_time(&t1), 946684800);
	ck_assert_int_eq(certstore_x509_time(&t2), 2147483648);
	ck_assert_int_eq(certstore_x509_time(&t3), 1709251199);
}
END_TEST

START_TEST(test_good)
{
	struct certstore_in in[5] = {
		entry("example.com", "rsa.pem", "rsa.key"),	    /* RSA, traditional */
		entry("*.example.org", "ec.pem", "ec.key"),	    /* P-256, PKCS#8 */
		entry("a.example.org", "ec.pem", "ecsec1.key"),	    /* P-256, SEC1 */
		entry("www.example.net", "chain.pem", "chain.key"), /* P-384 leaf + CA */
		entry("default", "rsa.pem", "rsa8.key"),	    /* RSA, PKCS#8 */
	};
	struct certstore *s;
	int64_t from, to;

	window("rsa.pem", "rsa.key", &from, &to);
	ck_assert_int_eq(to - from, 30 * 86400); /* mkcerts: 30 days */
	ck_assert_int_eq(build(in, 5, from + 86400, &s), 0);
	ck_assert_uint_eq(nmsgs, 0);
	ck_assert_uint_eq(s->ncerts, 5);
	ck_assert_uint_eq(s->nerrors, 0);
	ck_assert_ptr_eq(s->def, &s->certs[4]);
	ck_assert_int_eq(mbedtls_pk_get_type(&s->certs[0].key), MBEDTLS_PK_RSA);
	ck_assert_int_eq(mbedtls_pk_get_type(&s->certs[1].key), MBEDTLS_PK_ECKEY);
	ck_assert_ptr_nonnull(s->certs[3].chain.next); /* the CA came along */
	ck_assert_str_eq(s->certs[3].cert_name, "chain.pem");
	ck_assert_int_eq(certstore_days_left(&s->certs[0], from + 86400), 29);
	ck_assert_int_eq(certstore_days_left(&s->certs[0], s->certs[0].not_after), 0);
	ck_assert_int_eq(certstore_days_left(&s->certs[0], s->certs[0].not_after + 1), -1);

	ck_assert_ptr_eq(certstore_select(s, "example.com", 11), &s->certs[0]);
	ck_assert_ptr_eq(certstore_select(s, "EXAMPLE.Com", 11), &s->certs[0]);
	ck_assert_ptr_eq(certstore_select(s, "example.comX", 11), &s->certs[0]);  /* @len counts */
	ck_assert_ptr_eq(certstore_select(s, "a.example.org", 13), &s->certs[2]); /* exact first */
	ck_assert_ptr_eq(certstore_select(s, "b.example.org", 13), &s->certs[1]);
	ck_assert_ptr_eq(certstore_select(s, "B.EXAMPLE.ORG", 13), &s->certs[1]);
	ck_assert_ptr_eq(certstore_select(s, "x.b.example.org", 15), s->def); /* one label only */
	ck_assert_ptr_eq(certstore_select(s, "example.org", 11), s->def);
	ck_assert_ptr_eq(certstore_select(s, ".example.org", 12), s->def);
	ck_assert_ptr_eq(certstore_select(s, "www.example.net", 15), &s->certs[3]);
	ck_assert_ptr_eq(certstore_select(s, "default", 7), s->def);
	ck_assert_ptr_eq(certstore_select(s, NULL, 0), s->def);
	certstore_free(s);

	/* Without a `default` entry, the first entry kept is the default. */
	ck_assert_int_eq(build(in + 1, 3, from + 86400, &s), 0);
	ck_assert_ptr_eq(s->def, &s->certs[0]);
	ck_assert_ptr_eq(certstore_select(s, "unknown.test", 12), &s->certs[0]);
	certstore_free(s);
	free_entries(in, 5);
}
END_TEST

static void starts(unsigned int i, const char *prefix)
{
	ck_assert_msg(strncmp(msgs[i], prefix, strlen(prefix)) == 0,
		      "message %u: '%s', want '%s...'", i, msgs[i], prefix);
}

START_TEST(test_bad_entries)
{
	struct certstore_in in[8] = {
		entry("a.test", "rsa.pem", "ec.key"),	    /* key of another certificate */
		entry("b.test", "rsa.pem", "rsa.key"),	    /* bad PEM: base64 damaged below */
		entry("c.test", "rsa.pem", "rsa.key"),	    /* key not PEM at all */
		entry("d.test", "rsa.pem", "enc.key"),	    /* encrypted */
		entry("e.test", "rsa.pem", "rsa.key"),	    /* empty certificate file */
		entry("example.com", "rsa.pem", "rsa.key"), /* good */
		entry("other.test", "ec.pem", "ec.key"),    /* good, names do not cover it */
		entry("f.test", "rsa.pem", "rsa.key"),	    /* truncated chain */
	};
	struct certstore *s;
	int64_t from, to;

	window("rsa.pem", "rsa.key", &from, &to);
	((unsigned char *)in[1].chain)[100] = '*';
	memcpy((void *)in[2].key, "hello", 5);
	in[2].key_len = 5;
	in[4].chain_len = 0;
	in[7].chain_len /= 2;
	ck_assert_int_eq(build(in, 8, from + 60, &s), 0);
	ck_assert_uint_eq(s->ncerts, 2);
	ck_assert_uint_eq(s->nerrors, 6);
	ck_assert_str_eq(s->certs[0].pattern, "example.com");
	ck_assert_str_eq(s->certs[1].pattern, "other.test");
	ck_assert_ptr_eq(s->def, &s->certs[0]);
	ck_assert_uint_eq(nmsgs, 7);
	ck_assert_str_eq(msgs[0], "ec.key: does not match the certificate in rsa.pem");
	starts(1, "rsa.pem: malformed certificate PEM (");
	starts(2, "rsa.key: malformed private key PEM (");
	ck_assert_str_eq(msgs[3], "enc.key: encrypted private keys are not supported");
	ck_assert_str_eq(msgs[4], "rsa.pem: empty file");
	ck_assert_str_eq(msgs[5], "ec.pem: the certificate's names do not cover 'other.test' "
				  "(clients will refuse it)");
	ck_assert(!fatal[5]);
	starts(6, "rsa.pem: malformed certificate PEM (");
	for (unsigned int i = 0; i < 7; i++)
		ck_assert(fatal[i] == (i != 5));
	certstore_free(s);

	/* Nothing good: refused as a whole, every reason still reported. */
	ck_assert_int_eq(build(in, 5, from + 60, &s), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(nmsgs, 5);
	free_entries(in, 8);
}
END_TEST

START_TEST(test_validity)
{
	struct certstore_in in[2] = {
		entry("example.com", "rsa.pem", "rsa.key"),
		entry("www.example.net", "chain.pem", "chain.key"),
	};
	struct certstore *s;
	int64_t from, to;

	window("rsa.pem", "rsa.key", &from, &to);
	ck_assert_int_eq(build(in, 1, from - 1, &s), -EINVAL);
	starts(0, "rsa.pem: certificate not valid before ");
	ck_assert_int_eq(build(in, 1, to + 1, &s), -EINVAL);
	starts(0, "rsa.pem: certificate expired on ");
	ck_assert_ptr_nonnull(strstr(msgs[0], " UTC"));
	ck_assert_int_eq(build(in, 1, to, &s), 0); /* the last second still counts */
	certstore_free(s);
	/* Day 15: the leaf (30 days) is valid, its CA (10 days) is not. */
	ck_assert_int_eq(build(in, 2, from + 15 * 86400, &s), 0);
	ck_assert_uint_eq(s->ncerts, 1);
	ck_assert_uint_eq(nmsgs, 1);
	starts(0, "chain.pem: certificate 2 of the chain expired on ");
	certstore_free(s);
	free_entries(in, 2);
}
END_TEST

/* Needles: windows of the keys' secret parts, as DER and as PEM text. */
static void set_needles(struct file *rsa_der, struct file *ec_der, struct file *pem)
{
	const char *line;

	*rsa_der = slurp("rsa.der");
	*ec_der = slurp("ecsec1.der");
	*pem = slurp("rsa.key");
	needles[0] = rsa_der->p + rsa_der->n / 2; /* private exponent / primes */
	needle_len[0] = 16;
	needles[1] = ec_der->p + 7; /* SEC1: 30 77 02 01 01 04 20 <d> */
	needle_len[1] = 16;
	pem->p[pem->n] = '\0';
	line = strchr((const char *)pem->p + pem->n / 2, '\n');
	ck_assert_ptr_nonnull(line);
	needles[2] = (const unsigned char *)line + 1; /* 32 base64 bytes of a body line */
	needle_len[2] = 32;
	nneedles = 3;
}

START_TEST(test_zeroize)
{
	struct certstore_in in[3] = {
		entry("example.com", "rsa.pem", "rsa.key"),
		entry("a.example.org", "ec.pem", "ecsec1.key"),
		entry("b.example.org", "ec.pem", "ec.key"),
	};
	struct file rsa_der, ec_der, pem;
	struct certstore *s;
	unsigned char *copy;

	set_needles(&rsa_der, &ec_der, &pem);
	/* The check can fail: a freed copy of a secret is seen. */
	copy = malloc(64);
	ck_assert_ptr_nonnull(copy);
	/* Through a volatile pointer: the compiler may drop plain stores before a free. */
	for (size_t i = 0; i < 16; i++)
		((volatile unsigned char *)copy)[8 + i] = needles[1][i];
	armed = true;
	free(copy);
	armed = false;
	ck_assert_uint_eq(leaks, 1);
	leaks = 0;

	armed = true;
	ck_assert_int_eq(build(in, 3, time(NULL) + 60, &s), 0);
	ck_assert_uint_eq(s->ncerts, 3);
	certstore_free(s);
	armed = false;
	ck_assert_uint_eq(leaks, 0);
	free_entries(in, 3);
	free(rsa_der.p);
	free(ec_der.p);
	free(pem.p);
}
END_TEST

START_TEST(test_ca)
{
	struct file ca = slurp("ca.pem"), two = slurp("chain.pem");
	mbedtls_x509_crt crt;
	char err[CERTSTORE_MSG_MAX];

	ck_assert_int_eq(certstore_load_ca(ca.p, ca.n, "ca.pem", &crt, err, sizeof(err)), 0);
	ck_assert_ptr_null(crt.next);
	mbedtls_x509_crt_free(&crt);
	ck_assert_int_eq(certstore_load_ca(two.p, two.n, "chain.pem", &crt, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(crt.next);
	mbedtls_x509_crt_free(&crt);
	ck_assert_int_eq(certstore_load_ca(ca.p, 0, "ca.pem", &crt, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "ca.pem: empty file");
	ca.p[80] = '!';
	ck_assert_int_eq(certstore_load_ca(ca.p, ca.n, "ca.pem", &crt, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strncmp(err, "ca.pem: malformed CA certificate PEM (", 38) == 0, "%s", err);
	free(ca.p);
	free(two.p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("certstore");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_bad_entries);
	tcase_add_test(tc, test_validity);
	tcase_add_test(tc, test_zeroize);
	tcase_add_test(tc, test_ca);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* One process: the fixture's directory and the DRBG are shared by the tests. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
