// SPDX-License-Identifier: BSD-2-Clause
/*
 * The host channel on platforms without xenstore: the appliance keeps the
 * key space itself (kernel/lib/hcstore.c) and the host reaches it through
 * the control port (drivers/virtio/virtio_console.c, kernel/lib/hcproto.c).
 *
 * A batch runs in one step of the event loop: its reads see the store and
 * the batch's own earlier changes, and its changes go in with one
 * hcs_apply(), all or nothing. Without a control port the store still
 * works; nobody reads it.
 *
 * Quotas: a host may push up to HC_CHUNKED_MAX of configuration while the
 * appliance publishes its counters (chunked too), and transactions hold
 * their writes aside until they commit: the byte quota leaves room for two
 * chunked values and the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/hostcfg_be.h"
#include "sluice/kernel.h"
#include "sluice/numparse.h"

#define STORE_ENTRIES_MAX 2048
#define STORE_BYTES_MAX (2 * HC_CHUNKED_MAX + 256 * 1024)

static struct hcs_store store;
static bool store_ready;
static struct hc_batch *queue_head, **queue_tail = &queue_head;
static struct hc_watch *watches;
static struct work run_work, watch_work;
static struct hcp_conn *port;
static void (*port_kick)(void *arg);
static void *port_arg;

static void changed(void *ctx, const char *key)
{
	(void)ctx;
	for (struct hc_watch *w = watches; w; w = w->next)
		if (hcs_in_subtree(key, w->key) && !w->pending) {
			w->pending = true;
			work_post(&watch_work);
		}
	if (port) {
		hcp_changed(port, key);
		port_kick(port_arg);
	}
}

struct hcs_store *hc_local_store(void)
{
	if (!store_ready) {
		hcs_init(&store, STORE_ENTRIES_MAX, STORE_BYTES_MAX);
		store.changed = changed;
		store_ready = true;
	}
	return &store;
}

void hc_local_attach(struct hcp_conn *conn, void (*kick)(void *arg), void *arg)
{
	port = conn;
	port_kick = kick;
	port_arg = arg;
}

/* ---- batches ---- */

/* Changes of the batch so far, for hcs_apply and for the batch's own reads. */
#define NAME_LEN (HC_KEY_MAX + 8)

struct pending {
	struct hcs_op *ops;
	char (*names)[NAME_LEN];
	unsigned int n, nnames;
};

/* Room for the batch's changes: a chunked write is a removal, N chunks and a count. */
static int pending_alloc(struct pending *p, const struct hc_batch *b)
{
	unsigned int ops = 0, names = 1; /* one scratch name for chunked reads */

	for (unsigned int i = 0; i < b->nops; i++) {
		const struct hc_op *op = &b->ops[i];
		unsigned int chunks = (unsigned int)((op->len + HC_CHUNK_DATA - 1) / HC_CHUNK_DATA);

		ops += op->kind == HC_WRITE_CHUNKED ? chunks + 2 : 1;
		names += op->kind == HC_WRITE_CHUNKED ? chunks + 2 : 0;
	}
	p->n = p->nnames = 0;
	p->ops = malloc(ops * sizeof(*p->ops));
	p->names = malloc(names * sizeof(*p->names));
	if (p->ops && p->names)
		return 0;
	free(p->ops);
	free(p->names);
	return -ENOMEM;
}

static const char *lookup(const struct pending *p, const char *key, size_t *len)
{
	const struct hcs_entry *e;

	for (unsigned int i = p->n; i-- > 0;) {
		if (p->ops[i].kind == HCS_WRITE && strcmp(p->ops[i].key, key) == 0) {
			*len = p->ops[i].len;
			return p->ops[i].val;
		}
		if (p->ops[i].kind == HCS_RM && hcs_in_subtree(key, p->ops[i].key))
			return NULL;
	}
	e = hcs_get(&store, key);
	if (e)
		*len = e->len;
	return e ? e->val : NULL;
}

static int read_into(const struct pending *p, const char *key, char *buf, size_t cap, size_t *len)
{
	size_t l = 0;
	const char *v = lookup(p, key, &l);

	*len = l;
	if (!v)
		return -ENOENT;
	if (l + 1 > cap)
		return -E2BIG;
	memcpy(buf, v, l);
	buf[l] = '\0';
	return 0;
}

static const char *name(struct pending *p, const char *key, const char *sfx, unsigned int i)
{
	char *n = p->names[p->nnames++];

	if (sfx)
		snprintf(n, NAME_LEN, "%s/%s", key, sfx);
	else
		snprintf(n, NAME_LEN, "%s/%u", key, i);
	return n;
}

