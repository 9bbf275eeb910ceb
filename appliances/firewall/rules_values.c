// SPDX-License-Identifier: BSD-2-Clause
/*
 * Values of the rule language: numbers, ranges, names (protocols, ICMP
 * types, services, ...), interfaces and IPv4/IPv6 addresses and prefixes.
 *
 * Every parser here works on a token of bounded length (the lexer's word
 * alphabet), checks every number for overflow before it is used, and
 * reports the exact column of the offending part: the operator fixing a rule
 * file should never have to guess which part of "8080-70000" is wrong.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rules_int.h"

static const struct fw_name icmp4_types[] = {
	{"echo-reply", 0},	     {"destination-unreachable", 3},
	{"source-quench", 4},	     {"redirect", 5},
	{"echo-request", 8},	     {"router-advertisement", 9},
	{"router-solicitation", 10}, {"time-exceeded", 11},
	{"parameter-problem", 12},   {"timestamp-request", 13},
	{"timestamp-reply", 14},     {"info-request", 15},
	{"info-reply", 16},	     {"address-mask-request", 17},
	{"address-mask-reply", 18},  {NULL, 0},
};

static const struct fw_name icmp6_types[] = {
	{"destination-unreachable", 1}, {"packet-too-big", 2},
	{"time-exceeded", 3},		{"parameter-problem", 4},
	{"echo-request", 128},		{"echo-reply", 129},
	{"mld-listener-query", 130},	{"mld-listener-report", 131},
	{"mld-listener-done", 132},	{"mld-listener-reduction", 132},
	{"nd-router-solicit", 133},	{"nd-router-advert", 134},
	{"nd-neighbor-solicit", 135},	{"nd-neighbor-advert", 136},
	{"nd-redirect", 137},		{"router-renumbering", 138},
	{"ind-neighbor-solicit", 141},	{"ind-neighbor-advert", 142},
	{"mld2-listener-report", 143},	{NULL, 0},
};

static const struct fw_name protocols[] = {
	{"icmp", 1},	{"igmp", 2},	  {"ipip", 4},	{"tcp", 6},    {"egp", 8},    {"udp", 17},
	{"dccp", 33},	{"ipv6", 41},	  {"rsvp", 46}, {"gre", 47},   {"esp", 50},   {"ah", 51},
	{"icmpv6", 58}, {"ospf", 89},	  {"pim", 103}, {"comp", 108}, {"vrrp", 112}, {"l2tp", 115},
	{"sctp", 132},	{"udplite", 136}, {NULL, 0},
};

/* After any VLAN tag: a tagged frame is matched with `vlan id`, not `ether type vlan`. */
static const struct fw_name ethertypes[] = {
	{"ip", 0x0800},
	{"arp", 0x0806},
	{"ip6", 0x86dd},
	{NULL, 0},
};

static const struct fw_name services[] = {
	{"ftp-data", 20},  {"ftp", 21},	    {"ssh", 22},	  {"telnet", 23}, {"smtp", 25},
	{"domain", 53},	   {"bootps", 67},  {"bootpc", 68},	  {"tftp", 69},	  {"http", 80},
	{"pop3", 110},	   {"ntp", 123},    {"imap", 143},	  {"snmp", 161},  {"bgp", 179},
	{"ldap", 389},	   {"https", 443},  {"submission", 587},  {"imaps", 993}, {"pop3s", 995},
	{"openvpn", 1194}, {"mysql", 3306}, {"postgresql", 5432}, {NULL, 0},
};

static const struct fw_name ct_states[] = {
	{"invalid", FW_CT_INVALID}, {"established", FW_CT_ESTABLISHED}, {"related", FW_CT_RELATED},
	{"new", FW_CT_NEW},	    {"untracked", FW_CT_UNTRACKED},	{NULL, 0},
};

const struct fw_name fw_tcp_flags[] = {
	{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10},
	{"urg", 0x20}, {"ecn", 0x40}, {"cwr", 0x80}, {NULL, 0},
};

static const struct fw_name reject_icmp[] = {
	{"net-unreachable", 0},	  {"host-unreachable", 1},
	{"prot-unreachable", 2},  {"port-unreachable", 3},
	{"net-prohibited", 9},	  {"host-prohibited", 10},
	{"admin-prohibited", 13}, {NULL, 0},
};

