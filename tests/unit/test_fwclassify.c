// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the firewall classifier: verdict tables over every match
 * kind, first-match order across the index, limits on a fake clock,
 * counters and logs, and state carry-over between rulesets. The lookup
 * structures and the index are tested in test_fwindex.c.
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
#define POLICY FW_RULE_POLICY
#define SYN 0x02
#define ACK 0x10

static const char table_rules[] =
	"policy drop\n"
	"set web { 80, 443, 8080-8090 }\n"
	"set admins { 10.0.0.0/8, 192.168.1.7, 2001:db8::/32 }\n"
	"set lan { net0, net2 }\n"
	"ct state established,related accept\n"				     /* 0 */
	"ct state invalid drop\n"					     /* 1 */
	"iif net1 oif net0 ip saddr @admins tcp dport 22 accept\n"	     /* 2 */
	"ip saddr 10.0.0.0/8 tcp dport { 22, 80, 443 } accept\n"	     /* 3 */
	"ip6 daddr 2001:db8::/32 udp dport 53 accept\n"			     /* 4 */
	"icmp type echo-request accept\n"				     /* 5 */
	"icmpv6 type { echo-request, nd-neighbor-solicit } accept\n"	     /* 6 */
	"tcp flags syn,!ack tcp dport 8000 accept\n"			     /* 7 */
	"ether type arp accept\n"					     /* 8 */
	"vlan id 10 drop\n"						     /* 9 */
	"meta l4proto { tcp, udp } th dport 5353 accept\n"		     /* 10 */
	"ip protocol gre drop\n"					     /* 11 */
	"ip saddr != 10.0.0.0/8 tcp dport 25 reject\n"			     /* 12 */
	"tcp dport 23 reject with tcp reset\n"				     /* 13 */
	"tcp dport @web accept\n"					     /* 14 */
	"iif @lan udp dport 1000-2000 accept\n"				     /* 15 */
	"ip daddr 0.0.0.0/0 udp dport 9 drop\n"				     /* 16 */
	"ip6 saddr ::/0 udp dport 9 accept\n"				     /* 17 */
	"ip daddr 192.0.2.1/32 accept\n"				     /* 18 */
	"ip6 daddr 2001:db8:1::1/128 accept\n"				     /* 19 */
	"tcp dport < 1024 reject with icmp type admin-prohibited\n"	     /* 20 */
	"ip6 saddr 2001:db8:ff::/127 tcp dport 7000 accept\n"		     /* 21 */
	"tcp flags & (fin|syn|rst) == fin|syn drop\n"			     /* 22 */
	"ip saddr { 172.16.0.0/12, 198.51.100.7 } udp dport != 53 accept\n"; /* 23 */

struct vcase {
	const char *name;
	struct pspec p;
	uint8_t ct;
	uint32_t oif;
	uint8_t action;
	uint32_t rule;
};

#define NEW FW_CT_NEW
#define V4(s, d, pr, sp, dp) .src = s, .dst = d, .proto = pr, .sport = sp, .dport = dp
#define NONE FW_IF_NONE

