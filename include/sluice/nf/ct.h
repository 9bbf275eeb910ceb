/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connection tracking in a network function: the table of
 * sluice/nf/conntrack.h as a graph element, sized and aged in the kernel.
 */
#ifndef SLUICE_NF_CT_H
#define SLUICE_NF_CT_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/evloop.h"
#include "sluice/nf/conntrack.h"
#include "sluice/nf/defrag.h"
#include "sluice/nf/pipeline.h"

/* "conntrack": p->ct_state from ct_lookup_update(); one output (priv: struct ct_table). */
extern const struct pl_class nf_ct_class;

struct nf_ct {
	struct ct_table t;
	struct timer tick;	     /* expires entries a slice at a time */
	const struct defrag *defrag; /* optional: its counters follow ct's in the stats */
};

/*
 * A table of @max entries (0: a quarter of the free heap), keyed by a
 * secret seed, with its expiry timer running. 0 or -errno (printed,
 * prefixed by @who).
 */
int nf_ct_start(struct nf_ct *ct, unsigned int max, bool tcp_loose, const char *who);
/*
 * Stats section: "ct entries=N full=N evictions=N" (arg: struct nf_ct),
 * then with a defrag table "defrag held=N done=N overlaps=N duplicates=N
 * bad=N timeouts=N evicted=N limited=N".
 */
size_t nf_ct_format(void *ct, char *buf, size_t len);

#endif
