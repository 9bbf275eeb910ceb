// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fake xenstored for the xenstore/xenbus unit tests (see fake_xenstore.h).
 * Deliberately simple, but strict about what the client sends: a request
 * that breaks the wire protocol sets f->violation, which tests assert on.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_xenstore.h"

static void fake_notify(void *ctx)
{
	((struct fake_xs *)ctx)->notifies++;
}

static int fake_wait(void *ctx, uint64_t deadline)
{
	struct fake_xs *f = ctx;

	fake_step(f);
	f->now += FAKE_STEP_NS;
	return f->now >= deadline ? -ETIMEDOUT : 0;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake_xs *)ctx)->now;
}

const struct xs_ops fake_ops = {
	.notify = fake_notify,
	.wait = fake_wait,
	.now_ns = fake_now,
};

void fake_init(struct fake_xs *f, uint32_t idx)
{
	memset(f, 0, sizeof(*f));
	f->ring.req_cons = f->ring.req_prod = idx;
	f->ring.rsp_cons = f->ring.rsp_prod = idx;
	f->now = 1000000000ull;
	f->next_tx = 0x7ffffff0u; /* big ids: the client must parse all of them */
	f->fail_type = -1;
}

static void violation(struct fake_xs *f, const char *msg)
{
	if (!f->violation)
		snprintf(f->violation_msg, sizeof(f->violation_msg), "%s", msg);
	f->violation = true;
}

/* Absolute form of @p (relative paths live under FAKE_HOME). */
static void canon(const char *p, char *out)
{
	if (p[0] == '/')
		snprintf(out, FAKE_PATH_MAX, "%s", p);
	else
		snprintf(out, FAKE_PATH_MAX, "%s/%s", FAKE_HOME, p);
}

static struct fake_kv *find(struct fake_xs *f, const char *abs)
{
	for (int i = 0; i < FAKE_KV_MAX; i++)
		if (f->kv[i].used && strcmp(f->kv[i].path, abs) == 0)
			return &f->kv[i];
	return NULL;
}

static struct fake_kv *create(struct fake_xs *f, const char *abs)
{
	struct fake_kv *e = find(f, abs);

	if (e)
		return e;
	for (int i = 0; i < FAKE_KV_MAX; i++) {
		if (!f->kv[i].used) {
			e = &f->kv[i];
			memset(e, 0, sizeof(*e));
			e->used = true;
			snprintf(e->path, sizeof(e->path), "%s", abs);
			return e;
		}
	}
	ck_abort_msg("fake xenstore full");
	return NULL;
}

/* Create @abs and its ancestors (as xenstored does on write/mkdir). */
static struct fake_kv *create_all(struct fake_xs *f, const char *abs)
{
	char tmp[FAKE_PATH_MAX];

	for (size_t i = 1; abs[i]; i++) {
		if (abs[i] == '/') {
			memcpy(tmp, abs, i);
			tmp[i] = '\0';
			create(f, tmp);
		}
	}
	return create(f, abs);
}

static bool under(const char *abs, const char *base)
{
	size_t n = strlen(base);

	return strncmp(abs, base, n) == 0 && (abs[n] == '\0' || abs[n] == '/');
}

static void fire(struct fake_xs *f, const char *abs)
{
	char wabs[FAKE_PATH_MAX], ev[FAKE_PATH_MAX];

	for (int i = 0; i < FAKE_WATCH_MAX; i++) {
		if (!f->w[i].used)
			continue;
		canon(f->w[i].path, wabs);
		if (!under(abs, wabs))
			continue;
		/* Events name the path the way the watch was registered. */
		if (f->w[i].path[0] == '/')
			snprintf(ev, sizeof(ev), "%s", abs);
		else
			snprintf(ev, sizeof(ev), "%s", abs + strlen(FAKE_HOME) + 1);
		fake_emit_event(f, ev, f->w[i].tok);
	}
}

/* A committed change: watches fire, the backend script reacts. */
static void changed(struct fake_xs *f, const char *abs)
{
	struct fake_kv *e;

	fire(f, abs);
	e = find(f, abs);
	if (f->on_write && e)
		f->on_write(f, abs, e->val, e->len);
}

