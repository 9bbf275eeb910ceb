// SPDX-License-Identifier: BSD-2-Clause
/*
 * tlsprobe: a small TLS 1.3 client for the TLS terminator's Xen rig test
 * (tests/xen/tls.test). The rig's dom0 has no TLS 1.3 client (busybox's
 * wget and ssl_client speak TLS 1.2 only, there is no openssl), so this
 * one is built on the host from the pinned mbedTLS with the project's
 * configuration (tls/mbedtls_config.h: its host branch adds the client
 * side) and linked statically, so that it runs in dom0 as it is.
 *
 *   tlsprobe [-n SNI] [-a ALPN,...] [-s FILE] [-r FILE] [-W PATH]
 *            [-d MS] [-t SECONDS] ADDR PORT
 *
 * It connects, completes a TLS 1.3 handshake (nothing older is offered),
 * and prints one line:
 *
 *   version=TLSv1.3 cipher=NAME alpn=PROTO|- subject=SUBJECT
 *
 * (SUBJECT as mbedTLS writes a distinguished name: "CN=a.test, O=gen1").
 * Then, with -s, it sends FILE in 16 KiB records (-d: a pause of MS
 * milliseconds after each; -W: after the first half, wait until PATH
 * exists, so that a test can act while the transfer is half done), sends
 * close_notify, and reads until the server closes; with -r what it reads
 * goes to FILE. The server's certificate is not verified: the test
 * compares the subject it prints.
 *
 * Exit status: 0 done, 1 usage or local error, 2 connect failed,
 * 3 handshake failed, 4 transfer failed, 5 timeout (-t, default 60 s,
 * bounds the whole run).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/ssl.h"
#include "psa/crypto.h"

#define CHUNK 16384

static int sock_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
	return (int)n;
}

static int sock_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);

	if (n < 0)
		return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
	return (int)n;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "tlsprobe: timeout\n";

	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to report it to */
	}
	_exit(5);
}

static int fail(int code, const char *what, int err)
{
	char buf[160];

	mbedtls_strerror(err, buf, sizeof(buf));
	fprintf(stderr, "tlsprobe: %s: %s (-0x%04x)\n", what, buf, (unsigned int)-err);
	return code;
}

static int connect_to(const char *addr, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd;

	sa.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "tlsprobe: %s: not an IPv4 address\n", addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "tlsprobe: connect %s:%s: %s\n", addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void wait_for(const char *path)
{
	struct stat st;
	const struct timespec tick = {0, 50 * 1000 * 1000};

	while (stat(path, &st) < 0)
		nanosleep(&tick, NULL);
}

/* Send @path in CHUNK records; -W's wait at the half. 0 or an exit code. */
static int send_file(mbedtls_ssl_context *ssl, const char *path, const char *gate, long pause_ms)
{
	static unsigned char buf[CHUNK];
	const struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
	FILE *f = fopen(path, "rb");
	struct stat st;
	off_t sent = 0;
	bool gated = gate == NULL;
	size_t n;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "tlsprobe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (size_t off = 0; off < n;) {
			int r = mbedtls_ssl_write(ssl, buf + off, n - off);

			if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ)
				continue;
			if (r < 0) {
				fclose(f);
				return fail(4, "write", r);
			}
			off += (size_t)r;
		}
		sent += (off_t)n;
		if (pause_ms > 0)
			nanosleep(&pause, NULL);
		if (!gated && sent >= st.st_size / 2) {
			wait_for(gate);
			gated = true;
		}
	}
	fclose(f);
	return 0;
}

