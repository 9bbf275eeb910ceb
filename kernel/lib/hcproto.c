// SPDX-License-Identifier: BSD-2-Clause
/*
 * The control-port protocol, server side (include/sluice/hcproto.h,
 * docs/hostcfg.md).
 *
 * Trust: the host is not trusted with our memory. Every header is checked
 * (magic, version, length against HCP_PAYLOAD_MAX) before its payload is
 * read; every string in a payload must be NUL-terminated inside it; keys
 * are checked by the store's syntax rule; a transaction's size, the
 * number of watches and the output are bounded, and events for one watch
 * coalesce into a flag, so a flooding host costs bounded memory and time.
 * A header that does not parse means the stream is out of step: nothing
 * after it can be trusted to be a frame boundary, so the connection goes
 * quiet until the host reconnects (hcp_reset).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/hcproto.h"
#include "sluice/hostkeys.h"

#define VALUE_MAX HK_VALUE_MAX

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{EINVAL, "EINVAL"}, {ENOENT, "ENOENT"}, {EAGAIN, "EAGAIN"}, {E2BIG, "E2BIG"},
	{ENOSPC, "ENOSPC"}, {ENOMEM, "ENOMEM"}, {EBUSY, "EBUSY"},   {EPROTO, "EPROTO"},
	{EACCES, "EACCES"}, {ENOSYS, "ENOSYS"}, {EIO, "EIO"},
};

const char *hcp_errname(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return "EIO";
}

int hcp_errno(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strlen(errnames[i].name) == len && memcmp(errnames[i].name, name, len) == 0)
			return -errnames[i].err;
	return -EIO;
}

void hcp_init(struct hcp_conn *c, struct hcs_store *s)
{
	memset(c, 0, sizeof(*c));
	c->store = s;
	c->next_tx = 1;
}

static void tx_drop(struct hcp_conn *c)
{
	for (unsigned int i = 0; i < c->ntxops; i++)
		free(c->txops[i].buf);
	for (unsigned int i = 0; i < c->ntx_reads; i++)
		free(c->tx_reads[i]);
	free(c->txops);
	free(c->tx_reads);
	c->txops = NULL;
	c->tx_reads = NULL;
	c->ntxops = c->ntx_reads = 0;
	c->tx_bytes = 0;
	c->tx_id = 0;
}

void hcp_reset(struct hcp_conn *c)
{
	tx_drop(c);
	memset(c->watches, 0, sizeof(c->watches));
	c->in_got = 0;
	c->out_len = 0;
	c->broken = false;
}

/* ---- output ---- */

static void put_frame(struct hcp_conn *c, uint8_t type, uint32_t id, uint32_t tx, const void *p,
		      size_t len)
{
	struct hcp_hdr h = {.magic = HCP_MAGIC,
			    .version = HCP_VERSION,
			    .type = type,
			    .id = id,
			    .tx = tx,
			    .len = (uint32_t)len};

	/* Callers made room first (hcp_input keeps a whole frame free). */
	if (c->out_len + HCP_HDR_LEN + len > sizeof(c->out))
		return;
	memcpy(c->out + c->out_len, &h, HCP_HDR_LEN);
	if (len)
		memcpy(c->out + c->out_len + HCP_HDR_LEN, p, len);
	c->out_len += HCP_HDR_LEN + len;
}

static void reply_err(struct hcp_conn *c, const struct hcp_hdr *h, int err)
{
	const char *n = hcp_errname(err);

	c->stats.errors++;
	put_frame(c, HCP_ERROR, h->id, h->tx, n, strlen(n) + 1);
}

static void reply(struct hcp_conn *c, const struct hcp_hdr *h, const void *p, size_t len)
{
	put_frame(c, HCP_REPLY, h->id, h->tx, p, len);
}

bool hcp_has_output(const struct hcp_conn *c)
{
	if (c->out_len)
		return true;
	for (unsigned int i = 0; i < HCP_WATCHES_MAX; i++)
		if (c->watches[i].used && c->watches[i].pending)
			return true;
	return false;
}

