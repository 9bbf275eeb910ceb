// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the load balancer's configuration parser
 * (appliances/lb/lbconf.c, lbconf_val.c): a full configuration, the
 * defaults, and one case per error class with its exact
 * "NAME:LINE:COL: message", as `sluice-ctl push` and the console print it.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbcore.h"

static struct lb_config *ok(const char *text)
{
	struct lb_config *c;
	struct lb_error e;
	char msg[300];
	int rc = lb_config_parse(text, strlen(text), &c, &e);

	lb_error_format(&e, "lb.conf", msg, sizeof(msg));
	ck_assert_msg(rc == 0, "%s", msg);
	return c;
}

static void bad(const char *text, size_t len, const char *want)
{
	struct lb_config *c = (void *)1;
	struct lb_error e;
	char msg[300];

	ck_assert_int_eq(lb_config_parse(text, len, &c, &e), -EINVAL);
	ck_assert_ptr_null(c);
	lb_error_format(&e, "lb.conf", msg, sizeof(msg));
	ck_assert_str_eq(msg, want);
}

#define BAD(text, want) bad(text, strlen(text), want)

START_TEST(test_full)
{
	struct lb_config *c =
		ok("# two services\n"
		   "service 10.0.0.10:80 tcp method nat scheduler maglev on-down reset\n"
		   "\tbackend 10.1.0.11:8080 weight 2\n"
		   "  backend 10.1.0.12 drain   # the service's port\n"
		   "  backend 10.1.0.13:80 weight 0\n"
		   "  check http /healthz expect 204 interval 1s timeout 500ms rise 3 "
		   "fall 4 port 81\n"
		   "service [fd00::10]:53 udp\r\n"
		   "  method fullnat\n"
		   "  scheduler wrr\n"
		   "  table-size 16381\n"
		   "  backend [fd01::11]:5353\n"
		   "  check tcp port 53 interval 2m\n");
	const struct lb_service_cfg *s = &c->svc[0], *u = &c->svc[1];

	ck_assert_uint_eq(c->nsvc, 2);
	ck_assert_uint_eq(c->nbe, 4);
	ck_assert_uint_eq(s->port, 80);
	ck_assert_uint_eq(s->vip.b[3], 10);
	ck_assert_uint_eq(s->proto, 6);
	ck_assert_uint_eq(s->method, LB_NAT);
	ck_assert_uint_eq(s->sched, LB_MAGLEV);
	ck_assert_uint_eq(s->on_down, LB_DOWN_RESET);
	ck_assert_uint_eq(c->svc[1].on_down, LB_DOWN_KEEP);
	ck_assert_uint_eq(s->table_size, LB_TABLE_DEFAULT);
	ck_assert_uint_eq(s->first, 0);
	ck_assert_uint_eq(s->n, 3);
	ck_assert_uint_eq(c->be[0].weight, 2);
	ck_assert_uint_eq(c->be[0].port, 8080);
	ck_assert_uint_eq(c->be[1].port, 80);
	ck_assert(c->be[1].drain);
	ck_assert_uint_eq(c->be[2].weight, 0);
	ck_assert_uint_eq(s->check.kind, LB_CHECK_HTTP);
	ck_assert_str_eq(s->check.path, "/healthz");
	ck_assert_uint_eq(s->check.expect, 204);
	ck_assert_uint_eq(s->check.interval_ms, 1000);
	ck_assert_uint_eq(s->check.timeout_ms, 500);
	ck_assert_uint_eq(s->check.rise, 3);
	ck_assert_uint_eq(s->check.fall, 4);
	ck_assert_uint_eq(s->check.port, 81);
	ck_assert(u->v6);
	ck_assert_uint_eq(u->vip.b[0], 0xfd);
	ck_assert_uint_eq(u->proto, 17);
	ck_assert_uint_eq(u->method, LB_FULLNAT);
	ck_assert_uint_eq(u->sched, LB_WRR);
	ck_assert_uint_eq(u->table_size, 16381);
	ck_assert_uint_eq(u->first, 3);
	ck_assert_uint_eq(c->be[3].port, 5353);
	ck_assert_uint_eq(u->check.kind, LB_CHECK_TCP);
	ck_assert_uint_eq(u->check.interval_ms, 120000);
	ck_assert_uint_eq(u->check.timeout_ms, 120000); /* the interval */
	free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct lb_config *c = ok("service 1.2.3.4:443 tcp\nbackend 5.6.7.8:443\n");

	ck_assert_uint_eq(c->svc[0].check.kind, LB_CHECK_NONE);
	ck_assert_uint_eq(c->svc[0].check.rise, 2);
	ck_assert_uint_eq(c->svc[0].check.fall, 3);
	ck_assert_uint_eq(c->svc[0].check.interval_ms, 2000);
	ck_assert_uint_eq(c->be[0].weight, 1);
	free(c);
	c = ok("");
	ck_assert_uint_eq(c->nsvc, 0);
	free(c);
	c = ok("# nothing\n\n   \n");
	free(c);
	/* A service without backends is valid: it drops, counted (no-backend). */
	c = ok("service 1.2.3.4:1 udp");
	ck_assert_uint_eq(c->svc[0].n, 0);
	free(c);
}
END_TEST