/* Read until the server's close_notify or EOF, into @path when given. */
static int recv_all(mbedtls_ssl_context *ssl, const char *path)
{
	static unsigned char buf[CHUNK];
	FILE *f = path ? fopen(path, "wb") : NULL;
	int r;

	if (path && !f) {
		fprintf(stderr, "tlsprobe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		r = mbedtls_ssl_read(ssl, buf, sizeof(buf));
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			break;
		if (r < 0) {
			if (f)
				fclose(f);
			return fail(4, "read", r);
		}
		if (f && fwrite(buf, 1, (size_t)r, f) != (size_t)r) {
			fclose(f);
			fprintf(stderr, "tlsprobe: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	if (f && fclose(f) != 0) {
		fprintf(stderr, "tlsprobe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

static void print_session(const mbedtls_ssl_context *ssl)
{
	const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(ssl);
	const char *alpn = mbedtls_ssl_get_alpn_protocol(ssl);
	char subject[512] = "-";

	if (peer)
		mbedtls_x509_dn_gets(subject, sizeof(subject), &peer->subject);
	printf("version=%s cipher=%s alpn=%s subject=%s\n", mbedtls_ssl_get_version(ssl),
	       mbedtls_ssl_get_ciphersuite(ssl), alpn ? alpn : "-", subject);
	fflush(stdout);
}

struct opts {
	const char *sni, *send, *recv, *gate;
	const char *alpn[8];
	long pause_ms, timeout;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static char alpn_buf[256];
	int c, n = 0;

	while ((c = getopt(argc, argv, "n:a:s:r:W:d:t:")) != -1) {
		switch (c) {
		case 'n':
			o->sni = optarg;
			break;
		case 's':
			o->send = optarg;
			break;
		case 'r':
			o->recv = optarg;
			break;
		case 'W':
			o->gate = optarg;
			break;
		case 'd':
			o->pause_ms = atol(optarg);
			break;
		case 't':
			o->timeout = atol(optarg);
			break;
		case 'a':
			snprintf(alpn_buf, sizeof(alpn_buf), "%s", optarg);
			for (char *s = strtok(alpn_buf, ","); s && n < 7; s = strtok(NULL, ","))
				o->alpn[n++] = s;
			o->alpn[n] = NULL;
			break;
		default:
			return -1;
		}
	}
	return argc - optind == 2 && o->pause_ms >= 0 && o->timeout > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o = {.timeout = 60};
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	int fd, r, rc = 0;

	if (parse_opts(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: tlsprobe [-n SNI] [-a ALPN,...] [-s FILE] [-r FILE] "
				"[-W PATH] [-d MS] [-t SECONDS] ADDR PORT\n");
		return 1;
	}
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)o.timeout);
	if (psa_crypto_init() != PSA_SUCCESS)
		return 1;
	fd = connect_to(argv[optind], argv[optind + 1]);
	if (fd < 0)
		return 2;
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	r = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT);
	if (r == 0) {
		/* The test compares the subject; the chain is not what it checks. */
		mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
		mbedtls_ssl_conf_rng(&conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
		mbedtls_ssl_conf_min_tls_version(&conf, MBEDTLS_SSL_VERSION_TLS1_3);
		mbedtls_ssl_conf_max_tls_version(&conf, MBEDTLS_SSL_VERSION_TLS1_3);
		if (o.alpn[0])
			r = mbedtls_ssl_conf_alpn_protocols(&conf, o.alpn);
	}
	if (r == 0)
		r = mbedtls_ssl_setup(&ssl, &conf);
	if (r == 0 && o.sni)
		r = mbedtls_ssl_set_hostname(&ssl, o.sni);
	if (r != 0)
		return fail(1, "setup", r);
	mbedtls_ssl_set_bio(&ssl, &fd, sock_send, sock_recv, NULL);
	while ((r = mbedtls_ssl_handshake(&ssl)) != 0)
		if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
			return fail(3, "handshake", r);
	print_session(&ssl);
	if (o.send)
		rc = send_file(&ssl, o.send, o.gate, o.pause_ms);
	if (rc == 0 && (o.send || o.recv)) {
		/* close_notify ends the client's direction: the terminator closes
		 * its backend connection's sending side, the backend answers by
		 * closing, and the terminator passes that on. */
		if (o.send)
			mbedtls_ssl_close_notify(&ssl);
		rc = recv_all(&ssl, o.recv);
	} else if (rc == 0) {
		mbedtls_ssl_close_notify(&ssl);
	}
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	close(fd);
	return rc;
}
