// SPDX-License-Identifier: BSD-2-Clause
/*
 * The host channel's front (include/sluice/hostcfg.h): validation of what
 * appliances ask, the transport chosen by the platform, start-up waits,
 * and coalesced fire-and-forget publishing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/hcstore.h"
#include "sluice/hostcfg_be.h"
#include "sluice/kernel.h"

static const struct hc_backend *be = &hc_local_backend;

void hc_set_backend(const struct hc_backend *b)
{
	be = b;
}

bool hc_present(void)
{
	return be->present();
}

const char *hc_transport(void)
{
	return be->present() ? be->name : "local";
}

int hc_key_check(const char *key)
{
	return key ? hcs_key_check(key) : -EINVAL;
}

static int check_op(const struct hc_op *op)
{
	if (hc_key_check(op->key) < 0)
		return -EINVAL;
	switch (op->kind) {
	case HC_READ:
	case HC_READ_CHUNKED:
		return op->buf && op->cap ? 0 : -EINVAL;
	case HC_WRITE:
		return (op->val || !op->len) && op->len <= HC_VALUE_MAX ? 0 : -EINVAL;
	case HC_WRITE_CHUNKED:
		/* "<key>/count" must still be a valid key. */
		return (op->val || !op->len) && op->len <= HC_CHUNKED_MAX &&
				       strlen(op->key) + 6 <= HC_KEY_MAX
			       ? 0
			       : -EINVAL;
	case HC_RM:
		return 0;
	}
	return -EINVAL;
}

int hc_submit(struct hc_batch *b)
{
	int rc;

	if (!b || b->busy)
		return -EBUSY;
	if (!b->ops || b->nops == 0 || b->nops > HC_BATCH_OPS_MAX || !b->done)
		return -EINVAL;
	for (unsigned int i = 0; i < b->nops; i++) {
		rc = check_op(&b->ops[i]);
		if (rc < 0)
			return rc;
		b->ops[i].rc = 0;
		b->ops[i].out_len = 0;
	}
	b->busy = true;
	b->next = NULL;
	b->state = b->step = b->sub = b->tries = 0;
	b->pos = 0;
	rc = be->submit(b);
	if (rc < 0)
		b->busy = false;
	return rc;
}

void hc_complete(struct hc_batch *b, int rc)
{
	b->busy = false;
	b->done(b, rc);
}

/* ---- start-up waits ---- */

struct run_ctx {
	volatile bool done;
	int rc;
};

static void run_done(struct hc_batch *b, int rc)
{
	struct run_ctx *r = b->arg;

	r->rc = rc;
	r->done = true;
}

int hc_run(struct hc_batch *b)
{
	struct run_ctx r = {0};
	void *arg = b->arg;
	hc_done_fn done = b->done;
	int rc;

	b->arg = &r;
	b->done = run_done;
	rc = hc_submit(b);
	/* The backends bound every batch by HC_TIMEOUT_NS; the extra second is slack. */
	if (rc == 0 && evloop_wait_flag(&r.done, now_ns() + HC_TIMEOUT_NS + 1000000000ull) < 0)
		rc = -ETIMEDOUT; /* cannot happen with a working backend */
	else if (rc == 0)
		rc = r.rc;
	b->arg = arg;
	b->done = done;
	return rc;
}

int hc_read_now(const char *key, char *buf, size_t cap, size_t *len)
{
	struct hc_op op = {.kind = HC_READ, .key = key, .buf = buf, .cap = cap};
	struct hc_batch b = {.ops = &op, .nops = 1, .done = run_done};
	int rc = hc_run(&b);

	if (len)
		*len = op.out_len;
	return rc < 0 ? rc : op.rc;
}

int hc_write_now(const char *key, const char *value)
{
	struct hc_op op = {.kind = HC_WRITE, .key = key, .val = value, .len = strlen(value)};
	struct hc_batch b = {.ops = &op, .nops = 1, .done = run_done};

	return hc_run(&b);
}

/* ---- publishing ---- */

struct pub {
	char key[HC_KEY_MAX + 1];
	char *val;     /* the latest value, not yet sent; NULL: none */
	char *sending; /* the value in the batch in flight */
	bool failing;  /* reported once until it works again */
};

static struct pub pubs[HC_PUBLISH_MAX];
static struct hc_op pub_ops[HC_PUBLISH_MAX];
static struct hc_batch pub_batch;
static struct work pub_work;

static void pub_kick(struct work *w);

static void pub_done(struct hc_batch *b, int rc)
{
	for (unsigned int i = 0; i < HC_PUBLISH_MAX; i++) {
		struct pub *p = &pubs[i];

		if (!p->sending)
			continue;
		if (rc < 0 && !p->failing)
			kprintf("hostcfg: cannot publish %s (%d)\n", p->key, rc);
		p->failing = rc < 0;
		free(p->sending);
		p->sending = NULL;
	}
	(void)b;
	work_post(&pub_work); /* values published meanwhile */
}

static void pub_kick(struct work *w)
{
	unsigned int n = 0;

	(void)w;
	if (pub_batch.busy)
		return; /* pub_done comes back here */
	for (unsigned int i = 0; i < HC_PUBLISH_MAX; i++) {
		struct pub *p = &pubs[i];

		if (!p->val)
			continue;
		p->sending = p->val;
		p->val = NULL;
		pub_ops[n++] = (struct hc_op){.kind = HC_WRITE,
					      .key = p->key,
					      .val = p->sending,
					      .len = strlen(p->sending)};
	}
	if (!n)
		return;
	pub_batch = (struct hc_batch){.ops = pub_ops, .nops = n, .done = pub_done};
	if (hc_submit(&pub_batch) < 0)
		pub_done(&pub_batch, -EIO);
}

void hc_publish(const char *key, const char *value)
{
	struct pub *slot = NULL;
	char *v;

	if (hc_key_check(key) < 0 || strlen(value) > HC_VALUE_MAX)
		return;
	for (unsigned int i = 0; i < HC_PUBLISH_MAX && !slot; i++)
		if (strcmp(pubs[i].key, key) == 0)
			slot = &pubs[i];
	for (unsigned int i = 0; i < HC_PUBLISH_MAX && !slot; i++)
		if (!pubs[i].key[0])
			slot = &pubs[i];
	v = strdup(value);
	if (!slot || !v) {
		free(v);
		kprintf("hostcfg: cannot publish %s: %s\n", key,
			slot ? "out of memory" : "too many keys");
		return;
	}
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	free(slot->val); /* coalesce: only the latest value matters */
	slot->val = v;
	pub_work.fn = pub_kick;
	work_post(&pub_work);
}

/* ---- watches ---- */

int hc_watch(struct hc_watch *w)
{
	if (!w || !w->fn || hc_key_check(w->key) < 0)
		return -EINVAL;
	if (w->registered)
		return -EBUSY;
	return be->watch(w);
}

void hc_unwatch(struct hc_watch *w)
{
	if (w && w->registered)
		be->unwatch(w);
}
