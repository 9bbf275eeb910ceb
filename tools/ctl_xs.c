// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: the Xen side, on Debian's libxenstore (xenstore.h) and
 * libxenctrl (domain list and states). Only this file talks to either
 * library. A domain's appliance keys are under
 * /local/domain/<domid>/data/sluice/ (sluice/hostkeys.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>
#include <xenstore.h>

#include "ctl_int.h"
#include "sluice/numparse.h"

#define PATH_MAX_LEN 256
#define LIST_BATCH 256 /* domains per xc_domain_getinfolist call */

struct ctl {
	struct xs_handle *xs;
	xc_interface *xc;
};

/* Per target: the connection it came from and its watches. */
struct xtarget {
	struct ctl *c;
	bool watching;
	char watch_paths[3][PATH_MAX_LEN];
};

static const char *const watch_tokens[3] = {"sluice-ctl/result", "sluice-ctl/status",
					    "sluice-ctl/release"};

struct ctl *ctl_open(bool quiet)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (!c) {
		fprintf(stderr, "sluice-ctl: out of memory\n");
		return NULL;
	}
	c->xs = xs_open(0);
	if (!c->xs) {
		if (!quiet)
			fprintf(stderr,
				"sluice-ctl: cannot connect to xenstore: %s (run sluice-ctl as "
				"root in dom0, or name a control socket)\n",
				strerror(errno));
		free(c);
		return NULL;
	}
	/* libxenctrl's default logger has already said why on stderr. */
	c->xc = xc_interface_open(NULL, NULL, 0);
	if (!c->xc) {
		if (!quiet)
			fprintf(stderr,
				"sluice-ctl: cannot open the hypervisor interface: %s (run "
				"sluice-ctl as root in dom0)\n",
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
	xc_interface_close(c->xc);
	xs_close(c->xs);
	free(c);
}

static int raw_path(char *buf, uint32_t domid, const char *key)
{
	int n = snprintf(buf, PATH_MAX_LEN, "/local/domain/%" PRIu32 "/%s", domid, key);

	return n < 0 || n >= PATH_MAX_LEN ? -ENAMETOOLONG : 0;
}

static int dom_path(char *buf, uint32_t domid, const char *key)
{
	int n = snprintf(buf, PATH_MAX_LEN, "/local/domain/%" PRIu32 "/" HK_XS_DIR "/%s", domid,
			 key);

	return n < 0 || n >= PATH_MAX_LEN ? -ENAMETOOLONG : 0;
}

static struct ctl *conn(struct ctl_target *t)
{
	return ((struct xtarget *)t->priv)->c;
}

static char *x_read(struct ctl_target *t, uint32_t tx, const char *key, size_t *len)
{
	char path[PATH_MAX_LEN];
	unsigned int n;
	char *v;

	if (dom_path(path, t->domid, key) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	v = xs_read(conn(t)->xs, tx, path, &n); /* libxenstore NUL-terminates the value */
	if (v && len)
		*len = n;
	return v;
}

static int x_write(struct ctl_target *t, uint32_t tx, const char *key, const void *val, size_t len)
{
	char path[PATH_MAX_LEN];
	int r = dom_path(path, t->domid, key);

	if (r < 0)
		return r;
	if (!xs_write(conn(t)->xs, tx, path, val, (unsigned int)len))
		return errno ? -errno : -EIO;
	return 0;
}

static int x_rm(struct ctl_target *t, uint32_t tx, const char *key)
{
	char path[PATH_MAX_LEN];
	int r = dom_path(path, t->domid, key);

	if (r < 0)
		return r;
	if (!xs_rm(conn(t)->xs, tx, path) && errno != ENOENT)
		return errno ? -errno : -EIO;
	return 0;
}

static int x_tx_start(struct ctl_target *t, uint32_t *tx)
{
	xs_transaction_t x = xs_transaction_start(conn(t)->xs);

	if (x == XBT_NULL)
		return errno ? -errno : -EIO;
	*tx = x;
	return 0;
}

static int x_tx_end(struct ctl_target *t, uint32_t tx, bool commit)
{
	if (xs_transaction_end(conn(t)->xs, tx, !commit))
		return 0;
	return errno ? -errno : -EIO;
}

static int x_alive(struct ctl_target *t)
{
	xc_domaininfo_t info;
	int got = xc_domain_getinfolist(conn(t)->xc, t->domid, 1, &info);

	if (got < 0)
		return errno ? -errno : -EIO;
	if (got == 0 || info.domain != t->domid)
		return 0;
	return (info.flags & (XEN_DOMINF_dying | XEN_DOMINF_shutdown)) ? 0 : 1;
}

static int x_watch_start(struct ctl_target *t)
{
	struct xtarget *x = t->priv;
	int r;

	if (x->watching)
		return -EBUSY;
	r = dom_path(x->watch_paths[0], t->domid, CTL_KEY_RESULT);
	if (r == 0)
		r = dom_path(x->watch_paths[1], t->domid, CTL_KEY_STATUS);
	if (r < 0)
		return r;
	/* Fires when any domain is destroyed; the caller then checks whether it was ours. */
	snprintf(x->watch_paths[2], PATH_MAX_LEN, "@releaseDomain");
	for (int i = 0; i < 3; i++) {
		if (!xs_watch(x->c->xs, x->watch_paths[i], watch_tokens[i])) {
			r = errno ? -errno : -EIO;
			while (--i >= 0)
				xs_unwatch(x->c->xs, x->watch_paths[i], watch_tokens[i]);
			return r;
		}
	}
	x->watching = true;
	return 0;
}

static void x_watch_stop(struct ctl_target *t)
{
	struct xtarget *x = t->priv;

	if (!x->watching)
		return;
	for (int i = 0; i < 3; i++)
		xs_unwatch(x->c->xs, x->watch_paths[i], watch_tokens[i]);
	x->watching = false;
}

static int x_wait(struct ctl_target *t, uint64_t deadline_ms)
{
	struct pollfd p = {.fd = xs_fileno(conn(t)->xs), .events = POLLIN};
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
	while ((ev = xs_check_watch(conn(t)->xs)) != NULL)
		free(ev); /* which watch fired does not matter: the caller re-reads everything */
	return 0;
}

static void x_close(struct ctl_target *t)
{
	x_watch_stop(t);
	free(t->priv);
	t->priv = NULL;
}

static const struct ctl_kv_ops xen_ops = {
	.read = x_read,
	.write = x_write,
	.rm = x_rm,
	.tx_start = x_tx_start,
	.tx_end = x_tx_end,
	.watch_start = x_watch_start,
	.wait = x_wait,
	.watch_stop = x_watch_stop,
	.alive = x_alive,
	.close = x_close,
};

void ctl_xen_target(struct ctl *c, struct ctl_target *t)
{
	struct xtarget *x = calloc(1, sizeof(*x));

	if (!x) {
		fprintf(stderr, "sluice-ctl: out of memory\n");
		exit(CTL_EXIT_SYSTEM);
	}
	x->c = c;
	t->ops = &xen_ops;
	t->priv = x;
	t->is_socket = false;
}

static char *read_name(struct ctl *c, uint32_t domid)
{
	char path[PATH_MAX_LEN];
	unsigned int n;

	if (raw_path(path, domid, "name") < 0)
		return NULL;
	return xs_read(c->xs, XBT_NULL, path, &n);
}

void ctl_free_doms(struct ctl_target *doms, size_t n)
{
	for (size_t i = 0; doms && i < n; i++)
		free(doms[i].name);
	free(doms);
}

int ctl_list_domains(struct ctl *c, struct ctl_target **doms, size_t *n)
{
	xc_domaininfo_t info[LIST_BATCH];
	struct ctl_target *out = NULL;
	size_t count = 0;
	uint32_t first = 0;
	int got;

	/* Batches in domid order: each call starts after the last domain seen. */
	do {
		struct ctl_target *grown;

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
			struct ctl_target *d = &out[count++];

			memset(d, 0, sizeof(*d));
			d->domid = info[i].domain;
			d->flags = info[i].flags;
			d->name = read_name(c, d->domid);
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

int ctl_resolve(struct ctl *c, const char *arg, struct ctl_target *out)
{
	struct ctl_target *doms;
	size_t n, found = 0;
	int r;

	r = ctl_list_domains(c, &doms, &n);
	if (r < 0)
		return r;
	/* Like xl: a number is a domid (leading zeros and all), anything else a name. */
	if (all_digits(arg)) {
		uint64_t id = UINT64_MAX; /* too big to be a domid: matches none */

		num_parse_dec(arg, strlen(arg), 0, &id);
		for (size_t i = 0; i < n; i++) {
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
	if (found > 1)
		return -ENOTUNIQ;
	ctl_xen_target(c, out);
	return 0;
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
