// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the TLS terminator's configuration parser
 * (appliances/tls/tlsconf.c): a full configuration read back field by
 * field, the defaults and the inheritance of `limits`, and one case per
 * error class with its exact "FILE:LINE:COL: message", as the console,
 * the host channel and `sluice-ctl validate` print it. Runs in well under
 * a second.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsconf.h"

static struct tls_conf *ok(const char *text)
{
	struct tls_conf *c = NULL;
	char err[300];
	int rc = tlsconf_parse(text, strlen(text), "tls.cfg", &c, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(err, "");
	return c;
}

static void bad_len(const char *text, size_t len, const char *want)
{
	struct tls_conf *c = (void *)1;
	char err[300];

	ck_assert_int_eq(tlsconf_parse(text, len, "tls.cfg", &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, want);
}

#define BAD(text, want) bad_len(text, strlen(text), want)

/* A listen block that is complete; errors are put after or inside it. */
#define L "listen 0.0.0.0:443\n"
#define C "cert default /c.pem /c.key\n"
#define B "backend 10.0.0.1:80\n"

START_TEST(test_full)
{
	struct tls_conf *c =
		ok("# the terminator\n"
		   "limits max-conns 2000 handshake-timeout 5s idle-timeout 10m rate 100/s\n"
		   "listen 0.0.0.0:443\n"
		   "  cert Example.COM /certs/example.pem /certs/example.key\n"
		   "  cert *.example.org certs/wild.pem certs/wild.key  # relative is fine\n"
		   "\tcert default /certs/default.pem /certs/default.key\n"
		   "  alpn h2,http/1.1\n"
		   "  client-ca /certs/ca.pem\n"
		   "  backend 10.1.0.11:8080 proxy-v2\n"
		   "  backend [fd00::12]:8081 proxy-v1\n"
		   "  backend 10.1.0.13:8080 none\n"
		   "  backend 10.1.0.14:8080\n"
		   "  limits max-conns 0 rate 5/m\n"
		   "listen [::]:8443\r\n"
		   "  cert a.example.net /a.pem /a.key\r\n"
		   "  backend 10.1.0.20:80\r\n");
	const struct tls_listener_conf *l = &c->listeners[0], *m = &c->listeners[1];
	char ep[64];

	ck_assert_uint_eq(c->nlisteners, 2);
	ck_assert_uint_eq(c->limits.max_conns, 2000);
	ck_assert_uint_eq(c->limits.handshake_timeout_ms, 5000);
	ck_assert_uint_eq(c->limits.idle_timeout_ms, 600000);
	ck_assert_uint_eq(c->limits.rate, 100);
	ck_assert_uint_eq(c->limits.rate_period_ms, 1000);

	tlsconf_format_ep(&l->ep, ep, sizeof(ep));
	ck_assert_str_eq(ep, "0.0.0.0:443");
	ck_assert(!l->ep.v6);
	ck_assert_uint_eq(l->line, 3);
	ck_assert_uint_eq(l->ncerts, 3);
	ck_assert_str_eq(l->certs[0].pattern, "example.com"); /* lower-cased */
	ck_assert(!l->certs[0].is_default);
	ck_assert_str_eq(l->certs[0].cert_path, "/certs/example.pem");
	ck_assert_str_eq(l->certs[0].key_path, "/certs/example.key");
	ck_assert_uint_eq(l->certs[0].line, 4);
	ck_assert_str_eq(l->certs[1].pattern, "*.example.org");
	ck_assert_str_eq(l->certs[1].cert_path, "certs/wild.pem");
	ck_assert_str_eq(l->certs[2].pattern, "default");
	ck_assert(l->certs[2].is_default);
	ck_assert_uint_eq(l->nalpn, 2);
	ck_assert_str_eq(l->alpn[0], "h2");
	ck_assert_str_eq(l->alpn[1], "http/1.1");
	ck_assert_str_eq(l->client_ca, "/certs/ca.pem");
	ck_assert_uint_eq(l->nbackends, 4);
	tlsconf_format_ep(&l->backends[1].ep, ep, sizeof(ep));
	ck_assert_str_eq(ep, "[fd00::12]:8081");
	ck_assert_int_eq(l->backends[0].proxy, TLS_PROXY_V2);
	ck_assert_int_eq(l->backends[1].proxy, TLS_PROXY_V1);
	ck_assert_int_eq(l->backends[2].proxy, TLS_PROXY_NONE);
	ck_assert_int_eq(l->backends[3].proxy, TLS_PROXY_NONE);
	ck_assert_uint_eq(l->backends[3].line, 12);
	/* This listener's overrides on top of the file's defaults. */
	ck_assert_uint_eq(l->limits.max_conns, 0);
	ck_assert_uint_eq(l->limits.rate, 5);
	ck_assert_uint_eq(l->limits.rate_period_ms, 60000);
	ck_assert_uint_eq(l->limits.handshake_timeout_ms, 5000);
	ck_assert_uint_eq(l->limits.idle_timeout_ms, 600000);

	tlsconf_format_ep(&m->ep, ep, sizeof(ep));
	ck_assert_str_eq(ep, "[::]:8443");
	ck_assert(m->ep.v6);
	ck_assert_uint_eq(m->nalpn, 0);
	ck_assert_str_eq(m->client_ca, "");
	ck_assert_uint_eq(m->limits.max_conns, 2000);
	ck_assert_uint_eq(m->limits.rate, 100);
	ck_assert_str_eq(tlsconf_proxy_name(l->backends[0].proxy), "proxy-v2");
	ck_assert_str_eq(tlsconf_proxy_name(l->backends[1].proxy), "proxy-v1");
	ck_assert_str_eq(tlsconf_proxy_name(l->backends[2].proxy), "none");
	tlsconf_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct tls_conf *c = ok(L C B);
	const struct tls_listener_conf *l = &c->listeners[0];

	ck_assert_uint_eq(l->limits.max_conns, TLSCONF_DEF_MAX_CONNS);
	ck_assert_uint_eq(l->limits.handshake_timeout_ms, TLSCONF_DEF_HANDSHAKE_MS);
	ck_assert_uint_eq(l->limits.idle_timeout_ms, TLSCONF_DEF_IDLE_MS);
	ck_assert_uint_eq(l->limits.rate, 0);
	tlsconf_free(c);
	/* Durations: bare milliseconds (HAProxy's reading), units, the bounds. */
	c = ok("limits handshake-timeout 250 idle-timeout 24h\n" L C B
	       "limits handshake-timeout 1ms idle-timeout 2h rate off\n");
	ck_assert_uint_eq(c->limits.handshake_timeout_ms, 250);
	ck_assert_uint_eq(c->limits.idle_timeout_ms, 86400000);
	ck_assert_uint_eq(c->listeners[0].limits.handshake_timeout_ms, 1);
	ck_assert_uint_eq(c->listeners[0].limits.idle_timeout_ms, 7200000);
	ck_assert_uint_eq(c->listeners[0].limits.rate, 0);
	tlsconf_free(c);
	tlsconf_free(NULL);
}
END_TEST

START_TEST(test_errors_file)
{
	static char big[TLSCONF_TEXT_MAX + 1];
	char line[TLSCONF_LINE_MAX + 40];

	BAD("", "tls.cfg: no listen block (listen ADDRESS:PORT)");
	BAD("# only a comment\n\n", "tls.cfg: no listen block (listen ADDRESS:PORT)");
	memset(big, '#', sizeof(big));
	bad_len(big, sizeof(big), "tls.cfg: larger than 262144 bytes");
	memset(line, 'x', sizeof(line));
	memcpy(line, L, strlen(L));
	line[sizeof(line) - 1] = '\0';
	BAD(line, "tls.cfg:2:1025: line longer than 1024 bytes");
}
END_TEST

START_TEST(test_errors_lexical)
{
	BAD(L "  cert default /c.pem /c\x01key\n",
	    "tls.cfg:2:25: byte 0x01: only printable ASCII is allowed");
	BAD(L "cert default /c.pem /c.k\xc3\xa9y\n",
	    "tls.cfg:2:25: byte 0xc3: only printable ASCII is allowed");
	BAD(L "cert default\r/c.pem /c.key\n",
	    "tls.cfg:2:13: byte 0x0d: only printable ASCII is allowed");
	BAD(L C "backend 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
	    "tls.cfg:3:45: more than 16 words on one line");
}
END_TEST

START_TEST(test_errors_statements)
{
	BAD("lisen 0.0.0.0:443\n",
	    "tls.cfg:1:1: 'lisen': expected listen, cert, alpn, client-ca, backend or limits");
	BAD("cert default /c.pem /c.key\n" L C B,
	    "tls.cfg:1:1: 'cert' outside a listen block (a listen line comes first)");
	BAD("backend 10.0.0.1:80\n",
	    "tls.cfg:1:1: 'backend' outside a listen block (a listen line comes first)");
	BAD("listen\n", "tls.cfg:1:1: expected: listen ADDRESS:PORT");
	BAD("listen 0.0.0.0:443 ssl\n", "tls.cfg:1:20: expected: listen ADDRESS:PORT");
	BAD(L C B "listen 0.0.0.0:443\n" C B, "tls.cfg:4:8: listen address given twice (line 1)");
	BAD(L B, "tls.cfg:1:8: listen 0.0.0.0:443 has no cert (cert NAME CERT.pem KEY.pem)");
	BAD(L C "listen [::]:443\n" C B,
	    "tls.cfg:1:8: listen 0.0.0.0:443 has no backend (backend ADDRESS:PORT)");
	BAD(L C B "listen [::]:443\n" C,
	    "tls.cfg:4:8: listen [::]:443 has no backend (backend ADDRESS:PORT)");
	BAD(L "cert default /c.pem\n",
	    "tls.cfg:2:1: expected: cert NAME|*.NAME|default CERT.pem KEY.pem");
	BAD(L "cert default /c.pem /c.key extra\n",
	    "tls.cfg:2:28: expected: cert NAME|*.NAME|default CERT.pem KEY.pem");
	BAD(L C "cert default /d.pem /d.key\n" B,
	    "tls.cfg:3:6: a cert for 'default' is given twice (line 2)");
	BAD(L "cert a.com /a.pem /a.key\ncert A.com /b.pem /b.key\n",
	    "tls.cfg:3:6: a cert for 'a.com' is given twice (line 2)");
	BAD(L C "alpn\n", "tls.cfg:3:1: expected: alpn PROTOCOL[,PROTOCOL...] (e.g. h2,http/1.1)");
	BAD(L C "alpn h2 http/1.1\n",
	    "tls.cfg:3:9: expected: alpn PROTOCOL[,PROTOCOL...] (e.g. h2,http/1.1)");
	BAD(L C "alpn h2\nalpn http/1.1\n", "tls.cfg:4:1: alpn given twice in this listener");
	BAD(L C "client-ca\n", "tls.cfg:3:1: expected: client-ca CA.pem");
	BAD(L C "client-ca /a.pem\nclient-ca /b.pem\n",
	    "tls.cfg:4:1: client-ca given twice in this listener");
	BAD(L C "backend\n",
	    "tls.cfg:3:1: expected: backend ADDRESS:PORT [none|proxy-v1|proxy-v2]");
	BAD(L C "backend 10.0.0.1:80 proxy-v2 x\n",
	    "tls.cfg:3:30: expected: backend ADDRESS:PORT [none|proxy-v1|proxy-v2]");
	BAD(L C "backend 10.0.0.1:80 send-proxy\n",
	    "tls.cfg:3:21: expected none, proxy-v1 or proxy-v2");
	BAD(L C B "backend 10.0.0.1:80 proxy-v1\n", "tls.cfg:4:9: backend listed twice (line 3)");
}
END_TEST

START_TEST(test_errors_values)
{
	BAD("listen 0.0.0.0\n", "tls.cfg:1:8: expected ':PORT' after the address");
	BAD("listen 0.0.0.0:0\n", "tls.cfg:1:8: port must be a number from 1 to 65535");
	BAD("listen 0.0.0.0:65536\n", "tls.cfg:1:8: port must be a number from 1 to 65535");
	BAD("listen 0.0.0.0:0443\n", "tls.cfg:1:8: port must be a number from 1 to 65535");
	BAD("listen 0.0.0.0:\n", "tls.cfg:1:8: port must be a number from 1 to 65535");
	BAD("listen 256.0.0.0:443\n",
	    "tls.cfg:1:8: '256.0.0.0:443': expected IPv4-ADDRESS:PORT or [IPv6-ADDRESS]:PORT");
	BAD("listen ::1:443\n",
	    "tls.cfg:1:8: '::1:443': expected IPv4-ADDRESS:PORT or [IPv6-ADDRESS]:PORT");
	BAD("listen [::1:443\n",
	    "tls.cfg:1:8: '[::1:443': expected IPv4-ADDRESS:PORT or [IPv6-ADDRESS]:PORT");
	BAD("listen [::1]443\n", "tls.cfg:1:8: expected ':PORT' after the address");
	BAD("listen [0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:1\n",
	    "tls.cfg:1:8: address too long");
	/* Names. */
	BAD(L "cert w*.example.org /a.pem /a.key\n",
	    "tls.cfg:2:6: '*' must be the whole first label (*.example.org)");
	BAD(L "cert *.org /a.pem /a.key\n",
	    "tls.cfg:2:6: a wildcard needs two labels after '*.' (*.example.org)");
	BAD(L "cert * /a.pem /a.key\n",
	    "tls.cfg:2:6: '*' must be the whole first label (*.example.org)");
	BAD(L "cert a..b /a.pem /a.key\n",
	    "tls.cfg:2:6: host name labels are 1 to 63 bytes (no empty label)");
	BAD(L "cert a.com. /a.pem /a.key\n",
	    "tls.cfg:2:6: host name labels are 1 to 63 bytes (no empty label)");
	BAD(L "cert a.b/c /a.pem /a.key\n", "tls.cfg:2:6: byte '/' not allowed in a host name");
	BAD(L "cert a234567890123456789012345678901234567890123456789012345678901234.com /a /b\n",
	    "tls.cfg:2:6: host name labels are 1 to 63 bytes (no empty label)");
	/* Paths. */
	BAD(L "cert default /certs/../etc/key /c.key\n",
	    "tls.cfg:2:14: '..' is not allowed in a path");
	BAD(L "cert default .. /c.key\n", "tls.cfg:2:14: '..' is not allowed in a path");
	BAD(L "cert default /c.pem certs//c.key\n",
	    "tls.cfg:2:21: empty component in path (a '//' or a trailing '/')");
	BAD(L "cert default /c.pem /certs/\n",
	    "tls.cfg:2:21: empty component in path (a '//' or a trailing '/')");
	BAD(L C "client-ca /\n",
	    "tls.cfg:3:11: empty component in path (a '//' or a trailing '/')");
	/* ALPN lists. */
	BAD(L C "alpn h2,,http/1.1\n", "tls.cfg:3:9: a protocol name has 1 to 32 bytes");
	BAD(L C "alpn h2,\n", "tls.cfg:3:9: a protocol name has 1 to 32 bytes");
	BAD(L C "alpn ,h2\n", "tls.cfg:3:6: a protocol name has 1 to 32 bytes");
	BAD(L C "alpn h2,123456789012345678901234567890123\n",
	    "tls.cfg:3:9: a protocol name has 1 to 32 bytes");
	BAD(L C "alpn h2,http/1.1,h2\n", "tls.cfg:3:18: protocol 'h2' listed twice");
	BAD(L C "alpn a,b,c,d,e,f,g,h,i\n", "tls.cfg:3:22: more than 8 protocols");
}
END_TEST

START_TEST(test_errors_limits)
{
	BAD("limits\n", "tls.cfg:1:1: expected: limits KEY VALUE [KEY VALUE...]");
	BAD("limits max-conns\n", "tls.cfg:1:1: expected: limits KEY VALUE [KEY VALUE...]");
	BAD("limits max-conns 1 rate\n", "tls.cfg:1:20: expected: limits KEY VALUE [KEY VALUE...]");
	BAD("limits max-con 1\n",
	    "tls.cfg:1:8: 'max-con': expected max-conns, handshake-timeout, idle-timeout or rate");
	BAD("limits max-conns 1 max-conns 2\n",
	    "tls.cfg:1:20: 'max-conns' given twice before the first listen");
	BAD("limits rate 1/s\nlimits rate 2/s\n",
	    "tls.cfg:2:8: 'rate' given twice before the first listen");
	BAD(L C B "limits idle-timeout 1s\nlimits idle-timeout 2s\n",
	    "tls.cfg:5:8: 'idle-timeout' given twice in this listener");
	BAD("limits max-conns 1000001\n", "tls.cfg:1:18: expected a number from 0 to 1000000");
	BAD("limits max-conns -1\n", "tls.cfg:1:18: expected a number from 0 to 1000000");
	BAD("limits max-conns 01\n", "tls.cfg:1:18: expected a number from 0 to 1000000");
	BAD("limits handshake-timeout 0s\n",
	    "tls.cfg:1:26: expected a duration from 1ms to 24h (N ms, Nms, Ns, Nm or Nh)");
	BAD("limits handshake-timeout 25h\n",
	    "tls.cfg:1:26: expected a duration from 1ms to 24h (N ms, Nms, Ns, Nm or Nh)");
	BAD("limits handshake-timeout 10x\n",
	    "tls.cfg:1:26: expected a duration from 1ms to 24h (N ms, Nms, Ns, Nm or Nh)");
	BAD("limits idle-timeout s\n",
	    "tls.cfg:1:21: expected a duration from 1ms to 24h (N ms, Nms, Ns, Nm or Nh)");
	BAD("limits rate 100\n",
	    "tls.cfg:1:13: expected a rate N/s or N/m (N from 1 to 1000000) or off");
	BAD("limits rate 0/s\n",
	    "tls.cfg:1:13: expected a rate N/s or N/m (N from 1 to 1000000) or off");
	BAD("limits rate 5/h\n",
	    "tls.cfg:1:13: expected a rate N/s or N/m (N from 1 to 1000000) or off");
}
END_TEST

/* Counts are bounded: one over each limit is refused at the statement that crosses it. */
START_TEST(test_errors_counts)
{
	char *text = malloc(64 * 1024);
	size_t n = 0;

	ck_assert_ptr_nonnull(text);
	for (unsigned int i = 0; i <= TLSCONF_LISTENERS_MAX; i++)
		n += (size_t)sprintf(text + n, "listen 10.0.0.1:%u\n" C B, 1000 + i);
	bad_len(text, n, "tls.cfg:49:1: more than 16 listen blocks");
	n = (size_t)sprintf(text, L B);
	for (unsigned int i = 0; i <= TLSCONF_CERTS_MAX; i++)
		n += (size_t)sprintf(text + n, "cert h%u.example.com /a /b\n", i);
	bad_len(text, n, "tls.cfg:259:1: more than 256 certs in one listener");
	n = (size_t)sprintf(text, L C);
	for (unsigned int i = 0; i <= TLSCONF_BACKENDS_MAX; i++)
		n += (size_t)sprintf(text + n, "backend 10.0.0.1:%u\n", 1000 + i);
	bad_len(text, n, "tls.cfg:67:1: more than 64 backends in one listener");
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlsconf");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_errors_file);
	tcase_add_test(tc, test_errors_lexical);
	tcase_add_test(tc, test_errors_statements);
	tcase_add_test(tc, test_errors_values);
	tcase_add_test(tc, test_errors_limits);
	tcase_add_test(tc, test_errors_counts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
