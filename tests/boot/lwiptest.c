/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-guest test of the network stack without NIC drivers: two fake NICs
 * wired back to back ("the wire" below), net0 the client side and net1
 * the server side running the echo appliance's services, both in the one
 * lwIP instance. Client PCBs are bound to net0's addresses so that the
 * source-routing hooks send them out of net0, across the wire, into net1.
 *
 * The wire is in lwiptest_wire.c.
 *
 * Phases: ping (v4, v6), UDP echo (incl. fragmented datagrams), TCP echo
 * of 1 MiB, 10 concurrent connections (v4 and v6, one reading slowly), a
 * lossy wire, blank checksums, HTTP. Prints "lwiptest: N passed, 0 failed"
 * and exits 0, or stops at the first failure with status 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "echo.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwiptest.h"
#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/netdev.h"
#include "sluice/random.h"

#define PHASE_TIMEOUT_NS (60ull * 1000 * 1000 * 1000)
#define BIG_BYTES (1024 * 1024)
#define MANY_CONNS 10
#define MANY_BYTES (64 * 1024)
#define HTTP_RESP_CAP 4500

/* ------------------------------------------------------------ the phases */

static void phase_next(struct work *w);
static struct work next_work = {.fn = phase_next};
static struct timer phase_timer;
static unsigned int phase, passed;
static uint64_t phase_start;
static bool failed;
static ip_addr_t client4, server4, client6, server6;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	char msg[200];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (failed)
		return;
	failed = true;
	printf("lwiptest: FAIL phase %u: %s\n", phase, msg);
	net_print_status();
	printf("lwiptest: %u passed, 1 failed\n", passed);
	evloop_stop(SLUICE_EXIT_FAILURE);
}

static void pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pass(const char *fmt, ...)
{
	va_list ap;
	char msg[200];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (failed)
		return;
	passed++;
	printf("lwiptest: PASS %s (%llu ms)\n", msg,
	       (unsigned long long)((now_ns() - phase_start) / 1000000));
	work_post(&next_work);
}

static void phase_timeout(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	fail("timed out");
}

/* The stream a TCP client sends: a function of (seed, offset), never stored. */
static uint8_t pattern(uint32_t seed, size_t i)
{
	uint32_t x = (uint32_t)(i >> 2) * 0x9e3779b1u + seed;

	x ^= x >> 15;
	x *= 0x85ebca77u;
	x ^= x >> 13;
	return (uint8_t)(x >> ((i & 3) * 8));
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* ------------------------------------------------------------------ ping */

#define PING_ID 0x5a17
static struct raw_pcb *ping_pcb;

static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	u8_t hdr[8], want = IP_IS_V6(addr) ? 129 : 0; /* echo reply */
	u16_t off = ip_current_header_tot_len();

	(void)arg;
	if (pbuf_copy_partial(p, hdr, sizeof(hdr), off) != sizeof(hdr) || hdr[0] != want ||
	    (hdr[4] << 8 | hdr[5]) != PING_ID)
		return 0; /* not ours (e.g. the request itself, seen by net1): lwIP goes on */
	pbuf_free(p);
	raw_remove(pcb);
	ping_pcb = NULL;
	pass("ping %s", IP_IS_V6(addr) ? "fd00::2" : "10.0.0.2");
	return 1;
}

static void ping(const ip_addr_t *from, const ip_addr_t *to)
{
	bool v6 = IP_IS_V6(to);
	struct pbuf *p = pbuf_alloc(PBUF_IP, 64, PBUF_RAM);
	u8_t *icmp = p ? p->payload : NULL;

	ping_pcb = raw_new_ip_type(v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4, v6 ? IP6_NEXTH_ICMP6 : 1);
	if (!p || !ping_pcb)
		return fail("out of memory");
	memset(icmp, 0xa5, 64);
	icmp[0] = v6 ? 128 : 8; /* echo request */
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	icmp[4] = PING_ID >> 8;
	icmp[5] = PING_ID & 0xff;
	icmp[6] = 0;
	icmp[7] = 1;
	if (v6) { /* the pcb fills ICMPv6's checksum, which covers a pseudo-header */
		ping_pcb->chksum_reqd = 1;
		ping_pcb->chksum_offset = 2;
	} else {
		u16_t sum = inet_chksum(icmp, 64);

		memcpy(icmp + 2, &sum, 2);
	}
	raw_bind(ping_pcb, from);
	raw_recv(ping_pcb, ping_recv, NULL);
	if (raw_sendto(ping_pcb, p, to) != ERR_OK)
		fail("raw_sendto failed");
	pbuf_free(p);
}

