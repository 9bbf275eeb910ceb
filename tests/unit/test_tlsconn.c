/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tls/tlsconn.c, mbedTLS's BIO on lwIP's raw TCP API, against a fake TCP:
 * a real mbedTLS client and the server side of tlsconn complete TLS 1.3 and
 * TLS 1.2 handshakes and move data both ways while every byte arrives in a
 * segment of its own, the server's send buffer takes a few bytes at a time
 * and is drained only when the test says so. Checked: bytes intact and in
 * order, every received byte acknowledged (tcp_recved) exactly once and
 * only after mbedTLS read it, the held bytes never beyond the window, the
 * pbuf limit (ERR_MEM: lwIP keeps the segment), the send buffer never
 * overrun, EOF and a vanished pcb reported to mbedTLS.
 * Certificates come from tests/unit/mkcerts (openssl, at run time).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/psa_util.h"
#include "tlsconn.h"

#define WND 4096 /* the fake window: what the peer may have unacknowledged */
#define WIRE_MAX (1 << 20)

/* ---- fake lwIP: pbufs and the few TCP calls tlsconn makes ---- */

static struct tcp_pcb pcb;
static size_t recved_total, sndbuf_limit;
static unsigned char s2c[WIRE_MAX];
static size_t s2c_len, s2c_off;

struct pbuf *pbuf_alloc(pbuf_layer l, u16_t len, pbuf_type type)
{
	struct pbuf *p = calloc(1, sizeof(*p) + len);

	(void)l;
	(void)type;
	ck_assert_ptr_nonnull(p);
	p->payload = p + 1;
	p->len = p->tot_len = len;
	p->ref = 1;
	return p;
}

u8_t pbuf_free(struct pbuf *p)
{
	u8_t n = 0;

	while (p) {
		struct pbuf *next = p->next;

		free(p);
		p = next;
		n++;
	}
	return n;
}

void pbuf_cat(struct pbuf *h, struct pbuf *t)
{
	struct pbuf *p = h;

	for (; p->next; p = p->next)
		p->tot_len = (u16_t)(p->tot_len + t->tot_len);
	p->tot_len = (u16_t)(p->tot_len + t->tot_len);
	p->next = t;
}

u16_t pbuf_clen(const struct pbuf *p)
{
	u16_t n = 0;

	for (; p; p = p->next)
		n++;
	return n;
}

u16_t pbuf_copy_partial(const struct pbuf *p, void *buf, u16_t len, u16_t off)
{
	u16_t done = 0;

	for (; p && done < len; p = p->next) {
		u16_t n;

		if (off >= p->len) {
			off = (u16_t)(off - p->len);
			continue;
		}
		n = (u16_t)(p->len - off < len - done ? p->len - off : len - done);
		memcpy((char *)buf + done, (char *)p->payload + off, n);
		done = (u16_t)(done + n);
		off = 0;
	}
	return done;
}

struct pbuf *pbuf_free_header(struct pbuf *q, u16_t size)
{
	while (q && size >= q->len) {
		struct pbuf *next = q->next;

		size = (u16_t)(size - q->len);
		free(q);
		q = next;
	}
	if (q && size) {
		q->payload = (char *)q->payload + size;
		q->len = (u16_t)(q->len - size);
		q->tot_len = (u16_t)(q->tot_len - size);
	}
	return q;
}

err_t tcp_write(struct tcp_pcb *p, const void *data, u16_t len, u8_t flags)
{
	ck_assert_ptr_eq(p, &pcb);
	ck_assert(flags & TCP_WRITE_FLAG_COPY); /* mbedTLS's buffer is reused at once */
	ck_assert_uint_le(len, p->snd_buf);	/* never beyond what lwIP said it has */
	ck_assert_uint_le(s2c_len + len, WIRE_MAX);
	memcpy(s2c + s2c_len, data, len);
	s2c_len += len;
	p->snd_buf = (tcpwnd_size_t)(p->snd_buf - len);
	return ERR_OK;
}

err_t tcp_output(struct tcp_pcb *p)
{
	ck_assert_ptr_eq(p, &pcb);
	return ERR_OK;
}

void tcp_recved(struct tcp_pcb *p, u16_t len)
{
	ck_assert_ptr_eq(p, &pcb);
	recved_total += len;
}

/* ---- the client: a plain mbedTLS client on the other end of the fake wire ---- */

static unsigned char c2s[WIRE_MAX];
static size_t c2s_len, c2s_off;

static int cli_send(void *ctx, const unsigned char *buf, size_t len)
{
	(void)ctx;
	ck_assert_uint_le(c2s_len + len, WIRE_MAX);
	memcpy(c2s + c2s_len, buf, len);
	c2s_len += len;
	return (int)len;
}

/* One byte at a time: every record and header boundary is split. */
static int cli_recv(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	if (s2c_off == s2c_len || !len)
		return MBEDTLS_ERR_SSL_WANT_READ;
	buf[0] = s2c[s2c_off++];
	pcb.snd_buf++; /* the client read it: the server's send buffer drains */
	if (pcb.snd_buf > sndbuf_limit)
		pcb.snd_buf = (tcpwnd_size_t)sndbuf_limit;
	return 1;
}

