/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-NIC configuration from the command line and from the host channel
 * (net/netN/{ip,gw,ip6,gw6}; on Xen in xenstore under data/sluice/).
 *
 * Both sources are untrusted text (xl cfg, QEMU -append, whoever may write
 * the domain's data/ directory), so addresses are parsed strictly here
 * instead of with lwIP's lenient inet_aton-style parsers ("10.1" or
 * "010.0.0.1" mean surprising things there): dotted quads of decimal
 * octets without leading zeros, and RFC 4291 hex IPv6 text without an
 * embedded IPv4 part or zone. Values are never echoed back to the console
 * in messages: they might carry terminal control sequences.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwip/def.h"
#include "net_priv.h"
#include "sluice/hostcfg.h"
#include "sluice/inaddr.h"
#include "sluice/kernel.h"

struct net_cfg net_cfgs[NET_CFG_MAX];

static const char *const kind_names[NET_KEY_KINDS] = {"ip", "gw", "ip6", "gw6"};

/* "key 'netN.K'" for the command line's keys (what cmdline.c calls them). */
#define KEY_SRC(n)                                                                                 \
	{                                                                                          \
		"key 'net" #n ".ip'", "key 'net" #n ".gw'", "key 'net" #n ".ip6'",                 \
			"key 'net" #n ".gw6'"                                                      \
	}
static const char *const cmdline_src[NET_CFG_MAX][NET_KEY_KINDS] = {KEY_SRC(0), KEY_SRC(1),
								    KEY_SRC(2), KEY_SRC(3)};
static char host_src[NET_CFG_MAX][NET_KEY_KINDS][48];

static const char *parse_ip4(const char *s, ip4_addr_t *out)
{
	uint8_t b[4];

	s = inaddr_parse4(s, b);
	if (s)
		IP4_ADDR(out, b[0], b[1], b[2], b[3]);
	return s;
}

static const char *parse_ip6(const char *s, ip6_addr_t *out)
{
	uint8_t b[16];
	u32_t w[4];

	s = inaddr_parse6(s, b);
	if (!s)
		return NULL;
	memcpy(w, b, sizeof(w)); /* already network order, as lwIP keeps it */
	IP6_ADDR(out, w[0], w[1], w[2], w[3]);
	return s;
}

/* "/N" at @s, the end of the string after it; -EINVAL with a reason otherwise. */
static int parse_prefix(const char *s, unsigned int max, uint8_t *out, char *err, size_t errlen)
{
	unsigned int v;

	if (*s != '/') {
		snprintf(err, errlen, "expected ADDR/PREFIX (e.g. %s)",
			 max == 32 ? "10.0.0.2/24" : "2001:db8::2/64");
		return -EINVAL;
	}
	s = inaddr_parse_dec(s + 1, max, &v);
	if (!s || *s || v == 0) {
		snprintf(err, errlen, "prefix length must be 1..%u", max);
		return -EINVAL;
	}
	*out = (uint8_t)v;
	return 0;
}

static bool ip4_is_unicast(const ip4_addr_t *a)
{
	/* 0.0.0.0/8 is "this network", 255.255.255.255 the limited broadcast. */
	return (lwip_ntohl(ip4_addr_get_u32(a)) >> 24) != 0 && !ip4_addr_ismulticast(a) &&
	       !ip4_addr_isloopback(a) && ip4_addr_get_u32(a) != IPADDR_BROADCAST;
}

static bool ip6_is_unicast(const ip6_addr_t *a)
{
	return !ip6_addr_isany(a) && !ip6_addr_ismulticast(a) && !ip6_addr_isloopback(a);
}

static int set_ip(struct net_cfg *c, const char *v, char *err, size_t errlen)
{
	uint32_t host;
	const char *end;

	if (strcmp(v, "dhcp") == 0) {
		c->dhcp = true;
		return 0;
	}
	end = parse_ip4(v, &c->ip);
	if (!end) {
		snprintf(err, errlen, "not an IPv4 address/prefix (e.g. 10.0.0.2/24) or 'dhcp'");
		return -EINVAL;
	}
	if (parse_prefix(end, 32, &c->prefix, err, errlen) < 0)
		return -EINVAL;
	if (!ip4_is_unicast(&c->ip)) {
		snprintf(err, errlen, "not a unicast address");
		return -EINVAL;
	}
	ip4_addr_set_u32(&c->mask, lwip_htonl(0xffffffffu << (32 - c->prefix)));
	/* The all-zeros and all-ones hosts are the network and its broadcast. */
	host = lwip_ntohl(ip4_addr_get_u32(&c->ip)) & ~lwip_ntohl(ip4_addr_get_u32(&c->mask));
	if (c->prefix <= 30 && (host == 0 || host == ~lwip_ntohl(ip4_addr_get_u32(&c->mask)))) {
		snprintf(err, errlen, "the address is the subnet's network or broadcast address");
		return -EINVAL;
	}
	return 0;
}

