// SPDX-License-Identifier: BSD-2-Clause
/*
 * The connection table in the kernel (sluice/nf/ct.h): sized from the
 * heap, keyed by a secret seed, aged by a timer.
 */
#include <stdio.h>

#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/nf/ct.h"
#include "sluice/random.h"

#define CT_TICK_S 5
#define CT_SWEEP_S 60 /* the whole table is swept for expired entries this often */
#define CT_AUTO_MAX (256u * 1024)
#define CT_MIN 256

static void ct_tick(struct timer *t, void *arg)
{
	struct nf_ct *ct = arg;

	ct_expire(&ct->t, now_ns(), ct->t.max / (CT_SWEEP_S / CT_TICK_S) + 1);
	timer_arm_in(t, CT_TICK_S * 1000000000ull);
}

int nf_ct_start(struct nf_ct *ct, unsigned int max, bool tcp_loose, const char *who)
{
	uint64_t free_heap = mm_heap_size() - mm_heap_used();
	struct ct_cfg cfg;
	uint64_t seed;
	int rc;

	/* A quarter of the free heap by default: room is left for rule updates. */
	if (!max)
		max = MIN(ct_entries_for_bytes((size_t)(free_heap / 4)), CT_AUTO_MAX);
	max = MAX(max, CT_MIN);
	/* The seed keys the flow hash: it must be secret, or flows can be aimed at a bucket. */
	rc = random_bytes(&seed, sizeof(seed));
	if (rc == 0)
		rc = ct_init(&ct->t, max, seed);
	if (rc < 0) {
		printf("%s: cannot allocate a connection table of %u entries (%d)\n", who, max, rc);
		return rc;
	}
	ct_cfg_default(&cfg);
	cfg.tcp_loose = tcp_loose;
	ct_set_cfg(&ct->t, &cfg);
	timer_init(&ct->tick, ct_tick, ct);
	timer_arm_in(&ct->tick, CT_TICK_S * 1000000000ull);
	return 0;
}

size_t nf_ct_format(void *arg, char *buf, size_t len)
{
	const struct ct_stats *c = &((struct nf_ct *)arg)->t.stats;
	const struct defrag *df = ((struct nf_ct *)arg)->defrag;
	int n = snprintf(buf, len, "ct entries=%u full=%llu evictions=%llu\n", c->entries,
			 (unsigned long long)c->full, (unsigned long long)c->evictions);
	int m = 0;

	if (n < 0)
		return 0;
	if (df) {
		const struct df_stats *d = &df->stats;

		m = snprintf(buf + MIN((size_t)n, len), len - MIN((size_t)n, len),
			     "defrag held=%u done=%llu overlaps=%llu duplicates=%llu bad=%llu "
			     "timeouts=%llu evicted=%llu limited=%llu\n",
			     df_held(df), (unsigned long long)d->done,
			     (unsigned long long)d->overlap, (unsigned long long)d->dup,
			     (unsigned long long)d->bad, (unsigned long long)d->timeouts,
			     (unsigned long long)d->evicted,
			     (unsigned long long)(d->src_limit + d->too_many));
	}
	return m < 0 ? (size_t)n : (size_t)n + (size_t)m;
}
