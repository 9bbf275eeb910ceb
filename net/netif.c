/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwIP on netdevs: one lwIP netif per registered netdev.
 *
 * Receive is zero-copy: each pktbuf page is lent to lwIP as a custom pbuf
 * whose free callback returns it with pktbuf_free(). A page lent to lwIP is
 * a page the driver cannot post for receive, though, and lwIP may hold
 * pages for long (TCP out-of-order queues, unread data), so a NIC lends at
 * most half of its RX pool; past that, and when out of pbuf_custom
 * wrappers, frames are copied into PBUF_POOL buffers and the page returns
 * at once. The NIC's receive ring can then never be starved by lwIP.
 *
 * Transmit copies the pbuf chain into one page from a shared TX pool: lwIP
 * keeps (and may retransmit) its own pbufs, and a frame plus headroom
 * always fits a page.
 *
 * Everything here runs on the event loop: netdev_work() calls the RX
 * handler, and the link handler (which drivers may call from an interrupt
 * handler) only posts work.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/inet_chksum.h"
#include "lwip/init.h"
#include "lwip/nd6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "net_priv.h"
#include "netif/ethernet.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/netdev.h"

#define NET_RX_REFS 512		/* pbuf_custom wrappers: pages lent to lwIP, all NICs */
#define NET_TX_BUFS_PER_NIC 128 /* pages in flight to the drivers, per NIC */
#define NET_MTU_MAX (PKTBUF_SIZE - PKTBUF_HEADROOM - SIZEOF_ETH_HDR)
#define ETH_MIN_FRAME 60 /* without the FCS */
/*
 * lwIP parses the Ethernet, IP and TCP/UDP headers from the first pbuf
 * only: a frame whose first fragment holds less than this (and less than
 * the whole frame) is copied into contiguous buffers instead of lent.
 */
#define NET_RX_HEAD_MIN 256

struct rx_ref {
	struct pbuf_custom pc; /* first: lwIP hands back the pbuf pointer */
	struct pktbuf *pkt;
	struct net_nic *nic;
	struct rx_ref *next_free;
};

/* One per netdev; a slot is never reused, since work may still be queued in it. */
static struct net_nic nic_slots[NETDEV_MAX];
struct net_nic *net_nics[NETDEV_MAX];
unsigned int net_nnics;
static const struct net_cfg no_cfg;
static struct rx_ref rx_refs[NET_RX_REFS], *rx_ref_free;
static unsigned int rx_refs_free;
static struct pktbuf_pool tx_pool;
static struct work timer_work, change_work;
static netif_ext_callback_t ext_cb;
static void (*change_fn)(void *arg);
static void *change_arg;
static bool initialised;

static void rx_ref_release(struct pbuf *p)
{
	struct rx_ref *r = (struct rx_ref *)p;

	pktbuf_free(r->pkt);
	r->nic->lent--;
	r->pkt = NULL;
	r->next_free = rx_ref_free;
	rx_ref_free = r;
	rx_refs_free++;
}

/* Lend every fragment of @pkt to lwIP as one pbuf chain (the caller checked the budget). */
static struct pbuf *rx_lend(struct net_nic *nic, struct pktbuf *pkt)
{
	struct pbuf *head = NULL;

	while (pkt) {
		struct pktbuf *next = pkt->next;
		struct rx_ref *r;
		struct pbuf *p;

		pkt->next = NULL; /* each fragment now returns on its own */
		if (pkt->len == 0) {
			pktbuf_free(pkt);
			pkt = next;
			continue;
		}
		r = rx_ref_free;
		rx_ref_free = r->next_free;
		rx_refs_free--;
		r->pkt = pkt;
		r->nic = nic;
		r->pc.custom_free_function = rx_ref_release;
		nic->lent++;
		p = pbuf_alloced_custom(PBUF_RAW, pkt->len, PBUF_REF, &r->pc, pkt_data(pkt),
					pkt->len);
		if (head)
			pbuf_cat(head, p);
		else
			head = p;
		pkt = next;
	}
	nic->rx_zerocopy++;
	return head;
}

/* Copy @pkt into PBUF_POOL buffers and give the pages back now. */
static struct pbuf *rx_copy(struct net_nic *nic, struct pktbuf *pkt, u16_t total)
{
	struct pbuf *p = pbuf_alloc(PBUF_RAW, total, PBUF_POOL);
	u16_t off = 0;

