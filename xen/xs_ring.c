// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xenstore ring I/O: request framing, reply matching, watch event queue.
 *
 * The page (docs/xen.md §8) holds two 1 KiB byte rings with free-running u32
 * indices, masked with MASK_XENSTORE_IDX. The indices need not start at 0
 * and wrap at 2^32, so only differences (prod - cons, mod 2^32) are used.
 * xenstored writes rsp_prod and req_cons: both are re-read on every step
 * and their distance to our index is bounded by the ring size before any
 * byte is copied, so a corrupt index can never move a copy out of bounds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sluice/barrier.h"
#include "sluice/xenstore.h"

#define XS_HDR_LEN ((uint32_t)sizeof(struct xsd_sockmsg))
/* Bytes consumed per rx_process call, so a flooding server cannot pin us. */
#define XS_RX_BUDGET (4 * (XENSTORE_PAYLOAD_MAX + XS_HDR_LEN))

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static int xs_break(struct xs_client *c)
{
	c->broken = true;
	return -EIO;
}

bool xs_rx_pending(const struct xs_client *c)
{
	return !c->broken && c->intf->rsp_prod != c->intf->rsp_cons;
}

/* Copy @n (<= ring size) bytes from the ring at free-running index @idx. */
static void ring_copy_out(char *dst, const volatile char *ring, uint32_t idx, uint32_t n)
{
	uint32_t off = MASK_XENSTORE_IDX(idx);
	uint32_t first = min_u32(n, XENSTORE_RING_SIZE - off);

	/* A single copy into private memory: everything is parsed from there (no double fetch). */
	memcpy(dst, (const char *)ring + off, first);
	memcpy(dst + first, (const char *)ring, n - first);
}

/*
 * Queue a watch event. The payload is "path\0token\0" and comes from the
 * server: the token is looked up among our registered watches (never used
 * as a pointer), the path is copied bounded. An event that cannot be queued
 * (queue full, path too long for a slot) sets the watch's missed flag, so
 * it still fires once: handlers re-read state, so nothing is lost.
 */
static int queue_event(struct xs_client *c, const char *p, uint32_t len)
{
	size_t plen = strnlen(p, len);
	const char *tok;
	struct xs_watch *w;
	struct xs_event *e;

	if (plen + 1 >= len) { /* no token after the path */
		c->stats.bad_msgs++;
		return 0;
	}
	tok = p + plen + 1; /* NUL-terminated: rx_buf[len] is NUL */
	for (w = c->watches; w; w = w->next)
		if (strcmp(w->tok, tok) == 0)
			break;
	if (!w) {
		c->stats.unknown_events++;
		return 0;
	}
	if (c->evq_count == XS_EVQ_LEN || plen >= XS_EVENT_PATH_MAX) {
		c->stats.evq_overflows++;
		w->missed = true;
		return 1;
	}
	e = &c->evq[(c->evq_head + c->evq_count) % XS_EVQ_LEN];
	e->w = w;
	e->seq = c->evq_seq++;
	memcpy(e->path, p, plen + 1);
	c->evq_count++;
	return 1;
}

/*
 * The reply in rx_hdr/rx_buf answers a request of the pipelined batch in
 * flight: store its result there. Only requests already sent can match, so
 * a forged or late reply never completes one that xenstored has not seen.
 */
static bool pipe_reply(struct xs_client *c, uint32_t len)
{
	for (unsigned int i = 0; i < c->p_n; i++) {
		struct xs_preq *r = &c->p_reqs[i];

		if (!r->sent || r->done || r->id != c->rx_hdr.req_id)
			continue;
		r->done = true;
		c->p_left--;
		r->rlen = len;
		if (c->rx_hdr.type == XS_ERROR) {
			r->rc = xs_errno_from_string(c->rx_buf, len);
		} else if (c->rx_hdr.type != r->type) {
			c->stats.bad_msgs++;
			r->rc = -EIO;
		} else if (r->buf && len >= r->buflen) {
			r->rc = -E2BIG; /* never truncate silently */
		} else {
			if (r->buf)
				memcpy(r->buf, c->rx_buf, len + 1);
			r->rc = 0;
		}
		return true;
	}
	return false;
}

