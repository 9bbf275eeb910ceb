/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One client connection of the terminator: TLS handshake (SNI picks the
 * certificate), a backend chosen round robin (the next one on a connect
 * failure) told about the client by a PROXY header, then plaintext relayed
 * both ways until either side closes, with the limits of docs/tls.md.
 *
 * Back-pressure (tls/tlsconn.h): plaintext is read from the TLS session
 * only as far as the backend's send buffer has room, so a slow backend
 * closes the client's TCP window; the backend's data is acknowledged to it
 * (tcp_recved) only once mbedTLS took it into a record for the client, so
 * a slow client closes the backend's window. Per connection we hold at
 * most one TCP window each way, one TLS record each way and a plaintext
 * chunk (<= TLS_CHUNK) that lwIP had no memory for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/net_sockets.h"
#include "mbedtls/x509.h"
#include "proxyproto.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/random.h"
#include "tls.h"
#include "tlsconn.h"

/* Plaintext moved per step: one full TLS record's worth. */
#define TLS_CHUNK 16384
#define BE_RX_PBUFS_MAX 64 /* as TLSCONN_RX_PBUFS_MAX, for the backend side */
#define POLL_TICKS 1	   /* lwIP poll every 500 ms: timeouts to that precision */

enum { S_HANDSHAKE, S_CONNECTING, S_RELAY };
enum { ABRT_C = 1, ABRT_B = 2 };

struct tls_sess {
	struct tlsconn tc; /* the client side; first, see sess_of() */
	struct tls_listener *l;
	struct tls_rt *rt;
	const struct tls_lrt *lrt;
	int state;
	struct tcp_pcb *be;
	struct tls_be_rt *ber;
	unsigned int tries; /* backends tried for this connection */
	struct pbuf *be_rx; /* backend data not yet taken into a TLS record */
	uint8_t *stash;	    /* plaintext for the backend lwIP had no memory for */
	size_t stash_off, stash_len;
	size_t pend_write; /* a TLS write that said WANT_WRITE: its length */
	bool c_eof, b_eof, b_shut, closing, ticket_ok;
	uint64_t hs_deadline, active_ns;
	char sni[TLSCONF_NAME_MAX + 1];
	uint8_t sni_len;
};

static uint8_t scratch[TLS_CHUNK];
static struct tls_sess *in_handshake; /* the session whose handshake step is running */

static struct tls_sess *sess_of(mbedtls_ssl_context *ssl)
{
	return container_of(container_of(ssl, struct tlsconn, ssl), struct tls_sess, tc);
}

/* ---- per-source rate ---- */

struct rate_ent {
	ip_addr_t src;
	uint64_t window_ns;
	uint32_t count;
};
static struct rate_ent rate_tab[TLS_RATE_SLOTS];
static uint32_t rate_key;

/*
 * Fixed windows per source address. The table is small and shared: a
 * slot whose window ended is reused; when the 4 slots a source may use
 * are all busy with other sources' live windows, it is let in (counting
 * every address would need unbounded memory).
 */
bool tls_rate_allow(const ip_addr_t *src, const struct tls_limits *lim)
{
	uint64_t now = now_ns(), period = (uint64_t)lim->rate_period_ms * TLS_MS;
	uint32_t h = rate_key;
	const uint8_t *b = (const uint8_t *)src;

	if (!lim->rate)
		return true;
	if (!rate_key) {
		random_bytes(&rate_key, sizeof(rate_key)); /* keyed: no aiming at one slot */
		h = rate_key |= 1;
	}
	for (size_t i = 0; i < sizeof(*src); i++)
		h = (h ^ b[i]) * 16777619u;
	for (unsigned int k = 0; k < 4; k++) {
		struct rate_ent *e = &rate_tab[(h + k) % TLS_RATE_SLOTS];

		if (ip_addr_cmp(&e->src, src) && now - e->window_ns < period)
			return ++e->count <= lim->rate;
		if (now - e->window_ns >= period || !e->count) {
			ip_addr_copy(e->src, *src);
			e->window_ns = now;
			e->count = 1;
			return true;
		}
	}
	return true;
}

/* ---- ending ---- */

static void detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