/* ------------------------------------------------------------------- UDP */

static const u16_t udp_sizes[] = {1, 512, 1472, 4000, 9000};
static struct udp_pcb *udp_client;
static unsigned int udp_got;

static void udp_fill(struct pbuf *p, unsigned int which)
{
	for (u16_t i = 0; i < p->tot_len; i++)
		pbuf_put_at(p, i, pattern(which, i));
}

static void udp_client_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			    u16_t port)
{
	unsigned int which = udp_got;

	(void)arg;
	(void)addr;
	if (port != ECHO_PORT || p->tot_len != udp_sizes[which]) {
		pbuf_free(p);
		return fail("UDP echo %u: %u bytes from port %u", which, p->tot_len, port);
	}
	for (u16_t i = 0; i < p->tot_len; i++) {
		if (pbuf_get_at(p, i) != pattern(which, i)) {
			pbuf_free(p);
			return fail("UDP echo %u: byte %u differs", which, i);
		}
	}
	pbuf_free(p);
	if (++udp_got < ARRAY_SIZE(udp_sizes)) {
		struct pbuf *q = pbuf_alloc(PBUF_TRANSPORT, udp_sizes[udp_got], PBUF_RAM);

		udp_fill(q, udp_got);
		udp_sendto(pcb, q, &server4, ECHO_PORT);
		pbuf_free(q);
		return;
	}
	udp_remove(pcb);
	pass("UDP echo of %u datagrams, 1..9000 bytes (fragmented)", udp_got);
}

static void udp_test(void)
{
	struct pbuf *q = pbuf_alloc(PBUF_TRANSPORT, udp_sizes[0], PBUF_RAM);

	udp_client = udp_new_ip_type(IPADDR_TYPE_V4);
	if (!udp_client || !q)
		return fail("out of memory");
	udp_bind(udp_client, &client4, 0);
	udp_recv(udp_client, udp_client_recv, NULL);
	udp_fill(q, 0);
	udp_sendto(udp_client, q, &server4, ECHO_PORT);
	pbuf_free(q);
}

/* ------------------------------------------------------------------- TCP */

struct tclient {
	struct tcp_pcb *pcb;
	uint32_t seed;
	size_t total, sent, rcvd, held;
	bool slow, shut, http;
	const char *req;
	size_t req_len, resp_len;
	char resp[HTTP_RESP_CAP];
};

static struct tclient clients[MANY_CONNS];
static unsigned int clients_left, clients_total;
static struct timer slow_timer;
static void http_check(struct tclient *c);

static void tc_send(struct tclient *c)
{
	u8_t buf[3000];

	while (c->sent < c->total) {
		size_t n = 1 + rng() % sizeof(buf); /* not inside MIN(): it evaluates twice */

		n = MIN(n, c->total - c->sent);

		n = MIN(n, (size_t)tcp_sndbuf(c->pcb));
		if (n == 0 || tcp_sndqueuelen(c->pcb) + 4 >= TCP_SND_QUEUELEN)
			break;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(c->seed, c->sent + i);
		if (tcp_write(c->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		c->sent += n;
	}
	/* All sent: half-close; the echo server must then finish and close too. */
	if (c->sent == c->total && !c->shut && tcp_shutdown(c->pcb, 0, 1) == ERR_OK)
		c->shut = true;
	tcp_output(c->pcb);
}

static void tc_finish(struct tclient *c)
{
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_sent(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
	if (tcp_close(c->pcb) != ERR_OK)
		tcp_abort(c->pcb);
	c->pcb = NULL;
	if (c->http)
		http_check(c);
	else if (--clients_left == 0)
		pass("TCP echo, %zu bytes on each of %u connection(s)", c->total, clients_total);
}

static err_t tc_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tclient *c = arg;

	if (err != ERR_OK || failed) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) { /* the server's FIN */
		if (!c->http && c->rcvd != c->total)
			fail("echo closed after %zu of %zu bytes", c->rcvd, c->total);
		else
			tc_finish(c);
		return ERR_OK;
	}
	for (struct pbuf *q = p; q; q = q->next) {
		const u8_t *d = q->payload;

		for (u16_t i = 0; i < q->len; i++, c->rcvd++) {
			if (c->http) {
				if (c->resp_len < sizeof(c->resp) - 1)
					c->resp[c->resp_len++] = (char)d[i];
			} else if (c->rcvd >= c->total || d[i] != pattern(c->seed, c->rcvd)) {
				pbuf_free(p);
				fail("connection %u: echoed byte %zu of %zu differs (seed %08x, "
				     "pbuf %u/%u)",
				     (unsigned int)(c - clients), c->rcvd, c->total, c->seed, i,
				     p->tot_len);
				return ERR_OK;
			}
		}
	}
	/* A slow reader opens its window only when its timer says so. */
	if (c->slow)
		c->held += p->tot_len;
	else
		tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t tc_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	tc_send(arg);
	return ERR_OK;
}

static void tc_err(void *arg, err_t err)
{
	struct tclient *c = arg;

	c->pcb = NULL;
	fail("connection error %d after %zu bytes sent, %zu echoed", err, c->sent, c->rcvd);
}

static err_t tc_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tclient *c = arg;

	(void)err;
	if (c->http) {
		tcp_write(pcb, c->req, (u16_t)c->req_len, TCP_WRITE_FLAG_COPY);
		tcp_output(pcb);
	} else {
		tc_send(c);
	}
	return ERR_OK;
}

