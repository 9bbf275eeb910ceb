/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The firewall's two modes (docs/firewall.md): each binds its ports,
 * wires the graph around the filter and calls ctx->ready once forwarding
 * runs.
 */
#ifndef SLUICE_FWMODE_H
#define SLUICE_FWMODE_H

#include "fw.h"

/* bridge.c: net0 <-> net1, no address. */
int fw_bridge_start(struct fw_ctx *ctx, char *err, size_t errlen);
/* routed.c: a router between the NICs lwIP addresses. */
int fw_routed_start(struct fw_ctx *ctx, char *err, size_t errlen);
/* Register routed mode's stats sections ("routed ...", "neigh ..."). */
void fw_routed_stats(struct fw_ctx *ctx);

#endif