/* A whole message is in rx_hdr/rx_buf. Returns the number of events queued. */
static int rx_message(struct xs_client *c)
{
	uint32_t len = c->rx_hdr.len;

	c->rx_got = 0;
	c->rx_buf[len] = '\0';
	if (c->rx_hdr.type == XS_WATCH_EVENT)
		return queue_event(c, c->rx_buf, len);
	if (c->p_left > 0 && pipe_reply(c, len))
		return 0;
	if (c->a_busy && !c->a_ready && c->rx_hdr.req_id == c->a_id) {
		c->a_hdr = c->rx_hdr;
		memcpy(c->a_reply, c->rx_buf, len + 1);
		c->a_ready = true;
		return 0;
	}
	if (c->waiting && !c->reply_ready && c->rx_hdr.req_id == c->wait_id) {
		/* Matched by id, not by order. Copied so that what follows it can be read on. */
		c->reply_hdr = c->rx_hdr;
		memcpy(c->reply, c->rx_buf, len + 1);
		c->reply_ready = true;
		return 0;
	}
	/* E.g. the late reply of a request that timed out, or a duplicate. */
	c->stats.stale_replies++;
	return 0;
}

/*
 * Consume bytes from the response ring into the message being assembled
 * and act on each complete one, until the ring is empty or the budget is
 * spent. Returns the number of events queued, or -EIO.
 */
static int rx_process(struct xs_client *c)
{
	volatile struct xenstore_domain_interface *in = c->intf;
	uint32_t budget = XS_RX_BUDGET;
	bool moved = false;
	int queued = 0;

	if (c->broken)
		return -EIO;
	while (budget > 0 && !c->broken) {
		uint32_t prod, cons, avail, want, n;
		char *dst;

		prod = in->rsp_prod;
		rmb(); /* read prod before the bytes it publishes */
		cons = in->rsp_cons;
		avail = prod - cons;
		if (avail > XENSTORE_RING_SIZE) {
			xs_break(c);
			break;
		}
		if (avail == 0)
			break;
		if (c->rx_got < XS_HDR_LEN) {
			dst = (char *)&c->rx_hdr + c->rx_got;
			want = XS_HDR_LEN - c->rx_got;
		} else {
			dst = c->rx_buf + (c->rx_got - XS_HDR_LEN);
			want = XS_HDR_LEN + c->rx_hdr.len - c->rx_got;
		}
		n = min_u32(min_u32(want, avail), budget);
		ring_copy_out(dst, in->rsp, cons, n);
		mb(); /* finish reading the bytes before handing the space back */
		in->rsp_cons = cons + n;
		moved = true;
		budget -= n;
		c->rx_got += n;
		/*
		 * A length over the protocol maximum: we cannot skip the message
		 * without trusting the length, so the stream is lost. Checked
		 * before any payload byte is copied, so rx_buf never overflows.
		 */
		if (c->rx_got == XS_HDR_LEN && c->rx_hdr.len > XENSTORE_PAYLOAD_MAX) {
			xs_break(c);
			break;
		}
		if (c->rx_got == XS_HDR_LEN + c->rx_hdr.len)
			queued += rx_message(c);
	}
	if (moved)
		c->ops->notify(c->ctx);
	return c->broken ? -EIO : queued;
}

int xs_poll(struct xs_client *c)
{
	return rx_process(c);
}

/*
 * One step of a bounded wait: -ETIMEDOUT once past @deadline, else sleep
 * (unless unread bytes are waiting) and let the caller re-check.
 */
static int wait_step(struct xs_client *c, uint64_t deadline)
{
	if (c->ops->now_ns(c->ctx) >= deadline)
		return -ETIMEDOUT;
	if (!xs_rx_pending(c))
		c->ops->wait(c->ctx, deadline);
	return 0;
}