static int set_addr(struct net_cfg *c, enum net_key_kind kind, const char *v, char *err,
		    size_t errlen)
{
	const char *end;

	switch (kind) {
	case NET_KEY_IP:
		return set_ip(c, v, err, errlen);
	case NET_KEY_GW:
		end = parse_ip4(v, &c->gw);
		if (!end || *end || !ip4_is_unicast(&c->gw))
			break;
		return 0;
	case NET_KEY_IP6:
		end = parse_ip6(v, &c->ip6);
		if (!end) {
			snprintf(err, errlen, "not an IPv6 address/prefix (e.g. 2001:db8::2/64)");
			return -EINVAL;
		}
		if (parse_prefix(end, 128, &c->prefix6, err, errlen) < 0)
			return -EINVAL;
		if (!ip6_is_unicast(&c->ip6) || ip6_addr_islinklocal(&c->ip6)) {
			snprintf(err, errlen,
				 "not a global or unique-local unicast address "
				 "(link-local addresses are automatic)");
			return -EINVAL;
		}
		return 0;
	case NET_KEY_GW6:
		end = parse_ip6(v, &c->gw6);
		if (!end || *end || !ip6_is_unicast(&c->gw6))
			break;
		return 0;
	default:
		break;
	}
	snprintf(err, errlen, "not a unicast IPv%c address", kind == NET_KEY_GW ? '4' : '6');
	return -EINVAL;
}

/*
 * Apply one key to NIC @n's configuration. A key already set from another
 * source: the command line wins over the host channel, and ip= / net0.ip= clash.
 */
static int apply_key(unsigned int n, enum net_key_kind kind, const char *v, const char *src,
		     char *err, size_t errlen)
{
	struct net_cfg *c = &net_cfgs[n];
	struct net_cfg tmp = *c;
	bool *has[NET_KEY_KINDS] = {&tmp.has_ip, &tmp.has_gw, &tmp.has_ip6, &tmp.has_gw6};

	if (c->src[kind]) {
		snprintf(err, errlen, "net%u's %s is already set by %s", n, kind_names[kind],
			 c->src[kind]);
		return -EINVAL;
	}
	/* Parse into a copy: a bad value must not half-change the configuration. */
	if (set_addr(&tmp, kind, v, err, errlen) < 0)
		return -EINVAL;
	*has[kind] = true;
	tmp.src[kind] = src;
	*c = tmp;
	return 0;
}

/* ctx encodes NIC * NET_KEY_KINDS + kind, or NET_SHORTHAND + kind for ip=, gw=. */
#define NET_SHORTHAND 100
static int net_opt(const char *value, void *ctx, char *err, size_t errlen)
{
	static const char *const short_src[NET_KEY_KINDS] = {"key 'ip'", "key 'gw'"};
	unsigned int id = (unsigned int)(uintptr_t)ctx;

	if (id >= NET_SHORTHAND) {
		id -= NET_SHORTHAND;
		return apply_key(0, (enum net_key_kind)id, value, short_src[id], err, errlen);
	}
	return apply_key(id / NET_KEY_KINDS, (enum net_key_kind)(id % NET_KEY_KINDS), value,
			 cmdline_src[id / NET_KEY_KINDS][id % NET_KEY_KINDS], err, errlen);
}

#define OPT(k, id, what)                                                                           \
	{                                                                                          \
		.key = k, .type = CMDLINE_FUNC, .fn = net_opt, .ctx = (void *)(uintptr_t)(id),     \
		.help = what                                                                       \
	}
