/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal interfaces of the Xen platform layer (xen/). */
#ifndef SLUICE_XEN_PLAT_H
#define SLUICE_XEN_PLAT_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/evtchn.h"
#include "sluice/gnttab.h"
#include "sluice/xenstore.h"

#define VEC_XEN_UPCALL 0xf3 /* Linux's choice; any vector >= 32 works */

extern struct evtchn_ctl xen_evtchn;
extern struct xs_client xen_xs;
extern struct gnttab xen_gnttab;
extern uint32_t xen_domid;

/*
 * plat_xen.c: reserve @pages pages of a memory-map hole below 4 GiB for frames
 * Xen maps into our physmap (never RAM: add_to_physmap over RAM frees it).
 */
int xen_claim_hole(uint64_t pages, uint64_t *gpa);

/* console.c */
int xen_console_init(void);
void xen_console_write(const char *s, size_t len);
void xen_console_flush(void);

/* evtchn glue (plat_xen.c) */
int xen_evtchn_send(uint32_t port);

/* control.c: xenstore-driven domain control and status. */
int xen_control_init(void);
void xen_publish(const char *key, const char *value);

/* hostcfg_xen.c: the host channel over xenstore. */
extern const struct hc_backend hc_xen_backend;
/* The xenstore event channel fired: a reply may be waiting for the host channel. */
void hc_xen_event(void);

#endif
