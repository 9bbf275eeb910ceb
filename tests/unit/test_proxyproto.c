// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the PROXY protocol encoders (tls/proxyproto.c) against
 * the byte layouts of docs/proxy-protocol.md: every expected header below
 * is written out by hand from the layout, not produced by the code under
 * test. Runs in well under a second.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxyproto.h"

#define SIG 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A

static struct proxy_info v4(void)
{
	return (struct proxy_info){.family = 4,
				   .src = {192, 168, 0, 1},
				   .dst = {192, 168, 0, 11},
				   .sport = 56324,
				   .dport = 443};
}

static struct proxy_info v6(void)
{
	return (struct proxy_info){.family = 6,
				   .src = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01},
				   .dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
				   .sport = 65535,
				   .dport = 65535};
}

static void eq_bytes(const uint8_t *got, int n, const uint8_t *want, size_t wn)
{
	ck_assert_int_eq(n, (int)wn);
	for (size_t i = 0; i < wn; i++)
		ck_assert_msg(got[i] == want[i], "byte %zu: 0x%02x, want 0x%02x", i, got[i],
			      want[i]);
}

START_TEST(test_v1)
{
	uint8_t buf[PROXY_V1_MAX];
	struct proxy_info pi = v4();
	const char *want = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
	const char *want6 = "PROXY TCP6 2001:db8::1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
			    "65535 65535\r\n";
	int n = proxy_v1_encode(&pi, buf, sizeof(buf));

	eq_bytes(buf, n, (const uint8_t *)want, strlen(want));
	/* One byte short: refused, nothing half-written is claimed. */
	ck_assert_int_eq(proxy_v1_encode(&pi, buf, strlen(want) - 1), -ENOSPC);
	ck_assert_int_eq(proxy_v1_encode(&pi, buf, strlen(want)), (int)strlen(want));

	pi = v6();
	n = proxy_v1_encode(&pi, buf, sizeof(buf));
	eq_bytes(buf, n, (const uint8_t *)want6, strlen(want6));
	ck_assert_int_eq(n, 76);

	/* The longest TCP6 line: two 39-byte addresses, 104 bytes with the CRLF. */
	memset(pi.src, 0xff, 16);
	pi.src[1] = 0xfe;
	n = proxy_v1_encode(&pi, buf, sizeof(buf));
	ck_assert_int_eq(n, 104);

	/* An IPv4-mapped pair goes out as TCP4. */
	pi = v6();
	memset(pi.src, 0, 16);
	memset(pi.dst, 0, 16);
	pi.src[10] = pi.src[11] = pi.dst[10] = pi.dst[11] = 0xff;
	memcpy(pi.src + 12, (uint8_t[]){10, 0, 0, 1}, 4);
	memcpy(pi.dst + 12, (uint8_t[]){10, 0, 0, 2}, 4);
	pi.sport = 1;
	pi.dport = 443;
	n = proxy_v1_encode(&pi, buf, sizeof(buf));
	eq_bytes(buf, n, (const uint8_t *)"PROXY TCP4 10.0.0.1 10.0.0.2 1 443\r\n", 36);

	pi.family = 0;
	n = proxy_v1_encode(&pi, buf, sizeof(buf));
	eq_bytes(buf, n, (const uint8_t *)"PROXY UNKNOWN\r\n", 15);
}
END_TEST

