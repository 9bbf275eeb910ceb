// SPDX-License-Identifier: BSD-2-Clause
/*
 * PROXY protocol v1 and v2 encoders (proxyproto.h). The byte layouts are
 * in docs/proxy-protocol.md. Every write is bounded by the caller's
 * buffer; the client-supplied SNI and ALPN bytes only ever go into v2
 * TLVs, whose lengths are checked against the 16-bit length fields first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxyproto.h"
#include "sluice/inaddr.h"

static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* The family to send: 4 or 6, an IPv4-mapped pair as 4, or 0 (unknown). */
static int wire_family(const struct proxy_info *pi, const uint8_t **src, const uint8_t **dst)
{
	*src = pi->src;
	*dst = pi->dst;
	if (pi->family == 4)
		return 4;
	if (pi->family != 6)
		return 0;
	if (memcmp(pi->src, v4_mapped, 12) == 0 && memcmp(pi->dst, v4_mapped, 12) == 0) {
		*src = pi->src + 12;
		*dst = pi->dst + 12;
		return 4;
	}
	return 6;
}

static void fmt_addr(int fam, const uint8_t *a, char *buf, size_t len)
{
	if (fam == 4)
		snprintf(buf, len, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	else
		inaddr_format6(a, buf, len);
}

int proxy_v1_encode(const struct proxy_info *pi, uint8_t *buf, size_t len)
{
	char line[PROXY_V1_MAX + 1], s[INADDR6_STRLEN], d[INADDR6_STRLEN];
	const uint8_t *src, *dst;
	int fam = wire_family(pi, &src, &dst), n;

	if (fam == 0) {
		n = snprintf(line, sizeof(line), "PROXY UNKNOWN\r\n");
	} else {
		fmt_addr(fam, src, s, sizeof(s));
		fmt_addr(fam, dst, d, sizeof(d));
		n = snprintf(line, sizeof(line), "PROXY TCP%c %s %s %u %u\r\n",
			     fam == 4 ? '4' : '6', s, d, pi->sport, pi->dport);
	}
	/* The longest form is 104 bytes (TCP6, two 39-byte addresses): never truncated. */
	if (n < 0 || (size_t)n > len)
		return -ENOSPC;
	memcpy(buf, line, (size_t)n);
	return n;
}

/* A writer that stops at the end of the buffer and remembers it did. */
struct out {
	uint8_t *buf;
	size_t len, pos;
	bool full;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->full || n > o->len - o->pos) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->pos, p, n);
	o->pos += n;
}

static void put_u8(struct out *o, uint8_t v)
{
	put(o, &v, 1);
}

static void put_be16(struct out *o, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(o, b, 2);
}

static void put_tlv(struct out *o, uint8_t type, const void *v, size_t n)
{
	put_u8(o, type);
	put_be16(o, (uint16_t)n); /* n <= 65535: checked by the caller */
	put(o, v, n);
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

/* The SSL TLV's value length: client, verify, sub-TLVs. */
static size_t ssl_len(const struct proxy_info *pi)
{
	size_t n = 1 + 4;

	if (pi->ssl_version)
		n += 3 + slen(pi->ssl_version);
	if (pi->ssl_cn)
		n += 3 + slen(pi->ssl_cn);
	if (pi->ssl_cipher)
		n += 3 + slen(pi->ssl_cipher);
	return n;
}

static void put_ssl(struct out *o, const struct proxy_info *pi)
{
	uint8_t v[4] = {(uint8_t)(pi->ssl_verify >> 24), (uint8_t)(pi->ssl_verify >> 16),
			(uint8_t)(pi->ssl_verify >> 8), (uint8_t)pi->ssl_verify};

	put_u8(o, PP2_TYPE_SSL);
	put_be16(o, (uint16_t)ssl_len(pi));
	put_u8(o, (uint8_t)(PP2_CLIENT_SSL | pi->ssl_client));
	put(o, v, 4); /* network order, as the receivers read it */
	if (pi->ssl_version)
		put_tlv(o, PP2_SUBTYPE_SSL_VERSION, pi->ssl_version, slen(pi->ssl_version));
	if (pi->ssl_cn)
		put_tlv(o, PP2_SUBTYPE_SSL_CN, pi->ssl_cn, slen(pi->ssl_cn));
	if (pi->ssl_cipher)
		put_tlv(o, PP2_SUBTYPE_SSL_CIPHER, pi->ssl_cipher, slen(pi->ssl_cipher));
}

/* Bytes after the 16-byte header, or -EINVAL when a length field cannot hold them. */
static long v2_body_len(const struct proxy_info *pi, int fam)
{
	size_t n = fam == 4 ? 12 : fam == 6 ? 36 : 0;

	if (fam == 0)
		return 0; /* LOCAL: no addresses, no TLVs */
	if (pi->alpn && pi->alpn_len) {
		if (pi->alpn_len > 0xffff)
			return -EINVAL;
		n += 3 + pi->alpn_len;
	}
	if (pi->authority && pi->authority_len) {
		if (pi->authority_len > 0xffff)
			return -EINVAL;
		n += 3 + pi->authority_len;
	}
	if (pi->ssl) {
		if (slen(pi->ssl_version) > 0xffff || slen(pi->ssl_cn) > 0xffff ||
		    slen(pi->ssl_cipher) > 0xffff || ssl_len(pi) > 0xffff)
			return -EINVAL;
		n += 3 + ssl_len(pi);
	}
	return n > 0xffff ? -EINVAL : (long)n;
}

int proxy_v2_encode(const struct proxy_info *pi, uint8_t *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	const uint8_t *src, *dst;
	int fam = wire_family(pi, &src, &dst);
	long body = v2_body_len(pi, fam);
	size_t alen = fam == 4 ? 4 : 16;

	if (body < 0)
		return -EINVAL;
	if ((size_t)body + PROXY_V2_HDR > len)
		return -ENOSPC;
	put(&o, v2_sig, sizeof(v2_sig));
	/* Version 2 in the high nibble; command PROXY (1), or LOCAL (0) when unknown. */
	put_u8(&o, fam ? 0x21 : 0x20);
	/* Family in the high nibble (INET 1, INET6 2, UNSPEC 0), STREAM (1) in the low. */
	put_u8(&o, fam == 4 ? 0x11 : fam == 6 ? 0x21 : 0x00);
	put_be16(&o, (uint16_t)body);
	if (fam) {
		put(&o, src, alen);
		put(&o, dst, alen);
		put_be16(&o, pi->sport);
		put_be16(&o, pi->dport);
		if (pi->alpn && pi->alpn_len)
			put_tlv(&o, PP2_TYPE_ALPN, pi->alpn, pi->alpn_len);
		if (pi->authority && pi->authority_len)
			put_tlv(&o, PP2_TYPE_AUTHORITY, pi->authority, pi->authority_len);
		if (pi->ssl)
			put_ssl(&o, pi);
	}
	/* The length was computed first; a mismatch would be a bug here, not input. */
	if (o.full || o.pos != (size_t)body + PROXY_V2_HDR)
		return -ENOSPC;
	return (int)o.pos;
}
