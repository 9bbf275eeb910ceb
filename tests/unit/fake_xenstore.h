/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A fake xenstored for host tests: it serves a real struct
 * xenstore_domain_interface in memory, one step per ops->wait() call, over
 * a small key/value store with watches and (one at a time) transactions.
 * Knobs script the misbehaviour a client must survive.
 */
#ifndef FAKE_XENSTORE_H
#define FAKE_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/xenstore.h"

#define FAKE_DOMID 7
#define FAKE_HOME "/local/domain/7"
#define FAKE_KV_MAX 128
#define FAKE_PATH_MAX 320
#define FAKE_WATCH_MAX 16
#define FAKE_DIRTY_MAX 64
#define FAKE_OUT_MAX (64 * 1024)
#define FAKE_STEP_NS 1000000ull /* fake time per ops->wait() */

struct fake_kv {
	bool used;
	char path[FAKE_PATH_MAX];	    /* absolute */
	char val[XENSTORE_PAYLOAD_MAX + 1]; /* +1: room for a NUL for fake_kv_get */
	size_t len;
};

struct fake_watch {
	bool used;
	char path[FAKE_PATH_MAX]; /* as registered (may be relative) */
	char tok[64];
};

struct fake_xs;
typedef void (*fake_hook)(struct fake_xs *f, const char *abs_path, const char *val, size_t len);

struct fake_xs {
	struct xenstore_domain_interface ring;
	uint64_t now;
	unsigned int steps, notifies;
	struct fake_kv kv[FAKE_KV_MAX];
	struct fake_kv snap[FAKE_KV_MAX];
	struct fake_watch w[FAKE_WATCH_MAX];
	/* request assembly */
	struct xsd_sockmsg hdr;
	char req[XENSTORE_PAYLOAD_MAX + 1];
	uint32_t got;
	/* bytes waiting to go into the response ring */
	char out[FAKE_OUT_MAX];
	size_t out_len;
	/* the one transaction */
	bool in_tx;
	uint32_t cur_tx, next_tx;
	char dirty[FAKE_DIRTY_MAX][FAKE_PATH_MAX];
	unsigned int ndirty;

	/* Script knobs. */
	unsigned int stall_steps;	  /* ignore the ring for this many steps */
	unsigned int tx_end_eagain;	  /* the next N commits fail with EAGAIN (and roll back) */
	unsigned int events_before_reply; /* spurious events per watch before each reply */
	bool unknown_reply_first;	  /* a reply with an unknown req_id before the next reply */
	bool oversized_next;		  /* the next reply's header claims len 5000 */
	bool garbage_tx_id;		  /* TRANSACTION_START replies "12a" */
	bool watch_fire_after_reply;	  /* immediate firing after (not before) the WATCH reply */
	uint32_t out_chunk;		  /* max bytes put in the response ring per step; 0 = all */
	bool strict_flow;		  /* read no request while responses are backed up */
	int fail_type;			  /* next request of this type gets XS_ERROR fail_err */
	const char *fail_err;
	fake_hook on_write; /* called on every committed write (the backend script) */
	void *hook_ctx;

	/* Accounting. */
	unsigned int nreq;
	unsigned int req_types[XS_TYPE_COUNT];
	uint32_t last_req_id, last_tx_id;
	bool violation; /* the client broke the protocol */
	char violation_msg[128];
};

extern const struct xs_ops fake_ops;

/* All four ring indices start at @idx. */
void fake_init(struct fake_xs *f, uint32_t idx);
void fake_step(struct fake_xs *f);
/* Server-side write (fires watches and the hook), e.g. from a backend script. */
void fake_kv_write(struct fake_xs *f, const char *path, const char *val);
/* Value of @path (absolute or relative), NULL if absent. */
const char *fake_kv_get(struct fake_xs *f, const char *path, size_t *len);
void fake_kv_rm(struct fake_xs *f, const char *path);
/* Queue raw output: header + payload. */
void fake_emit(struct fake_xs *f, uint32_t type, uint32_t req_id, uint32_t tx, const void *p,
	       size_t len);
void fake_emit_event(struct fake_xs *f, const char *path, const char *tok);
/* Token of the registered watch on @path, NULL if none. */
const char *fake_watch_token(struct fake_xs *f, const char *path);
unsigned int fake_nwatches(const struct fake_xs *f);

#endif