/* Close (graceful: queued data then FIN) or abort a pcb; flag if aborted. */
static int drop_pcb(struct tcp_pcb *pcb, bool abort, int flag)
{
	if (!pcb)
		return 0;
	detach(pcb);
	if (!abort && tcp_close(pcb) == ERR_OK)
		return 0;
	tcp_abort(pcb);
	return flag;
}

/* End the session; returns which pcbs were aborted (a callback then says ERR_ABRT). */
static int sess_end(struct tls_sess *s, bool abort)
{
	int r = drop_pcb(s->tc.pcb, abort, ABRT_C) | drop_pcb(s->be, abort, ABRT_B);

	if (s->state == S_HANDSHAKE && in_handshake == s)
		in_handshake = NULL;
	tlsconn_free(&s->tc);
	if (s->be_rx)
		pbuf_free(s->be_rx);
	if (s->stash) {
		memset(s->stash, 0, s->stash_len + s->stash_off); /* client plaintext */
		free(s->stash);
	}
	s->l->active--;
	tls_stats.active--;
	tls_rt_put(s->rt);
	free(s);
	return r;
}

static int hs_fail(struct tls_sess *s, int ret)
{
	switch (ret) {
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		tls_stats.hs_fail_alert++;
		tls_stats.alerts_received++;
		break;
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case MBEDTLS_ERR_NET_CONN_RESET:
		tls_stats.hs_fail_eof++;
		break;
	case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
	case MBEDTLS_ERR_SSL_BAD_CERTIFICATE:
		tls_stats.hs_fail_client_cert++;
		tls_stats.alerts_sent++; /* mbedTLS sent the fatal alert that says why */
		break;
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
		tls_stats.hs_fail_nomem++;
		break;
	default:
		tls_stats.hs_fail_protocol++;
		tls_stats.alerts_sent++;
		break;
	}
	tlsconn_output(&s->tc); /* the alert, if any, before the FIN */
	return sess_end(s, false);
}

/* ---- the backend ---- */

static err_t be_connected(void *arg, struct tcp_pcb *pcb, err_t err);
static err_t be_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t be_sent(void *arg, struct tcp_pcb *pcb, u16_t len);
static void be_err(void *arg, err_t err);
static int step(struct tls_sess *s);

/* Connect to the next backend in turn; -EHOSTUNREACH when every one was tried. */
static int be_connect(struct tls_sess *s)
{
	const struct tls_listener_conf *lc = s->lrt->lc;

	while (s->tries < lc->nbackends) {
		struct tls_be_rt *b = &s->lrt->be[s->l->rr++ % lc->nbackends];
		const struct tls_ep *ep = &b->bc->ep;
		ip_addr_t addr;
		struct tcp_pcb *pcb;

		s->tries++;
		b->connects++;
		if (ep->v6)
			IP_ADDR6(&addr, ((const u32_t *)ep->a)[0], ((const u32_t *)ep->a)[1],
				 ((const u32_t *)ep->a)[2], ((const u32_t *)ep->a)[3]);
		else
			IP_ADDR4(&addr, ep->a[0], ep->a[1], ep->a[2], ep->a[3]);
		pcb = tcp_new_ip_type(ep->v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
		if (!pcb) {
			b->connect_fails++;
			continue;
		}
		tcp_arg(pcb, s);
		tcp_recv(pcb, be_recv);
		tcp_sent(pcb, be_sent);
		tcp_err(pcb, be_err);
		tcp_nagle_disable(pcb);
		if (tcp_connect(pcb, &addr, ep->port, be_connected) != ERR_OK) {
			b->connect_fails++;
			detach(pcb);
			tcp_abort(pcb);
			continue;
		}
		s->be = pcb;
		s->ber = b;
		s->state = S_CONNECTING;
		return 0;
	}
	return -EHOSTUNREACH;
}

static void proxy_header(struct tls_sess *s)
{
	const struct tcp_pcb *c = s->tc.pcb;
	struct proxy_info pi = {0};
	uint8_t hdr[PROXY_V2_MAX];
	const char *alpn = mbedtls_ssl_get_alpn_protocol(&s->tc.ssl);
	int n;

	if (s->ber->bc->proxy == TLS_PROXY_NONE || !c)
		return;
	pi.family = IP_IS_V6(&c->remote_ip) ? 6 : 4;
	if (pi.family == 6) {
		memcpy(pi.src, ip_2_ip6(&c->remote_ip)->addr, 16);
		memcpy(pi.dst, ip_2_ip6(&c->local_ip)->addr, 16);
	} else {
		memcpy(pi.src, &ip_2_ip4(&c->remote_ip)->addr, 4);
		memcpy(pi.dst, &ip_2_ip4(&c->local_ip)->addr, 4);
	}
	pi.sport = c->remote_port;
	pi.dport = c->local_port;
	pi.alpn = (const uint8_t *)alpn;
	pi.alpn_len = alpn ? strlen(alpn) : 0;
	pi.authority = (const uint8_t *)s->sni;
	pi.authority_len = s->sni_len;
	pi.ssl = true;
	pi.ssl_version = mbedtls_ssl_get_version(&s->tc.ssl);
	pi.ssl_cipher = mbedtls_ssl_get_ciphersuite(&s->tc.ssl);
	if (s->lrt->has_ca) {
		pi.ssl_client = PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS;
		pi.ssl_verify = mbedtls_ssl_get_verify_result(&s->tc.ssl);
	}
	if (s->ber->bc->proxy == TLS_PROXY_V1)
		n = proxy_v1_encode(&pi, hdr, sizeof(hdr));
	else
		n = proxy_v2_encode(&pi, hdr, sizeof(hdr));
	/* A fresh pcb's send buffer holds far more than PROXY_V2_MAX bytes. */
	if (n > 0)
		tcp_write(s->be, hdr, (u16_t)n, TCP_WRITE_FLAG_COPY);
}

static err_t be_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tls_sess *s = arg;

	(void)pcb;
	(void)err; /* lwIP calls this only on success; failures go to be_err */
	s->state = S_RELAY;
	s->active_ns = now_ns();
	proxy_header(s);
	return step(s) & ABRT_B ? ERR_ABRT : ERR_OK;
}

