// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the firewall rule language: every construct parses, and
 * every error class reports its exact line:column and message. Limits and
 * hostile input are in test_fwlimits.c.
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

START_TEST(test_example)
{
	struct fw_ruleset *rs = fwt_compile(fwt_example);
	struct fw_rule_info ri;

	ck_assert_uint_eq(fw_ruleset_nrules(rs), 16);
	ck_assert_int_eq(fw_rule_info(rs, 0, &ri), 0);
	ck_assert_str_eq(ri.text, "ct state established,related accept");
	ck_assert_uint_eq(ri.line, 4);
	ck_assert(ri.terminal);
	ck_assert_ptr_null(ri.log_prefix);
	ck_assert_int_eq(fw_rule_info(rs, 12, &ri), 0);
	ck_assert_str_eq(ri.text, "ip saddr != 10.0.0.0/8 log prefix \"outside: \" drop");
	ck_assert_str_eq(ri.log_prefix, "outside: ");
	ck_assert_int_eq(fw_rule_info(rs, 14, &ri), 0);
	ck_assert(!ri.terminal);
	ck_assert_int_eq(fw_rule_info(rs, FW_RULE_POLICY, &ri), 0);
	ck_assert_str_eq(ri.text, "policy drop");
	ck_assert_uint_eq(ri.line, 1);
	ck_assert_int_eq(fw_rule_info(rs, 16, &ri), -ENOENT);
	ck_assert_uint_gt(fw_ruleset_memory(rs), 0);
	fw_ruleset_free(rs);
	fw_ruleset_free(NULL);
}
END_TEST

