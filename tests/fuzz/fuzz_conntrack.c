// SPDX-License-Identifier: BSD-2-Clause
/*
 * The firewall's packet path over packet SEQUENCES: the packet parser
 * (nf/pktparse.c), fragment reassembly (nf/defrag.c), connection tracking
 * (nf/conntrack*.c) and the classifier with a compiled ruleset, driven as
 * the appliance drives them (fragments held until their datagram is whole,
 * which is then tracked once; lookup, classify, confirm on accept; periodic
 * expiry). State bugs need
 * several packets and the passing of time, so the input is a script:
 *
 *   byte 0   ruleset (one of the built-in ones below)
 *   byte 1   conntrack options (loose pickup, liberal, VLAN zones, fragment policy)
 *   then steps, each an opcode byte and its operands:
 *     raw frame    ifindex, clock step (ms), length (u16), bytes; the IPv4
 *                  header checksum optionally fixed so the frame gets past it
 *     built frame  compact fields (family, protocol, endpoints from a small
 *                  pool so flows meet again, TCP flags/seq/ack/window,
 *                  fragment bits, ICMP error quoting another flow) turned
 *                  into a well-formed frame: reaches deep TCP tracking fast
 *     expire       a budget and a clock step in seconds
 *     clock jump   up to ~49 days in ms, past every timeout
 * A small table (64 entries) makes eviction and "table full" reachable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/fwrules.h"
#include "sluice/nf/conntrack.h"
#include "sluice/nf/defrag.h"
#include "sluice/nf/pktmeta.h"

#define MS 1000000ull
#define FRAME_MAX 1600
#define CT_ENTRIES 64

static const char *const rulesets[] = {
	"policy accept\n",
	"policy drop\n"
	"set web { 80, 443, 8080-8090 }\n"
	"set nets { 10.0.0.0/8, 2001:db8::/32 }\n"
	"ct state established,related accept\n"
	"ct state invalid drop\n"
	"ether type arp accept\n"
	"icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, echo-request } accept\n"
	"ip saddr @nets tcp dport @web accept\n"
	"ip6 saddr @nets tcp dport @web accept\n"
	"tcp flags syn,!ack tcp dport 22 limit rate 5/second accept\n"
	"tcp dport 23 reject\n"
	"icmp type echo-request log prefix \"ping \" accept\n"
	"meta l4proto { udp } th dport 53 counter accept\n"
	"ip protocol gre accept\n",
	"policy drop\n"
	"ct state new,established,related,untracked accept\n"
	"ct state invalid log drop\n",
};
#define NRULESETS (sizeof(rulesets) / sizeof(rulesets[0]))

static struct fw_ruleset *rs[NRULESETS];

/* The endpoint pool: flows built from it keep meeting each other. */
static const uint8_t addr4[4][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}, {192, 0, 2, 7}, {10, 9, 0, 66}};
static const uint8_t addr6[4][16] = {
	{0x20, 0x01, 0x0d, 0xb8, [15] = 1},
	{0x20, 0x01, 0x0d, 0xb8, [15] = 2},
	{0xfd, 0x09, [15] = 2},
	{0xfe, 0x80, [15] = 9},
};
static const uint16_t ports[8] = {22, 23, 53, 80, 443, 8080, 40000, 40001};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An IPv4 header at @ip with a valid checksum. */
static void ip4_hdr(uint8_t *ip, uint16_t total, uint16_t id, uint16_t frag, uint8_t proto,
		    const uint8_t *src, const uint8_t *dst)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, total);
	put16(ip + 4, id);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum(ip, 20));
}

