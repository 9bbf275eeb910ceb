/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A configuration made ready to serve: the file parsed (tlsconf.c), every
 * certificate chain, key and CA bundle it names loaded and checked
 * (certstore.c), and one mbedTLS server config per listener. Built to the
 * side, from the config disk at boot or from a pushed archive, so that a
 * bad update changes nothing in force.
 *
 * Trust: the text and every file are untrusted. Sizes are bounded before
 * anything is read (TLSCONF_TEXT_MAX, CERTSTORE_PEM_MAX); messages name
 * files and lines, never contents; PEM copies are zeroed once parsed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbedtls/base64.h"
#include "mbedtls/psa_util.h"
#include "psa/crypto.h"
#include "sluice/configdisk.h"
#include "sluice/ustar.h"
#include "tls.h"

/* What a report callback needs to say which configuration it is about. */
struct report_ctx {
	char *msg;
	size_t msglen;
	unsigned int fatal;
};

static void report(void *arg, bool fatal, const char *m)
{
	struct report_ctx *r = arg;

	printf("tls: %s%s\n", fatal ? "" : "warning: ", m);
	/* The first problem is the one the host sees in the error key. */
	if (fatal && !r->fatal++)
		snprintf(r->msg, r->msglen, "%s", m);
}

static void free_pem(unsigned char *p, size_t len)
{
	if (!p)
		return;
	memset(p, 0, len); /* may be a private key */
	free(p);
}

static void lrt_free(struct tls_lrt *l)
{
	mbedtls_ssl_config_free(&l->ssl);
	if (l->has_ca)
		mbedtls_x509_crt_free(&l->ca);
	certstore_free(l->certs); /* zeroes the keys */
	free(l->be);
}

static void rt_free(struct tls_rt *rt)
{
	for (unsigned int i = 0; rt->l && i < rt->conf->nlisteners; i++)
		lrt_free(&rt->l[i]);
	free(rt->l);
	tlsconf_free(rt->conf);
	free(rt);
}

void tls_rt_get(struct tls_rt *rt)
{
	rt->refs++;
}

void tls_rt_put(struct tls_rt *rt)
{
	if (rt && --rt->refs == 0)
		rt_free(rt);
}

/* Load every cert entry of @lc into a store; problems reported as they are found. */
static int load_certs(struct tls_lrt *l, tls_file_fn load, void *arg, struct report_ctx *r)
{
	const struct tls_listener_conf *lc = l->lc;
	struct certstore_in *in = calloc(lc->ncerts, sizeof(*in));
	char err[CERTSTORE_MSG_MAX];
	unsigned int i;
	int rc = -EINVAL;

	if (!in)
		return -ENOMEM;
	for (i = 0; i < lc->ncerts; i++) {
		const struct tls_cert_conf *cc = &lc->certs[i];
		unsigned char *chain = NULL, *key = NULL;
		size_t clen = 0, klen = 0;

		if (load(arg, cc->cert_path, &chain, &clen, err, sizeof(err)) < 0 ||
		    load(arg, cc->key_path, &key, &klen, err, sizeof(err)) < 0) {
			report(r, true, err);
			free_pem(chain, clen);
			goto out;
		}
		in[i] = (struct certstore_in){.pattern = cc->is_default ? "default" : cc->pattern,
					      .chain = chain,
					      .chain_len = clen,
					      .key = key,
					      .key_len = klen,
					      .cert_name = cc->cert_path,
					      .key_name = cc->key_path};
	}
	rc = certstore_build(in, lc->ncerts, (int64_t)time(NULL), mbedtls_psa_get_random,
			     MBEDTLS_PSA_RANDOM_STATE, report, r, &l->certs);
out:
	for (unsigned int j = 0; j < lc->ncerts; j++) {
		free_pem((unsigned char *)in[j].chain, in[j].chain_len);
		free_pem((unsigned char *)in[j].key, in[j].key_len);
	}
	free(in);
	return rc;
}

static int load_ca(struct tls_lrt *l, tls_file_fn load, void *arg, struct report_ctx *r)
{
	char err[CERTSTORE_MSG_MAX];
	unsigned char *pem;
	size_t len;
	int rc;

	if (!l->lc->client_ca[0])
		return 0;
	if (load(arg, l->lc->client_ca, &pem, &len, err, sizeof(err)) < 0) {
		report(r, true, err);
		return -EINVAL;
	}
	rc = certstore_load_ca(pem, len, l->lc->client_ca, &l->ca, err, sizeof(err));
	free_pem(pem, len);
	if (rc < 0) {
		report(r, true, err);
		return rc;
	}
	l->has_ca = true;
	return 0;
}