/* Every construct of the language, one or more rules each: all must compile. */
static const struct {
	const char *rules;
	unsigned int nrules;
} valid[] = {
	{"", 0},
	{"# only a comment\n\n   \t\n", 0},
	{"iif net0 accept\noif net1 drop\niifname net2 accept\noifname net3 accept", 4},
	{"meta iif net0 accept\nmeta oif { net1, net7 } accept\niif != net255 drop", 3},
	{"set lan { net0, net1 }\niif @lan accept\noif != @lan drop", 2},
	{"ether type arp accept\nether type ip accept\nether type ip6 accept", 3},
	{"ether type 0x88cc drop\nether type { arp, 0x8906 } accept\nether type != ip drop", 3},
	{"vlan id 10 drop\nvlan id 1-20 accept\nvlan id { 10, 20, 100-200 } accept\n"
	 "vlan id != 4095 drop\nvlan id < 100 accept",
	 5},
	{"ip saddr 10.0.0.1 accept\nip daddr 10.0.0.0/8 accept\nip saddr 0.0.0.0/0 accept\n"
	 "ip daddr 255.255.255.255/32 accept",
	 4},
	{"ip saddr { 10.0.0.0/8, 192.168.1.7, 172.16.0.0/12, } accept\n"
	 "ip daddr != { 1.2.3.4 } drop",
	 2},
	{"ip6 saddr ::1 accept\nip6 daddr :: accept\nip6 saddr ::/0 accept\n"
	 "ip6 daddr 2001:db8::/32 accept\nip6 saddr ::ffff:10.0.0.1 accept\n"
	 "ip6 saddr 2001:db8:0:0:1:2:3:4/128 accept\nip6 daddr fe80::/10 accept\n"
	 "ip6 saddr 1:2:3:4:5:6:7:: accept\nip6 saddr { ::1, fe80::/64 } accept",
	 9},
	{"set a { 10.0.0.0/8, 2001:db8::/32, 192.168.1.7 }\nip saddr @a accept\n"
	 "ip6 daddr != @a drop",
	 2},
	{"ip protocol gre drop\nip protocol 47 drop\nip protocol { tcp, udp } accept\n"
	 "ip protocol != icmp drop\nip6 nexthdr esp drop\nmeta l4proto { tcp, udp } accept\n"
	 "meta l4proto 132 accept",
	 7},
	{"tcp dport 22 accept\ntcp sport 1024-65535 accept\nudp dport { 53, 67-68 } accept\n"
	 "sctp dport 9899 accept\nth dport 53 accept\ntcp dport != 23 accept\n"
	 "tcp dport ssh accept\nudp dport { domain, ntp } accept",
	 8},
	{"tcp dport < 1024 drop\ntcp dport <= 1023 drop\ntcp sport > 1023 accept\n"
	 "udp sport >= 1024 accept\ntcp dport == 80 accept",
	 5},
	{"set web_ports { 80, 443, 8080-8090, https }\ntcp dport @web_ports accept\n"
	 "th dport != @web_ports drop",
	 2},
	{"tcp flags syn accept\ntcp flags syn,!ack accept\ntcp flags !syn,!ack,!rst drop\n"
	 "tcp flags & (syn|ack) == syn accept\ntcp flags & (syn | ack) != syn|ack drop\n"
	 "tcp flags & syn == syn accept\ntcp flags == syn|ack accept\ntcp flags != fin,syn drop\n"
	 "tcp flags & (fin|syn|rst|psh|ack|urg|ecn|cwr) == 0 drop\ntcp flags == 0x12 accept",
	 10},
	{"icmp type echo-request accept\nicmp type 8 accept\n"
	 "icmp type { echo-reply, destination-unreachable, time-exceeded, parameter-problem } "
	 "accept\nicmp type != redirect accept\nicmp type 0-18 accept",
	 5},
	{"icmpv6 type { echo-request, nd-neighbor-solicit } accept\n"
	 "icmpv6 type { nd-neighbor-advert, nd-router-solicit, nd-router-advert, packet-too-big } "
	 "accept\nicmpv6 type 128 accept\nicmpv6 type mld-listener-query accept",
	 4},
	{"ct state established,related accept\nct state invalid drop\n"
	 "ct state { new, untracked } accept\nct state != established drop\n"
	 "ct state { established, related, } accept",
	 5},
	{"counter\ncounter accept\nlog\nlog prefix \"x\" counter\nlog prefix \"\" drop\n"
	 "log prefix \"quote \\\" and \\\\\" accept",
	 6},
	{"limit rate 100/second accept\nlimit rate 10/minute counter\nlimit rate 5/hour log\n"
	 "limit rate 1/day drop\nlimit rate over 100/second drop\n"
	 "limit rate 10/second burst 20 packets accept\nlimit rate 10/second burst 0 accept",
	 7},
	{"reject\ntcp dport 23 reject\ntcp dport 23 reject with tcp reset\n"
	 "meta l4proto tcp reject with tcp reset\nreject with icmp type port-unreachable\n"
	 "reject with icmp host-prohibited\nreject with icmp type 9\n"
	 "reject with icmpv6 type admin-prohibited\nreject with icmpx type no-route\n"
	 "ip saddr 10.0.0.0/8 reject with icmp type net-unreachable",
	 10},
	{"policy accept\r\ntcp dport 22 drop\r\n", 1},
	{"\t  tcp   dport\t22    accept   # comment\n", 1},
	{"ip protocol tcp tcp dport 22 accept\nicmp type echo-request ip saddr 1.2.3.4 accept\n"
	 "ip6 saddr ::1 icmpv6 type echo-request accept\nmeta l4proto udp th dport 53 accept",
	 4},
};

START_TEST(test_valid_constructs)
{
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		char text[2048];
		struct fw_ruleset *rs;

		/* One test supplies its own policy. */
		snprintf(text, sizeof(text), "%s%s",
			 strstr(valid[i].rules, "policy") ? "" : "policy drop\n", valid[i].rules);
		rs = fwt_compile(text);
		ck_assert_msg(fw_ruleset_nrules(rs) == valid[i].nrules, "case %zu: %u rules", i,
			      fw_ruleset_nrules(rs));
		fw_ruleset_free(rs);
	}
}
END_TEST

START_TEST(test_rule_text)
{
	struct fw_ruleset *rs =
		fwt_compile("policy accept\n  tcp   dport\t{22,80 }   accept   # c\n"
			    "log prefix \"a  b\"   counter\n");
	struct fw_rule_info ri;

	fw_rule_info(rs, 0, &ri);
	ck_assert_str_eq(ri.text, "tcp dport {22,80 } accept");
	ck_assert_uint_eq(ri.line, 2);
	fw_rule_info(rs, 1, &ri);
	ck_assert_str_eq(ri.text, "log prefix \"a  b\" counter");
	ck_assert_str_eq(ri.log_prefix, "a  b");
	ck_assert(!ri.terminal);
	fw_rule_info(rs, FW_RULE_POLICY, &ri);
	ck_assert_str_eq(ri.text, "policy accept");
	fw_ruleset_free(rs);
}
END_TEST

