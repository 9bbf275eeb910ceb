// SPDX-License-Identifier: BSD-2-Clause
/*
 * Server certificates chosen by SNI (certstore.h, docs/tls.md).
 *
 * Trust boundary: every PEM byte comes from the config disk or a pushed
 * archive. Sizes are bounded before copying, mbedTLS's parsers do the
 * decoding, and each entry is checked on its own (parse, key type, key
 * against certificate, validity of every certificate in the chain) so
 * that one bad file never takes the others down. Messages name files and
 * mbedTLS's error text, never bytes of a key; every copy of a key's PEM is
 * zeroed before it is freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certstore.h"
#include "mbedtls/error.h"
#include "mbedtls/oid.h"
#include "mbedtls/pem.h"
#include "mbedtls/platform_util.h"
#include "psa/crypto.h"

#define DAY 86400

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t certstore_x509_time(const mbedtls_x509_time *t)
{
	/* mbedTLS checked the fields' ranges when it parsed the certificate. */
	return days_from_civil(t->year, (unsigned int)t->mon, (unsigned int)t->day) * DAY +
	       t->hour * 3600 + t->min * 60 + t->sec;
}

int64_t certstore_days_left(const struct certstore_cert *c, int64_t now)
{
	int64_t d = c->not_after - now;

	return d >= 0 ? d / DAY : -((-d + DAY - 1) / DAY);
}

/* A message about one entry; @fatal means the entry is left out. */
__attribute__((format(printf, 4, 5))) static void say(certstore_report_fn report, void *arg,
						      bool fatal, const char *fmt, ...)
{
	char msg[CERTSTORE_MSG_MAX];
	va_list ap;

	if (!report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(arg, fatal, msg);
}

/* mbedTLS's text for @rc: names the failing step, never the data. */
static const char *why(int rc, char *buf, size_t len)
{
	mbedtls_strerror(rc, buf, len);
	return buf;
}

static void fmt_time(const mbedtls_x509_time *t, char *buf, size_t len)
{
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d UTC", t->year, t->mon, t->day, t->hour,
		 t->min, t->sec);
}

static bool contains(const unsigned char *p, size_t n, const char *word)
{
	size_t k = strlen(word);

	for (size_t i = 0; i + k <= n; i++)
		if (p[i] == (unsigned char)word[0] && memcmp(p + i, word, k) == 0)
			return true;
	return false;
}

/* mbedTLS parses PEM only from a NUL-terminated buffer whose length counts the NUL. */
static unsigned char *nul_copy(const unsigned char *p, size_t n)
{
	unsigned char *b = malloc(n + 1);

	if (b) {
		memcpy(b, p, n);
		b[n] = '\0';
	}
	return b;
}

static int load_chain(const struct certstore_in *in, struct certstore_cert *c,
		      certstore_report_fn report, void *arg)
{
	unsigned char *b;
	char e[128];
	int rc;

	if (in->chain_len == 0 || in->chain_len > CERTSTORE_PEM_MAX) {
		say(report, arg, true, "%s: %s", in->cert_name,
		    in->chain_len ? "larger than 1 MiB" : "empty file");
		return -EINVAL;
	}
	b = nul_copy(in->chain, in->chain_len);
	if (!b)
		return -ENOMEM;
	rc = mbedtls_x509_crt_parse(&c->chain, b, in->chain_len + 1);
	free(b);
	if (rc == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return -ENOMEM;
	if (rc != 0) {
		/* > 0: that many PEM blocks failed; a partial chain would fail at the client. */
		say(report, arg, true, "%s: malformed certificate PEM (%s)", in->cert_name,
		    rc > 0 ? "a certificate in the chain does not parse" : why(rc, e, sizeof(e)));
		return -EINVAL;
	}
	return 0;
}

static int load_key(const struct certstore_in *in, struct certstore_cert *c,
		    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		    certstore_report_fn report, void *arg)
{
	mbedtls_pk_type_t t;
	unsigned char *b;
	char e[128];
	int rc;

	if (in->key_len == 0 || in->key_len > CERTSTORE_PEM_MAX) {
		say(report, arg, true, "%s: %s", in->key_name,
		    in->key_len ? "larger than 1 MiB" : "empty file");
		return -EINVAL;
	}
	/* The PEM headers (not the secret) tell an encrypted key; we take none. */
	if (contains(in->key, in->key_len, "ENCRYPTED")) {
		say(report, arg, true, "%s: encrypted private keys are not supported",
		    in->key_name);
		return -EINVAL;
	}
	b = nul_copy(in->key, in->key_len);
	if (!b)
		return -ENOMEM;
	rc = mbedtls_pk_parse_key(&c->key, b, in->key_len + 1, NULL, 0, f_rng, p_rng);
	mbedtls_platform_zeroize(b, in->key_len + 1); /* our copy of the secret */
	free(b);
	if (rc == MBEDTLS_ERR_PK_ALLOC_FAILED)
		return -ENOMEM;
	if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || rc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH ||
	    rc == MBEDTLS_ERR_PEM_PASSWORD_REQUIRED || rc == MBEDTLS_ERR_PEM_FEATURE_UNAVAILABLE) {
		say(report, arg, true, "%s: encrypted private keys are not supported",
		    in->key_name);
		return -EINVAL;
	}
	if (rc != 0) {
		say(report, arg, true, "%s: malformed private key PEM (%s)", in->key_name,
		    why(rc, e, sizeof(e)));
		return -EINVAL;
	}
	t = mbedtls_pk_get_type(&c->key);
	if (t != MBEDTLS_PK_RSA && t != MBEDTLS_PK_ECKEY) {
		say(report, arg, true, "%s: not an RSA or ECDSA key", in->key_name);
		return -EINVAL;
	}
	rc = mbedtls_pk_check_pair(&c->chain.pk, &c->key, f_rng, p_rng);
	if (rc != 0) {
		say(report, arg, true, "%s: does not match the certificate in %s", in->key_name,
		    in->cert_name);
		return -EINVAL;
	}
	return 0;
}

