/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The echo appliance's services, on lwIP's raw API (services.c): TCP and
 * UDP echo (RFC 862) on port 7 and a small HTTP server on port 80, dual
 * stack, on every NIC. Shared by the appliance (echo.c) and the in-guest
 * stack test (tests/boot/lwiptest.c).
 */
#ifndef SLUICE_ECHO_H
#define SLUICE_ECHO_H

#include <stddef.h>
#include <stdint.h>

#define ECHO_PORT 7
#define HTTP_PORT 80
#define ECHO_TCP_MAX 128       /* concurrent TCP echo connections; more are refused */
#define ECHO_HTTP_MAX 32       /* concurrent HTTP connections */
#define ECHO_HTTP_REQ_MAX 1024 /* bytes of request head; more is 400 */
#define ECHO_HTTP_BODY "sluice echo appliance\n"

struct echo_stats {
	uint64_t tcp_accepted, tcp_refused, tcp_active, tcp_bytes, tcp_timeouts;
	uint64_t udp_datagrams, udp_bytes, udp_ignored;
	uint64_t http_requests, http_ok, http_bad, http_not_found, http_refused;
};

extern struct echo_stats echo_stats;

/* Listen on the three ports (after net_init). 0, or -ENOMEM / -EADDRINUSE. */
int echo_services_start(void);

/* The /stats page: NIC counters, then the services'. Returns strlen. */
size_t echo_format_stats(char *buf, size_t len);

#endif
