// SPDX-License-Identifier: BSD-2-Clause
/*
 * Next-hop resolution (sluice/nf/neigh.h): a neighbour cache of our own,
 * sized for forwarding (NEIGH_MAX next hops across all NICs), next to
 * lwIP's, which serves lwIP's own traffic and is far smaller (32 ARP, 10
 * ND entries: a router's on-link hosts would thrash it).
 *
 * Requests: IPv4 through lwIP (etharp_request, from the NIC's address);
 * IPv6 neighbour solicitations are built here (lwIP keeps its sender
 * private), from the NIC's link-local address. Answers are learnt by
 * snooping the ARP and ND frames on their way to lwIP, which still sees
 * and answers them.
 *
 * Trust: on-link hosts can always lie about their own addresses (as with
 * any router); what we refuse is being driven by them. An entry is
 * created only when we ask (a packet needs the next hop), or when a host
 * asks for one of our addresses (it is about to talk to us, RFC 826 and
 * RFC 4861 7.2.3); unsolicited answers only refresh entries that exist.
 * Packets waiting for an answer are few per entry (NEIGH_QUEUE), probes
 * are paced (one a second, three at most), and a next hop that stays
 * silent is remembered as failed for a while, so a flood towards it
 * costs no more probes. ND option walks are bounded by the message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/netdev.h"
#include "sluice/nf/csum.h"
#include "sluice/nf/neigh.h"
#include "sluice/nf/port.h"
#include "sluice/nf/route.h"
#include "sluice/random.h"

#define NEIGH_MAX 512
#define NEIGH_BUCKETS 256
#define NEIGH_QUEUE 4
#define NEIGH_PROBES 3
#define S 1000000000ull
#define NEIGH_PROBE_NS (1 * S)
#define NEIGH_STALE_NS (45 * S)	 /* after this, a used entry is re-confirmed */
#define NEIGH_EXPIRE_NS (60 * S) /* and after this, it is resolved again */
#define NEIGH_FAILED_NS (5 * S)	 /* a silent next hop is not probed again for this long */
#define NEIGH_IDLE_NS (300 * S)	 /* unused entries are recycled */
#define NIL 0xffff

enum { N_FREE, N_INCOMPLETE, N_REACHABLE, N_FAILED };

struct neigh {
	uint8_t state, v6, probes;
	uint8_t mac[6];
	uint16_t next; /* bucket chain / free list */
	uint32_t oif;
	uint64_t confirmed, next_probe, used;
	struct pkt_addr ip;
	unsigned int nq;
	struct pktbuf *q[NEIGH_QUEUE];
	uint32_t q_iif[NEIGH_QUEUE];
};

struct nf_neigh {
	struct neigh tab[NEIGH_MAX];
	uint16_t buckets[NEIGH_BUCKETS], free_head;
	uint64_t seed;
	struct timer tick;
	struct nf_ports *ports;
	const struct nf_routes *routes;
	struct {
		uint64_t resolved, failed, queued, queue_drops, probes, evictions;
	} st;
};

static struct netif *netif_of(struct nf_neigh *nb, uint32_t port)
{
	return port < nb->routes->nports ? nb->routes->nif[port] : NULL;
}

static unsigned int hash(struct nf_neigh *nb, uint32_t oif, bool v6, const struct pkt_addr *a)
{
	uint64_t h = nb->seed ^ (oif * 0x9e3779b97f4a7c15ull) ^ v6;

	/* Keyed FNV-1a: an on-link sender cannot aim all next hops at one chain. */
	for (unsigned int i = 0; i < (v6 ? 16u : 4u); i++)
		h = (h ^ a->b[i]) * 0x100000001b3ull;
	return (unsigned int)(h ^ h >> 32) % NEIGH_BUCKETS;
}

static struct neigh *find(struct nf_neigh *nb, uint32_t oif, bool v6, const struct pkt_addr *a)
{
	for (uint16_t i = nb->buckets[hash(nb, oif, v6, a)]; i != NIL; i = nb->tab[i].next)
		if (nb->tab[i].oif == oif && nb->tab[i].v6 == v6 &&
		    memcmp(nb->tab[i].ip.b, a->b, v6 ? 16 : 4) == 0)
			return &nb->tab[i];
	return NULL;
}

static void drop_queue(struct nf_neigh *nb, struct neigh *n)
{
	for (unsigned int i = 0; i < n->nq; i++) {
		nf_count_drop(nb->ports, n->q_iif[i], NF_DROP_NO_NEIGH);
		pktbuf_free(n->q[i]);
	}
	n->nq = 0;
}

