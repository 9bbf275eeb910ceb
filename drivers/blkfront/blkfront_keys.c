// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen blkfront, the keys it negotiates (docs/xen.md §12): the backend's
 * features at InitWait (inside the connect transaction) and its disk
 * properties and features at Connected, each set read in one pipelined
 * xenstore batch, and our own keys written in one. blkfront_xs.c drives
 * the handshake.
 *
 * Trust: the backend node is written by the backend domain. Numbers are
 * parsed strictly (canonical decimals, bounded), feature flags must be 0
 * or 1, and a malformed value fails the connect with the key named.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#include "blkfront_priv.h"
#include "sluice/kernel.h"
#include "sluice/xen_plat.h"
#include "sluice/xenbus.h"
#include "sluice/xenstore.h"

/*
 * Backend keys read in one pipelined batch (one xenstore round trip for
 * all of them, docs/boot.md §7), then checked one by one.
 */
#define BF_BATCH_MAX 8

struct bf_batch {
	struct xs_preq r[BF_BATCH_MAX];
	char path[BF_BATCH_MAX][XENBUS_PATH_MAX];
	char val[BF_BATCH_MAX][24]; /* a u64's 20 digits, and room to see one too many */
	unsigned int n;
};

/* Queue a read of the backend's @key; its index in the batch. */
static unsigned int bb_read(struct bf_batch *b, uint32_t tx, const struct blkfront *bf,
			    const char *key)
{
	unsigned int i = b->n++; /* callers add at most BF_BATCH_MAX */

	b->r[i] = (struct xs_preq){.type = XS_READ,
				   .tx = tx,
				   .path = b->path[i],
				   .buf = b->val[i],
				   .buflen = sizeof(b->val[i])};
	if (bf_key(b->path[i], bf->xb.backend, key) < 0)
		b->path[i][0] = '\0'; /* refused by xs_pipeline as a bad path */
	return i;
}

/*
 * An optional backend number <= @max from read @i: absent sets *@present
 * false; malformed (not canonical decimal, too big) is an error.
 */
static int bf_num(const struct bf_batch *b, unsigned int i, uint64_t max, uint64_t *v,
		  bool *present)
{
	int rc = xs_preq_u64(&b->r[i], v);

	*present = false;
	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && *v > max)
		rc = -ERANGE;
	if (rc < 0 && rc != -EAGAIN)
		kprintf("blkfront: %s: %s (%d)\n", b->path[i],
			rc == -EINVAL || rc == -ERANGE ? "not a valid value" : "cannot read", rc);
	*present = rc == 0;
	return rc;
}

/* A feature flag: absent is off, "0" and "1" say so, anything else is refused. */
static int bf_flag(const struct bf_batch *b, unsigned int i, bool *on)
{
	uint64_t v = 0;
	bool present;
	int rc = bf_num(b, i, 1, &v, &present);

	*on = present && v == 1;
	return rc;
}

static void bb_features(struct bf_batch *b, uint32_t tx, const struct blkfront *bf)
{
	bb_read(b, tx, bf, "feature-flush-cache");
	bb_read(b, tx, bf, "feature-barrier");
	bb_read(b, tx, bf, "feature-persistent");
	bb_read(b, tx, bf, "feature-max-indirect-segments");
}

/* The four features queued by bb_features() from index @i on. */
static int bf_features(const struct bf_batch *b, unsigned int i, struct bf_features *f)
{
	uint64_t v = 0;
	bool present = false;
	int rc;

	rc = bf_flag(b, i, &f->flush_cache);
	if (rc == 0)
		rc = bf_flag(b, i + 1, &f->barrier);
	if (rc == 0)
		rc = bf_flag(b, i + 2, &f->persistent);
	if (rc == 0)
		rc = bf_num(b, i + 3, UINT32_MAX, &v, &present);
	f->max_indirect = rc == 0 && present ? (uint32_t)v : 0;
	return rc;
}