static const struct vcase vcases[] = {
	{"established",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 9999)},
	 FW_CT_ESTABLISHED,
	 NONE,
	 FW_ACCEPT,
	 0},
	{"related", {V4("1.2.3.4", "5.6.7.8", 1, 0, 0)}, FW_CT_RELATED, NONE, FW_ACCEPT, 0},
	{"invalid", {V4("1.2.3.4", "5.6.7.8", 6, 1, 22)}, FW_CT_INVALID, NONE, FW_DROP, 1},
	{"no ct state", {V4("1.2.3.4", "5.6.7.8", 6, 1, 9999)}, 0, NONE, FW_DROP, POLICY},
	{"admin, oif unknown",
	 {V4("10.1.2.3", "5.6.7.8", 6, 1, 22), .iif = 1},
	 NEW,
	 NONE,
	 FW_ACCEPT,
	 3},
	{"admin, oif net0", {V4("10.1.2.3", "5.6.7.8", 6, 1, 22), .iif = 1}, NEW, 0, FW_ACCEPT, 2},
	{"admin host", {V4("192.168.1.7", "5.6.7.8", 6, 1, 22), .iif = 1}, NEW, 0, FW_ACCEPT, 2},
	{"admin wrong iif",
	 {V4("192.168.1.7", "5.6.7.8", 6, 1, 22), .iif = 0},
	 NEW,
	 0,
	 FW_REJECT,
	 20},
	{"not admin", {V4("192.168.1.8", "5.6.7.8", 6, 1, 22), .iif = 1}, NEW, 0, FW_REJECT, 20},
	{"v6 admin (ip saddr is IPv4)",
	 {V4("2001:db8::5", "::1", 6, 1, 22), .iif = 1},
	 NEW,
	 0,
	 FW_REJECT,
	 20},
	{"v6 dns", {V4("::1", "2001:db8:ffff::1", 17, 1, 53)}, NEW, NONE, FW_ACCEPT, 4},
	{"v6 dns outside", {V4("::1", "2001:db9::", 17, 1, 53)}, NEW, NONE, FW_DROP, POLICY},
	{"v6 dns over tcp", {V4("::1", "2001:db8::1", 6, 1, 53)}, NEW, NONE, FW_REJECT, 20},
	{"ping", {V4("1.2.3.4", "5.6.7.8", 1, 0, 0), .icmp_type = 8}, NEW, NONE, FW_ACCEPT, 5},
	{"pong", {V4("1.2.3.4", "5.6.7.8", 1, 0, 0), .icmp_type = 0}, NEW, NONE, FW_DROP, POLICY},
	{"v6 ns", {V4("fe80::1", "ff02::1", 58, 0, 0), .icmp_type = 135}, NEW, NONE, FW_ACCEPT, 6},
	{"v6 type 8",
	 {V4("fe80::1", "ff02::1", 58, 0, 0), .icmp_type = 8},
	 NEW,
	 NONE,
	 FW_DROP,
	 POLICY},
	{"icmpv6 type on v4",
	 {V4("1.2.3.4", "5.6.7.8", 58, 0, 0), .icmp_type = 128},
	 NEW,
	 NONE,
	 FW_DROP,
	 POLICY},
	{"syn 8000",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 8000), .tcp_flags = SYN},
	 NEW,
	 NONE,
	 FW_ACCEPT,
	 7},
	{"synack 8000",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 8000), .tcp_flags = SYN | ACK},
	 NEW,
	 NONE,
	 FW_DROP,
	 POLICY},
	{"arp", {.ethertype = 0x0806}, NEW, NONE, FW_ACCEPT, 8},
	{"other ethertype", {.ethertype = 0x88cc}, NEW, NONE, FW_DROP, POLICY},
	{"vlan 10",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 9999), .tagged = true, .vlan = 10},
	 NEW,
	 NONE,
	 FW_DROP,
	 9},
	{"vlan 11",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 9999), .tagged = true, .vlan = 11},
	 NEW,
	 NONE,
	 FW_DROP,
	 POLICY},
	{"mdns udp", {V4("1.2.3.4", "5.6.7.8", 17, 1, 5353)}, NEW, NONE, FW_ACCEPT, 10},
	{"mdns tcp", {V4("1.2.3.4", "5.6.7.8", 6, 1, 5353)}, NEW, NONE, FW_ACCEPT, 10},
	{"mdns sctp", {V4("1.2.3.4", "5.6.7.8", 132, 1, 5353)}, NEW, NONE, FW_DROP, POLICY},
	{"gre", {V4("1.2.3.4", "5.6.7.8", 47, 0, 0)}, NEW, NONE, FW_DROP, 11},
	{"gre v6 (ip protocol is v4)", {V4("::1", "::2", 47, 0, 0)}, NEW, NONE, FW_DROP, POLICY},
	{"smtp outside", {V4("1.2.3.4", "5.6.7.8", 6, 1, 25)}, NEW, NONE, FW_REJECT, 12},
	{"smtp inside", {V4("10.0.0.1", "5.6.7.8", 6, 1, 25)}, NEW, NONE, FW_REJECT, 20},
	{"smtp v6 (negation keeps the family)",
	 {V4("::1", "::2", 6, 1, 25)},
	 NEW,
	 NONE,
	 FW_REJECT,
	 20},
	{"telnet", {V4("1.2.3.4", "5.6.7.8", 6, 1, 23)}, NEW, NONE, FW_REJECT, 13},
	{"web range", {V4("1.2.3.4", "5.6.7.8", 6, 1, 8085)}, NEW, NONE, FW_ACCEPT, 14},
	{"web range end", {V4("1.2.3.4", "5.6.7.8", 6, 1, 8090)}, NEW, NONE, FW_ACCEPT, 14},
	{"web range past", {V4("1.2.3.4", "5.6.7.8", 6, 1, 8091)}, NEW, NONE, FW_DROP, POLICY},
	{"https", {V4("1.1.1.1", "5.6.7.8", 6, 1, 443)}, NEW, NONE, FW_ACCEPT, 14},
	{"https inside", {V4("10.9.9.9", "5.6.7.8", 6, 1, 443)}, NEW, NONE, FW_ACCEPT, 3},
	{"lan udp", {V4("1.2.3.4", "5.6.7.8", 17, 1, 1500), .iif = 2}, NEW, NONE, FW_ACCEPT, 15},
	{"lan udp end",
	 {V4("1.2.3.4", "5.6.7.8", 17, 1, 2000), .iif = 0},
	 NEW,
	 NONE,
	 FW_ACCEPT,
	 15},
	{"wan udp", {V4("1.2.3.4", "5.6.7.8", 17, 1, 1500), .iif = 1}, NEW, NONE, FW_DROP, POLICY},
	{"discard v4 (/0)", {V4("1.2.3.4", "255.255.255.255", 17, 1, 9)}, NEW, NONE, FW_DROP, 16},
	{"discard v6 (/0)", {V4("ffff::1", "::2", 17, 1, 9)}, NEW, NONE, FW_ACCEPT, 17},
	{"/32", {V4("1.2.3.4", "192.0.2.1", 17, 1, 7)}, NEW, NONE, FW_ACCEPT, 18},
	{"/32 miss", {V4("1.2.3.4", "192.0.2.2", 17, 1, 7)}, NEW, NONE, FW_DROP, POLICY},
	{"/128", {V4("::1", "2001:db8:1::1", 17, 1, 7)}, NEW, NONE, FW_ACCEPT, 19},
	{"/128 miss", {V4("::1", "2001:db8:1::2", 17, 1, 7)}, NEW, NONE, FW_DROP, POLICY},
	{"/127 low", {V4("2001:db8:ff::", "::1", 6, 1, 7000)}, NEW, NONE, FW_ACCEPT, 21},
	{"/127 high", {V4("2001:db8:ff::1", "::1", 6, 1, 7000)}, NEW, NONE, FW_ACCEPT, 21},
	{"/127 miss", {V4("2001:db8:ff::2", "::1", 6, 1, 7000)}, NEW, NONE, FW_DROP, POLICY},
	{"syn+fin",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 9999), .tcp_flags = 0x03},
	 NEW,
	 NONE,
	 FW_DROP,
	 22},
	{"syn+fin+ack",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 9999), .tcp_flags = 0x13},
	 NEW,
	 NONE,
	 FW_DROP,
	 22},
	{"syn+fin+rst",
	 {V4("1.2.3.4", "5.6.7.8", 6, 1, 9999), .tcp_flags = 0x07},
	 NEW,
	 NONE,
	 FW_DROP,
	 POLICY},
	{"set prefix, != 53", {V4("172.20.1.1", "5.6.7.8", 17, 1, 54)}, NEW, NONE, FW_ACCEPT, 23},
	{"set host, != 53", {V4("198.51.100.7", "5.6.7.8", 17, 1, 54)}, NEW, NONE, FW_ACCEPT, 23},
	{"set, == 53", {V4("172.20.1.1", "5.6.7.8", 17, 1, 53)}, NEW, NONE, FW_DROP, POLICY},
	{"set miss", {V4("172.32.0.1", "5.6.7.8", 17, 1, 54)}, NEW, NONE, FW_DROP, POLICY},
	{"fragment: no ports",
	 {V4("10.0.0.1", "5.6.7.8", 6, 1, 22), .no_l4 = true},
	 NEW,
	 NONE,
	 FW_DROP,
	 POLICY},
	{"fragment: addresses still match",
	 {V4("1.2.3.4", "192.0.2.1", 6, 1, 22), .no_l4 = true},
	 NEW,
	 NONE,
	 FW_ACCEPT,
	 18},
};