/* L4 header for @proto at @l4 (TCP, UDP, ICMP/ICMPv6 echo); returns its length. */
static size_t l4_hdr(struct fz *f, uint8_t *l4, uint8_t proto, uint16_t sp, uint16_t dp)
{
	switch (proto) {
	case 6: {
		uint8_t flags = fz_u8(f);
		size_t len = 20;

		memset(l4, 0, 24);
		put16(l4, sp);
		put16(l4 + 2, dp);
		put32(l4 + 4, fz_u32(f));
		put32(l4 + 8, fz_u32(f));
		put16(l4 + 14, fz_u16(f));
		l4[13] = flags & 0x3f;
		if (flags & 0x40) { /* window scale option, shift from the top bits */
			l4[20] = 3, l4[21] = 3, l4[22] = fz_u8(f) & 15, l4[23] = 0;
			len = 24;
		}
		l4[12] = (uint8_t)(len / 4) << 4;
		return len;
	}
	case 17:
		put16(l4, sp);
		put16(l4 + 2, dp);
		put16(l4 + 4, 8);
		put16(l4 + 6, 0);
		return 8;
	default: /* ICMP / ICMPv6: type, code, id (the "port") */
		l4[0] = fz_u8(f);
		l4[1] = fz_u8(f) & 3;
		put16(l4 + 2, 0);
		put16(l4 + 4, sp);
		put16(l4 + 6, 1);
		return 8;
	}
}

/*
 * A well-formed frame from compact fields:
 * [family/proto/frag][endpoints][L4 fields][payload length] and, for an
 * ICMP error, the quoted flow's endpoints. Returns the frame length.
 */
static size_t build(struct fz *f, uint8_t *fr)
{
	uint8_t a = fz_u8(f), e = fz_u8(f), b = fz_u8(f);
	bool v6 = a & 1;
	static const uint8_t v4p[4] = {6, 17, 1, 47}, v6p[4] = {6, 17, 58, 47};
	uint8_t proto = v6 ? v6p[(a >> 1) & 3] : v4p[(a >> 1) & 3];
	unsigned int si = e & 3, di = (e >> 2) & 3;
	uint16_t sp = ports[(e >> 4) & 7], dp = ports[b & 7];
	size_t plen = (b >> 3) * 8u, l3 = 14, iplen = v6 ? 40 : 20, ext = 0, l4len;
	uint8_t *ip = fr + l3, *l4;
	bool frag = a & 0x08, more = a & 0x10, err = a & 0x20;
	uint16_t fo = frag ? (uint16_t)(fz_u8(f) & 0x1f) : 0; /* offset in 8-byte units */

	memset(fr, 0, 14);
	fr[5] = (uint8_t)(1 + si);
	fr[11] = (uint8_t)(1 + di);
	put16(fr + 12, v6 ? 0x86dd : 0x0800);
	if (v6 && (frag || more))
		ext = 8;
	l4 = ip + iplen + ext;
	memset(l4, 0, 64);
	if (fo != 0) {
		l4len = 0; /* a later fragment carries no L4 header */
	} else if (err && (proto == 1 || proto == 58)) {
		/* An ICMP error quoting the start of a packet of another pool flow. */
		uint8_t qs = fz_u8(f);
		uint8_t *q = l4 + 8;

		l4[0] = proto == 1 ? 3 : 1; /* destination unreachable */
		l4[1] = fz_u8(f) & 3;
		if (v6) {
			memset(q, 0, 40);
			q[0] = 0x60, q[6] = 6, q[7] = 64;
			put16(q + 4, 20);
			memcpy(q + 8, addr6[qs & 3], 16);
			memcpy(q + 24, addr6[(qs >> 2) & 3], 16);
			q += 40;
		} else {
			ip4_hdr(q, 40, 0, 0, (qs & 0x80) ? 17 : 6, addr4[qs & 3],
				addr4[(qs >> 2) & 3]);
			q += 20;
		}
		put16(q, ports[(qs >> 4) & 7]);
		put16(q + 2, ports[fz_u8(f) & 7]);
		put32(q + 4, fz_u32(f));
		l4len = (size_t)(q + 8 - l4);
	} else {
		l4len = l4_hdr(f, l4, proto, sp, dp);
	}
	if (ext + l4len + plen + iplen + l3 > FRAME_MAX)
		plen = 0;
	memset(l4 + l4len, 0xab, plen);
	if (v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(ext + l4len + plen));
		ip[6] = ext ? 44 : proto;
		ip[7] = 64;
		memcpy(ip + 8, addr6[si], 16);
		memcpy(ip + 24, addr6[di], 16);
		if (ext) {
			uint8_t *fh = ip + 40;

			fh[0] = proto, fh[1] = 0;
			put16(fh + 2, (uint16_t)(fo << 3 | (more ? 1 : 0)));
			put32(fh + 4, fz_u8(f));
		}
	} else {
		ip4_hdr(ip, (uint16_t)(20 + l4len + plen), fz_u8(f),
			(uint16_t)(fo | (more ? 0x2000 : 0)), proto, addr4[si], addr4[di]);
	}
	return l3 + iplen + ext + l4len + plen;
}