/* Our own keys, written in one batch (inside the connect transaction @tx). */
static int bf_write_keys(struct xs_client *c, uint32_t tx, const struct blkfront *bf)
{
	static const char *const keys[] = {"ring-ref", "event-channel", "protocol",
					   "feature-persistent"};
	char path[ARRAY_SIZE(keys)][XENBUS_PATH_MAX], num[2][12];
	const char *vals[ARRAY_SIZE(keys)] = {num[0], num[1], XEN_IO_PROTO_ABI_X86_64, "1"};
	struct xs_preq r[ARRAY_SIZE(keys)];
	int rc;

	snprintf(num[0], sizeof(num[0]), "%u", (unsigned int)bf->ring_page.ref);
	snprintf(num[1], sizeof(num[1]), "%u", bf->port);
	for (unsigned int i = 0; i < ARRAY_SIZE(keys); i++) {
		rc = bf_key(path[i], bf->xb.nodename, keys[i]);
		if (rc < 0)
			return rc;
		r[i] = (struct xs_preq){.type = XS_WRITE,
					.tx = tx,
					.path = path[i],
					.val = vals[i],
					.len = strlen(vals[i])};
	}
	rc = xs_pipeline(c, r, ARRAY_SIZE(r));
	for (unsigned int i = 0; rc == 0 && i < ARRAY_SIZE(r); i++)
		rc = r[i].rc;
	return rc;
}

/*
 * The connect transaction's body, at backend InitWait (xenbus_frontend_connect
 * redoes it on EAGAIN, so it only reads and writes keys): read the
 * features, then publish one single-page ring and one event channel (flat
 * keys: we ignore max-ring-page-order and multi-queue-max-queues), the
 * native protocol, and that we can do persistent grants. We offer those
 * whatever the backend says now: Linux blkback publishes its own
 * feature-persistent only at Connected, and uses the mode when both do.
 */
int bf_setup_keys(struct xs_client *c, uint32_t tx, void *arg)
{
	struct blkfront *bf = arg;
	struct bf_batch b = {.n = 0};
	int rc;

	bb_features(&b, tx, bf);
	rc = xs_pipeline(c, b.r, b.n);
	if (rc == 0)
		rc = bf_features(&b, 0, &bf->features_iw);
	if (rc == 0)
		rc = bf_write_keys(c, tx, bf);
	return rc;
}

/* "r" and "w" are the values blkif.h knows; anything else is taken as read-only. */
static bool bf_mode_readonly(const struct bf_batch *b, unsigned int i)
{
	const struct xs_preq *r = &b->r[i];

	if (r->rc == -ENOENT)
		return false; /* info alone decides */
	if (r->rc == 0 && r->rlen == 1 && (r->buf[0] == 'r' || r->buf[0] == 'w'))
		return r->buf[0] == 'r';
	kprintf("blkfront: %s: not \"r\" or \"w\" (%d): read-only\n", b->path[i], r->rc);
	return true;
}

/*
 * Disk properties and features, at Connected, in one batch. sectors
 * counts 512-byte units whatever sector-size is (as Linux blkback writes
 * and blkfront reads it; we do not offer feature-large-sector-size);
 * sector-size must be a power of two from 512 to a page, since a segment
 * never crosses a page.
 */
int bf_read_props(struct blkfront *bf, struct bf_props *p, struct bf_features *f)
{
	uint64_t sectors = 0, ssize = 0, info = 0;
	bool has_sectors, has_ssize, has_info;
	struct bf_batch b = {.n = 0};
	int rc;

	bb_read(&b, 0, bf, "sectors");
	bb_read(&b, 0, bf, "sector-size");
	bb_read(&b, 0, bf, "info");
	bb_read(&b, 0, bf, "mode");
	bb_features(&b, 0, bf);
	rc = xs_pipeline(&xen_xs, b.r, b.n);
	if (rc == 0)
		rc = bf_num(&b, 0, UINT64_MAX / BLKDEV_SECTOR, &sectors, &has_sectors);
	if (rc == 0)
		rc = bf_num(&b, 1, BF_PAGE_SIZE, &ssize, &has_ssize);
	if (rc == 0)
		rc = bf_num(&b, 2, UINT32_MAX, &info, &has_info);
	if (rc == 0)
		rc = bf_features(&b, 4, f);
	if (rc < 0)
		return rc;
	if (!has_sectors || !has_ssize || !has_info || ssize < BLKDEV_SECTOR ||
	    (ssize & (ssize - 1))) {
		kprintf("blkfront: %s: sectors, sector-size or info missing or invalid\n",
			bf->xb.backend);
		return -EINVAL;
	}
	p->sector_size = (uint32_t)ssize;
	/* A partial logical sector at the end cannot be addressed. */
	p->sectors = sectors - sectors % (ssize / BLKDEV_SECTOR);
	p->info = (uint32_t)info;
	p->readonly = (info & VDISK_READONLY) || bf_mode_readonly(&b, 3);
	return 0;
}