START_TEST(test_verdict_table)
{
	struct fw_ruleset *rs = fwt_compile(table_rules);
	unsigned int bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(vcases); i++) {
		const struct vcase *c = &vcases[i];
		struct pkt_meta m = fwt_pkt(&c->p);
		const struct fw_verdict *v = fw_classify_ex(rs, &m, c->oif, c->ct, 0, NULL);

		if (v->action != c->action || v->rule != c->rule) {
			fprintf(stderr, "%s: action %u rule %d, want %u %d\n", c->name, v->action,
				(int)v->rule, c->action, (int)c->rule);
			bad++;
		}
	}
	ck_assert_uint_eq(bad, 0);
	fw_ruleset_free(rs);
}
END_TEST

START_TEST(test_verdict_details)
{
	struct fw_ruleset *rs = fwt_compile(table_rules);
	struct pkt_meta m = fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 6, 1, 25)});
	const struct fw_verdict *v = fw_classify(rs, &m, NEW, 0);

	ck_assert_uint_eq(v->reject, FW_REJECT_AUTO);
	m.dport = 23;
	v = fw_classify(rs, &m, NEW, 0);
	ck_assert_uint_eq(v->reject, FW_REJECT_TCP_RESET);
	m.dport = 24;
	v = fw_classify(rs, &m, NEW, 0);
	ck_assert_uint_eq(v->reject, FW_REJECT_ICMP);
	ck_assert_uint_eq(v->code, 13);
	ck_assert(!v->log);
	/* IPv4 addresses are read from 4 bytes: garbage in the padding is ignored. */
	m = fwt_pkt(&(struct pspec){V4("10.1.2.3", "192.0.2.1", 6, 1, 443)});
	memset(m.saddr.b + 4, 0xab, 12);
	memset(m.daddr.b + 4, 0xcd, 12);
	ck_assert_uint_eq(fw_classify(rs, &m, NEW, 0)->rule, 3);
	m.dport = 7;
	ck_assert_uint_eq(fw_classify(rs, &m, NEW, 0)->rule, 18);
	fw_ruleset_free(rs);
}
END_TEST

