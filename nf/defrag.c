// SPDX-License-Identifier: BSD-2-Clause
/*
 * Virtual fragment reassembly (the model, Linux's rules and the API are in
 * sluice/nf/defrag.h).
 *
 * Everything here is driven by fragments from hostile senders, so:
 *   - memory is fixed at init (fragment and datagram arrays); what is held
 *     are the caller's receive buffers, bounded in total, per source and
 *     per datagram, and released on timeout;
 *   - lookups are linear over a small fixed array (no hash to aim at);
 *   - offsets and lengths come from pkt_parse() but are re-checked against
 *     the frame before any byte is copied;
 *   - overlapping data is never merged: an overlap discards the datagram
 *     (Linux, RFC 5722), so no two readers can see different bytes;
 *   - only the datagram's headers (at most DF_HDR_MAX payload bytes) are
 *     copied, to classify it; the fragments themselves are not touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/nf/defrag.h"

#define NIL UINT32_MAX
#define NS_PER_S 1000000000ULL
#define P_UDP 17
#define V6_MAXPLEN 65535u

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void df_cfg_default(struct df_cfg *c)
{
	/*
	 * Held fragments are receive buffers: a NIC keeps 128 spare ones
	 * (virtio-net, netfront), so stay well inside that. 64 per source is
	 * one 64 KiB datagram over an IPv6 minimum MTU.
	 */
	c->max_frags = 96;
	c->max_per_src = 64;
	c->max_dgrams = 32;
	c->timeout4_s = 30; /* Linux net.ipv4.ipfrag_time */
	c->timeout6_s = 60; /* Linux IPV6_FRAG_TIMEOUT (nf_conntrack_frag6_timeout) */
}

static bool cfg_ok(const struct df_cfg *c)
{
	return c->max_frags >= 1 && c->max_frags <= DF_MAX_FRAGS_LIMIT && c->max_per_src >= 1 &&
	       c->max_per_src <= c->max_frags && c->max_dgrams >= 1 &&
	       c->max_dgrams <= DF_MAX_DGRAMS_LIMIT && c->timeout4_s >= 1 &&
	       c->timeout4_s <= 3600 && c->timeout6_s >= 1 && c->timeout6_s <= 3600;
}

int df_init(struct defrag *d, const struct df_cfg *c, df_release_fn release, void *arg)
{
	memset(d, 0, sizeof(*d));
	if (!cfg_ok(c) || !release)
		return -EINVAL;
	d->cfg = *c;
	d->frags = calloc(c->max_frags, sizeof(*d->frags));
	d->dgs = calloc(c->max_dgrams, sizeof(*d->dgs));
	if (!d->frags || !d->dgs) {
		free(d->frags);
		free(d->dgs);
		memset(d, 0, sizeof(*d));
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->max_frags; i++)
		d->frags[i].next = i + 1 < c->max_frags ? i + 1 : NIL;
	d->release = release;
	d->release_arg = arg;
	return 0;
}

static void free_frag(struct defrag *d, uint32_t i)
{
	d->frags[i].handle = NULL;
	d->frags[i].next = d->free_frag;
	d->free_frag = i;
	d->nheld--;
}

/* Give up a datagram: every fragment goes back to the caller's release hook. */
static void kill(struct defrag *d, struct df_dgram *g, int why)
{
	for (uint32_t i = g->head, nx; i != NIL; i = nx) {
		void *h = d->frags[i].handle;

		nx = d->frags[i].next;
		free_frag(d, i);
		d->release(d->release_arg, h, why);
	}
	memset(g, 0, sizeof(*g));
}

void df_destroy(struct defrag *d)
{
	if (!d->dgs)
		return;
	for (uint32_t i = 0; i < d->cfg.max_dgrams; i++)
		if (d->dgs[i].used)
			kill(d, &d->dgs[i], DF_WHY_LIMIT);
	free(d->frags);
	free(d->dgs);
	memset(d, 0, sizeof(*d));
}

unsigned int df_expire(struct defrag *d, uint64_t now_ns)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < d->cfg.max_dgrams; i++) {
		if (d->dgs[i].used && now_ns >= d->dgs[i].expires) {
			kill(d, &d->dgs[i], DF_WHY_LIMIT);
			d->stats.timeouts++;
			n++;
		}
	}
	return n;
}

unsigned int df_held(const struct defrag *d)
{
	return d->nheld;
}

/* ---- lookup and limits ---- */