static void set_val(struct fake_xs *f, const char *abs, const void *val, size_t len)
{
	struct fake_kv *e = create_all(f, abs);

	ck_assert_uint_le(len, XENSTORE_PAYLOAD_MAX);
	memcpy(e->val, val, len);
	e->len = len;
}

void fake_kv_write(struct fake_xs *f, const char *path, const char *val)
{
	char abs[FAKE_PATH_MAX];

	canon(path, abs);
	set_val(f, abs, val, strlen(val));
	changed(f, abs);
}

const char *fake_kv_get(struct fake_xs *f, const char *path, size_t *len)
{
	char abs[FAKE_PATH_MAX];
	struct fake_kv *e;

	canon(path, abs);
	e = find(f, abs);
	if (!e)
		return NULL;
	if (len)
		*len = e->len;
	e->val[e->len] = '\0';
	return e->val;
}

static void rm_tree(struct fake_xs *f, const char *abs)
{
	for (int i = 0; i < FAKE_KV_MAX; i++)
		if (f->kv[i].used && under(f->kv[i].path, abs))
			f->kv[i].used = false;
}

void fake_kv_rm(struct fake_xs *f, const char *path)
{
	char abs[FAKE_PATH_MAX];

	canon(path, abs);
	rm_tree(f, abs);
	fire(f, abs);
}

static void out_raw(struct fake_xs *f, const void *p, size_t len)
{
	ck_assert_msg(f->out_len + len <= sizeof(f->out), "fake output overflow");
	memcpy(f->out + f->out_len, p, len);
	f->out_len += len;
}

void fake_emit(struct fake_xs *f, uint32_t type, uint32_t req_id, uint32_t tx, const void *p,
	       size_t len)
{
	struct xsd_sockmsg h = {type, req_id, tx, (uint32_t)len};

	out_raw(f, &h, sizeof(h));
	out_raw(f, p, len);
}

void fake_emit_event(struct fake_xs *f, const char *path, const char *tok)
{
	char b[2 * FAKE_PATH_MAX];
	size_t pl = strlen(path) + 1, tl = strlen(tok) + 1;

	memcpy(b, path, pl);
	memcpy(b + pl, tok, tl);
	fake_emit(f, XS_WATCH_EVENT, 0, 0, b, pl + tl);
}

const char *fake_watch_token(struct fake_xs *f, const char *path)
{
	for (int i = 0; i < FAKE_WATCH_MAX; i++)
		if (f->w[i].used && strcmp(f->w[i].path, path) == 0)
			return f->w[i].tok;
	return NULL;
}

unsigned int fake_nwatches(const struct fake_xs *f)
{
	unsigned int n = 0;

	for (int i = 0; i < FAKE_WATCH_MAX; i++)
		n += f->w[i].used;
	return n;
}

/* A reply, preceded by whatever misbehaviour is scripted. */
static void reply(struct fake_xs *f, uint32_t type, const void *p, size_t len)
{
	static const char junk[5000];
	uint32_t id = f->hdr.req_id, tx = f->hdr.tx_id;

	for (unsigned int n = 0; n < f->events_before_reply; n++)
		for (int i = 0; i < FAKE_WATCH_MAX; i++)
			if (f->w[i].used)
				fake_emit_event(f, f->w[i].path, f->w[i].tok);
	if (f->unknown_reply_first) {
		f->unknown_reply_first = false;
		fake_emit(f, type, id + 1000, tx, "bogus", 6);
	}
	if (f->oversized_next) {
		f->oversized_next = false;
		fake_emit(f, type, id, tx, junk, sizeof(junk));
		return;
	}
	fake_emit(f, type, id, tx, p, len);
}

static void reply_err(struct fake_xs *f, const char *e)
{
	reply(f, XS_ERROR, e, strlen(e) + 1);
}

static void reply_ok(struct fake_xs *f)
{
	reply(f, f->hdr.type, "OK", 3);
}

/* A write inside the transaction is seen at once but only fires at commit. */
static void written(struct fake_xs *f, const char *abs)
{
	if (f->hdr.tx_id == 0) {
		changed(f, abs);
		return;
	}
	ck_assert_uint_lt(f->ndirty, FAKE_DIRTY_MAX);
	snprintf(f->dirty[f->ndirty++], FAKE_PATH_MAX, "%s", abs);
}