/* First match wins across index structures: port lists, prefixes, fallback. */
START_TEST(test_first_match_order)
{
	static const struct {
		const char *rules;
		uint32_t rule;
		uint8_t action;
	} cases[] = {
		{"tcp dport 22 drop\nip saddr 10.0.0.0/8 accept\ntcp dport 22 accept", 0, FW_DROP},
		{"ip saddr 10.0.0.0/8 accept\ntcp dport 22 drop", 0, FW_ACCEPT},
		{"ip saddr 10.1.0.0/16 drop\nip saddr 10.0.0.0/8 accept", 0, FW_DROP},
		{"ip saddr 10.0.0.0/8 accept\nip saddr 10.1.0.0/16 drop", 0, FW_ACCEPT},
		{"ip saddr 10.1.2.3 drop\nip saddr 10.0.0.0/8 accept", 0, FW_DROP},
		{"ct state new accept\nip saddr 10.1.2.3 drop", 0, FW_ACCEPT},
		{"ip saddr 10.1.2.3 drop\nct state new accept", 0, FW_DROP},
		{"tcp sport 1000 counter\nip daddr 10.9.0.0/16 drop\ntcp dport 22 accept", 1,
		 FW_DROP},
		{"tcp dport 23 accept\nip daddr 10.9.0.0/16 tcp dport 21 drop\ntcp dport 22 accept",
		 2, FW_ACCEPT},
		{"ip saddr != 10.0.0.0/8 drop\ntcp dport 22 accept", 1, FW_ACCEPT},
		{"tcp dport != 22 drop\ntcp dport 22 reject", 1, FW_REJECT},
		{"ip saddr { 10.0.0.0/8, 10.1.0.0/16 } counter\nip saddr { 10.0.0.0/8, 10.1.0.0/16 "
		 "} "
		 "drop",
		 1, FW_DROP},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[512];
		struct fw_ruleset *rs;
		struct pkt_meta m =
			fwt_pkt(&(struct pspec){V4("10.1.2.3", "10.9.8.7", 6, 1000, 22)});
		const struct fw_verdict *v;

		snprintf(text, sizeof(text), "policy drop\n%s\n", cases[i].rules);
		rs = fwt_compile(text);
		v = fw_classify(rs, &m, NEW, 0);
		ck_assert_msg(v->rule == cases[i].rule && v->action == cases[i].action,
			      "case %zu: rule %d action %u", i, (int)v->rule, v->action);
		fw_ruleset_free(rs);
	}
}
END_TEST

/* A rule filed under two nested prefixes of its set is evaluated (and counted) once. */
START_TEST(test_set_anchor_counts_once)
{
	struct fw_ruleset *rs =
		fwt_compile("policy accept\n"
			    "ip saddr { 10.0.0.0/8, 10.1.0.0/16, 10.1.2.3 } counter\n"
			    "tcp dport { 22, 22, 20-25 } counter\n");
	struct pkt_meta m = fwt_pkt(&(struct pspec){V4("10.1.2.3", "10.9.8.7", 6, 1000, 22)});
	struct fw_rule_info ri;

	fw_classify(rs, &m, NEW, 0);
	fw_rule_info(rs, 0, &ri);
	ck_assert_uint_eq(ri.packets, 1);
	fw_rule_info(rs, 1, &ri);
	ck_assert_uint_eq(ri.packets, 1);
	fw_ruleset_free(rs);
}
END_TEST