static int read_chunked(struct pending *p, struct hc_op *op)
{
	char cnt[16];
	size_t l, off = 0;
	uint64_t count = 0;
	int rc = read_into(p, name(p, op->key, "count", 0), cnt, sizeof(cnt), &l);

	p->nnames--; /* the name was only needed for the lookup */
	if (rc == -E2BIG)
		return -EINVAL;
	if (rc < 0)
		return rc;
	/* The count is data, not a loop bound we trust: canonical and capped. */
	if (num_parse_dec(cnt, l, NUM_CANONICAL, &count) < 0 || count > HC_CHUNK_COUNT_MAX)
		return -EINVAL;
	op->buf[0] = '\0';
	for (unsigned int i = 0; i < count; i++) {
		rc = read_into(p, name(p, op->key, NULL, i), op->buf + off, op->cap - off, &l);
		p->nnames--;
		if (rc == -ENOENT)
			return -EINVAL; /* a chunk missing: the value is torn */
		if (rc < 0)
			return rc;
		off += l;
	}
	op->out_len = off;
	return 0;
}

static void write_chunked(struct pending *p, const struct hc_op *op)
{
	unsigned int count = (unsigned int)((op->len + HC_CHUNK_DATA - 1) / HC_CHUNK_DATA);
	const char *v = op->val;

	p->ops[p->n++] = (struct hcs_op){.kind = HCS_RM, .key = op->key};
	for (unsigned int i = 0; i < count; i++) {
		size_t off = (size_t)i * HC_CHUNK_DATA;
		size_t l = op->len - off < HC_CHUNK_DATA ? op->len - off : HC_CHUNK_DATA;

		p->ops[p->n++] = (struct hcs_op){.kind = HCS_WRITE,
						 .key = name(p, op->key, NULL, i),
						 .val = v + off,
						 .len = l};
	}
	p->ops[p->n].key = name(p, op->key, "count", 0);
	snprintf(p->names[p->nnames++], NAME_LEN, "%u", count);
	p->ops[p->n].kind = HCS_WRITE;
	p->ops[p->n].val = p->names[p->nnames - 1];
	p->ops[p->n].len = strlen(p->ops[p->n].val);
	p->n++;
}

static int run_ops(struct pending *p, struct hc_batch *b)
{
	for (unsigned int i = 0; i < b->nops; i++) {
		struct hc_op *op = &b->ops[i];

		switch (op->kind) {
		case HC_READ:
			op->rc = read_into(p, op->key, op->buf, op->cap, &op->out_len);
			break;
		case HC_READ_CHUNKED:
			op->rc = read_chunked(p, op);
			if (op->rc == -EINVAL)
				return -EINVAL;
			break;
		case HC_WRITE:
			p->ops[p->n++] = (struct hcs_op){
				.kind = HCS_WRITE, .key = op->key, .val = op->val, .len = op->len};
			break;
		case HC_RM:
			p->ops[p->n++] = (struct hcs_op){.kind = HCS_RM, .key = op->key};
			break;
		case HC_WRITE_CHUNKED:
			write_chunked(p, op);
			break;
		}
	}
	return p->n ? hcs_apply(&store, p->ops, p->n) : 0;
}

static int run_batch(struct hc_batch *b)
{
	struct pending p;
	int rc = pending_alloc(&p, b);

	if (rc < 0)
		return rc;
	rc = run_ops(&p, b);
	free(p.ops);
	free(p.names);
	return rc;
}

static void run(struct work *w)
{
	struct hc_batch *b;

	(void)w;
	while ((b = queue_head)) {
		queue_head = b->next;
		if (!queue_head)
			queue_tail = &queue_head;
		hc_complete(b, run_batch(b));
	}
}

static int local_submit(struct hc_batch *b)
{
	hc_local_store();
	/* Completed from the loop, never inside hc_submit, as on Xen. */
	*queue_tail = b;
	queue_tail = &b->next;
	run_work.fn = run;
	work_post(&run_work);
	return 0;
}

/* ---- watches ---- */

static void fire(struct work *wk)
{
	(void)wk;
	/* A handler may unwatch itself or others: restart after each call. */
	for (bool again = true; again;) {
		again = false;
		for (struct hc_watch *w = watches; w; w = w->next) {
			if (!w->pending)
				continue;
			w->pending = false;
			w->fn(w);
			again = true;
			break;
		}
	}
}

static int local_watch(struct hc_watch *w)
{
	hc_local_store();
	w->registered = true;
	w->pending = true; /* fires once when set */
	w->next = watches;
	watches = w;
	watch_work.fn = fire;
	work_post(&watch_work);
	return 0;
}

static void local_unwatch(struct hc_watch *w)
{
	for (struct hc_watch **pp = &watches; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->registered = w->pending = false;
}

static bool local_present(void)
{
	return port != NULL;
}

const struct hc_backend hc_local_backend = {
	.name = "virtio-console",
	.submit = local_submit,
	.watch = local_watch,
	.unwatch = local_unwatch,
	.present = local_present,
};
