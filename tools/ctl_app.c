// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: what every command does with an appliance's keys, written
 * once over the target operations (ctl_int.h), so that a Xen domain and a
 * QEMU appliance's control socket behave the same (docs/hostcfg.md).
 *
 * Transactions end in EAGAIN whenever another writer touched a key they
 * read or wrote. The appliance rewrites stats (a sibling of config) while
 * a push runs, hence the generous retry count with a short back-off.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_int.h"

#define TX_RETRIES 50
#define KEY_LEN 160

uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctl_backoff(int attempt)
{
	usleep((useconds_t)(1000 * (attempt < 20 ? attempt + 1 : 20)));
}

void ctl_put_target(FILE *f, const struct ctl_target *t)
{
	if (t->is_socket) {
		fputs("socket '", f);
		ctl_put_escaped(f, t->name, strlen(t->name), true);
		fputc('\'', f);
		return;
	}
	fputc('\'', f);
	if (t->name)
		ctl_put_escaped(f, t->name, strlen(t->name), true);
	fprintf(f, "' (domid %" PRIu32 ")", t->domid);
}

void ctl_target_close(struct ctl_target *t)
{
	if (t->ops)
		t->ops->close(t);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

char *ctl_read(struct ctl_target *t, const char *key, size_t *len)
{
	return t->ops->read(t, 0, key, len);
}

/*
 * A generation key: 0 when absent (no push or no update yet), -EPROTO when it
 * holds something else than a canonical decimal.
 */
static int read_gen_tx(struct ctl_target *t, uint32_t tx, const char *key, uint64_t *gen)
{
	char *v = t->ops->read(t, tx, key, NULL);
	int r;

	if (!v) {
		if (errno == ENOENT) {
			*gen = 0;
			return 0;
		}
		return errno ? -errno : -EIO;
	}
	r = ctl_parse_u64(v, gen) < 0 ? -EPROTO : 0;
	free(v);
	return r;
}

/*
 * The appliances' chunk format (sluice/hostkeys.h): drop the old subtree (a
 * shorter text must not leave stale chunks behind), then <key>/0..N-1,
 * then <key>/count.
 */
static int write_chunks_tx(struct ctl_target *t, uint32_t tx, const char *key, const char *val,
			   size_t len)
{
	size_t count = (len + ctl_chunk_data - 1) / ctl_chunk_data;
	char sub[KEY_LEN], num[24];
	int r, n;

	if (count > ctl_chunk_count_max)
		return -E2BIG;
	r = t->ops->rm(t, tx, key);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		size_t off = i * ctl_chunk_data;
		size_t part = len - off < ctl_chunk_data ? len - off : ctl_chunk_data;

		snprintf(sub, sizeof(sub), "%s/%zu", key, i);
		r = t->ops->write(t, tx, sub, val + off, part);
		if (r < 0)
			return r;
	}
	snprintf(sub, sizeof(sub), "%s/count", key);
	n = snprintf(num, sizeof(num), "%zu", count);
	return t->ops->write(t, tx, sub, num, (size_t)n);
}

/* One attempt at a push inside @tx. */
static int push_tx(struct ctl_target *t, uint32_t tx, const char *text, size_t len, uint64_t *gen,
		   uint64_t *active)
{
	uint64_t act = 0, cfg = 0, g;
	char num[24];
	int r, n;

	/*
	 * Both generations are read inside the transaction: a concurrent push
	 * makes the commit fail, so two pushes never write the same G.
	 */
	r = read_gen_tx(t, tx, CTL_KEY_ACTIVE_GEN, &act);
	if (r == 0)
		r = read_gen_tx(t, tx, CTL_KEY_CONFIG_GEN, &cfg);
	if (r < 0)
		return r;
	g = (act > cfg ? act : cfg) + 1;
	if (g == 0)
		return -EOVERFLOW; /* a generation of UINT64_MAX: nothing can follow */
	r = write_chunks_tx(t, tx, CTL_KEY_CONFIG, text, len);
	if (r < 0)
		return r;
	n = snprintf(num, sizeof(num), "%" PRIu64, g);
	r = t->ops->write(t, tx, CTL_KEY_CONFIG_GEN, num, (size_t)n);
	*gen = g;
	*active = act;
	return r;
}

/*
 * Run @step inside a transaction, redone (with a back-off) while another
 * writer races it. @undo cleans up what a failed attempt produced.
 */
typedef int (*tx_step)(struct ctl_target *t, uint32_t tx, void *arg);

