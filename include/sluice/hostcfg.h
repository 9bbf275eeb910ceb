/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host channel: a small key space shared by the appliance and the host
 * (docs/hostcfg.md). It is how a host tool configures a running appliance
 * and reads what it reports, identically on both hypervisors:
 *
 *   - Xen: xenstore, under the domain's own data/sluice/ directory;
 *   - QEMU/KVM: the appliance keeps the key space itself, and the host
 *     reaches it through a virtio-console port named org.sluice.ctl.0
 *     (drivers/virtio/virtio_console.c, protocol in docs/hostcfg.md).
 *
 * Keys are relative to that directory ("status", "config/count",
 * "net/net0/ip"): at most HC_KEY_MAX bytes of [A-Za-z0-9_./-], no empty
 * component. Appliances and net/ use only this header; which transport
 * serves it is the kernel's business.
 *
 * Nothing here blocks the caller: batches and watches complete later on
 * the event loop, so the data path keeps running while the host answers
 * (or does not). Only start-up code may wait, through hc_run().
 *
 * Everything read back is untrusted: the host may write anything of any
 * length at any time. Values come NUL-terminated with their length, and a
 * value that embeds a NUL is reported as such (out_len != strlen) for the
 * caller to refuse.
 */
#ifndef SLUICE_HOSTCFG_H
#define SLUICE_HOSTCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/evloop.h"
#include "sluice/hostkeys.h"

#define HC_KEY_MAX 120			      /* bytes of a key, without the NUL */
#define HC_VALUE_MAX HK_VALUE_MAX	      /* bytes of a plain value */
#define HC_CHUNK_DATA HK_CHUNK_DATA	      /* value bytes per chunk of a chunked value */
#define HC_CHUNK_COUNT_MAX HK_CHUNK_COUNT_MAX /* chunks per chunked value: 512 KiB */
#define HC_CHUNKED_MAX ((size_t)HC_CHUNK_DATA * HC_CHUNK_COUNT_MAX)
#define HC_BATCH_OPS_MAX 16			   /* operations in one batch */
#define HC_TIMEOUT_NS (10ull * 1000 * 1000 * 1000) /* a batch the host never answers */

enum hc_op_kind {
	HC_READ,	  /* into buf/cap; -ENOENT absent, -E2BIG does not fit */
	HC_WRITE,	  /* val/len (<= HC_VALUE_MAX) */
	HC_RM,		  /* the key and everything below it; absent is not an error */
	HC_READ_CHUNKED,  /* <key>/count and <key>/0..N-1 concatenated into buf/cap */
	HC_WRITE_CHUNKED, /* replaces the whole <key> subtree by val/len as chunks */
};

struct hc_op {
	enum hc_op_kind kind;
	const char *key;
	const void *val; /* writes */
	size_t len;
	char *buf; /* reads: NUL-terminated on success */
	size_t cap;
	/* Results, set before the batch's done callback runs. */
	int rc;		/* 0 or -errno for this operation */
	size_t out_len; /* reads: the value's length (also on -E2BIG, when known) */
};

struct hc_batch;
/*
 * @rc: 0 when the batch was applied as one unit (each op's rc says how a
 * read went: -ENOENT and -E2BIG do not fail a batch); otherwise nothing of
 * it was applied: -ETIMEDOUT (the host did not answer in HC_TIMEOUT_NS),
 * -EIO (the channel is broken), -EAGAIN (conflicts with the host's own
 * writes, retried, never settled), -EINVAL (a malformed op), or a write's
 * error (-ENOSPC: over quota, -EACCES).
 */
typedef void (*hc_done_fn)(struct hc_batch *b, int rc);

/*
 * Caller-owned, must stay valid until done runs. The ops run in order as
 * one atomic unit: on Xen a transaction (redone when the host raced us),
 * in the appliance's own store one step of the event loop. A read sees
 * the writes before it in the same batch.
 */
struct hc_batch {
	struct hc_op *ops;
	unsigned int nops;
	hc_done_fn done;
	void *arg; /* for the caller */
	/* Private to the channel. */
	struct hc_batch *next;
	bool busy;
	int state;
	unsigned int step, sub, tries;
	uint32_t tx;
	uint64_t deadline;
	size_t pos;
};

/* Queue @b. 0, or -EBUSY (already queued), -EINVAL (bad op), -ENODEV (no channel). */
int hc_submit(struct hc_batch *b);

/*
 * Start-up code only (never a callback): submit @b and run the event loop
 * until it completes. Returns the batch's rc.
 */
int hc_run(struct hc_batch *b);

/* Start-up helpers over hc_run: one read (rc as HC_READ), one write. */
int hc_read_now(const char *key, char *buf, size_t cap, size_t *len);
int hc_write_now(const char *key, const char *value);

/*
 * Fire and forget: the key will hold @value soon. Writes to one key
 * coalesce (only the latest is sent); at most HC_PUBLISH_MAX keys are
 * pending. Failures are reported on the console once per key.
 */
#define HC_PUBLISH_MAX 16
void hc_publish(const char *key, const char *value);

/*
 * A watch on @key and everything below it. @fn runs from the event loop
 * once soon after registration and then after changes, possibly
 * coalesced or spuriously: it must re-read what it cares about.
 */
struct hc_watch;
typedef void (*hc_watch_fn)(struct hc_watch *w);
struct hc_watch {
	const char *key;
	hc_watch_fn fn;
	void *arg;
	/* Private. */
	struct hc_watch *next;
	bool registered, pending;
	void *impl;
};
int hc_watch(struct hc_watch *w);
void hc_unwatch(struct hc_watch *w);

/* Is there a host channel at all (Xen, or a control port on QEMU)? */
bool hc_present(void);
/* "xenstore", "virtio-console" or "local" (no host can reach it). */
const char *hc_transport(void);

/* Key syntax check (see above): 0 or -EINVAL. */
int hc_key_check(const char *key);

#endif
