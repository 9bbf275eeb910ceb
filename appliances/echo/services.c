/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCP/UDP echo and HTTP on lwIP's raw API.
 *
 * TCP echo flow control: received data stays in lwIP's pbufs until
 * tcp_write() has copied it into the send queue, and only then is the
 * receive window reopened (tcp_recved) by that many bytes. A client that
 * sends without reading thus fills our window and stops, instead of
 * growing our memory: per connection we hold at most one window of data.
 * Every peer is untrusted; each connection has bounded state, an idle
 * timeout, and the number of connections is capped.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "echo.h"
#include "lwip/ip.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "sluice/kernel.h"
#include "sluice/net.h"

#define POLL_TICKS 4	   /* tcp_poll interval, in 500 ms ticks: every 2 s */
#define ECHO_IDLE_POLLS 60 /* 2 minutes without progress: abort */
/* 10 s from accept to the response, however slowly the request drips in. */
#define HTTP_DEADLINE_POLLS 5
/* Pbufs queued unsent per connection before we refuse more (tiny segments). */
#define ECHO_PENDING_PBUFS_MAX 64
#define HTTP_RESP_MAX 4096

struct echo_stats echo_stats;

struct echo_conn {
	struct tcp_pcb *pcb;
	struct pbuf *pending; /* received, not yet queued for sending */
	bool eof;	      /* the peer has closed its side */
	bool closing;	      /* tcp_close ran out of memory: retry from poll */
	unsigned int idle;    /* polls without progress */
	struct echo_conn *next_free;
};

struct http_conn {
	struct tcp_pcb *pcb;
	unsigned int polls; /* since accept */
	bool responded, closing;
	uint16_t req_len, resp_len, resp_off;
	char req[ECHO_HTTP_REQ_MAX + 1];
	char resp[HTTP_RESP_MAX];
	struct http_conn *next_free;
};

static struct echo_conn echo_conns[ECHO_TCP_MAX], *echo_free;
static struct http_conn http_conns[ECHO_HTTP_MAX], *http_free;

/* ------------------------------------------------------------ TCP echo */

static void echo_release(struct echo_conn *c)
{
	if (c->pending)
		pbuf_free(c->pending);
	memset(c, 0, sizeof(*c));
	c->next_free = echo_free;
	echo_free = c;
	echo_stats.tcp_active--;
}

static void detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

static void echo_close(struct echo_conn *c)
{
	if (tcp_close(c->pcb) != ERR_OK) {
		c->closing = true; /* no memory for the FIN now: poll retries */
		return;
	}
	detach(c->pcb);
	echo_release(c);
}

/* Move pending data into the send queue, as far as the send buffer allows. */
static void echo_flush(struct echo_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;
	bool wrote = false;

	while (c->pending) {
		struct pbuf *q = c->pending;
		u16_t n;
		err_t err;

		if (q->tot_len == 0) {
			pbuf_free(q);
			c->pending = NULL;
			break;
		}
		while (q->len == 0) /* lwIP leaves emptied pbufs at the head of trimmed segments */
			q = q->next;
		n = (u16_t)MIN(q->len, tcp_sndbuf(pcb));
		if (n == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN)
			break;
		err = tcp_write(pcb, q->payload, n,
				TCP_WRITE_FLAG_COPY |
					(c->pending->tot_len > n ? TCP_WRITE_FLAG_MORE : 0));
		if (err != ERR_OK)
			break; /* ERR_MEM: lwIP's memory is full; sent or poll will retry */
		/* Frees emptied head pbufs too, then n bytes. */
		c->pending = pbuf_free_header(c->pending, n);
		tcp_recved(pcb, n);
		echo_stats.tcp_bytes += n;
		wrote = true;
	}
	if (wrote)
		tcp_output(pcb);
	if (c->eof && !c->pending)
		echo_close(c);
}

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct echo_conn *c = arg;

	(void)pcb;
	if (!p) {
		c->eof = true;
		echo_flush(c);
		return ERR_OK;
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return err;
	}
	/*
	 * Refusing leaves @p with lwIP, which offers it again later and drops
	 * new segments meanwhile: this bounds the pbufs a peer sending tiny
	 * segments can make us hold, where the window only bounds bytes.
	 */
	if (c->pending && pbuf_clen(c->pending) >= ECHO_PENDING_PBUFS_MAX)
		return ERR_MEM;
	c->idle = 0;
	if (c->pending)
		pbuf_cat(c->pending, p);
	else
		c->pending = p;
	echo_flush(c);
	return ERR_OK;
}

static err_t echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct echo_conn *c = arg;

	(void)pcb;
	(void)len;
	c->idle = 0;
	echo_flush(c);
	return ERR_OK;
}

static void echo_err(void *arg, err_t err)
{
	struct echo_conn *c = arg;

	(void)err;
	/* lwIP has freed the pcb already (reset, or out of retransmissions). */
	if (c)
		echo_release(c);
}

