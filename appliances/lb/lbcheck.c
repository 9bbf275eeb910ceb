// SPDX-License-Identifier: BSD-2-Clause
/*
 * Health checks (docs/loadbalancer.md) from the appliance's own address,
 * through lwIP's raw TCP API: `check tcp` succeeds when the connection is
 * accepted; `check http PATH` sends "GET PATH HTTP/1.0" and succeeds when
 * the status line carries the expected code. Either way the connection is
 * then reset (HAProxy does the same for TCP checks): no TIME_WAIT
 * control blocks pile up on our side. A check not done by its timeout
 * fails. Each result feeds the backend's rise/fall counter (lbhealth.c);
 * when the backend goes up or down its service's Maglev table is rebuilt.
 *
 * What a backend sends is untrusted: only the first bytes of the status
 * line are kept (a fixed buffer), parsed strictly, and never printed.
 * One check at a time per backend (the parser bounds the timeout by the
 * interval), at most LB_PROBES at once (lwIP's control blocks are shared).
 */
#include <stdio.h>
#include <string.h>

#include "lb.h"
#include "lwip/ip_addr.h"
#include "lwip/tcp.h"

#define LB_PROBES 64
#define MS 1000000ull
#define STATUS_LEN 12 /* "HTTP/1.1 200" */

struct probe {
	struct lb_ctx *c;
	struct tcp_pcb *pcb;
	uint64_t deadline;
	uint16_t be;
	uint16_t got;
	bool used;
	char status[STATUS_LEN];
};

static struct probe probes[LB_PROBES];

static const char *const state_name[] = {"down", "up"};

/* Drop the control block (reset to the peer), with no callback into us. */
static void release(struct probe *pr)
{
	if (pr->pcb) {
		tcp_arg(pr->pcb, NULL);
		tcp_err(pr->pcb, NULL);
		tcp_recv(pr->pcb, NULL);
		tcp_abort(pr->pcb);
		pr->pcb = NULL;
	}
	pr->c->be[pr->be].probe = -1;
	pr->used = false;
}

static void report(struct lb_ctx *c, struct lb_be *b, bool ok)
{
	struct lb_svc *s = &c->svc[b->svc];
	char be[64], svc[64];

	if (!lb_health_result(&b->health, ok))
		return;
	b->changed_ns = now_ns();
	lb_format_ep(&b->addr, s->cfg.v6, b->port, be, sizeof(be));
	lb_format_ep(&s->cfg.vip, s->cfg.v6, s->cfg.port, svc, sizeof(svc));
	printf("lb: backend %s of %s is %s (%llu checks, %llu failed)\n", be, svc,
	       state_name[b->health.up], (unsigned long long)b->health.checks,
	       (unsigned long long)b->health.failed);
	lb_svc_rebuild(c, s);
}

/* The check is over: release everything, then count it. */
static void finish(struct probe *pr, bool ok)
{
	struct lb_ctx *c = pr->c;
	struct lb_be *b = &c->be[pr->be];

	release(pr);
	report(c, b, ok);
}

/* "HTTP/1.x NNN": NNN, or -1. */
static int status_code(const char *s)
{
	if (memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct probe *pr = arg;
	const struct lb_svc *s;

	(void)pcb;
	(void)err;
	if (!pr)
		return ERR_OK;
	s = &pr->c->svc[pr->c->be[pr->be].svc];
	if (p) {
		u16_t n = (u16_t)(STATUS_LEN - pr->got);

		pr->got = (uint16_t)(pr->got + pbuf_copy_partial(p, pr->status + pr->got, n, 0));
		pbuf_free(p);
		if (pr->got < STATUS_LEN)
			return ERR_OK;
	}
	/* A closed connection before a whole status line fails. */
	finish(pr, pr->got == STATUS_LEN && status_code(pr->status) == s->cfg.check.expect);
	return ERR_ABRT;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct probe *pr = arg;
	const struct lb_svc *s;
	char req[LB_PATH_MAX + 96];
	int n;

	if (!pr)
		return ERR_OK;
	s = &pr->c->svc[pr->c->be[pr->be].svc];
	if (err != ERR_OK || s->cfg.check.kind == LB_CHECK_TCP) {
		finish(pr, err == ERR_OK);
		return ERR_ABRT;
	}
	/* The path was checked printable and blank-free by the parser. */
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nUser-Agent: sluice-lb\r\nConnection: close\r\n\r\n",
		     s->cfg.check.path);
	tcp_recv(pcb, on_recv);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    tcp_write(pcb, req, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) {
		finish(pr, false);
		return ERR_ABRT;
	}
	tcp_output(pcb);
	return ERR_OK;
}

/* lwIP freed the control block (reset, unreachable): a failure. */
static void on_err(void *arg, err_t err)
{
	struct probe *pr = arg;

	(void)err;
	if (!pr)
		return;
	pr->pcb = NULL;
	finish(pr, false);
}

static void start(struct lb_ctx *c, struct lb_be *b, const struct lb_svc *s, uint64_t now)
{
	struct probe *pr = NULL;
	ip_addr_t ip;

	for (int i = 0; i < LB_PROBES && !pr; i++)
		if (!probes[i].used)
			pr = &probes[i];
	if (!pr)
		return; /* all busy: this backend's turn comes on a later tick */
	b->next_check = now + s->cfg.check.interval_ms * MS;
	*pr = (struct probe){.c = c,
			     .be = (uint16_t)(b - c->be),
			     .used = true,
			     .deadline = now + s->cfg.check.timeout_ms * MS};
	if (s->cfg.v6) {
		memcpy(&ip_2_ip6(&ip)->addr, b->addr.b, 16);
		IP_SET_TYPE_VAL(ip, IPADDR_TYPE_V6);
		ip6_addr_clear_zone(ip_2_ip6(&ip));
	} else {
		memcpy(&ip_2_ip4(&ip)->addr, b->addr.b, 4);
		IP_SET_TYPE_VAL(ip, IPADDR_TYPE_V4);
	}
	b->probe = (int)(pr - probes);
	pr->pcb = tcp_new_ip_type(s->cfg.v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
	if (!pr->pcb) {
		finish(pr, false); /* no control block: counted as a failed check */
		return;
	}
	tcp_arg(pr->pcb, pr);
	tcp_err(pr->pcb, on_err);
	if (tcp_connect(pr->pcb, &ip, s->cfg.check.port ? s->cfg.check.port : b->port,
			on_connected) != ERR_OK)
		finish(pr, false);
}

void lb_checks_run(struct lb_ctx *c, uint64_t now)
{
	for (int i = 0; i < LB_PROBES; i++)
		if (probes[i].used && probes[i].c == c && now >= probes[i].deadline)
			finish(&probes[i], false);
	for (int i = 0; i < LB_BE_SLOTS; i++) {
		struct lb_be *b = &c->be[i];
		const struct lb_svc *s = &c->svc[b->svc];

		if (b->state != LB_SLOT_LIVE || s->cfg.check.kind == LB_CHECK_NONE ||
		    b->probe >= 0 || now < b->next_check)
			continue;
		start(c, b, s, now);
	}
}

void lb_check_stop(struct lb_ctx *c, struct lb_be *b)
{
	(void)c;
	if (b->probe >= 0 && b->probe < LB_PROBES && probes[b->probe].used)
		release(&probes[b->probe]);
	b->probe = -1;
}