	for (struct pktbuf *q = pkt; p && q; q = q->next) {
		pbuf_take_at(p, pkt_data(q), q->len, off);
		off = (u16_t)(off + q->len);
	}
	pktbuf_free(pkt);
	if (p)
		nic->rx_copied++;
	else
		nic->rx_nomem++;
	return p;
}

/*
 * A peer on the same host may leave the L4 checksum for us to fill in
 * (PKT_CSUM_BLANK: Xen's NETRXF_csum_blank, virtio's NEEDS_CSUM): the field
 * holds the pseudo-header sum, and the ones' complement sum from @start to
 * the end completes it. lwIP verifies every checksum, so do it here.
 */
static int rx_fill_csum(struct pbuf *p, u16_t start, u16_t offset)
{
	u32_t acc = 0;
	u16_t skip = start, sum;
	bool swapped = false;

	if ((u32_t)start + offset + 2 > p->tot_len)
		return -EINVAL;
	for (struct pbuf *q = p; q; q = q->next) {
		u16_t n;

		if (skip >= q->len) {
			skip = (u16_t)(skip - q->len);
			continue;
		}
		n = (u16_t)(q->len - skip);
		/* inet_chksum() is the complemented sum; undo that to accumulate. */
		acc += (u16_t)~inet_chksum((u8_t *)q->payload + skip, n);
		acc = FOLD_U32T(acc);
		skip = 0;
		if (n % 2) { /* the next buffer starts at an odd offset: sum it byte-swapped */
			swapped = !swapped;
			acc = SWAP_BYTES_IN_WORD(acc);
		}
	}
	if (swapped)
		acc = SWAP_BYTES_IN_WORD(acc);
	sum = (u16_t) ~(acc & 0xffff);
	return pbuf_take_at(p, &sum, sizeof(sum), (u16_t)(start + offset)) == ERR_OK ? 0 : -EINVAL;
}

static void net_rx(struct netdev *dev, struct pktbuf *pkt, void *arg)
{
	struct net_nic *nic = arg;
	u16_t flags = pkt->flags, csum_start = pkt->csum_start, csum_offset = pkt->csum_offset;
	unsigned int nfrag = 0;
	size_t total = 0;
	struct pbuf *p;

	(void)dev;
	/* off and len came from the backend through the driver: keep them inside the page. */
	for (struct pktbuf *q = pkt; q; q = q->next, nfrag++) {
		if ((size_t)q->off + q->len > PKTBUF_SIZE)
			total = SIZE_MAX;
		else if (total != SIZE_MAX)
			total += q->len;
	}
	if (total < SIZEOF_ETH_HDR || total > 0xffff || !netif_is_up(&nic->netif)) {
		nic->rx_invalid++;
		pktbuf_free(pkt);
		return;
	}
	if (nfrag <= rx_refs_free && nic->lent + nfrag <= pkt->pool->total / 2 &&
	    pkt->len >= MIN(total, (size_t)NET_RX_HEAD_MIN))
		p = rx_lend(nic, pkt);
	else
		p = rx_copy(nic, pkt, (u16_t)total);
	if (!p)
		return;
	if ((flags & PKT_CSUM_BLANK) && rx_fill_csum(p, csum_start, csum_offset) < 0) {
		nic->rx_invalid++;
		pbuf_free(p);
		return;
	}
	if (nic->netif.input(p, &nic->netif) != ERR_OK)
		pbuf_free(p);
	/* Input may have started timers (TCP, ARP): re-arm once per batch. */
	work_post(&timer_work);
}

static err_t net_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct net_nic *nic = netif->state;
	u16_t len = p->tot_len;
	struct pktbuf *pkt;
	int rc;

	if (len > PKTBUF_SIZE - PKTBUF_HEADROOM)
		return ERR_BUF; /* cannot happen with NET_MTU_MAX; lwIP counts it as an error */
	pkt = pktbuf_alloc(&tx_pool);
	if (!pkt) {
		nic->tx_nobuf++;
		return ERR_MEM; /* TCP retransmits; the rest is best effort */
	}
	pbuf_copy_partial(p, pkt_data(pkt), len, 0);
	/* Pad runts to Ethernet's minimum: not every backend or bridge does. */
	if (len < ETH_MIN_FRAME) {
		memset(pkt_data(pkt) + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	pkt->len = len;
	rc = netdev_tx(nic->dev, pkt);
	return rc == 0 ? ERR_OK : rc == -EAGAIN ? ERR_MEM : ERR_IF;
}

static err_t net_netif_init(struct netif *netif)
{
	struct net_nic *nic = netif->state;
	unsigned int mtu = nic->dev->mtu ? nic->dev->mtu : 1500;

	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, nic->dev->mac, ETH_HWADDR_LEN);
	/* The device's MTU is the backend's word: bound it by what a page holds. */
	netif->mtu = (u16_t)MAX(576u, MIN(mtu, (unsigned int)NET_MTU_MAX));
	netif->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = net_linkoutput;
	return ERR_OK;
}

