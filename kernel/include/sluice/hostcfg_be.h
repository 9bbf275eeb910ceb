/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host-channel transports (platform side of sluice/hostcfg.h): the Xen
 * platform serves the channel with xenstore (xen/hostcfg_xen.c); every
 * other platform with the appliance's own store (kernel/hostcfg_local.c),
 * which the virtio-console driver exposes to the host. Not for net/, nf/
 * or appliances (scripts/check-layers).
 */
#ifndef SLUICE_HOSTCFG_BE_H
#define SLUICE_HOSTCFG_BE_H

#include <stdbool.h>

#include "sluice/hcproto.h"
#include "sluice/hostcfg.h"

struct hc_backend {
	const char *name;
	/* Run @b (validated by hostcfg.c) and later call hc_complete(). 0 or -errno. */
	int (*submit)(struct hc_batch *b);
	int (*watch)(struct hc_watch *w);
	void (*unwatch)(struct hc_watch *w);
	/* Can a host reach the channel? */
	bool (*present)(void);
};

/* The platform's choice, before appliances run (default: the local store). */
void hc_set_backend(const struct hc_backend *be);
/* A backend finished @b: results are in its ops; runs b->done. Event loop only. */
void hc_complete(struct hc_batch *b, int rc);

extern const struct hc_backend hc_local_backend;

/*
 * The local store and the control port's connection to it: the
 * virtio-console driver attaches the connection once the host's port is
 * found; @kick runs (from the event loop) when the connection has output.
 */
struct hcs_store *hc_local_store(void);
void hc_local_attach(struct hcp_conn *conn, void (*kick)(void *arg), void *arg);

#endif