/*
 * Append @n bytes to the request ring, waiting for space until @deadline.
 * While waiting we keep draining the response ring: xenstored may be
 * blocked on a full response ring before it reads more requests.
 */
static int ring_put(struct xs_client *c, const char *p, size_t n, uint64_t deadline, bool *started)
{
	volatile struct xenstore_domain_interface *in = c->intf;

	while (n > 0) {
		uint32_t cons, prod, used, off, chunk;
		int r;

		cons = in->req_cons;
		prod = in->req_prod;
		mb(); /* see the consumer's index before overwriting the space it freed */
		used = prod - cons;
		if (used > XENSTORE_RING_SIZE)
			return xs_break(c);
		if (used == XENSTORE_RING_SIZE) {
			r = rx_process(c);
			if (r >= 0)
				r = wait_step(c, deadline);
			if (r < 0)
				return r;
			continue;
		}
		off = MASK_XENSTORE_IDX(prod);
		chunk = min_u32(XENSTORE_RING_SIZE - used, XENSTORE_RING_SIZE - off);
		if (chunk > n)
			chunk = (uint32_t)n;
		memcpy((char *)in->req + off, p, chunk);
		wmb(); /* the bytes before the index that publishes them */
		in->req_prod = prod + chunk;
		c->ops->notify(c->ctx);
		*started = true;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

static int send_request(struct xs_client *c, const struct xsd_sockmsg *h, const struct xs_seg *seg,
			unsigned int nseg, uint64_t deadline)
{
	bool started = false;
	int r;

	r = ring_put(c, (const char *)h, sizeof(*h), deadline, &started);
	for (unsigned int i = 0; r == 0 && i < nseg; i++)
		r = ring_put(c, seg[i].p, seg[i].len, deadline, &started);
	/* Half a message in the ring: xenstored would parse the next request as its tail. */
	if (r < 0 && started)
		xs_break(c);
	return r;
}

static int wait_reply(struct xs_client *c, uint64_t deadline)
{
	for (;;) {
		int r = rx_process(c);

		if (r < 0)
			return r;
		if (c->reply_ready)
			return 0;
		r = wait_step(c, deadline);
		if (r < 0)
			return r;
	}
}

/*
 * The rest of a partly sent asynchronous request goes first: bytes of two
 * messages must never interleave in the ring.
 */
static int async_finish(struct xs_client *c, uint64_t deadline)
{
	bool started = true;
	int r;

	if (!c->a_busy || c->a_sent == c->a_len)
		return 0;
	r = ring_put(c, c->a_out + c->a_sent, c->a_len - c->a_sent, deadline, &started);
	if (r < 0)
		return xs_break(c); /* half a message in the ring: the stream is lost */
	c->a_sent = c->a_len;
	return 0;
}

/* Put as much of the asynchronous request as fits, without waiting. */
void xs_async_pump(struct xs_client *c)
{
	volatile struct xenstore_domain_interface *in = c->intf;

	while (!c->broken && c->a_busy && c->a_sent < c->a_len) {
		uint32_t cons = in->req_cons, prod = in->req_prod, used, off, chunk;

		mb(); /* see the consumer's index before overwriting the space it freed */
		used = prod - cons;
		if (used > XENSTORE_RING_SIZE) {
			xs_break(c);
			return;
		}
		if (used == XENSTORE_RING_SIZE)
			return; /* xenstored notifies us when it has read */
		off = MASK_XENSTORE_IDX(prod);
		chunk = min_u32(XENSTORE_RING_SIZE - used, XENSTORE_RING_SIZE - off);
		chunk = min_u32(chunk, c->a_len - c->a_sent);
		memcpy((char *)in->req + off, c->a_out + c->a_sent, chunk);
		wmb(); /* the bytes before the index that publishes them */
		in->req_prod = prod + chunk;
		c->a_sent += chunk;
		c->ops->notify(c->ctx);
	}
}

static uint32_t next_req_id(struct xs_client *c);

int xs_async_send(struct xs_client *c, uint32_t type, uint32_t tx, const struct xs_seg *seg,
		  unsigned int nseg)
{
	struct xsd_sockmsg h = {.type = type, .tx_id = tx};
	size_t len = 0;

	if (c->broken)
		return -EIO;
	if (c->a_busy)
		return -EBUSY;
	for (unsigned int i = 0; i < nseg; i++) {
		/* Never send an oversized request: xenstored kills the connection. */
		if (seg[i].len > XENSTORE_PAYLOAD_MAX - len)
			return -E2BIG;
		memcpy(c->a_out + sizeof(h) + len, seg[i].p, seg[i].len);
		len += seg[i].len;
	}
	h.len = (uint32_t)len;
	h.req_id = next_req_id(c);
	memcpy(c->a_out, &h, sizeof(h));
	c->a_len = (uint32_t)(sizeof(h) + len);
	c->a_sent = 0;
	c->a_id = h.req_id;
	c->a_ready = false;
	c->a_busy = true;
	xs_async_pump(c);
	return c->broken ? -EIO : 0;
}

int xs_async_take(struct xs_client *c, uint32_t *type, const char **reply, uint32_t *len)
{
	if (!c->a_busy)
		return -EINVAL;
	xs_async_pump(c);
	if (!c->a_ready && rx_process(c) < 0)
		return -EIO;
	if (c->broken)
		return -EIO;
	if (!c->a_ready)
		return 0;
	c->a_busy = false;
	*type = c->a_hdr.type;
	*reply = c->a_reply;
	*len = c->a_hdr.len;
	return 1;
}

void xs_async_cancel(struct xs_client *c)
{
	/* A request still partly unsent would corrupt the stream: finish it first. */
	if (c->a_busy && c->a_sent < c->a_len) {
		uint64_t now = c->ops->now_ns(c->ctx);

		async_finish(c, now + c->timeout_ns);
	}
	c->a_busy = false;
	c->a_ready = false;
}

static uint32_t next_req_id(struct xs_client *c)
{
	/* Skip 0, the id of watch events, so a reply is never confused with one. */
	if (++c->next_req_id == 0)
		c->next_req_id = 1;
	return c->next_req_id;
}

int xs_talk(struct xs_client *c, uint32_t type, uint32_t tx, const struct xs_seg *seg,
	    unsigned int nseg, const char **reply, uint32_t *rlen)
{
	struct xsd_sockmsg h = {.type = type, .tx_id = tx};
	uint64_t now, deadline;
	size_t len = 0;
	int r;

	if (c->broken)
		return -EIO;
	if (c->waiting)
		return -EBUSY; /* called from inside ops->wait: see struct xs_ops */
	for (unsigned int i = 0; i < nseg; i++) {
		/* Never send an oversized request: xenstored kills the connection. */
		if (seg[i].len > XENSTORE_PAYLOAD_MAX - len)
			return -E2BIG;
		len += seg[i].len;
	}
	h.len = (uint32_t)len;
	c->reply_ready = false;
	h.req_id = next_req_id(c);
	now = c->ops->now_ns(c->ctx);
	deadline = now > UINT64_MAX - c->timeout_ns ? UINT64_MAX : now + c->timeout_ns;
	c->waiting = true;
	c->wait_id = h.req_id;
	r = async_finish(c, deadline);
	if (r == 0)
		r = send_request(c, &h, seg, nseg, deadline);
	if (r == 0)
		r = wait_reply(c, deadline);
	c->waiting = false;
	if (r < 0)
		return r;
	if (c->reply_hdr.type == XS_ERROR)
		return xs_errno_from_string(c->reply, c->reply_hdr.len);
	if (c->reply_hdr.type != type) {
		c->stats.bad_msgs++;
		return -EIO;
	}
	*reply = c->reply;
	*rlen = c->reply_hdr.len;
	return 0;
}

/* Each request of the batch gets an id and goes into the ring; then the replies are collected. */
static int pipe_send(struct xs_client *c, struct xs_preq *r, unsigned int n, uint64_t deadline)
{
	int rc = async_finish(c, deadline);

	for (unsigned int i = 0; rc == 0 && i < n; i++) {
		struct xsd_sockmsg h = {.type = r[i].type, .tx_id = r[i].tx};

		if (r[i].done)
			continue; /* refused before sending */
		for (unsigned int k = 0; k < r[i].nseg; k++)
			h.len += (uint32_t)r[i].seg[k].len; /* bounded by the caller */
		h.req_id = next_req_id(c);
		r[i].id = h.req_id;
		/* Counted before sending: the reply may arrive while we still fill the ring. */
		r[i].sent = true;
		c->p_left++;
		rc = send_request(c, &h, r[i].seg, r[i].nseg, deadline);
	}
	return rc;
}

int xs_talk_many(struct xs_client *c, struct xs_preq *r, unsigned int n)
{
	uint64_t now, deadline;
	int rc = c->broken ? -EIO : c->waiting ? -EBUSY : 0;

	if (rc == 0) {
		now = c->ops->now_ns(c->ctx);
		deadline = now > UINT64_MAX - c->timeout_ns ? UINT64_MAX : now + c->timeout_ns;
		c->waiting = true;
		c->wait_id = 0; /* no single reply is awaited: 0 is never a request's id */
		c->reply_ready = false;
		c->p_reqs = r;
		c->p_n = n;
		c->p_left = 0;
		rc = pipe_send(c, r, n, deadline);
		while (rc == 0 && c->p_left > 0) {
			rc = rx_process(c);
			if (rc >= 0)
				rc = c->p_left > 0 ? wait_step(c, deadline) : 0;
		}
		c->p_reqs = NULL;
		c->p_n = c->p_left = 0;
		c->waiting = false;
	}
	/* Unanswered requests fail with the transport's error; late replies are then stale. */
	for (unsigned int i = 0; i < n; i++) {
		if (!r[i].done) {
			r[i].done = true;
			r[i].rc = rc;
		}
	}
	return rc;
}

void xs_purge_events(struct xs_client *c, struct xs_watch *w)
{
	unsigned int i, kept = 0;

	for (i = 0; i < c->evq_count; i++) {
		struct xs_event *e = &c->evq[(c->evq_head + i) % XS_EVQ_LEN];

		if (e->w == w)
			continue;
		if (kept != i)
			c->evq[(c->evq_head + kept) % XS_EVQ_LEN] = *e;
		kept++;
	}
	c->evq_count = kept;
	w->missed = false;
}

/* Fire the watches whose events were folded (missed flag), each once. */
static void dispatch_missed(struct xs_client *c)
{
	unsigned int n = 0;
	struct xs_watch *w;

	for (w = c->watches; w; w = w->next)
		n += w->missed;
	/* Restart the walk after each call: the handler may unwatch anything. */
	while (n-- > 0) {
		for (w = c->watches; w && !w->missed; w = w->next)
			;
		if (!w)
			break;
		w->missed = false;
		w->fn(w, w->path);
	}
}

void xs_dispatch_watches(struct xs_client *c)
{
	uint32_t end = c->evq_seq;
	struct xs_event ev;

	if (c->waiting)
		return;
	/* Only events queued before entry: a handler that rewrites what it watches cannot loop us.
	 */
	while (c->evq_count > 0 && (int32_t)(c->evq[c->evq_head].seq - end) < 0) {
		/* Copy out first: the handler may unwatch, which compacts the queue. */
		ev = c->evq[c->evq_head];
		c->evq_head = (c->evq_head + 1) % XS_EVQ_LEN;
		c->evq_count--;
		ev.w->fn(ev.w, ev.path);
	}
	dispatch_missed(c);
}