/* Each error class with its exact position and message. "P" stands for "policy drop\n". */
static const struct {
	const char *text;
	int rc;
	const char *msg;
} errors[] = {
	/* The examples of the specification. */
	{"policy drop\n\nicmp type { 11, echo-reqest } accept\n", -EINVAL,
	 "rules:3:17: unknown ICMP type 'echo-reqest'"},
	{"policy drop\n#\n#\n#\npolcy drop\n", -EINVAL, "rules:5:1: unknown keyword 'polcy'"},
	{"policy drop\n\n\n\n\n\niif net0 tcp dport 1024-70000 accept\n", -EINVAL,
	 "rules:7:25: port 70000 out of range"},
	{"policy drop\n\n\n\n\n\n\n\nth dport @webports accept\n", -EINVAL,
	 "rules:9:10: undefined set '@webports'"},
	{"policy drop\nset admins{1,::1}\n", -EINVAL,
	 "rules:2:14: set 'admins' mixes ports and addresses"},
	{"policy drop\n\n\npolicy accept\n", -EINVAL, "rules:4:1: 'policy' given twice"},
	/* Lexical. */
	{"policy drop\ntcp dport 22 accept;\n", -EINVAL,
	 "rules:2:20: unexpected ';' after the verdict"},
	{"policy drop\ntcp dport 22; accept\n", -EINVAL,
	 "rules:2:13: unexpected ';' (write one rule per line)"},
	{"policy drop\ntcp dport = 22 accept\n", -EINVAL, "rules:2:11: expected a port, got '='"},
	{"policy drop\ntcp\x01 accept\n", -EINVAL, "rules:2:4: invalid byte 0x01"},
	{"policy drop\naccept \xc3\xa9\n", -EINVAL, "rules:2:8: invalid byte 0xc3"},
	{"policy drop\nlog prefix \"abc\n", -EINVAL, "rules:2:12: unterminated string"},
	{"policy drop\nlog prefix \"a\\nb\"\n", -EINVAL,
	 "rules:2:14: unknown escape in string (only \\\" and \\\\)"},
	{"policy drop\nlog prefix \"a\x1b[2Jb\"\n", -EINVAL,
	 "rules:2:14: invalid byte 0x1b in string (printable ASCII only)"},
	{"policy drop\niif @ accept\n", -EINVAL, "rules:2:5: expected a set name after '@'"},
	{"policy drop\r\naccept\rdrop\n", -EINVAL, "rules:2:7: invalid byte 0x0d"},
	/* Structure. */
	{"", -EINVAL, "rules: no policy: add a line 'policy accept' or 'policy drop'"},
	{"policy\n", -EINVAL, "rules:1:7: expected 'accept' or 'drop' after 'policy'"},
	{"policy reject\n", -EINVAL, "rules:1:8: expected 'accept' or 'drop' after 'policy'"},
	{"policy drop accept\n", -EINVAL, "rules:1:13: unexpected 'accept' after the policy"},
	{"policy drop\ntcp dport 22\n", -EINVAL,
	 "rules:2:1: rule does nothing: add a verdict (accept, drop, reject), counter or log"},
	{"policy drop\nlimit rate 1/second\n", -EINVAL,
	 "rules:2:1: rule does nothing: add a verdict (accept, drop, reject), counter or log"},
	{"policy drop\naccept tcp dport 22\n", -EINVAL,
	 "rules:2:8: unexpected 'tcp' after the verdict"},
	{"policy drop\ndrop accept\n", -EINVAL, "rules:2:6: unexpected 'accept' after the verdict"},
	{"policy drop\n! tcp dport 22 drop\n", -EINVAL,
	 "rules:2:1: unexpected '!' (negate with '!=' after the field: ip saddr != 10.0.0.0/8)"},
	{"policy drop\n} drop\n", -EINVAL, "rules:2:1: unexpected '}'"},
	{"policy drop\ntcp dprt 22 accept\n", -EINVAL,
	 "rules:2:5: unknown tcp field 'dprt' (expected sport, dport or flags)"},
	{"policy drop\nip\n", -EINVAL, "rules:2:3: expected saddr, daddr or protocol after 'ip'"},
	{"policy drop\nmeta mark 1 accept\n", -EINVAL,
	 "rules:2:6: unknown meta field 'mark' (expected l4proto, iif, oif, iifname or oifname)"},
	{"policy drop\nether saddr 1 accept\n", -EINVAL,
	 "rules:2:7: unknown ether field 'saddr' (expected type)"},
	{"policy drop\ntcp dport\n", -EINVAL, "rules:2:10: expected a port at the end of the line"},
	{"policy drop\ntcp dport accept\n", -EINVAL, "rules:2:11: unknown port name 'accept'"},
	{"policy drop\ntcp dport 22,80 accept\n", -EINVAL,
	 "rules:2:13: a list of values needs braces: { a, b }"},
	{"policy drop\ntcp dport } accept\n", -EINVAL, "rules:2:11: expected a port, got '}'"},
	/* Values. */
	{"policy drop\ntcp dport 65536 accept\n", -EINVAL, "rules:2:11: port 65536 out of range"},
	{"policy drop\ntcp dport 99999999999999999999999 accept\n", -EINVAL,
	 "rules:2:11: port 99999999999999999999999 out of range"},
	{"policy drop\ntcp dport 90-80 accept\n", -EINVAL,
	 "rules:2:11: port range 90-80 is reversed"},
	{"policy drop\ntcp dport 1x accept\n", -EINVAL, "rules:2:11: invalid port '1x'"},
	{"policy drop\nvlan id 4096 drop\n", -EINVAL, "rules:2:9: VLAN id 4096 out of range"},
	{"policy drop\nvlan id ten drop\n", -EINVAL, "rules:2:9: expected a VLAN id, got 'ten'"},
	{"policy drop\nether type 0x10000 drop\n", -EINVAL,
	 "rules:2:12: ether type 0x10000 out of range"},
	{"policy drop\nether type vlan drop\n", -EINVAL, "rules:2:12: unknown ether type 'vlan'"},
	{"policy drop\nip protocol 256 drop\n", -EINVAL, "rules:2:13: protocol 256 out of range"},
	{"policy drop\nip protocol tpc drop\n", -EINVAL, "rules:2:13: unknown protocol 'tpc'"},
	{"policy drop\nicmpv6 type echo accept\n", -EINVAL,
	 "rules:2:13: unknown ICMPv6 type 'echo'"},
	{"policy drop\nicmp type nd-neighbor-solicit accept\n", -EINVAL,
	 "rules:2:11: unknown ICMP type 'nd-neighbor-solicit'"},
	{"policy drop\nct state establised accept\n", -EINVAL,
	 "rules:2:10: unknown ct state 'establised'"},
	{"policy drop\nct state established, accept\n", -EINVAL,
	 "rules:2:23: unknown ct state 'accept'"},
	{"policy drop\nct state { new accept\n", -EINVAL,
	 "rules:2:16: expected ',' or '}', got 'accept'"},
	{"policy drop\niif eth0 accept\n", -EINVAL,
	 "rules:2:5: unknown interface 'eth0' (interfaces are net0, net1, ...)"},
	{"policy drop\niif net256 accept\n", -EINVAL,
	 "rules:2:5: unknown interface 'net256' (interfaces are net0, net1, ...)"},
	{"policy drop\niif net01 accept\n", -EINVAL,
	 "rules:2:5: unknown interface 'net01' (interfaces are net0, net1, ...)"},
	/* Addresses. */
	{"policy drop\nip saddr 10.0.0.256 accept\n", -EINVAL,
	 "rules:2:10: invalid IPv4 address '10.0.0.256'"},
	{"policy drop\nip saddr 10.0.0 accept\n", -EINVAL,
	 "rules:2:10: invalid IPv4 address '10.0.0'"},
	{"policy drop\nip saddr 010.0.0.1 accept\n", -EINVAL,
	 "rules:2:10: invalid IPv4 address '010.0.0.1'"},
	{"policy drop\nip saddr 10.0.0.0/33 accept\n", -EINVAL,
	 "rules:2:19: prefix length 33 out of range (max 32)"},
	{"policy drop\nip saddr 10.0.0.0/ accept\n", -EINVAL,
	 "rules:2:19: invalid prefix length ''"},
	{"policy drop\nip saddr 10.0.0.1/8 accept\n", -EINVAL,
	 "rules:2:10: '10.0.0.1/8' has bits set after the prefix length (did you mean "
	 "10.0.0.0/8?)"},
	{"policy drop\nip6 saddr 2001:db8::1/32 accept\n", -EINVAL,
	 "rules:2:11: '2001:db8::1/32' has bits set after the prefix length (did you mean "
	 "2001:db8::/32?)"},
	{"policy drop\nip6 saddr 1:2:3:4:5:6:7:8/16 accept\n", -EINVAL,
	 "rules:2:11: '1:2:3:4:5:6:7:8/16' has bits set after the prefix length (did you mean "
	 "1::/16?)"},
	{"policy drop\nip6 saddr 2001:db8:::1 accept\n", -EINVAL,
	 "rules:2:11: invalid IPv6 address '2001:db8:::1'"},
	{"policy drop\nip6 saddr 1::2::3 accept\n", -EINVAL,
	 "rules:2:11: invalid IPv6 address '1::2::3'"},
	{"policy drop\nip6 saddr 1:2:3:4:5:6:7:8:9 accept\n", -EINVAL,
	 "rules:2:11: invalid IPv6 address '1:2:3:4:5:6:7:8:9'"},
	{"policy drop\nip6 saddr 12345::1 accept\n", -EINVAL,
	 "rules:2:11: invalid IPv6 address '12345::1'"},
	{"policy drop\nip6 saddr 1:2 accept\n", -EINVAL, "rules:2:11: invalid IPv6 address '1:2'"},
	{"policy drop\nip6 saddr 1: accept\n", -EINVAL, "rules:2:11: invalid IPv6 address '1:'"},
	{"policy drop\nip6 saddr ::1/129 accept\n", -EINVAL,
	 "rules:2:15: prefix length 129 out of range (max 128)"},
	{"policy drop\nip saddr ::1 accept\n", -EINVAL,
	 "rules:2:10: IPv6 address in an 'ip' match (use 'ip6')"},
	{"policy drop\nip6 daddr { ::1, 10.0.0.1 } accept\n", -EINVAL,
	 "rules:2:18: IPv4 address in an 'ip6' match (use 'ip')"},
	{"policy drop\nip saddr < 10.0.0.1 accept\n", -EINVAL,
	 "rules:2:10: '<' only compares numbers"},
	{"policy drop\ntcp dport < 0 accept\n", -EINVAL, "rules:2:11: '< 0' matches nothing"},
	{"policy drop\ntcp dport > 65535 accept\n", -EINVAL,
	 "rules:2:11: '> 65535' matches nothing"},
	{"policy drop\ntcp dport < 1-2 accept\n", -EINVAL, "rules:2:13: a range cannot follow '<'"},
	/* Sets. */
	{"policy drop\ntcp dport { 22, { 80 } } accept\n", -EINVAL,
	 "rules:2:17: nested sets are not supported"},
	{"policy drop\ntcp dport { } accept\n", -EINVAL, "rules:2:11: empty set"},
	{"policy drop\ntcp dport { 22, 80 accept\n", -EINVAL,
	 "rules:2:20: expected ',' or '}', got 'accept'"},
	{"policy drop\ntcp dport { 22,\n", -EINVAL, "rules:2:11: '{' is not closed"},
	{"policy drop\nset p { 1 }\ntcp dport { @p } accept\n", -EINVAL,
	 "rules:3:13: a set reference cannot be inside '{...}'"},
	{"policy drop\nset a { 1 }\nset a { 2 }\n", -EINVAL,
	 "rules:3:5: set 'a' defined twice (first on line 2)"},
	{"policy drop\nset 1a { 1 }\n", -EINVAL,
	 "rules:2:5: expected a set name (letters, digits, '_' and '-'), got '1a'"},
	{"policy drop\nset a.b { 1 }\n", -EINVAL,
	 "rules:2:5: expected a set name (letters, digits, '_' and '-'), got 'a.b'"},
	{"policy drop\nset abcdefghijabcdefghijabcdefghijabc { 1 }\n", -EINVAL,
	 "rules:2:5: set name too long (max 32 bytes)"},
	{"policy drop\nset a 1\n", -EINVAL, "rules:2:7: expected '{', got '1'"},
	{"policy drop\nset a { }\n", -EINVAL, "rules:2:7: empty set"},
	{"policy drop\nset a { 1 } x\n", -EINVAL,
	 "rules:2:13: expected the end of the line after '}', got 'x'"},
	{"policy drop\nset a { type ipv4_addr; elements = { 10.0.0.1 } }\n", -EINVAL,
	 "rules:2:9: nftables set declarations are not supported: write set NAME { element, "
	 "... }"},
	{"policy drop\nset a { echo-request }\n", -EINVAL,
	 "rules:2:9: cannot tell what 'echo-request' is (expected a port, an address or an "
	 "interface)"},
	{"policy drop\nset a { net0, 22 }\n", -EINVAL,
	 "rules:2:15: set 'a' mixes interfaces and ports"},
	{"policy drop\nset a { 10.0.0.1, net1 }\n", -EINVAL,
	 "rules:2:19: set 'a' mixes addresses and interfaces"},
	{"policy drop\nset a { 10.0.0.0/8 }\ntcp dport @a accept\n", -EINVAL,
	 "rules:3:11: set '@a' holds addresses, not ports"},
	{"policy drop\nset a { 22 }\nicmp type @a accept\n", -EINVAL,
	 "rules:3:11: named sets hold ports, addresses or interfaces; write the ICMP type values "
	 "in { ... }"},
	{"policy drop\nset a { 70000 }\n", -EINVAL, "rules:2:9: port 70000 out of range"},
	/* Rule-level consistency. */
	{"policy drop\nip saddr 1.2.3.4 ip6 daddr ::1 accept\n", -EINVAL,
	 "rules:2:18: 'ip6' conflicts with 'ip' earlier in the rule (it could never match)"},
	{"policy drop\ntcp dport 22 udp sport 53 accept\n", -EINVAL,
	 "rules:2:14: 'udp' conflicts with 'tcp' earlier in the rule (it could never match)"},
	{"policy drop\nip protocol udp tcp dport 22 accept\n", -EINVAL,
	 "rules:2:17: 'tcp' conflicts with 'udp' earlier in the rule (it could never match)"},
	{"policy drop\nicmp type echo-request icmpv6 type echo-request accept\n", -EINVAL,
	 "rules:2:24: 'icmpv6' conflicts with 'icmp' earlier in the rule (it could never match)"},
	{"policy drop\ntcp flags syn,!syn drop\n", -EINVAL,
	 "rules:2:16: TCP flag 'syn' given twice"},
	{"policy drop\ntcp flags sin drop\n", -EINVAL, "rules:2:11: unknown TCP flag 'sin'"},
	{"policy drop\ntcp flags & (syn|ack) == fin drop\n", -EINVAL,
	 "rules:2:23: the value has flags outside the mask (it could never match)"},
	{"policy drop\ntcp flags & (syn|ack) syn drop\n", -EINVAL,
	 "rules:2:23: expected '==' or '!=', got 'syn'"},
	{"policy drop\ntcp flags & (syn|ack == syn drop\n", -EINVAL,
	 "rules:2:22: expected ')', got '=='"},
	{"policy drop\ntcp flags & (syn|ack\n", -EINVAL,
	 "rules:2:21: expected ')' at the end of the line"},
	/* Statements and verdicts. */
	{"policy drop\nudp dport 53 reject with tcp reset\n", -EINVAL,
	 "rules:2:26: 'reject with tcp reset' needs a tcp match in the rule"},
	{"policy drop\nreject with tcp\n", -EINVAL,
	 "rules:2:16: expected 'reset' after 'with tcp'"},
	{"policy drop\nip6 saddr ::1 reject with icmp type port-unreachable\n", -EINVAL,
	 "rules:2:27: 'reject with icmp' cannot answer this rule's IP version"},
	{"policy drop\nreject with icmp type port-unreach\n", -EINVAL,
	 "rules:2:23: unknown icmp reject type 'port-unreach'"},
	{"policy drop\nreject with icmpx type 3\n", -EINVAL,
	 "rules:2:24: unknown icmpx reject type '3'"},
	{"policy drop\nreject with udp\n", -EINVAL,
	 "rules:2:13: expected 'tcp reset', 'icmp', 'icmpv6' or 'icmpx' after 'with'"},
	{"policy drop\nlog log drop\n", -EINVAL, "rules:2:5: only one 'log' per rule"},
	{"policy drop\nlog prefix foo drop\n", -EINVAL,
	 "rules:2:12: expected a \"string\" after 'prefix'"},
	{"policy drop\nlog prefix "
	 "\"0123456789012345678901234567890123456789012345678901234567890123456789\" drop\n",
	 -EINVAL, "rules:2:12: log prefix too long (max 64 bytes)"},
	{"policy drop\nlimit 10/second accept\n", -EINVAL,
	 "rules:2:7: expected 'rate' after 'limit'"},
	{"policy drop\nlimit rate 10 accept\n", -EINVAL,
	 "rules:2:12: expected a rate such as 100/second"},
	{"policy drop\nlimit rate 0/second accept\n", -EINVAL,
	 "rules:2:12: limit rate 0 invalid (1 to 1000000000)"},
	{"policy drop\nlimit rate 2000000000/second accept\n", -EINVAL,
	 "rules:2:12: limit rate 2000000000 out of range (1 to 1000000000)"},
	{"policy drop\nlimit rate 10/sec accept\n", -EINVAL,
	 "rules:2:15: unknown time unit 'sec' (second, minute, hour or day)"},
	{"policy drop\nlimit rate 1000000/day accept\n", -EINVAL,
	 "rules:2:12: limit rate 1000000/day is too high for its unit"},
	{"policy drop\nlimit rate 1/second burst lots accept\n", -EINVAL,
	 "rules:2:27: expected a burst of 0 to 1000000 packets"},
	{"policy drop\nlimit rate 1/second limit rate 2/second accept\n", -EINVAL,
	 "rules:2:21: only one 'limit' per rule"},
};