START_TEST(test_limit_fake_clock)
{
	/* 10/second with a burst of 5: a full bucket holds 15 packets. */
	struct fw_ruleset *rs = fwt_compile("policy drop\n"
					    "icmp type echo-request limit rate 10/second burst 5 "
					    "packets accept\n"
					    "udp dport 9 limit rate over 2/minute drop\n"
					    "udp dport 9 accept\n");
	struct pkt_meta ping =
		fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 1, 0, 0), .icmp_type = 8});
	struct pkt_meta udp = fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 17, 1, 9)});
	uint64_t t = 1000000000ull;
	struct fw_rule_info ri;

	for (int i = 0; i < 15; i++)
		ck_assert_uint_eq(fw_classify(rs, &ping, NEW, t)->rule, 0);
	ck_assert_uint_eq(fw_classify(rs, &ping, NEW, t)->rule, POLICY);
	/* 99 ms: not quite a token; 100 ms: exactly one. */
	ck_assert_uint_eq(fw_classify(rs, &ping, NEW, t + 99999999)->rule, POLICY);
	ck_assert_uint_eq(fw_classify(rs, &ping, NEW, t + 100000000)->rule, 0);
	ck_assert_uint_eq(fw_classify(rs, &ping, NEW, t + 100000000)->rule, POLICY);
	/* A clock going backwards adds nothing. */
	ck_assert_uint_eq(fw_classify(rs, &ping, NEW, 0)->rule, POLICY);
	/* After a long idle time the bucket is full again, not overflowed. */
	t += 3600ull * 1000000000ull * 24 * 365 * 100;
	for (int i = 0; i < 15; i++)
		ck_assert_uint_eq(fw_classify(rs, &ping, NEW, t)->rule, 0);
	ck_assert_uint_eq(fw_classify(rs, &ping, NEW, t)->rule, POLICY);
	fw_rule_info(rs, 0, &ri);
	ck_assert_uint_eq(ri.packets, 31); /* only the packets under the limit count */

	/* `over`: 2/minute + burst 5 = 7 packets under the rate fall through to accept. */
	for (int i = 0; i < 7; i++)
		ck_assert_uint_eq(fw_classify(rs, &udp, NEW, 5)->rule, 2);
	ck_assert_uint_eq(fw_classify(rs, &udp, NEW, 5)->rule, 1);
	ck_assert_uint_eq(fw_classify(rs, &udp, NEW, 5 + 29999999999ull)->rule, 1);
	ck_assert_uint_eq(fw_classify(rs, &udp, NEW, 5 + 30000000000ull)->rule, 2);
	fw_ruleset_free(rs);
}
END_TEST

START_TEST(test_counters_and_logs)
{
	struct fw_ruleset *rs = fwt_compile("policy accept\n"
					    "counter\n"
					    "tcp dport 22 log prefix \"ssh: \"\n"
					    "tcp dport 22 counter log drop\n"
					    "udp dport 53 counter\n");
	struct pkt_meta ssh = fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 6, 1, 22)});
	struct pkt_meta web = fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 6, 1, 80)});
	struct fw_logs logs;
	struct fw_rule_info ri;
	const struct fw_verdict *v;

	ssh.frame_len = 60;
	web.frame_len = 1500;
	v = fw_classify_ex(rs, &ssh, NONE, NEW, 0, &logs);
	ck_assert_uint_eq(v->rule, 2);
	ck_assert(v->log);
	ck_assert_uint_eq(logs.n, 2);
	ck_assert_uint_eq(logs.rule[0], 1);
	ck_assert_uint_eq(logs.rule[1], 2);
	fw_rule_info(rs, logs.rule[0], &ri);
	ck_assert_str_eq(ri.log_prefix, "ssh: ");
	fw_rule_info(rs, logs.rule[1], &ri);
	ck_assert_str_eq(ri.log_prefix, "");
	v = fw_classify_ex(rs, &web, NONE, NEW, 0, &logs);
	ck_assert_uint_eq(v->rule, POLICY);
	ck_assert_uint_eq(logs.n, 0);
	fw_classify(rs, &web, NEW, 0);
	static const uint64_t want[][2] = {{3, 3060}, {1, 60}, {1, 60}, {0, 0}};
	for (uint32_t i = 0; i < 4; i++) {
		fw_rule_info(rs, i, &ri);
		ck_assert_msg(ri.packets == want[i][0] && ri.bytes == want[i][1], "rule %u", i);
	}
	fw_rule_info(rs, POLICY, &ri);
	ck_assert_uint_eq(ri.packets, 2);
	ck_assert_uint_eq(ri.bytes, 3000);
	fw_ruleset_free(rs);

	/* More log statements than FW_LOG_MAX: the excess is counted. */
	char text[1024] = "policy drop\n";
	for (int i = 0; i < FW_LOG_MAX + 3; i++)
		strcat(text, "log\n");
	rs = fwt_compile(text);
	fw_classify_ex(rs, &web, NONE, NEW, 0, &logs);
	ck_assert_uint_eq(logs.n, FW_LOG_MAX);
	ck_assert_uint_eq(logs.missed, 3);
	fw_ruleset_free(rs);
}
END_TEST

