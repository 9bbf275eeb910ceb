// SPDX-License-Identifier: BSD-2-Clause
/*
 * The load balancer's configuration language (docs/loadbalancer.md), in
 * the words of ipvsadm and HAProxy:
 *
 *	service 10.0.0.10:80 tcp method nat scheduler maglev table-size 65537
 *	  backend 10.1.0.11:80 weight 2
 *	  backend 10.1.0.12:80 drain
 *	  check http /healthz expect 200 interval 1s timeout 500ms rise 2 fall 3
 *
 * One statement a line; '#' starts a comment; words are separated by
 * blanks. Statements after a `service` line belong to it; `method`,
 * `scheduler`, `table-size` and `on-down` may stand on the service line or on lines
 * of their own. The text is untrusted (the config disk, the host channel):
 * bounded in size, line length and counts, printable ASCII only, and any
 * error stops the parse with "LINE:COL: message" about the word at fault;
 * nothing half-parsed is ever returned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbconf_int.h"

#define P_TCP 6
#define P_UDP 17

/* ---- service options (the service line's tail, or lines of their own) ---- */

static int opt_method(struct lb_parser *p, const struct lb_word *v)
{
	if (p->method_set)
		return lb_fail(p, v, "method given twice for this service");
	p->method_set = true;
	if (lb_word_is(v, "nat"))
		p->svc->method = LB_NAT;
	else if (lb_word_is(v, "fullnat"))
		p->svc->method = LB_FULLNAT;
	else if (lb_word_is(v, "dsr"))
		p->svc->method = LB_DSR;
	else
		return lb_fail(p, v, "method must be nat, fullnat or dsr");
	/* Direct server return rewrites no port: backends listed before must agree. */
	for (unsigned int i = 0; p->svc->method == LB_DSR && i < p->svc->n; i++)
		if (p->c->be[p->svc->first + i].port != p->svc->port)
			return lb_fail(p, v,
				       "dsr keeps the port: the backend on line %u has another",
				       p->c->be[p->svc->first + i].line);
	return 0;
}

static int opt_sched(struct lb_parser *p, const struct lb_word *v)
{
	if (p->sched_set)
		return lb_fail(p, v, "scheduler given twice for this service");
	p->sched_set = true;
	if (lb_word_is(v, "maglev") || lb_word_is(v, "mh"))
		p->svc->sched = LB_MAGLEV;
	else if (lb_word_is(v, "wrr"))
		p->svc->sched = LB_WRR;
	else if (lb_word_is(v, "lc") || lb_word_is(v, "wlc"))
		p->svc->sched = LB_LC;
	else
		return lb_fail(p, v, "scheduler must be maglev, wrr or lc");
	return 0;
}

static int opt_size(struct lb_parser *p, const struct lb_word *v)
{
	uint32_t m;

	if (p->size_set)
		return lb_fail(p, v, "table-size given twice for this service");
	p->size_set = true;
	if (lb_parse_uint(p, v, LB_TABLE_MIN, LB_TABLE_MAX, &m) < 0)
		return -EINVAL;
	if (!lb_is_prime(m))
		return lb_fail(p, v, "table-size must be a prime (65537, 16381, 131071, ...)");
	p->svc->table_size = m;
	return 0;
}

static int opt_down(struct lb_parser *p, const struct lb_word *v)
{
	if (p->down_set)
		return lb_fail(p, v, "on-down given twice for this service");
	p->down_set = true;
	if (lb_word_is(v, "keep"))
		p->svc->on_down = LB_DOWN_KEEP;
	else if (lb_word_is(v, "reset"))
		p->svc->on_down = LB_DOWN_RESET;
	else
		return lb_fail(p, v, "on-down must be keep or reset");
	return 0;
}

