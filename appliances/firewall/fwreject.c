// SPDX-License-Identifier: BSD-2-Clause
/*
 * Which answer a reject verdict gives (nftables' semantics: `reject`,
 * `reject with tcp reset`, `with icmp(v6|x) type ...`); the answer itself
 * is built by the shared layer (sluice/nf/answer.h), which refuses every
 * packet that must not be answered.
 *
 * Pure logic: built into the kernel and into host tests.
 */
#include "fwelem.h"

#define P_TCP 6
#define ICMP4_UNREACH 3
#define ICMP6_UNREACH 1

/* ICMPX codes for IPv4 and IPv6 (nftables' mapping). */
static uint8_t icmpx_code(uint8_t x, bool v6)
{
	static const uint8_t v4c[] = {0, 3, 1, 13}, v6c[] = {0, 4, 3, 1};

	if (x >= sizeof(v4c))
		x = FW_ICMPX_PORT_UNREACH;
	return v6 ? v6c[x] : v4c[x];
}

enum nf_answer fw_reject_choose(const struct pkt_meta *m, uint8_t reject, uint8_t code,
				uint8_t *type, uint8_t *icode)
{
	bool v6 = m->l3 == PKT_L3_IPV6, tcp = m->proto == P_TCP && (m->flags & PKT_HAS_L4);

	if (!nf_answerable(m))
		return NFA_NONE;
	*type = v6 ? ICMP6_UNREACH : ICMP4_UNREACH;
	switch (reject) {
	case FW_REJECT_AUTO:
		if (tcp)
			return NFA_TCP_RST;
		*icode = v6 ? 4 : 3; /* port unreachable */
		break;
	case FW_REJECT_TCP_RESET:
		return tcp ? NFA_TCP_RST : NFA_NONE;
	case FW_REJECT_ICMP:
		if (v6)
			return NFA_NONE; /* the rule asked for ICMP: nothing fits an IPv6 packet */
		*icode = code;
		break;
	case FW_REJECT_ICMPV6:
		if (!v6)
			return NFA_NONE;
		*icode = code;
		break;
	case FW_REJECT_ICMPX:
		*icode = icmpx_code(code, v6);
		break;
	default:
		return NFA_NONE;
	}
	return v6 ? NFA_ICMPV6 : NFA_ICMP;
}

size_t fw_reject_build(const uint8_t *frame, size_t len, const struct pkt_meta *m, uint8_t reject,
		       uint8_t code, uint8_t *out, size_t cap)
{
	uint8_t type = 0, icode = 0;
	enum nf_answer a = fw_reject_choose(m, reject, code, &type, &icode);

	return nf_answer_build(frame, len, m, a, type, icode, out, cap);
}
