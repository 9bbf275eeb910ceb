/* SPDX-License-Identifier: BSD-2-Clause */
/* The fake wire of the lwIP stack test (tests/boot/lwiptest_wire.c). */
#ifndef SLUICE_LWIPTEST_H
#define SLUICE_LWIPTEST_H

#include <stdbool.h>

/* Register two fake NICs (net0, net1 if none registered before), wired back to back. */
int wire_init(void);

extern unsigned int wire_drop_every; /* 0: a perfect wire; else drop every n-th frame */
extern bool wire_blank_tcp_csum;     /* hand TCP/IPv4 over with PKT_CSUM_BLANK */
extern unsigned int wire_dropped, wire_blanked;

#endif
