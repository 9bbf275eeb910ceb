// SPDX-License-Identifier: BSD-2-Clause
/*
 * The TLS terminator's configuration file (tlsconf.h, docs/tls.md).
 *
 * The text is untrusted (config disk, host channel, sluice-ctl's input):
 * its size, line length, words per line and every count are bounded
 * before use, only printable ASCII is accepted (a stray escape sequence
 * must not reach a console through a message), numbers are strict
 * decimals, and any error stops the parse with the word at fault. Nothing
 * half-parsed is ever returned.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/inaddr.h"
#include "sluice/numparse.h"
#include "tlsconf.h"

#define WORDS_MAX 16

struct word {
	const char *s;
	size_t n;
	unsigned int col;
};

struct parser {
	const char *fname;
	char *err;
	size_t errlen;
	unsigned int line;
	struct word w[WORDS_MAX];
	unsigned int nw;
	struct tls_conf *c;
	struct tls_listener_conf *l; /* the listen block statements belong to, or NULL */
	unsigned int listen_col;
	unsigned int limits_seen; /* bit i: `limits` key i given in the current scope */
	bool alpn_set;
};

/* "FILE:LINE:COL: message" about word @w (NULL: column 1); -EINVAL. */
__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, const struct word *w,
						      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s:%u:%u: %s", p->fname, p->line, w ? w->col : 1, msg);
	return -EINVAL;
}

static bool is(const struct word *w, const char *s)
{
	return strlen(s) == w->n && memcmp(w->s, s, w->n) == 0;
}

/* At most 32 bytes of @w for a message (printable: checked by split()). */
static const char *show(const struct word *w, char buf[48])
{
	size_t n = w->n > 32 ? 32 : w->n;

	snprintf(buf, 48, "%.*s%s", (int)n, w->s, w->n > n ? "..." : "");
	return buf;
}

/* ---- values ---- */

/* ADDR:PORT or [ADDR6]:PORT. */
static int parse_ep(struct parser *p, const struct word *w, struct tls_ep *ep)
{
	char buf[64], sh[48];
	const char *e;
	uint64_t port;

	memset(ep, 0, sizeof(*ep));
	if (w->n >= sizeof(buf))
		return fail(p, w, "address too long");
	memcpy(buf, w->s, w->n);
	buf[w->n] = '\0';
	ep->v6 = buf[0] == '[';
	e = ep->v6 ? inaddr_parse6(buf + 1, ep->a) : inaddr_parse4(buf, ep->a);
	if (!e || (ep->v6 && *e++ != ']'))
		return fail(p, w, "'%s': expected IPv4-ADDRESS:PORT or [IPv6-ADDRESS]:PORT",
			    show(w, sh));
	if (*e != ':')
		return fail(p, w, "expected ':PORT' after the address");
	e++;
	if (e == buf + w->n ||
	    num_parse_dec(e, (size_t)(buf + w->n - e), NUM_CANONICAL, &port) < 0 || port < 1 ||
	    port > 65535)
		return fail(p, w, "port must be a number from 1 to 65535");
	ep->port = (uint16_t)port;
	return 0;
}

static int parse_uint(struct parser *p, const struct word *w, uint32_t lo, uint32_t hi, uint32_t *v)
{
	uint64_t x;

	if (num_parse_dec(w->s, w->n, NUM_CANONICAL, &x) < 0 || x < lo || x > hi)
		return fail(p, w, "expected a number from %u to %u", lo, hi);
	*v = (uint32_t)x;
	return 0;
}

/* N (milliseconds, as HAProxy reads it), Nms, Ns, Nm or Nh; 1 ms .. one day. */
static int parse_ms(struct parser *p, const struct word *w, uint32_t *ms)
{
	static const struct {
		const char *sfx;
		uint64_t mult;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1}};
	uint64_t v;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t k = strlen(units[i].sfx);

		if (w->n <= k || memcmp(w->s + w->n - k, units[i].sfx, k) != 0)
			continue;
		if (num_parse_dec(w->s, w->n - k, NUM_CANONICAL, &v) < 0)
			break;
		if (v < 1 || v > TLSCONF_TIMEOUT_MAX_MS / units[i].mult)
			break;
		*ms = (uint32_t)(v * units[i].mult);
		return 0;
	}
	return fail(p, w, "expected a duration from 1ms to 24h (N ms, Nms, Ns, Nm or Nh)");
}

