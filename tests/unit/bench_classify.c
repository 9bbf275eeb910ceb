// SPDX-License-Identifier: BSD-2-Clause
/*
 * Micro-benchmark of the firewall classifier: ns/packet for 10, 1,000 and
 * 10,000 rules of three shapes, with the indexed classifier and, for
 * comparison, a plain scan of the same rules. Built by `make check`, run by
 * hand (it prints figures, it asserts nothing):
 *
 *     tests/unit/bench_classify [packets]
 *
 * Packets: half hit a random rule, a quarter come from inside 10.0.0.0/8 to
 * a random port (mostly the policy), a quarter from elsewhere; all are
 * ct state new, so the leading `ct state established` rule never ends the
 * walk early.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules_int.h"
#include "sluice/fwrules.h"

#define NPKT 4096

static uint64_t rng = 0x853c49e6748fea9bull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum shape { SADDR_DPORT, DPORT, V6_DADDR, NSHAPES };

static const char *const shape_names[] = {
	"ip saddr 10.x.y.0/24 tcp dport N",
	"tcp dport N",
	"ip6 daddr 2001:db8:x:y::/64 udp dport 53",
};

static size_t rule(enum shape s, unsigned int i, char *o, size_t cap)
{
	switch (s) {
	case SADDR_DPORT:
		return (size_t)snprintf(o, cap, "ip saddr 10.%u.%u.0/24 tcp dport %u accept\n",
					i / 256, i % 256, 1 + i % 1000);
	case DPORT:
		return (size_t)snprintf(o, cap, "tcp dport %u accept\n", 1 + i);
	default:
		return (size_t)snprintf(o, cap,
					"ip6 daddr 2001:db8:%x:%x::/64 udp dport 53 accept\n",
					i / 256, i % 256);
	}
}

static void packet(enum shape s, unsigned int nrules, struct pkt_meta *m)
{
	unsigned int i = rnd() % nrules, kind = rnd() % 4;
	char a[64];

	memset(m, 0, sizeof(*m));
	m->flags = PKT_HAS_L4;
	m->frame_len = 100;
	m->sport = (uint16_t)(1024 + rnd() % 60000);
	if (s == V6_DADDR) {
		m->l3 = PKT_L3_IPV6;
		m->ethertype = 0x86dd;
		m->proto = 17;
		m->dport = kind < 2 ? 53 : (uint16_t)rnd();
		snprintf(a, sizeof(a), "2001:db8:%x:%x::%x", kind == 3 ? 0xffff : i / 256, i % 256,
			 rnd() % 65536);
		inet_pton(AF_INET6, a, m->daddr.b);
		inet_pton(AF_INET6, "2001:db8::1", m->saddr.b);
		return;
	}
	m->l3 = PKT_L3_IPV4;
	m->ethertype = 0x0800;
	m->proto = 6;
	m->dport = (uint16_t)(kind < 2 ? (s == DPORT ? 1 + i : 1 + i % 1000) : rnd() % 65536);
	snprintf(a, sizeof(a), "%u.%u.%u.%u", kind == 3 ? 192 : 10,
		 kind < 2 ? i / 256 : rnd() % 256, kind < 2 ? i % 256 : rnd() % 256, rnd() % 256);
	inet_pton(AF_INET, a, m->saddr.b);
	inet_pton(AF_INET, "10.255.255.1", m->daddr.b);
}

/* The same rules without the index, for comparison. */
static const struct fw_verdict *scan(const struct fw_ruleset *rs, const struct pkt_meta *m)
{
	for (uint32_t i = 0; i < rs->nrules; i++)
		if ((rs->rules[i].flags & FWR_TERMINAL) &&
		    fw_rule_matches(rs, &rs->rules[i], m, FW_IF_NONE, FW_CT_NEW))
			return &rs->rules[i].verdict;
	return &rs->policy;
}

static void run(enum shape s, unsigned int nrules, unsigned long npackets)
{
	static struct pkt_meta pkts[NPKT];
	char *text = malloc((size_t)nrules * 80 + 128);
	size_t len = (size_t)sprintf(text, "policy drop\nct state established,related accept\n");
	struct fw_ruleset *rs;
	struct fw_error err;
	uint64_t t0, t1, t2, sink = 0;
	unsigned long nscan = npackets / (nrules >= 1000 ? 100 : 1);

	for (unsigned int i = 0; i < nrules; i++)
		len += rule(s, i, text + len, 80);
	t0 = now_ns();
	if (fw_compile(text, len, &rs, &err)) {
		printf("compile failed: %u:%u: %s\n", err.line, err.col, err.msg);
		exit(1);
	}
	t1 = now_ns();
	for (unsigned int i = 0; i < NPKT; i++)
		packet(s, nrules, &pkts[i]);
	t2 = now_ns();
	for (unsigned long k = 0; k < npackets; k++)
		sink += fw_classify(rs, &pkts[k % NPKT], FW_CT_NEW, k)->rule;
	t2 = now_ns() - t2;
	printf("%6u rules: %7.1f ns/packet indexed", nrules, (double)t2 / (double)npackets);
	t2 = now_ns();
	for (unsigned long k = 0; k < nscan; k++)
		sink += scan(rs, &pkts[k % NPKT])->rule;
	t2 = now_ns() - t2;
	printf(", %9.1f ns/packet scanned; compile %6.1f ms, %6zu KiB (%llx)\n",
	       (double)t2 / (double)nscan, (double)(t1 - t0) / 1e6, fw_ruleset_memory(rs) >> 10,
	       (unsigned long long)(sink & 0xf));
	fw_ruleset_free(rs);
	free(text);
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = {10, 1000, 10000};
	unsigned long npackets = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;

	if (npackets == 0)
		npackets = 1;
	for (int s = 0; s < NSHAPES; s++) {
		printf("%s:\n", shape_names[s]);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			run((enum shape)s, sizes[i], npackets);
	}
	return 0;
}
