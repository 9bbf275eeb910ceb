/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal interfaces of net/: configuration (config.c) and timers (lwip_port.c). */
#ifndef SLUICE_NET_PRIV_H
#define SLUICE_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "sluice/evloop.h"
#include "sluice/net.h"
#include "sluice/netdev.h"

enum net_key_kind {
	NET_KEY_IP,
	NET_KEY_GW,
	NET_KEY_IP6,
	NET_KEY_GW6,
	NET_KEY_KINDS,
};

/* One NIC's validated configuration; all-zero means "nothing configured". */
struct net_cfg {
	bool has_ip; /* an IPv4 setting (static or dhcp) */
	bool dhcp;
	ip4_addr_t ip, mask, gw;
	uint8_t prefix;
	bool has_gw;
	bool has_ip6;
	ip6_addr_t ip6;
	uint8_t prefix6;
	bool has_gw6;
	ip6_addr_t gw6;
	/*
	 * Where each value came from, NULL if unset: "key 'net0.ip'" or
	 * "host key 'net/net0/ip'", for messages.
	 */
	const char *src[NET_KEY_KINDS];
};

extern struct net_cfg net_cfgs[NET_CFG_MAX];

/*
 * Merge the host channel's keys into the command-line configuration and
 * check what single keys cannot (a gateway needs a static address in its
 * subnet). 0, or -EINVAL with a message naming the key in @err.
 */
int net_config_finish(char *err, size_t errlen);

/* netif.c: one per NIC in service, in netdev order (net_nnics of them). */
struct net_nic {
	struct netif netif;
	struct netdev *dev;
	const struct net_cfg *cfg;
	struct work link_work;
	bool active;	     /* in service (a NIC that failed to start stays out) */
	s8_t ip6_static_idx; /* slot of the static IPv6 address, or -1 */
	ip6_addr_t gw6;	     /* cfg->gw6 zoned to this NIC, for the ND6 hook */
	unsigned int lent;   /* RX pages lent to lwIP */
	uint64_t rx_zerocopy, rx_copied, rx_invalid, rx_nomem, tx_nobuf;
};

extern struct net_nic *net_nics[NETDEV_MAX];
extern unsigned int net_nnics;

/* lwip_port.c: drive sys_check_timeouts() from an event-loop timer. */
void net_timers_start(void);
void net_timers_rearm(void);

#endif