/* N/s or N/m, N >= 1; or "off". */
static int parse_rate(struct parser *p, const struct word *w, struct tls_limits *lim)
{
	uint64_t v;

	if (is(w, "off")) {
		lim->rate = 0;
		lim->rate_period_ms = 1000;
		return 0;
	}
	if (w->n < 3 || w->s[w->n - 2] != '/' || (w->s[w->n - 1] != 's' && w->s[w->n - 1] != 'm') ||
	    num_parse_dec(w->s, w->n - 2, NUM_CANONICAL, &v) < 0 || v < 1 || v > TLSCONF_RATE_MAX)
		return fail(p, w, "expected a rate N/s or N/m (N from 1 to %u) or off",
			    TLSCONF_RATE_MAX);
	lim->rate = (uint32_t)v;
	lim->rate_period_ms = w->s[w->n - 1] == 's' ? 1000 : 60000;
	return 0;
}

/*
 * A path on the config disk. Checked here so that the appliance and
 * sluice-ctl never follow "..": the archive is flat, and a name that
 * climbs out of the configuration's directory is a mistake or an attack.
 */
static int parse_path(struct parser *p, const struct word *w, char *out)
{
	size_t i = 0, start;

	if (w->n > TLSCONF_PATH_MAX)
		return fail(p, w, "path longer than %u bytes", TLSCONF_PATH_MAX);
	if (w->s[0] == '/')
		i = 1;
	for (;;) {
		start = i;
		while (i < w->n && w->s[i] != '/')
			i++;
		if (i == start)
			return fail(p, w, "empty component in path (a '//' or a trailing '/')");
		if (i - start == 2 && memcmp(w->s + start, "..", 2) == 0)
			return fail(p, w, "'..' is not allowed in a path");
		if (i == w->n)
			break;
		i++;
	}
	memcpy(out, w->s, w->n);
	out[w->n] = '\0';
	return 0;
}

/* "default", a DNS name or "*.name", lower-cased into @out. */
static int parse_pattern(struct parser *p, const struct word *w, char *out, bool *def)
{
	size_t i = 0, labels = 0;

	*def = is(w, "default");
	if (*def) {
		strcpy(out, "default");
		return 0;
	}
	if (w->n > TLSCONF_NAME_MAX)
		return fail(p, w, "name longer than %u bytes", TLSCONF_NAME_MAX);
	if (w->n >= 2 && w->s[0] == '*' && w->s[1] == '.')
		i = 2;
	for (; i <= w->n; i++) {
		size_t start = i;

		for (; i < w->n && w->s[i] != '.'; i++) {
			char ch = w->s[i];

			if (ch == '*')
				return fail(p, w,
					    "'*' must be the whole first label (*.example.org)");
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
				return fail(p, w, "byte '%c' not allowed in a host name", ch);
		}
		if (i == start || i - start > 63)
			return fail(p, w, "host name labels are 1 to 63 bytes (no empty label)");
		labels++;
	}
	if (w->s[0] == '*' && labels < 2)
		return fail(p, w, "a wildcard needs two labels after '*.' (*.example.org)");
	for (i = 0; i < w->n; i++)
		out[i] = (w->s[i] >= 'A' && w->s[i] <= 'Z') ? (char)(w->s[i] + 32) : w->s[i];
	out[w->n] = '\0';
	return 0;
}

/* ---- statements ---- */

/* Grow @arr (of *@n elements of @size) by one, up to @max: *@elem is the new one, zeroed. */
static int grow(struct parser *p, void **arr, unsigned int *n, size_t size, unsigned int max,
		const char *what, void **elem)
{
	char *a;

	if (*n >= max)
		return fail(p, &p->w[0], "more than %u %s", max, what);
	a = realloc(*arr, (*n + 1) * size);
	if (!a) {
		if (p->errlen)
			snprintf(p->err, p->errlen, "%s: out of memory", p->fname);
		return -ENOMEM;
	}
	*arr = a;
	memset(a + *n * size, 0, size);
	*elem = a + (*n)++ * size;
	return 0;
}

