// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: the xenstore and hypervisor side, on Debian's libxenstore
 * (xenstore.h) and libxenctrl (domain list and states). Only this file
 * talks to either library.
 *
 * Transactions end in EAGAIN whenever another writer touched a node they
 * read or wrote. The appliance rewrites data/sluice/stats (a sibling of
 * data/sluice/config, so both change data/sluice's child list) while a
 * push runs, hence the generous retry count with a short back-off.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenstore.h>

#include "ctl_int.h"

#define TX_RETRIES 50
#define PATH_MAX_LEN 256
#define LIST_BATCH 256 /* domains per xc_domain_getinfolist call */

struct ctl {
	struct xs_handle *xs;
	xc_interface *xc;
	bool watching;
	char watch_paths[3][PATH_MAX_LEN];
};

static const char *const watch_tokens[3] = {"sluice-ctl/result", "sluice-ctl/status",
					    "sluice-ctl/release"};

uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Short growing pause after EAGAIN, so that a busy writer gets to finish. */
static void backoff(int attempt)
{
	usleep((useconds_t)(1000 * (attempt < 20 ? attempt + 1 : 20)));
}

struct ctl *ctl_open(void)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (!c) {
		fprintf(stderr, "sluice-ctl: out of memory\n");
		return NULL;
	}
	c->xs = xs_open(0);
	if (!c->xs) {
		fprintf(stderr,
			"sluice-ctl: cannot connect to xenstore: %s (run sluice-ctl as root in "
			"dom0)\n",
			strerror(errno));
		free(c);
		return NULL;
	}
	/* libxenctrl's default logger has already said why on stderr. */
	c->xc = xc_interface_open(NULL, NULL, 0);
	if (!c->xc) {
		fprintf(stderr,
			"sluice-ctl: cannot open the hypervisor interface: %s (run sluice-ctl as "
			"root in dom0)\n",
			strerror(errno));
		xs_close(c->xs);
		free(c);
		return NULL;
	}
	return c;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	ctl_watch_stop(c);
	xc_interface_close(c->xc);
	xs_close(c->xs);
	free(c);
}

static int dom_path(char *buf, uint32_t domid, const char *key)
{
	int n = snprintf(buf, PATH_MAX_LEN, "/local/domain/%" PRIu32 "/%s", domid, key);

	return n < 0 || n >= PATH_MAX_LEN ? -ENAMETOOLONG : 0;
}

