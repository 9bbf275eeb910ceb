// SPDX-License-Identifier: BSD-2-Clause
/*
 * Real-Xen test appliance for drivers/netfront (tests/xen/netfront.test).
 * It brings up every vif, prints each one, and answers ARP requests and
 * ICMPv4 echo requests for one address (addr=) with hand-made replies, on
 * every vif, including vifs attached later. A test tool, not the product
 * (lwIP comes separately): no IP options, no fragments, no routing.
 * With frag=N the echo replies leave as chains of N-byte fragments, so
 * that multi-slot TX is exercised against the real netback.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/netdev.h"

int netfront_probe_all(void); /* drivers/netfront (no public header yet) */

#define ETH_HLEN 14
#define ETH_ZLEN 60 /* shortest frame, without the FCS */
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define FRAME_MAX 65536

static char addr_str[16] = "169.254.1.2";
static uint64_t frag_size;
static uint8_t my_ip[4];
static struct pktbuf_pool txpool;
static bool adopted[NETDEV_MAX];
static struct timer adopt_timer;
static uint8_t frame[FRAME_MAX], reply[FRAME_MAX];
static struct {
	unsigned long long arp, echo, ignored, tx_errors;
} st;

static const struct cmdline_opt opts[] = {
	{.key = "addr",
	 .type = CMDLINE_STR,
	 .dst = addr_str,
	 .dst_size = sizeof(addr_str),
	 .help = "IPv4 address to answer ARP and ping for"},
	{.key = "frag",
	 .type = CMDLINE_U64,
	 .dst = &frag_size,
	 .min = 0,
	 .max = 4000,
	 .help = "send echo replies in fragments of this many bytes (0: whole)"},
	{.key = NULL},
};

static int parse_ip(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 3) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || v > 255 || *s != (i < 3 ? '.' : '\0'))
			return -1;
		ip[i] = (uint8_t)v;
		s++;
	}
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 Internet checksum. */
static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Copy @len bytes of reply into a chain: headers (@hdr bytes) first, then @frag-sized pieces. */
static struct pktbuf *build(size_t len, size_t hdr)
{
	size_t piece = frag_size ? frag_size : PKTBUF_SIZE - PKTBUF_HEADROOM;
	struct pktbuf *head = NULL, **tail = &head;

	for (size_t done = 0; done < len;) {
		struct pktbuf *p = pktbuf_alloc(&txpool);
		size_t n = done == 0 && frag_size ? hdr : piece;

		if (!p) {
			pktbuf_free(head);
			return NULL;
		}
		n = MIN(n, len - done);
		n = MIN(n, (size_t)(PKTBUF_SIZE - PKTBUF_HEADROOM));
		memcpy(pkt_data(p), reply + done, n);
		p->len = (uint16_t)n;
		done += n;
		*tail = p;
		tail = &p->next;
	}
	return head;
}

static void send_reply(struct netdev *dev, size_t len, size_t hdr)
{
	struct pktbuf *p;

	if (len < ETH_ZLEN) {
		memset(reply + len, 0, ETH_ZLEN - len);
		len = ETH_ZLEN;
	}
	p = build(len, hdr);
	if (!p || netdev_tx(dev, p) < 0)
		st.tx_errors++;
}

static void on_arp(struct netdev *dev, const uint8_t *f, size_t len)
{
	const uint8_t *a = f + ETH_HLEN;
	uint8_t *r = reply + ETH_HLEN;

	/* Ethernet/IPv4 request for our address. */
	if (len < ETH_HLEN + 28 || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IP || a[4] != 6 ||
	    a[5] != 4 || get16(a + 6) != 1 || memcmp(a + 24, my_ip, 4) != 0) {
		st.ignored++;
		return;
	}
	memcpy(reply, a + 8, 6); /* to the sender's hardware address */
	memcpy(reply + 6, dev->mac, 6);
	put16(reply + 12, ETHERTYPE_ARP);
	memcpy(r, a, 6); /* htype, ptype, hlen, plen */
	put16(r + 6, 2); /* reply */
	memcpy(r + 8, dev->mac, 6);
	memcpy(r + 14, my_ip, 4);
	memcpy(r + 18, a + 8, 10); /* their sha and spa */
	st.arp++;
	send_reply(dev, ETH_HLEN + 28, ETH_HLEN + 28);
}