/* Every certificate of the chain valid at @now; the leaf's window is kept. */
static int check_times(const struct certstore_in *in, struct certstore_cert *c, int64_t now,
		       certstore_report_fn report, void *arg)
{
	unsigned int i = 1;
	char when[40], which[48];

	c->not_before = certstore_x509_time(&c->chain.valid_from);
	c->not_after = certstore_x509_time(&c->chain.valid_to);
	for (const mbedtls_x509_crt *x = &c->chain; x; x = x->next, i++) {
		snprintf(which, sizeof(which),
			 i == 1 ? "certificate" : "certificate %u of the chain", i);
		if (now < certstore_x509_time(&x->valid_from)) {
			fmt_time(&x->valid_from, when, sizeof(when));
			say(report, arg, true, "%s: %s not valid before %s", in->cert_name, which,
			    when);
			return -EINVAL;
		}
		if (now > certstore_x509_time(&x->valid_to)) {
			fmt_time(&x->valid_to, when, sizeof(when));
			say(report, arg, true, "%s: %s expired on %s", in->cert_name, which, when);
			return -EINVAL;
		}
	}
	return 0;
}

static bool name_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++) {
		char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
		char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];

		if (x != y)
			return false;
	}
	return true;
}

/* Does a certificate name @cn (possibly "*.x") cover @pattern (possibly "*.x")? */
static bool covers(const char *cn, size_t n, const char *pattern)
{
	size_t pl = strlen(pattern);
	const char *dot;

	if (name_eq(cn, n, pattern, pl))
		return true;
	if (n < 3 || cn[0] != '*' || cn[1] != '.' || pattern[0] == '*')
		return false;
	dot = memchr(pattern, '.', pl);
	return dot && dot != pattern &&
	       name_eq(cn + 2, n - 2, dot + 1, pl - (size_t)(dot + 1 - pattern));
}

/* Warn when the certificate's names (SAN dNSNames, else CN) do not cover the pattern. */
static void check_names(const struct certstore_in *in, const struct certstore_cert *c,
			certstore_report_fn report, void *arg)
{
	const mbedtls_x509_crt *x = &c->chain;
	bool any_san = false;

	if (c->is_default)
		return;
	for (const mbedtls_x509_sequence *s = &x->subject_alt_names; s && s->buf.p; s = s->next) {
		if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) != MBEDTLS_X509_SAN_DNS_NAME)
			continue;
		any_san = true;
		if (covers((const char *)s->buf.p, s->buf.len, c->pattern))
			return;
	}
	if (!any_san)
		for (const mbedtls_x509_name *nm = &x->subject; nm; nm = nm->next)
			if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &nm->oid) == 0 &&
			    covers((const char *)nm->val.p, nm->val.len, c->pattern))
				return;
	say(report, arg, false,
	    "%s: the certificate's names do not cover '%s' (clients will refuse it)", in->cert_name,
	    c->pattern);
}