/* The mbedTLS server config of one listener (docs/tls.md, "What is negotiated"). */
static int ssl_setup(struct tls_lrt *l)
{
	mbedtls_ssl_config *c = &l->ssl;
	const struct certstore_cert *def = l->certs->def;
	unsigned int i;
	int ret;

	ret = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret)
		return ret;
	mbedtls_ssl_conf_rng(c, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_min_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_2);
	/* The default certificate, for clients without SNI; SNI may replace it. */
	ret = mbedtls_ssl_conf_own_cert(c, (mbedtls_x509_crt *)&def->chain,
					(mbedtls_pk_context *)&def->key);
	if (ret)
		return ret;
	mbedtls_ssl_conf_sni(c, tls_sess_sni, l);
	mbedtls_ssl_conf_session_tickets_cb(c, mbedtls_ssl_ticket_write, tls_sess_ticket_parse,
					    &tls_tickets);
	/* No 0-RTT: MBEDTLS_SSL_EARLY_DATA is not compiled in (docs/tls.md: replays). */
	for (i = 0; i < l->lc->nalpn; i++)
		l->alpn[i] = l->lc->alpn[i];
	l->alpn[i] = NULL;
	if (i && (ret = mbedtls_ssl_conf_alpn_protocols(c, l->alpn)) != 0)
		return ret;
	if (l->has_ca) {
		mbedtls_ssl_conf_ca_chain(c, &l->ca, NULL);
		mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_REQUIRED);
	} else {
		mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_NONE);
	}
	return 0;
}

static int lrt_build(struct tls_rt *rt, unsigned int i, tls_file_fn load, void *arg,
		     struct report_ctx *r)
{
	struct tls_lrt *l = &rt->l[i];
	int rc;

	l->lc = &rt->conf->listeners[i];
	mbedtls_ssl_config_init(&l->ssl);
	l->be = calloc(l->lc->nbackends, sizeof(*l->be));
	if (!l->be)
		return -ENOMEM;
	for (unsigned int b = 0; b < l->lc->nbackends; b++)
		l->be[b].bc = &l->lc->backends[b];
	rc = load_certs(l, load, arg, r);
	if (rc < 0)
		return rc;
	rt->ncerts += (unsigned int)l->certs->ncerts;
	rt->cert_errors += l->certs->nerrors;
	rc = load_ca(l, load, arg, r);
	if (rc < 0)
		return rc;
	rc = ssl_setup(l);
	if (rc) {
		snprintf(r->msg, r->msglen, "listener at line %u: TLS setup failed (-0x%04x)",
			 l->lc->line, (unsigned int)-rc);
		return rc == MBEDTLS_ERR_SSL_ALLOC_FAILED ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/*
 * With @strict (a live update), any problem refuses the whole set: the
 * operator asked for exactly these certificates, and the set in force keeps
 * serving. At boot (not strict) entries with problems are reported and
 * skipped and the valid ones kept: there is nothing else to serve.
 */
static int rt_build(const char *text, size_t len, const char *name, tls_file_fn load, void *arg,
		    bool strict, struct tls_rt **out, char *msg, size_t msglen)
{
	struct report_ctx r = {.msg = msg, .msglen = msglen};
	struct tls_rt *rt = calloc(1, sizeof(*rt));
	int rc;

	*out = NULL;
	if (!rt)
		return -ENOMEM;
	rc = tlsconf_parse(text, len, name, &rt->conf, msg, msglen);
	if (rc < 0) {
		free(rt);
		return rc;
	}
	rt->l = calloc(rt->conf->nlisteners, sizeof(*rt->l));
	if (!rt->l) {
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < rt->conf->nlisteners; i++) {
		rc = lrt_build(rt, i, load, arg, &r);
		if (rc < 0)
			goto fail;
	}
	rc = -EINVAL; /* @msg holds the first problem (report()) */
	if (strict && r.fatal)
		goto fail;
	rt->refs = 1;
	*out = rt;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(msg, msglen, "%s: not enough memory for this configuration", name);
	rt_free(rt);
	return rc;
}

int tls_rt_build(const char *text, size_t len, const char *name, tls_file_fn load, void *arg,
		 struct tls_rt **out, char *msg, size_t msglen)
{
	return rt_build(text, len, name, load, arg, false, out, msg, msglen);
}

/* ---- from the config disk ---- */

static int disk_load(void *arg, const char *path, unsigned char **data, size_t *len, char *err,
		     size_t errlen)
{
	char *d;
	int rc;

	(void)arg;
	rc = configdisk_load(path, CERTSTORE_PEM_MAX, &d, len);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -ENOENT	 ? "no such file on the config disk"
			 : rc == -EFBIG	 ? "file too large"
			 : rc == -ENODEV ? "no config disk"
					 : "cannot read it");
		return rc;
	}
	*data = (unsigned char *)d;
	return 0;
}