/*
 * Deliver the client's bytes to the server one segment of one byte each,
 * as far as the window allows (held but not acknowledged < WND), and
 * check the acknowledgement accounting.
 */
static void deliver(struct tlsconn *c)
{
	while (c2s_off < c2s_len && c2s_off - recved_total < WND) {
		struct pbuf *p = pbuf_alloc(PBUF_RAW, 1, PBUF_RAM);

		*(unsigned char *)p->payload = c2s[c2s_off];
		if (tlsconn_rx(c, p) == ERR_MEM) {
			/* lwIP keeps a refused segment: it is not ours to free. */
			ck_assert_uint_eq(pbuf_clen(c->rx), TLSCONN_RX_PBUFS_MAX);
			pbuf_free(p);
			break;
		}
		c2s_off++;
	}
	/* Acknowledged = read by mbedTLS = delivered minus what is still held. */
	ck_assert_uint_eq(recved_total, c2s_off - tlsconn_rx_held(c));
	ck_assert_uint_le(tlsconn_rx_held(c), WND);
}

static char certdir[] = "/tmp/test_tlsconn.XXXXXX";
static mbedtls_x509_crt crt;
static mbedtls_pk_context key;

/* Setup outside any test: a failure ends the program with a message. */
static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "test_tlsconn: %s\n", what);
		exit(1);
	}
}

static size_t slurp(const char *name, unsigned char *buf, size_t cap)
{
	char path[300];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", certdir, name);
	f = fopen(path, "rb");
	need(f != NULL, "cannot open a certificate made by mkcerts");
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0; /* PEM: mbedTLS wants the NUL counted */
	return n + 1;
}

static void load_certs(void)
{
	static unsigned char pem[16384];
	char cmd[512];
	size_t n;

	need(mkdtemp(certdir) != NULL, "mkdtemp");
	snprintf(cmd, sizeof(cmd), "sh %s %s", MKCERTS, certdir);
	need(system(cmd) == 0, "mkcerts failed");
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	n = slurp("ec.pem", pem, sizeof(pem));
	need(mbedtls_x509_crt_parse(&crt, pem, n) == 0, "ec.pem does not parse");
	n = slurp("ec.key", pem, sizeof(pem));
	need(mbedtls_pk_parse_key(&key, pem, n, NULL, 0, mbedtls_psa_get_random,
				  MBEDTLS_PSA_RANDOM_STATE) == 0,
	     "ec.key does not parse");
	memset(pem, 0, sizeof(pem));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", certdir);
	need(system(cmd) == 0, "rm");
}

