// SPDX-License-Identifier: BSD-2-Clause
/*
 * The host channel on Xen: xenstore, under the domain's own data/sluice/
 * directory (sluice/hostkeys.h), so that host tools read and write the
 * same paths as always (docs/hostcfg.md).
 *
 * Each batch runs as one xenstore transaction, redone when xenstored
 * reports that a writer raced us (EAGAIN, at most XS_TX_RETRIES times).
 * Nothing waits for xenstored: every request goes out through the
 * client's asynchronous slot (xs_async_*) and the next step runs when the
 * reply arrives, from the xenstore event channel's work (hc_xen_event) or
 * the re-poll timer, so packets keep flowing during a rule push. A batch
 * that xenstored has not finished within HC_TIMEOUT_NS fails with
 * -ETIMEDOUT and the next one starts: a dom0 that stops answering costs a
 * failed publish, never a stalled appliance.
 *
 * Trust: xenstored's replies are checked for their type; values are
 * copied bounded by the caller's buffer; a chunk count is canonical
 * decimal and capped before it is used as a loop bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/hostcfg_be.h"
#include "sluice/kernel.h"
#include "sluice/xen_plat.h"

#define PATH_MAX_ (sizeof(HK_XS_DIR) + HC_KEY_MAX + 16)
#define REPOLL_NS (1000 * 1000) /* while a request waits for room in the ring */

enum xstate { X_TX_START, X_OP, X_TX_END, X_ABORT };

static struct {
	struct hc_batch *b; /* in flight */
	enum xstate st;
	uint32_t type; /* of the request outstanding */
	uint32_t tx;
	unsigned int op, sub, count, tries;
	size_t off; /* bytes of a chunked read so far */
	int err;    /* an aborted batch's error, reported once the abort is answered */
	struct timer deadline, repoll;
} X;

static struct hc_batch *queue_head, **queue_tail = &queue_head;
static struct work run_work;

static void key_path(char *out, const char *key, const char *sfx, unsigned int i, bool chunk)
{
	if (!chunk)
		snprintf(out, PATH_MAX_, HK_XS_DIR "/%s", key);
	else if (sfx)
		snprintf(out, PATH_MAX_, HK_XS_DIR "/%s/%s", key, sfx);
	else
		snprintf(out, PATH_MAX_, HK_XS_DIR "/%s/%u", key, i);
}

/* Send a request whose payload is "path\0" and then @val. */
static int send(uint32_t type, const char *path, const void *val, size_t len)
{
	struct xs_seg seg[2] = {{path, strlen(path) + 1}, {val, len}};

	X.type = type;
	return xs_async_send(&xen_xs, type, X.tx, seg, val ? 2 : 1);
}

static void finish(int rc)
{
	struct hc_batch *b = X.b;

	timer_cancel(&X.deadline);
	timer_cancel(&X.repoll);
	X.b = NULL;
	hc_complete(b, rc);
	work_post(&run_work); /* the next batch */
}

static int tx_end(bool commit, int err)
{
	struct xs_seg seg = {commit ? "T" : "F", 2};

	X.st = commit ? X_TX_END : X_ABORT;
	X.err = err;
	X.type = XS_TRANSACTION_END;
	return xs_async_send(&xen_xs, XS_TRANSACTION_END, X.tx, &seg, 1);
}

static int tx_start(void)
{
	struct xs_seg seg = {"", 1};

	for (unsigned int i = 0; i < X.b->nops; i++) {
		X.b->ops[i].rc = 0;
		X.b->ops[i].out_len = 0;
	}
	X.st = X_TX_START;
	X.tx = 0;
	X.op = X.sub = 0;
	X.off = 0;
	X.type = XS_TRANSACTION_START;
	return xs_async_send(&xen_xs, XS_TRANSACTION_START, 0, &seg, 1);
}

