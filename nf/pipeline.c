// SPDX-License-Identifier: BSD-2-Clause
/*
 * The packet pipeline (sluice/pipeline.h): graph building and checking, the
 * input queue, batches run to completion, deferred state swaps, and two
 * generic elements (counter, ratelimit) and the join between graphs.
 *
 * Trust: packet buffers come from drivers, whose offsets and lengths come
 * from the backend or device; they are checked against the page here before
 * any element reads the frame, so elements only ever see a frame that lies
 * in memory the buffer owns.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sluice/netdev.h"
#include "sluice/nf/pipeline.h"

#define PL_CHAIN_MAX 64 /* fragments of one packet; drivers send far fewer */
#define NS_PER_S 1000000000ull

void pl_init(struct pl_graph *g,
	     void (*release)(struct pl_graph *, struct pl_pkt *, struct pl_elem *), void *arg)
{
	memset(g, 0, sizeof(*g));
	g->release = release;
	g->arg = arg;
}

static bool in_graph(const struct pl_graph *g, const struct pl_elem *e)
{
	for (unsigned int i = 0; i < g->nelems; i++)
		if (g->elems[i] == e)
			return true;
	return false;
}

int pl_add(struct pl_graph *g, struct pl_elem *e, const struct pl_class *cls, const char *name,
	   void *priv)
{
	if (!cls || !cls->push || cls->nports > PL_PORTS_MAX || !name)
		return -EINVAL;
	if (g->nelems == PL_ELEMS_MAX)
		return -E2BIG;
	memset(e, 0, sizeof(*e));
	e->cls = cls;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->priv = priv;
	e->g = g;
	g->elems[g->nelems++] = e;
	if (!g->entry)
		g->entry = e;
	return 0;
}

int pl_connect(struct pl_elem *from, unsigned int port, struct pl_elem *to)
{
	if (!from || !to || port >= from->cls->nports || from->g != to->g)
		return -EINVAL;
	from->out[port] = to;
	return 0;
}

void pl_set_entry(struct pl_graph *g, struct pl_elem *e)
{
	g->entry = e;
}

/* Index of @e in the graph, or -1. */
static int elem_index(const struct pl_graph *g, const struct pl_elem *e)
{
	for (unsigned int i = 0; i < g->nelems; i++)
		if (g->elems[i] == e)
			return (int)i;
	return -1;
}

/*
 * Kahn's algorithm: repeatedly remove elements nothing points to; whatever
 * remains lies on a cycle. Iterative and bounded by PL_ELEMS_MAX.
 */
int pl_check(const struct pl_graph *g, char *err, size_t errlen)
{
	unsigned int indeg[PL_ELEMS_MAX] = {0}, stack[PL_ELEMS_MAX], sp = 0, removed = 0;

	if (!g->entry || !in_graph(g, g->entry)) {
		snprintf(err, errlen, "pipeline has no entry element");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < g->nelems; i++) {
		for (unsigned int p = 0; p < g->elems[i]->cls->nports; p++) {
			int j = g->elems[i]->out[p] ? elem_index(g, g->elems[i]->out[p]) : -1;

			if (g->elems[i]->out[p] && j < 0) {
				snprintf(err, errlen,
					 "element '%s' port %u leads outside the graph",
					 g->elems[i]->name, p);
				return -EINVAL;
			}
			if (j >= 0)
				indeg[j]++;
		}
	}
	for (unsigned int i = 0; i < g->nelems; i++)
		if (indeg[i] == 0)
			stack[sp++] = i;
	while (sp) {
		const struct pl_elem *e = g->elems[stack[--sp]];

		removed++;
		for (unsigned int p = 0; p < e->cls->nports; p++) {
			int j = e->out[p] ? elem_index(g, e->out[p]) : -1;

			if (j >= 0 && --indeg[j] == 0)
				stack[sp++] = (unsigned int)j;
		}
	}
	if (removed != g->nelems) {
		for (unsigned int i = 0; i < g->nelems; i++) {
			if (indeg[i]) {
				snprintf(err, errlen, "pipeline has a cycle through '%s'",
					 g->elems[i]->name);
				break;
			}
		}
		return -EINVAL;
	}
	return 0;
}

size_t pl_describe(const struct pl_graph *g, char *buf, size_t len)
{
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int i = 0; i < g->nelems && pos < len; i++) {
		const struct pl_elem *e = g->elems[i];

		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s(%s)", i ? "; " : "", e->name,
					e->cls->name);
		for (unsigned int p = 0; p < e->cls->nports && pos < len; p++)
			pos += (size_t)snprintf(buf + pos, len - pos, " %u->%s", p,
						e->out[p] ? e->out[p]->name : "drop");
	}
	return pos < len ? pos : (len ? len - 1 : 0);
}