START_TEST(test_errors)
{
	unsigned int bad = 0;

	/* Report every mismatch, not just the first. */
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
		char msg[256];
		int rc = fwt_compile_err(errors[i].text, strlen(errors[i].text), NULL, msg,
					 sizeof(msg));

		if (rc != errors[i].rc || strcmp(msg, errors[i].msg) != 0) {
			fprintf(stderr, "case %zu: rc %d (want %d)\n got  %s\n want %s\n", i, rc,
				errors[i].rc, msg, errors[i].msg);
			bad++;
		}
	}
	ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(test_error_format)
{
	struct fw_error e = {.line = 3, .col = 9, .msg = "boom"};
	struct fw_ruleset *rs;
	char buf[16];

	fw_error_format(&e, "x.rules", buf, sizeof(buf));
	ck_assert_str_eq(buf, "x.rules:3:9: bo"); /* truncated, terminated */
	e.line = 0;
	fw_error_format(&e, "r", buf, sizeof(buf));
	ck_assert_str_eq(buf, "r: boom");
	/* A NULL error pointer is fine. */
	ck_assert_int_eq(fw_compile("polcy", 5, &rs, NULL), -EINVAL);
	ck_assert_ptr_null(rs);
	/* The text need not be NUL-terminated: only len bytes are read. */
	ck_assert_int_eq(fw_compile("policy dropXXXX", 11, &rs, NULL), 0);
	fw_ruleset_free(rs);
}
END_TEST

