// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the firewall rule compiler's limits and hostile input:
 * every limit fails cleanly with its message, every memory budget either
 * compiles or fails with -ENOMEM and leaks nothing, and huge lines, brace
 * nesting, a million rules and random bytes never crash (ASan/UBSan).
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwtest.h"
#include "rules_int.h"
#include "sluice/fwrules.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A text of @n lines, each @line. */
static char *repeat(const char *line, size_t n, size_t *len)
{
	size_t l = strlen(line);
	char *t = malloc(n * l + 32);

	ck_assert_ptr_nonnull(t);
	memcpy(t, "policy drop\n", 12);
	for (size_t i = 0; i < n; i++)
		memcpy(t + 12 + i * l, line, l);
	*len = 12 + n * l;
	return t;
}

START_TEST(test_million_rules)
{
	size_t len;
	char *t = repeat("drop\n", 1000000, &len);
	char msg[256];

	ck_assert_int_eq(fwt_compile_err(t, len, NULL, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:65538:1: too many rules (max 65536)");
	free(t);
}
END_TEST

START_TEST(test_limits)
{
	struct fw_limits lim = fw_default_limits;
	char msg[256], text[512];
	size_t len;
	char *t;

	lim.max_rules = 3;
	t = repeat("accept\n", 4, &len);
	ck_assert_int_eq(fwt_compile_err(t, len, &lim, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:5:1: too many rules (max 3)");
	lim = fw_default_limits;
	lim.max_text = len - 1;
	ck_assert_int_eq(fwt_compile_err(t, len, &lim, msg, sizeof(msg)), -E2BIG);
	snprintf(text, sizeof(text), "rules: rules too large (%zu bytes, max %zu)", len, len - 1);
	ck_assert_str_eq(msg, text);
	lim = fw_default_limits;
	lim.max_lines = 2;
	ck_assert_int_eq(fwt_compile_err(t, len, &lim, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:3:1: too many lines (max 2)");
	free(t);

	lim = fw_default_limits;
	lim.max_set_elems = 2;
	snprintf(text, sizeof(text), "policy drop\nset a { 1, 2 }\ntcp dport { 1, 2, 3 } drop\n");
	ck_assert_int_eq(fwt_compile_err(text, strlen(text), &lim, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:3:19: set has too many elements (max 2)");
	lim = fw_default_limits;
	lim.max_elems = 4;
	ck_assert_int_eq(fwt_compile_err(text, strlen(text), &lim, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:3:19: too many set elements (max 4 in all sets)");
	lim = fw_default_limits;
	lim.max_sets = 1;
	snprintf(text, sizeof(text), "policy drop\nset a { 1 }\nset b { 2 }\n");
	ck_assert_int_eq(fwt_compile_err(text, strlen(text), &lim, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:3:5: too many sets (max 1)");
	lim = fw_default_limits;
	lim.max_matches = 2;
	snprintf(text, sizeof(text), "policy drop\niif net0 iif net1 iif net2 accept\n");
	ck_assert_int_eq(fwt_compile_err(text, strlen(text), &lim, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:2:19: too many matches in one rule (max 2)");
}
END_TEST

START_TEST(test_memory_budget)
{
	struct fw_limits lim = fw_default_limits;
	char msg[256];
	size_t len;
	char *t = repeat("ip saddr 10.1.2.0/24 tcp dport { 1, 2, 3, 4 } accept\n", 20000, &len);

	lim.max_mem = 1 << 20;
	ck_assert_int_eq(fwt_compile_err(t, len, &lim, msg, sizeof(msg)), -ENOMEM);
	ck_assert_str_eq(msg, "rules: rules need more memory than allowed (1024 KiB)");
	/* Every budget size fails cleanly or succeeds: no partial state, no leak (ASan). */
	for (size_t mem = 0; mem < (256u << 10); mem += 7919) {
		lim.max_mem = mem;
		int rc = fwt_compile_err(t, 12 + 53 * 40, &lim, msg, sizeof(msg));

		ck_assert_msg(rc == 0 || rc == -ENOMEM, "budget %zu: %d %s", mem, rc, msg);
	}
	free(t);
}
END_TEST

START_TEST(test_huge_line)
{
	size_t n = 1 << 20;
	char *t = malloc(n + 32);
	char msg[256];

	memcpy(t, "policy drop\n", 12);
	memset(t + 12, 'a', n);
	ck_assert_int_eq(fwt_compile_err(t, n + 12, NULL, msg, sizeof(msg)), -E2BIG);
	ck_assert_str_eq(msg, "rules:2:4097: line too long (max 4096 bytes)");
	/* One long word within the line limit: echoed truncated. */
	memcpy(t + 12, "tcp dport ", 10);
	memset(t + 22, '9', 4000);
	ck_assert_int_eq(fwt_compile_err(t, 4022, NULL, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "rules:2:11: port 999999999999999999999999999999999999999999999999 "
			      "out of range");
	free(t);
}
END_TEST

START_TEST(test_deep_nesting)
{
	char t[4200];
	char msg[256];

	memcpy(t, "policy drop\ntcp dport ", 22);
	memset(t + 22, '{', 4000);
	ck_assert_int_eq(fwt_compile_err(t, 4022, NULL, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "rules:2:12: nested sets are not supported");
	memset(t + 12, '}', 4000);
	ck_assert_int_eq(fwt_compile_err(t, 4012, NULL, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "rules:2:1: unexpected '}'");
	memset(t + 12, '(', 4000);
	ck_assert_int_eq(fwt_compile_err(t, 4012, NULL, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "rules:2:1: unexpected '('");
}
END_TEST

/* Random token soup and random byte mutations of the example: never a crash. */
START_TEST(test_fuzz)
{
	static const char *const vocab[] = {
		"policy",  "drop",  "accept", "reject", "with",	    "tcp",	  "udp",
		"dport",   "sport", "ip",     "ip6",	"saddr",    "daddr",	  "{",
		"}",	   ",",	    "@a",     "set",	"a",	    "10.0.0.0/8", "::1",
		"22",	   "1-2",   "!=",     "<",	"flags",    "syn",	  "!",
		"&",	   "(",	    ")",      "|",	"==",	    "ct",	  "state",
		"new",	   "log",   "prefix", "\"x\"",	"limit",    "rate",	  "1/second",
		"counter", "icmp",  "type",   "8",	"\n",	    "\n",	  "#",
		"iif",	   "net0",  "vlan",   "id",	"meta",	    "l4proto",	  "th",
		"over",	   "burst", "reset",  "icmpx",	"no-route", "\r\n",
	};
	char text[2048];
	size_t elen = strlen(fwt_example);

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;
		int ntok = (int)(rnd() % 40);
		struct fw_ruleset *rs;
		struct fw_error e;
		int rc;

		if (iter % 2) {
			for (int k = 0; k < ntok; k++)
				len += (size_t)snprintf(text + len, sizeof(text) - len, "%s ",
							vocab[rnd() % ARRAY_SIZE(vocab)]);
		} else {
			memcpy(text, fwt_example, elen);
			len = elen;
			for (int k = 0; k < 1 + (int)(rnd() % 4); k++)
				text[rnd() % len] = (char)(rnd() & 0xff);
		}
		rc = fw_compile(text, len, &rs, &e);
		ck_assert_msg(rc == 0 || rc == -EINVAL || rc == -E2BIG, "rc %d", rc);
		if (rc == 0) {
			fw_ruleset_free(rs);
		} else {
			ck_assert(strlen(e.msg) > 0);
			ck_assert(e.line == 0 || e.col >= 1);
		}
	}
}
END_TEST

static Suite *fwlimits_suite(void)
{
	Suite *s = suite_create("fwlimits");
	TCase *th = tcase_create("hostile");

	tcase_set_timeout(th, 120);
	tcase_add_test(th, test_million_rules);
	tcase_add_test(th, test_limits);
	tcase_add_test(th, test_memory_budget);
	tcase_add_test(th, test_huge_line);
	tcase_add_test(th, test_deep_nesting);
	tcase_add_test(th, test_fuzz);
	suite_add_tcase(s, th);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fwlimits_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
