/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fake Xen shared by the frontend fakes (fake_netback.c,
 * fake_blkback.c): shared_info with 2-level event channels whose "upcall"
 * runs evtchn_demux() synchronously (never nested) where the real one
 * could arrive, a v1 grant table in ordinary memory that a fake backend
 * maps the way Xen does (setting GTF_reading/GTF_writing, frame number ==
 * page address >> 12), and the xenstore client wired to a fake xenstored.
 * Everything runs on the test's one thread.
 */
#ifndef FAKE_XEN_H
#define FAKE_XEN_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_xenstore.h"

/* The backends' domain. */
#define FX_BE_DOMID 0

/* A frontend's EVTCHNOP_send on @port: the backend's kick. */
typedef void (*fx_send_fn)(uint32_t port);

/*
 * Fresh Xen for a test, after shim_kernel_init(): every port masked, an
 * empty grant table, xen_xs connected to @xs (fake_init()ed here).
 */
void fx_init(struct fake_xs *xs, fx_send_fn on_send);

/* The backend signals @port: an edge only if PENDING was clear, an upcall only if unmasked. */
void fx_notify(uint32_t port);

/* The backend maps grant @ref (checked: granted to FX_BE_DOMID, writable if @write). */
void *fx_map(int ref, bool write);
/* ... and unmaps it (clearing GTF_writing too if @write). */
void fx_unmap(int ref, bool write);
/* The page behind @ref, for a grant the backend already holds mapped. */
void *fx_frame(int ref);
/* Grants the backend has mapped now. */
unsigned int fx_mapped_refs(void);

/* Run xenstore traffic, watches and the kernel's work until all is quiet. */
void fx_pump(void);

/* xenbus helpers on the fake store: a node's state, and a frontend's numeric key. */
void fx_set_state(const char *node, int state);
int fx_state(const char *node);
long fx_num(const char *node, const char *key);

#endif