static void unlink_entry(struct nf_neigh *nb, struct neigh *n)
{
	uint16_t idx = (uint16_t)(n - nb->tab);

	for (uint16_t *pp = &nb->buckets[hash(nb, n->oif, n->v6, &n->ip)]; *pp != NIL;
	     pp = &nb->tab[*pp].next) {
		if (*pp == idx) {
			*pp = n->next;
			break;
		}
	}
	drop_queue(nb, n);
	n->state = N_FREE;
	n->next = nb->free_head;
	nb->free_head = idx;
}

/* A slot: a free one, else the least recently used entry without waiting packets. */
static struct neigh *alloc_entry(struct nf_neigh *nb)
{
	struct neigh *victim = NULL;

	if (nb->free_head != NIL) {
		struct neigh *n = &nb->tab[nb->free_head];

		nb->free_head = n->next;
		return n;
	}
	for (unsigned int i = 0; i < NEIGH_MAX; i++)
		if (nb->tab[i].nq == 0 && (!victim || nb->tab[i].used < victim->used))
			victim = &nb->tab[i];
	if (!victim)
		return NULL;
	nb->st.evictions++;
	unlink_entry(nb, victim);
	nb->free_head = victim->next;
	return victim;
}

static struct neigh *create(struct nf_neigh *nb, uint32_t oif, bool v6, const struct pkt_addr *a,
			    uint64_t now)
{
	struct neigh *n = alloc_entry(nb);
	unsigned int b;

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->oif = oif;
	n->v6 = v6;
	n->ip = *a;
	n->used = now;
	n->state = N_INCOMPLETE;
	b = hash(nb, oif, v6, a);
	n->next = nb->buckets[b];
	nb->buckets[b] = (uint16_t)(n - nb->tab);
	return n;
}

/* An IPv6 neighbour solicitation for @n from the NIC's link-local address. */
static void send_ns(struct nf_neigh *nb, struct neigh *n, struct netif *nif)
{
	struct netdev *dev = nf_port(nb->ports, n->oif);
	struct pktbuf *b;
	uint8_t *f, *ip, *icmp;
	s8_t ll = -1;

	for (s8_t i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_isvalid(netif_ip6_addr_state(nif, i)) &&
		    ip6_addr_islinklocal(netif_ip6_addr(nif, i)))
			ll = i;
	if (ll < 0 || !dev || !(b = nf_tx_alloc(nb->ports)))
		return; /* no usable source yet (DAD running): the next probe tries again */
	f = pkt_data(b);
	memset(f, 0, 86);
	/* Solicited-node multicast ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX. */
	f[0] = f[1] = 0x33;
	f[2] = 0xff;
	memcpy(f + 3, n->ip.b + 13, 3);
	memcpy(f + 6, dev->mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip = f + 14;
	ip[0] = 0x60;
	ip[5] = 32; /* payload: ICMPv6 NS (24) + source link-layer address option (8) */
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, netif_ip6_addr(nif, ll)->addr, 16);
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[35] = 0x01;
	ip[36] = 0xff;
	memcpy(ip + 37, n->ip.b + 13, 3);
	icmp = ip + 40;
	icmp[0] = 135;
	memcpy(icmp + 8, n->ip.b, 16);
	icmp[24] = 1; /* source link-layer address, 1 unit of 8 bytes */
	icmp[25] = 1;
	memcpy(icmp + 26, dev->mac, 6);
	{
		uint8_t pseudo[8] = {0, 0, 0, 32, 0, 0, 0, 58};
		uint32_t sum = nf_csum_add(nf_csum_add(0, ip + 8, 32), pseudo, 8);
		uint16_t c = nf_csum_fold(nf_csum_add(sum, icmp, 32));

		icmp[2] = (uint8_t)(c >> 8);
		icmp[3] = (uint8_t)c;
	}
	b->len = 86;
	nf_send(nb->ports, b, n->oif);
}

static void probe(struct nf_neigh *nb, struct neigh *n, uint64_t now)
{
	struct netif *nif = netif_of(nb, n->oif);
	ip4_addr_t a;

	n->next_probe = now + NEIGH_PROBE_NS;
	n->probes++;
	nb->st.probes++;
	if (!nif)
		return;
	if (n->v6) {
		send_ns(nb, n, nif);
		return;
	}
	memcpy(&a.addr, n->ip.b, 4);
	etharp_request(nif, &a);
}