START_TEST(test_v2_plain)
{
	uint8_t buf[PROXY_V2_MAX];
	struct proxy_info pi = v4();
	static const uint8_t want4[] = {
		SIG,  0x21, 0x11, 0x00, 0x0C,		  /* v2 PROXY, TCP4, 12 bytes */
		192,  168,  0,	  1,	192,  168, 0, 11, /* src, dst */
		0xDC, 0x04, 0x01, 0xBB,			  /* 56324, 443 */
	};
	static const uint8_t want6[] = {
		SIG,  0x21, 0x21, 0x00, 0x24, /* v2 PROXY, TCP6, 36 bytes: src, dst, ports */
		0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,	  0,	0,    0,    0,	  0,
		0,    0,    0,	  0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	static const uint8_t local[] = {SIG, 0x20, 0x00, 0x00, 0x00};
	int n = proxy_v2_encode(&pi, buf, sizeof(buf));

	eq_bytes(buf, n, want4, sizeof(want4));
	ck_assert_int_eq(proxy_v2_encode(&pi, buf, sizeof(want4) - 1), -ENOSPC);

	pi = v6();
	n = proxy_v2_encode(&pi, buf, sizeof(buf));
	ck_assert_int_eq(n, 16 + 36);
	eq_bytes(buf, n, want6, sizeof(want6)); /* ports 65535, 65535: the last four 0xff */

	/* Unknown family: LOCAL, UNSPEC, no address block; TLVs are not sent either. */
	pi.family = 0;
	pi.alpn = (const uint8_t *)"h2";
	pi.alpn_len = 2;
	n = proxy_v2_encode(&pi, buf, sizeof(buf));
	eq_bytes(buf, n, local, sizeof(local));
}
END_TEST

START_TEST(test_v2_tlvs)
{
	uint8_t buf[PROXY_V2_MAX];
	struct proxy_info pi = v4();
	static const uint8_t want[] = {
		SIG, 0x21, 0x11, 0x00, 0x4A, /* 12 + 5 + 14 + 43 = 74 = 0x4A */
		192, 168, 0, 1, 192, 168, 0, 11, 0xDC, 0x04, 0x01, 0xBB,
		/* ALPN "h2" */
		0x01, 0x00, 0x02, 'h', '2',
		/* AUTHORITY "example.com" */
		0x02, 0x00, 0x0B, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
		/* SSL: client 0x01|0x02|0x04, verify 0, VERSION "TLSv1.3", CIPHER */
		0x20, 0x00, 0x28, 0x07, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x07, 'T', 'L', 'S',
		'v', '1', '.', '3', 0x23, 0x00, 0x16, 'T', 'L', 'S', '_', 'A', 'E', 'S', '_', '1',
		'2', '8', '_', 'G', 'C', 'M', '_', 'S', 'H', 'A', '2', '5', '6'};
	int n;

	pi.alpn = (const uint8_t *)"h2";
	pi.alpn_len = 2;
	pi.authority = (const uint8_t *)"example.com";
	pi.authority_len = 11;
	pi.ssl = true;
	pi.ssl_client = PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS;
	pi.ssl_verify = 0;
	pi.ssl_version = "TLSv1.3";
	pi.ssl_cipher = "TLS_AES_128_GCM_SHA256";
	n = proxy_v2_encode(&pi, buf, sizeof(buf));
	eq_bytes(buf, n, want, sizeof(want));

	/* A failed verification, a CN, no cipher: verify in network order, sub-TLV 0x22. */
	pi.alpn_len = 0;
	pi.authority = NULL;
	pi.ssl_client = PP2_CLIENT_CERT_CONN;
	pi.ssl_verify = 0x01020304;
	pi.ssl_version = NULL;
	pi.ssl_cipher = NULL;
	pi.ssl_cn = "cli";
	n = proxy_v2_encode(&pi, buf, sizeof(buf));
	eq_bytes(buf + 12, 4, (const uint8_t[]){0x21, 0x11, 0x00, 12 + 3 + 11}, 4);
	eq_bytes(buf + 28, n - 28,
		 (const uint8_t[]){0x20, 0x00, 0x0B, 0x03, 0x01, 0x02, 0x03, 0x04, 0x22, 0x00, 0x03,
				   'c', 'l', 'i'},
		 14);

	/* Lengths beyond the 16-bit fields are refused before anything is written. */
	pi.ssl = false;
	pi.authority = (const uint8_t *)buf;
	pi.authority_len = 70000;
	ck_assert_int_eq(proxy_v2_encode(&pi, buf, sizeof(buf)), -EINVAL);
	pi.authority_len = 600; /* fits the field, not the buffer */
	ck_assert_int_eq(proxy_v2_encode(&pi, buf, sizeof(buf)), -ENOSPC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proxyproto");
	TCase *tc = tcase_create("encode");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_v1);
	tcase_add_test(tc, test_v2_plain);
	tcase_add_test(tc, test_v2_tlvs);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