static char *read_tx(struct ctl *c, xs_transaction_t t, uint32_t domid, const char *key,
		     size_t *len)
{
	char path[PATH_MAX_LEN];
	unsigned int n;
	char *v;

	if (dom_path(path, domid, key) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	v = xs_read(c->xs, t, path, &n); /* libxenstore NUL-terminates the value */
	if (v && len)
		*len = n;
	return v;
}

char *ctl_read(struct ctl *c, uint32_t domid, const char *key, size_t *len)
{
	return read_tx(c, XBT_NULL, domid, key, len);
}

void ctl_free_doms(struct ctl_dom *doms, size_t n)
{
	for (size_t i = 0; doms && i < n; i++)
		free(doms[i].name);
	free(doms);
}

int ctl_list_domains(struct ctl *c, struct ctl_dom **doms, size_t *n)
{
	xc_domaininfo_t info[LIST_BATCH];
	struct ctl_dom *out = NULL;
	size_t count = 0;
	uint32_t first = 0;
	int got;

	/* Batches in domid order: each call starts after the last domain seen. */
	do {
		struct ctl_dom *grown;

		got = xc_domain_getinfolist(c->xc, first, LIST_BATCH, info);
		if (got < 0) {
			int e = errno ? errno : EIO;

			ctl_free_doms(out, count);
			return -e;
		}
		if (got == 0)
			break;
		grown = realloc(out, (count + (size_t)got) * sizeof(*out));
		if (!grown) {
			ctl_free_doms(out, count);
			return -ENOMEM;
		}
		out = grown;
		for (int i = 0; i < got; i++) {
			struct ctl_dom *d = &out[count++];

			d->domid = info[i].domain;
			d->flags = info[i].flags;
			d->name = ctl_read(c, d->domid, "name", NULL);
		}
		first = (uint32_t)info[got - 1].domain + 1;
	} while (got == LIST_BATCH && first < DOMID_FIRST_RESERVED);
	*doms = out;
	*n = count;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int ctl_resolve(struct ctl *c, const char *arg, struct ctl_dom *out)
{
	struct ctl_dom *doms;
	size_t n, found = 0;
	int r;

	r = ctl_list_domains(c, &doms, &n);
	if (r < 0)
		return r;
	/* Like xl: a number is a domid (leading zeros and all), anything else a name. */
	if (all_digits(arg)) {
		unsigned long long id;

		errno = 0;
		id = strtoull(arg, NULL, 10);
		for (size_t i = 0; i < n && errno == 0; i++) {
			if (doms[i].domid == id) {
				*out = doms[i];
				doms[i].name = NULL;
				found = 1;
				break;
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			/* A dying domain's name may already be reused (xl reboot): not a candidate.
			 */
			if (doms[i].flags & XEN_DOMINF_dying)
				continue;
			if (doms[i].name && strcmp(doms[i].name, arg) == 0) {
				if (found++ == 0) {
					*out = doms[i];
					doms[i].name = NULL;
				}
			}
		}
		if (found > 1) {
			free(out->name);
			out->name = NULL;
		}
	}
	ctl_free_doms(doms, n);
	if (found == 0)
		return -ENOENT;
	return found > 1 ? -ENOTUNIQ : 0;
}

int ctl_domain_alive(struct ctl *c, uint32_t domid)
{
	xc_domaininfo_t info;
	int got = xc_domain_getinfolist(c->xc, domid, 1, &info);

	if (got < 0)
		return errno ? -errno : -EIO;
	if (got == 0 || info.domain != domid)
		return 0;
	return (info.flags & (XEN_DOMINF_dying | XEN_DOMINF_shutdown)) ? 0 : 1;
}

/* xl's state letters: running, blocked, paused, shutdown, crashed, dying. */
void ctl_state_string(uint32_t flags, char out[7])
{
	unsigned int why = (flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
	bool shut = flags & XEN_DOMINF_shutdown;

	out[0] = flags & XEN_DOMINF_running ? 'r' : '-';
	out[1] = flags & XEN_DOMINF_blocked ? 'b' : '-';
	out[2] = flags & XEN_DOMINF_paused ? 'p' : '-';
	out[3] = shut && why != SHUTDOWN_crash ? 's' : '-';
	out[4] = shut && why == SHUTDOWN_crash ? 'c' : '-';
	out[5] = flags & XEN_DOMINF_dying ? 'd' : '-';
	out[6] = '\0';
}

/*
 * A generation key: 0 when absent (no push or no update yet), -EPROTO when it
 * holds something else than a canonical decimal.
 */
static int read_gen_tx(struct ctl *c, xs_transaction_t t, uint32_t domid, const char *key,
		       uint64_t *gen)
{
	char *v = read_tx(c, t, domid, key, NULL);
	int r;

	if (!v) {
		if (errno == ENOENT) {
			*gen = 0;
			return 0;
		}
		return errno ? -errno : -EIO;
	}
	r = ctl_parse_u64(v, gen) < 0 ? -EPROTO : 0;
	free(v);
	return r;
}

static int write_tx(struct ctl *c, xs_transaction_t t, uint32_t domid, const char *key,
		    const void *val, size_t len)
{
	char path[PATH_MAX_LEN];
	int r = dom_path(path, domid, key);

	if (r < 0)
		return r;
	if (!xs_write(c->xs, t, path, val, (unsigned int)len))
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * xen/xs.c's write_chunks(): drop the old subtree (a shorter text must not
 * leave stale chunks behind), then <key>/0..N-1, then <key>/count.
 */
static int write_chunks_tx(struct ctl *c, xs_transaction_t t, uint32_t domid, const char *key,
			   const char *val, size_t len)
{
	size_t count = (len + ctl_chunk_data - 1) / ctl_chunk_data;
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN], num[24];
	int r, n;

	if (count > ctl_chunk_count_max)
		return -E2BIG;
	r = dom_path(path, domid, key);
	if (r < 0)
		return r;
	if (!xs_rm(c->xs, t, path) && errno != ENOENT)
		return errno ? -errno : -EIO;
	for (size_t i = 0; i < count; i++) {
		size_t off = i * ctl_chunk_data;
		size_t part = len - off < ctl_chunk_data ? len - off : ctl_chunk_data;

		snprintf(sub, sizeof(sub), "%s/%zu", key, i);
		r = write_tx(c, t, domid, sub, val + off, part);
		if (r < 0)
			return r;
	}
	snprintf(sub, sizeof(sub), "%s/count", key);
	n = snprintf(num, sizeof(num), "%zu", count);
	return write_tx(c, t, domid, sub, num, (size_t)n);
}

/* End @t: 0, -EAGAIN (redo it) or another negative errno. */
static int end_tx(struct ctl *c, xs_transaction_t t, bool commit)
{
	if (xs_transaction_end(c->xs, t, !commit))
		return 0;
	return errno ? -errno : -EIO;
}

int ctl_push(struct ctl *c, uint32_t domid, const char *text, size_t len, uint64_t *gen,
	     uint64_t *active)
{
	if (len > ctl_chunked_max)
		return -E2BIG;
	for (int attempt = 0; attempt < TX_RETRIES; attempt++) {
		uint64_t act = 0, cfg = 0, g = 0;
		char num[24];
		xs_transaction_t t;
		int r;

		if (attempt)
			backoff(attempt);
		t = xs_transaction_start(c->xs);
		if (t == XBT_NULL)
			return errno ? -errno : -EIO;
		/*
		 * Both generations are read inside the transaction: a concurrent push
		 * makes the commit fail, so two pushes never write the same G.
		 */
		r = read_gen_tx(c, t, domid, CTL_KEY_ACTIVE_GEN, &act);
		if (r == 0)
			r = read_gen_tx(c, t, domid, CTL_KEY_CONFIG_GEN, &cfg);
		if (r == 0) {
			g = (act > cfg ? act : cfg) + 1;
			if (g == 0)
				r = -EOVERFLOW; /* a generation of UINT64_MAX: nothing can follow */
		}
		if (r == 0)
			r = write_chunks_tx(c, t, domid, CTL_KEY_CONFIG, text, len);
		if (r == 0) {
			int n = snprintf(num, sizeof(num), "%" PRIu64, g);

			r = write_tx(c, t, domid, CTL_KEY_CONFIG_GEN, num, (size_t)n);
		}
		if (r < 0) {
			end_tx(c, t, false); /* best effort: r is what matters */
			if (r == -EAGAIN)
				continue;
			return r;
		}
		r = end_tx(c, t, true);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return r;
		*gen = g;
		if (active)
			*active = act;
		return 0;
	}
	return -EAGAIN;
}

static int read_chunks_tx(struct ctl *c, xs_transaction_t t, uint32_t domid, const char *key,
			  char **val, size_t *len)
{
	char sub[PATH_MAX_LEN];
	uint64_t count;
	size_t total = 0;
	char *buf = NULL, *v;
	int r;

	snprintf(sub, sizeof(sub), "%s/count", key);
	v = read_tx(c, t, domid, sub, NULL);
	if (!v)
		return errno ? -errno : -EIO;
	r = ctl_parse_u64(v, &count);
	free(v);
	/* The count is the appliance's data, not a loop bound to trust. */
	if (r < 0 || count > ctl_chunk_count_max)
		return -EINVAL;
	buf = malloc(1);
	if (!buf)
		return -ENOMEM;
	for (uint64_t i = 0; i < count; i++) {
		size_t n;
		char *grown;

		snprintf(sub, sizeof(sub), "%s/%" PRIu64, key, i);
		v = read_tx(c, t, domid, sub, &n);
		if (!v) {
			r = errno == ENOENT ? -EINVAL : (errno ? -errno : -EIO);
			free(buf);
			return r;
		}
		grown = realloc(buf, total + n + 1);
		if (!grown) {
			free(v);
			free(buf);
			return -ENOMEM;
		}
		buf = grown;
		memcpy(buf + total, v, n);
		total += n;
		free(v);
	}
	buf[total] = '\0';
	*val = buf;
	*len = total;
	return 0;
}

int ctl_read_chunked(struct ctl *c, uint32_t domid, const char *key, char **val, size_t *len)
{
	for (int attempt = 0; attempt < TX_RETRIES; attempt++) {
		xs_transaction_t t;
		int r;

		if (attempt)
			backoff(attempt);
		t = xs_transaction_start(c->xs);
		if (t == XBT_NULL)
			return errno ? -errno : -EIO;
		r = read_chunks_tx(c, t, domid, key, val, len);
		if (r < 0) {
			end_tx(c, t, false);
			if (r == -EAGAIN)
				continue;
			return r;
		}
		/* Commit, not abort: only a commit says whether a writer raced us. */
		r = end_tx(c, t, true);
		if (r == 0)
			return 0;
		free(*val);
		*val = NULL;
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

void ctl_free_report(struct ctl_report *r)
{
	free(r->status);
	free(r->result);
	free(r->error);
	free(r->active_gen);
	memset(r, 0, sizeof(*r));
}

/* An optional key: NULL when absent; -errno for anything else. */
static int read_opt_tx(struct ctl *c, xs_transaction_t t, uint32_t domid, const char *key,
		       char **out)
{
	*out = read_tx(c, t, domid, key, NULL);
	if (*out || errno == ENOENT)
		return 0;
	return errno ? -errno : -EIO;
}

int ctl_read_report(struct ctl *c, uint32_t domid, struct ctl_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	for (int attempt = 0; attempt < TX_RETRIES; attempt++) {
		xs_transaction_t t;
		int r;

		if (attempt)
			backoff(attempt);
		t = xs_transaction_start(c->xs);
		if (t == XBT_NULL)
			return errno ? -errno : -EIO;
		/* One snapshot: a result and an error from two different updates would lie. */
		r = read_opt_tx(c, t, domid, CTL_KEY_STATUS, &rep->status);
		if (r == 0)
			r = read_opt_tx(c, t, domid, CTL_KEY_RESULT, &rep->result);
		if (r == 0)
			r = read_opt_tx(c, t, domid, CTL_KEY_ERROR, &rep->error);
		if (r == 0)
			r = read_opt_tx(c, t, domid, CTL_KEY_ACTIVE_GEN, &rep->active_gen);
		if (r < 0)
			end_tx(c, t, false);
		else
			r = end_tx(c, t, true);
		if (r == 0)
			return 0;
		ctl_free_report(rep);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

int ctl_watch_start(struct ctl *c, uint32_t domid)
{
	int r;

	if (c->watching)
		return -EBUSY;
	r = dom_path(c->watch_paths[0], domid, CTL_KEY_RESULT);
	if (r == 0)
		r = dom_path(c->watch_paths[1], domid, CTL_KEY_STATUS);
	if (r < 0)
		return r;
	/* Fires when any domain is destroyed; the caller then checks whether it was ours. */
	snprintf(c->watch_paths[2], PATH_MAX_LEN, "@releaseDomain");
	for (int i = 0; i < 3; i++) {
		if (!xs_watch(c->xs, c->watch_paths[i], watch_tokens[i])) {
			r = errno ? -errno : -EIO;
			while (--i >= 0)
				xs_unwatch(c->xs, c->watch_paths[i], watch_tokens[i]);
			return r;
		}
	}
	c->watching = true;
	return 0;
}

void ctl_watch_stop(struct ctl *c)
{
	if (!c->watching)
		return;
	for (int i = 0; i < 3; i++)
		xs_unwatch(c->xs, c->watch_paths[i], watch_tokens[i]);
	c->watching = false;
}

int ctl_wait(struct ctl *c, uint64_t deadline_ms)
{
	struct pollfd p = {.fd = xs_fileno(c->xs), .events = POLLIN};
	uint64_t now = ctl_now_ms();
	char **ev;
	int r;

	if (p.fd < 0)
		return -EIO;
	if (now >= deadline_ms)
		return -ETIMEDOUT;
	/* Capped: a lost event then costs a re-read a second later, not the whole timeout. */
	r = poll(&p, 1, (int)(deadline_ms - now < 1000 ? deadline_ms - now : 1000));
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	while ((ev = xs_check_watch(c->xs)) != NULL)
		free(ev); /* which watch fired does not matter: the caller re-reads everything */
	return 0;
}