/* The request for step (X.op, X.sub), or the commit when every op is done. */
static int next_request(void)
{
	struct hc_op *op;
	char p[PATH_MAX_], num[16];

	if (X.op == X.b->nops)
		return tx_end(true, 0);
	op = &X.b->ops[X.op];
	switch (op->kind) {
	case HC_READ:
		key_path(p, op->key, NULL, 0, false);
		return send(XS_READ, p, NULL, 0);
	case HC_WRITE:
		key_path(p, op->key, NULL, 0, false);
		return send(XS_WRITE, p, op->val ? op->val : "", op->len);
	case HC_RM:
		key_path(p, op->key, NULL, 0, false);
		return send(XS_RM, p, NULL, 0);
	case HC_READ_CHUNKED:
		key_path(p, op->key, X.sub ? NULL : "count", X.sub - 1, true);
		return send(XS_READ, p, NULL, 0);
	case HC_WRITE_CHUNKED:
		X.count = (unsigned int)((op->len + HC_CHUNK_DATA - 1) / HC_CHUNK_DATA);
		if (X.sub == 0) {
			key_path(p, op->key, NULL, 0, false);
			return send(XS_RM, p, NULL, 0);
		}
		if (X.sub <= X.count) {
			size_t off = (size_t)(X.sub - 1) * HC_CHUNK_DATA;

			key_path(p, op->key, NULL, X.sub - 1, true);
			return send(XS_WRITE, p, (const char *)op->val + off,
				    MIN(op->len - off, (size_t)HC_CHUNK_DATA));
		}
		key_path(p, op->key, "count", 0, true);
		snprintf(num, sizeof(num), "%u", X.count);
		return send(XS_WRITE, p, num, strlen(num));
	}
	return -EINVAL;
}

/* A reply to a read: into the op's buffer (at X.off for a chunk). */
static int take_value(struct hc_op *op, const char *v, uint32_t len, size_t at)
{
	if (at + len + 1 > op->cap) {
		op->out_len = at + len;
		return -E2BIG; /* never truncate silently */
	}
	memcpy(op->buf + at, v, len);
	op->buf[at + len] = '\0';
	op->out_len = at + len;
	return 0;
}

/*
 * The reply of a chunked read's step: 0 to go on (X.sub advanced), 1 when
 * the op is done, or a negative errno that fails the batch.
 */
static int chunk_read_step(struct hc_op *op, int err, const char *v, uint32_t len)
{
	uint64_t count;

	if (X.sub == 0) {
		if (err == -ENOENT) {
			op->rc = -ENOENT;
			return 1;
		}
		/* The count is data, not a loop bound we trust: canonical and capped. */
		if (err < 0 || xs_parse_u64(v, len, &count) < 0 || count > HC_CHUNK_COUNT_MAX)
			return err < 0 ? err : -EINVAL;
		X.count = (unsigned int)count;
		X.off = 0;
		op->buf[0] = '\0';
		op->out_len = 0;
	} else {
		if (err == -ENOENT)
			return -EINVAL; /* a chunk missing: the value is torn */
		if (err < 0)
			return err;
		op->rc = take_value(op, v, len, X.off);
		if (op->rc < 0)
			return 1;
		X.off += len;
	}
	X.sub++;
	return X.sub > X.count ? 1 : 0;
}

/* The reply to step (X.op, X.sub): 0 to go on, or a negative errno that fails the batch. */
static int op_reply(int err, const char *v, uint32_t len)
{
	struct hc_op *op = &X.b->ops[X.op];
	int r = 1;

	switch (op->kind) {
	case HC_READ:
		op->rc = err ? err : take_value(op, v, len, 0);
		if (err && err != -ENOENT)
			return err;
		break;
	case HC_WRITE:
		if (err)
			return err;
		break;
	case HC_RM:
		if (err && err != -ENOENT)
			return err;
		break;
	case HC_READ_CHUNKED:
		r = chunk_read_step(op, err, v, len);
		if (r < 0)
			return r;
		break;
	case HC_WRITE_CHUNKED:
		if (err && !(X.sub == 0 && err == -ENOENT))
			return err;
		r = ++X.sub > X.count + 1;
		break;
	}
	if (r == 1) {
		X.op++;
		X.sub = 0;
	}
	return 0;
}