static void queue_events(struct hcp_conn *c)
{
	for (unsigned int i = 0; i < HCP_WATCHES_MAX; i++) {
		struct hcp_watch *w = &c->watches[i];
		char p[sizeof(w->key) + sizeof(w->token)];
		size_t kl, tl;

		if (!w->used || !w->pending)
			continue;
		kl = strlen(w->key) + 1;
		tl = strlen(w->token) + 1;
		if (c->out_len + HCP_HDR_LEN + kl + tl > sizeof(c->out))
			return; /* still pending: sent when there is room */
		memcpy(p, w->key, kl);
		memcpy(p + kl, w->token, tl);
		put_frame(c, HCP_EVENT, 0, 0, p, kl + tl);
		w->pending = false;
		c->stats.events++;
	}
}

size_t hcp_output(struct hcp_conn *c, uint8_t *buf, size_t cap)
{
	size_t n;

	queue_events(c);
	n = c->out_len < cap ? c->out_len : cap;
	memcpy(buf, c->out, n);
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
	return n;
}

void hcp_changed(struct hcp_conn *c, const char *key)
{
	for (unsigned int i = 0; i < HCP_WATCHES_MAX; i++) {
		struct hcp_watch *w = &c->watches[i];

		/* A watch fires for changes at or below its key, as xenstore's do. */
		if (w->used && hcs_in_subtree(key, w->key))
			w->pending = true;
	}
}

/* ---- requests ---- */

/*
 * The @n-th NUL-terminated string of the payload, checked to end inside
 * it. NULL when the payload has fewer strings.
 */
static const char *payload_str(const uint8_t *p, size_t len, unsigned int n, size_t *slen)
{
	size_t pos = 0;

	for (unsigned int i = 0;; i++) {
		const uint8_t *nul = pos < len ? memchr(p + pos, '\0', len - pos) : NULL;

		if (!nul)
			return NULL;
		if (i == n) {
			*slen = (size_t)(nul - (p + pos));
			return (const char *)p + pos;
		}
		pos = (size_t)(nul - p) + 1;
	}
}

static const char *payload_key(const uint8_t *p, size_t len, size_t *klen)
{
	const char *k = payload_str(p, len, 0, klen);

	return k && hcs_key_check(k) == 0 ? k : NULL;
}

/* Does the open transaction's own change decide @key? 1 value, 0 absent, -1 not touched. */
static int tx_lookup(const struct hcp_conn *c, const char *key, const char **val, size_t *len)
{
	for (unsigned int i = c->ntxops; i-- > 0;) {
		const struct hcs_op *op = &c->txops[i].op;

		if (op->kind == HCS_WRITE && strcmp(op->key, key) == 0) {
			*val = op->val;
			*len = op->len;
			return 1;
		}
		if (op->kind == HCS_RM && hcs_in_subtree(key, op->key))
			return 0;
	}
	return -1;
}