START_TEST(test_errors_lexical)
{
	BAD("service 1.2.3.4:80 tcp\nbackend 1.2.3.5:80 w\xc3\xa9ight 2\n",
	    "lb.conf:2:21: byte 0xc3: only printable ASCII is allowed");
	bad("service 1.2.3.4:80 tcp\n\0", 24,
	    "lb.conf:2:1: byte 0x00: only printable ASCII is allowed");
	BAD("service 1.2.3.4:80\rtcp\n", "lb.conf:1:1: carriage return inside a line");
	{
		char *t = malloc(LB_LINE_MAX + 10);

		memset(t, 'a', LB_LINE_MAX + 1);
		t[LB_LINE_MAX + 1] = '\0';
		BAD(t, "lb.conf:1:1: line longer than 1024 bytes");
		free(t);
	}
	BAD("service 1.2.3.4:80 tcp a b c d e f g h i j k l m n o p q r s t u v w\n",
	    "lb.conf:1:1: more than 24 words on one line");
	bad("x", LB_TEXT_MAX + 1, "lb.conf: larger than 1048576 bytes");
}
END_TEST

START_TEST(test_errors_statements)
{
	BAD("frontend 1.2.3.4:80\n", "lb.conf:1:1: 'frontend': expected service, backend, check, "
				     "method, scheduler, table-size or on-down");
	BAD("  backend 1.2.3.4:80\n",
	    "lb.conf:1:3: 'backend' outside a service (a service line comes first)");
	BAD("service 1.2.3.4:80\n",
	    "lb.conf:1:1: expected: service ADDRESS:PORT tcp|udp [options]");
	BAD("service 1.2.3.4:80 sctp\n", "lb.conf:1:20: protocol must be tcp or udp");
	BAD("service 1.2.3.4:80 tcp\nservice 1.2.3.4:80 tcp\n",
	    "lb.conf:2:9: service defined twice (line 1)");
	BAD("service 1.2.3.4:80 tcp\nbackend\n",
	    "lb.conf:2:1: expected: backend ADDRESS[:PORT] [weight N] [drain]");
	BAD("service 1.2.3.4:80 tcp\nbackend 1.1.1.1 weight 2 weight 3\n",
	    "lb.conf:2:26: weight given twice");
	BAD("service 1.2.3.4:80 tcp\nbackend 1.1.1.1 weight\n",
	    "lb.conf:2:17: a value must follow");
	BAD("service 1.2.3.4:80 tcp\nbackend 1.1.1.1 backup\n",
	    "lb.conf:2:17: 'backup': expected weight N or drain");
	BAD("service 1.2.3.4:80 tcp\nbackend 1.1.1.1:80\nbackend 1.1.1.1\n",
	    "lb.conf:3:9: backend listed twice (line 2)");
	BAD("service 1.2.3.4:80 tcp\nbackend [::1]:80\n",
	    "lb.conf:2:9: an IPv4 service needs IPv4 backends");
	BAD("service [::1]:80 tcp\nbackend 1.1.1.1:80\n",
	    "lb.conf:2:9: an IPv6 service needs IPv6 backends");
}
END_TEST

