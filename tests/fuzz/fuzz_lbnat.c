// SPDX-License-Identifier: BSD-2-Clause
/*
 * The load balancer's in-place rewriting (appliances/lb/lbnat.c) on
 * untrusted frames, as the packet path drives it: the frame is parsed
 * (nf/pktparse.c), then a flow's translation is applied in either
 * direction (NAT or full NAT, addresses and ports from the input), and the
 * result may be turned into the on-down reset's RST toward the backend.
 *
 *   byte 0      bit 0 reply direction, bit 1 full NAT, bit 2 checksum
 *               left for offload, bit 3 try lb_nat_to_rst afterwards
 *   bytes 1-72  the translation: four 16-byte addresses, four ports (LE)
 *   the rest    the frame
 *
 * Checked: nothing is read or written outside the frame (ASan); a refused
 * frame is left exactly as it was; an accepted one still parses as the
 * same kind of packet; an RST is a well-formed TCP RST within the frame.
 */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "lbcore.h"

#define HDR 73

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t f[65536 + 64], orig[sizeof(f)];
	struct fz z = {data, size};
	struct lb_nat n;
	struct pkt_meta m, m2;
	uint8_t opt = fz_u8(&z);
	size_t len;
	int rc;

	if (size < HDR || size - HDR > sizeof(f))
		return 0;
	memset(&n, 0, sizeof(n));
	memcpy(n.caddr.b, data + 1, 16);
	memcpy(n.vaddr.b, data + 17, 16);
	memcpy(n.baddr.b, data + 33, 16);
	memcpy(n.laddr.b, data + 49, 16);
	z = (struct fz){data + 65, 8};
	n.cport = fz_u16(&z), n.vport = fz_u16(&z), n.bport = fz_u16(&z), n.lport = fz_u16(&z);
	n.full = (opt & 2) != 0;
	len = size - HDR;
	memcpy(f, data + HDR, len);
	/* The appliance rewrites only what the parser accepted. */
	if (pkt_parse(f, len, 0, &m) < 0 || (m.flags & PKT_MALFORMED) ||
	    (m.l3 != PKT_L3_IPV4 && m.l3 != PKT_L3_IPV6))
		return 0;
	n.v6 = m.l3 == PKT_L3_IPV6;
	n.proto = m.proto;
	memcpy(orig, f, len);
	rc = lb_nat_rewrite(f, len, &m, &n, opt & 1 ? LB_NAT_REPLY : LB_NAT_FWD, (opt & 4) != 0);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc < 0) {
		if (memcmp(f, orig, len) != 0)
			abort(); /* a refused packet is left as it was */
		return 0;
	}
	/* Addresses, ports and checksums changed; the shape did not. */
	if (pkt_parse(f, len, 0, &m2) < 0 || m2.l3 != m.l3 || m2.proto != m.proto ||
	    m2.l4_off != m.l4_off || m2.l4_len != m.l4_len)
		abort();
	if (!(opt & 8))
		return 0;
	memcpy(orig, f, len);
	rc = lb_nat_to_rst(f, len, &m2);
	if (rc == -EINVAL) {
		if (memcmp(f, orig, len) != 0)
			abort();
		return 0;
	}
	if (rc < 0 || (size_t)rc > len || (size_t)rc != (size_t)m2.l4_off + 20u)
		abort();
	if (pkt_parse(f, (size_t)rc, 0, &m) < 0 || (m.flags & PKT_MALFORMED) || m.proto != 6 ||
	    !(m.tcp_flags & 0x04) || m.l4_len != 20)
		abort();
	return 0;
}