START_TEST(test_carry_state)
{
	struct fw_ruleset *a = fwt_compile("policy drop\n"
					   "tcp dport 22 accept\n"
					   "counter\n"
					   "udp dport 53 limit rate 1/second burst 0 accept\n"
					   "counter\n");
	struct fw_ruleset *b =
		fwt_compile("policy drop\n"
			    "# reordered, re-spaced, one rule new, one more copy\n"
			    "  udp  dport 53 limit rate 1/second   burst 0 accept  \n"
			    "counter # first\n"
			    "icmp type 8 accept\n"
			    "tcp dport 22 accept\n"
			    "counter\n"
			    "counter\n");
	struct fw_ruleset *c = fwt_compile("policy accept\ncounter\n");
	struct pkt_meta ssh = fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 6, 1, 22)});
	struct pkt_meta dns = fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 17, 1, 53)});
	struct pkt_meta web = fwt_pkt(&(struct pspec){V4("1.2.3.4", "5.6.7.8", 6, 1, 80)});
	static const uint64_t want[] = {1, 3, 0, 1, 2, 0};
	struct fw_rule_info ri;

	fw_classify(a, &ssh, NEW, 0); /* rule 0 */
	fw_classify(a, &dns, NEW, 0); /* counter 1, dns 2 (bucket now empty) */
	fw_classify(a, &web, NEW, 0); /* counters 1 and 3, policy */
	fw_classify(a, &web, NEW, 0);
	ck_assert_int_eq(fw_ruleset_carry_state(b, a), 0);
	for (uint32_t i = 0; i < 6; i++) {
		fw_rule_info(b, i, &ri);
		ck_assert_msg(ri.packets == want[i], "rule %u (%s): %llu packets", i, ri.text,
			      (unsigned long long)ri.packets);
	}
	fw_rule_info(b, POLICY, &ri);
	ck_assert_uint_eq(ri.packets, 2);
	/* The limit's bucket came along: still empty at the same time. */
	ck_assert_uint_eq(fw_classify(b, &dns, NEW, 0)->rule, POLICY);
	ck_assert_uint_eq(fw_classify(b, &dns, NEW, 1000000000)->rule, 0);
	/* A different policy starts from zero; the old ruleset is untouched. */
	ck_assert_int_eq(fw_ruleset_carry_state(c, b), 0);
	fw_rule_info(c, POLICY, &ri);
	ck_assert_uint_eq(ri.packets, 0);
	fw_rule_info(c, 0, &ri);
	ck_assert_uint_eq(ri.packets, 4); /* b's first counter: 3 carried + the dns packet */
	fw_rule_info(a, 1, &ri);
	ck_assert_uint_eq(ri.packets, 3);
	fw_ruleset_free(a);
	fw_ruleset_free(b);
	fw_ruleset_free(c);
}
END_TEST

static Suite *fwclassify_suite(void)
{
	Suite *s = suite_create("fwclassify");
	TCase *tv = tcase_create("verdicts");

	tcase_add_test(tv, test_verdict_table);
	tcase_add_test(tv, test_verdict_details);
	tcase_add_test(tv, test_first_match_order);
	tcase_add_test(tv, test_set_anchor_counts_once);
	tcase_add_test(tv, test_limit_fake_clock);
	tcase_add_test(tv, test_counters_and_logs);
	tcase_add_test(tv, test_carry_state);
	suite_add_tcase(s, tv);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fwclassify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
