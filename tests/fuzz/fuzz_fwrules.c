// SPDX-License-Identifier: BSD-2-Clause
/*
 * The firewall rule language and compiler (appliances/firewall/rules_*.c,
 * classify*.c, set.c, lpm.c): rule text from operators and from the host
 * channel, so untrusted. Compile, and when the text is accepted, use the
 * ruleset as the appliance would: rule info, carrying state from the
 * previous ruleset, classifying a few packets of each kind, then free.
 * The limits are the defaults but for the memory budget, kept small so an
 * input that asks for a huge table fails fast instead of slowing the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/fwrules.h"

static struct pkt_meta pkts[6];

static const char live_text[] = "policy drop\n"
				"set web { 80, 443 }\n"
				"ct state established,related accept\n"
				"tcp dport @web counter accept\n"
				"tcp dport 22 accept\n"
				"udp dport 53 limit rate 10/second accept\n";

static void set4(struct pkt_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = x, a->b[1] = y, a->b[2] = z, a->b[3] = w;
}

static void init_pkts(void)
{
	struct pkt_meta *m;

	for (unsigned int i = 0; i < 6; i++) {
		m = &pkts[i];
		m->flags = PKT_HAS_L4;
		m->ifindex = i % 3;
		m->l3 = PKT_L3_IPV4;
		m->ethertype = 0x0800;
		m->ttl = 64;
		m->frame_len = 60 + i * 100;
		m->tcp_wscale = 0xff;
		set4(&m->saddr, 10, 0, 0, (uint8_t)(1 + i));
		set4(&m->daddr, 192, 168, 1, 7);
	}
	pkts[0].proto = 6, pkts[0].sport = 40000, pkts[0].dport = 22, pkts[0].tcp_flags = 0x02;
	pkts[1].proto = 17, pkts[1].sport = 5353, pkts[1].dport = 53;
	pkts[2].proto = 1, pkts[2].icmp_type = 8;
	pkts[3].l3 = PKT_L3_IPV6, pkts[3].ethertype = 0x86dd, pkts[3].proto = 6;
	pkts[3].saddr.b[0] = 0x20, pkts[3].saddr.b[1] = 0x01, pkts[3].saddr.b[2] = 0x0d;
	pkts[3].saddr.b[3] = 0xb8, pkts[3].saddr.b[15] = 1;
	pkts[3].daddr = pkts[3].saddr, pkts[3].daddr.b[15] = 2;
	pkts[3].sport = 1234, pkts[3].dport = 443, pkts[3].tcp_flags = 0x10;
	pkts[4].l3 = PKT_L3_ARP, pkts[4].ethertype = 0x0806, pkts[4].flags = 0, pkts[4].arp_op = 1;
	pkts[5].flags |= PKT_VLAN | PKT_FRAGMENT | PKT_FIRST_FRAG, pkts[5].vlan = 10;
	pkts[5].proto = 132, pkts[5].sport = 9, pkts[5].dport = 2905;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_ruleset *live;
	static bool ready;
	struct fw_limits lim = fw_default_limits;
	struct fw_ruleset *rs = NULL;
	struct fw_error err;
	struct fw_rule_info info;
	struct fw_logs logs;
	char msg[256];
	int rc;

	if (!ready) {
		init_pkts();
		/* A fixed "live" ruleset to carry state from, so every input runs alone. */
		if (fw_compile(live_text, strlen(live_text), &live, &err) != 0)
			abort();
		ready = true;
	}
	lim.max_mem = 4u << 20;
	rc = fw_compile_limits((const char *)data, size, &lim, &rs, &err);
	if (rc < 0) {
		if (rs || (rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM))
			abort();
		fw_error_format(&err, "rules", msg, sizeof(msg));
		return 0;
	}
	if (!rs)
		abort();
	for (uint32_t i = 0; i < fw_ruleset_nrules(rs); i++)
		if (fw_rule_info(rs, i, &info) != 0 || !info.text)
			abort();
	if (fw_rule_info(rs, FW_RULE_POLICY, &info) != 0)
		abort();
	fw_ruleset_carry_state(rs, live);
	for (unsigned int i = 0; i < 6; i++)
		for (uint8_t ct = 1; ct <= FW_CT_UNTRACKED; ct <<= 1) {
			const struct fw_verdict *v =
				fw_classify_ex(rs, &pkts[i], i % 2 ? 1 : FW_IF_NONE, ct,
					       (uint64_t)i * 1000000000u, &logs);

			if (!v || v->action > FW_REJECT || logs.n > FW_LOG_MAX)
				abort();
		}
	fw_ruleset_memory(rs);
	fw_ruleset_free(rs);
	return 0;
}
