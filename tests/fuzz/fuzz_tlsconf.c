// SPDX-License-Identifier: BSD-2-Clause
/*
 * The TLS terminator's configuration file (appliances/tls/tlsconf.c):
 * text from the config disk, the host channel and sluice-ctl's command
 * line, so untrusted. Parse; a refusal must come with a NUL-terminated
 * "tls.cfg:..." message and no configuration; an accepted configuration
 * must respect every documented bound (counts, string lengths, a cert and
 * a backend in every listener, ports and proxy modes in range), and its
 * endpoints are formatted as the appliance prints them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tlsconf.h"

static void check_str(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

/* A ".." component: the parser must never let one through. */
static bool climbs(const char *p)
{
	for (const char *c = p; *c; c++)
		if ((c == p || c[-1] == '/') && c[0] == '.' && c[1] == '.' &&
		    (c[2] == '/' || c[2] == '\0'))
			return true;
	return false;
}

static void check_listener(const struct tls_listener_conf *l)
{
	char ep[64];

	if (!l->ncerts || l->ncerts > TLSCONF_CERTS_MAX || !l->nbackends ||
	    l->nbackends > TLSCONF_BACKENDS_MAX || l->nalpn > TLSCONF_ALPN_MAX || !l->ep.port)
		abort();
	tlsconf_format_ep(&l->ep, ep, sizeof(ep));
	for (unsigned int i = 0; i < l->ncerts; i++) {
		const struct tls_cert_conf *c = &l->certs[i];

		check_str(c->pattern, sizeof(c->pattern));
		check_str(c->cert_path, sizeof(c->cert_path));
		check_str(c->key_path, sizeof(c->key_path));
		if (!c->cert_path[0] || !c->key_path[0] || climbs(c->cert_path) ||
		    climbs(c->key_path))
			abort();
	}
	for (unsigned int i = 0; i < l->nbackends; i++) {
		if (!l->backends[i].ep.port || l->backends[i].proxy > TLS_PROXY_V2)
			abort();
		tlsconf_format_ep(&l->backends[i].ep, ep, sizeof(ep));
		if (strlen(tlsconf_proxy_name(l->backends[i].proxy)) < 4)
			abort();
	}
	for (unsigned int i = 0; i < l->nalpn; i++) {
		check_str(l->alpn[i], sizeof(l->alpn[i]));
		if (!l->alpn[i][0])
			abort();
	}
	check_str(l->client_ca, sizeof(l->client_ca));
	if (l->limits.rate_period_ms != 1000 && l->limits.rate_period_ms != 60000)
		abort();
	if (!l->limits.handshake_timeout_ms ||
	    l->limits.handshake_timeout_ms > TLSCONF_TIMEOUT_MAX_MS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_conf *c = (void *)1;
	char err[256];
	int rc = tlsconf_parse((const char *)data, size, "tls.cfg", &c, err, sizeof(err));

	if (rc < 0) {
		if (c || (rc != -EINVAL && rc != -ENOMEM) ||
		    memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "tls.cfg", 7) != 0)
			abort();
		return 0;
	}
	if (!c || !c->nlisteners || c->nlisteners > TLSCONF_LISTENERS_MAX)
		abort();
	for (unsigned int i = 0; i < c->nlisteners; i++)
		check_listener(&c->listeners[i]);
	tlsconf_free(c);
	return 0;
}
