// SPDX-License-Identifier: BSD-2-Clause
/*
 * Tar archive index for the config disk.
 *
 * Trust: the archive comes from whoever attached the disk and may be
 * corrupt, truncated or hostile. Nothing in a header is believed before its
 * checksum and magic match; every number is parsed strictly and bounded
 * before it is used as an offset or a size; every offset is checked against
 * the archive size before it is read (so a size field can neither send us
 * past the end nor make us loop); names are normalised and paths that could
 * escape a directory, or hide text on a console, are refused. Nothing is
 * half-indexed: any failure empties the index.
 *
 * Messages name the member when its header was sound enough to believe its
 * name ("member 'etc/../x': path traversal"), else the header's offset
 * ("header at offset 1024: bad checksum (after member 'etc/a')"). Names are
 * quoted with control bytes replaced by '?' and cut at USTAR_ERR_HINT bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/numparse.h"
#include "sluice/ustar.h"

/* Header layout (POSIX.1-1988 ustar; GNU shares everything up to 345). */
#define H_NAME 0
#define H_SIZE 124
#define H_CHKSUM 148
#define H_TYPE 156
#define H_MAGIC 257
#define H_VERSION 263
#define H_PREFIX 345
#define NAME_LEN 100
#define PREFIX_LEN 155

/*
 * Raw (not yet normalised) names may be longer than the normalised limit
 * ("./" prefixes, "." components); anything longer than this is refused
 * before normalisation even starts.
 */
#define RAW_NAME_MAX (2 * USTAR_PATH_MAX + 2)

/*
 * Headers read in one walk: a member has at most three extended headers
 * before it ('x', 'L', 'K'). Without this bound, an archive of endless
 * root entries or pax globals (none of which is a member) would keep the
 * reader busy for as long as the disk is large.
 */
#define MAX_HEADERS 1088
_Static_assert(MAX_HEADERS >= 4 * USTAR_MAX_MEMBERS + 64, "room for every member's headers");

#define STR_(x) #x
#define STR(x) STR_(x)
#define BAD_PAX_PATH "invalid pax path (empty, NUL byte or over " STR(USTAR_PATH_MAX) " bytes)"

struct walk {
	struct ustar *u;
	uint64_t size; /* usable archive bytes: whole blocks only */
	uint64_t off;  /* current header */
	char *err;
	size_t errlen;
	uint8_t blk[USTAR_BLOCK];      /* current header */
	char name[RAW_NAME_MAX + 1];   /* current header's own name (prefix/name) */
	bool long_name, pax, pax_path; /* pending extended data for the next member */
	char pend[RAW_NAME_MAX + 1];   /* pending path: GNU 'L' or pax `path` */
	bool pend_size;
	uint64_t pend_size_val;
	const char *prev; /* last member indexed, for "after member" hints */
	unsigned int headers;
};

/* Quote @s for a message: control bytes become '?', long names are cut. */
static const char *quote(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < outlen && i < USTAR_ERR_HINT; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
	if (s[i] && outlen > 4 && i >= 3)
		memcpy(out + i - 3, "...", 3);
	return out;
}