static void do_directory(struct fake_xs *f, const char *abs)
{
	char b[XENSTORE_PAYLOAD_MAX];
	size_t n = 0, bl = strlen(abs);

	if (!find(f, abs)) {
		reply_err(f, "ENOENT");
		return;
	}
	for (int i = 0; i < FAKE_KV_MAX; i++) {
		const char *p = f->kv[i].path;

		if (!f->kv[i].used || strncmp(p, abs, bl) != 0 || p[bl] != '/' ||
		    strchr(p + bl + 1, '/'))
			continue;
		ck_assert_uint_lt(n + strlen(p + bl + 1) + 1, sizeof(b));
		memcpy(b + n, p + bl + 1, strlen(p + bl + 1) + 1);
		n += strlen(p + bl + 1) + 1;
	}
	reply(f, XS_DIRECTORY, b, n);
}

static void do_tx_start(struct fake_xs *f)
{
	char b[16];

	if (f->in_tx) {
		reply_err(f, "EBUSY"); /* this fake runs one transaction at a time */
		return;
	}
	memcpy(f->snap, f->kv, sizeof(f->kv));
	f->in_tx = true;
	f->ndirty = 0;
	f->cur_tx = f->next_tx++;
	if (f->garbage_tx_id)
		snprintf(b, sizeof(b), "12a");
	else
		snprintf(b, sizeof(b), "%u", f->cur_tx);
	reply(f, XS_TRANSACTION_START, b, strlen(b) + 1);
}

static void do_tx_end(struct fake_xs *f, const char *arg)
{
	bool commit = strcmp(arg, "T") == 0;

	if (!f->in_tx || f->hdr.tx_id != f->cur_tx) {
		reply_err(f, "ENOENT");
		return;
	}
	f->in_tx = false;
	if (!commit || f->tx_end_eagain > 0) {
		memcpy(f->kv, f->snap, sizeof(f->kv));
		if (commit) {
			f->tx_end_eagain--;
			reply_err(f, "EAGAIN");
		} else {
			reply_ok(f);
		}
		return;
	}
	reply_ok(f);
	for (unsigned int i = 0; i < f->ndirty; i++)
		changed(f, f->dirty[i]);
	f->ndirty = 0;
}

static void do_watch(struct fake_xs *f, const char *path, const char *tok, bool add)
{
	int i;

	for (i = 0; i < FAKE_WATCH_MAX; i++)
		if (f->w[i].used && !strcmp(f->w[i].path, path) && !strcmp(f->w[i].tok, tok))
			break;
	if (!add) {
		if (i == FAKE_WATCH_MAX) {
			reply_err(f, "ENOENT");
			return;
		}
		f->w[i].used = false;
		reply_ok(f);
		return;
	}
	if (i < FAKE_WATCH_MAX) {
		reply_err(f, "EEXIST");
		return;
	}
	for (i = 0; i < FAKE_WATCH_MAX && f->w[i].used; i++)
		;
	ck_assert_int_lt(i, FAKE_WATCH_MAX);
	f->w[i].used = true;
	snprintf(f->w[i].path, sizeof(f->w[i].path), "%s", path);
	snprintf(f->w[i].tok, sizeof(f->w[i].tok), "%s", tok);
	/* "Triggered once straight away": before the reply unless scripted otherwise. */
	if (!f->watch_fire_after_reply)
		fake_emit_event(f, path, tok);
	reply_ok(f);
	if (f->watch_fire_after_reply)
		fake_emit_event(f, path, tok);
}

/* First string of the payload, which must be NUL-terminated inside it. */
static const char *arg0(struct fake_xs *f, size_t *len)
{
	size_t n = strnlen(f->req, f->hdr.len);

	if (n == f->hdr.len) {
		violation(f, "payload string not NUL-terminated");
		return NULL;
	}
	*len = n;
	return f->req;
}