/* The listen block just ended: what can only be checked once it is whole. */
static int listen_end(struct parser *p)
{
	struct tls_listener_conf *l = p->l;
	struct word at = {.col = p->listen_col};
	char ep[64];

	if (!l || (l->ncerts && l->nbackends))
		return 0;
	p->line = l->line; /* the message is about the listen line */
	tlsconf_format_ep(&l->ep, ep, sizeof(ep));
	if (!l->ncerts)
		return fail(p, &at, "listen %s has no cert (cert NAME CERT.pem KEY.pem)", ep);
	return fail(p, &at, "listen %s has no backend (backend ADDRESS:PORT)", ep);
}

static int st_listen(struct parser *p)
{
	struct tls_conf *c = p->c;
	struct tls_listener_conf *l;
	struct tls_ep ep;
	int rc;

	if (p->nw != 2)
		return fail(p, p->nw > 2 ? &p->w[2] : &p->w[0], "expected: listen ADDRESS:PORT");
	if ((rc = listen_end(p)) < 0)
		return rc;
	if ((rc = parse_ep(p, &p->w[1], &ep)) < 0)
		return rc;
	for (unsigned int i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].ep.port == ep.port && c->listeners[i].ep.v6 == ep.v6 &&
		    memcmp(c->listeners[i].ep.a, ep.a, 16) == 0)
			return fail(p, &p->w[1], "listen address given twice (line %u)",
				    c->listeners[i].line);
	rc = grow(p, (void **)&c->listeners, &c->nlisteners, sizeof(*l), TLSCONF_LISTENERS_MAX,
		  "listen blocks", (void **)&l);
	if (rc < 0)
		return rc;
	l->ep = ep;
	l->line = p->line;
	l->limits = c->limits; /* the file's defaults; this block's `limits` overrides */
	p->l = l;
	p->listen_col = p->w[1].col;
	p->limits_seen = 0;
	p->alpn_set = false;
	return 0;
}

static int st_cert(struct parser *p)
{
	struct tls_listener_conf *l = p->l;
	struct tls_cert_conf e, *ce;
	int rc;

	if (p->nw != 4)
		return fail(p, p->nw > 4 ? &p->w[4] : &p->w[0],
			    "expected: cert NAME|*.NAME|default CERT.pem KEY.pem");
	memset(&e, 0, sizeof(e));
	if ((rc = parse_pattern(p, &p->w[1], e.pattern, &e.is_default)) < 0 ||
	    (rc = parse_path(p, &p->w[2], e.cert_path)) < 0 ||
	    (rc = parse_path(p, &p->w[3], e.key_path)) < 0)
		return rc;
	for (unsigned int i = 0; i < l->ncerts; i++)
		if (strcmp(l->certs[i].pattern, e.pattern) == 0)
			return fail(p, &p->w[1], "a cert for '%s' is given twice (line %u)",
				    e.pattern, l->certs[i].line);
	rc = grow(p, (void **)&l->certs, &l->ncerts, sizeof(*ce), TLSCONF_CERTS_MAX,
		  "certs in one listener", (void **)&ce);
	if (rc < 0)
		return rc;
	e.line = p->line;
	*ce = e;
	return 0;
}

static int st_alpn(struct parser *p)
{
	struct tls_listener_conf *l = p->l;
	const struct word *w = &p->w[1];
	size_t i = 0;

	if (p->nw != 2)
		return fail(p, p->nw > 2 ? &p->w[2] : &p->w[0],
			    "expected: alpn PROTOCOL[,PROTOCOL...] (e.g. h2,http/1.1)");
	if (p->alpn_set)
		return fail(p, &p->w[0], "alpn given twice in this listener");
	p->alpn_set = true;
	while (i <= w->n) {
		size_t start = i;
		struct word e;

		while (i < w->n && w->s[i] != ',')
			i++;
		e = (struct word){w->s + start, i - start, w->col + (unsigned int)start};
		if (e.n == 0 || e.n > TLSCONF_ALPN_NAME_MAX)
			return fail(p, &e, "a protocol name has 1 to %u bytes",
				    TLSCONF_ALPN_NAME_MAX);
		for (unsigned int k = 0; k < l->nalpn; k++)
			if (is(&e, l->alpn[k]))
				return fail(p, &e, "protocol '%s' listed twice", l->alpn[k]);
		if (l->nalpn >= TLSCONF_ALPN_MAX)
			return fail(p, &e, "more than %u protocols", TLSCONF_ALPN_MAX);
		memcpy(l->alpn[l->nalpn], e.s, e.n);
		l->alpn[l->nalpn++][e.n] = '\0';
		i++;
	}
	return 0;
}

