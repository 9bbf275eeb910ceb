/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A TLS session over one lwIP raw-API TCP connection: mbedTLS's BIO
 * callbacks served from lwIP's receive pbufs and send queue, non-blocking.
 *
 * Flow control, the reason this exists (docs/tls.md, "Back-pressure"):
 *   - receiving: segments lwIP hands us are held as they are (pbufs, no
 *     copy) until mbedTLS reads them, and only the bytes mbedTLS has read
 *     are acknowledged to the peer's window (tcp_recved). The owner reads
 *     plaintext only when it has somewhere to put it, so a peer sending
 *     faster than the other side drains stops at one TCP window
 *     (TCP_WND, net/include/lwipopts.h) of ciphertext per connection;
 *   - sending: the BIO write takes only what lwIP's send buffer has room
 *     for (tcp_sndbuf); the rest stays in mbedTLS's output record and
 *     mbedtls_ssl_write/handshake say MBEDTLS_ERR_SSL_WANT_WRITE. A slow
 *     reader costs one record (MBEDTLS_SSL_OUT_CONTENT_LEN) plus one send
 *     buffer (TCP_SND_BUF).
 * So memory per connection is bounded whatever the peers do.
 *
 * Everything runs on the event loop (lwIP callbacks, timers). The owner
 * installs its own lwIP callbacks and hands received pbufs to
 * tlsconn_rx(); lwIP's pcb may disappear under it (tcp_err): it then calls
 * tlsconn_detach() and the BIO reports a reset.
 */
#ifndef SLUICE_TLS_TLSCONN_H
#define SLUICE_TLS_TLSCONN_H

#include <stdbool.h>
#include <stddef.h>

#include "lwip/tcp.h"
#include "mbedtls/ssl.h"

/*
 * Received pbufs held per connection before lwIP is asked to keep the
 * next segment (tcp_recv returning ERR_MEM): the window bounds bytes, this
 * bounds buffers, against a peer sending one-byte segments.
 */
#define TLSCONN_RX_PBUFS_MAX 64

struct tlsconn {
	struct tcp_pcb *pcb; /* NULL once lwIP freed it or it was closed */
	struct pbuf *rx;     /* ciphertext received, not yet read by mbedTLS */
	bool rx_eof;	     /* the peer sent its FIN */
	bool tx_queued;	     /* tcp_write since the last tlsconn_output */
	mbedtls_ssl_context ssl;
};

/* Set up @c on @pcb with @conf (kept while @c lives). 0 or an mbedTLS error. */
int tlsconn_init(struct tlsconn *c, struct tcp_pcb *pcb, const mbedtls_ssl_config *conf);

/* Free the session (zeroing its keys) and any held pbufs; the pcb is the owner's. */
void tlsconn_free(struct tlsconn *c);

/*
 * A tcp_recv callback's data: NULL @p is the peer's FIN. Returns ERR_OK
 * (taken) or ERR_MEM (too many pbufs held: lwIP keeps @p and offers it
 * again later).
 */
err_t tlsconn_rx(struct tlsconn *c, struct pbuf *p);

/* lwIP freed or the owner closed the pcb: from now on the BIO reports a reset. */
void tlsconn_detach(struct tlsconn *c);

/* Push what the BIO queued onto the wire (tcp_output), once per event. */
void tlsconn_output(struct tlsconn *c);

/* Does mbedTLS still hold output that the send buffer had no room for? */
bool tlsconn_out_pending(const struct tlsconn *c);

/* Ciphertext bytes received and not yet read by mbedTLS. */
size_t tlsconn_rx_held(const struct tlsconn *c);

/* mbedTLS's BIO callbacks (mbedtls_ssl_set_bio with the struct tlsconn). */
int tlsconn_bio_send(void *ctx, const unsigned char *buf, size_t len);
int tlsconn_bio_recv(void *ctx, unsigned char *buf, size_t len);

#endif
