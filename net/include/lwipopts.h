/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwIP configuration for Sluice: the raw API only (NO_SYS, no threads), run
 * from the event loop and never from interrupt handlers, so lwIP needs no
 * locking (SYS_LIGHTWEIGHT_PROT 0). Sized for a TCP stream of ~64 KiB in
 * flight per connection and a few hundred connections, in a fixed budget
 * that does not grow with load: lwIP fails allocations (ERR_MEM, dropped
 * packets) instead of taking the kernel's heap.
 *
 * Memory (bss): MEM_SIZE 1 MiB heap (TX data, lwIP-built packets), the
 * PBUF_POOL 128 x ~1.5 KiB (received packets when they are copied) and the
 * memp pools (~150 KiB: PCBs, segments, reassembly) -- about 1.4 MiB.
 * Received frames are otherwise lent to lwIP zero-copy (net/netif.c).
 */
#ifndef SLUICE_LWIPOPTS_H
#define SLUICE_LWIPOPTS_H

/* ---- system */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0
#define LWIP_TIMERS 1
#define LWIP_STATS 0
#define LWIP_DNS 0

/* ---- memory */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (1024 * 1024)
#define MEMP_NUM_PBUF 64
#define MEMP_NUM_RAW_PCB 8
#define MEMP_NUM_UDP_PCB 16
#define MEMP_NUM_TCP_PCB 256
#define MEMP_NUM_TCP_PCB_LISTEN 16
/* Shared by all connections: 4 full send queues, beyond that tcp_write says ERR_MEM. */
#define MEMP_NUM_TCP_SEG (4 * TCP_SND_QUEUELEN)
#define MEMP_NUM_REASSDATA 8
#define IP_REASS_MAX_PBUFS 64 /* fragments held for reassembly, all datagrams together */
#define MEMP_NUM_FRAG_PBUF 32
#define MEMP_NUM_ARP_QUEUE 64
#define MEMP_NUM_ND6_QUEUE 64
#define PBUF_POOL_SIZE 128
/* Received frames live in netdev pages; lwIP refers to them (net/netif.c). */
#define LWIP_SUPPORT_CUSTOM_PBUF 1

/* ---- link layer */
#define LWIP_ETHERNET 1
#define LWIP_ARP 1
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1
#define ETH_PAD_SIZE 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_EXT_STATUS_CALLBACK 1
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0

/* ---- IPv4 */
#define LWIP_IPV4 1
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_IGMP 0
#define LWIP_DHCP 1
/* ACD would hold a lease back by seconds of ARP probes at every boot. */
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define LWIP_AUTOIP 0

/* ---- IPv6 */
#define LWIP_IPV6 1
#define LWIP_IPV6_NUM_ADDRESSES 4 /* link-local, static, SLAAC, one spare */
#define LWIP_IPV6_AUTOCONFIG 1
/*
 * RFC 4862 duplicate address detection: one NS, then ~1-2 s (lwIP's 1 s
 * ND6 tick) before a static address is usable, and so before net_all_up().
 */
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 1
#define LWIP_IPV6_MLD 1 /* solicited-node groups, or switches with MLD snooping drop NS */
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
/* 64-bit pointers do not fit in the 8-byte fragment header lwIP would overlay. */
#define IPV6_FRAG_COPYHEADER 1
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
#define LWIP_ND6_ALLOW_RA_UPDATES 1
#define LWIP_IPV6_DHCP6 0
#define LWIP_ICMP6 1

/* ---- transport */
#define LWIP_UDP 1
#define LWIP_TCP 1
#define TCP_MSS 1460
/* 44 segments: just under 64 KiB, the most an unscaled window can say. */
#define TCP_WND (44 * TCP_MSS)
#define TCP_SND_BUF (44 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_PBUFS 32 /* per connection: a peer cannot pin all RX memory */
#define LWIP_TCP_KEEPALIVE 1
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_SACK_OUT 1
/* Checksum while tcp_write copies: one pass over the data instead of two. */
#define LWIP_CHECKSUM_ON_COPY 1

/* ---- checksums: all in software (no offload is negotiated with the devices) */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_GEN_ICMP6 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define CHECKSUM_CHECK_ICMP6 1

/*
 * Routing hooks (net/netif.c): with several NICs, a packet from one of our
 * addresses leaves through the NIC that owns it (and that NIC's gateway),
 * and a static IPv6 gateway (netN.gw6) is the next hop off-link.
 */
struct netif;
struct ip4_addr;
struct ip6_addr;
struct netif *net_ip4_route_src(const struct ip4_addr *src, const struct ip4_addr *dest);
struct netif *net_ip6_route(const struct ip6_addr *src, const struct ip6_addr *dest);
const struct ip6_addr *net_nd6_gateway(struct netif *netif, const struct ip6_addr *dest);
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) net_ip4_route_src(src, dest)
#define LWIP_HOOK_IP6_ROUTE(src, dest) net_ip6_route(src, dest)
#define LWIP_HOOK_ND6_GET_GW(netif, dest) net_nd6_gateway(netif, dest)

#endif