static void tc_start(struct tclient *c, const ip_addr_t *from, const ip_addr_t *to, u16_t port)
{
	c->pcb = tcp_new_ip_type(IP_GET_TYPE(to));
	if (!c->pcb)
		return fail("out of PCBs");
	tcp_bind(c->pcb, from, 0); /* our address picks net0 (the routing hooks) */
	tcp_arg(c->pcb, c);
	tcp_recv(c->pcb, tc_recv);
	tcp_sent(c->pcb, tc_sent);
	tcp_err(c->pcb, tc_err);
	if (tcp_connect(c->pcb, to, port, tc_connected) != ERR_OK)
		fail("tcp_connect failed");
}

static void echo_clients(unsigned int n, size_t bytes, unsigned int v6_from)
{
	clients_left = clients_total = n;
	for (unsigned int i = 0; i < n; i++) {
		struct tclient *c = &clients[i];

		memset(c, 0, sizeof(*c));
		c->seed = rng();
		c->total = bytes;
		c->slow = n > 1 && i == 0;
		tc_start(c, i >= v6_from ? &client6 : &client4, i >= v6_from ? &server6 : &server4,
			 ECHO_PORT);
	}
}

/* The slow reader: every 100 ms, take what arrived (lwIP not in a callback: kick). */
static void slow_tick(struct timer *t, void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < MANY_CONNS; i++) {
		struct tclient *c = &clients[i];

		for (; c->pcb && c->held; c->held -= MIN(c->held, (size_t)0xffff))
			tcp_recved(c->pcb, (u16_t)MIN(c->held, (size_t)0xffff));
	}
	net_kick();
	if (clients_left && !failed)
		timer_arm_in(t, 100 * 1000000ull);
}

/* ------------------------------------------------------------------ HTTP */

struct http_case {
	const char *req;
	const char *expect; /* the response starts with this */
	const char *body;   /* NULL: anything; else the exact body */
};

static char big_req[ECHO_HTTP_REQ_MAX + 500];
static const struct http_case http_cases[] = {
	{"GET / HTTP/1.0\r\n\r\n",
	 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n"
	 "Connection: close\r\n\r\n",
	 ECHO_HTTP_BODY},
	{"GET /stats HTTP/1.1\r\nHost: sluice\r\n\r\n", "HTTP/1.1 200 OK\r\n", NULL},
	{"GET /nope HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", "not found\n"},
	{"HEAD / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", ""},
	{"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 ", NULL},
	{"hello\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", NULL},
	{big_req, "HTTP/1.1 400 Bad Request\r\n", "request too large\n"},
	{"GET / HTTP/1.1\r\nHost: [fd00::2]\r\n\r\n", "HTTP/1.1 200 OK\r\n", ECHO_HTTP_BODY},
};
static unsigned int http_case_no;

static void http_next(void)
{
	struct tclient *c = &clients[0];
	bool v6 = http_case_no == ARRAY_SIZE(http_cases) - 1;

	memset(c, 0, sizeof(*c));
	c->http = true;
	c->req = http_cases[http_case_no].req;
	c->req_len = strlen(c->req);
	tc_start(c, v6 ? &client6 : &client4, v6 ? &server6 : &server4, HTTP_PORT);
}

