// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for kernel/lib/numparse.c and the IPv6 text of kernel/lib/inaddr.c. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/inaddr.h"
#include "sluice/numparse.h"

struct ncase {
	const char *s;
	unsigned int flags;
	int rc;
	uint64_t v;
};

static void run(const struct ncase *c, size_t n,
		int (*fn)(const char *, size_t, unsigned int, uint64_t *))
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		int rc = fn(c[i].s, strlen(c[i].s), c[i].flags, &v);

		ck_assert_msg(rc == c[i].rc, "'%s': rc %d, want %d", c[i].s, rc, c[i].rc);
		ck_assert_msg(v == (rc ? 12345 : c[i].v), "'%s': value %llu", c[i].s,
			      (unsigned long long)v);
	}
}

START_TEST(test_dec)
{
	static const struct ncase c[] = {
		{"0", NUM_CANONICAL, 0, 0},
		{"42", NUM_CANONICAL, 0, 42},
		{"007", 0, 0, 7},
		{"007", NUM_CANONICAL, -EINVAL, 0},
		{"00", NUM_CANONICAL, -EINVAL, 0},
		{"18446744073709551615", NUM_CANONICAL, 0, UINT64_MAX},
		{"18446744073709551616", 0, -ERANGE, 0},
		{"99999999999999999999x", 0, -EINVAL, 0}, /* syntax before range */
		{"", 0, -EINVAL, 0},
		{"-1", 0, -EINVAL, 0},
		{"+1", 0, -EINVAL, 0},
		{" 1", 0, -EINVAL, 0},
		{"1\n", 0, -EINVAL, 0},
		{"1f", 0, -EINVAL, 0},
	};

	run(c, sizeof(c) / sizeof(c[0]), num_parse_dec);
}
END_TEST

START_TEST(test_hex)
{
	static const struct ncase c[] = {
		{"0", 0, 0, 0},
		{"AbC", 0, 0, 0xabc},
		{"ffffffffffffffff", 0, 0, UINT64_MAX},
		{"0000000000000000000000ff", 0, 0, 0xff},
		{"0ff", NUM_CANONICAL, -EINVAL, 0},
		{"10000000000000000", 0, -ERANGE, 0},
		{"", 0, -EINVAL, 0},
		{"0x1", 0, -EINVAL, 0}, /* no prefix: the caller strips it */
		{"g", 0, -EINVAL, 0},
	};

	run(c, sizeof(c) / sizeof(c[0]), num_parse_hex);
}
END_TEST

/* Only the bytes given count, so a number can be parsed in place. */
START_TEST(test_len_bounds)
{
	uint64_t v = 0;

	ck_assert_int_eq(num_parse_dec("123abc", 3, 0, &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(num_parse_dec(NULL, 0, 0, &v), -EINVAL);
	ck_assert_int_eq(num_hexval('F'), 15);
	ck_assert_int_eq(num_hexval('g'), -1);
}
END_TEST

START_TEST(test_format6)
{
	static const struct {
		const char *in, *out;
	} c[] = {
		{"::", "::"},
		{"::1", "::1"},
		{"2001:DB8:0:0:0:0:2:1", "2001:db8::2:1"},
		{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one zero group stays */
		{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},	  /* the longest run */
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},	  /* the first of equals */
		{"fe80::0001", "fe80::1"},
		{"1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	};
	uint8_t a[16];
	char buf[INADDR6_STRLEN], small[6];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *end = inaddr_parse6(c[i].in, a);

		ck_assert_msg(end && *end == '\0', "parse '%s'", c[i].in);
		inaddr_format6(a, buf, sizeof(buf));
		ck_assert_str_eq(buf, c[i].out);
		/* And back: the text parses to the same address. */
		uint8_t b[16];
		ck_assert(inaddr_parse6(buf, b) && memcmp(a, b, 16) == 0);
	}
	/* Truncated, but always terminated. */
	inaddr_format6(a, small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

static Suite *numparse_suite(void)
{
	Suite *s = suite_create("numparse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dec);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_len_bounds);
	tcase_add_test(tc, test_format6);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(numparse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
