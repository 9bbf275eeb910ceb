/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The appliance interface: every image links exactly one appliance, which
 * defines `sluice_app`. The kernel boots, validates the command line against
 * the kernel's and the appliance's option tables, then calls main() with
 * interrupts enabled. main() returns an exit status (usually that of
 * evloop_run()), and the VM stops with it.
 */
#ifndef SLUICE_APP_H
#define SLUICE_APP_H

#include "sluice/cmdline.h"

struct sluice_app {
	const char *name;
	const struct cmdline_opt *opts; /* terminated by a NULL key; may be NULL */
	int (*main)(void);
};

extern const struct sluice_app sluice_app;

#endif