static void run(mbedtls_ssl_protocol_version v, size_t sndbuf)
{
	mbedtls_ssl_config scf, ccf;
	mbedtls_ssl_context cli;
	struct tlsconn srv;
	static unsigned char up[100000], down[100000], got[100000];
	size_t up_got = 0, down_sent = 0, down_got = 0, up_sent = 0;
	int i, ret;

	for (size_t k = 0; k < sizeof(up); k++) {
		up[k] = (unsigned char)(k * 7 + 1);
		down[k] = (unsigned char)(k * 13 + 5);
	}
	memset(&pcb, 0, sizeof(pcb));
	pcb.snd_buf = (tcpwnd_size_t)sndbuf;
	sndbuf_limit = sndbuf;
	recved_total = s2c_len = s2c_off = c2s_len = c2s_off = 0;

	mbedtls_ssl_config_init(&scf);
	ck_assert_int_eq(mbedtls_ssl_config_defaults(&scf, MBEDTLS_SSL_IS_SERVER,
						     MBEDTLS_SSL_TRANSPORT_STREAM,
						     MBEDTLS_SSL_PRESET_DEFAULT),
			 0);
	mbedtls_ssl_conf_rng(&scf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	ck_assert_int_eq(mbedtls_ssl_conf_own_cert(&scf, &crt, &key), 0);
	mbedtls_ssl_conf_min_tls_version(&scf, v);
	mbedtls_ssl_conf_max_tls_version(&scf, v);
	ck_assert_int_eq(tlsconn_init(&srv, &pcb, &scf), 0);

	mbedtls_ssl_config_init(&ccf);
	ck_assert_int_eq(mbedtls_ssl_config_defaults(&ccf, MBEDTLS_SSL_IS_CLIENT,
						     MBEDTLS_SSL_TRANSPORT_STREAM,
						     MBEDTLS_SSL_PRESET_DEFAULT),
			 0);
	mbedtls_ssl_conf_rng(&ccf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_authmode(&ccf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_min_tls_version(&ccf, v);
	mbedtls_ssl_conf_max_tls_version(&ccf, v);
	mbedtls_ssl_init(&cli);
	ck_assert_int_eq(mbedtls_ssl_setup(&cli, &ccf), 0);
	mbedtls_ssl_set_bio(&cli, NULL, cli_send, cli_recv, NULL);

	/* Handshake: both sides step until done, bytes trickling one by one. */
	for (i = 0; i < 2000000; i++) {
		int c = mbedtls_ssl_handshake(&cli), s;

		deliver(&srv);
		s = mbedtls_ssl_handshake(&srv.ssl);
		ck_assert(c == 0 || c == MBEDTLS_ERR_SSL_WANT_READ ||
			  c == MBEDTLS_ERR_SSL_WANT_WRITE);
		ck_assert(s == 0 || s == MBEDTLS_ERR_SSL_WANT_READ ||
			  s == MBEDTLS_ERR_SSL_WANT_WRITE);
		if (c == 0 && s == 0)
			break;
	}
	ck_assert_int_lt(i, 2000000);
	ck_assert_int_eq(mbedtls_ssl_get_version_number(&srv.ssl), v);

	/* Data both ways; the server reads only into a small buffer, writes in chunks. */
	for (i = 0; i < 20000000 && (up_got < sizeof(up) || down_got < sizeof(down)); i++) {
		unsigned char buf[700];

		if (up_sent < sizeof(up)) {
			ret = mbedtls_ssl_write(&cli, up + up_sent, sizeof(up) - up_sent);
			if (ret > 0)
				up_sent += (size_t)ret;
		}
		deliver(&srv);
		ret = mbedtls_ssl_read(&srv.ssl, buf, sizeof(buf));
		if (ret > 0) {
			ck_assert_int_eq(memcmp(buf, up + up_got, (size_t)ret), 0);
			up_got += (size_t)ret;
		} else {
			ck_assert(ret == MBEDTLS_ERR_SSL_WANT_READ ||
				  ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
				  ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET);
		}
		if (down_sent < sizeof(down)) {
			size_t n =
				sizeof(down) - down_sent > 5000 ? 5000 : sizeof(down) - down_sent;

			ret = mbedtls_ssl_write(&srv.ssl, down + down_sent, n);
			ck_assert(ret > 0 || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
			if (ret > 0)
				down_sent += (size_t)ret;
		}
		ret = mbedtls_ssl_read(&cli, got, 1000);
		if (ret > 0) {
			ck_assert_int_eq(memcmp(got, down + down_got, (size_t)ret), 0);
			down_got += (size_t)ret;
		}
	}
	ck_assert_uint_eq(up_got, sizeof(up));
	ck_assert_uint_eq(down_got, sizeof(down));
	ck_assert(!tlsconn_out_pending(&srv));

	/* The peer's FIN: mbedTLS sees EOF once everything held was read. */
	ck_assert_int_eq(tlsconn_rx(&srv, NULL), ERR_OK);
	deliver(&srv);
	ret = mbedtls_ssl_read(&srv.ssl, got, sizeof(got));
	ck_assert(ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == 0);
	/* lwIP freed the pcb: writes report a reset, not a retry. */
	tlsconn_detach(&srv);
	ck_assert_int_eq(tlsconn_bio_send(&srv, (const unsigned char *)"x", 1),
			 MBEDTLS_ERR_NET_CONN_RESET);

	mbedtls_ssl_free(&cli);
	mbedtls_ssl_config_free(&ccf);
	tlsconn_free(&srv);
	mbedtls_ssl_config_free(&scf);
}

START_TEST(tls13_bytewise)
{
	run(MBEDTLS_SSL_VERSION_TLS1_3, 300);
}
END_TEST

START_TEST(tls12_bytewise)
{
	run(MBEDTLS_SSL_VERSION_TLS1_2, 1);
}
END_TEST

/* The pbuf bound: one-byte segments stop at TLSCONN_RX_PBUFS_MAX. */
START_TEST(rx_pbuf_limit)
{
	struct tlsconn c;
	unsigned char buf[8];
	unsigned int i;

	memset(&c, 0, sizeof(c));
	memset(&pcb, 0, sizeof(pcb));
	c.pcb = &pcb;
	recved_total = 0;
	for (i = 0; i < TLSCONN_RX_PBUFS_MAX; i++)
		ck_assert_int_eq(tlsconn_rx(&c, pbuf_alloc(PBUF_RAW, 1, PBUF_RAM)), ERR_OK);
	struct pbuf *extra = pbuf_alloc(PBUF_RAW, 1, PBUF_RAM);
	ck_assert_int_eq(tlsconn_rx(&c, extra), ERR_MEM);
	pbuf_free(extra);
	ck_assert_int_eq(tlsconn_bio_recv(&c, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert_uint_eq(recved_total, sizeof(buf));
	ck_assert_uint_eq(tlsconn_rx_held(&c), TLSCONN_RX_PBUFS_MAX - sizeof(buf));
	/* Nothing to send into: a full send buffer is a retry, not an error. */
	ck_assert_int_eq(tlsconn_bio_send(&c, buf, 1), MBEDTLS_ERR_SSL_WANT_WRITE);
	pbuf_free(c.rx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlsconn");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	need(psa_crypto_init() == PSA_SUCCESS, "psa_crypto_init");
	load_certs();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tls13_bytewise);
	tcase_add_test(tc, tls12_bytewise);
	tcase_add_test(tc, rx_pbuf_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mbedtls_x509_crt_free(&crt);
	mbedtls_pk_free(&key);
	return failed ? 1 : 0;
}