static const struct fw_name reject_icmp6[] = {
	{"no-route", 0},
	{"admin-prohibited", 1},
	{"addr-unreachable", 3},
	{"port-unreachable", 4},
	{"policy-fail", 5},
	{"reject-route", 6},
	{NULL, 0},
};

static const struct fw_name reject_icmpx[] = {
	{"no-route", FW_ICMPX_NO_ROUTE},
	{"port-unreachable", FW_ICMPX_PORT_UNREACH},
	{"host-unreachable", FW_ICMPX_HOST_UNREACH},
	{"admin-prohibited", FW_ICMPX_ADMIN_PROHIBITED},
	{NULL, 0},
};

struct vt_desc {
	const char *what;	     /* "port": "port 70000 out of range" */
	const char *unknown;	     /* "unknown port name 'x'" */
	const struct fw_name *names; /* may be NULL */
	uint32_t max;
	bool hex, ranges;
};

static const struct vt_desc vt_descs[] = {
	[VT_PORT] = {"port", "port name", services, 65535, false, true},
	[VT_VLAN] = {"VLAN id", NULL, NULL, 4095, false, true},
	[VT_ETHERTYPE] = {"ether type", "ether type", ethertypes, 65535, true, true},
	[VT_IFACE] = {"interface", NULL, NULL, FW_MAX_IFINDEX, false, false},
	[VT_PROTO] = {"protocol", "protocol", protocols, 255, false, true},
	[VT_ICMP] = {"ICMP type", "ICMP type", icmp4_types, 255, false, true},
	[VT_ICMP6] = {"ICMPv6 type", "ICMPv6 type", icmp6_types, 255, false, true},
	[VT_CT] = {"ct state", "ct state", ct_states, 0, false, false},
	[VT_ADDR4] = {"IPv4 address", NULL, NULL, 0, false, false},
	[VT_ADDR6] = {"IPv6 address", NULL, NULL, 0, false, false},
};

uint32_t fw_vtype_max(unsigned int vt)
{
	return vt < sizeof(vt_descs) / sizeof(vt_descs[0]) ? vt_descs[vt].max : 0;
}