/* One entry into slot @c: 0, -EINVAL (reported; the slot is cleared) or -ENOMEM. */
static int load_one(const struct certstore_in *in, struct certstore_cert *c, int64_t now,
		    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		    certstore_report_fn report, void *arg)
{
	size_t pl = in->pattern ? strlen(in->pattern) : 0;
	int rc;

	memset(c, 0, sizeof(*c));
	mbedtls_x509_crt_init(&c->chain);
	mbedtls_pk_init(&c->key);
	if (pl == 0 || pl >= sizeof(c->pattern)) {
		say(report, arg, true, "%s: bad name pattern", in->cert_name);
		return -EINVAL;
	}
	memcpy(c->pattern, in->pattern, pl + 1);
	c->is_default = strcmp(in->pattern, "default") == 0;
	c->wildcard = pl > 2 && in->pattern[0] == '*' && in->pattern[1] == '.';
	snprintf(c->cert_name, sizeof(c->cert_name), "%s", in->cert_name);
	rc = load_chain(in, c, report, arg);
	if (rc == 0)
		rc = load_key(in, c, f_rng, p_rng, report, arg);
	if (rc == 0)
		rc = check_times(in, c, now, report, arg);
	if (rc < 0) {
		mbedtls_pk_free(&c->key); /* zeroes the key */
		mbedtls_x509_crt_free(&c->chain);
		return rc;
	}
	check_names(in, c, report, arg);
	return 0;
}

int certstore_build(const struct certstore_in *in, size_t n, int64_t now,
		    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		    certstore_report_fn report, void *arg, struct certstore **out)
{
	struct certstore *s;
	int rc = 0;

	*out = NULL;
	/* PK parsing and key checks run through PSA; initialising it twice is harmless. */
	if (psa_crypto_init() != PSA_SUCCESS)
		return -EIO;
	s = calloc(1, sizeof(*s));
	if (!s || (n && !(s->certs = calloc(n, sizeof(*s->certs))))) {
		free(s);
		return -ENOMEM;
	}
	/* Slots are filled in place: mbedTLS contexts are never moved once initialised. */
	for (size_t i = 0; i < n && rc != -ENOMEM; i++) {
		rc = load_one(&in[i], &s->certs[s->ncerts], now, f_rng, p_rng, report, arg);
		if (rc == 0)
			s->ncerts++;
		else
			s->nerrors++;
	}
	if (rc == -ENOMEM || s->ncerts == 0) {
		certstore_free(s);
		return rc == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	for (size_t i = 0; i < s->ncerts && !s->def; i++)
		if (s->certs[i].is_default)
			s->def = &s->certs[i];
	if (!s->def)
		s->def = &s->certs[0];
	*out = s;
	return 0;
}

void certstore_free(struct certstore *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncerts; i++) {
		mbedtls_pk_free(&s->certs[i].key); /* zeroes the key material */
		mbedtls_x509_crt_free(&s->certs[i].chain);
	}
	free(s->certs);
	free(s);
}

const struct certstore_cert *certstore_select(const struct certstore *s, const char *name,
					      size_t len)
{
	const char *dot;

	if (!name || len == 0)
		return s->def;
	for (size_t i = 0; i < s->ncerts; i++)
		if (!s->certs[i].wildcard && !s->certs[i].is_default &&
		    name_eq(s->certs[i].pattern, strlen(s->certs[i].pattern), name, len))
			return &s->certs[i];
	/* '*' stands for exactly one non-empty label: the name's first. */
	dot = memchr(name, '.', len);
	if (dot && dot != name)
		for (size_t i = 0; i < s->ncerts; i++)
			if (s->certs[i].wildcard &&
			    name_eq(s->certs[i].pattern + 2, strlen(s->certs[i].pattern) - 2,
				    dot + 1, len - (size_t)(dot + 1 - name)))
				return &s->certs[i];
	return s->def;
}

int certstore_load_ca(const unsigned char *pem, size_t len, const char *name, mbedtls_x509_crt *ca,
		      char *err, size_t errlen)
{
	unsigned char *b;
	char e[128];
	int rc;

	mbedtls_x509_crt_init(ca);
	if (len == 0 || len > CERTSTORE_PEM_MAX) {
		snprintf(err, errlen, "%s: %s", name, len ? "larger than 1 MiB" : "empty file");
		return -EINVAL;
	}
	b = nul_copy(pem, len);
	if (!b)
		return -ENOMEM;
	rc = mbedtls_x509_crt_parse(ca, b, len + 1);
	free(b);
	if (rc == 0)
		return 0;
	mbedtls_x509_crt_free(ca);
	if (rc == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return -ENOMEM;
	snprintf(err, errlen, "%s: malformed CA certificate PEM (%s)", name,
		 rc > 0 ? "a certificate in the bundle does not parse" : why(rc, e, sizeof(e)));
	return -EINVAL;
}
