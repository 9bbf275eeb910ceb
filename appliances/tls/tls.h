/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS terminator appliance (docs/tls.md): shared definitions of its
 * parts.
 *   tls.c      main, options, listeners, counters
 *   tlsrt.c    a configuration made ready to serve (certificates, keys, CA
 *              bundles, mbedTLS configs), from the config disk or a push
 *   tlssess.c  one client connection: handshake, backend, relay, limits
 */
#ifndef SLUICE_APP_TLS_H
#define SLUICE_APP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certstore.h"
#include "lwip/ip_addr.h"
#include "lwip/tcp.h"
#include "mbedtls/ssl.h"
#include "mbedtls/ssl_ticket.h"
#include "sluice/nf/confchan.h"
#include "tlsconf.h"

#define TLS_MS 1000000ull
#define TLS_LISTEN_SLOTS (2 * TLSCONF_LISTENERS_MAX) /* in force plus draining */
#define TLS_RATE_SLOTS 1024			     /* per-source rate entries */

typedef unsigned long long ull;

/* A backend of a listener as served, with its counters (kept across reloads by address). */
struct tls_be_rt {
	const struct tls_backend_conf *bc;
	uint64_t connects, connect_fails;
};

/* A listener as served: everything a handshake needs, immutable once built. */
struct tls_lrt {
	const struct tls_listener_conf *lc;
	struct certstore *certs;
	mbedtls_x509_crt ca;
	bool has_ca;
	mbedtls_ssl_config ssl;
	const char *alpn[TLSCONF_ALPN_MAX + 1]; /* NULL-terminated, for mbedTLS */
	struct tls_be_rt *be;
};

/*
 * A whole configuration as served. Connections hold a reference to the one
 * they were accepted under, so a reload never pulls a certificate or an
 * mbedTLS config from under a live session; it is freed (keys zeroed)
 * when the last of them ends.
 */
struct tls_rt {
	struct tls_conf *conf;
	struct tls_lrt *l; /* conf->nlisteners */
	unsigned int refs;
	unsigned int ncerts, cert_errors;
};

/* A listening socket; survives reloads that keep its address. */
struct tls_listener {
	bool used;
	struct tcp_pcb *pcb; /* NULL once removed by a reload (its sessions drain) */
	struct tls_ep ep;
	struct tls_rt *rt; /* the configuration new connections get */
	unsigned int li;   /* its index in rt */
	unsigned int active;
	unsigned int rr; /* round-robin cursor over the backends */
	uint64_t accepted, refused_max_conns, refused_rate;
};

/* The appliance's counters (docs/tls.md, "Counters"). */
struct tls_stats {
	uint64_t hs_full, hs_resumed;
	uint64_t hs_fail_timeout, hs_fail_eof, hs_fail_alert, hs_fail_client_cert, hs_fail_protocol,
		hs_fail_nomem;
	uint64_t bytes_in, bytes_out; /* plaintext client->backend, backend->client */
	uint64_t alerts_sent, alerts_received;
	uint64_t idle_timeouts, backend_unavailable;
	unsigned int active;
	uint64_t sessions_nomem;
};

struct tls_opts {
	char config_file[TLSCONF_PATH_MAX + 1];
	uint64_t stats_interval_ms;
	bool stats_console;
	uint64_t ticket_rotate_s;
};

extern struct tls_opts tls_opts;
extern struct tls_stats tls_stats;
extern struct tls_listener tls_listeners[TLS_LISTEN_SLOTS];
extern mbedtls_ssl_ticket_context tls_tickets;

/* tlsrt.c: a loader of the files a configuration names. */
typedef int (*tls_file_fn)(void *arg, const char *path, unsigned char **data, size_t *len,
			   char *err, size_t errlen);
/*
 * Parse @text and build everything it names (files through @load). 0 with
 * *@out, or -errno with "NAME:LINE:COL: message" (or "FILE: message") in
 * @msg. Certificate problems are printed; a listener left with no usable
 * certificate refuses the whole configuration.
 */
int tls_rt_build(const char *text, size_t len, const char *name, tls_file_fn load, void *arg,
		 struct tls_rt **out, char *msg, size_t msglen);
void tls_rt_get(struct tls_rt *rt);
void tls_rt_put(struct tls_rt *rt);
/* Load a configuration from the config disk at boot. */
int tls_rt_boot(const char *file, struct tls_rt **out, char *msg, size_t msglen);
/* Compile a pushed value: base64 of a ustar archive with tls.cfg at its root. */
int tls_rt_push(const char *text, size_t len, struct tls_rt **out, char *msg, size_t msglen);

/* tls.c */
/* Put @rt in force: listeners opened, kept or closed; a summary into @sum. */
void tls_apply(struct tls_rt *rt, char *sum, size_t sumlen);
void tls_summary(const struct tls_rt *rt, char *sum, size_t sumlen);

/* tlssess.c */
err_t tls_sess_accept_cb(void *arg, struct tcp_pcb *pcb, err_t err);
/* mbedTLS callbacks a listener's config names (tlsrt.c). */
int tls_sess_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len);
int tls_sess_ticket_parse(void *p, mbedtls_ssl_session *sess, unsigned char *buf, size_t len);
/* Per-source rate limit: may a connection from @src start now? */
bool tls_rate_allow(const ip_addr_t *src, const struct tls_limits *lim);

#endif