int tls_rt_boot(const char *file, struct tls_rt **out, char *msg, size_t msglen)
{
	char *text;
	size_t len;
	int rc;

	if (!configdisk_mounted() && (rc = configdisk_mount(NULL)) < 0 && rc != -EBUSY) {
		snprintf(msg, msglen, "%s: the config disk cannot be used (%d)", file, rc);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	rc = configdisk_load(file, TLSCONF_TEXT_MAX, &text, &len);
	if (rc < 0) {
		snprintf(msg, msglen, "%s: cannot read it from the config disk (%d)", file, rc);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	rc = tls_rt_build(text, len, file, disk_load, NULL, out, msg, msglen);
	free(text);
	return rc;
}

/* ---- from a pushed archive ---- */

struct mem_tar {
	const unsigned char *buf;
	size_t len;
	struct ustar u;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem_tar *t = ctx;

	/* Bounds checked here: the index asks only inside the size it was given. */
	if (off > t->len || len > t->len - off)
		return -EIO;
	memcpy(buf, t->buf + off, len);
	return 0;
}

static int tar_load(void *arg, const char *path, unsigned char **data, size_t *len, char *err,
		    size_t errlen)
{
	struct mem_tar *t = arg;
	const struct ustar_member *m = ustar_lookup(&t->u, path);

	if (!m) {
		snprintf(err, errlen, "%s: not in the pushed archive", path);
		return -ENOENT;
	}
	if (m->size > CERTSTORE_PEM_MAX) {
		snprintf(err, errlen, "%s: file too large", path);
		return -EFBIG;
	}
	*data = malloc(m->size + 1);
	if (!*data)
		return -ENOMEM;
	memcpy(*data, t->buf + m->offset, m->size);
	(*data)[m->size] = 0;
	*len = m->size;
	return 0;
}

int tls_rt_push(const char *text, size_t len, struct tls_rt **out, char *msg, size_t msglen)
{
	struct mem_tar *t = calloc(1, sizeof(*t));
	unsigned char *tar = NULL;
	size_t tlen = 0;
	char err[128];
	unsigned char *cfg;
	size_t clen;
	int rc;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	/* Base64 text, at most HC_CHUNKED_MAX bytes (the channel bounds it). */
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	mbedtls_base64_decode(NULL, 0, &tlen, (const unsigned char *)text, len);
	tar = malloc(tlen ? tlen : 1);
	rc = -ENOMEM;
	if (!tar)
		goto out;
	rc = -EINVAL;
	if (mbedtls_base64_decode(tar, tlen, &tlen, (const unsigned char *)text, len) != 0) {
		snprintf(msg, msglen, "rules: not a base64-encoded archive");
		goto out;
	}
	t->buf = tar;
	t->len = tlen;
	if (ustar_index(&t->u, mem_read, t, tlen, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "rules: bad archive: %s", err);
		goto out;
	}
	rc = tar_load(t, "tls.cfg", &cfg, &clen, err, sizeof(err));
	if (rc < 0) {
		snprintf(msg, msglen, "rules: %s", err);
		goto out;
	}
	/* "rules": the name sluice-ctl replaces with the pushed file's (docs/hostcfg.md). */
	rc = rt_build((const char *)cfg, clen, "rules", tar_load, t, true, out, msg, msglen);
	free(cfg);
out:
	if (tar) {
		memset(tar, 0, tlen); /* keys */
		free(tar);
	}
	free(t);
	return rc;
}