static int werr(struct walk *w, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int werr(struct walk *w, int rc, const char *fmt, ...)
{
	va_list ap;

	if (w->err && w->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(w->err, w->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* "member 'NAME': REASON" for the member whose header is current. */
static int member_err(struct walk *w, int rc, const char *name, const char *why)
{
	char q[USTAR_ERR_HINT + 1];

	return werr(w, rc, "member '%s': %s", quote(name, q, sizeof(q)), why);
}

/* "header at offset N: REASON (after member 'PREV')" when the name cannot be trusted. */
static int header_err(struct walk *w, int rc, const char *why)
{
	char q[USTAR_ERR_HINT + 1];

	if (!w->prev)
		return werr(w, rc, "header at offset %llu: %s", (unsigned long long)w->off, why);
	return werr(w, rc, "header at offset %llu: %s (after member '%s')",
		    (unsigned long long)w->off, why, quote(w->prev, q, sizeof(q)));
}

static int truncated(struct walk *w)
{
	char q[USTAR_ERR_HINT + 1];

	if (!w->prev)
		return werr(w, -EINVAL, "truncated archive: no end-of-archive marker");
	return werr(w, -EINVAL, "truncated archive: no end-of-archive marker (after member '%s')",
		    quote(w->prev, q, sizeof(q)));
}

static int read_at(struct walk *w, uint64_t off, void *buf, size_t len)
{
	int rc = w->u->read(w->u->ctx, off, buf, len);

	if (rc < 0)
		return werr(w, rc, "read error at offset %llu (%d)", (unsigned long long)off, rc);
	return 0;
}

/*
 * A numeric header field: octal digits after optional blanks, ended by the
 * field's end, NUL or blanks only; or GNU base-256 (first byte 0x80, then
 * big-endian; 0xff would be negative and is refused). Overflow is an error,
 * never a wrap: a wrapped size would pass the bounds checks.
 */
static int parse_num(const uint8_t *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -EINVAL;
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -EINVAL;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	if (i == len || f[i] < '0' || f[i] > '7')
		return -EINVAL;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return -EINVAL;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -EINVAL;
	*out = v;
	return 0;
}

/*
 * The checksum is the sum of the header bytes with the checksum field
 * counted as blanks. Historic tars summed signed chars, so either sum is
 * accepted (as GNU tar does).
 */
static bool checksum_ok(const uint8_t *h)
{
	uint64_t want;
	uint32_t usum = 0;
	int32_t ssum = 0;

	if (parse_num(h + H_CHKSUM, 8, &want) < 0)
		return false;
	for (size_t i = 0; i < USTAR_BLOCK; i++) {
		bool in_field = i >= H_CHKSUM && i < H_CHKSUM + 8;

		usum += in_field ? ' ' : h[i];
		ssum += in_field ? ' ' : (int8_t)h[i];
	}
	return want == usum || (ssum >= 0 && want == (uint64_t)ssum);
}

static bool is_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Copy a possibly unterminated fixed-width field; returns its length. */
static size_t field_str(char *dst, const uint8_t *src, size_t n)
{
	size_t len = 0;

	while (len < n && src[len])
		len++;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return len;
}

/*
 * Identify the format and assemble the header's own name. Only POSIX
 * ustar has a prefix field: in GNU headers the same bytes hold times and
 * sparse maps, so reading them as a name would invent paths.
 */
static int header_format(struct walk *w)
{
	const uint8_t *h = w->blk;
	size_t len = 0;
	bool gnu;

	if (memcmp(h + H_MAGIC, "ustar\0", 6) == 0 && memcmp(h + H_VERSION, "00", 2) == 0)
		gnu = false;
	else if (memcmp(h + H_MAGIC, "ustar ", 6) == 0 && memcmp(h + H_VERSION, " \0", 2) == 0)
		gnu = true;
	else
		return header_err(w, -EINVAL, "not a ustar or GNU tar header (bad magic)");
	if (!gnu && h[H_PREFIX]) {
		len = field_str(w->name, h + H_PREFIX, PREFIX_LEN);
		w->name[len++] = '/';
	}
	field_str(w->name + len, h + H_NAME, NAME_LEN);
	return 0;
}

/* Size of the current header's data: bounded, and inside the archive. */
static int data_size(struct walk *w, const char *name, uint64_t max, bool pax_ok, uint64_t *out)
{
	char why[128];
	uint64_t size;

	if (parse_num(w->blk + H_SIZE, 12, &size) < 0)
		return member_err(w, -EINVAL, name, "invalid size field");
	if (pax_ok && w->pend_size)
		size = w->pend_size_val;
	if (size > max) {
		snprintf(why, sizeof(why), "too large (%llu bytes, max %llu)",
			 (unsigned long long)size, (unsigned long long)max);
		return member_err(w, -E2BIG, name, why);
	}
	/* w->off + USTAR_BLOCK <= w->size holds: the header was read. */
	if (size > w->size - w->off - USTAR_BLOCK) {
		snprintf(why, sizeof(why),
			 "truncated (%llu bytes of data at offset %llu, "
			 "archive has %llu)",
			 (unsigned long long)size, (unsigned long long)(w->off + USTAR_BLOCK),
			 (unsigned long long)w->size);
		return member_err(w, -EINVAL, name, why);
	}
	*out = size;
	return 0;
}

/* Read the current header's data (an extended header) into scratch, NUL-terminated. */
static int read_ext(struct walk *w, uint64_t size)
{
	size_t blocks = (size_t)((size + USTAR_BLOCK - 1) / USTAR_BLOCK);
	int rc;

	/*
	 * data_size() put the data inside the archive, which is whole blocks,
	 * and bounded it by USTAR_EXT_MAX: the padded blocks fit both.
	 */
	if (blocks &&
	    (rc = read_at(w, w->off + USTAR_BLOCK, w->u->scratch, blocks * USTAR_BLOCK)) < 0)
		return rc;
	w->u->scratch[size] = '\0';
	return 0;
}

/* GNU 'L': the next member's name, NUL-terminated inside the data. */
static int gnu_long_name(struct walk *w, uint64_t size)
{
	size_t len;
	int rc;

	if (w->long_name)
		return member_err(w, -EINVAL, w->name, "two GNU long names in a row");
	if ((rc = read_ext(w, size)) < 0)
		return rc;
	len = strlen(w->u->scratch);
	if (len == 0)
		return member_err(w, -EINVAL, w->name, "empty GNU long name");
	if (len > RAW_NAME_MAX)
		return member_err(w, -EINVAL, w->u->scratch,
				  "name too long (max " STR(USTAR_PATH_MAX) " bytes)");
	w->long_name = true;
	if (!w->pax_path) /* a pax path, where both exist, is the authoritative one */
		memcpy(w->pend, w->u->scratch, len + 1);
	return 0;
}

/* Apply one pax keyword (@global: from a 'g' header). */
static int pax_keyword(struct walk *w, bool global, const char *key, size_t klen, const char *val,
		       size_t vlen)
{
	char why[96];

	if (klen == 4 && (memcmp(key, "path", 4) == 0 || memcmp(key, "size", 4) == 0) && global) {
		snprintf(why, sizeof(why), "global '%.4s' not supported", key);
		return member_err(w, -EINVAL, w->name, why);
	}
	if (klen >= 11 && memcmp(key, "GNU.sparse.", 11) == 0)
		return member_err(w, -EINVAL, w->name, "GNU sparse files not supported");
	if (klen == 4 && memcmp(key, "path", 4) == 0) {
		if (vlen == 0 || memchr(val, '\0', vlen) || vlen > RAW_NAME_MAX)
			return member_err(w, -EINVAL, w->name, BAD_PAX_PATH);
		memcpy(w->pend, val, vlen);
		w->pend[vlen] = '\0';
		w->pax_path = true;
	} else if (klen == 4 && memcmp(key, "size", 4) == 0) {
		if (num_parse_dec(val, vlen, 0, &w->pend_size_val) < 0)
			return member_err(w, -EINVAL, w->name, "invalid pax size");
		w->pend_size = true;
	}
	return 0; /* other keywords do not change which bytes a file holds */
}

/*
 * Records are "LEN KEY=VALUE\n" where LEN (decimal) counts the whole record.
 * Each is checked against what is left of the data before it is used.
 */
static int pax_records(struct walk *w, bool global, uint64_t size)
{
	const char *p = w->u->scratch, *end = p + size;

	while (p < end) {
		const char *rec = p, *key, *eq;
		uint64_t len = 0;
		int rc;

		while (p < end && *p >= '0' && *p <= '9' && len <= USTAR_EXT_MAX)
			len = len * 10 + (uint64_t)(*p++ - '0');
		if (p == rec || p == end || *p != ' ' || len > (uint64_t)(end - rec) ||
		    len < (uint64_t)(p - rec) + 3 || rec[len - 1] != '\n')
			return member_err(w, -EINVAL, w->name, "malformed pax record");
		key = p + 1;
		eq = memchr(key, '=', (size_t)(rec + len - 1 - key));
		if (!eq || eq == key)
			return member_err(w, -EINVAL, w->name, "malformed pax record");
		rc = pax_keyword(w, global, key, (size_t)(eq - key), eq + 1,
				 (size_t)(rec + len - 1 - (eq + 1)));
		if (rc < 0)
			return rc;
		p = rec + len;
	}
	return 0;
}

static int pax_header(struct walk *w, bool global, uint64_t size)
{
	int rc;

	if (!global && w->pax)
		return member_err(w, -EINVAL, w->name, "two pax headers in a row");
	if ((rc = read_ext(w, size)) < 0)
		return rc;
	if (!global)
		w->pax = true;
	return pax_records(w, global, size);
}

/* Why a member type is refused, or NULL for the types we index. */
static const char *type_refusal(uint8_t t, char *buf, size_t len)
{
	switch (t) {
	case '0':
	case '\0':
	case '7':
	case '5':
		return NULL;
	case '1':
		return "hard links not supported";
	case '2':
		return "symbolic links not supported";
	case '3':
	case '4':
		return "device nodes not supported";
	case '6':
		return "FIFOs not supported";
	case 'S':
		return "GNU sparse files not supported";
	case 'M':
	case 'V':
		return "multi-volume archives not supported";
	}
	if (t > 0x20 && t < 0x7f)
		snprintf(buf, len, "member type '%c' not supported", t);
	else
		snprintf(buf, len, "member type 0x%02x not supported", t);
	return buf;
}

static bool duplicate(const struct ustar *u, const char *path)
{
	for (unsigned int i = 0; i < u->n; i++)
		if (strcmp(u->m[i].path, path) == 0)
			return true;
	return false;
}

/* A file or directory header: validate and add it to the index. */
static int add_member(struct walk *w, const char *name, bool dir, uint64_t *datalen)
{
	struct ustar *u = w->u;
	struct ustar_member *m = &u->m[u->n < USTAR_MAX_MEMBERS ? u->n : 0];
	char path[USTAR_PATH_MAX + 1];
	const char *reason;
	int rc;

	if ((rc = data_size(w, name, dir ? 0 : USTAR_FILE_MAX, true, datalen)) < 0) {
		if (dir && rc == -E2BIG) /* a directory's "data" would be a GNU dumpdir */
			return member_err(w, -EINVAL, name, "directory with data");
		return rc;
	}
	if (ustar_normalize(name, dir, path, sizeof(path), &reason) < 0)
		return member_err(w, -EINVAL, name, reason);
	if (path[0] == '\0') {
		if (dir)
			return 0; /* "./": the archive root itself */
		return member_err(w, -EINVAL, name, "empty path");
	}
	if (duplicate(u, path))
		return member_err(w, -EEXIST, name, "duplicate path");
	if (u->n >= USTAR_MAX_MEMBERS)
		return member_err(w, -E2BIG, name,
				  "too many members (max " STR(USTAR_MAX_MEMBERS) ")");
	memcpy(m->path, path, sizeof(path));
	m->offset = w->off + USTAR_BLOCK;
	m->size = *datalen;
	m->dir = dir;
	u->n++;
	if (!dir) {
		u->nfiles++;
		u->file_bytes += m->size;
	}
	w->prev = m->path;
	return 0;
}

/* The 'x'/'g'/'L'/'K' records that qualify the next member. */
static int ext_header(struct walk *w, uint8_t type, uint64_t *datalen)
{
	int rc = data_size(w, w->name, USTAR_EXT_MAX, false, datalen);

	if (rc < 0)
		return rc;
	if (type == 'L')
		return gnu_long_name(w, *datalen);
	if (type == 'K')
		return 0; /* a link target: the link that follows is refused on its own */
	return pax_header(w, type == 'g', *datalen);
}

/* One header at w->off; *@datalen receives the bytes of data that follow it. */
static int one_header(struct walk *w, uint64_t *datalen)
{
	uint8_t type = w->blk[H_TYPE];
	const char *name, *refused;
	char buf[48];
	int rc;

	if (!checksum_ok(w->blk))
		return header_err(w, -EINVAL, "bad checksum");
	if ((rc = header_format(w)) < 0)
		return rc;
	if (type == 'x' || type == 'g' || type == 'L' || type == 'K')
		return ext_header(w, type, datalen);
	name = (w->pax_path || w->long_name) ? w->pend : w->name;
	if ((refused = type_refusal(type, buf, sizeof(buf))))
		return member_err(w, -EINVAL, name, refused);
	rc = add_member(w, name, type == '5', datalen);
	w->long_name = w->pax = w->pax_path = w->pend_size = false;
	return rc;
}

/* Two zero blocks end the archive; a lone one is corruption, not an end. */
static int end_marker(struct walk *w)
{
	int rc;

	if (w->long_name || w->pax)
		return header_err(w, -EINVAL, "extended header not followed by a member");
	if (w->size - w->off < 2 * USTAR_BLOCK)
		return truncated(w);
	if ((rc = read_at(w, w->off + USTAR_BLOCK, w->blk, USTAR_BLOCK)) < 0)
		return rc;
	if (!is_zero(w->blk, USTAR_BLOCK))
		return header_err(w, -EINVAL, "zero block followed by data");
	w->u->end = w->off + 2 * USTAR_BLOCK;
	return 0;
}

static int walk(struct walk *w)
{
	uint64_t datalen, skip;
	int rc;

	for (;;) {
		if (w->size - w->off < USTAR_BLOCK)
			return truncated(w);
		if ((rc = read_at(w, w->off, w->blk, USTAR_BLOCK)) < 0)
			return rc;
		if (is_zero(w->blk, USTAR_BLOCK))
			return end_marker(w);
		if (++w->headers > MAX_HEADERS)
			return header_err(w, -E2BIG, "too many headers (max " STR(MAX_HEADERS) ")");
		datalen = 0;
		if ((rc = one_header(w, &datalen)) < 0)
			return rc;
		/*
		 * datalen <= size - off - 512 was checked and size is whole
		 * blocks, so the padded data ends inside the archive as well.
		 */
		skip = USTAR_BLOCK + (datalen + USTAR_BLOCK - 1) / USTAR_BLOCK * USTAR_BLOCK;
		w->off += skip;
	}
}

int ustar_index(struct ustar *u, ustar_read_fn read, void *ctx, uint64_t size, char *err,
		size_t errlen)
{
	struct walk w; /* ~1.6 KiB: two raw names and a block */
	int rc;

	if (err && errlen > 0)
		err[0] = '\0';
	memset(&w, 0, sizeof(w));
	u->read = read;
	u->ctx = ctx;
	u->n = u->nfiles = 0;
	u->file_bytes = u->end = 0;
	w.u = u;
	w.size = size / USTAR_BLOCK * USTAR_BLOCK; /* a partial last block cannot hold a header */
	w.err = err;
	w.errlen = errlen;
	rc = walk(&w);
	if (rc < 0)
		u->n = u->nfiles = 0, u->file_bytes = u->end = 0;
	return rc;
}

/* Component-wise normalisation into @out; see the header for the rules. */
int ustar_normalize(const char *in, bool dir, char *out, size_t outlen, const char **why)
{
	size_t len = strlen(in), o = 0;

	if (in[0] == '/')
		return *why = "absolute path", -EINVAL;
	if (dir && len > 0 && in[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			return *why = "control character in path", -EINVAL;
	for (size_t i = 0; i < len;) {
		size_t c = i;

		while (c < len && in[c] != '/')
			c++;
		if (c == i)
			return *why = "empty path component", -EINVAL;
		if (c - i == 2 && in[i] == '.' && in[i + 1] == '.')
			return *why = "path traversal", -EINVAL;
		if (!(c - i == 1 && in[i] == '.')) {
			if (o + (o > 0) + (c - i) + 1 > outlen)
				return *why = "path too long (max " STR(USTAR_PATH_MAX) " bytes)",
				       -EINVAL;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, in + i, c - i);
			o += c - i;
		}
		i = c + 1;
		if (c + 1 == len) /* "a/" without @dir: a trailing empty component */
			return *why = "empty path component", -EINVAL;
	}
	out[o] = '\0';
	return 0;
}

const struct ustar_member *ustar_lookup(const struct ustar *u, const char *path)
{
	char norm[USTAR_PATH_MAX + 1];
	const char *why;

	while (*path == '/')
		path++;
	if (ustar_normalize(path, true, norm, sizeof(norm), &why) < 0 || norm[0] == '\0')
		return NULL;
	for (unsigned int i = 0; i < u->n; i++)
		if (strcmp(u->m[i].path, norm) == 0)
			return &u->m[i];
	return NULL;
}

const struct ustar_member *ustar_member(const struct ustar *u, unsigned int i)
{
	return i < u->n ? &u->m[i] : NULL;
}

ssize_t ustar_read(const struct ustar *u, const struct ustar_member *m, uint64_t off, void *buf,
		   size_t len)
{
	int rc;

	if (m->dir || off >= m->size || len == 0)
		return 0;
	if (len > m->size - off)
		len = (size_t)(m->size - off);
	rc = u->read(u->ctx, m->offset + off, buf, len);
	return rc < 0 ? rc : (ssize_t)len;
}
