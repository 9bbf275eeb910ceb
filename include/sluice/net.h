/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network stack: lwIP (raw API) on every registered netdev.
 *
 * An appliance that uses the network:
 *   1. lists net_cmdline_opts in its option table chain (sluice_app.opts =
 *      net_cmdline_opts, or a table of its own whose entries are followed by
 *      a copy of these), so that netN.ip= and friends are accepted;
 *   2. calls net_init() from main(), after the kernel has probed devices;
 *      -EINVAL means a bad configuration (already printed): return
 *      SLUICE_EXIT_CONFIG;
 *   3. opens lwIP PCBs (tcp_new_ip_type, udp_new_ip_type ...) and runs
 *      evloop_run(). Every lwIP call happens on the event loop, from main()
 *      or a loop callback: lwIP is not reentrant and never runs from an
 *      interrupt handler. After calling lwIP from a callback that is not an
 *      lwIP or net callback (e.g. an evloop timer), call net_kick().
 *
 * Configuration, per NIC N = 0..NET_CFG_MAX-1 (net0 is the first netdev):
 *   netN.ip=ADDR/PREFIX | dhcp   IPv4 address, or DHCP
 *   netN.gw=ADDR                 IPv4 default gateway (static address only)
 *   netN.ip6=ADDR/PREFIX         static IPv6 address (SLAAC runs regardless)
 *   netN.gw6=ADDR                IPv6 default router (else: router advertisements)
 *   ip=, gw=                     shorthands for net0.ip, net0.gw
 * On Xen the same keys may come from xenstore, under the domain's own
 * data/sluice/net/netN/{ip,gw,ip6,gw6}, read once by net_init(); a key given
 * on the command line wins. Every NIC gets an IPv6 link-local address.
 */
#ifndef SLUICE_NET_H
#define SLUICE_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/cmdline.h"

#define NET_CFG_MAX 4 /* NICs that can be configured by key (net0..net3) */

struct netif;
struct netdev;

/* The configuration keys above, for an appliance's option tables. */
extern const struct cmdline_opt net_cmdline_opts[];

/*
 * Start lwIP, attach it to every registered netdev, apply the configuration
 * (static addresses, DHCP, IPv6 autoconfiguration) and start the devices.
 * Returns 0; -EINVAL on a configuration error (printed, naming the key);
 * -ENOMEM. A device that fails to start is reported and left out.
 */
int net_init(void);

/* NICs lwIP runs on (those registered before net_init), and their parts. */
unsigned int net_count(void);
struct netif *net_netif(unsigned int i);
struct netdev *net_netdev(unsigned int i);

/*
 * Is NIC @i (every NIC, for net_all_up) in service: link up, its IPv4
 * address assigned (static, or a DHCP lease) and its static IPv6 address
 * past duplicate address detection, where these are configured?
 */
bool net_is_up(unsigned int i);
bool net_all_up(void);

/* One line per NIC: "net0: MAC 10.0.0.2/24 gw 10.0.0.1 fe80::... link up". */
void net_print_status(void);

/* Per-NIC counters as text ("net0 rx_packets 12 ..." lines); returns strlen. */
size_t net_format_stats(char *buf, size_t len);

/*
 * Call @fn (from the event loop) after any NIC's link or addresses changed.
 * One handler; NULL removes it.
 */
void net_set_change_handler(void (*fn)(void *arg), void *arg);

/* Re-arm lwIP's timers after calling lwIP from outside its callbacks. */
void net_kick(void);

#endif