/* A raw frame's IPv4 header checksum, fixed when the header is there to fix. */
static void fix_ip4(uint8_t *fr, size_t len)
{
	size_t ihl;

	if (len < 34 || fr[12] != 0x08 || fr[13] != 0x00)
		return;
	ihl = (fr[14] & 15u) * 4u;
	if (ihl < 20 || 14 + ihl > len)
		return;
	put16(fr + 24, 0);
	put16(fr + 24, csum(fr + 14, ihl));
}

/*
 * Fragment handles: tags, each owned by exactly one side at a time. The
 * table must give every held one back exactly once (release hook, or a
 * finished datagram), never one it does not hold.
 */
#define MAX_TAGS 4096
static bool tag_held[MAX_TAGS];
static uintptr_t next_tag;

static void give_back(void *handle)
{
	uintptr_t t = (uintptr_t)handle;

	if (t == 0 || t > MAX_TAGS || !tag_held[t - 1]) {
		fprintf(stderr, "defrag returned handle %zu it did not hold\n", (size_t)t);
		abort();
	}
	tag_held[t - 1] = false;
}

static void df_release(void *arg, void *handle, int why)
{
	(void)arg;
	if (why != DF_WHY_INVALID && why != DF_WHY_LIMIT)
		abort();
	give_back(handle);
}

/* Conntrack and the rules on one (possibly reassembled) packet, as the appliance runs them. */
static void track(struct ct_table *t, const struct fw_ruleset *r, const struct pkt_meta *m,
		  uint64_t now)
{
	struct ct_entry *e = NULL;
	const struct fw_verdict *v;
	struct fw_logs logs;
	uint8_t st = ct_lookup_update(t, m, now, &e);

	if (st != CT_NEW && st != CT_ESTABLISHED && st != CT_RELATED && st != CT_INVALID &&
	    st != CT_UNTRACKED)
		abort();
	v = fw_classify_ex(r, m, m->ifindex ^ 1, st, now, &logs);
	if (v->action == FW_ACCEPT && (st == CT_NEW || (m->flags & PKT_FIRST_FRAG))) {
		int rc = ct_confirm(t, m, now, &e);

		if (rc != 0 && rc != -EINVAL && rc != -ENOSPC)
			abort();
	}
	if (t->stats.entries > t->max)
		abort();
}

