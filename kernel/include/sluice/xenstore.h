/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xenstore client over the shared ring page (docs/xen.md §8).
 *
 * Pure logic: the hypervisor parts (event channel kick, blocking, clock) sit
 * behind struct xs_ops, so the same code runs in the kernel and in host
 * tests against a fake xenstored. No heap: every table lives in the
 * caller-provided struct xs_client / struct xs_watch.
 *
 * Calls are synchronous, one request outstanding at a time, and every one
 * is bounded by a deadline (c->timeout_ns, default 5 s). Not reentrant: use
 * one client from one context (the event loop). xenstored (dom0) is trusted
 * with the values it stores but not with memory safety: every index and
 * length read from the page is bounded before use, and a violation that
 * desynchronises the byte stream marks the client broken (-EIO forever).
 */
#ifndef SLUICE_XENSTORE_H
#define SLUICE_XENSTORE_H

/* errno.h before xs_wire.h: its xsd_errors[] table only exists when E* are defined. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "sluice/hostkeys.h"

#define XS_DEFAULT_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)
#define XS_EVQ_LEN 32		    /* queued watch events; more fold into a per-watch flag */
#define XS_EVENT_PATH_MAX 256	    /* bytes of a queued event path, with the NUL */
#define XS_TOKEN_MAX 32		    /* bytes of a watch token, with the NUL */
#define XS_PRINTF_MAX 256	    /* bytes of an xs_printf value, with the NUL */
#define XS_TX_RETRIES 8		    /* transaction redos on EAGAIN before giving up */
#define XS_CHUNK_DATA HK_CHUNK_DATA /* value bytes per chunk (the host channel's format) */
#define XS_CHUNK_COUNT_MAX HK_CHUNK_COUNT_MAX /* chunks per chunked value (512 KiB) */
#define XS_CHUNK_PATH_MAX 200 /* bytes of a chunked value's base path, without the NUL */

struct xs_ops {
	/* Kick the xenstore event channel (EVTCHNOP_send). */
	void (*notify)(void *ctx);
	/*
	 * Sleep until an event may have arrived on the xenstore port or the
	 * deadline (monotonic ns) passes. Spurious early returns are fine: the
	 * caller re-checks the ring and the clock. Returns 0, or -ETIMEDOUT
	 * when past the deadline. Must not call back into this client.
	 */
	int (*wait)(void *ctx, uint64_t deadline_ns);
	/* Monotonic ns. Must advance: every loop in the client ends on it. */
	uint64_t (*now_ns)(void *ctx);
};

struct xs_watch;
typedef void (*xs_watch_fn)(struct xs_watch *w, const char *fired_path);

/*
 * Caller-owned and zero-initialised (e.g. a designated initialiser); must
 * stay valid (not moved or freed) while registered.
 * Watches fire once immediately on registration and may fire spuriously or
 * coalesced (fired_path is then the watch's own path): a handler must
 * re-read the state it cares about and act on a change, never on the event.
 */
struct xs_watch {
	const char *path;  /* node (and subtree) to watch */
	const char *token; /* NULL: one is generated; else unique per client */
	xs_watch_fn fn;
	void *arg;	 /* for the caller; the client never touches it */
	bool registered; /* read-only for the caller */
	/* Private to the client. */
	struct xs_watch *next;
	bool missed; /* an event could not be queued: fire once with path */
	char tok[XS_TOKEN_MAX];
};

struct xs_event {
	struct xs_watch *w;
	uint32_t seq; /* arrival number, bounds each dispatch round */
	char path[XS_EVENT_PATH_MAX];
};

struct xs_stats {
	uint32_t bad_msgs;	 /* malformed event, reply of the wrong type, bad tx id */
	uint32_t stale_replies;	 /* reply whose req_id is not the outstanding one: dropped */
	uint32_t unknown_events; /* event for a token not registered (e.g. after unwatch) */
	uint32_t evq_overflows;	 /* events folded into a watch's missed flag */
};

/* One piece of a request's payload (the payload is their concatenation). */
struct xs_seg {
	const void *p;
	size_t len;
};

/*
 * One request of a pipelined batch (xs_pipeline). Requests of one batch go
 * into the ring back to back and their replies are collected together, so
 * a batch costs one round trip to xenstored instead of one per request
 * (~13 ms each on the nested Xen rig: docs/boot.md §7). xenstored
 * answers each connection's requests in order, and replies are matched by
 * req_id anyway. Requests may belong to a transaction already started.
 */
