/* SPDX-License-Identifier: BSD-2-Clause */
/* The network's state for appliances: which NICs are up, status lines, counters. */
#include <stdio.h>
#include <string.h>

#include "lwip/netif.h"
#include "net_priv.h"
#include "sluice/inaddr.h"
#include "sluice/kernel.h"
#include "sluice/netdev.h"

unsigned int net_count(void)
{
	return net_nnics;
}

struct netif *net_netif(unsigned int i)
{
	return i < net_nnics ? &net_nics[i]->netif : NULL;
}

struct netdev *net_netdev(unsigned int i)
{
	return i < net_nnics ? net_nics[i]->dev : NULL;
}

bool net_is_up(unsigned int i)
{
	const struct net_nic *nic;
	const struct netif *netif;

	if (i >= net_nnics)
		return false;
	nic = net_nics[i];
	netif = &nic->netif;
	if (!netif_is_link_up(netif))
		return false;
	if (nic->cfg->has_ip && ip4_addr_isany(netif_ip4_addr(netif)))
		return false; /* DHCP has no lease yet */
	if (nic->ip6_static_idx >= 0 &&
	    !ip6_addr_isvalid(netif_ip6_addr_state(netif, nic->ip6_static_idx)))
		return false; /* duplicate address detection still running */
	return true;
}

bool net_all_up(void)
{
	for (unsigned int i = 0; i < net_nnics; i++)
		if (!net_is_up(i))
			return false;
	return true;
}

/* RFC 5952 text (inaddr_format6): lwIP's ip6addr_ntoa_r() writes upper case. */
static void ip6_format(const ip6_addr_t *a, char *buf, size_t len)
{
	uint8_t b[16];

	memcpy(b, a->addr, sizeof(b)); /* addr[] holds the address in network order */
	inaddr_format6(b, buf, len);
}

/* " ADDR/PREFIX gw GW" (or what DHCP is doing) for NIC @nic, appended at @pos. */
static size_t format_ip4(const struct net_nic *nic, char *buf, size_t len, size_t pos)
{
	const struct netif *n = &nic->netif;
	char a[IP4ADDR_STRLEN_MAX], g[IP4ADDR_STRLEN_MAX];
	int prefix = __builtin_popcount(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n))));

	if (ip4_addr_isany(netif_ip4_addr(n)))
		return pos + (size_t)snprintf(buf + pos, len - pos, "%s",
					      nic->cfg->dhcp ? " dhcp (no lease)" : "");
	ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof(a));
	pos += (size_t)snprintf(buf + pos, len - pos, " %s/%d", a, prefix);
	if (pos < len && !ip4_addr_isany(netif_ip4_gw(n))) {
		ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof(g));
		pos += (size_t)snprintf(buf + pos, len - pos, " gw %s", g);
	}
	return pos;
}

/* Every assigned IPv6 address (tentative ones too: they are the NIC's), and gw6. */
static size_t format_ip6(const struct net_nic *nic, char *buf, size_t len, size_t pos)
{
	const struct netif *n = &nic->netif;
	char a[IP6ADDR_STRLEN_MAX];

	for (s8_t i = 0; i < LWIP_IPV6_NUM_ADDRESSES && pos < len; i++) {
		if (ip6_addr_isinvalid(netif_ip6_addr_state(n, i)))
			continue;
		ip6_format(netif_ip6_addr(n, i), a, sizeof(a));
		if (i == nic->ip6_static_idx)
			pos += (size_t)snprintf(buf + pos, len - pos, " %s/%u", a,
						nic->cfg->prefix6);
		else
			pos += (size_t)snprintf(buf + pos, len - pos, " %s", a);
	}
	if (pos < len && nic->cfg->has_gw6) {
		ip6_format(&nic->cfg->gw6, a, sizeof(a));
		pos += (size_t)snprintf(buf + pos, len - pos, " gw6 %s", a);
	}
	return pos;
}

void net_print_status(void)
{
	char line[320], mac[18];

	if (!net_nnics)
		printf("net: no network devices\n");
	for (unsigned int i = 0; i < net_nnics; i++) {
		const struct net_nic *nic = net_nics[i];
		size_t pos;

		netdev_format_mac(nic->dev->mac, mac);
		pos = (size_t)snprintf(line, sizeof(line), "%s: %s", nic->dev->name, mac);
		pos = format_ip4(nic, line, sizeof(line), MIN(pos, sizeof(line)));
		pos = format_ip6(nic, line, sizeof(line), MIN(pos, sizeof(line)));
		if (pos < sizeof(line))
			snprintf(line + pos, sizeof(line) - pos, " link %s",
				 netif_is_link_up(&nic->netif) ? "up" : "down");
		printf("%s\n", line);
	}
}

size_t net_format_stats(char *buf, size_t len)
{
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int i = 0; i < net_nnics && pos < len; i++) {
		const struct net_nic *nic = net_nics[i];
		const struct netdev_stats *s = &nic->dev->stats;

		pos += (size_t)snprintf(
			buf + pos, len - pos,
			"%s rx_packets %llu rx_bytes %llu rx_drops %llu rx_errors %llu "
			"tx_packets %llu tx_bytes %llu tx_drops %llu tx_errors %llu "
			"rx_zerocopy %llu rx_copied %llu rx_invalid %llu rx_nomem %llu tx_nobuf "
			"%llu "
			"link %s\n",
			nic->dev->name, (unsigned long long)s->rx_packets,
			(unsigned long long)s->rx_bytes, (unsigned long long)s->rx_drops,
			(unsigned long long)s->rx_errors, (unsigned long long)s->tx_packets,
			(unsigned long long)s->tx_bytes, (unsigned long long)s->tx_drops,
			(unsigned long long)s->tx_errors, (unsigned long long)nic->rx_zerocopy,
			(unsigned long long)nic->rx_copied, (unsigned long long)nic->rx_invalid,
			(unsigned long long)nic->rx_nomem, (unsigned long long)nic->tx_nobuf,
			netif_is_link_up(&nic->netif) ? "up" : "down");
	}
	return MIN(pos, len ? len - 1 : 0);
}