static void http_check(struct tclient *c)
{
	const struct http_case *hc = &http_cases[http_case_no];
	const char *body = strstr(c->resp, "\r\n\r\n");

	c->resp[c->resp_len] = '\0';
	if (strncmp(c->resp, hc->expect, strlen(hc->expect)) != 0 || !body)
		return fail("HTTP case %u: unexpected response '%.60s'", http_case_no, c->resp);
	if (hc->body && strcmp(body + 4, hc->body) != 0)
		return fail("HTTP case %u: body '%.60s'", http_case_no, body + 4);
	if (http_case_no == 1 &&
	    (!strstr(body, "\nnet1 rx_packets ") || !strstr(body, "tcp_echo ")))
		return fail("HTTP /stats lacks counters: '%.200s'", body + 4);
	if (++http_case_no < ARRAY_SIZE(http_cases))
		return http_next();
	pass("HTTP: %u requests (/, /stats, 404, HEAD, 405, 400, too large, IPv6)", http_case_no);
}

/* ----------------------------------------------------------------- driver */

static void ph_ping4(void)
{
	ping(&client4, &server4);
}

static void ph_ping6(void)
{
	ping(&client6, &server6);
}

static void ph_big(void)
{
	echo_clients(1, BIG_BYTES, 1);
}

static void ph_many(void)
{
	echo_clients(MANY_CONNS, MANY_BYTES, MANY_CONNS - 2);
	timer_arm_in(&slow_timer, 100 * 1000000ull);
}

static void ph_lossy(void)
{
	wire_drop_every = 37;
	printf("lwiptest: the wire now drops every %u-th frame\n", wire_drop_every);
	echo_clients(1, 256 * 1024, 1);
}

static void ph_csum(void)
{
	wire_drop_every = 0;
	wire_blank_tcp_csum = true;
	printf("lwiptest: the wire now leaves TCP checksums blank (PKT_CSUM_BLANK)\n");
	echo_clients(2, MANY_BYTES, 2);
}

static void ph_http(void)
{
	wire_blank_tcp_csum = false;
	memset(big_req, 'A', sizeof(big_req) - 1);
	http_case_no = 0;
	http_next();
}

static void ph_done(void)
{
	char stats[HTTP_RESP_CAP];

	timer_cancel(&phase_timer);
	echo_format_stats(stats, sizeof(stats));
	printf("%s", stats);
	printf("lwiptest: the wire dropped %u frames, blanked %u TCP checksums\n", wire_dropped,
	       wire_blanked);
	printf("lwiptest: %u passed, 0 failed\n", passed);
	evloop_stop(SLUICE_EXIT_SUCCESS);
}

static void (*const phases[])(void) = {
	ph_ping4, ph_ping6, udp_test, ph_big, ph_many, ph_lossy, ph_csum, ph_http, ph_done,
};

static void phase_next(struct work *w)
{
	(void)w;
	if (failed || phase >= ARRAY_SIZE(phases))
		return;
	phase_start = now_ns();
	timer_arm_in(&phase_timer, PHASE_TIMEOUT_NS);
	phases[phase++]();
	net_kick(); /* we called lwIP from a work item, outside its callbacks */
}

static void check_up(void *arg)
{
	static bool started;

	(void)arg;
	if (started || !net_all_up())
		return;
	started = true;
	net_print_status();
	work_post(&next_work);
}

static int lwiptest_main(void)
{
	int rc;

	rng_state = random_u32() | 1;
	printf("lwiptest: random seed %08x\n", (unsigned int)rng_state);
	rc = wire_init();
	if (rc == 0)
		rc = net_init();
	if (rc == -EINVAL)
		return SLUICE_EXIT_CONFIG;
	if (rc == 0)
		rc = echo_services_start();
	if (rc < 0) {
		printf("lwiptest: set-up failed (%d)\n", rc);
		return SLUICE_EXIT_FAILURE;
	}
	/* The command line must give these (tests/boot/lwip.test). */
	ipaddr_aton("10.0.0.1", &client4);
	ipaddr_aton("10.0.0.2", &server4);
	ipaddr_aton("fd00::1", &client6);
	ipaddr_aton("fd00::2", &server6);
	timer_init(&phase_timer, phase_timeout, NULL);
	timer_init(&slow_timer, slow_tick, NULL);
	timer_arm_in(&phase_timer, PHASE_TIMEOUT_NS); /* for the NICs to come up */
	net_set_change_handler(check_up, NULL);
	check_up(NULL);
	return evloop_run();
}

const struct sluice_app sluice_app = {
	.name = "lwiptest",
	.opts = net_cmdline_opts,
	.main = lwiptest_main,
};
