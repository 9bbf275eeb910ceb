/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PROXY protocol headers a terminator sends to a backend before the
 * client's plaintext, so that the backend sees the client's address, the
 * SNI name and the ALPN protocol (docs/proxy-protocol.md: the byte layouts
 * and the choices made here). Encoders only, into a caller's buffer; pure
 * logic, built into the appliance and the host tests.
 *
 * The SNI name and the ALPN protocol come from the client: they are copied
 * as bytes into length-prefixed TLVs (v2), never into the v1 text line.
 */
#ifndef SLUICE_TLS_PROXYPROTO_H
#define SLUICE_TLS_PROXYPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROXY_V1_MAX 107 /* longest v1 line, CRLF included, no NUL */
#define PROXY_V2_HDR 16	 /* signature, version/command, family, length */
/* A v2 header always fits one minimum TCP segment (576 - 40) if kept to this. */
#define PROXY_V2_MAX 536

/* v2 TLV types and the SSL TLV's sub-types and client bits. */
#define PP2_TYPE_ALPN 0x01
#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_SSL 0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CN 0x22
#define PP2_SUBTYPE_SSL_CIPHER 0x23
#define PP2_CLIENT_SSL 0x01
#define PP2_CLIENT_CERT_CONN 0x02
#define PP2_CLIENT_CERT_SESS 0x04

/* What one connection tells its backend. */
struct proxy_info {
	/*
	 * Source (client) and destination (the address it connected to).
	 * @family 4 or 6 (IPv4 in the first 4 bytes), or 0: unknown (v1
	 * "UNKNOWN", v2 LOCAL without addresses). An IPv4-mapped IPv6 pair
	 * (::ffff:a.b.c.d on both sides) is sent as IPv4.
	 */
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport; /* host order */

	/* v2 only; a NULL pointer or a zero length leaves the TLV out. */
	const uint8_t *alpn; /* the negotiated protocol, e.g. "h2" */
	size_t alpn_len;
	const uint8_t *authority; /* the SNI host name the client sent */
	size_t authority_len;
	bool ssl;		 /* add the SSL TLV (PP2_CLIENT_SSL set) */
	uint8_t ssl_client;	 /* extra PP2_CLIENT_CERT_* bits */
	uint32_t ssl_verify;	 /* 0: a client certificate was presented and verified */
	const char *ssl_version; /* "TLSv1.3"; NULL: no sub-TLV */
	const char *ssl_cipher;	 /* "TLS_AES_128_GCM_SHA256"; NULL: none */
	const char *ssl_cn;	 /* the client certificate's CN; NULL: none */
};

/*
 * "PROXY TCP4 SRC DST SPORT DPORT\r\n" (TCP6 with RFC 5952 addresses, or
 * "PROXY UNKNOWN\r\n") into @buf. The length written (no NUL), or
 * -ENOSPC when @len is too small (PROXY_V1_MAX always suffices).
 */
int proxy_v1_encode(const struct proxy_info *pi, uint8_t *buf, size_t len);

/*
 * The v2 header: command PROXY with TCP over IPv4 (0x11) or IPv6 (0x21)
 * and the TLVs asked for, or LOCAL/UNSPEC with no addresses for family 0.
 * The length written, -ENOSPC when @len is too small, -EINVAL when a TLV
 * is longer than 65535 bytes or the whole beyond PROXY_V2_HDR + 65535.
 */
int proxy_v2_encode(const struct proxy_info *pi, uint8_t *buf, size_t len);

#endif