static int with_tx(struct ctl_target *t, tx_step step, void (*undo)(void *arg), void *arg)
{
	for (int attempt = 0; attempt < TX_RETRIES; attempt++) {
		uint32_t tx;
		int r;

		if (attempt)
			ctl_backoff(attempt);
		r = t->ops->tx_start(t, &tx);
		if (r < 0)
			return r;
		r = step(t, tx, arg);
		if (r < 0) {
			t->ops->tx_end(t, tx, false); /* best effort: r is what matters */
		} else {
			/* Commit, also after reads: only a commit says whether a writer raced us.
			 */
			r = t->ops->tx_end(t, tx, true);
		}
		if (r == 0)
			return 0;
		if (undo)
			undo(arg);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

struct push_arg {
	const char *text;
	size_t len;
	uint64_t gen, active;
};

static int push_step(struct ctl_target *t, uint32_t tx, void *arg)
{
	struct push_arg *p = arg;

	return push_tx(t, tx, p->text, p->len, &p->gen, &p->active);
}

int ctl_push(struct ctl_target *t, const char *text, size_t len, uint64_t *gen, uint64_t *active)
{
	struct push_arg p = {.text = text, .len = len};
	int r;

	if (len > ctl_chunked_max)
		return -E2BIG;
	r = with_tx(t, push_step, NULL, &p);
	if (r == 0) {
		*gen = p.gen;
		if (active)
			*active = p.active;
	}
	return r;
}

struct chunks_arg {
	const char *key;
	char *val;
	size_t len;
};

static int chunks_step(struct ctl_target *t, uint32_t tx, void *arg)
{
	struct chunks_arg *a = arg;
	char sub[KEY_LEN];
	uint64_t count;
	char *v;
	int r;

	snprintf(sub, sizeof(sub), "%s/count", a->key);
	v = t->ops->read(t, tx, sub, NULL);
	if (!v)
		return errno ? -errno : -EIO;
	r = ctl_parse_u64(v, &count);
	free(v);
	/* The count is the appliance's data, not a loop bound to trust. */
	if (r < 0 || count > ctl_chunk_count_max)
		return -EINVAL;
	a->val = calloc(1, 1);
	if (!a->val)
		return -ENOMEM;
	a->len = 0;
	for (uint64_t i = 0; i < count; i++) {
		size_t n;
		char *grown;

		snprintf(sub, sizeof(sub), "%s/%" PRIu64, a->key, i);
		v = t->ops->read(t, tx, sub, &n);
		if (!v)
			return errno == ENOENT ? -EINVAL : (errno ? -errno : -EIO);
		grown = realloc(a->val, a->len + n + 1);
		if (!grown) {
			free(v);
			return -ENOMEM;
		}
		a->val = grown;
		memcpy(a->val + a->len, v, n);
		a->len += n;
		a->val[a->len] = '\0';
		free(v);
	}
	return 0;
}

static void chunks_undo(void *arg)
{
	struct chunks_arg *a = arg;

	free(a->val);
	a->val = NULL;
}

int ctl_read_chunked(struct ctl_target *t, const char *key, char **val, size_t *len)
{
	struct chunks_arg a = {.key = key};
	int r = with_tx(t, chunks_step, chunks_undo, &a);

	if (r < 0) {
		free(a.val); /* a failed first step leaves its partial value */
		return r;
	}
	*val = a.val;
	*len = a.len;
	return 0;
}

void ctl_free_report(struct ctl_report *r)
{
	free(r->appliance);
	free(r->status);
	free(r->result);
	free(r->error);
	free(r->active_gen);
	memset(r, 0, sizeof(*r));
}

/* An optional key: NULL when absent; -errno for anything else. */
static int read_opt_tx(struct ctl_target *t, uint32_t tx, const char *key, char **out)
{
	*out = t->ops->read(t, tx, key, NULL);
	if (*out || errno == ENOENT)
		return 0;
	return errno ? -errno : -EIO;
}

static int report_step(struct ctl_target *t, uint32_t tx, void *arg)
{
	struct ctl_report *rep = arg;
	int r;

	/* One snapshot: a result and an error from two different updates would lie. */
	r = read_opt_tx(t, tx, CTL_KEY_APPLIANCE, &rep->appliance);
	if (r == 0)
		r = read_opt_tx(t, tx, CTL_KEY_STATUS, &rep->status);
	if (r == 0)
		r = read_opt_tx(t, tx, CTL_KEY_RESULT, &rep->result);
	if (r == 0)
		r = read_opt_tx(t, tx, CTL_KEY_ERROR, &rep->error);
	if (r == 0)
		r = read_opt_tx(t, tx, CTL_KEY_ACTIVE_GEN, &rep->active_gen);
	return r;
}

static void report_undo(void *arg)
{
	ctl_free_report(arg);
}

int ctl_read_report(struct ctl_target *t, struct ctl_report *rep)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	r = with_tx(t, report_step, report_undo, rep);
	if (r < 0)
		ctl_free_report(rep);
	return r;
}