static err_t echo_poll(void *arg, struct tcp_pcb *pcb)
{
	struct echo_conn *c = arg;

	if (++c->idle > ECHO_IDLE_POLLS) { /* also when a close keeps failing */
		echo_stats.tcp_timeouts++;
		detach(pcb);
		echo_release(c);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	if (c->closing)
		echo_close(c);
	else
		echo_flush(c);
	return ERR_OK;
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct echo_conn *c = echo_free;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (!c) {
		echo_stats.tcp_refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	echo_free = c->next_free;
	memset(c, 0, sizeof(*c));
	c->pcb = pcb;
	echo_stats.tcp_accepted++;
	echo_stats.tcp_active++;
	/* Echo small writes at once: Nagle would hold them for our own ACK. */
	tcp_nagle_disable(pcb);
	tcp_arg(pcb, c);
	tcp_recv(pcb, echo_recv);
	tcp_sent(pcb, echo_sent);
	tcp_err(pcb, echo_err);
	tcp_poll(pcb, echo_poll, POLL_TICKS);
	return ERR_OK;
}

/* ------------------------------------------------------------ UDP echo */

static void udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			  u16_t port)
{
	const ip_addr_t *dst = ip_current_dest_addr();

	(void)arg;
	/*
	 * Answer unicast only, and never to a privileged port: two echo (or
	 * chargen) services aimed at each other by a spoofed datagram would
	 * bounce it forever, and a broadcast would multiply it.
	 */
	if (port < 1024 || ip_addr_ismulticast(dst) ||
	    ip_addr_isbroadcast(dst, ip_current_input_netif())) {
		echo_stats.udp_ignored++;
		pbuf_free(p);
		return;
	}
	echo_stats.udp_datagrams++;
	echo_stats.udp_bytes += p->tot_len;
	/* From the address the datagram was sent to, through the NIC it came in on. */
	udp_sendto_if_src(pcb, p, addr, port, ip_current_input_netif(), dst);
	pbuf_free(p);
}

/* ---------------------------------------------------------------- HTTP */

static void http_release(struct http_conn *c)
{
	c->pcb = NULL;
	c->next_free = http_free;
	http_free = c;
}

static void http_close(struct http_conn *c)
{
	if (tcp_close(c->pcb) != ERR_OK) {
		c->closing = true;
		return;
	}
	detach(c->pcb);
	http_release(c);
}

/* Queue as much of the response as fits; close once it is all queued. */
static void http_send(struct http_conn *c)
{
	u16_t n = (u16_t)MIN((u16_t)(c->resp_len - c->resp_off), tcp_sndbuf(c->pcb));

	if (n && tcp_write(c->pcb, c->resp + c->resp_off, n, TCP_WRITE_FLAG_COPY) == ERR_OK) {
		c->resp_off = (u16_t)(c->resp_off + n);
		tcp_output(c->pcb);
	}
	/* Connection: close -- lwIP sends the FIN after the queued data. */
	if (c->resp_off == c->resp_len)
		http_close(c);
}

static void http_respond(struct http_conn *c, int status, const char *reason, const char *body,
			 size_t body_len, bool head_only)
{
	int n = snprintf(c->resp, sizeof(c->resp),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, reason, body_len);

	n = MIN(n, (int)sizeof(c->resp));
	if (!head_only) {
		body_len = MIN(body_len, sizeof(c->resp) - (size_t)n);
		memcpy(c->resp + n, body, body_len);
		n += (int)body_len;
	}
	c->resp_len = (uint16_t)n;
	c->resp_off = 0;
	c->responded = true;
	if (status == 200)
		echo_stats.http_ok++;
	else if (status == 404)
		echo_stats.http_not_found++;
	else
		echo_stats.http_bad++;
	http_send(c);
}

/* Parse the request line of a complete head in c->req (NUL-terminated). */
static void http_handle(struct http_conn *c)
{
	char *line = c->req, *eol = strchr(line, '\n'), *method, *path, *version, *save;
	static char stats[HTTP_RESP_MAX];
	bool head;

	echo_stats.http_requests++;
	*eol = '\0';
	if (eol > line && eol[-1] == '\r')
		eol[-1] = '\0';
	method = strtok_r(line, " ", &save);
	path = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, " ", &save);
	if (!method || !path || !version || strtok_r(NULL, " ", &save) ||
	    (strcmp(version, "HTTP/1.0") != 0 && strcmp(version, "HTTP/1.1") != 0)) {
		http_respond(c, 400, "Bad Request", "bad request\n", 12, false);
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		http_respond(c, 405, "Method Not Allowed", "method not allowed\n", 19, false);
		return;
	}
	path[strcspn(path, "?#")] = '\0'; /* the query does not select the resource */
	if (strcmp(path, "/") == 0)
		http_respond(c, 200, "OK", ECHO_HTTP_BODY, sizeof(ECHO_HTTP_BODY) - 1, head);
	else if (strcmp(path, "/stats") == 0)
		http_respond(c, 200, "OK", stats, echo_format_stats(stats, sizeof(stats) - 256),
			     head);
	else
		http_respond(c, 404, "Not Found", "not found\n", 10, head);
}

