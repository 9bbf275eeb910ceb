/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host-channel keys, named once for the appliances (through
 * sluice/hostcfg.h) and for the host tools (tools/). Keys are relative to
 * the appliance's directory: on Xen that is HK_XS_DIR under
 * /local/domain/<domid>/, on QEMU/KVM the root of the key space served on
 * the control port. docs/hostcfg.md describes each one.
 */
#ifndef SLUICE_HOSTKEYS_H
#define SLUICE_HOSTKEYS_H

#define HK_XS_DIR "data/sluice" /* Xen: the directory, relative to the domain's */

/* Written by the appliance. */
#define HK_APPLIANCE "appliance"	  /* "firewall", "echo", ... */
#define HK_STATUS "status"		  /* booting, ready, stopping */
#define HK_ACTIVE_GEN "active-generation" /* the configuration generation in force */
#define HK_RESULT "result"		  /* "G ok SUMMARY" or "G error" */
#define HK_ERROR "error"		  /* "G NAME:LINE:COL: message" */
#define HK_STATS "stats"		  /* chunked: the counters as text */

/* Written by the host. */
#define HK_CONFIG "config"		  /* chunked: the configuration text */
#define HK_CONFIG_GEN "config-generation" /* the generation that text belongs to */
#define HK_NET "net"			  /* net/netN/{ip,gw,ip6,gw6} */

/*
 * Values: a plain value holds at most HK_VALUE_MAX bytes. Larger ones are
 * chunked: <key>/0 .. <key>/N-1 hold HK_CHUNK_DATA bytes each (the last
 * one fewer) and <key>/count holds N in canonical decimal, N at most
 * HK_CHUNK_COUNT_MAX. A chunked write replaces the whole <key> subtree.
 */
#define HK_VALUE_MAX 2048
#define HK_CHUNK_DATA 2048
#define HK_CHUNK_COUNT_MAX 256

/* The QEMU/KVM control port's name (the QEMU guest agent's convention). */
#define HK_PORT_NAME "org.sluice.ctl.0"

#endif