static int tx_note_read(struct hcp_conn *c, const char *key)
{
	char **r, *k;

	if (c->ntx_reads >= HCP_TX_OPS_MAX)
		return -ENOSPC;
	r = realloc(c->tx_reads, (c->ntx_reads + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	c->tx_reads = r;
	k = strdup(key);
	if (!k)
		return -ENOMEM;
	r[c->ntx_reads++] = k;
	return 0;
}

static void do_read(struct hcp_conn *c, const struct hcp_hdr *h, const uint8_t *p)
{
	const struct hcs_entry *e;
	const char *key, *val;
	size_t kl, vl;
	int in_tx = -1, rc;

	key = payload_key(p, h->len, &kl);
	if (!key)
		return reply_err(c, h, -EINVAL);
	if (h->tx) {
		rc = tx_note_read(c, key);
		if (rc < 0)
			return reply_err(c, h, rc);
		in_tx = tx_lookup(c, key, &val, &vl);
	}
	if (in_tx == 1)
		return reply(c, h, val, vl);
	e = in_tx == 0 ? NULL : hcs_get(c->store, key);
	if (!e)
		return reply_err(c, h, -ENOENT);
	reply(c, h, e->val, e->len);
}

static int tx_add(struct hcp_conn *c, enum hcs_kind kind, const char *key, size_t kl,
		  const char *val, size_t vl)
{
	struct hcp_txop *ops;
	char *buf;

	if (c->ntxops >= HCP_TX_OPS_MAX || c->tx_bytes + kl + vl > HCP_TX_BYTES_MAX)
		return -ENOSPC;
	ops = realloc(c->txops, (c->ntxops + 1) * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	c->txops = ops;
	buf = malloc(kl + 1 + vl + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, key, kl + 1);
	if (vl)
		memcpy(buf + kl + 1, val, vl);
	buf[kl + 1 + vl] = '\0';
	ops[c->ntxops++] = (struct hcp_txop){
		.op = {.kind = kind, .key = buf, .val = buf + kl + 1, .len = vl},
		.buf = buf,
	};
	c->tx_bytes += kl + vl;
	return 0;
}

static void do_change(struct hcp_conn *c, const struct hcp_hdr *h, const uint8_t *p)
{
	size_t kl, vl = 0;
	const char *key = payload_key(p, h->len, &kl), *val = NULL;
	struct hcs_op op;
	int rc;

	if (!key)
		return reply_err(c, h, -EINVAL);
	if (h->type == HCP_WRITE) {
		/* The value is everything after the key's NUL: it may hold any bytes. */
		val = key + kl + 1;
		vl = h->len - kl - 1;
		if (vl > VALUE_MAX)
			return reply_err(c, h, -E2BIG);
	}
	if (h->tx) {
		rc = tx_add(c, h->type == HCP_WRITE ? HCS_WRITE : HCS_RM, key, kl, val, vl);
		return rc < 0 ? reply_err(c, h, rc) : reply(c, h, "", 0);
	}
	op = (struct hcs_op){.kind = h->type == HCP_WRITE ? HCS_WRITE : HCS_RM,
			     .key = key,
			     .val = val,
			     .len = vl};
	rc = hcs_apply(c->store, &op, 1);
	return rc < 0 ? reply_err(c, h, rc) : reply(c, h, "", 0);
}

static void do_dir(struct hcp_conn *c, const struct hcp_hdr *h, const uint8_t *p)
{
	char names[HCP_PAYLOAD_MAX];
	unsigned int count;
	size_t kl, used;
	const char *key = payload_key(p, h->len, &kl);
	int rc;

	if (!key)
		return reply_err(c, h, -EINVAL);
	rc = hcs_dir(c->store, key, names, sizeof(names), &count, &used);
	return rc < 0 ? reply_err(c, h, rc) : reply(c, h, names, used);
}

/* Did anything the transaction read or wrote change since it started? */
static bool tx_conflict(const struct hcp_conn *c)
{
	const struct hcs_entry *e;

	if (c->store->rm_ver > c->tx_ver)
		return true; /* removals are not versioned per key: be conservative */
	for (unsigned int i = 0; i < c->ntx_reads; i++)
		if ((e = hcs_get(c->store, c->tx_reads[i])) && e->ver > c->tx_ver)
			return true;
	for (unsigned int i = 0; i < c->ntxops; i++)
		if ((e = hcs_get(c->store, c->txops[i].op.key)) && e->ver > c->tx_ver)
			return true;
	return false;
}

static void do_tx_end(struct hcp_conn *c, const struct hcp_hdr *h, const uint8_t *p)
{
	bool commit = h->len >= 1 && p[0] == '1';
	struct hcs_op *ops;
	int rc = 0;

	if (!commit) {
		tx_drop(c);
		return reply(c, h, "", 0);
	}
	if (tx_conflict(c)) {
		tx_drop(c);
		return reply_err(c, h, -EAGAIN);
	}
	ops = malloc((c->ntxops + 1) * sizeof(*ops));
	if (!ops)
		rc = -ENOMEM;
	for (unsigned int i = 0; ops && i < c->ntxops; i++)
		ops[i] = c->txops[i].op;
	if (ops)
		rc = hcs_apply(c->store, ops, c->ntxops);
	free(ops);
	tx_drop(c);
	return rc < 0 ? reply_err(c, h, rc) : reply(c, h, "", 0);
}

static void do_tx_start(struct hcp_conn *c, const struct hcp_hdr *h)
{
	char id[16];
	int n;

	if (c->tx_id)
		return reply_err(c, h, -EBUSY); /* one transaction at a time */
	c->tx_id = c->next_tx++;
	if (!c->next_tx)
		c->next_tx = 1;
	c->tx_ver = c->store->ver;
	n = snprintf(id, sizeof(id), "%u", c->tx_id);
	reply(c, h, id, (size_t)n + 1);
}

static void do_watch(struct hcp_conn *c, const struct hcp_hdr *h, const uint8_t *p)
{
	size_t kl, tl;
	const char *key = payload_key(p, h->len, &kl), *tok = payload_str(p, h->len, 1, &tl);
	struct hcp_watch *free_slot = NULL;

	if (!key || !tok || tl == 0 || tl >= HCP_TOKEN_MAX)
		return reply_err(c, h, -EINVAL);
	for (unsigned int i = 0; i < HCP_WATCHES_MAX; i++) {
		struct hcp_watch *w = &c->watches[i];

		if (w->used && strcmp(w->key, key) == 0 && strcmp(w->token, tok) == 0) {
			if (h->type == HCP_UNWATCH)
				w->used = w->pending = false;
			return h->type == HCP_UNWATCH ? reply(c, h, "", 0)
						      : reply_err(c, h, -EBUSY);
		}
		if (!w->used && !free_slot)
			free_slot = w;
	}
	if (h->type == HCP_UNWATCH)
		return reply_err(c, h, -ENOENT);
	if (!free_slot)
		return reply_err(c, h, -ENOSPC);
	memcpy(free_slot->key, key, kl + 1);
	memcpy(free_slot->token, tok, tl + 1);
	free_slot->used = true;
	free_slot->pending = true; /* fires once when set, as xenstore's do */
	reply(c, h, "", 0);
}

static void handle(struct hcp_conn *c, const struct hcp_hdr *h, const uint8_t *p)
{
	c->stats.requests++;
	/* A request in a transaction must name the open one. */
	if (h->tx && h->tx != c->tx_id)
		return reply_err(c, h, -ENOENT);
	switch (h->type) {
	case HCP_HELLO:
		return reply(c, h, "sluice-hc 1", 12);
	case HCP_READ:
		return do_read(c, h, p);
	case HCP_WRITE:
	case HCP_RM:
		return do_change(c, h, p);
	case HCP_DIR:
		return do_dir(c, h, p);
	case HCP_TX_START:
		return do_tx_start(c, h);
	case HCP_TX_END:
		return h->tx ? do_tx_end(c, h, p) : reply_err(c, h, -EINVAL);
	case HCP_WATCH:
	case HCP_UNWATCH:
		return do_watch(c, h, p);
	default:
		return reply_err(c, h, -ENOSYS);
	}
}

static bool header_ok(struct hcp_conn *c, const struct hcp_hdr *h)
{
	if (h->magic != HCP_MAGIC || h->version != HCP_VERSION) {
		snprintf(c->last_error, sizeof(c->last_error), "bad frame header (magic/version)");
		return false;
	}
	if (h->len > HCP_PAYLOAD_MAX) {
		snprintf(c->last_error, sizeof(c->last_error), "frame of %u bytes (max %u)", h->len,
			 HCP_PAYLOAD_MAX);
		return false;
	}
	return true;
}

size_t hcp_input(struct hcp_conn *c, const uint8_t *p, size_t len)
{
	size_t used = 0;

	if (c->broken)
		return len; /* out of step: drop everything until the host reconnects */
	while (used < len) {
		struct hcp_hdr h;
		size_t want, n;

		/* Keep room for the largest reply, so that no answer is ever lost. */
		if (c->out_len + HCP_FRAME_MAX > sizeof(c->out))
			break;
		want = c->in_got < HCP_HDR_LEN ? HCP_HDR_LEN
					       : HCP_HDR_LEN + ((struct hcp_hdr *)c->in)->len;
		n = want - c->in_got < len - used ? want - c->in_got : len - used;
		memcpy(c->in + c->in_got, p + used, n);
		c->in_got += n;
		used += n;
		if (c->in_got < want)
			break;
		memcpy(&h, c->in, HCP_HDR_LEN);
		if (c->in_got == HCP_HDR_LEN && !header_ok(c, &h)) {
			c->stats.bad_frames++;
			c->broken = true;
			put_frame(c, HCP_ERROR, h.id, 0, "EPROTO", 7);
			return len;
		}
		if (c->in_got < HCP_HDR_LEN + h.len)
			continue;
		handle(c, &h, c->in + HCP_HDR_LEN);
		c->in_got = 0;
	}
	return used;
}