static err_t be_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tls_sess *s = arg;

	(void)pcb;
	if (!p) {
		s->b_eof = true;
	} else if (err != ERR_OK) {
		pbuf_free(p);
		return ERR_OK;
	} else if (s->be_rx && pbuf_clen(s->be_rx) >= BE_RX_PBUFS_MAX) {
		return ERR_MEM; /* lwIP keeps it and offers it again */
	} else {
		if (s->be_rx)
			pbuf_cat(s->be_rx, p);
		else
			s->be_rx = p;
	}
	s->active_ns = now_ns();
	return step(s) & ABRT_B ? ERR_ABRT : ERR_OK;
}

static err_t be_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct tls_sess *s = arg;

	(void)pcb;
	(void)len;
	s->active_ns = now_ns();
	return step(s) & ABRT_B ? ERR_ABRT : ERR_OK;
}

/* lwIP freed the backend pcb: refused, reset, or out of retransmissions. */
static void be_err(void *arg, err_t err)
{
	struct tls_sess *s = arg;

	(void)err;
	s->be = NULL;
	if (s->state == S_CONNECTING) {
		s->ber->connect_fails++;
		if (be_connect(s) == 0)
			return;
		tls_stats.backend_unavailable++;
		s->state = S_RELAY; /* nothing to relay: close_notify, then close */
	}
	/* What the backend sent before its reset still reaches the client. */
	s->b_eof = true;
	step(s);
}

/* ---- the relay ---- */

/* Client -> backend: decrypt only as much as the backend can take. */
static int relay_in(struct tls_sess *s)
{
	for (;;) {
		size_t room = tcp_sndbuf(s->be);
		int ret;

		if (tcp_sndqueuelen(s->be) >= TCP_SND_QUEUELEN - 1)
			room = 0;
		if (s->stash_len) {
			size_t n = MIN(room, s->stash_len);

			if (!n || tcp_write(s->be, s->stash + s->stash_off, (u16_t)n,
					    TCP_WRITE_FLAG_COPY) != ERR_OK)
				break;
			s->stash_off += n;
			s->stash_len -= n;
			if (!s->stash_len) {
				memset(s->stash, 0, s->stash_off);
				free(s->stash);
				s->stash = NULL;
				s->stash_off = 0;
			}
			continue;
		}
		if (s->c_eof || !room)
			break;
		ret = mbedtls_ssl_read(&s->tc.ssl, scratch, MIN(room, sizeof(scratch)));
		if (ret > 0) {
			tls_stats.bytes_in += (unsigned int)ret;
			if (tcp_write(s->be, scratch, (u16_t)ret, TCP_WRITE_FLAG_COPY) == ERR_OK)
				continue;
			/* lwIP's heap is full: keep the chunk, stop reading until it is sent. */
			s->stash = malloc((size_t)ret);
			if (!s->stash)
				return -ENOMEM;
			memcpy(s->stash, scratch, (size_t)ret);
			s->stash_len = (size_t)ret;
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
		    ret == MBEDTLS_ERR_SSL_CONN_EOF) {
			s->c_eof = true;
			break;
		}
		if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
			tls_stats.alerts_received++;
		return -EIO;
	}
	/* Everything the client sent is with the backend: pass its end on. */
	if (s->c_eof && !s->stash_len && !s->b_shut) {
		tcp_shutdown(s->be, 0, 1);
		s->b_shut = true;
	}
	tcp_output(s->be);
	return 0;
}