#define NIC_OPTS(n)                                                                                \
	OPT("net" #n ".ip", (n)*NET_KEY_KINDS + NET_KEY_IP,                                        \
	    "net" #n " IPv4 ADDR/PREFIX, or dhcp"),                                                \
		OPT("net" #n ".gw", (n)*NET_KEY_KINDS + NET_KEY_GW, "net" #n " IPv4 gateway"),     \
		OPT("net" #n ".ip6", (n)*NET_KEY_KINDS + NET_KEY_IP6,                              \
		    "net" #n " static IPv6 ADDR/PREFIX"),                                          \
		OPT("net" #n ".gw6", (n)*NET_KEY_KINDS + NET_KEY_GW6, "net" #n " IPv6 gateway")

const struct cmdline_opt net_cmdline_opts[] = {
	NIC_OPTS(0),
	NIC_OPTS(1),
	NIC_OPTS(2),
	NIC_OPTS(3),
	OPT("ip", NET_SHORTHAND + NET_KEY_IP, "shorthand for net0.ip"),
	OPT("gw", NET_SHORTHAND + NET_KEY_GW, "shorthand for net0.gw"),
	{.key = NULL},
};

/* One host-channel key's outcome: absent is fine, unreadable or invalid is an error. */
static int host_key(unsigned int n, enum net_key_kind k, const struct hc_op *op, char *err,
		    size_t errlen)
{
	char *src = host_src[n][k];
	char reason[120];

	snprintf(src, sizeof(host_src[n][k]), "host key '%s'", op->key);
	if (op->rc == -ENOENT)
		return 0;
	/* Untrusted: a value too long to be an address, or one with a NUL inside. */
	if (op->rc == -E2BIG || (op->rc == 0 && strlen(op->buf) != op->out_len)) {
		snprintf(err, errlen, "%s: not an address (too long, or not text)", src);
		return -EINVAL;
	}
	if (op->rc < 0) {
		snprintf(err, errlen, "%s: cannot read (%d)", src, op->rc);
		return -EINVAL;
	}
	if (net_cfgs[n].src[k]) {
		printf("net: %s overrides %s\n", net_cfgs[n].src[k], src);
		return 0;
	}
	if (apply_key(n, k, op->buf, src, reason, sizeof(reason)) < 0) {
		/* Name the key first, as the command line's messages do. */
		snprintf(err, errlen, "%s: %s", src, reason);
		return -EINVAL;
	}
	return 0;
}

/*
 * net/netN/K on the host channel (Xen: data/sluice/net/... in xenstore),
 * all read in one batch: one transaction, so a host rewriting them
 * meanwhile cannot give us half of each.
 */
static int read_host(char *err, size_t errlen)
{
	static char keys[NET_CFG_MAX * NET_KEY_KINDS][24];
	static char vals[NET_CFG_MAX * NET_KEY_KINDS][64];
	struct hc_op ops[NET_CFG_MAX * NET_KEY_KINDS];
	struct hc_batch b = {.ops = ops, .nops = NET_CFG_MAX * NET_KEY_KINDS};
	int rc;

	for (unsigned int i = 0; i < b.nops; i++) {
		snprintf(keys[i], sizeof(keys[i]), HK_NET "/net%u/%s", i / NET_KEY_KINDS,
			 kind_names[i % NET_KEY_KINDS]);
		ops[i] = (struct hc_op){
			.kind = HC_READ, .key = keys[i], .buf = vals[i], .cap = sizeof(vals[i])};
	}
	rc = hc_run(&b);
	if (rc < 0) {
		snprintf(err, errlen, "host key '" HK_NET "': cannot read (%d)", rc);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < b.nops; i++)
		if (host_key(i / NET_KEY_KINDS, i % NET_KEY_KINDS, &ops[i], err, errlen) < 0)
			return -EINVAL;
	return 0;
}

/* What no single key can check: gateways against their addresses, clashes. */
static int check_nic(unsigned int n, char *err, size_t errlen)
{
	const struct net_cfg *c = &net_cfgs[n];

	if (c->has_gw && !c->has_ip) {
		snprintf(err, errlen, "%s: a gateway needs a static address (net%u.ip=ADDR/PREFIX)",
			 c->src[NET_KEY_GW], n);
		return -EINVAL;
	}
	if (c->has_gw && c->dhcp) {
		snprintf(err, errlen, "%s: conflicts with DHCP (%s), which supplies the gateway",
			 c->src[NET_KEY_GW], c->src[NET_KEY_IP]);
		return -EINVAL;
	}
	if (c->has_gw &&
	    (!ip4_addr_net_eq(&c->gw, &c->ip, &c->mask) || ip4_addr_eq(&c->gw, &c->ip))) {
		snprintf(err, errlen, "%s: the gateway must be another address in the subnet of %s",
			 c->src[NET_KEY_GW], c->src[NET_KEY_IP]);
		return -EINVAL;
	}
	for (unsigned int m = 0; m < n; m++) {
		const struct net_cfg *o = &net_cfgs[m];

		if (c->has_ip && !c->dhcp && o->has_ip && !o->dhcp && ip4_addr_eq(&c->ip, &o->ip)) {
			snprintf(err, errlen, "%s: same address as %s", c->src[NET_KEY_IP],
				 o->src[NET_KEY_IP]);
			return -EINVAL;
		}
		if (c->has_ip6 && o->has_ip6 && ip6_addr_zoneless_eq(&c->ip6, &o->ip6)) {
			snprintf(err, errlen, "%s: same address as %s", c->src[NET_KEY_IP6],
				 o->src[NET_KEY_IP6]);
			return -EINVAL;
		}
	}
	return 0;
}

int net_config_finish(char *err, size_t errlen)
{
	if (hc_present() && read_host(err, errlen) < 0)
		return -EINVAL;
	for (unsigned int n = 0; n < NET_CFG_MAX; n++)
		if (check_nic(n, err, errlen) < 0)
			return -EINVAL;
	return 0;
}