static int st_client_ca(struct parser *p)
{
	if (p->nw != 2)
		return fail(p, p->nw > 2 ? &p->w[2] : &p->w[0], "expected: client-ca CA.pem");
	if (p->l->client_ca[0])
		return fail(p, &p->w[0], "client-ca given twice in this listener");
	return parse_path(p, &p->w[1], p->l->client_ca);
}

static int st_backend(struct parser *p)
{
	struct tls_listener_conf *l = p->l;
	struct tls_backend_conf b = {.proxy = TLS_PROXY_NONE}, *be;
	int rc;

	if (p->nw < 2 || p->nw > 3)
		return fail(p, p->nw > 3 ? &p->w[3] : &p->w[0],
			    "expected: backend ADDRESS:PORT [none|proxy-v1|proxy-v2]");
	if ((rc = parse_ep(p, &p->w[1], &b.ep)) < 0)
		return rc;
	if (p->nw == 3) {
		if (is(&p->w[2], "proxy-v2"))
			b.proxy = TLS_PROXY_V2;
		else if (is(&p->w[2], "proxy-v1"))
			b.proxy = TLS_PROXY_V1;
		else if (!is(&p->w[2], "none"))
			return fail(p, &p->w[2], "expected none, proxy-v1 or proxy-v2");
	}
	for (unsigned int i = 0; i < l->nbackends; i++)
		if (l->backends[i].ep.port == b.ep.port && l->backends[i].ep.v6 == b.ep.v6 &&
		    memcmp(l->backends[i].ep.a, b.ep.a, 16) == 0)
			return fail(p, &p->w[1], "backend listed twice (line %u)",
				    l->backends[i].line);
	rc = grow(p, (void **)&l->backends, &l->nbackends, sizeof(*be), TLSCONF_BACKENDS_MAX,
		  "backends in one listener", (void **)&be);
	if (rc < 0)
		return rc;
	b.line = p->line;
	*be = b;
	return 0;
}