/* Act on the reply of the request outstanding; sends the next one. */
static int on_reply(uint32_t type, const char *v, uint32_t len)
{
	int err = 0;
	uint64_t id;

	if (type == XS_ERROR)
		err = xs_errno_from_string(v, len);
	else if (type != X.type)
		return -EIO; /* not an answer to what we asked */
	switch (X.st) {
	case X_TX_START:
		if (len && v[len - 1] == '\0')
			len--;
		/* 0 means "no transaction": a server handing it out would un-transact us. */
		if (err || xs_parse_u64(v, len, &id) < 0 || id == 0 || id > UINT32_MAX)
			return err ? err : -EIO;
		X.tx = (uint32_t)id;
		X.st = X_OP;
		return next_request();
	case X_OP:
		err = op_reply(err, v, len);
		return err ? tx_end(false, err) : next_request();
	case X_TX_END:
		if (err == -EAGAIN && ++X.tries < XS_TX_RETRIES)
			return tx_start(); /* a writer raced us: the whole batch again */
		finish(err);
		return 0;
	case X_ABORT:
		finish(X.err); /* whatever the abort's answer: the batch failed */
		return 0;
	}
	return -EIO;
}

static void run(struct work *w)
{
	uint32_t type, len;
	const char *v;
	int r = 0;

	(void)w;
	if (!X.b) {
		if (!(X.b = queue_head))
			return;
		queue_head = X.b->next;
		if (!queue_head)
			queue_tail = &queue_head;
		X.tries = 0;
		timer_arm_in(&X.deadline, HC_TIMEOUT_NS);
		r = tx_start();
		if (r < 0)
			return finish(r);
	}
	while (X.b && (r = xs_async_take(&xen_xs, &type, &v, &len)) == 1) {
		r = on_reply(type, v, len);
		if (r < 0 && X.b)
			finish(r);
	}
	if (X.b && r < 0)
		return finish(r);
	/* Part of a request may still wait for room in the ring. */
	if (X.b && xen_xs.a_sent < xen_xs.a_len)
		timer_arm_in(&X.repoll, REPOLL_NS);
}

static void on_deadline(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (!X.b)
		return;
	xs_async_cancel(&xen_xs); /* a late reply is dropped as stale */
	finish(-ETIMEDOUT);
}

static void on_repoll(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	work_post(&run_work);
}

void hc_xen_event(void)
{
	if (X.b)
		work_post(&run_work);
}

static int xen_submit(struct hc_batch *b)
{
	if (!run_work.fn) {
		run_work.fn = run;
		timer_init(&X.deadline, on_deadline, NULL);
		timer_init(&X.repoll, on_repoll, NULL);
	}
	*queue_tail = b;
	queue_tail = &b->next;
	work_post(&run_work);
	return 0;
}

/* ---- watches ---- */

struct xwatch {
	struct xs_watch xw;
	char path[PATH_MAX_];
	struct hc_watch *hw;
};

static void fired(struct xs_watch *xw, const char *p)
{
	struct xwatch *x = xw->arg;

	(void)p;
	x->hw->fn(x->hw);
}

static int xen_watch(struct hc_watch *w)
{
	struct xwatch *x = calloc(1, sizeof(*x));
	int rc;

	if (!x)
		return -ENOMEM;
	key_path(x->path, w->key, NULL, 0, false);
	x->hw = w;
	x->xw.path = x->path;
	x->xw.fn = fired;
	x->xw.arg = x;
	rc = xs_watch(&xen_xs, &x->xw);
	if (rc < 0) {
		free(x);
		return rc;
	}
	w->impl = x;
	w->registered = true;
	return 0;
}

static void xen_unwatch(struct hc_watch *w)
{
	struct xwatch *x = w->impl;

	xs_unwatch(&xen_xs, &x->xw); /* forgets it locally whatever the server says */
	free(x);
	w->impl = NULL;
	w->registered = false;
}

static bool xen_present(void)
{
	return true;
}

const struct hc_backend hc_xen_backend = {
	.name = "xenstore",
	.submit = xen_submit,
	.watch = xen_watch,
	.unwatch = xen_unwatch,
	.present = xen_present,
};