static void transmit(struct nf_neigh *nb, struct neigh *n, struct pktbuf *buf, uint32_t iif)
{
	uint8_t *f = pkt_data(buf);

	struct netdev *dev = nf_port(nb->ports, n->oif);

	if (!dev) {
		pktbuf_free(buf);
		return;
	}
	memcpy(f, n->mac, 6);
	memcpy(f + 6, dev->mac, 6);
	if (nf_send(nb->ports, buf, n->oif) == -EPROTO)
		nf_count_drop(nb->ports, iif, NF_DROP_UNSUPPORTED);
}

int nf_neigh_output(struct nf_neigh *nb, struct pktbuf *buf, uint32_t iif, uint32_t oif, bool v6,
		    const struct pkt_addr *nh, uint64_t now)
{
	struct neigh *n = find(nb, oif, v6, nh);

	if (!n && !(n = create(nb, oif, v6, nh, now))) {
		pktbuf_free(buf);
		return -EHOSTUNREACH;
	}
	n->used = now;
	if (n->state == N_REACHABLE && now - n->confirmed >= NEIGH_EXPIRE_NS) {
		n->state = N_INCOMPLETE; /* no answer to the refresh: resolve afresh */
		n->probes = 0;
		n->next_probe = now;
	}
	if (n->state == N_REACHABLE) {
		/* Still usable while it is re-confirmed, at most one probe a second. */
		if (now - n->confirmed >= NEIGH_STALE_NS && now >= n->next_probe)
			probe(nb, n, now);
		transmit(nb, n, buf, iif);
		return 0;
	}
	if (n->state == N_FAILED || n->nq == NEIGH_QUEUE) {
		nb->st.queue_drops += n->state != N_FAILED;
		pktbuf_free(buf);
		return -EHOSTUNREACH;
	}
	n->q[n->nq] = buf;
	n->q_iif[n->nq++] = iif;
	nb->st.queued++;
	if (n->probes == 0)
		probe(nb, n, now);
	/* Never re-armed while armed: a steady stream must not postpone it forever. */
	if (!nb->tick.armed)
		timer_arm_in(&nb->tick, NEIGH_PROBE_NS / 4);
	return 0;
}

static void learn(struct nf_neigh *nb, struct neigh *n, const uint8_t *mac, uint64_t now)
{
	/* A group address is no host's: a forged answer. */
	if (mac[0] & 1)
		return;
	memcpy(n->mac, mac, 6);
	if (n->state != N_REACHABLE)
		nb->st.resolved++;
	n->state = N_REACHABLE;
	n->confirmed = now;
	n->probes = 0;
	for (unsigned int i = 0; i < n->nq; i++)
		transmit(nb, n, n->q[i], n->q_iif[i]);
	n->nq = 0;
}

/* Is @a one of our addresses on NIC @ifindex? */
static bool ours(struct nf_neigh *nb, uint32_t ifindex, bool v6, const uint8_t *a)
{
	struct netif *nif = netif_of(nb, ifindex);
	ip6_addr_t a6;

	if (!nif)
		return false;
	if (!v6)
		return memcmp(&netif_ip4_addr(nif)->addr, a, 4) == 0 &&
		       !ip4_addr_isany(netif_ip4_addr(nif));
	memcpy(a6.addr, a, 16);
	ip6_addr_clear_zone(&a6);
	return netif_get_ip6_addr_match(nif, &a6) >= 0;
}

/* An ND option of @type (1 source, 2 target link-layer address) in [@o, @end). */
static const uint8_t *nd_lladdr(const uint8_t *o, const uint8_t *end, uint8_t type)
{
	/* Each option is len * 8 bytes; len 0 is invalid (RFC 4861 4.6) and ends the walk. */
	while (end - o >= 8 && o[1] != 0 && (size_t)(end - o) >= (size_t)o[1] * 8) {
		if (o[0] == type && o[1] == 1)
			return o + 2;
		o += (size_t)o[1] * 8;
	}
	return NULL;
}

