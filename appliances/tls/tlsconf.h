/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS terminator's configuration file (docs/tls.md), in words a
 * HAProxy or stunnel user knows:
 *
 *	limits max-conns 4096 handshake-timeout 10s idle-timeout 300s rate 100/s
 *	listen 0.0.0.0:443
 *	  cert example.com /certs/example.pem /certs/example.key
 *	  cert *.example.org /certs/wild.pem /certs/wild.key
 *	  cert default /certs/default.pem /certs/default.key
 *	  alpn h2,http/1.1
 *	  client-ca /certs/ca.pem
 *	  backend 10.1.0.11:8080 proxy-v2
 *	  limits max-conns 1024
 *
 * One statement a line, '#' to the end of a line is a comment. `limits`
 * before the first `listen` sets the defaults of every listener; inside a
 * listen block it overrides the keys it names for that listener only.
 * Every other statement belongs to the `listen` above it.
 *
 * The text is untrusted (config disk, host channel): bounded in size,
 * line length and counts, printable ASCII only. Any error stops the parse
 * with "FILE:LINE:COL: message" about the word at fault (or "FILE:
 * message" for the file as a whole); nothing half-parsed is returned.
 * Pure logic: built into the appliance, sluice-ctl and the host tests.
 */
#ifndef SLUICE_TLSCONF_H
#define SLUICE_TLSCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSCONF_TEXT_MAX (256u * 1024)	 /* bytes in a file */
#define TLSCONF_LINE_MAX 1024u		 /* bytes in a line */
#define TLSCONF_LISTENERS_MAX 16u	 /* listen blocks */
#define TLSCONF_CERTS_MAX 256u		 /* cert lines in one listener */
#define TLSCONF_BACKENDS_MAX 64u	 /* backend lines in one listener */
#define TLSCONF_ALPN_MAX 8u		 /* protocols in one alpn list */
#define TLSCONF_ALPN_NAME_MAX 32u	 /* bytes in one protocol name */
#define TLSCONF_NAME_MAX 253u		 /* bytes in a cert pattern (a DNS name) */
#define TLSCONF_PATH_MAX 255u		 /* bytes in a file path */
#define TLSCONF_MAX_CONNS_MAX 1000000u	 /* limits max-conns */
#define TLSCONF_TIMEOUT_MAX_MS 86400000u /* limits *-timeout: one day */
#define TLSCONF_RATE_MAX 1000000u	 /* limits rate N/s or N/m */

/* Defaults of `limits` keys nobody set. 0 means "no limit" for max-conns and rate. */
#define TLSCONF_DEF_MAX_CONNS 4096u
#define TLSCONF_DEF_HANDSHAKE_MS 10000u
#define TLSCONF_DEF_IDLE_MS 300000u

/* What a backend is told about the client before the plaintext stream. */
enum tls_proxy_mode {
	TLS_PROXY_NONE = 0, /* nothing: the stream starts with the client's plaintext */
	TLS_PROXY_V1,	    /* PROXY protocol v1 text line (docs/proxy-protocol.md) */
	TLS_PROXY_V2,	    /* PROXY protocol v2 binary header with ALPN/SNI/SSL TLVs */
};

/* An IPv4 or IPv6 endpoint. IPv4 lives in a[0..3], the rest zero. */
struct tls_ep {
	uint8_t a[16]; /* network order */
	bool v6;
	uint16_t port; /* host order, 1..65535 */
};

struct tls_limits {
	uint32_t max_conns;	       /* concurrent connections of a listener; 0: none */
	uint32_t handshake_timeout_ms; /* accept to handshake done */
	uint32_t idle_timeout_ms;      /* no byte either way */
	uint32_t rate;		       /* new connections per source per rate_period_ms; 0: none */
	uint32_t rate_period_ms;       /* 1000 (N/s) or 60000 (N/m) */
};

struct tls_cert_conf {
	/*
	 * "default", an exact DNS name ("example.com") or a wildcard whose
	 * first label is '*' ("*.example.org"); lower case (names are matched
	 * without regard to case). See tls/certstore.h for the matching rules.
	 */
	char pattern[TLSCONF_NAME_MAX + 1];
	bool is_default;
	/*
	 * Paths on the config disk ("/certs/a.pem" and "certs/a.pem" are the
	 * same file; sluice-ctl takes them relative to the configuration
	 * file's directory). No ".." component, no empty one.
	 */
	char cert_path[TLSCONF_PATH_MAX + 1]; /* PEM chain: leaf first */
	char key_path[TLSCONF_PATH_MAX + 1];  /* PEM private key, unencrypted */
	unsigned int line;
};

struct tls_backend_conf {
	struct tls_ep ep;
	enum tls_proxy_mode proxy;
	unsigned int line;
};

struct tls_listener_conf {
	struct tls_ep ep;
	unsigned int line;
	struct tls_cert_conf *certs; /* in file order; at least one */
	unsigned int ncerts;
	struct tls_backend_conf *backends; /* round robin, in file order; at least one */
	unsigned int nbackends;
	/* ALPN protocols in preference order; none: ALPN not offered. */
	char alpn[TLSCONF_ALPN_MAX][TLSCONF_ALPN_NAME_MAX + 1];
	unsigned int nalpn;
	/* mTLS: client certificates must chain to this PEM bundle; "" when off. */
	char client_ca[TLSCONF_PATH_MAX + 1];
	struct tls_limits limits; /* the defaults with this listener's overrides applied */
};

struct tls_conf {
	struct tls_listener_conf *listeners; /* in file order; at least one */
	unsigned int nlisteners;
	struct tls_limits limits; /* the file-wide defaults (global `limits`) */
};

/*
 * Parse @len bytes of @text (no NUL needed) named @fname in messages.
 * 0 with *@out set (free with tlsconf_free), or -EINVAL with @err holding
 * "FNAME:LINE:COL: message" (or "FNAME: message"), or -ENOMEM. *@out is
 * NULL on failure. @err is always NUL-terminated when @errlen > 0.
 */
int tlsconf_parse(const char *text, size_t len, const char *fname, struct tls_conf **out, char *err,
		  size_t errlen);

void tlsconf_free(struct tls_conf *c);

/* "0.0.0.0:443" or "[::1]:443" into @buf (truncated to @len). */
void tlsconf_format_ep(const struct tls_ep *ep, char *buf, size_t len);

/* "none", "proxy-v1", "proxy-v2". */
const char *tlsconf_proxy_name(enum tls_proxy_mode m);

#endif