static void handle(struct fake_xs *f)
{
	char abs[FAKE_PATH_MAX];
	const char *p;
	size_t pl;
	uint32_t t = f->hdr.type;

	f->nreq++;
	f->last_req_id = f->hdr.req_id;
	f->last_tx_id = f->hdr.tx_id;
	if (t < XS_TYPE_COUNT)
		f->req_types[t]++;
	if (f->hdr.tx_id != 0 && (!f->in_tx || f->hdr.tx_id != f->cur_tx) &&
	    t != XS_TRANSACTION_END) {
		reply_err(f, "ENOENT");
		return;
	}
	if ((int)t == f->fail_type) {
		f->fail_type = -1;
		reply_err(f, f->fail_err);
		return;
	}
	p = arg0(f, &pl);
	if (!p) {
		reply_err(f, "EINVAL");
		return;
	}
	if (pl >= FAKE_PATH_MAX - strlen(FAKE_HOME) - 2) {
		reply_err(f, "ENAMETOOLONG" /* unknown to the client: maps to EIO */);
		return;
	}
	canon(p, abs);
	switch (t) {
	case XS_READ: {
		struct fake_kv *e = find(f, abs);

		if (e)
			reply(f, XS_READ, e->val, e->len);
		else
			reply_err(f, "ENOENT");
		break;
	}
	case XS_WRITE:
		set_val(f, abs, f->req + pl + 1, f->hdr.len - pl - 1);
		written(f, abs);
		reply_ok(f);
		break;
	case XS_MKDIR:
		create_all(f, abs);
		written(f, abs);
		reply_ok(f);
		break;
	case XS_RM:
		if (!find(f, abs)) {
			reply_err(f, "ENOENT");
			break;
		}
		rm_tree(f, abs);
		written(f, abs);
		reply_ok(f);
		break;
	case XS_DIRECTORY:
		do_directory(f, abs);
		break;
	case XS_TRANSACTION_START:
		do_tx_start(f);
		break;
	case XS_TRANSACTION_END:
		do_tx_end(f, p);
		break;
	case XS_WATCH:
	case XS_UNWATCH:
		if (pl + 1 >= f->hdr.len || f->req[f->hdr.len - 1] != '\0') {
			violation(f, "watch without a NUL-terminated token");
			reply_err(f, "EINVAL");
			break;
		}
		do_watch(f, p, p + pl + 1, t == XS_WATCH);
		break;
	default:
		reply_err(f, "EINVAL");
	}
}

static void consume(struct fake_xs *f)
{
	struct xenstore_domain_interface *r = &f->ring;

	while (r->req_prod != r->req_cons) {
		uint32_t avail = r->req_prod - r->req_cons;
		char *dst;
		uint32_t want;

		if (avail > XENSTORE_RING_SIZE) {
			violation(f, "request ring indices corrupt");
			return;
		}
		if (f->got < sizeof(f->hdr)) {
			dst = (char *)&f->hdr + f->got;
			want = sizeof(f->hdr) - f->got;
		} else {
			dst = f->req + (f->got - sizeof(f->hdr));
			want = (uint32_t)sizeof(f->hdr) + f->hdr.len - f->got;
		}
		if (want > avail)
			want = avail;
		for (uint32_t i = 0; i < want; i++)
			dst[i] = r->req[MASK_XENSTORE_IDX(r->req_cons + i)];
		r->req_cons += want;
		f->got += want;
		if (f->got == sizeof(f->hdr) && f->hdr.len > XENSTORE_PAYLOAD_MAX) {
			violation(f, "request longer than XENSTORE_PAYLOAD_MAX");
			f->got = 0;
			return;
		}
		if (f->got == sizeof(f->hdr) + f->hdr.len) {
			f->req[f->hdr.len] = '\0';
			f->got = 0;
			handle(f);
		}
	}
}

static void produce(struct fake_xs *f)
{
	struct xenstore_domain_interface *r = &f->ring;
	size_t space = XENSTORE_RING_SIZE - (r->rsp_prod - r->rsp_cons);
	size_t n = f->out_len < space ? f->out_len : space;

	if (f->out_chunk && n > f->out_chunk)
		n = f->out_chunk;
	for (size_t i = 0; i < n; i++)
		r->rsp[MASK_XENSTORE_IDX(r->rsp_prod + (uint32_t)i)] = f->out[i];
	r->rsp_prod += (uint32_t)n;
	memmove(f->out, f->out + n, f->out_len - n);
	f->out_len -= n;
}

void fake_step(struct fake_xs *f)
{
	f->steps++;
	if (f->stall_steps > 0) {
		f->stall_steps--;
		return;
	}
	if (f->strict_flow) {
		/* Like xenstored: a client that does not read its responses gets no service. */
		produce(f);
		if (f->out_len > 0)
			return;
	}
	consume(f);
	produce(f);
}
