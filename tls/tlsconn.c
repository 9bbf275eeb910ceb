/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mbedTLS's BIO on lwIP's raw TCP API (tls/tlsconn.h: the flow control).
 */
#include <string.h>

#include "mbedtls/net_sockets.h"
#include "tlsconn.h"

int tlsconn_init(struct tlsconn *c, struct tcp_pcb *pcb, const mbedtls_ssl_config *conf)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->pcb = pcb;
	mbedtls_ssl_init(&c->ssl);
	ret = mbedtls_ssl_setup(&c->ssl, conf);
	if (ret != 0) {
		mbedtls_ssl_free(&c->ssl);
		return ret;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, tlsconn_bio_send, tlsconn_bio_recv, NULL);
	return 0;
}

void tlsconn_free(struct tlsconn *c)
{
	/* mbedtls_ssl_free zeroes the session keys and record buffers. */
	mbedtls_ssl_free(&c->ssl);
	if (c->rx)
		pbuf_free(c->rx);
	c->rx = NULL;
	c->pcb = NULL;
}

err_t tlsconn_rx(struct tlsconn *c, struct pbuf *p)
{
	if (!p) {
		c->rx_eof = true;
		return ERR_OK;
	}
	if (c->rx && pbuf_clen(c->rx) >= TLSCONN_RX_PBUFS_MAX)
		return ERR_MEM;
	if (c->rx)
		pbuf_cat(c->rx, p);
	else
		c->rx = p;
	return ERR_OK;
}

void tlsconn_detach(struct tlsconn *c)
{
	c->pcb = NULL;
}

void tlsconn_output(struct tlsconn *c)
{
	if (c->pcb && c->tx_queued)
		tcp_output(c->pcb);
	c->tx_queued = false;
}

bool tlsconn_out_pending(const struct tlsconn *c)
{
	/*
	 * Bytes of a record the BIO could not take yet. mbedTLS has no public
	 * accessor; reading the field is how a non-blocking caller knows that
	 * a write or handshake step is still owed to this peer.
	 */
	return c->ssl.MBEDTLS_PRIVATE(out_left) != 0;
}

size_t tlsconn_rx_held(const struct tlsconn *c)
{
	return c->rx ? c->rx->tot_len : 0;
}

int tlsconn_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tlsconn *c = ctx;
	size_t room;
	err_t err;

	if (!c->pcb)
		return MBEDTLS_ERR_NET_CONN_RESET;
	room = tcp_sndbuf(c->pcb);
	/* The queue counts segments: tiny writes could exhaust it before the bytes. */
	if (tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN - 1)
		room = 0;
	if (len > room)
		len = room;
	if (len > 0xffff) /* tcp_write's length is 16 bits */
		len = 0xffff;
	if (len == 0)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	err = tcp_write(c->pcb, buf, (u16_t)len, TCP_WRITE_FLAG_COPY);
	if (err == ERR_MEM)
		return MBEDTLS_ERR_SSL_WANT_WRITE; /* lwIP's heap is full: sent/poll retry */
	if (err != ERR_OK)
		return MBEDTLS_ERR_NET_SEND_FAILED;
	c->tx_queued = true;
	return (int)len;
}

int tlsconn_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tlsconn *c = ctx;
	u16_t n;

	if (!c->rx) {
		if (c->rx_eof)
			return 0; /* mbedTLS: MBEDTLS_ERR_SSL_CONN_EOF */
		return c->pcb ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_CONN_RESET;
	}
	if (len > 0xffff)
		len = 0xffff;
	n = pbuf_copy_partial(c->rx, buf, (u16_t)len, 0);
	/* Frees the pbufs read to their end; the rest stays at the head. */
	c->rx = pbuf_free_header(c->rx, n);
	/*
	 * Reopen the peer's window only now: ciphertext is acknowledged as
	 * mbedTLS consumes it, which it does only when the owner reads
	 * plaintext, which it does only when the other side has room.
	 */
	if (c->pcb)
		tcp_recved(c->pcb, n);
	return n;
}
