// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl and the TLS terminator: its configuration file names
 * certificate and key files, so a check reads them too, and a push sends
 * them along. The pushed value is the base64 text of a ustar archive with
 * tls.cfg at its root and every file the configuration names at its path
 * (a leading '/' dropped): the layout of the appliance's config disk, so
 * the appliance reads both the same way (docs/tls.md). Paths are taken
 * relative to the configuration file's directory; the parser has refused
 * any ".." component, so nothing outside that directory is read.
 *
 * The files hold private keys: every buffer that held one is zeroed
 * before it is freed, and no message quotes file contents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "certstore.h"
#include "ctl_archive.h"
#include "ctl_int.h"
#include "mbedtls/base64.h"
#include "mbedtls/platform_util.h"
#include "tlsconf.h"

#define CFG_NAME "tls.cfg"

struct blob {
	unsigned char *p;
	size_t n;
};

static void blob_free(struct blob *b)
{
	if (b->p) {
		mbedtls_platform_zeroize(b->p, b->n);
		free(b->p);
	}
	b->p = NULL;
	b->n = 0;
}

/* @rel (as the configuration writes it) next to the configuration file @cfg. */
static void host_path(const char *cfg, const char *rel, char *out, size_t len)
{
	const char *slash = strrchr(cfg, '/');

	while (*rel == '/')
		rel++;
	if (!slash || strcmp(cfg, "-") == 0)
		snprintf(out, len, "%s", rel);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - cfg), cfg, rel);
}

/* A whole file of at most CERTSTORE_PEM_MAX bytes. 0, or -errno (-EFBIG when larger). */
static int read_file(const char *path, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	size_t cap = CERTSTORE_PEM_MAX + 1;

	b->p = NULL;
	b->n = 0;
	if (!f)
		return -errno;
	b->p = malloc(cap);
	if (!b->p) {
		fclose(f);
		return -ENOMEM;
	}
	b->n = fread(b->p, 1, cap, f);
	if (ferror(f) || b->n == cap) {
		int r = ferror(f) ? -EIO : -EFBIG;

		fclose(f);
		blob_free(b);
		return r;
	}
	fclose(f);
	return 0;
}

struct report_ctx {
	const char *cfg;
	unsigned int line, fatal;
};

static void report(void *arg, bool fatal, const char *msg)
{
	struct report_ctx *r = arg;

	fprintf(stderr, "%s:%u:1: %s%s\n", r->cfg, r->line, fatal ? "" : "warning: ", msg);
	if (fatal)
		r->fatal++;
}

static int rng(void *arg, unsigned char *out, size_t len)
{
	(void)arg;
	/* RSA blinding while keys are checked: the system's CSPRNG. */
	return getrandom(out, len, 0) == (ssize_t)len ? 0 : -1;
}

/* One cert line's files through the appliance's certificate store. */
static int check_cert(const char *cfg, const struct tls_cert_conf *cc, struct report_ctx *r)
{
	char cp[4096], kp[4096];
	struct blob c, k;
	struct certstore *s = NULL;
	struct certstore_in in;
	int rc;

	r->line = cc->line;
	host_path(cfg, cc->cert_path, cp, sizeof(cp));
	host_path(cfg, cc->key_path, kp, sizeof(kp));
	if ((rc = read_file(cp, &c)) < 0) {
		fprintf(stderr, "%s:%u:1: %s: %s\n", cfg, cc->line, cc->cert_path, strerror(-rc));
		r->fatal++;
		return 0;
	}
	if ((rc = read_file(kp, &k)) < 0) {
		fprintf(stderr, "%s:%u:1: %s: %s\n", cfg, cc->line, cc->key_path, strerror(-rc));
		r->fatal++;
		blob_free(&c);
		return 0;
	}
	in = (struct certstore_in){cc->pattern, c.p, c.n, k.p, k.n, cc->cert_path, cc->key_path};
	rc = certstore_build(&in, 1, (int64_t)time(NULL), rng, NULL, report, r, &s);
	certstore_free(s);
	blob_free(&c);
	blob_free(&k);
	return rc == -ENOMEM || rc == -EIO ? rc : 0;
}

static int check_ca(const char *cfg, const struct tls_listener_conf *l, struct report_ctx *r)
{
	char p[4096], err[CERTSTORE_MSG_MAX];
	mbedtls_x509_crt ca;
	struct blob b;
	int rc;

	host_path(cfg, l->client_ca, p, sizeof(p));
	rc = read_file(p, &b);
	if (rc == 0) {
		rc = certstore_load_ca(b.p, b.n, l->client_ca, &ca, err, sizeof(err));
		blob_free(&b);
		if (rc == 0) {
			mbedtls_x509_crt_free(&ca);
			return 0;
		}
	} else {
		snprintf(err, sizeof(err), "%s: %s", l->client_ca, strerror(-rc));
	}
	fprintf(stderr, "%s:%u:1: client-ca %s\n", cfg, l->line, err);
	r->fatal++;
	return rc == -ENOMEM ? rc : 0;
}