const char *fw_vtype_name(unsigned int vt)
{
	return vt < sizeof(vt_descs) / sizeof(vt_descs[0]) ? vt_descs[vt].what : "value";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Overflow is checked digit by digit, so any length of digits is safe. */
int fw_parse_u32(const char *s, size_t len, bool hex_ok, uint32_t max, uint32_t *out)
{
	bool hex = hex_ok && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned int base = hex ? 16 : 10;
	uint64_t v = 0;
	bool big = false;

	if (hex) {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = hexval(s[i]);

		if (d < 0 || (unsigned int)d >= base)
			return -EINVAL;
		v = v * base + (unsigned int)d;
		if (v > max) {
			big = true;
			v = (uint64_t)max + 1; /* keep v bounded; keep checking the digits */
		}
	}
	if (big)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int fw_lookup_name(const struct fw_name *tab, const char *s, size_t len, uint32_t *out)
{
	for (; tab && tab->name; tab++) {
		if (strlen(tab->name) == len && memcmp(tab->name, s, len) == 0) {
			*out = tab->value;
			return 0;
		}
	}
	return -ENOENT;
}

/* "netN", N decimal without leading zeros, N <= FW_MAX_IFINDEX. */
static int parse_iface(const struct fw_tok *t, unsigned int line, uint32_t *v, struct fw_error *err)
{
	if (t->len > 3 && memcmp(t->s, "net", 3) == 0 && (t->len == 4 || t->s[3] != '0') &&
	    fw_parse_u32(t->s + 3, t->len - 3, false, FW_MAX_IFINDEX, v) == 0)
		return 0;
	fw_err_set(err, line, t->col, "unknown interface '%.*s' (interfaces are net0, net1, ...)",
		   FW_ECHO(t));
	return -EINVAL;
}

/* One number or name of @d at s[0..len), column @col. */
static int scalar_part(const struct vt_desc *d, const char *s, size_t len, unsigned int line,
		       unsigned int col, uint32_t *v, struct fw_error *err)
{
	int echo = (int)(len < FW_ECHO_MAX ? len : FW_ECHO_MAX);
	int rc;

	if (len && s[0] >= '0' && s[0] <= '9') {
		rc = fw_parse_u32(s, len, d->hex, d->max, v);
		if (rc == -ERANGE)
			fw_err_set(err, line, col, "%s %.*s out of range", d->what, echo, s);
		else if (rc)
			fw_err_set(err, line, col, "invalid %s '%.*s'", d->what, echo, s);
		return rc ? -EINVAL : 0;
	}
	if (fw_lookup_name(d->names, s, len, v) == 0)
		return 0;
	if (d->unknown)
		fw_err_set(err, line, col, "unknown %s '%.*s'", d->unknown, echo, s);
	else
		fw_err_set(err, line, col, "expected a %s, got '%.*s'", d->what, echo, s);
	return -EINVAL;
}

int fw_parse_scalar(const struct fw_tok *t, unsigned int vt, unsigned int line, uint32_t *lo,
		    uint32_t *hi, struct fw_error *err)
{
	const struct vt_desc *d = &vt_descs[vt];
	const char *dash = NULL;

	if (t->type != TK_WORD) {
		fw_err_set(err, line, t->col, "expected a %s", d->what);
		return -EINVAL;
	}
	if (vt == VT_IFACE) {
		if (parse_iface(t, line, lo, err))
			return -EINVAL;
		*hi = *lo;
		return 0;
	}
	/* A range starts with a digit: names such as "echo-request" contain dashes too. */
	if (d->ranges && t->s[0] >= '0' && t->s[0] <= '9')
		dash = memchr(t->s, '-', t->len);
	if (!dash) {
		if (scalar_part(d, t->s, t->len, line, t->col, lo, err))
			return -EINVAL;
		*hi = *lo;
		return 0;
	}
	size_t l1 = (size_t)(dash - t->s);

	if (scalar_part(d, t->s, l1, line, t->col, lo, err) ||
	    scalar_part(d, dash + 1, t->len - l1 - 1, line, t->col + (uint32_t)l1 + 1, hi, err))
		return -EINVAL;
	if (*lo > *hi) {
		fw_err_set(err, line, t->col, "%s range %.*s is reversed", d->what, FW_ECHO(t));
		return -EINVAL;
	}
	return 0;
}

/* Dotted quad, decimal, no leading zeros (they would read as octal elsewhere). */
static int parse_v4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t j = i;
		uint32_t v;

		while (j < len && s[j] != '.')
			j++;
		if (j - i > 1 && s[i] == '0')
			return -EINVAL;
		if (fw_parse_u32(s + i, j - i, false, 255, &v))
			return -EINVAL;
		out[part] = (uint8_t)v;
		if (part < 3 && j == len)
			return -EINVAL;
		i = j + 1;
	}
	return i == len + 1 ? 0 : -EINVAL;
}

/* One group of an IPv6 address, s[i..j): 1-4 hex digits. */
static int v6_group(const char *s, size_t i, size_t j, uint16_t *w)
{
	uint32_t v = 0;

	if (j == i || j - i > 4)
		return -EINVAL;
	for (size_t k = i; k < j; k++) {
		int d = hexval(s[k]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*w = (uint16_t)v;
	return 0;
}

/* RFC 4291 text form: groups, at most one "::", optionally a dotted quad at the end. */
static int parse_v6(const char *s, size_t len, uint8_t out[16])
{
	uint16_t w[8];
	int n = 0, gap = -1;
	size_t i = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != ':' && s[j] != '.')
			j++;
		if (j < len && s[j] == '.') {
			uint8_t q[4];

			if (n > 6 || parse_v4(s + i, len - i, q))
				return -EINVAL;
			w[n++] = (uint16_t)(q[0] << 8 | q[1]);
			w[n++] = (uint16_t)(q[2] << 8 | q[3]);
			break;
		}
		if (n == 8 || v6_group(s, i, j, &w[n]))
			return -EINVAL;
		n++;
		if (j == len)
			break;
		if (j + 1 < len && s[j + 1] == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = n;
			i = j + 2;
		} else {
			i = j + 1;
			if (i == len)
				return -EINVAL; /* a trailing single ':' */
		}
	}
	if (gap < 0 ? n != 8 : n > 7)
		return -EINVAL;
	memset(out, 0, 16);
	for (int k = 0; k < n; k++) {
		int pos = gap >= 0 && k >= gap ? 8 - (n - k) : k;

		out[2 * pos] = (uint8_t)(w[k] >> 8);
		out[2 * pos + 1] = (uint8_t)w[k];
	}
	return 0;
}