/* KEY VALUE pairs from word @i on: the service options. */
static int svc_opts(struct lb_parser *p, unsigned int i)
{
	for (; i < p->nw; i += 2) {
		const struct lb_word *k = &p->w[i], *v = &p->w[i + 1];
		char show[48];
		int rc;

		if (i + 1 >= p->nw)
			return lb_fail(p, k, "a value must follow");
		if (lb_word_is(k, "method"))
			rc = opt_method(p, v);
		else if (lb_word_is(k, "scheduler"))
			rc = opt_sched(p, v);
		else if (lb_word_is(k, "table-size"))
			rc = opt_size(p, v);
		else if (lb_word_is(k, "on-down"))
			rc = opt_down(p, v);
		else {
			lb_word_show(k, show, sizeof(show));
			return lb_fail(p, k,
				       "'%s': expected method, scheduler, table-size or on-down",
				       show);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- statements ---- */

/* The service just ended: what could only be checked once it was whole. */
static int svc_end(struct lb_parser *p)
{
	struct lb_service_cfg *s = p->svc;

	if (!s)
		return 0;
	if (s->table_size > LB_TABLE_TOTAL - p->table_total) {
		p->line = s->line;
		return lb_fail(p, NULL, "the services' tables exceed %u entries together",
			       LB_TABLE_TOTAL);
	}
	p->table_total += s->table_size;
	if (s->check.timeout_ms == 0 || s->check.timeout_ms > s->check.interval_ms)
		s->check.timeout_ms = s->check.interval_ms;
	return 0;
}

static int st_service(struct lb_parser *p)
{
	struct lb_config *c = p->c;
	struct lb_service_cfg *s;
	bool v6;

	if (p->nw < 3)
		return lb_fail(p, &p->w[0], "expected: service ADDRESS:PORT tcp|udp [options]");
	if (c->nsvc >= LB_SERVICES_MAX)
		return lb_fail(p, &p->w[0], "more than %u services", LB_SERVICES_MAX);
	s = &c->svc[c->nsvc];
	memset(s, 0, sizeof(*s));
	if (lb_parse_ep(p, &p->w[1], true, &s->vip, &v6, &s->port) < 0)
		return -EINVAL;
	s->v6 = v6;
	if (lb_word_is(&p->w[2], "tcp"))
		s->proto = P_TCP;
	else if (lb_word_is(&p->w[2], "udp"))
		s->proto = P_UDP;
	else
		return lb_fail(p, &p->w[2], "protocol must be tcp or udp");
	for (unsigned int i = 0; i < c->nsvc; i++)
		if (c->svc[i].proto == s->proto && c->svc[i].port == s->port &&
		    c->svc[i].v6 == s->v6 && memcmp(&c->svc[i].vip, &s->vip, sizeof(s->vip)) == 0)
			return lb_fail(p, &p->w[1], "service defined twice (line %u)",
				       c->svc[i].line);
	*s = (struct lb_service_cfg){
		.vip = s->vip,
		.port = s->port,
		.v6 = v6,
		.proto = s->proto,
		.method = LB_NAT,
		.sched = LB_MAGLEV,
		.table_size = LB_TABLE_DEFAULT,
		.first = c->nbe,
		.line = p->line,
		.check = {.kind = LB_CHECK_NONE,
			  .rise = 2,
			  .fall = 3,
			  .expect = 200,
			  .interval_ms = 2000},
	};
	c->nsvc++;
	p->svc = s;
	p->svc_col = p->w[1].col;
	p->check_set = p->method_set = p->sched_set = p->size_set = p->down_set = false;
	return svc_opts(p, 3);
}

/* Backend options: weight N, drain. */
static int be_opts(struct lb_parser *p, struct lb_backend_cfg *b)
{
	bool weight_set = false;
	uint32_t w;
	char show[48];

	for (unsigned int i = 2; i < p->nw; i++) {
		if (lb_word_is(&p->w[i], "drain")) {
			b->drain = true;
		} else if (lb_word_is(&p->w[i], "weight")) {
			if (weight_set)
				return lb_fail(p, &p->w[i], "weight given twice");
			weight_set = true;
			if (i + 1 >= p->nw)
				return lb_fail(p, &p->w[i], "a value must follow");
			if (lb_parse_uint(p, &p->w[++i], 0, LB_WEIGHT_MAX, &w) < 0)
				return -EINVAL;
			b->weight = (uint16_t)w;
		} else {
			lb_word_show(&p->w[i], show, sizeof(show));
			return lb_fail(p, &p->w[i], "'%s': expected weight N or drain", show);
		}
	}
	return 0;
}

static int st_backend(struct lb_parser *p)
{
	struct lb_config *c = p->c;
	struct lb_service_cfg *s = p->svc;
	struct lb_backend_cfg *b;
	bool v6;

	if (p->nw < 2)
		return lb_fail(p, &p->w[0], "expected: backend ADDRESS[:PORT] [weight N] [drain]");
	if (s->n >= LB_SVC_BACKENDS_MAX)
		return lb_fail(p, &p->w[0], "more than %u backends in one service",
			       LB_SVC_BACKENDS_MAX);
	if (c->nbe >= LB_BACKENDS_MAX)
		return lb_fail(p, &p->w[0], "more than %u backends", LB_BACKENDS_MAX);
	b = &c->be[c->nbe];
	*b = (struct lb_backend_cfg){.weight = LB_WEIGHT_DEFAULT, .line = p->line};
	if (lb_parse_ep(p, &p->w[1], false, &b->addr, &v6, &b->port) < 0)
		return -EINVAL;
	if (v6 != !!s->v6)
		return lb_fail(p, &p->w[1], "an IPv%c service needs IPv%c backends",
			       s->v6 ? '6' : '4', s->v6 ? '6' : '4');
	if (!b->port)
		b->port = s->port; /* HAProxy: no port means the service's */
	if (s->method == LB_DSR && b->port != s->port)
		return lb_fail(p, &p->w[1],
			       "dsr keeps the port: the backend's must be the service's");
	for (unsigned int i = s->first; i < s->first + s->n; i++)
		if (c->be[i].port == b->port && memcmp(&c->be[i].addr, &b->addr, 16) == 0)
			return lb_fail(p, &p->w[1], "backend listed twice (line %u)",
				       c->be[i].line);
	if (be_opts(p, b) < 0)
		return -EINVAL;
	s->n++;
	c->nbe++;
	return 0;
}

/* check tcp|http PATH, then KEY VALUE options. */
static int check_opt(struct lb_parser *p, struct lb_check_cfg *k, const struct lb_word *key,
		     const struct lb_word *v)
{
	uint32_t x;
	char show[48];

	if (lb_word_is(key, "interval") || lb_word_is(key, "inter"))
		return lb_parse_ms(p, v, LB_INTERVAL_MAX, &k->interval_ms);
	if (lb_word_is(key, "timeout"))
		return lb_parse_ms(p, v, LB_INTERVAL_MAX, &k->timeout_ms);
	if (lb_word_is(key, "rise") || lb_word_is(key, "fall")) {
		if (lb_parse_uint(p, v, 1, LB_RISEFALL_MAX, &x) < 0)
			return -EINVAL;
		*(key->s[0] == 'r' ? &k->rise : &k->fall) = (uint8_t)x;
		return 0;
	}
	if (lb_word_is(key, "port")) {
		if (lb_parse_uint(p, v, 1, 65535, &x) < 0)
			return -EINVAL;
		k->port = (uint16_t)x;
		return 0;
	}
	if (lb_word_is(key, "expect") && k->kind == LB_CHECK_HTTP) {
		if (lb_parse_uint(p, v, 100, 599, &x) < 0)
			return -EINVAL;
		k->expect = (uint16_t)x;
		return 0;
	}
	lb_word_show(key, show, sizeof(show));
	return lb_fail(p, key, "'%s': expected interval, timeout, rise, fall, port%s", show,
		       k->kind == LB_CHECK_HTTP ? " or expect" : "");
}

static int st_check(struct lb_parser *p)
{
	struct lb_check_cfg *k = &p->svc->check;
	unsigned int i = 2, seen = 0;

	if (p->check_set)
		return lb_fail(p, &p->w[0], "one check per service");
	p->check_set = true;
	if (p->nw >= 2 && lb_word_is(&p->w[1], "tcp")) {
		k->kind = LB_CHECK_TCP;
	} else if (p->nw >= 2 && lb_word_is(&p->w[1], "http")) {
		k->kind = LB_CHECK_HTTP;
		if (p->nw < 3)
			return lb_fail(p, &p->w[1], "expected: check http PATH [options]");
		if (lb_parse_path(p, &p->w[2], k->path) < 0)
			return -EINVAL;
		i = 3;
	} else {
		return lb_fail(p, p->nw >= 2 ? &p->w[1] : &p->w[0],
			       "expected: check tcp|http [options]");
	}
	for (; i < p->nw; i += 2) {
		unsigned int bit = 0;

		if (i + 1 >= p->nw)
			return lb_fail(p, &p->w[i], "a value must follow");
		for (const char *const *n = (const char *const[]){"interval", "timeout", "rise",
								  "fall", "port", "expect", NULL};
		     *n; n++, bit++)
			if (lb_word_is(&p->w[i], *n))
				break;
		if (bit < 6 && (seen & (1u << bit)))
			return lb_fail(p, &p->w[i], "option given twice");
		seen |= 1u << bit;
		if (check_opt(p, k, &p->w[i], &p->w[i + 1]) < 0)
			return -EINVAL;
	}
	if ((seen & 2) && k->timeout_ms > k->interval_ms)
		return lb_fail(p, &p->w[0],
			       "timeout longer than the interval (one check at a time)");
	return 0;
}

static int statement(struct lb_parser *p)
{
	const struct lb_word *w = &p->w[0];
	char show[48];

	if (lb_word_is(w, "service")) {
		if (svc_end(p) < 0)
			return -EINVAL;
		return st_service(p);
	}
	if (!lb_word_is(w, "backend") && !lb_word_is(w, "check") && !lb_word_is(w, "method") &&
	    !lb_word_is(w, "scheduler") && !lb_word_is(w, "table-size") &&
	    !lb_word_is(w, "on-down")) {
		lb_word_show(w, show, sizeof(show));
		return lb_fail(p, w,
			       "'%s': expected service, backend, check, method, scheduler, "
			       "table-size or on-down",
			       show);
	}
	if (!p->svc)
		return lb_fail(p, w, "'%.*s' outside a service (a service line comes first)",
			       (int)w->n, w->s);
	if (lb_word_is(w, "backend"))
		return st_backend(p);
	if (lb_word_is(w, "check"))
		return st_check(p);
	return svc_opts(p, 0);
}

/* ---- lines ---- */

/* Cut line @s (@n bytes) into words; checks its bytes. 0 or -EINVAL. */
static int split(struct lb_parser *p, const char *s, size_t n)
{
	size_t i = 0;

	p->nw = 0;
	if (n > LB_LINE_MAX)
		return lb_fail(p, NULL, "line longer than %u bytes", LB_LINE_MAX);
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t start;

		if (ch == '#')
			break;
		if (ch == ' ' || ch == '\t' || (ch == '\r' && i + 1 == n)) {
			i++;
			continue;
		}
		start = i;
		while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '#' && s[i] != '\r') {
			if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
				p->err->line = p->line;
				p->err->col = (unsigned int)i + 1;
				snprintf(p->err->msg, sizeof(p->err->msg),
					 "byte 0x%02x: only printable ASCII is allowed",
					 (unsigned char)s[i]);
				return -EINVAL;
			}
			i++;
		}
		if (i < n && s[i] == '\r' && i + 1 != n)
			return lb_fail(p, NULL, "carriage return inside a line");
		if (p->nw >= LB_WORDS_MAX)
			return lb_fail(p, NULL, "more than %u words on one line", LB_WORDS_MAX);
		p->w[p->nw++] = (struct lb_word){s + start, i - start, (unsigned int)start + 1};
	}
	return 0;
}

int lb_config_parse(const char *text, size_t len, struct lb_config **out, struct lb_error *err)
{
	struct lb_parser p = {.err = err};
	size_t pos = 0;
	int rc = 0;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (len > LB_TEXT_MAX) {
		snprintf(err->msg, sizeof(err->msg), "larger than %u bytes", LB_TEXT_MAX);
		return -EINVAL;
	}
	p.c = calloc(1, sizeof(*p.c));
	if (!p.c) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	while (rc == 0 && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		rc = split(&p, text + pos, n);
		if (rc == 0 && p.nw)
			rc = statement(&p);
		pos += n + 1;
	}
	if (rc == 0)
		rc = svc_end(&p);
	if (rc < 0) {
		free(p.c);
		return rc;
	}
	*out = p.c;
	return 0;
}