static void on_ip(struct netdev *dev, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN;
	size_t ihl, tot;
	uint8_t *r = reply + ETH_HLEN;

	if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4) {
		st.ignored++;
		return;
	}
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = get16(ip + 2);
	/* Unfragmented ICMP echo request to us, lengths consistent. */
	if (ihl < 20 || tot < ihl + 8 || ETH_HLEN + tot > len || (get16(ip + 6) & 0x3fff) ||
	    ip[9] != 1 || memcmp(ip + 16, my_ip, 4) != 0 || ip[ihl] != 8 || ip[ihl + 1] != 0) {
		st.ignored++;
		return;
	}
	memcpy(reply, f + 6, 6);
	memcpy(reply + 6, dev->mac, 6);
	put16(reply + 12, ETHERTYPE_IP);
	memcpy(r, ip, tot);
	memcpy(r + 12, ip + 16, 4); /* swap the addresses */
	memcpy(r + 16, ip + 12, 4);
	r[8] = 64;
	put16(r + 10, 0);
	put16(r + 10, csum(r, ihl));
	r[ihl] = 0; /* echo reply */
	put16(r + ihl + 2, 0);
	put16(r + ihl + 2, csum(r + ihl, tot - ihl));
	st.echo++;
	send_reply(dev, ETH_HLEN + tot, ETH_HLEN + ihl + 8);
}

static void on_rx(struct netdev *dev, struct pktbuf *pkt, void *arg)
{
	size_t len = pktbuf_copy_out(pkt, frame, sizeof(frame));

	(void)arg;
	pktbuf_free(pkt);
	if (len < ETH_HLEN) {
		st.ignored++;
		return;
	}
	switch (get16(frame + 12)) {
	case ETHERTYPE_ARP:
		on_arp(dev, frame, len);
		break;
	case ETHERTYPE_IP:
		on_ip(dev, frame, len);
		break;
	default:
		st.ignored++;
	}
}

static void show(struct netdev *dev)
{
	char mac[18];

	netdev_format_mac(dev->mac, mac);
	printf("netfronttest: %s %s mac %s link %s\n", dev->name, dev->driver, mac,
	       dev->link_up ? "up" : "down");
}

static void on_link(struct netdev *dev, bool up, void *arg)
{
	(void)up;
	(void)arg;
	show(dev);
	printf("netfronttest: stats: arp %llu echo %llu ignored %llu tx errors %llu\n", st.arp,
	       st.echo, st.ignored, st.tx_errors);
}

/* Take every netdev not seen yet (hot-plugged ones too): handlers, start, show. */
static void adopt(void)
{
	for (unsigned int i = 0; i < netdev_count(); i++) {
		struct netdev *dev = netdev_get(i);
		int rc;

		if (adopted[i] || !dev)
			continue;
		adopted[i] = true;
		netdev_set_rx_handler(dev, on_rx, NULL);
		dev->link_arg = NULL;
		dev->link_handler = on_link;
		rc = netdev_start(dev);
		if (rc < 0)
			printf("netfronttest: %s: start failed (%d)\n", dev->name, rc);
		show(dev);
	}
}

static void adopt_tick(struct timer *t, void *arg)
{
	(void)arg;
	adopt();
	timer_arm_in(t, 500ULL * 1000 * 1000);
}

static int netfronttest_main(void)
{
	int n;

	if (parse_ip(addr_str, my_ip) < 0) {
		printf("netfronttest: addr=%s is not an IPv4 address\n", addr_str);
		return SLUICE_EXIT_CONFIG;
	}
	if (pktbuf_pool_init(&txpool, "netfronttest-tx", 128) < 0)
		return SLUICE_EXIT_FAILURE;
	n = netfront_probe_all();
	printf("netfronttest: netfront_probe_all: %d, %u netdevs; answering for %s, frag %llu\n", n,
	       netdev_count(), addr_str, (unsigned long long)frag_size);
	adopt();
	kernel_mark_ready();
	timer_init(&adopt_timer, adopt_tick, NULL);
	timer_arm_in(&adopt_timer, 500ULL * 1000 * 1000);
	return evloop_run();
}

const struct sluice_app sluice_app = {
	.name = "netfronttest",
	.opts = opts,
	.main = netfronttest_main,
};