/* Backend -> client: encrypt as much as the client's send buffer takes. */
static int relay_out(struct tls_sess *s)
{
	for (;;) {
		size_t len = s->pend_write;
		int ret;

		if (!len && tlsconn_out_pending(&s->tc)) {
			/* Output owed by mbedTLS itself: a zero-length write only flushes it. */
			ret = mbedtls_ssl_write(&s->tc.ssl, scratch, 0);
			if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
				break;
			if (ret < 0)
				return -EIO;
		}
		if (!len) {
			if (!s->be_rx)
				break;
			len = pbuf_copy_partial(s->be_rx, scratch,
						(u16_t)MIN(sizeof(scratch), s->be_rx->tot_len), 0);
		}
		/*
		 * After WANT_WRITE mbedTLS wants the same length again and only
		 * flushes the record it already built from the first call's bytes.
		 */
		ret = mbedtls_ssl_write(&s->tc.ssl, scratch, len);
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
			s->pend_write = len;
			break;
		}
		if (ret < 0)
			return -EIO;
		s->pend_write = 0;
		s->be_rx = pbuf_free_header(s->be_rx, (u16_t)ret);
		if (s->be)
			tcp_recved(s->be, (u16_t)ret); /* only now: the client took it */
		tls_stats.bytes_out += (unsigned int)ret;
	}
	tlsconn_output(&s->tc);
	return 0;
}

/* The backend has finished and everything reached the client: close_notify, then close. */
static int finish(struct tls_sess *s)
{
	int ret = mbedtls_ssl_close_notify(&s->tc.ssl);

	s->closing = true;
	tlsconn_output(&s->tc);
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	/* Counted only when the close_notify went out (not when the client is gone). */
	if (ret == 0)
		tls_stats.alerts_sent++;
	return sess_end(s, false);
}

static int handshake(struct tls_sess *s)
{
	int ret;

	in_handshake = s;
	ret = mbedtls_ssl_handshake(&s->tc.ssl);
	in_handshake = NULL;
	tlsconn_output(&s->tc);
	if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
		if (s->tc.rx_eof && !s->tc.rx)
			return hs_fail(s, MBEDTLS_ERR_SSL_CONN_EOF);
		return 0;
	}
	if (ret != 0)
		return hs_fail(s, ret);
	if (s->ticket_ok)
		tls_stats.hs_resumed++;
	else
		tls_stats.hs_full++;
	s->active_ns = now_ns();
	if (be_connect(s) < 0) {
		tls_stats.backend_unavailable++;
		return finish(s);
	}
	return 0;
}

/* Run whatever can progress; returns ABRT_* flags. */
static int step(struct tls_sess *s)
{
	if (s->closing)
		return finish(s);
	if (s->state == S_HANDSHAKE)
		return handshake(s);
	if (s->state != S_RELAY)
		return 0;
	if ((s->be && relay_in(s) < 0) || relay_out(s) < 0)
		return sess_end(s, true);
	if ((s->b_eof || !s->be) && !s->be_rx && !s->pend_write && !tlsconn_out_pending(&s->tc))
		return finish(s);
	return 0;
}

/* ---- the client side's lwIP callbacks ---- */

