// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counters on the host channel (include/sluice/nf/confchan.h): the stats
 * registry's text as one chunked value, only when it changed.
 *
 * Change detection is a CRC of the text: the publisher formats into its
 * own buffer each time, and skips the host when nothing moved, so an idle
 * appliance makes no host traffic. The buffer belongs to the batch while
 * it is in flight; a tick that comes meanwhile is skipped (the next one
 * publishes the newer counters).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sluice/crc32.h"
#include "sluice/nf/confchan.h"
#include "sluice/nf/stats.h"

int nf_publish_init(struct nf_publisher *p, const struct nf_stats *st, const char *who, size_t cap)
{
	p->st = st;
	p->who = who;
	p->cap = cap < HC_CHUNKED_MAX ? cap : HC_CHUNKED_MAX;
	p->text = malloc(p->cap);
	p->once = p->failing = false;
	return p->text ? 0 : -ENOMEM;
}

static void done(struct hc_batch *b, int rc)
{
	struct nf_publisher *p = b->arg;

	if (rc < 0) {
		if (!p->failing)
			printf("%s: cannot publish %s (%d)\n", p->who, HK_STATS, rc);
		p->failing = true;
		return;
	}
	p->failing = false;
	p->once = true;
	p->last_crc = p->sent_crc;
}

void nf_publish(struct nf_publisher *p)
{
	size_t n;
	uint32_t crc;

	if (!p->text || p->batch.busy)
		return;
	n = nf_stats_format(p->st, p->text, p->cap);
	crc = crc32_update(0, p->text, n);
	if (p->once && crc == p->last_crc)
		return; /* nothing moved: no host traffic */
	p->sent_crc = crc;
	p->op = (struct hc_op){.kind = HC_WRITE_CHUNKED, .key = HK_STATS, .val = p->text, .len = n};
	p->batch = (struct hc_batch){.ops = &p->op, .nops = 1, .done = done, .arg = p};
	if (hc_submit(&p->batch) < 0)
		done(&p->batch, -EIO);
}