int pl_enqueue(struct pl_graph *g, struct pktbuf *buf, uint32_t iif)
{
	if (g->qcount == PL_QUEUE_MAX) {
		struct pl_pkt p = {.buf = buf, .iif = iif, .oif = PL_IF_NONE};

		p.reason = PL_CORE_QUEUE_FULL;
		g->core_drops[PL_CORE_QUEUE_FULL]++;
		g->release(g, &p, NULL);
		return -ENOBUFS;
	}
	g->queue[(g->qhead + g->qcount) % PL_QUEUE_MAX] = (struct pl_qent){buf, iif};
	g->qcount++;
	return 0;
}

unsigned int pl_pending(const struct pl_graph *g)
{
	return g->qcount;
}

/* Walk the graph from @e until the packet leaves it. */
static void traverse(struct pl_graph *g, struct pl_elem *e, struct pl_pkt *p)
{
	/* pl_check proved the graph acyclic, so this ends within nelems hops. */
	for (unsigned int hops = 0; e && hops <= PL_ELEMS_MAX; hops++) {
		int port;

		e->in++;
		port = e->cls->push(e, p);
		if (port == PL_STOLEN) {
			e->stolen++;
			return;
		}
		if (port < 0 || (unsigned int)port >= e->cls->nports || !e->out[port]) {
			if (port >= 0 && (unsigned int)port < e->cls->nports)
				e->out_pkts[port]++;
			e->drops++;
			g->release(g, p, e);
			return;
		}
		e->out_pkts[port]++;
		e = e->out[port];
	}
	if (e) /* unreachable with a checked graph; never leak the buffer */
		g->release(g, p, e);
}

void pl_push_from(struct pl_elem *e, unsigned int port, struct pl_pkt *p)
{
	if (port >= e->cls->nports || !e->out[port]) {
		e->drops++;
		e->g->release(e->g, p, e);
		return;
	}
	e->out_pkts[port]++;
	traverse(e->g, e->out[port], p);
}

/*
 * Check a buffer chain against its pages and make the frame readable in one
 * piece. Returns 0, or an enum pl_core_drop.
 */
static int prepare(struct pl_graph *g, struct pl_pkt *p)
{
	const struct pktbuf *q;
	unsigned int nfrag = 0;
	size_t total = 0;

	for (q = p->buf; q; q = q->next) {
		/* off and len came from a backend through its driver: inside the page only. */
		if (++nfrag > PL_CHAIN_MAX || (size_t)q->off + q->len > PKTBUF_SIZE)
			return PL_CORE_BAD_BUF;
		total += q->len;
	}
	if (total > PL_FRAME_MAX)
		return PL_CORE_OVERSIZE;
	p->len = (uint32_t)total;
	if (!p->buf->next) {
		p->frame = pkt_data(p->buf);
		return 0;
	}
	total = 0;
	for (q = p->buf; q; q = q->next) {
		memcpy(g->scratch + total, pkt_data(q), q->len);
		total += q->len;
	}
	p->frame = g->scratch;
	return 0;
}

static void apply_staged(struct pl_graph *g)
{
	for (unsigned int i = 0; i < g->nelems; i++) {
		struct pl_elem *e = g->elems[i];

		if (e->has_staged) {
			e->has_staged = false;
			e->cls->swap(e, e->staged);
			e->staged = NULL;
		}
	}
}

static void run_batch(struct pl_graph *g, unsigned int n, uint64_t now)
{
	struct pl_pkt *p = &g->cur;

	g->running = true;
	for (unsigned int i = 0; i < g->nelems; i++)
		if (g->elems[i]->cls->batch_begin)
			g->elems[i]->cls->batch_begin(g->elems[i], now);
	for (unsigned int i = 0; i < n; i++) {
		struct pl_qent q = g->queue[g->qhead];
		int bad;

		g->qhead = (g->qhead + 1) % PL_QUEUE_MAX;
		g->qcount--;
		memset(p, 0, sizeof(*p));
		p->buf = q.buf;
		p->iif = q.iif;
		p->oif = PL_IF_NONE;
		p->now = now;
		bad = prepare(g, p);
		if (bad) {
			p->reason = (uint8_t)bad;
			g->core_drops[bad]++;
			g->release(g, p, NULL);
			continue;
		}
		traverse(g, g->entry, p);
	}
	for (unsigned int i = 0; i < g->nelems; i++)
		if (g->elems[i]->cls->batch_end)
			g->elems[i]->cls->batch_end(g->elems[i]);
	g->running = false;
	/* Between batches: what was staged during this one takes effect now. */
	apply_staged(g);
	g->batches++;
	g->packets += n;
	if (n > g->max_batch)
		g->max_batch = n;
}