static bool same_key(const struct df_dgram *g, const struct pkt_meta *m, uint16_t zone)
{
	bool v6 = m->l3 == PKT_L3_IPV6;

	return g->used && g->v6 == v6 && g->id == m->frag_id && g->zone == zone &&
	       (v6 || g->proto == m->proto) && !memcmp(&g->s, &m->saddr, sizeof(g->s)) &&
	       !memcmp(&g->d, &m->daddr, sizeof(g->d));
}

static struct df_dgram *find(struct defrag *d, const struct pkt_meta *m, uint16_t zone)
{
	for (uint32_t i = 0; i < d->cfg.max_dgrams; i++)
		if (same_key(&d->dgs[i], m, zone))
			return &d->dgs[i];
	return NULL;
}

/* Fragments and datagrams @src holds now. */
static void src_usage(const struct defrag *d, const struct pkt_addr *src, uint32_t *frags,
		      uint32_t *dgrams)
{
	*frags = *dgrams = 0;
	for (uint32_t i = 0; i < d->cfg.max_dgrams; i++) {
		const struct df_dgram *g = &d->dgs[i];

		if (g->used && !memcmp(&g->s, src, sizeof(*src))) {
			*frags += g->nfrags;
			(*dgrams)++;
		}
	}
}

/* Drop the oldest datagram other than @keep (Linux evicts when over its memory bound). */
static bool evict_oldest(struct defrag *d, const struct df_dgram *keep)
{
	struct df_dgram *old = NULL;

	for (uint32_t i = 0; i < d->cfg.max_dgrams; i++) {
		struct df_dgram *g = &d->dgs[i];

		if (g->used && g != keep && (!old || (int32_t)(g->seq - old->seq) < 0))
			old = g;
	}
	if (!old)
		return false;
	kill(d, old, DF_WHY_LIMIT);
	d->stats.evicted++;
	return true;
}

static struct df_dgram *create(struct defrag *d, const struct pkt_meta *m, uint16_t zone,
			       uint64_t now)
{
	struct df_dgram *g = NULL;
	bool v6 = m->l3 == PKT_L3_IPV6;
	uint32_t t = v6 ? d->cfg.timeout6_s : d->cfg.timeout4_s;

	for (int round = 0; round < 2 && !g; round++) {
		for (uint32_t i = 0; i < d->cfg.max_dgrams && !g; i++)
			if (!d->dgs[i].used)
				g = &d->dgs[i];
		if (!g && !evict_oldest(d, NULL))
			return NULL;
	}
	if (!g)
		return NULL;
	memset(g, 0, sizeof(*g));
	g->used = true;
	g->v6 = v6;
	g->s = m->saddr;
	g->d = m->daddr;
	g->id = m->frag_id;
	g->zone = zone;
	g->proto = v6 ? 0 : m->proto;
	g->head = NIL;
	g->seq = d->seq++;
	/* Lifetime from the first fragment seen, not refreshed (as Linux). */
	g->expires = now + (uint64_t)t * NS_PER_S;
	return g;
}

/* ---- one fragment ---- */

/* Where a fragment's payload lies in its frame and in the datagram. */
struct geom {
	size_t start, stop; /* payload bytes [start, stop) of the frame */
	size_t unfrag;	    /* bytes before the fragmentable part (IPv6: up to the frag header) */
	uint32_t off, end;  /* in the datagram */
	bool more;	    /* more fragments follow */
};

/*
 * Trust: @m was parsed from @frame, but every offset used to copy bytes is
 * checked against @len here again, so a parser slip cannot turn into an
 * out-of-bounds read.
 */
static bool geometry(const struct pkt_meta *m, size_t len, const uint8_t *frame, struct geom *gm)
{
	bool v6 = m->l3 == PKT_L3_IPV6;

	gm->stop = (size_t)m->l4_off + m->l4_len;
	if (v6) {
		gm->unfrag = m->frag_hdr_off;
		gm->start = (size_t)m->frag_hdr_off + 8;
		if (m->frag_hdr_off < (size_t)m->l3_off + 40 || gm->start > len ||
		    m->frag_nh_off >= m->frag_hdr_off)
			return false;
		gm->more = frame[m->frag_hdr_off + 3] & 1;
	} else {
		gm->unfrag = gm->start = m->l4_off;
		if ((size_t)m->l3_off + 20 > len)
			return false;
		gm->more = frame[m->l3_off + 6] & 0x20;
	}
	if (gm->start > gm->stop || gm->stop > len)
		return false;
	gm->off = m->frag_off;
	gm->end = gm->off + (uint32_t)(gm->stop - gm->start);
	return true;
}