/* Drivers may call this from an interrupt handler: lwIP is touched from work only. */
static void net_link_changed(struct netdev *dev, bool up, void *arg)
{
	struct net_nic *nic = arg;

	(void)dev;
	(void)up;
	work_post(&nic->link_work);
}

static void net_link_work(struct work *w)
{
	struct net_nic *nic = container_of(w, struct net_nic, link_work);

	if (!nic->active)
		return; /* the NIC failed to start after its driver reported a link */
	/* Read the state now: several changes may have folded into one post. */
	if (nic->dev->link_up && !nic->dev->broken)
		netif_set_link_up(&nic->netif);
	else
		netif_set_link_down(&nic->netif);
	net_timers_rearm();
}

static void net_timer_work(struct work *w)
{
	(void)w;
	net_timers_rearm();
}

static void net_change_work(struct work *w)
{
	(void)w;
	if (change_fn)
		change_fn(change_arg);
}

static void net_ext_status(struct netif *netif, netif_nsc_reason_t reason,
			   const netif_ext_callback_args_t *args)
{
	struct net_nic *nic = netif->state;
	char ip[IP4ADDR_STRLEN_MAX], gw[IP4ADDR_STRLEN_MAX];

	(void)args;
	if ((reason & LWIP_NSC_IPV4_SETTINGS_CHANGED) && nic->cfg->dhcp &&
	    !ip4_addr_isany(netif_ip4_addr(netif))) {
		ip4addr_ntoa_r(netif_ip4_addr(netif), ip, sizeof(ip));
		ip4addr_ntoa_r(netif_ip4_gw(netif), gw, sizeof(gw));
		printf("%s: dhcp lease %s/%d gw %s\n", nic->dev->name, ip,
		       __builtin_popcount(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(netif)))),
		       gw);
	}
	/* Not from inside lwIP: the handler may well call lwIP itself. */
	work_post(&change_work);
}

void net_set_change_handler(void (*fn)(void *arg), void *arg)
{
	change_arg = arg;
	change_fn = fn;
}

/* Addresses and services for one NIC; the device is started by the caller. */
static int nic_setup(struct net_nic *nic, struct netdev *dev)
{
	struct netif *netif = &nic->netif;
	const struct net_cfg *c;
	static const uint8_t zero_mac[6];

	/* A multicast or zero MAC (the backend's choice) would break ARP and ND. */
	if ((dev->mac[0] & 1) || memcmp(dev->mac, zero_mac, 6) == 0) {
		printf("%s: invalid MAC address; not using this NIC\n", dev->name);
		return -EINVAL;
	}
	memset(nic, 0, sizeof(*nic));
	nic->dev = dev;
	nic->cfg = c = dev->index < NET_CFG_MAX ? &net_cfgs[dev->index] : &no_cfg;
	nic->ip6_static_idx = -1;
	nic->link_work.fn = net_link_work;
	if (!netif_add_noaddr(netif, nic, net_netif_init, ethernet_input))
		return -ENOMEM;
	if (c->has_ip && !c->dhcp)
		netif_set_addr(netif, &c->ip, &c->mask, c->has_gw ? &c->gw : NULL);
	netif_create_ip6_linklocal_address(netif, 1);
	netif_set_ip6_autoconfig_enabled(netif, 1);
	if (c->has_ip6 && netif_add_ip6_address(netif, &c->ip6, &nic->ip6_static_idx) != ERR_OK)
		printf("%s: no room for the static IPv6 address\n", dev->name);
	if (c->has_gw6) {
		ip6_addr_copy(nic->gw6, c->gw6);
		ip6_addr_assign_zone(&nic->gw6, IP6_UNICAST, netif);
	}
	netif_set_up(netif);
	if (dev->link_up)
		netif_set_link_up(netif);
	if (c->dhcp && dhcp_start(netif) != ERR_OK)
		printf("%s: cannot start DHCP (out of memory)\n", dev->name);
	netdev_set_link_handler(dev, net_link_changed, nic);
	netdev_set_rx_handler(dev, net_rx, nic);
	return 0;
}