unsigned int pl_run(struct pl_graph *g, uint64_t now, uint64_t (*clock)(void))
{
	unsigned int total = 0;

	if (g->running || !g->entry)
		return 0; /* never nested: an element must not run its own graph */
	while (g->qcount) {
		/* Only what is queued now: packets queued meanwhile get a batch of their own. */
		unsigned int n = g->qcount < PL_BATCH_MAX ? g->qcount : PL_BATCH_MAX;

		if (total && clock)
			now = clock();
		run_batch(g, n, now);
		total += n;
	}
	return total;
}

int pl_stage(struct pl_elem *e, void *state)
{
	if (!e->cls->swap)
		return -EINVAL;
	if (!e->g->running) {
		e->cls->swap(e, state);
		return 0;
	}
	if (e->has_staged && e->cls->discard)
		e->cls->discard(e, e->staged);
	e->staged = state;
	e->has_staged = true;
	return 1;
}

/* ---- token bucket ---- */

void pl_tbf_init(struct pl_tbf *t, uint64_t rate, uint64_t burst, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	/* Bounds keep tokens * 1e9 far from overflowing 64 bits. */
	t->rate = rate > NS_PER_S ? NS_PER_S : rate;
	t->burst = burst < 1 ? 1 : burst > 1000000 ? 1000000 : burst;
	t->tokens = t->burst * NS_PER_S;
	t->last = now;
}

bool pl_tbf_take(struct pl_tbf *t, uint64_t now)
{
	uint64_t cap = t->burst * NS_PER_S;

	if (now > t->last && t->rate) {
		uint64_t dt = now - t->last;

		/* dt * rate would overflow for long pauses: a full bucket is all it can give. */
		if (dt >= (cap - t->tokens) / t->rate + 1)
			t->tokens = cap;
		else
			t->tokens += dt * t->rate;
		t->last = now;
	} else if (now < t->last) {
		t->last = now; /* a clock that went back: restart from here */
	}
	if (t->rate && t->tokens >= NS_PER_S) {
		t->tokens -= NS_PER_S;
		t->passed++;
		return true;
	}
	t->limited++;
	return false;
}

/* ---- generic elements ---- */

static int counter_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct pl_counter *c = e->priv;

	if (p->iif < PL_IFS_MAX) {
		c->packets[p->iif]++;
		c->bytes[p->iif] += p->len;
	}
	return 0;
}

const struct pl_class pl_counter_class = {
	.name = "counter",
	.nports = 1,
	.push = counter_push,
};

static int ratelimit_push(struct pl_elem *e, struct pl_pkt *p)
{
	return pl_tbf_take(e->priv, p->now) ? 0 : 1;
}

const struct pl_class pl_ratelimit_class = {
	.name = "ratelimit",
	.nports = 2,
	.push = ratelimit_push,
};

/* The packet now belongs to the downstream graph: never run it from here (no nesting). */
static int join_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct pl_join *j = e->priv;

	j->passed++;
	pl_enqueue(j->to, p->buf, p->iif);
	return PL_STOLEN;
}

const struct pl_class pl_join_class = {
	.name = "join",
	.nports = 0,
	.push = join_push,
};

int pl_join(struct pl_graph *from, struct pl_elem *e, struct pl_join *j, const char *name,
	    struct pl_graph *to)
{
	if (!to || to == from)
		return -EINVAL;
	j->to = to;
	j->passed = 0;
	return pl_add(from, e, &pl_join_class, name, j);
}

unsigned int pl_run_chain(struct pl_graph *const *gs, unsigned int n, uint64_t now,
			  uint64_t (*clock)(void))
{
	unsigned int total = 0;

	for (unsigned int round = 0; round < PL_CHAIN_ROUNDS; round++) {
		unsigned int ran = 0;

		for (unsigned int i = 0; i < n; i++) {
			ran += pl_run(gs[i], now, clock);
			if (clock)
				now = clock();
		}
		total += ran;
		if (!ran)
			break;
	}
	return total;
}
