/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The firewall's services: rule sources (config.c) and counters and logs
 * (stats.c).
 */
#ifndef SLUICE_FWSVC_H
#define SLUICE_FWSVC_H

#include "fw.h"

/* Boot rules from rules= / rules-file= into ctx->filter: 0, or -errno with a message printed. */
int fw_config_boot(struct fw_ctx *ctx);
/* Publish the boot rules' verdict and watch the host channel for rule updates. */
int fw_config_start(void);
/* Active generation (0: the boot rules). */
uint64_t fw_config_generation(void);

/* Register the firewall's stats sections around the shared ones; start publishing and logging. */
int fw_stats_start(struct fw_ctx *ctx);
/* The filter's log hook (arg: the context): print fired `log` statements, rate-limited. */
void fw_log(void *ctx, const struct pl_pkt *p, const struct fw_verdict *v,
	    const struct fw_logs *logs);

#endif
