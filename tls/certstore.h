/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Server certificates and their keys, chosen by SNI (docs/tls.md).
 *
 * Built from PEM bytes (read from the config disk or unpacked from a
 * pushed archive: untrusted), with mbedTLS's X.509 and PK parsers: RSA and
 * ECDSA keys, PKCS#8 or traditional (PKCS#1 / SEC1), unencrypted. Each
 * entry is checked on its own; a malformed PEM, a key that does not match
 * its certificate, a certificate that is expired or not yet valid at the
 * given time, each give an error naming the file, and that entry is left
 * out while the valid ones are kept. Every error is reported, not only
 * the first.
 *
 * Selection (certstore_select):
 *   1. an entry whose pattern equals the SNI name (case-insensitive);
 *   2. else a wildcard "*.example.org" whose suffix matches and whose '*'
 *      covers exactly one label of the name ("a.example.org", never
 *      "a.b.example.org" nor "example.org"), as RFC 6125 clients match;
 *   3. else the default: the entry named `default`, or the first entry
 *      kept when there is none.
 * Patterns are what the operator wrote; the certificate's own subject
 * names are not searched (so the configuration says alone which
 * certificate answers which name), but an entry whose certificate does
 * not cover its pattern gets a warning (clients would refuse it).
 *
 * Key material never reaches a message. Freeing the store zeroes the keys
 * (mbedtls_pk_free) and every PEM copy is zeroed as soon as it is parsed.
 */
#ifndef SLUICE_TLS_CERTSTORE_H
#define SLUICE_TLS_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/pk.h"
#include "mbedtls/x509_crt.h"

#define CERTSTORE_PEM_MAX (1024u * 1024) /* bytes of one PEM file */
#define CERTSTORE_MSG_MAX 320		 /* one message, with its NUL */

/* One certificate to load. Names are for messages only; the PEM need not be NUL-terminated. */
struct certstore_in {
	const char *pattern; /* "default", "example.com" or "*.example.org" */
	const unsigned char *chain;
	size_t chain_len;
	const unsigned char *key;
	size_t key_len;
	const char *cert_name; /* e.g. "/certs/example.pem" */
	const char *key_name;
};

/* A certificate kept in the store. */
struct certstore_cert {
	char pattern[254];
	bool is_default; /* named `default` */
	bool wildcard;	 /* pattern is "*.suffix" */
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	int64_t not_before, not_after; /* validity, seconds since 1970 (UTC) */
	char cert_name[256];	       /* for counters and messages */
};

struct certstore {
	struct certstore_cert *certs; /* in input order */
	size_t ncerts;
	const struct certstore_cert *def; /* what a client without (matching) SNI gets */
	unsigned int nerrors;		  /* entries left out */
};

/*
 * Called once per problem, in input order. @fatal: the entry was left
 * out; otherwise a warning. @msg names the file: "/certs/a.key: does not
 * match the certificate in /certs/a.pem".
 */
typedef void (*certstore_report_fn)(void *arg, bool fatal, const char *msg);

/*
 * Build a store from @n entries, checking validity against @now (seconds
 * since 1970, UTC). @f_rng/@p_rng are handed to mbedtls_pk_parse_key and
 * mbedtls_pk_check_pair (RSA blinding). Returns 0 with *@out set when at
 * least one entry was kept (see (*out)->nerrors for the ones left out),
 * -EINVAL when none was (every reason reported), -ENOMEM.
 */
int certstore_build(const struct certstore_in *in, size_t n, int64_t now,
		    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		    certstore_report_fn report, void *arg, struct certstore **out);

/* Zeroes and frees everything; NULL is fine. */
void certstore_free(struct certstore *s);

/* The certificate for SNI @name (@len bytes, no NUL needed; NULL/0: no SNI). Never NULL. */
const struct certstore_cert *certstore_select(const struct certstore *s, const char *name,
					      size_t len);

/* Whole days until @c expires at @now (negative once expired). */
int64_t certstore_days_left(const struct certstore_cert *c, int64_t now);

/*
 * A CA bundle for client certificates (mTLS): every certificate in @pem
 * must parse. 0 with @ca filled (mbedtls_x509_crt_free it), or -EINVAL
 * with "NAME: message" in @err.
 */
int certstore_load_ca(const unsigned char *pem, size_t len, const char *name, mbedtls_x509_crt *ca,
		      char *err, size_t errlen);

/* An mbedtls_x509_time as seconds since 1970 (UTC), for validity checks. */
int64_t certstore_x509_time(const mbedtls_x509_time *t);

#endif