static void packet(struct ct_table *t, struct defrag *df, const struct fw_ruleset *r,
		   const uint8_t *fr, size_t len, uint32_t ifindex, uint64_t now)
{
	static struct df_done done;
	struct pkt_meta m;
	uint16_t zone;
	void *h;

	if (pkt_parse(fr, len, ifindex, &m) != 0)
		abort();
	if (m.l4_off > len || m.payload_off > len || m.l3_off > len)
		abort();
	/* The defrag element's filter: only well-formed fragments are offered. */
	if (!(m.flags & PKT_FRAGMENT) || (m.flags & PKT_MALFORMED))
		return track(t, r, &m, now);
	if (next_tag >= MAX_TAGS)
		return;
	h = (void *)++next_tag;
	tag_held[next_tag - 1] = true;
	zone = m.flags & PKT_VLAN ? m.vlan : 0;
	switch (df_add(df, &m, fr, len, zone, h, now, &done)) {
	case DF_HELD:
		break;
	case DF_DONE:
		if (done.n == 0 || done.n > DF_DGRAM_FRAGS_MAX || done.len > DF_SYNTH_MAX ||
		    !(done.meta.flags & PKT_REASM))
			abort();
		done.meta.ifindex = ifindex;
		track(t, r, &done.meta, now);
		for (unsigned int i = 0; i < done.n; i++)
			give_back(done.handles[i]);
		break;
	case DF_PASS:
		give_back(h);
		track(t, r, &m, now);
		break;
	case DF_DROP:
		give_back(h);
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t fr[FRAME_MAX + 64];
	struct fz f = {data, size};
	struct ct_table t;
	struct ct_cfg cfg;
	struct defrag df;
	struct df_cfg dcfg;
	uint64_t now = 1000 * 1000 * MS;
	const struct fw_ruleset *r;
	uint8_t opt;

	if (!rs[0])
		for (unsigned int i = 0; i < NRULESETS; i++) {
			struct fw_error err;

			if (fw_compile(rulesets[i], strlen(rulesets[i]), &rs[i], &err) != 0) {
				fprintf(stderr, "ruleset %u: %u:%u: %s\n", i, err.line, err.col,
					err.msg);
				abort();
			}
		}
	r = rs[fz_u8(&f) % NRULESETS];
	opt = fz_u8(&f);
	if (ct_init(&t, CT_ENTRIES, 0x0123456789abcdefULL) != 0)
		abort();
	ct_cfg_default(&cfg);
	cfg.tcp_loose = opt & 1;
	cfg.tcp_liberal = opt & 2;
	cfg.vlan_zones = opt & 4;
	cfg.frag_policy = (uint8_t)(((opt >> 3) & 3) % 3);
	if (ct_set_cfg(&t, &cfg) != 0)
		abort();
	/* Small limits so eviction and the per-source share are reachable. */
	df_cfg_default(&dcfg);
	dcfg.max_frags = 24;
	dcfg.max_per_src = 16;
	dcfg.max_dgrams = 8;
	if (df_init(&df, &dcfg, df_release, NULL) != 0)
		abort();
	memset(tag_held, 0, sizeof(tag_held));
	next_tag = 0;

	for (unsigned int steps = 0; !fz_empty(&f) && steps < 256; steps++) {
		uint8_t op = fz_u8(&f);
		size_t len;

		switch (op & 3) {
		case 0: { /* raw frame */
			const uint8_t *p;

			now += fz_u16(&f) * MS;
			len = fz_take(&f, fz_u16(&f) % (FRAME_MAX + 1), &p);
			memcpy(fr, p, len);
			if (op & 4)
				fix_ip4(fr, len);
			packet(&t, &df, r, fr, len, (op >> 4) & 3, now);
			break;
		}
		case 1: /* built frame */
			now += (op >> 3) * 10 * MS;
			len = build(&f, fr);
			packet(&t, &df, r, fr, len, (op >> 2) & 1, now);
			break;
		case 2: /* periodic expiry */
			now += fz_u16(&f) * 1000 * MS;
			ct_expire(&t, now, fz_u8(&f));
			df_expire(&df, now);
			break;
		default: /* a long jump of the clock */
			now += fz_u32(&f) * MS;
			break;
		}
	}
	df_destroy(&df); /* gives back every fragment still held */
	for (unsigned int i = 0; i < next_tag; i++)
		if (tag_held[i])
			abort();
	ct_flush(&t);
	if (t.stats.entries != 0)
		abort();
	ct_destroy(&t);
	return 0;
}