struct xs_preq {
	uint32_t type;	    /* XS_READ, XS_WRITE, XS_RM, XS_MKDIR, XS_DIRECTORY, XS_WATCH */
	uint32_t tx;	    /* 0, or a transaction id (not for XS_WATCH) */
	const char *path;   /* not for XS_WATCH (the watch's own path) */
	const void *val;    /* XS_WRITE: the value */
	size_t len;	    /* XS_WRITE: its length */
	struct xs_watch *w; /* XS_WATCH: registered as xs_watch() does */
	char *buf;	    /* XS_READ, XS_DIRECTORY: the reply, NUL-terminated (may be NULL) */
	size_t buflen;
	/* Results. */
	int rc;		    /* 0 or -errno, as the single-request call would return */
	size_t rlen;	    /* reply bytes (also on -E2BIG) */
	unsigned int count; /* XS_DIRECTORY: names in buf */
	/* Private to the client. */
	struct xs_seg seg[2];
	unsigned int nseg;
	uint32_t id;
	bool sent, done;
};

struct xs_client {
	volatile struct xenstore_domain_interface *intf;
	const struct xs_ops *ops;
	void *ctx;
	uint64_t timeout_ns; /* per request; may be changed after xs_init */
	uint32_t next_req_id;
	uint32_t next_token;
	bool broken; /* stream desynchronised: every call returns -EIO */
	struct xs_stats stats;
	/* Receive side: one message assembled at a time (header, then payload). */
	struct xsd_sockmsg rx_hdr;
	uint32_t rx_got; /* bytes of header + payload received */
	char rx_buf[XENSTORE_PAYLOAD_MAX + 1];
	/* The outstanding request and its reply, copied out of rx_buf on arrival. */
	bool waiting;	  /* a request is outstanding */
	uint32_t wait_id; /* its req_id */
	bool reply_ready;
	struct xsd_sockmsg reply_hdr;
	char reply[XENSTORE_PAYLOAD_MAX + 1];
	/* The one asynchronous request (xs_async_*), beside the synchronous ones. */
	bool a_busy;	 /* sent (perhaps partly) and its reply not yet taken */
	bool a_ready;	 /* its reply arrived */
	uint32_t a_id;	 /* its req_id */
	uint32_t a_len;	 /* bytes of a_out */
	uint32_t a_sent; /* bytes of a_out in the ring */
	struct xsd_sockmsg a_hdr;
	char a_out[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	char a_reply[XENSTORE_PAYLOAD_MAX + 1];
	/* The pipelined batch in flight (xs_pipeline), matched by req_id. */
	struct xs_preq *p_reqs;
	unsigned int p_n, p_left;
	/* Watch events, in arrival order, delivered by xs_dispatch_watches. */
	struct xs_event evq[XS_EVQ_LEN];
	unsigned int evq_head, evq_count;
	uint32_t evq_seq;
	struct xs_watch *watches;
};

/*
 * Bind @c to the ring page. The ring indices are taken as found (they need
 * not start at 0); a page whose indices are already inconsistent is -EIO.
 */
int xs_init(struct xs_client *c, volatile struct xenstore_domain_interface *intf,
	    const struct xs_ops *ops, void *ctx);

/*
 * Paths: absolute <= XENSTORE_ABS_PATH_MAX bytes, relative (to
 * /local/domain/<domid>) <= XENSTORE_REL_PATH_MAX, else -ENAMETOOLONG. A
 * request whose payload would exceed XENSTORE_PAYLOAD_MAX is -E2BIG and is
 * never sent (xenstored drops the connection). @tx is 0 or a transaction
 * id. Server errors come back as their negative errno (-ENOENT, -EACCES,
 * -EAGAIN ...); local failures are -ETIMEDOUT, -EIO (broken), -EINVAL.
 */

/* Read a value into @buf and NUL-terminate it; *@len (optional) gets its
 * length, also on -E2BIG (value + NUL do not fit; nothing is copied). */
int xs_read(struct xs_client *c, uint32_t tx, const char *path, char *buf, size_t buflen,
	    size_t *len);
/* Strict canonical decimal (no sign, blanks or leading zeros): -EINVAL;
 * too big (or too long to be a u64): -ERANGE. */
int xs_read_u64(struct xs_client *c, uint32_t tx, const char *path, uint64_t *v);
int xs_write(struct xs_client *c, uint32_t tx, const char *path, const void *val, size_t len);
/* Formatted value of at most XS_PRINTF_MAX - 1 bytes, else -E2BIG. */
int xs_printf(struct xs_client *c, uint32_t tx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int xs_mkdir(struct xs_client *c, uint32_t tx, const char *path);
int xs_rm(struct xs_client *c, uint32_t tx, const char *path);
/*
 * Child names of @path, each NUL-terminated, followed by one more NUL (so
 * `for (p = buf; *p; p += strlen(p) + 1)` walks them); *@count gets their
 * number. -E2BIG if they do not fit in @buflen.
 */
int xs_directory(struct xs_client *c, uint32_t tx, const char *path, char *buf, size_t buflen,
		 unsigned int *count);

int xs_transaction_start(struct xs_client *c, uint32_t *tx);
/* -EAGAIN on commit: the caller must redo the whole transaction. */
int xs_transaction_end(struct xs_client *c, uint32_t tx, bool commit);

/*
 * Register @w (-EBUSY if it already is, -EEXIST if its token is in use).
 * Its events are queued until xs_dispatch_watches, starting with the
 * immediate one. xs_unwatch always forgets @w locally (and drops its queued
 * events) so its memory may be reused on return, whatever the server says.
 */
int xs_watch(struct xs_client *c, struct xs_watch *w);
int xs_unwatch(struct xs_client *c, struct xs_watch *w);

/*
 * Consume whatever is in the ring without blocking (for the event-channel
 * handler's deferred work): watch events are queued, stale replies dropped.
 * Returns the number of events queued, or -EIO when broken. Work is
 * bounded per call: if xs_rx_pending() is still true, call again later.
 */
int xs_poll(struct xs_client *c);
bool xs_rx_pending(const struct xs_client *c);
/*
 * Run the handlers of the queued events (from the event loop, never from
 * interrupt context). Handlers may call any xs_* function. Events queued
 * while dispatching wait for the next call. Does nothing when called from
 * inside a request (i.e. from ops->wait).
 */
void xs_dispatch_watches(struct xs_client *c);

/*
 * Values bigger than one payload: <path>/0 .. <path>/N-1 hold up to
 * XS_CHUNK_DATA bytes each, <path>/count holds N. The write replaces the
 * whole <path> subtree in one transaction (redone on EAGAIN, at most
 * XS_TX_RETRIES times). The read concatenates the chunks into @buf
 * (NUL-terminated, -E2BIG when the total does not fit); with @tx 0 it uses
 * its own transaction so a concurrent rewrite cannot tear the value.
 */
int xs_write_chunked(struct xs_client *c, const char *path, const void *val, size_t len);
int xs_read_chunked(struct xs_client *c, uint32_t tx, const char *path, char *buf, size_t buflen,
		    size_t *len);
/* The same write inside the caller's transaction @tx (non-zero). */
int xs_write_chunked_tx(struct xs_client *c, uint32_t tx, const char *path, const void *val,
			size_t len);

/*
 * Run @n requests as one pipelined batch (struct xs_preq). Returns 0 when
 * every request was answered (each one's own result is in its rc: one
 * failing does not stop the others), or the transport's -ETIMEDOUT / -EIO
 * / -EBUSY (from inside ops->wait), which every unanswered request gets
 * as its rc too. A request refused locally (bad path, too big) is never
 * sent and has its rc set. A watch whose request failed is not registered.
 */
int xs_pipeline(struct xs_client *c, struct xs_preq *r, unsigned int n);
/* A finished XS_READ of a batch as a number, with xs_read_u64()'s results. */
int xs_preq_u64(const struct xs_preq *r, uint64_t *v);

/*
 * Asynchronous requests, for callers that must not block (the host
 * channel, xen/hostcfg_xen.c): one outstanding at a time, beside the
 * synchronous calls, which finish sending it before their own request.
 * xs_async_send copies the request (the concatenation of @seg) and puts
 * what fits in the ring; xs_async_pump puts more (call it when the ring
 * may have room); xs_async_take consumes the ring and returns 1 with the
 * reply (type, payload NUL-terminated, length; valid until the next
 * send), 0 while it is not there, or -EIO. xs_async_cancel forgets a
 * request given up on (its late reply is dropped as stale).
 */
int xs_async_send(struct xs_client *c, uint32_t type, uint32_t tx, const struct xs_seg *seg,
		  unsigned int nseg);
void xs_async_pump(struct xs_client *c);
int xs_async_take(struct xs_client *c, uint32_t *type, const char **reply, uint32_t *len);
void xs_async_cancel(struct xs_client *c);

/* "EAGAIN" (optionally NUL-terminated within @len) -> -EAGAIN; unknown -> -EIO. */
int xs_errno_from_string(const char *s, size_t len);

/* Strict canonical decimal of exactly @len bytes: -EINVAL, or -ERANGE on overflow. */
int xs_parse_u64(const char *s, size_t len, uint64_t *v);

/*
 * Internal: shared by xen/xs.c and xen/xs_ring.c, not for drivers.
 * xs_talk sends one request (the payload is the concatenation of @seg)
 * and waits for its reply. On success the payload is at *@reply (NUL
 * appended, *@rlen bytes), valid until the next call on @c.
 */
int xs_talk(struct xs_client *c, uint32_t type, uint32_t tx, const struct xs_seg *seg,
	    unsigned int nseg, const char **reply, uint32_t *rlen);
/* Send the requests of @r not yet done (seg/nseg filled in) and collect their replies. */
int xs_talk_many(struct xs_client *c, struct xs_preq *r, unsigned int n);
void xs_purge_events(struct xs_client *c, struct xs_watch *w);

#endif