/* limits KEY VALUE ...: the file's defaults before the first listen, else this listener's. */
static int st_limits(struct parser *p)
{
	struct tls_limits *lim = p->l ? &p->l->limits : &p->c->limits;
	char sh[48];
	int rc;

	if (p->nw < 3 || p->nw % 2 == 0)
		return fail(p, p->nw < 3 ? &p->w[0] : &p->w[p->nw - 1],
			    "expected: limits KEY VALUE [KEY VALUE...]");
	for (unsigned int i = 1; i < p->nw; i += 2) {
		static const char *const keys[] = {"max-conns", "handshake-timeout", "idle-timeout",
						   "rate"};
		const struct word *k = &p->w[i], *v = &p->w[i + 1];
		unsigned int key = 0;

		while (key < 4 && !is(k, keys[key]))
			key++;
		if (key == 4)
			return fail(p, k,
				    "'%s': expected max-conns, handshake-timeout, idle-timeout "
				    "or rate",
				    show(k, sh));
		if (p->limits_seen & (1u << key))
			return fail(p, k, "'%s' given twice %s", keys[key],
				    p->l ? "in this listener" : "before the first listen");
		p->limits_seen |= 1u << key;
		if (key == 0)
			rc = parse_uint(p, v, 0, TLSCONF_MAX_CONNS_MAX, &lim->max_conns);
		else if (key == 1)
			rc = parse_ms(p, v, &lim->handshake_timeout_ms);
		else if (key == 2)
			rc = parse_ms(p, v, &lim->idle_timeout_ms);
		else
			rc = parse_rate(p, v, lim);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int statement(struct parser *p)
{
	const struct word *w = &p->w[0];
	char sh[48];

	if (is(w, "listen"))
		return st_listen(p);
	if (is(w, "limits"))
		return st_limits(p);
	if (!is(w, "cert") && !is(w, "alpn") && !is(w, "client-ca") && !is(w, "backend"))
		return fail(p, w, "'%s': expected listen, cert, alpn, client-ca, backend or limits",
			    show(w, sh));
	if (!p->l)
		return fail(p, w, "'%s' outside a listen block (a listen line comes first)",
			    show(w, sh));
	if (is(w, "cert"))
		return st_cert(p);
	if (is(w, "alpn"))
		return st_alpn(p);
	if (is(w, "client-ca"))
		return st_client_ca(p);
	return st_backend(p);
}

/* ---- lines ---- */

/* Cut line @s (@n bytes) into words, checking every byte. */
static int split(struct parser *p, const char *s, size_t n)
{
	size_t i = 0;

	p->nw = 0;
	if (n > TLSCONF_LINE_MAX) {
		struct word at = {.col = TLSCONF_LINE_MAX + 1};

		return fail(p, &at, "line longer than %u bytes", TLSCONF_LINE_MAX);
	}
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t start = i;

		if (ch == '#')
			break;
		if (ch == ' ' || ch == '\t' || (ch == '\r' && i + 1 == n)) {
			i++;
			continue;
		}
		for (; i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '#'; i++) {
			ch = (unsigned char)s[i];
			if (ch == '\r' && i + 1 == n)
				break;
			if (ch < 0x21 || ch > 0x7e) {
				struct word at = {.col = (unsigned int)i + 1};

				return fail(p, &at, "byte 0x%02x: only printable ASCII is allowed",
					    ch);
			}
		}
		if (p->nw >= WORDS_MAX) {
			struct word at = {.col = (unsigned int)start + 1};

			return fail(p, &at, "more than %u words on one line", WORDS_MAX);
		}
		p->w[p->nw++] = (struct word){s + start, i - start, (unsigned int)start + 1};
	}
	return 0;
}

int tlsconf_parse(const char *text, size_t len, const char *fname, struct tls_conf **out, char *err,
		  size_t errlen)
{
	struct parser p = {.fname = fname, .err = err, .errlen = errlen};
	size_t pos = 0;
	int rc = 0;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (len > TLSCONF_TEXT_MAX) {
		if (errlen)
			snprintf(err, errlen, "%s: larger than %u bytes", fname, TLSCONF_TEXT_MAX);
		return -EINVAL;
	}
	p.c = calloc(1, sizeof(*p.c));
	if (!p.c) {
		if (errlen)
			snprintf(err, errlen, "%s: out of memory", fname);
		return -ENOMEM;
	}
	p.c->limits = (struct tls_limits){
		.max_conns = TLSCONF_DEF_MAX_CONNS,
		.handshake_timeout_ms = TLSCONF_DEF_HANDSHAKE_MS,
		.idle_timeout_ms = TLSCONF_DEF_IDLE_MS,
		.rate_period_ms = 1000,
	};
	while (rc == 0 && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		rc = split(&p, text + pos, n);
		if (rc == 0 && p.nw)
			rc = statement(&p);
		pos += n + 1;
	}
	if (rc == 0)
		rc = listen_end(&p);
	if (rc == 0 && p.c->nlisteners == 0) {
		if (errlen)
			snprintf(err, errlen, "%s: no listen block (listen ADDRESS:PORT)", fname);
		rc = -EINVAL;
	}
	if (rc < 0) {
		tlsconf_free(p.c);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	*out = p.c;
	return 0;
}

void tlsconf_free(struct tls_conf *c)
{
	if (!c)
		return;
	for (unsigned int i = 0; i < c->nlisteners; i++) {
		free(c->listeners[i].certs);
		free(c->listeners[i].backends);
	}
	free(c->listeners);
	free(c);
}

void tlsconf_format_ep(const struct tls_ep *ep, char *buf, size_t len)
{
	char s[INADDR6_STRLEN];

	if (ep->v6) {
		inaddr_format6(ep->a, s, sizeof(s));
		snprintf(buf, len, "[%s]:%u", s, ep->port);
	} else {
		snprintf(buf, len, "%u.%u.%u.%u:%u", ep->a[0], ep->a[1], ep->a[2], ep->a[3],
			 ep->port);
	}
}

const char *tlsconf_proxy_name(enum tls_proxy_mode m)
{
	switch (m) {
	case TLS_PROXY_V1:
		return "proxy-v1";
	case TLS_PROXY_V2:
		return "proxy-v2";
	default:
		return "none";
	}
}