START_TEST(test_errors_values)
{
	BAD("service 1.2.3:80 tcp\n",
	    "lb.conf:1:9: '1.2.3:80': expected IPv4 address:port or [IPv6 address]:port");
	BAD("service [fd00::1:80 tcp\n",
	    "lb.conf:1:9: '[fd00::1:80': expected [IPv6 address]:port");
	BAD("service 1.2.3.4 tcp\n", "lb.conf:1:9: expected ':PORT' after the address");
	BAD("service 1.2.3.4:0 tcp\n", "lb.conf:1:9: port must be a number from 1 to 65535");
	BAD("service 1.2.3.4:65536 tcp\n", "lb.conf:1:9: port must be a number from 1 to 65535");
	BAD("service 1.2.3.4:80x tcp\n", "lb.conf:1:9: port must be a number from 1 to 65535");
	BAD("service 1.2.3.4:80 tcp\nbackend 1.1.1.1 weight 257\n",
	    "lb.conf:2:24: expected a number from 0 to 256");
	BAD("service 1.2.3.4:80 tcp\nbackend 1.1.1.1 weight -1\n",
	    "lb.conf:2:24: expected a number from 0 to 256");
	BAD("service 1.2.3.4:80 tcp method ipip\n",
	    "lb.conf:1:31: method must be nat, fullnat or dsr");
	BAD("service 1.2.3.4:80 tcp method dsr\n  backend 10.1.0.1:81\n",
	    "lb.conf:2:11: dsr keeps the port: the backend's must be the service's");
	BAD("service 1.2.3.4:80 tcp\n  backend 10.1.0.1:81\n  method dsr\n",
	    "lb.conf:3:10: dsr keeps the port: the backend on line 2 has another");
	BAD("service 1.2.3.4:80 tcp method nat\nmethod fullnat\n",
	    "lb.conf:2:8: method given twice for this service");
	BAD("service 1.2.3.4:80 tcp scheduler rr\n",
	    "lb.conf:1:34: scheduler must be maglev, wrr or lc");
	BAD("service 1.2.3.4:80 tcp scheduler lc scheduler wrr\n",
	    "lb.conf:1:47: scheduler given twice for this service");
	BAD("service 1.2.3.4:80 tcp table-size 65536\n",
	    "lb.conf:1:35: table-size must be a prime (65537, 16381, 131071, ...)");
	BAD("service 1.2.3.4:80 tcp table-size 5\n",
	    "lb.conf:1:35: expected a number from 7 to 1048573");
	BAD("service 1.2.3.4:80 tcp table-size 7 table-size 7\n",
	    "lb.conf:1:48: table-size given twice for this service");
	BAD("service 1.2.3.4:80 tcp persistence 300\n",
	    "lb.conf:1:24: 'persistence': expected method, scheduler, table-size or on-down");
	BAD("service 1.2.3.4:80 tcp on-down drop\n", "lb.conf:1:32: on-down must be keep or reset");
	BAD("service 1.2.3.4:80 tcp on-down reset\non-down keep\n",
	    "lb.conf:2:9: on-down given twice for this service");
	BAD("service 1.2.3.4:80 tcp method\n", "lb.conf:1:24: a value must follow");
	BAD("service 1.2.3.4:80 tcp\nbackend 1.1.1.1 weight 2x\n",
	    "lb.conf:2:24: expected a number from 0 to 256");
}
END_TEST