static err_t c_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tls_sess *s = arg;

	(void)pcb;
	if (p && err != ERR_OK) {
		pbuf_free(p);
		return ERR_OK;
	}
	if (tlsconn_rx(&s->tc, p) != ERR_OK)
		return ERR_MEM;
	s->active_ns = now_ns();
	return step(s) & ABRT_C ? ERR_ABRT : ERR_OK;
}

static err_t c_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct tls_sess *s = arg;

	(void)pcb;
	(void)len;
	s->active_ns = now_ns();
	return step(s) & ABRT_C ? ERR_ABRT : ERR_OK;
}

static void c_err(void *arg, err_t err)
{
	struct tls_sess *s = arg;

	(void)err;
	tlsconn_detach(&s->tc); /* lwIP freed it */
	if (s->state == S_HANDSHAKE)
		tls_stats.hs_fail_eof++;
	sess_end(s, true);
}

/* Every 500 ms: the handshake and idle timeouts, and retries after ERR_MEM. */
static err_t c_poll(void *arg, struct tcp_pcb *pcb)
{
	struct tls_sess *s = arg;
	const struct tls_limits *lim = &s->lrt->lc->limits;
	uint64_t now = now_ns();

	(void)pcb;
	if (s->state == S_HANDSHAKE && now >= s->hs_deadline) {
		tls_stats.hs_fail_timeout++;
		return sess_end(s, true) & ABRT_C ? ERR_ABRT : ERR_OK;
	}
	if (s->state != S_HANDSHAKE && lim->idle_timeout_ms &&
	    now - s->active_ns >= (uint64_t)lim->idle_timeout_ms * TLS_MS) {
		tls_stats.idle_timeouts++;
		return sess_end(s, true) & ABRT_C ? ERR_ABRT : ERR_OK;
	}
	return step(s) & ABRT_C ? ERR_ABRT : ERR_OK;
}

/* ---- SNI and tickets (mbedTLS callbacks, per listener) ---- */

int tls_sess_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	const struct tls_lrt *lrt = arg;
	struct tls_sess *s = sess_of(ssl);
	const struct certstore_cert *c;

	/* The name is the client's: kept as bytes for the PROXY TLV, never printed. */
	if (len > TLSCONF_NAME_MAX)
		return -1;
	memcpy(s->sni, name, len);
	s->sni_len = (uint8_t)len;
	c = certstore_select(lrt->certs, (const char *)name, len);
	return mbedtls_ssl_set_hs_own_cert(ssl, (mbedtls_x509_crt *)&c->chain,
					   (mbedtls_pk_context *)&c->key);
}

int tls_sess_ticket_parse(void *p, mbedtls_ssl_session *sess, unsigned char *buf, size_t len)
{
	int ret = mbedtls_ssl_ticket_parse(p, sess, buf, len);

	/* Called from inside the handshake step of in_handshake: resumption, for the counters. */
	if (ret == 0 && in_handshake)
		in_handshake->ticket_ok = true;
	return ret;
}

/* ---- accepting ---- */

err_t tls_sess_accept_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tls_listener *l = arg;
	const struct tls_lrt *lrt;
	struct tls_sess *s;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (!l->rt) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	lrt = &l->rt->l[l->li];
	if (lrt->lc->limits.max_conns && l->active >= lrt->lc->limits.max_conns) {
		l->refused_max_conns++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	if (!tls_rate_allow(&pcb->remote_ip, &lrt->lc->limits)) {
		l->refused_rate++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	s = calloc(1, sizeof(*s));
	if (!s || tlsconn_init(&s->tc, pcb, &lrt->ssl) != 0) {
		if (s)
			tlsconn_free(&s->tc);
		free(s);
		tls_stats.sessions_nomem++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	s->l = l;
	s->rt = l->rt;
	tls_rt_get(s->rt);
	s->lrt = lrt;
	s->state = S_HANDSHAKE;
	s->hs_deadline = now_ns() + (uint64_t)lrt->lc->limits.handshake_timeout_ms * TLS_MS;
	l->accepted++;
	l->active++;
	tls_stats.active++;
	tcp_nagle_disable(pcb); /* whole records are written; no waiting for our own ACKs */
	tcp_arg(pcb, s);
	tcp_recv(pcb, c_recv);
	tcp_sent(pcb, c_sent);
	tcp_err(pcb, c_err);
	tcp_poll(pcb, c_poll, POLL_TICKS);
	return ERR_OK;
}