static int nic_start(struct net_nic *nic)
{
	int rc = netdev_start(nic->dev);

	if (rc < 0) {
		printf("%s: %s: cannot start (%d); not using this NIC\n", nic->dev->name,
		       nic->dev->driver, rc);
		netdev_set_rx_handler(nic->dev, NULL, NULL);
		netdev_set_link_handler(nic->dev, NULL, NULL);
		dhcp_cleanup(&nic->netif);
		netif_remove(&nic->netif);
		return rc;
	}
	nic->active = true;
	/* The link may have come up during start, before the handler could tell us. */
	work_post(&nic->link_work);
	return 0;
}

/* The default route: the first NIC with an IPv4 gateway (static or DHCP), else net0. */
static void choose_default(void)
{
	for (unsigned int i = 0; i < net_nnics; i++) {
		if (net_nics[i]->cfg->has_gw || net_nics[i]->cfg->dhcp) {
			netif_set_default(&net_nics[i]->netif);
			return;
		}
	}
	if (net_nnics)
		netif_set_default(&net_nics[0]->netif);
}

int net_init(void)
{
	unsigned int ndev = MIN(netdev_count(), (unsigned int)NETDEV_MAX);
	char err[200];

	if (initialised)
		return -EALREADY;
	if (net_config_finish(err, sizeof(err)) < 0) {
		printf("net: configuration error: %s\n", err);
		return -EINVAL;
	}
	for (unsigned int i = ndev; i < NET_CFG_MAX; i++)
		if (net_cfgs[i].has_ip || net_cfgs[i].has_ip6 || net_cfgs[i].has_gw6)
			printf("net: net%u is configured but there is no such NIC\n", i);
	initialised = true;
	lwip_init();
	for (unsigned int i = 0; i < NET_RX_REFS; i++) {
		rx_refs[i].next_free = rx_ref_free;
		rx_ref_free = &rx_refs[i];
	}
	rx_refs_free = NET_RX_REFS;
	timer_work.fn = net_timer_work;
	change_work.fn = net_change_work;
	if (ndev && pktbuf_pool_init(&tx_pool, "net-tx", NET_TX_BUFS_PER_NIC * ndev) < 0)
		return -ENOMEM;
	netif_add_ext_callback(&ext_cb, net_ext_status);
	for (unsigned int i = 0; i < ndev; i++) {
		struct net_nic *nic = &nic_slots[i];

		if (nic_setup(nic, netdev_get(i)) == 0 && nic_start(nic) == 0)
			net_nics[net_nnics++] = nic;
	}
	choose_default();
	/*
	 * lwIP's cyclic timers (ARP, ND6, MLD every 100 ms ...) wake the CPU
	 * even when idle: without a NIC there is nothing for them to do.
	 */
	if (net_nnics)
		net_timers_start();
	return 0;
}

/* The routing hooks (lwipopts.h): see there for the policy. */
struct netif *net_ip4_route_src(const ip4_addr_t *src, const ip4_addr_t *dest)
{
	if (!src || ip4_addr_isany(src))
		return NULL;
	for (unsigned int i = 0; i < net_nnics; i++) {
		struct netif *n = &net_nics[i]->netif;

		if (!netif_is_up(n) || !netif_is_link_up(n) || !ip4_addr_eq(src, netif_ip4_addr(n)))
			continue;
		if (ip4_addr_net_eq(dest, netif_ip4_addr(n), netif_ip4_netmask(n)) ||
		    !ip4_addr_isany(netif_ip4_gw(n)))
			return n;
		return NULL;
	}
	return NULL;
}

struct netif *net_ip6_route(const ip6_addr_t *src, const ip6_addr_t *dest)
{
	if (ip6_addr_isany(src))
		return NULL;
	for (unsigned int i = 0; i < net_nnics; i++) {
		struct netif *n = &net_nics[i]->netif;
		s8_t own = netif_get_ip6_addr_match(n, src);

		if (own < 0 || !netif_is_up(n) || !netif_is_link_up(n))
			continue;
		/* lwIP's on-link rule: a static address implies its /64. */
		for (s8_t a = 0; a < LWIP_IPV6_NUM_ADDRESSES; a++)
			if (ip6_addr_isvalid(netif_ip6_addr_state(n, a)) &&
			    ip6_addr_net_eq(dest, netif_ip6_addr(n, a)))
				return n;
		return net_nics[i]->cfg->has_gw6 ? n : NULL;
	}
	return NULL;
}

const ip6_addr_t *net_nd6_gateway(struct netif *netif, const ip6_addr_t *dest)
{
	struct net_nic *nic = netif->state;

	(void)dest;
	return nic && nic->cfg->has_gw6 ? &nic->gw6 : NULL;
}
