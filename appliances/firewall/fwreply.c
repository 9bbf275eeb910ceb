// SPDX-License-Identifier: BSD-2-Clause
/*
 * The reject branch of both modes: a token bucket (reject-rate,
 * reject-burst), then the answer built by fwreject.c, sent back out of the
 * ingress port from the shared TX pool. The original is dropped and
 * counted as rejected either way.
 */
#include <stdio.h>

#include "fwelem.h"
#include "sluice/evloop.h"
#include "sluice/nf/stats.h"

#define REJECT_POOL_PAGES 32 /* answers and neighbour probes in flight */
#define REJECT_POOL_MIN 4

typedef unsigned long long ull;

static int reject_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct fw_rejecter *r = e->priv;
	const struct fw_verdict *v = p->anno[FW_ANNO_VERDICT].ptr;
	struct pktbuf *a;
	size_t n;

	p->reason = FWD_REJECT;
	if (!v || !nf_port(r->ports, p->iif))
		return PL_DROP;
	a = nf_tx_alloc(r->ports);
	if (!a) {
		r->nobuf++;
		return PL_DROP;
	}
	n = fw_reject_build(p->frame, p->len, &p->meta, v->reject, v->code, pkt_data(a),
			    PKTBUF_SIZE - PKTBUF_HEADROOM);
	if (n == 0) {
		r->unanswerable++;
		pktbuf_free(a);
		return PL_DROP;
	}
	a->len = (uint16_t)n;
	if (nf_send(r->ports, a, p->iif) == 0)
		r->sent++;
	return PL_DROP;
}

static const struct pl_class reject_class = {
	.name = "reject",
	.nports = 0,
	.push = reject_push,
};

size_t fw_reject_format(void *arg, char *buf, size_t len)
{
	const struct fw_rejecter *r = arg;
	int n = snprintf(buf, len, "reject sent=%llu limited=%llu unanswerable=%llu nobuf=%llu\n",
			 (ull)r->sent, (ull)r->tbf.limited, (ull)r->unanswerable, (ull)r->nobuf);

	return n < 0 ? 0 : (size_t)n;
}

int fw_add_reject(struct fw_ctx *ctx, struct pl_elem **first)
{
	struct fw_rejecter *r = &ctx->rej;
	int rc;

	r->ports = &ctx->app.ports;
	pl_tbf_init(&r->tbf, ctx->opts.reject_rate, ctx->opts.reject_burst, now_ns());
	rc = pl_add(&ctx->graph, &r->limit_e, &pl_ratelimit_class, "reject-limit", &r->tbf);
	if (rc == 0)
		rc = pl_add(&ctx->graph, &r->reject_e, &reject_class, "reject", r);
	if (rc == 0)
		rc = pl_connect(&r->limit_e, 0, &r->reject_e);
	*first = &r->limit_e;
	return rc;
}

/* After the NICs started: their receive rings come first when memory is short. */
void fw_reject_pool(struct fw_ctx *ctx)
{
	/* Without a pool, rejected packets are dropped without an answer. */
	if (nf_tx_pool_init(&ctx->app.ports, REJECT_POOL_PAGES, REJECT_POOL_MIN) < 0)
		printf("firewall: no memory for answers: rejected packets are dropped silently\n");
}