/* Append @p to the request; answer once the head is complete (or too big). */
static void http_take(struct http_conn *c, struct pbuf *p)
{
	u16_t room = (u16_t)(ECHO_HTTP_REQ_MAX - c->req_len);

	if (p->tot_len > room) {
		http_respond(c, 400, "Bad Request", "request too large\n", 18, false);
		return;
	}
	pbuf_copy_partial(p, c->req + c->req_len, p->tot_len, 0);
	c->req_len = (uint16_t)(c->req_len + p->tot_len);
	c->req[c->req_len] = '\0';
	/* A NUL byte is not HTTP, and would hide the rest from the string functions. */
	if (strlen(c->req) != c->req_len)
		http_respond(c, 400, "Bad Request", "bad request\n", 12, false);
	else if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		http_handle(c);
}

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct http_conn *c = arg;

	if (!p) {
		if (!c->responded)
			http_close(c); /* closed before a complete request */
		return ERR_OK;
	}
	/* Take every byte, even those we ignore: closing with unread data sends a RST. */
	tcp_recved(pcb, p->tot_len);
	if (err == ERR_OK && !c->responded)
		http_take(c, p);
	pbuf_free(p);
	return ERR_OK;
}

static err_t http_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct http_conn *c = arg;

	(void)pcb;
	(void)len;
	if (c->responded && !c->closing)
		http_send(c);
	return ERR_OK;
}

static void http_err(void *arg, err_t err)
{
	(void)err;
	if (arg)
		http_release(arg);
}

static err_t http_poll(void *arg, struct tcp_pcb *pcb)
{
	struct http_conn *c = arg;

	if (++c->polls > HTTP_DEADLINE_POLLS) {
		detach(pcb);
		http_release(c);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	if (c->closing)
		http_close(c);
	else if (c->responded)
		http_send(c);
	return ERR_OK;
}

static err_t http_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct http_conn *c = http_free;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (!c) {
		echo_stats.http_refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	http_free = c->next_free;
	c->pcb = pcb;
	c->polls = 0;
	c->responded = c->closing = false;
	c->req_len = c->resp_len = c->resp_off = 0;
	tcp_arg(pcb, c);
	tcp_recv(pcb, http_recv);
	tcp_sent(pcb, http_sent);
	tcp_err(pcb, http_err);
	tcp_poll(pcb, http_poll, POLL_TICKS);
	return ERR_OK;
}

/* -------------------------------------------------------------- set-up */

size_t echo_format_stats(char *buf, size_t len)
{
	size_t pos = net_format_stats(buf, len);
	const struct echo_stats *s = &echo_stats;

	if (pos + 1 < len)
		pos += (size_t)snprintf(
			buf + pos, len - pos,
			"tcp_echo accepted %llu refused %llu active %llu bytes %llu timeouts %llu\n"
			"udp_echo datagrams %llu bytes %llu ignored %llu\n"
			"http requests %llu ok %llu bad %llu not_found %llu refused %llu\n",
			(unsigned long long)s->tcp_accepted, (unsigned long long)s->tcp_refused,
			(unsigned long long)s->tcp_active, (unsigned long long)s->tcp_bytes,
			(unsigned long long)s->tcp_timeouts, (unsigned long long)s->udp_datagrams,
			(unsigned long long)s->udp_bytes, (unsigned long long)s->udp_ignored,
			(unsigned long long)s->http_requests, (unsigned long long)s->http_ok,
			(unsigned long long)s->http_bad, (unsigned long long)s->http_not_found,
			(unsigned long long)s->http_refused);
	return MIN(pos, len ? len - 1 : 0);
}

static int listen_tcp(u16_t port, u8_t backlog, tcp_accept_fn fn)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY), *lpcb;

	if (!pcb)
		return -ENOMEM;
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_close(pcb);
		return -EADDRINUSE;
	}
	lpcb = tcp_listen_with_backlog(pcb, backlog);
	if (!lpcb) {
		tcp_close(pcb);
		return -ENOMEM;
	}
	tcp_accept(lpcb, fn);
	return 0;
}

int echo_services_start(void)
{
	struct udp_pcb *udp;
	int rc;

	for (unsigned int i = 0; i < ECHO_TCP_MAX; i++) {
		echo_conns[i].next_free = echo_free;
		echo_free = &echo_conns[i];
	}
	for (unsigned int i = 0; i < ECHO_HTTP_MAX; i++)
		http_release(&http_conns[i]);
	rc = listen_tcp(ECHO_PORT, 64, echo_accept);
	if (rc == 0)
		rc = listen_tcp(HTTP_PORT, 16, http_accept);
	if (rc < 0)
		return rc;
	udp = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!udp)
		return -ENOMEM;
	if (udp_bind(udp, IP_ANY_TYPE, ECHO_PORT) != ERR_OK) {
		udp_remove(udp);
		return -EADDRINUSE;
	}
	udp_recv(udp, udp_echo_recv, NULL);
	net_kick();
	return 0;
}
