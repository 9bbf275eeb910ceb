// SPDX-License-Identifier: BSD-2-Clause
/*
 * The certificate store (tls/certstore.c) on the host build of mbedTLS:
 * certificate chains and private keys from the config disk or a pushed
 * archive, so untrusted. The input is one byte choosing the entry's name
 * pattern and the validity time, two bytes (little-endian) of chain
 * length, the chain, then the key. The entry is loaded (twice, beside a
 * copy of itself under another name, to cover keeping and skipping), the
 * chain is also loaded as a CA bundle, and an accepted store must answer
 * every selection with one of its certificates. Every report must be one
 * NUL-terminated line. Seeds are made at build time from tests/unit/mkcerts
 * (no private key is ever committed): tests/fuzz/mkcertseeds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "certstore.h"
#include "fuzz.h"

/* Deterministic bytes for RSA blinding: inputs must replay exactly. */
static int fake_rng(void *arg, unsigned char *out, size_t len)
{
	unsigned int *state = arg;

	for (size_t i = 0; i < len; i++) {
		*state = *state * 1103515245u + 12345u;
		out[i] = (unsigned char)(*state >> 16);
	}
	return 0;
}

static void report(void *arg, bool fatal, const char *msg)
{
	(void)fatal;
	(*(unsigned int *)arg)++;
	if (strlen(msg) >= CERTSTORE_MSG_MAX || strchr(msg, '\n'))
		abort();
}

static void select_all(const struct certstore *s)
{
	static const char *const names[] = {
		"example.com", "a.example.org", "x.y.example.org", "www.example.net", "",
		"EXAMPLE.COM"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct certstore_cert *c = certstore_select(s, names[i], strlen(names[i]));

		if (c < s->certs || c >= s->certs + s->ncerts)
			abort();
		(void)certstore_days_left(c, 4102444800);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const patterns[] = {"example.com", "*.example.org", "default",
					       "www.example.net"};
	/* 2100 (inside the seeds' 100 years), 2000 (before), 2200 (after). */
	static const int64_t times[] = {4102444800, 946684800, 7258118400};
	struct certstore_in in[2];
	struct certstore *s = NULL;
	mbedtls_x509_crt ca;
	unsigned int rng = 1, nrep = 0;
	char err[CERTSTORE_MSG_MAX];
	size_t clen;
	int rc;

	if (size < 3)
		return 0;
	clen = (size_t)data[1] | (size_t)data[2] << 8;
	if (clen > size - 3)
		clen = size - 3;
	in[0] = (struct certstore_in){patterns[data[0] & 3], data + 3,	  clen,	    data + 3 + clen,
				      size - 3 - clen,	     "chain.pem", "key.pem"};
	in[1] = in[0];
	in[1].pattern = "other.test";
	rc = certstore_build(in, 1 + ((data[0] >> 2) & 1), times[(data[0] >> 3) % 3], fake_rng,
			     &rng, report, &nrep, &s);
	if (rc == 0) {
		if (!s || !s->ncerts || !s->def || nrep < s->nerrors)
			abort();
		select_all(s);
		certstore_free(s);
	} else if (s || (rc != -EINVAL && rc != -ENOMEM) || nrep == 0) {
		abort();
	}
	rc = certstore_load_ca(data + 3, clen, "ca.pem", &ca, err, sizeof(err));
	if (rc == 0)
		mbedtls_x509_crt_free(&ca);
	else if (!memchr(err, '\0', sizeof(err)))
		abort();
	return 0;
}