int ctl_tls_check(const char *path, const char *text, size_t len, char *summary, size_t slen)
{
	struct report_ctx r = {.cfg = path};
	struct tls_conf *c;
	char err[512];
	unsigned int ncert = 0, nbe = 0;
	int rc = tlsconf_parse(text, len, path, &c, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "%s\n", rc == -ENOMEM ? "sluice-ctl: out of memory" : err);
		return rc == -ENOMEM ? CTL_EXIT_SYSTEM : CTL_EXIT_REJECTED;
	}
	/* Every certificate, then every CA bundle: all problems in one run. */
	for (unsigned int i = 0; i < c->nlisteners && rc == 0; i++) {
		const struct tls_listener_conf *l = &c->listeners[i];

		for (unsigned int k = 0; k < l->ncerts && rc == 0; k++)
			rc = check_cert(path, &l->certs[k], &r);
		if (rc == 0 && l->client_ca[0])
			rc = check_ca(path, l, &r);
		ncert += l->ncerts;
		nbe += l->nbackends;
	}
	snprintf(summary, slen, "%u listener%s, %u certificate%s, %u backend%s", c->nlisteners,
		 c->nlisteners == 1 ? "" : "s", ncert, ncert == 1 ? "" : "s", nbe,
		 nbe == 1 ? "" : "s");
	tlsconf_free(c);
	if (rc < 0) {
		fprintf(stderr, "sluice-ctl: %s\n", strerror(-rc));
		return CTL_EXIT_SYSTEM;
	}
	return r.fatal ? CTL_EXIT_REJECTED : 0;
}

/* ---- push: the archive ---- */

struct tar {
	const struct ctl_archive_api *la; /* libarchive, or NULL: */
	struct ctl_tardir *dir;		  /* the tar program's directory */
	struct archive *a;
	const char *names[2 * TLSCONF_LISTENERS_MAX * (TLSCONF_CERTS_MAX + 1)];
	size_t nnames;
};

/* Add @data as member @name (no leading '/'); a name already added is skipped. */
static int tar_add(struct tar *t, const char *name, const void *data, size_t n)
{
	struct archive_entry *e;
	int ok;

	while (*name == '/')
		name++;
	for (size_t i = 0; i < t->nnames; i++)
		if (strcmp(t->names[i], name) == 0)
			return 0;
	t->names[t->nnames++] = name;
	if (!t->la) {
		int rc = ctl_tardir_add(t->dir, name, data, n);

		if (rc < 0)
			fprintf(stderr, "sluice-ctl: %s: %s\n", name, strerror(-rc));
		return rc;
	}
	e = t->la->entry_new();
	if (!e)
		return -ENOMEM;
	t->la->entry_set_pathname(e, name);
	t->la->entry_set_filetype(e, AE_IFREG);
	t->la->entry_set_perm(e, 0400); /* keys: readable by the owner only when unpacked */
	t->la->entry_set_size(e, (la_int64_t)n);
	ok = t->la->write_header(t->a, e) == ARCHIVE_OK &&
	     (n == 0 || t->la->write_data(t->a, data, n) == (la_ssize_t)n);
	t->la->entry_free(e);
	if (!ok) {
		fprintf(stderr, "sluice-ctl: %s: %s\n", name, t->la->error_string(t->a));
		return -EIO;
	}
	return 0;
}

static int tar_file(struct tar *t, const char *cfg, const char *rel)
{
	char p[4096];
	struct blob b;
	int rc;

	host_path(cfg, rel, p, sizeof(p));
	rc = read_file(p, &b);
	if (rc < 0) {
		fprintf(stderr, "sluice-ctl: %s: %s\n", p, strerror(-rc));
		return rc;
	}
	rc = tar_add(t, rel, b.p, b.n);
	blob_free(&b);
	return rc;
}

static int tar_conf(struct tar *t, const char *cfg, const struct tls_conf *c)
{
	int rc = 0;

	for (unsigned int i = 0; i < c->nlisteners && rc == 0; i++) {
		const struct tls_listener_conf *l = &c->listeners[i];

		for (unsigned int k = 0; k < l->ncerts && rc == 0; k++) {
			rc = tar_file(t, cfg, l->certs[k].cert_path);
			if (rc == 0)
				rc = tar_file(t, cfg, l->certs[k].key_path);
		}
		if (rc == 0 && l->client_ca[0])
			rc = tar_file(t, cfg, l->client_ca);
	}
	return rc;
}