START_TEST(test_errors_check)
{
	BAD("service 1.2.3.4:80 tcp\ncheck\n", "lb.conf:2:1: expected: check tcp|http [options]");
	BAD("service 1.2.3.4:80 tcp\ncheck icmp\n",
	    "lb.conf:2:7: expected: check tcp|http [options]");
	BAD("service 1.2.3.4:80 tcp\ncheck http\n",
	    "lb.conf:2:7: expected: check http PATH [options]");
	BAD("service 1.2.3.4:80 tcp\ncheck http healthz\n",
	    "lb.conf:2:12: an HTTP check path starts with '/'");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp\ncheck tcp\n", "lb.conf:3:1: one check per service");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp interval 0\n",
	    "lb.conf:2:20: expected a duration from 1ms to 3600s (N, Nms, Ns or Nm)");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp interval 2h\n",
	    "lb.conf:2:20: expected a duration from 1ms to 3600s (N, Nms, Ns or Nm)");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp interval 61m\n",
	    "lb.conf:2:20: expected a duration from 1ms to 3600s (N, Nms, Ns or Nm)");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp rise 0\n",
	    "lb.conf:2:16: expected a number from 1 to 100");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp fall 101\n",
	    "lb.conf:2:16: expected a number from 1 to 100");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp expect 200\n",
	    "lb.conf:2:11: 'expect': expected interval, timeout, rise, fall, port");
	BAD("service 1.2.3.4:80 tcp\ncheck http / expect 600\n",
	    "lb.conf:2:21: expected a number from 100 to 599");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp rise 2 rise 3\n",
	    "lb.conf:2:18: option given twice");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp rise\n", "lb.conf:2:11: a value must follow");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp interval 1s timeout 2s\n",
	    "lb.conf:2:1: timeout longer than the interval (one check at a time)");
	BAD("service 1.2.3.4:80 tcp\ncheck tcp port 0\n",
	    "lb.conf:2:16: expected a number from 1 to 65535");
}
END_TEST

/* Sizes a file can drive: services, backends, table entries. */
START_TEST(test_errors_limits)
{
	size_t cap = 200000, n = 0;
	char *t = malloc(cap);

	for (unsigned int i = 0; i <= LB_SERVICES_MAX; i++)
		n += (size_t)snprintf(t + n, cap - n, "service 10.0.%u.1:80 tcp table-size 7\n", i);
	bad(t, n, "lb.conf:65:1: more than 64 services");
	n = (size_t)snprintf(t, cap, "service 10.0.0.1:80 tcp\n");
	for (unsigned int i = 0; i <= LB_SVC_BACKENDS_MAX; i++)
		n += (size_t)snprintf(t + n, cap - n, "backend 10.1.%u.%u\n", i / 200, i % 200);
	bad(t, n, "lb.conf:258:1: more than 256 backends in one service");
	n = 0;
	for (unsigned int s = 0; s < 5; s++) {
		n += (size_t)snprintf(t + n, cap - n, "service 10.0.%u.1:80 tcp table-size 7\n", s);
		for (unsigned int i = 0; i < (s < 4 ? 256u : 1u); i++)
			n += (size_t)snprintf(t + n, cap - n, "backend 10.1.%u.%u\n", i / 200,
					      i % 200);
	}
	bad(t, n, "lb.conf:1030:1: more than 1024 backends");
	n = 0;
	for (unsigned int s = 0; s < 5; s++)
		n += (size_t)snprintf(t + n, cap - n,
				      "service 10.0.%u.1:80 tcp table-size 1048573\n", s);
	bad(t, n, "lb.conf:5:1: the services' tables exceed 4194304 entries together");
	free(t);
}
END_TEST

START_TEST(test_format)
{
	struct pkt_addr a = {{10, 1, 0, 11}}, b = {{0xfd, 1, [15] = 0x11}};
	struct lb_error e = {.line = 0, .msg = "out of memory"};
	char buf[64];

	lb_format_ep(&a, false, 80, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.1.0.11:80");
	lb_format_ep(&b, true, 8080, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[fd01::11]:8080");
	lb_error_format(&e, "lb", buf, sizeof(buf));
	ck_assert_str_eq(buf, "lb: out of memory");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lbconf");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_errors_lexical);
	tcase_add_test(tc, test_errors_statements);
	tcase_add_test(tc, test_errors_values);
	tcase_add_test(tc, test_errors_check);
	tcase_add_test(tc, test_errors_limits);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