/* Internal value parsers, directly. */
START_TEST(test_parse_u32)
{
	uint32_t v;

	ck_assert_int_eq(fw_parse_u32("0", 1, false, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(fw_parse_u32("10", 2, false, 10, &v), 0);
	ck_assert_int_eq(fw_parse_u32("11", 2, false, 10, &v), -ERANGE);
	ck_assert_int_eq(fw_parse_u32("0x1f", 4, true, 255, &v), 0);
	ck_assert_uint_eq(v, 31);
	ck_assert_int_eq(fw_parse_u32("0x1f", 4, false, 255, &v), -EINVAL);
	ck_assert_int_eq(fw_parse_u32("0x", 2, true, 255, &v), -EINVAL);
	ck_assert_int_eq(fw_parse_u32("", 0, true, 255, &v), -EINVAL);
	ck_assert_int_eq(fw_parse_u32("4294967295", 10, false, UINT32_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT32_MAX);
	ck_assert_int_eq(fw_parse_u32("4294967296", 10, false, UINT32_MAX, &v), -ERANGE);
	ck_assert_int_eq(fw_parse_u32("99999999999999999999x", 21, false, 5, &v), -EINVAL);
}
END_TEST

static Suite *fwrules_suite(void)
{
	Suite *s = suite_create("fwrules");
	TCase *tp = tcase_create("parse");

	tcase_add_test(tp, test_example);
	tcase_add_test(tp, test_valid_constructs);
	tcase_add_test(tp, test_rule_text);
	tcase_add_test(tp, test_errors);
	tcase_add_test(tp, test_error_format);
	tcase_add_test(tp, test_parse_u32);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fwrules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