/* The members through the system's tar program (libarchive is absent: @why). */
static int make_tar_prog(struct tar *t, const char *path, const char *text, size_t len,
			 const struct tls_conf *c, struct blob *out, const char *why)
{
	size_t used = 0;
	int rc = ctl_tardir_open(&t->dir);

	if (rc < 0)
		return rc;
	rc = tar_add(t, CFG_NAME, text, len);
	if (rc == 0)
		rc = tar_conf(t, path, c);
	if (rc < 0)
		goto out; /* tar_add() said why */
	rc = ctl_tardir_pack(t->dir, out->p, out->n, &used);
	if (rc == 0)
		out->n = used; /* on failure all of it is zeroed */
	else if (rc == -E2BIG)
		fprintf(stderr, "sluice-ctl: %s: the archive is larger than a push carries\n",
			path);
	else
		fprintf(stderr,
			"sluice-ctl: libarchive could not be loaded (%s), nor could the tar "
			"program make the archive\n",
			why);
out:
	ctl_tardir_close(t->dir); /* removes the copies of the keys */
	return rc;
}

/* The members through libarchive's ustar writer, into @out. */
static int make_tar_lib(struct tar *t, const char *path, const char *text, size_t len,
			const struct tls_conf *c, struct blob *out)
{
	size_t used = 0;
	int rc = -ENOMEM;

	if (!(t->a = t->la->write_new()))
		return rc;
	rc = -EIO;
	if (t->la->write_set_format_ustar(t->a) == ARCHIVE_OK &&
	    t->la->write_add_filter_none(t->a) == ARCHIVE_OK &&
	    t->la->write_set_bytes_in_last_block(t->a, 1) == ARCHIVE_OK &&
	    t->la->write_open_memory(t->a, out->p, out->n, &used) == ARCHIVE_OK) {
		rc = tar_add(t, CFG_NAME, text, len);
		if (rc == 0)
			rc = tar_conf(t, path, c);
		if (t->la->write_close(t->a) != ARCHIVE_OK && rc == 0) {
			fprintf(stderr, "sluice-ctl: %s: the archive: %s\n", path,
				t->la->error_string(t->a));
			rc = -E2BIG;
		}
	}
	t->la->write_free(t->a);
	if (rc == 0)
		out->n = used;
	return rc;
}

/* The ustar archive of @text as tls.cfg plus the files it names, into @out. */
static int make_tar(const char *path, const char *text, size_t len, struct blob *out)
{
	size_t cap = ctl_chunked_max; /* base64 of it must fit a push anyway */
	struct tls_conf *c;
	struct tar *t;
	char err[512];
	int rc;

	rc = tlsconf_parse(text, len, path, &c, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	t = calloc(1, sizeof(*t));
	out->p = calloc(1, cap);
	out->n = cap;
	rc = -ENOMEM;
	if (t && out->p) {
		t->la = ctl_archive(err, sizeof(err));
		if (t->la)
			rc = make_tar_lib(t, path, text, len, c, out);
		else
			rc = make_tar_prog(t, path, text, len, c, out, err);
	}
	free(t);
	tlsconf_free(c);
	if (rc < 0)
		blob_free(out);
	return rc < 0 ? rc : 0;
}

int ctl_tls_pack(const char *path, const char *text, size_t len, char **val, size_t *vlen)
{
	struct blob tar, b64 = {0};
	size_t olen = 0;
	int rc = make_tar(path, text, len, &tar);

	if (rc < 0)
		return CTL_EXIT_REJECTED;
	mbedtls_base64_encode(NULL, 0, &olen, tar.p, tar.n); /* the size, NUL included */
	if (olen - 1 > ctl_chunked_max) {
		fprintf(stderr,
			"%s: too long: the configuration and its files take %zu bytes in base64, "
			"a push carries at most %zu\n",
			path, olen - 1, ctl_chunked_max);
		blob_free(&tar);
		return CTL_EXIT_REJECTED;
	}
	b64.n = olen;
	b64.p = malloc(olen);
	rc = b64.p ? mbedtls_base64_encode(b64.p, b64.n, &olen, tar.p, tar.n) : -1;
	blob_free(&tar);
	if (rc != 0) {
		blob_free(&b64);
		fprintf(stderr, "sluice-ctl: out of memory\n");
		return CTL_EXIT_SYSTEM;
	}
	*val = (char *)b64.p;
	*vlen = olen;
	return 0;
}