/* Text form of an address, for messages; IPv6 with the longest zero run compressed. */
static void format_addr(const struct pkt_addr *a, bool v6, char *buf, size_t len)
{
	int best = -1, bestlen = 1, o = 0;

	if (!v6) {
		snprintf(buf, len, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
		return;
	}
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && a->b[2 * j] == 0 && a->b[2 * j + 1] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8 && o < (int)len; i++) {
		if (i == best) {
			o += snprintf(buf + o, len - (size_t)o, "::");
			i += bestlen - 1;
			continue;
		}
		o += snprintf(buf + o, len - (size_t)o, "%s%x", i && i != best + bestlen ? ":" : "",
			      a->b[2 * i] << 8 | a->b[2 * i + 1]);
	}
}

static int prefix_len(const struct fw_tok *t, size_t at, unsigned int width, unsigned int line,
		      uint8_t *plen, struct fw_error *err)
{
	const char *s = t->s + at + 1;
	size_t l = t->len - at - 1;
	int echo = (int)(l < FW_ECHO_MAX ? l : FW_ECHO_MAX);
	uint32_t v;
	int rc = fw_parse_u32(s, l, false, width, &v);

	if (rc == -ERANGE)
		fw_err_set(err, line, t->col + (uint32_t)at + 1,
			   "prefix length %.*s out of range (max %u)", echo, s, width);
	else if (rc)
		fw_err_set(err, line, t->col + (uint32_t)at + 1, "invalid prefix length '%.*s'",
			   echo, s);
	*plen = (uint8_t)v;
	return rc ? -EINVAL : 0;
}

int fw_parse_prefix(const struct fw_tok *t, unsigned int line, struct ir_elem *e,
		    struct fw_error *err)
{
	const char *slash = t->type == TK_WORD ? memchr(t->s, '/', t->len) : NULL;
	size_t alen = slash ? (size_t)(slash - t->s) : t->len;
	bool v6 = t->type == TK_WORD && memchr(t->s, ':', alen) != NULL;
	unsigned int width = v6 ? 128 : 32;
	struct pkt_addr masked;
	char buf[48];

	memset(e, 0, sizeof(*e));
	if (t->type != TK_WORD ||
	    (v6 ? parse_v6(t->s, alen, e->addr.b) : parse_v4(t->s, alen, e->addr.b))) {
		fw_err_set(err, line, t->col, "invalid %s address '%.*s'", v6 ? "IPv6" : "IPv4",
			   FW_ECHO(t));
		return -EINVAL;
	}
	e->fam = v6 ? 6 : 4;
	e->plen = (uint8_t)width;
	if (slash && prefix_len(t, alen, width, line, &e->plen, err))
		return -EINVAL;
	masked = e->addr;
	fw_addr_mask(&masked, e->plen);
	if (memcmp(&masked, &e->addr, sizeof(masked)) != 0) {
		/* Almost always a typo for the network address: say which one. */
		format_addr(&masked, v6, buf, sizeof(buf));
		fw_err_set(err, line, t->col,
			   "'%.*s' has bits set after the prefix length (did you mean %s/%u?)",
			   FW_ECHO(t), buf, e->plen);
		return -EINVAL;
	}
	return 0;
}

int fw_reject_code(const struct fw_tok *t, unsigned int kind, uint32_t *code)
{
	const struct fw_name *tab = kind == FW_REJECT_ICMP     ? reject_icmp
				    : kind == FW_REJECT_ICMPV6 ? reject_icmp6
							       : reject_icmpx;

	if (t->type != TK_WORD)
		return -EINVAL;
	if (kind != FW_REJECT_ICMPX && fw_parse_u32(t->s, t->len, false, 255, code) == 0)
		return 0;
	return fw_lookup_name(tab, t->s, t->len, code) ? -EINVAL : 0;
}

/* Named sets are typed by their elements: an interface, an address, or a port. */
unsigned int fw_guess_elem(const struct fw_tok *t)
{
	uint32_t v;

	if (t->type != TK_WORD)
		return IRS_NONE;
	if (memchr(t->s, ':', t->len) || memchr(t->s, '.', t->len))
		return IRS_ADDR;
	if (t->len > 3 && memcmp(t->s, "net", 3) == 0)
		return IRS_IFACE;
	if ((t->s[0] >= '0' && t->s[0] <= '9') || fw_lookup_name(services, t->s, t->len, &v) == 0)
		return IRS_PORT;
	return IRS_NONE;
}
