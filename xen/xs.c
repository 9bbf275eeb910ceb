// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xenstore operations on top of the ring I/O in xs_ring.c: paths are
 * checked locally against the protocol limits (an oversized request makes
 * xenstored drop the connection), replies are parsed strictly, and errors
 * come back as negative errnos mapped from the server's errno names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/numparse.h"
#include "sluice/xenstore.h"

int xs_init(struct xs_client *c, volatile struct xenstore_domain_interface *intf,
	    const struct xs_ops *ops, void *ctx)
{
	if (!c || !intf || !ops || !ops->notify || !ops->wait || !ops->now_ns)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->intf = intf;
	c->ops = ops;
	c->ctx = ctx;
	c->timeout_ns = XS_DEFAULT_TIMEOUT_NS;
	/* Indices as found (not necessarily 0), but they must describe at most one ring's worth. */
	if (intf->req_prod - intf->req_cons > XENSTORE_RING_SIZE ||
	    intf->rsp_prod - intf->rsp_cons > XENSTORE_RING_SIZE)
		return -EIO;
	return 0;
}

int xs_errno_from_string(const char *s, size_t len)
{
	if (!s)
		return -EIO;
	while (len > 0 && s[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
		const char *name = xsd_errors[i].errstring;

		if (strlen(name) == len && memcmp(name, s, len) == 0)
			return -xsd_errors[i].errnum;
	}
	return -EIO;
}

int xs_parse_u64(const char *s, size_t len, uint64_t *v)
{
	/* Canonical only: "007", "+7", " 7" or "7\n" are not what a writer meant by 7. */
	return num_parse_dec(s, len, NUM_CANONICAL, v);
}

/* Returns the path length or a negative errno. */
static long check_path(const char *path)
{
	size_t len, max;

	if (!path || !*path)
		return -EINVAL;
	max = path[0] == '/' ? XENSTORE_ABS_PATH_MAX : XENSTORE_REL_PATH_MAX;
	len = strnlen(path, max + 1);
	if (len > max)
		return -ENAMETOOLONG;
	return (long)len;
}

/* A request whose payload is just "path\0". */
static int path_op(struct xs_client *c, uint32_t type, uint32_t tx, const char *path,
		   const char **rep, uint32_t *rlen)
{
	long plen = check_path(path);
	struct xs_seg seg;

	if (plen < 0)
		return (int)plen;
	seg.p = path;
	seg.len = (size_t)plen + 1;
	return xs_talk(c, type, tx, &seg, 1, rep, rlen);
}

int xs_read(struct xs_client *c, uint32_t tx, const char *path, char *buf, size_t buflen,
	    size_t *len)
{
	const char *rep;
	uint32_t rlen;
	int r;

	if (!buf && buflen)
		return -EINVAL;
	r = path_op(c, XS_READ, tx, path, &rep, &rlen);
	if (r < 0)
		return r;
	if (len)
		*len = rlen;
	if (rlen >= buflen)
		return -E2BIG; /* never truncate silently */
	memcpy(buf, rep, rlen);
	buf[rlen] = '\0';
	return 0;
}

int xs_preq_u64(const struct xs_preq *r, uint64_t *v)
{
	if (r->rc == -E2BIG)
		return -ERANGE; /* longer than any u64 */
	if (r->rc < 0)
		return r->rc;
	if (!r->buf)
		return -EINVAL;
	return xs_parse_u64(r->buf, r->rlen, v);
}

int xs_read_u64(struct xs_client *c, uint32_t tx, const char *path, uint64_t *v)
{
	char b[24]; /* 20 digits of UINT64_MAX, NUL, and room to see one digit too many */
	size_t len;
	int r;

	if (!v)
		return -EINVAL;
	r = xs_read(c, tx, path, b, sizeof(b), &len);
	if (r == -E2BIG)
		return -ERANGE;
	if (r < 0)
		return r;
	return xs_parse_u64(b, len, v);
}

int xs_write(struct xs_client *c, uint32_t tx, const char *path, const void *val, size_t len)
{
	long plen = check_path(path);
	struct xs_seg seg[2];
	const char *rep;
	uint32_t rlen;

	if (plen < 0)
		return (int)plen;
	if (!val && len)
		return -EINVAL;
	seg[0].p = path;
	seg[0].len = (size_t)plen + 1;
	seg[1].p = val ? val : "";
	seg[1].len = len;
	return xs_talk(c, XS_WRITE, tx, seg, 2, &rep, &rlen);
}

int xs_printf(struct xs_client *c, uint32_t tx, const char *path, const char *fmt, ...)
{
	char b[XS_PRINTF_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(b))
		return -E2BIG; /* never write a truncated value */
	return xs_write(c, tx, path, b, (size_t)n);
}

int xs_mkdir(struct xs_client *c, uint32_t tx, const char *path)
{
	const char *rep;
	uint32_t rlen;

	return path_op(c, XS_MKDIR, tx, path, &rep, &rlen);
}

int xs_rm(struct xs_client *c, uint32_t tx, const char *path)
{
	const char *rep;
	uint32_t rlen;

	return path_op(c, XS_RM, tx, path, &rep, &rlen);
}

/*
 * Count the names of a directory reply: every name non-empty and
 * NUL-terminated, as xenstored sends them; anything else is garbage.
 */
static int dir_names(struct xs_client *c, const char *rep, size_t rlen, unsigned int *count)
{
	size_t start = 0;

	*count = 0;
	for (size_t i = 0; i < rlen; i++) {
		if (rep[i] != '\0')
			continue;
		if (i == start) {
			c->stats.bad_msgs++;
			return -EIO;
		}
		(*count)++;
		start = i + 1;
	}
	if (start != rlen) {
		c->stats.bad_msgs++;
		return -EIO;
	}
	return 0;
}

int xs_directory(struct xs_client *c, uint32_t tx, const char *path, char *buf, size_t buflen,
		 unsigned int *count)
{
	unsigned int n = 0;
	const char *rep;
	uint32_t rlen;
	int r;

	if (!buf || !count)
		return -EINVAL;
	r = path_op(c, XS_DIRECTORY, tx, path, &rep, &rlen);
	if (r < 0)
		return r;
	r = dir_names(c, rep, rlen, &n);
	if (r < 0)
		return r;
	if ((size_t)rlen + 1 > buflen)
		return -E2BIG;
	memcpy(buf, rep, rlen);
	buf[rlen] = '\0';
	*count = n;
	return 0;
}

int xs_transaction_start(struct xs_client *c, uint32_t *tx)
{
	static const struct xs_seg empty = {"", 1};
	const char *rep;
	uint32_t rlen;
	uint64_t id;
	int r;

	if (!tx)
		return -EINVAL;
	r = xs_talk(c, XS_TRANSACTION_START, 0, &empty, 1, &rep, &rlen);
	if (r < 0)
		return r;
	if (rlen > 0 && rep[rlen - 1] == '\0')
		rlen--;
	/* 0 means "no transaction": a server handing it out would silently un-transact us. */
	if (xs_parse_u64(rep, rlen, &id) < 0 || id == 0 || id > UINT32_MAX) {
		c->stats.bad_msgs++;
		return -EIO;
	}
	*tx = (uint32_t)id;
	return 0;
}

int xs_transaction_end(struct xs_client *c, uint32_t tx, bool commit)
{
	struct xs_seg seg = {commit ? "T" : "F", 2};
	const char *rep;
	uint32_t rlen;

	if (tx == 0)
		return -EINVAL;
	return xs_talk(c, XS_TRANSACTION_END, tx, &seg, 1, &rep, &rlen);
}

static struct xs_watch *find_token(struct xs_client *c, const char *tok)
{
	for (struct xs_watch *w = c->watches; w; w = w->next)
		if (strcmp(w->tok, tok) == 0)
			return w;
	return NULL;
}

static void unlink_watch(struct xs_client *c, struct xs_watch *w)
{
	for (struct xs_watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->next = NULL;
	w->registered = false;
	xs_purge_events(c, w);
}

/* Fill w->tok: the caller's token, or a generated one not in use. */
static int set_token(struct xs_client *c, struct xs_watch *w)
{
	size_t len;

	if (w->token) {
		len = strnlen(w->token, XS_TOKEN_MAX);
		if (len == 0)
			return -EINVAL;
		if (len == XS_TOKEN_MAX)
			return -ENAMETOOLONG;
		memcpy(w->tok, w->token, len + 1);
		return find_token(c, w->tok) ? -EEXIST : 0;
	}
	/* Bounded: each try uses a new number and only registered tokens can collide. */
	for (unsigned int i = 0; i < 64; i++) {
		snprintf(w->tok, sizeof(w->tok), "sluice/%" PRIu32, ++c->next_token);
		if (!find_token(c, w->tok))
			return 0;
	}
	return -EEXIST;
}

/* A batch of one (xs_pipeline() does the checks, the linking and the unlinking on failure). */
int xs_watch(struct xs_client *c, struct xs_watch *w)
{
	struct xs_preq r = {.type = XS_WATCH, .w = w};
	int rc = xs_pipeline(c, &r, 1);

	return rc < 0 ? rc : r.rc;
}

int xs_unwatch(struct xs_client *c, struct xs_watch *w)
{
	struct xs_seg seg[2];
	const char *rep;
	uint32_t rlen;

	if (!w || !w->registered)
		return -EINVAL;
	/* Forget it first: events still in flight for its token are then dropped as unknown. */
	unlink_watch(c, w);
	seg[0].p = w->path;
	seg[0].len = strlen(w->path) + 1;
	seg[1].p = w->tok;
	seg[1].len = strlen(w->tok) + 1;
	return xs_talk(c, XS_UNWATCH, 0, seg, 2, &rep, &rlen);
}

/* A watch request of a batch: registered (linked) first, as xs_watch() does. */
static int pipe_watch(struct xs_client *c, struct xs_preq *r)
{
	struct xs_watch *w = r->w;
	long plen;
	int rc;

	if (!w || !w->fn)
		return -EINVAL;
	plen = check_path(w->path);
	if (plen < 0)
		return (int)plen;
	if (w->registered)
		return -EBUSY;
	rc = set_token(c, w);
	if (rc < 0)
		return rc;
	/* Linked before the request: the immediate firing may arrive before the reply. */
	w->missed = false;
	w->next = c->watches;
	c->watches = w;
	w->registered = true;
	r->seg[0] = (struct xs_seg){w->path, (size_t)plen + 1};
	r->seg[1] = (struct xs_seg){w->tok, strlen(w->tok) + 1};
	r->nseg = 2;
	return 0;
}

/* Check one request of a batch and lay out its payload; -errno: not sent. */
static int pipe_build(struct xs_client *c, struct xs_preq *r)
{
	long plen;

	if (r->type == XS_WATCH)
		return r->tx ? -EINVAL : pipe_watch(c, r);
	if ((r->type == XS_READ && !r->buf && r->buflen) || (r->type == XS_DIRECTORY && !r->buf))
		return -EINVAL;
	plen = check_path(r->path);
	if (plen < 0)
		return (int)plen;
	r->seg[0] = (struct xs_seg){r->path, (size_t)plen + 1};
	r->nseg = 1;
	switch (r->type) {
	case XS_WRITE:
		if (!r->val && r->len)
			return -EINVAL;
		/* Never send an oversized request: xenstored drops the connection. */
		if (r->len > XENSTORE_PAYLOAD_MAX - r->seg[0].len)
			return -E2BIG;
		r->seg[1] = (struct xs_seg){r->val, r->len};
		r->nseg = 2;
		return 0;
	case XS_READ:
	case XS_RM:
	case XS_MKDIR:
	case XS_DIRECTORY:
		return 0;
	default:
		return -EINVAL;
	}
}

int xs_pipeline(struct xs_client *c, struct xs_preq *r, unsigned int n)
{
	int rc;

	for (unsigned int i = 0; i < n; i++) {
		r[i].sent = false;
		r[i].nseg = 0;
		r[i].rlen = 0;
		r[i].count = 0;
		r[i].rc = pipe_build(c, &r[i]);
		r[i].done = r[i].rc < 0;
	}
	rc = xs_talk_many(c, r, n);
	for (unsigned int i = 0; i < n; i++) {
		/*
		 * Registered by pipe_watch() (it laid out a payload), then refused,
		 * lost, or never sent because the transport failed first: forget it.
		 */
		if (r[i].type == XS_WATCH && r[i].nseg && r[i].rc < 0)
			unlink_watch(c, r[i].w);
		if (r[i].type == XS_DIRECTORY && r[i].rc == 0)
			r[i].rc = dir_names(c, r[i].buf, r[i].rlen, &r[i].count);
	}
	return rc;
}

/* "<base>/<suffix>" into @out, which has room for XS_CHUNK_PATH_MAX + 16 bytes. */
#define CHUNK_SUB_MAX (XS_CHUNK_PATH_MAX + 16)

static int chunk_path(char *out, const char *base, const char *suffix, unsigned int i)
{
	int n;

	if (suffix)
		n = snprintf(out, CHUNK_SUB_MAX, "%s/%s", base, suffix);
	else
		n = snprintf(out, CHUNK_SUB_MAX, "%s/%u", base, i);
	return n < 0 || n >= CHUNK_SUB_MAX ? -ENAMETOOLONG : 0;
}

static int check_chunk_base(const char *path)
{
	long plen = check_path(path);

	if (plen < 0)
		return (int)plen;
	return plen > XS_CHUNK_PATH_MAX ? -ENAMETOOLONG : 0;
}

static int write_chunks(struct xs_client *c, uint32_t tx, const char *path, const char *val,
			size_t len, unsigned int count)
{
	char sub[CHUNK_SUB_MAX];
	int r;

	/* Drop the old value first: a shorter rewrite must not leave stale chunks behind. */
	r = xs_rm(c, tx, path);
	if (r < 0 && r != -ENOENT)
		return r;
	for (unsigned int i = 0; i < count; i++) {
		size_t off = (size_t)i * XS_CHUNK_DATA;
		size_t n = len - off < XS_CHUNK_DATA ? len - off : XS_CHUNK_DATA;

		r = chunk_path(sub, path, NULL, i);
		if (r == 0)
			r = xs_write(c, tx, sub, val + off, n);
		if (r < 0)
			return r;
	}
	r = chunk_path(sub, path, "count", 0);
	if (r == 0)
		r = xs_printf(c, tx, sub, "%u", count);
	return r;
}

int xs_write_chunked_tx(struct xs_client *c, uint32_t tx, const char *path, const void *val,
			size_t len)
{
	int r = check_chunk_base(path);

	if (r < 0)
		return r;
	if ((!val && len) || !tx)
		return -EINVAL;
	if (len > (size_t)XS_CHUNK_DATA * XS_CHUNK_COUNT_MAX)
		return -E2BIG;
	return write_chunks(c, tx, path, val, len,
			    (unsigned int)((len + XS_CHUNK_DATA - 1) / XS_CHUNK_DATA));
}

int xs_write_chunked(struct xs_client *c, const char *path, const void *val, size_t len)
{
	unsigned int count;
	uint32_t tx;
	int r;

	r = check_chunk_base(path);
	if (r < 0)
		return r;
	if (!val && len)
		return -EINVAL;
	if (len > (size_t)XS_CHUNK_DATA * XS_CHUNK_COUNT_MAX)
		return -E2BIG;
	count = (unsigned int)((len + XS_CHUNK_DATA - 1) / XS_CHUNK_DATA);
	for (int attempt = 0; attempt < XS_TX_RETRIES; attempt++) {
		r = xs_transaction_start(c, &tx);
		if (r < 0)
			return r;
		r = write_chunks(c, tx, path, val, len, count);
		if (r < 0) {
			xs_transaction_end(c, tx, false); /* best effort; r is what matters */
			if (r == -EAGAIN)
				continue;
			return r;
		}
		r = xs_transaction_end(c, tx, true);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

static int read_chunks(struct xs_client *c, uint32_t tx, const char *path, char *buf, size_t buflen,
		       size_t *len)
{
	char sub[CHUNK_SUB_MAX];
	uint64_t count;
	size_t off = 0, n;
	int r;

	r = chunk_path(sub, path, "count", 0);
	if (r == 0)
		r = xs_read_u64(c, tx, sub, &count);
	if (r == -ERANGE)
		return -EINVAL;
	if (r < 0)
		return r;
	/* The count is data, not a loop bound we trust: cap it. */
	if (count > XS_CHUNK_COUNT_MAX)
		return -EINVAL;
	if (buflen == 0)
		return -E2BIG;
	buf[0] = '\0';
	for (unsigned int i = 0; i < count; i++) {
		r = chunk_path(sub, path, NULL, i);
		/* xs_read bounds each chunk by what is left, and NUL-terminates. */
		if (r == 0)
			r = xs_read(c, tx, sub, buf + off, buflen - off, &n);
		if (r < 0)
			return r;
		off += n;
	}
	*len = off;
	return 0;
}

int xs_read_chunked(struct xs_client *c, uint32_t tx, const char *path, char *buf, size_t buflen,
		    size_t *len)
{
	size_t dummy;
	uint32_t own;
	int r;

	r = check_chunk_base(path);
	if (r < 0)
		return r;
	if (!buf)
		return -EINVAL;
	if (!len)
		len = &dummy;
	if (tx)
		return read_chunks(c, tx, path, buf, buflen, len);
	for (int attempt = 0; attempt < XS_TX_RETRIES; attempt++) {
		r = xs_transaction_start(c, &own);
		if (r < 0)
			return r;
		r = read_chunks(c, own, path, buf, buflen, len);
		if (r < 0) {
			xs_transaction_end(c, own, false);
			if (r == -EAGAIN)
				continue;
			return r;
		}
		/* Commit, not abort: only a commit tells us whether a writer raced us. */
		r = xs_transaction_end(c, own, true);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}