/* Linux's checks of a fragment against its datagram; -1 kills it, 0 drops the fragment. */
static int check_frag(const struct df_dgram *g, const struct geom *gm)
{
	if (gm->end > V6_MAXPLEN)
		return 0;
	if (!gm->more) {
		/* The last one may not cut off data already seen, nor move the end. */
		if (gm->end < g->max_end || (g->last_in && gm->end != g->total))
			return 0;
	} else {
		/* IPv6 requires 8-byte multiples (RFC 8200); Linux truncates IPv4's, we refuse. */
		if (gm->end & 7)
			return g->v6 ? -1 : 0;
		if (g->last_in && gm->end > g->total)
			return 0;
	}
	return gm->end == gm->off ? 0 : 1;
}

/* 1: new data, 0: an exact duplicate, -1: an overlap (the datagram must go). */
static int place(const struct defrag *d, const struct df_dgram *g, const struct geom *gm,
		 uint32_t *prev)
{
	*prev = NIL;
	for (uint32_t i = g->head; i != NIL; i = d->frags[i].next) {
		const struct df_frag *f = &d->frags[i];

		if (f->off == gm->off && f->end == gm->end)
			return 0;
		if (gm->off < f->end && f->off < gm->end)
			return -1;
		if (f->off < gm->off)
			*prev = i;
	}
	return 1;
}

/* Keep the datagram's headers: its first payload bytes and the first fragment's L2/L3. */
static bool keep_headers(struct df_dgram *g, const struct pkt_meta *m, const uint8_t *frame,
			 const struct geom *gm)
{
	if (gm->off < DF_HDR_MAX) {
		size_t n = gm->end < DF_HDR_MAX ? gm->end - gm->off : DF_HDR_MAX - gm->off;

		memcpy(g->hdr + gm->off, frame + gm->start, n);
	}
	if (gm->off != 0)
		return true;
	/* Longer IPv6 chains before the fragment header are not reassembled (dropped). */
	if (gm->unfrag > DF_UNFRAG_MAX)
		return false;
	memcpy(g->ufrag, frame, gm->unfrag);
	g->unfrag_len = (uint16_t)gm->unfrag;
	g->l3_off = m->l3_off;
	g->frag_hdr = m->frag_hdr_off;
	g->frag_nh = m->frag_nh_off;
	g->next_hdr = g->v6 ? frame[m->frag_hdr_off] : 0; /* geometry(): inside the frame */
	g->first_in = true;
	return true;
}

/* ---- a whole datagram ---- */

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The unfragmented headers: the first fragment's L2/L3, fixed up, and the payload's start. */
static void synth(const struct df_dgram *g, struct df_done *out)
{
	size_t copy = g->total < DF_HDR_MAX ? g->total : DF_HDR_MAX;
	uint8_t *f = out->frame, *ip = f + g->l3_off;

	memcpy(f, g->ufrag, g->unfrag_len);
	memcpy(f + g->unfrag_len, g->hdr, copy);
	out->len = g->unfrag_len + copy;
	if (g->v6) {
		f[g->frag_nh] = g->next_hdr; /* skip the fragment header */
		wr16(ip + 4, (uint16_t)(out->len - g->l3_off - 40));
		return;
	}
	/* Only what was received is described: the parser checks lengths against it. */
	wr16(ip + 2, (uint16_t)(out->len - g->l3_off));
	wr16(ip + 6, rd16(ip + 6) & 0x4000); /* keep DF, clear MF and the offset */
	wr16(ip + 10, 0);
	wr16(ip + 10, ip_csum(ip, g->unfrag_len - g->l3_off));
}

/*
 * Parse the synthetic frame, then give the meta the whole datagram's L4
 * length (TCP tracking needs the segment's true length). A UDP header's
 * length describes the whole datagram: it is checked against that here
 * (Linux's udp_error: 8 <= length <= payload), and the copy is made to
 * describe the truncated frame the parser sees.
 */
static void parse_whole(const struct df_dgram *g, struct df_done *out)
{
	uint32_t l4_total;
	bool bad = false;

	pkt_parse(out->frame, out->len, 0, &out->meta);
	if (out->meta.l4_off < g->unfrag_len) {
		out->meta.flags |= PKT_MALFORMED;
		return;
	}
	l4_total = g->total - (out->meta.l4_off - g->unfrag_len);
	if (out->meta.proto == P_UDP && (size_t)out->meta.l4_off + 8 <= out->len &&
	    l4_total > out->len - out->meta.l4_off) {
		uint16_t ulen = rd16(out->frame + out->meta.l4_off + 4);

		bad = ulen < 8 || ulen > l4_total;
		wr16(out->frame + out->meta.l4_off + 4, (uint16_t)(out->len - out->meta.l4_off));
		pkt_parse(out->frame, out->len, 0, &out->meta);
		wr16(out->frame + out->meta.l4_off + 4, ulen);
	}
	out->meta.l4_len = (uint16_t)l4_total;
	out->meta.frame_len = (uint32_t)(g->unfrag_len + g->total);
	out->meta.flags |= PKT_REASM | (bad ? PKT_MALFORMED : 0);
}

