// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for kernel/lib/cmdline.c. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/cmdline.h"

static char buf[CMDLINE_MAX + 16];
static struct cmdline_kv kv[CMDLINE_MAX_KV + 1];
static unsigned int nkv;
static char err[256];

/* Tokenize a copy of @line into kv[]; returns the error code. */
static int tok(const char *line)
{
	snprintf(buf, sizeof(buf), "%s", line);
	memset(err, 'x', sizeof(err)); /* must be overwritten */
	return cmdline_tokenize(buf, kv, CMDLINE_MAX_KV, &nkv, err, sizeof(err));
}

static void tok_err(const char *line, int code, const char *msg)
{
	ck_assert_msg(tok(line) == code, "'%s' should fail with %d", line, code);
	ck_assert_str_eq(err, msg);
	ck_assert_uint_eq(nkv, 0);
}

static void assert_kv(unsigned int i, const char *key, const char *value)
{
	ck_assert_uint_lt(i, nkv);
	ck_assert_str_eq(kv[i].key, key);
	ck_assert_str_eq(kv[i].value, value);
}

START_TEST(test_tokenize_basic)
{
	ck_assert_int_eq(tok("a=1 b=two  c= d.e-f_g=x=y"), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(nkv, 4);
	assert_kv(0, "a", "1");
	assert_kv(1, "b", "two");
	assert_kv(2, "c", "");
	assert_kv(3, "d.e-f_g", "x=y");
}
END_TEST

START_TEST(test_tokenize_whitespace)
{
	ck_assert_int_eq(tok(" \t\na=1\t\tb=2\n"), 0);
	ck_assert_uint_eq(nkv, 2);
	assert_kv(0, "a", "1");
	assert_kv(1, "b", "2");
	ck_assert_int_eq(tok(""), 0);
	ck_assert_uint_eq(nkv, 0);
	ck_assert_int_eq(tok(" \t \n "), 0);
	ck_assert_uint_eq(nkv, 0);
}
END_TEST

START_TEST(test_tokenize_quotes)
{
	ck_assert_int_eq(tok("ip=\"10.0.0.2 255.255.255.0\" s='a\\\"b' e=\"\" f='' "
			     "g=x\"y z\" h='x'\"y\"z i=\"it's\" j='say \"hi\"'"),
			 0);
	ck_assert_uint_eq(nkv, 8);
	assert_kv(0, "ip", "10.0.0.2 255.255.255.0");
	assert_kv(1, "s", "a\\\"b"); /* single quotes: literal */
	assert_kv(2, "e", "");
	assert_kv(3, "f", "");
	assert_kv(4, "g", "xy z"); /* quote starting mid-value, like a shell word */
	assert_kv(5, "h", "xyz");
	assert_kv(6, "i", "it's");
	assert_kv(7, "j", "say \"hi\"");
}
END_TEST

START_TEST(test_tokenize_escapes)
{
	ck_assert_int_eq(tok("a=\"q\\\"q\" b=\"b\\\\s\" c=\"\\n\" d=x\\y e=\"\\\\\" f=\"t\ta\nb\""),
			 0);
	ck_assert_uint_eq(nkv, 6);
	assert_kv(0, "a", "q\"q");
	assert_kv(1, "b", "b\\s");
	assert_kv(2, "c", "\\n");  /* only \" and \\ are escapes */
	assert_kv(3, "d", "x\\y"); /* unquoted backslash is literal */
	assert_kv(4, "e", "\\");
	assert_kv(5, "f", "t\ta\nb"); /* blanks inside quotes are kept */
	ck_assert_int_eq(tok("u=\"\xc3\xa9t\xc3\xa9\" v=\xe2\x82\xac"), 0); /* UTF-8 passes */
	assert_kv(0, "u", "\xc3\xa9t\xc3\xa9");
	assert_kv(1, "v", "\xe2\x82\xac");
}
END_TEST

START_TEST(test_tokenize_errors)
{
	tok_err("ip=\"10.0.0.1", -EINVAL, "key 'ip': unterminated quote");
	tok_err("a=1 x='abc", -EINVAL, "key 'x': unterminated quote");
	tok_err("a=\"abc\\\"", -EINVAL, "key 'a': unterminated quote");
	tok_err("ab=12 foo", -EINVAL, "column 7: expected key=value");
	tok_err("ab=12 foo bar=1", -EINVAL, "column 7: expected key=value");
	tok_err("1a=2", -EINVAL, "column 1: invalid key");
	tok_err("a=1 =x", -EINVAL, "column 5: invalid key");
	tok_err("a$b=1", -EINVAL, "column 1: invalid key");
	tok_err("_a=1", -EINVAL, "column 1: invalid key");
	tok_err("a=1 \"b\"=2", -EINVAL, "column 5: invalid key");
	tok_err("a=1 k\xc3\xa9y=2", -EINVAL, "column 5: invalid key");
	tok_err("a=x\x01y", -EINVAL, "key 'a': invalid character 0x01 at column 4");
	tok_err("a=\"x\x1b[2J\"", -EINVAL, "key 'a': invalid character 0x1b at column 5");
	tok_err("a=1\r", -EINVAL, "key 'a': invalid character 0x0d at column 4");
	tok_err("a=1 \x7f", -EINVAL, "column 5: invalid character 0x7f");
	tok_err("a=1 bb\x7f=2", -EINVAL, "column 7: invalid character 0x7f");
}
END_TEST

START_TEST(test_tokenize_key_length)
{
	char line[128];

	memset(line, 'k', CMDLINE_KEY_MAX);
	strcpy(line + CMDLINE_KEY_MAX, "=1");
	ck_assert_int_eq(tok(line), 0);
	ck_assert_uint_eq(strlen(kv[0].key), CMDLINE_KEY_MAX);
	memset(line, 'k', CMDLINE_KEY_MAX + 1);
	strcpy(line + CMDLINE_KEY_MAX + 1, "=1");
	tok_err(line, -EINVAL, "column 1: key too long (max 48 bytes)");
}
END_TEST

START_TEST(test_tokenize_too_many)
{
	char line[CMDLINE_MAX];
	size_t len = 0;

	for (unsigned int i = 0; i < CMDLINE_MAX_KV; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "k%u=%u ", i, i);
	ck_assert_int_eq(tok(line), 0);
	ck_assert_uint_eq(nkv, CMDLINE_MAX_KV);
	assert_kv(63, "k63", "63");
	snprintf(line + len, sizeof(line) - len, "k64=64");
	ck_assert_int_eq(tok(line), -E2BIG);
	ck_assert_uint_eq(nkv, 0);
	char msg[64];

	snprintf(msg, sizeof(msg), "column %zu: too many pairs (max 64)", len + 1);
	ck_assert_str_eq(err, msg);

	/* A smaller @max is honoured too. */
	snprintf(buf, sizeof(buf), "a=1 b=2 c=3");
	ck_assert_int_eq(cmdline_tokenize(buf, kv, 2, &nkv, err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "column 9: too many pairs (max 2)");
}
END_TEST

START_TEST(test_tokenize_line_length)
{
	static char line[CMDLINE_MAX + 1];

	memset(line, ' ', CMDLINE_MAX);
	memcpy(line, "a=", 2);
	memset(line + 2, 'v', CMDLINE_MAX - 3);
	line[CMDLINE_MAX - 1] = '\0'; /* 4095 bytes + NUL: the maximum */
	ck_assert_int_eq(cmdline_tokenize(line, kv, CMDLINE_MAX_KV, &nkv, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(kv[0].value), CMDLINE_MAX - 3);
	memset(line, 'a', CMDLINE_MAX);
	memcpy(line, "a=", 2);
	line[CMDLINE_MAX] = '\0'; /* one byte too long */
	ck_assert_int_eq(cmdline_tokenize(line, kv, CMDLINE_MAX_KV, &nkv, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "line too long (max 4095 bytes)");
}
END_TEST

START_TEST(test_tokenize_err_buffer)
{
	char small[8];

	snprintf(buf, sizeof(buf), "ip=\"x");
	ck_assert_int_eq(cmdline_tokenize(buf, kv, 4, &nkv, NULL, 0), -EINVAL);
	snprintf(buf, sizeof(buf), "ip=\"x");
	ck_assert_int_eq(cmdline_tokenize(buf, kv, 4, &nkv, small, sizeof(small)), -EINVAL);
	ck_assert_str_eq(small, "key 'ip"); /* truncated, NUL-terminated */
	snprintf(buf, sizeof(buf), "a=1");
	ck_assert_int_eq(cmdline_tokenize(buf, kv, 4, &nkv, small, sizeof(small)), 0);
	ck_assert_str_eq(small, "");
}
END_TEST

START_TEST(test_parse_u64)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
		{"0", 0, 0},
		{"42", 0, 42},
		{"007", 0, 7}, /* not octal */
		{"000000000000000000000000000001", 0, 1},
		{"18446744073709551615", 0, UINT64_MAX},
		{"18446744073709551616", -ERANGE, 0},
		{"99999999999999999999", -ERANGE, 0},
		{"0x0", 0, 0},
		{"0X1F", 0, 31},
		{"0xAbC", 0, 0xabc},
		{"0xffffffffffffffff", 0, UINT64_MAX},
		{"0x0000000000000000000000ff", 0, 0xff},
		{"0x10000000000000000", -ERANGE, 0},
		{"", -EINVAL, 0},
		{"0x", -EINVAL, 0},
		{"12x", -EINVAL, 0},
		{"99999999999999999999x", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"+1", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1 ", -EINVAL, 0},
		{"1f", -EINVAL, 0},
		{"0xg", -EINVAL, 0},
		{"1k", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int rc = cmdline_parse_u64(cases[i].s, &v);

		ck_assert_msg(rc == cases[i].rc, "'%s': rc %d, want %d", cases[i].s, rc,
			      cases[i].rc);
		ck_assert_msg(v == (rc ? 12345 : cases[i].v), "'%s': value %llu", cases[i].s,
			      (unsigned long long)v);
	}
}
END_TEST

/* Option tables shared by the apply tests. */
static uint64_t mem, n_opt, port;
static bool debug;
static char hostname[16], ip[32];
static char calls[256];
static int fn_calls;

static int console_fn(const char *value, void *ctx, char *e, size_t elen)
{
	fn_calls++;
	if (strcmp(value, "bad") == 0) {
		snprintf(e, elen, "no console named '%s'", value);
		return -ENODEV;
	}
	strncat(calls, (const char *)ctx, sizeof(calls) - strlen(calls) - 1);
	strncat(calls, value, sizeof(calls) - strlen(calls) - 1);
	strncat(calls, ";", sizeof(calls) - strlen(calls) - 1);
	return 0;
}

static int silent_fn(const char *value, void *ctx, char *e, size_t elen)
{
	(void)value, (void)ctx, (void)e, (void)elen;
	fn_calls++;
	return -EINVAL;
}

static const struct cmdline_opt kernel_opts[] = {
	{.key = "mem", .type = CMDLINE_U64, .dst = &mem, .min = 1, .max = 1ULL << 40},
	{.key = "n", .type = CMDLINE_U64, .dst = &n_opt, .min = 1, .max = 10},
	{.key = "debug", .type = CMDLINE_BOOL, .dst = &debug},
	{.key = "hostname", .type = CMDLINE_STR, .dst = hostname, .dst_size = sizeof(hostname)},
	{.key = "console", .type = CMDLINE_FUNC, .fn = console_fn, .ctx = "c:", .repeat = true},
	{.key = "once", .type = CMDLINE_FUNC, .fn = console_fn, .ctx = "o:"},
	{.key = "silent", .type = CMDLINE_FUNC, .fn = silent_fn},
	{.key = "broken", .type = CMDLINE_STR, .dst = hostname, .dst_size = 0},
	{.key = NULL},
};

static const struct cmdline_opt app_opts[] = {
	{.key = "ip", .type = CMDLINE_STR, .dst = ip, .dst_size = sizeof(ip)},
	{.key = "port", .type = CMDLINE_U64, .dst = &port, .min = 1, .max = 65535},
	{.key = "mem", .type = CMDLINE_U64, .dst = &port, .min = 0, .max = 0}, /* shadowed */
	{.key = NULL},
};

static const struct cmdline_opt *const tables[] = {kernel_opts, app_opts, NULL};

static void reset(void)
{
	mem = n_opt = port = 0xdead;
	debug = false;
	strcpy(hostname, "orig");
	strcpy(ip, "orig");
	calls[0] = '\0';
	fn_calls = 0;
}

static void assert_untouched(void)
{
	ck_assert_uint_eq(mem, 0xdead);
	ck_assert_uint_eq(n_opt, 0xdead);
	ck_assert_uint_eq(port, 0xdead);
	ck_assert(!debug);
	ck_assert_str_eq(hostname, "orig");
	ck_assert_str_eq(ip, "orig");
}

/* Tokenize and apply @line; returns the apply result (tokenizing must work). */
static int apply(const char *line)
{
	reset();
	ck_assert_msg(tok(line) == 0, "tokenize '%s': %s", line, err);
	memset(err, 'x', sizeof(err));
	return cmdline_apply(kv, nkv, tables, err, sizeof(err));
}

static void apply_err(const char *line, const char *msg)
{
	ck_assert_msg(apply(line) == -EINVAL, "'%s' should be refused", line);
	ck_assert_str_eq(err, msg);
	assert_untouched();
}

START_TEST(test_apply_ok)
{
	ck_assert_int_eq(apply("mem=0x40000000 n=10 debug=on hostname='my host' ip=10.0.0.2 "
			       "port=443"),
			 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(mem, 0x40000000);
	ck_assert_uint_eq(n_opt, 10);
	ck_assert(debug);
	ck_assert_str_eq(hostname, "my host");
	ck_assert_str_eq(ip, "10.0.0.2");
	ck_assert_uint_eq(port, 443);
	/* Empty input is fine and touches nothing. */
	ck_assert_int_eq(apply(""), 0);
	assert_untouched();
}
END_TEST

START_TEST(test_apply_first_table_wins)
{
	ck_assert_int_eq(apply("mem=5"), 0);
	ck_assert_uint_eq(mem, 5);
	ck_assert_uint_eq(port, 0xdead);
}
END_TEST

START_TEST(test_apply_unknown_and_duplicate)
{
	apply_err("mem=1 foo=bar", "unknown key 'foo'");
	apply_err("Mem=1", "unknown key 'Mem'"); /* keys are case sensitive */
	apply_err("mem=1 n=2 mem=3", "key 'mem': duplicate");
	apply_err("ip=a ip=a", "key 'ip': duplicate");
	apply_err("once=a once=b", "key 'once': duplicate");
	ck_assert_int_eq(fn_calls, 0);
}
END_TEST

START_TEST(test_apply_u64_errors)
{
	apply_err("mem=12x", "key 'mem': value '12x' is not a number");
	apply_err("mem=", "key 'mem': value '' is not a number");
	apply_err("mem=-1", "key 'mem': value '-1' is not a number");
	apply_err("mem=99999999999999999999", "key 'mem': value '99999999999999999999' does not "
					      "fit in 64 bits");
	apply_err("n=99", "key 'n': value 99 out of range [1, 10]");
	apply_err("n=0", "key 'n': value 0 out of range [1, 10]");
	apply_err("n=0xb", "key 'n': value 11 out of range [1, 10]");
	apply_err("mem=0x10000000001", "key 'mem': value 1099511627777 out of range [1, "
				       "1099511627776]");
	ck_assert_int_eq(apply("n=1 mem=1099511627776 port=0xffff"), 0);
	ck_assert_uint_eq(n_opt, 1);
	ck_assert_uint_eq(mem, 1ULL << 40);
	ck_assert_uint_eq(port, 65535);
}
END_TEST

START_TEST(test_apply_long_value_echo)
{
	char line[200], msg[200];

	memset(line, 0, sizeof(line));
	strcpy(line, "mem=");
	memset(line + 4, '9', 100);
	line[104] = 'z';
	ck_assert_int_eq(apply(line), -EINVAL);
	/* The echoed value is capped so the message stays readable. */
	snprintf(msg, sizeof(msg), "key 'mem': value '%.64s' is not a number", line + 4);
	ck_assert_str_eq(err, msg);
}
END_TEST

START_TEST(test_apply_bool)
{
	static const char *const yes[] = {"1", "yes", "on", "true", "YES", "True", "oN"};
	static const char *const no[] = {"0", "no", "off", "false", "NO", "False"};
	char line[64];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(line, sizeof(line), "debug=%s", yes[i]);
		ck_assert_int_eq(apply(line), 0);
		ck_assert_msg(debug, "%s", line);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(line, sizeof(line), "debug=%s", no[i]);
		reset();
		debug = true;
		ck_assert_int_eq(tok(line), 0);
		ck_assert_int_eq(cmdline_apply(kv, nkv, tables, err, sizeof(err)), 0);
		ck_assert_msg(!debug, "%s", line);
	}
	apply_err("debug=maybe", "key 'debug': value 'maybe' is not a boolean (1/0, yes/no, "
				 "on/off, true/false)");
	apply_err("debug=", "key 'debug': value '' is not a boolean (1/0, yes/no, on/off, "
			    "true/false)");
	apply_err("debug=2", "key 'debug': value '2' is not a boolean (1/0, yes/no, on/off, "
			     "true/false)");
	apply_err("debug=yess", "key 'debug': value 'yess' is not a boolean (1/0, yes/no, "
				"on/off, true/false)");
}
END_TEST

START_TEST(test_apply_str)
{
	ck_assert_int_eq(apply("hostname=123456789012345"), 0); /* 15 bytes + NUL fit */
	ck_assert_str_eq(hostname, "123456789012345");
	apply_err("hostname=1234567890123456", "key 'hostname': value too long (max 15 bytes)");
	ck_assert_int_eq(apply("hostname="), 0);
	ck_assert_str_eq(hostname, "");
	apply_err("broken=x", "key 'broken': bad option table entry");
}
END_TEST

START_TEST(test_apply_func_repeat)
{
	ck_assert_int_eq(apply("console=hvc0 mem=3 console=ttyS0 once=x console=vga"), 0);
	ck_assert_str_eq(calls, "c:hvc0;c:ttyS0;o:x;c:vga;");
	ck_assert_int_eq(fn_calls, 4);
	ck_assert_uint_eq(mem, 3);
}
END_TEST

START_TEST(test_apply_nothing_stored_on_error)
{
	/* The bad pair comes last: nothing before it may be stored or called. */
	apply_err("mem=1 n=2 debug=1 hostname=h ip=i port=3 console=c n=3", "key 'n': duplicate");
	ck_assert_int_eq(fn_calls, 0);
	apply_err("console=c mem=1 hostname=h port=70000",
		  "key 'port': value 70000 out of range [1, 65535]");
	ck_assert_int_eq(fn_calls, 0);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(test_apply_func_failure)
{
	/* A failing callback: the plain values are not stored either. */
	ck_assert_int_eq(apply("mem=7 console=ok hostname=h console=bad console=never"), -ENODEV);
	ck_assert_str_eq(err, "key 'console': no console named 'bad'");
	ck_assert_str_eq(calls, "c:ok;"); /* earlier callbacks ran, later ones did not */
	ck_assert_int_eq(fn_calls, 2);
	assert_untouched();
	/* A callback that gives no reason still gets a message naming the key. */
	ck_assert_int_eq(apply("silent=1"), -EINVAL);
	ck_assert_str_eq(err, "key 'silent': rejected (error -22)");
}
END_TEST

START_TEST(test_apply_no_tables)
{
	static const struct cmdline_opt *const none[] = {NULL};

	reset();
	ck_assert_int_eq(tok("a=1"), 0);
	ck_assert_int_eq(cmdline_apply(kv, nkv, none, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "unknown key 'a'");
	ck_assert_int_eq(cmdline_apply(kv, nkv, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(cmdline_apply(kv, nkv, NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(cmdline_apply(kv, 0, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_end_to_end)
{
	ck_assert_int_eq(apply("  ip=\"10.0.0.2\"\tport='8080' hostname=\"web \\\"1\\\"\"\n"), 0);
	ck_assert_str_eq(ip, "10.0.0.2");
	ck_assert_uint_eq(port, 8080);
	ck_assert_str_eq(hostname, "web \"1\"");
}
END_TEST

static Suite *cmdline_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tt = tcase_create("tokenize");
	TCase *ta = tcase_create("apply");

	tcase_add_test(tt, test_tokenize_basic);
	tcase_add_test(tt, test_tokenize_whitespace);
	tcase_add_test(tt, test_tokenize_quotes);
	tcase_add_test(tt, test_tokenize_escapes);
	tcase_add_test(tt, test_tokenize_errors);
	tcase_add_test(tt, test_tokenize_key_length);
	tcase_add_test(tt, test_tokenize_too_many);
	tcase_add_test(tt, test_tokenize_line_length);
	tcase_add_test(tt, test_tokenize_err_buffer);
	tcase_add_test(tt, test_parse_u64);
	suite_add_tcase(s, tt);
	tcase_add_test(ta, test_apply_ok);
	tcase_add_test(ta, test_apply_first_table_wins);
	tcase_add_test(ta, test_apply_unknown_and_duplicate);
	tcase_add_test(ta, test_apply_u64_errors);
	tcase_add_test(ta, test_apply_long_value_echo);
	tcase_add_test(ta, test_apply_bool);
	tcase_add_test(ta, test_apply_str);
	tcase_add_test(ta, test_apply_func_repeat);
	tcase_add_test(ta, test_apply_nothing_stored_on_error);
	tcase_add_test(ta, test_apply_func_failure);
	tcase_add_test(ta, test_apply_no_tables);
	tcase_add_test(ta, test_end_to_end);
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cmdline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