void nf_neigh_snoop(struct nf_neigh *nb, const struct pl_pkt *p)
{
	const struct pkt_meta *m = &p->meta;
	const uint8_t *f = p->frame, *mac;
	struct neigh *n;

	if (m->l3 == PKT_L3_ARP && p->len >= (size_t)m->l3_off + 28 && m->saddr.b[0]) {
		/* Ethernet/IPv4 only: pkt_parse filled the addresses only for those. */
		if (f[m->l3_off + 4] != 6 || f[m->l3_off + 5] != 4)
			return;
		mac = f + m->l3_off + 8;
		n = find(nb, p->iif, false, &m->saddr);
		if (!n && m->arp_op == 1 && ours(nb, p->iif, false, m->daddr.b))
			n = create(nb, p->iif, false, &m->saddr, p->now);
		if (n)
			learn(nb, n, mac, p->now);
		return;
	}
	if (m->l3 != PKT_L3_IPV6 || m->proto != 58 || m->l4_len < 24)
		return;
	if (m->icmp_type == 136) { /* advertisement: the target's address */
		struct pkt_addr t;

		memcpy(t.b, f + m->l4_off + 8, 16);
		mac = nd_lladdr(f + m->l4_off + 24, f + m->l4_off + m->l4_len, 2);
		if (mac && (n = find(nb, p->iif, true, &t)))
			learn(nb, n, mac, p->now);
	} else if (m->icmp_type == 135 && ours(nb, p->iif, true, f + m->l4_off + 8)) {
		/* A solicitation for us: its sender is about to talk to us. */
		static const uint8_t any[16];

		mac = nd_lladdr(f + m->l4_off + 24, f + m->l4_off + m->l4_len, 1);
		if (!mac || memcmp(m->saddr.b, any, 16) == 0)
			return;
		n = find(nb, p->iif, true, &m->saddr);
		if (!n)
			n = create(nb, p->iif, true, &m->saddr, p->now);
		if (n)
			learn(nb, n, mac, p->now);
	}
}

/* Probes, failures, recycling; runs while entries are being resolved. */
static void neigh_tick(struct timer *t, void *arg)
{
	struct nf_neigh *nb = arg;
	uint64_t now = now_ns();
	bool busy = false;

	for (unsigned int i = 0; i < NEIGH_MAX; i++) {
		struct neigh *n = &nb->tab[i];

		if (n->state == N_INCOMPLETE && now >= n->next_probe) {
			if (n->probes < NEIGH_PROBES) {
				probe(nb, n, now);
			} else {
				nb->st.failed++;
				drop_queue(nb, n);
				n->state = N_FAILED;
				n->confirmed = now;
			}
		} else if (n->state == N_FAILED && now - n->confirmed >= NEIGH_FAILED_NS) {
			unlink_entry(nb, n);
		} else if (n->state == N_REACHABLE && now - n->used >= NEIGH_IDLE_NS) {
			unlink_entry(nb, n);
		}
		busy |= n->state == N_INCOMPLETE || n->state == N_FAILED;
	}
	/* Idle entries are recycled lazily (alloc_entry); only resolution needs the nb->tick. */
	if (busy)
		timer_arm_in(t, NEIGH_PROBE_NS / 4);
}

struct nf_neigh *nf_neigh_new(struct nf_ports *ps, const struct nf_routes *rt)
{
	struct nf_neigh *nb = calloc(1, sizeof(*nb));

	if (!nb)
		return NULL;
	/* The seed keys the bucket hash: without a secret one, refuse to run. */
	if (random_bytes(&nb->seed, sizeof(nb->seed)) < 0) {
		free(nb);
		return NULL;
	}
	nb->ports = ps;
	nb->routes = rt;
	for (unsigned int i = 0; i < NEIGH_BUCKETS; i++)
		nb->buckets[i] = NIL;
	nb->free_head = NIL;
	for (unsigned int i = NEIGH_MAX; i-- > 0;) {
		nb->tab[i].next = nb->free_head;
		nb->free_head = (uint16_t)i;
	}
	timer_init(&nb->tick, neigh_tick, nb);
	return nb;
}

size_t nf_neigh_format(void *arg, char *buf, size_t len)
{
	const struct nf_neigh *nb = arg;
	unsigned int used = 0;
	int n;

	for (unsigned int i = 0; i < NEIGH_MAX; i++)
		used += nb->tab[i].state != N_FREE;
	n = snprintf(buf, len,
		     "neigh entries=%u resolved=%llu failed=%llu queued=%llu queue_drops=%llu "
		     "probes=%llu evictions=%llu\n",
		     used, (unsigned long long)nb->st.resolved, (unsigned long long)nb->st.failed,
		     (unsigned long long)nb->st.queued, (unsigned long long)nb->st.queue_drops,
		     (unsigned long long)nb->st.probes, (unsigned long long)nb->st.evictions);
	return n < 0 ? 0 : MIN((size_t)n, len ? len - 1 : 0);
}