static void complete(struct defrag *d, struct df_dgram *g, struct df_done *out)
{
	out->n = 0;
	synth(g, out);
	parse_whole(g, out);
	for (uint32_t i = g->head, nx; i != NIL; i = nx) {
		nx = d->frags[i].next;
		out->handles[out->n++] = d->frags[i].handle;
		free_frag(d, i);
	}
	memset(g, 0, sizeof(*g));
	d->stats.done++;
}

/* Room for one more fragment of @g from its source; false: drop this fragment. */
static bool make_room(struct defrag *d, struct df_dgram *g)
{
	uint32_t frags, dgrams;

	src_usage(d, &g->s, &frags, &dgrams);
	/* A source gets at most its share, and half the datagram records. */
	if (frags >= d->cfg.max_per_src || dgrams > d->cfg.max_dgrams / 2 + 1) {
		d->stats.src_limit++;
		return false;
	}
	while (d->nheld >= d->cfg.max_frags)
		if (!evict_oldest(d, g))
			return false;
	return true;
}

static void insert(struct defrag *d, struct df_dgram *g, const struct geom *gm, uint32_t prev,
		   void *handle)
{
	uint32_t i = d->free_frag;
	struct df_frag *f = &d->frags[i];

	d->free_frag = f->next;
	d->nheld++;
	f->handle = handle;
	f->off = gm->off;
	f->end = gm->end;
	if (prev == NIL) {
		f->next = g->head;
		g->head = i;
	} else {
		f->next = d->frags[prev].next;
		d->frags[prev].next = i;
	}
	g->nfrags++;
	g->meat += gm->end - gm->off;
	if (gm->end > g->max_end)
		g->max_end = gm->end;
	if (!gm->more) {
		g->last_in = true;
		g->total = gm->end;
	}
	d->stats.held++;
}

/* Refuse the fragment; an empty datagram record it created goes too. */
static enum df_res refuse(struct df_dgram *g, uint64_t *counter)
{
	(*counter)++;
	if (g->nfrags == 0)
		memset(g, 0, sizeof(*g));
	return DF_DROP;
}

static enum df_res refuse_all(struct defrag *d, struct df_dgram *g, uint64_t *counter)
{
	(*counter)++;
	kill(d, g, DF_WHY_INVALID);
	return DF_DROP;
}

enum df_res df_add(struct defrag *d, const struct pkt_meta *m, const uint8_t *frame, size_t len,
		   uint16_t zone, void *handle, uint64_t now_ns, struct df_done *out)
{
	struct df_dgram *g;
	struct geom gm;
	uint32_t prev;
	int rc;

	if (!(m->flags & PKT_FRAGMENT) || (m->flags & PKT_MALFORMED) ||
	    (m->l3 != PKT_L3_IPV4 && m->l3 != PKT_L3_IPV6))
		return DF_PASS;
	if (!geometry(m, len, frame, &gm)) {
		d->stats.bad++;
		return DF_DROP;
	}
	g = find(d, m, zone);
	if (!g && !(g = create(d, m, zone, now_ns))) {
		d->stats.too_many++;
		return DF_DROP;
	}
	rc = check_frag(g, &gm);
	if (rc <= 0)
		return rc < 0 ? refuse_all(d, g, &d->stats.bad) : refuse(g, &d->stats.bad);
	rc = place(d, g, &gm, &prev);
	if (rc <= 0)
		return rc < 0 ? refuse_all(d, g, &d->stats.overlap) : refuse(g, &d->stats.dup);
	if (g->nfrags == DF_DGRAM_FRAGS_MAX) /* it can never be whole here */
		return refuse_all(d, g, &d->stats.too_many);
	if (!make_room(d, g))
		return refuse(g, &d->stats.too_many);
	if (!keep_headers(g, m, frame, &gm))
		return refuse_all(d, g, &d->stats.bad);
	insert(d, g, &gm, prev, handle);
	if (!g->first_in || !g->last_in || g->meat != g->total)
		return DF_HELD;
	complete(d, g, out);
	return DF_DONE;
}
