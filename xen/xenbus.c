// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xenbus frontend helpers (docs/xen.md §11).
 *
 * The backend's state node is written by the backend domain and the device
 * nodes by the toolstack: both are parsed strictly and bounded, and a value
 * we cannot make sense of fails the operation with a message naming the
 * key, instead of being guessed at. Watch events are treated as hints only:
 * every wake re-reads the state, and the waits also re-read periodically.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/xenbus.h"

/* snprintf only, hence a macro. A NULL or empty error buffer receives nothing. */
#define XB_ERR(err, errlen, ...)                                                                   \
	do {                                                                                       \
		if ((err) && (errlen) > 0)                                                         \
			snprintf((err), (errlen), __VA_ARGS__);                                    \
	} while (0)

#define BIT(s) XENBUS_STATE_BIT(s)

static const char *const state_names[] = {
	"Unknown", "Initialising", "InitWait",	    "Initialised",  "Connected",
	"Closing", "Closed",	   "Reconfiguring", "Reconfigured",
};
#define NSTATES (sizeof(state_names) / sizeof(state_names[0]))

const char *xenbus_state_name(unsigned int st)
{
	return st < NSTATES ? state_names[st] : "invalid";
}

static uint64_t deadline_after(struct xs_client *c, uint64_t t)
{
	uint64_t now = c->ops->now_ns(c->ctx);

	return now > UINT64_MAX - t ? UINT64_MAX : now + t;
}

static int key_path(char *out, const char *node, const char *key)
{
	int n = snprintf(out, XENBUS_PATH_MAX, "%s/%s", node, key);

	return n < 0 || n >= XENBUS_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* A state node's value (@r: the read's result): one digit naming a state. */
static int state_value(int r, const char *b, size_t len, enum xenbus_state *st)
{
	uint64_t v;

	if (r == -E2BIG)
		return -EINVAL; /* no state has more than one digit */
	if (r < 0)
		return r;
	if (xs_parse_u64(b, len, &v) < 0 || v >= NSTATES)
		return -EINVAL;
	*st = (enum xenbus_state)v;
	return 0;
}

static int read_state_tx(struct xs_client *c, uint32_t tx, const char *node, enum xenbus_state *st)
{
	char path[XENBUS_PATH_MAX], b[4];
	size_t len;
	int r;

	if (!node || !st)
		return -EINVAL;
	r = key_path(path, node, "state");
	if (r < 0)
		return r;
	r = xs_read(c, tx, path, b, sizeof(b), &len);
	return state_value(r, b, len, st);
}

int xenbus_read_state(struct xs_client *c, const char *node_path, enum xenbus_state *st)
{
	return read_state_tx(c, 0, node_path, st);
}

int xenbus_switch_state(struct xs_client *c, uint32_t tx, const char *own_path,
			enum xenbus_state st)
{
	char path[XENBUS_PATH_MAX];
	int r;

	if (!own_path || (unsigned int)st >= NSTATES)
		return -EINVAL;
	r = key_path(path, own_path, "state");
	if (r < 0)
		return r;
	return xs_printf(c, tx, path, "%u", (unsigned int)st);
}

/* "{InitWait}", "{Unknown,Closing,Closed}": the states of @mask in enum order. */
static void fmt_mask(char *out, size_t outlen, uint32_t mask)
{
	size_t off = 1;

	snprintf(out, outlen, "{");
	for (unsigned int s = 0; s < NSTATES && off < outlen; s++) {
		if (!(mask & BIT(s)))
			continue;
		off += (size_t)snprintf(out + off, outlen - off, "%s%s", off > 1 ? "," : "",
					state_names[s]);
	}
	if (off < outlen)
		snprintf(out + off, outlen - off, "}");
}

static void hint_fn(struct xs_watch *w, const char *fired_path)
{
	/* Only wakes the waiter (through ops->wait); the waiter re-reads the state. */
	(void)w;
	(void)fired_path;
}

/* A wait's read of <be>/state (@r its result): a missing node counts as Unknown. */
static int wait_value(int r, const char *be, enum xenbus_state *st, char *err, size_t errlen)
{
	if (r == -ENOENT) {
		*st = XenbusStateUnknown;
		return 0;
	}
	if (r == -EINVAL)
		XB_ERR(err, errlen, "%s/state: not a valid state value", be);
	else if (r < 0)
		XB_ERR(err, errlen, "reading %s/state: error %d", be, r);
	return r;
}

/* Read <be>/state for a wait (backend gone or not yet there: Unknown). */
static int wait_read(struct xs_client *c, const char *be, enum xenbus_state *st, char *err,
		     size_t errlen)
{
	return wait_value(xenbus_read_state(c, be, st), be, st, err, errlen);
}

/*
 * Wait until <be>/state is in @want; a state in @fail ends the wait early
 * with -ECONNRESET. Only @want is named in the timeout message.
 */
static int wait_until(struct xs_client *c, const char *be, uint32_t want, uint32_t fail,
		      uint64_t deadline, enum xenbus_state *got, char *err, size_t errlen)
{
	char path[XENBUS_PATH_MAX], set[128], val[4];
	struct xs_watch w = {.path = path, .fn = hint_fn};
	enum xenbus_state st = XenbusStateUnknown;
	bool watching, have = false;
	int r;

	r = key_path(path, be, "state");
	if (r < 0) {
		XB_ERR(err, errlen, "%s: backend path too long", be);
		return r;
	}
	/*
	 * The watch only shortens the sleep; without it we still re-read every
	 * XENBUS_POLL_NS. Set with the first read in one round trip, watch
	 * first, so that no change between the two goes unnoticed.
	 */
	struct xs_preq q[2] = {
		{.type = XS_WATCH, .w = &w},
		{.type = XS_READ, .path = path, .buf = val, .buflen = sizeof(val)},
	};
	r = xs_pipeline(c, q, 2);
	watching = q[0].rc == 0;
	for (bool first = true;; first = false) {
		uint64_t now, until;

		if (first)
			r = wait_value(r ?: state_value(q[1].rc, val, q[1].rlen, &st), be, &st, err,
				       errlen);
		else
			r = wait_read(c, be, &st, err, errlen);
		if (r < 0)
			break;
		have = true;
		if (want & BIT(st))
			break;
		fmt_mask(set, sizeof(set), want);
		if (fail & BIT(st)) {
			XB_ERR(err, errlen, "%s went %s while waiting for %s", path,
			       state_names[st], set);
			r = -ECONNRESET;
			break;
		}
		now = c->ops->now_ns(c->ctx);
		if (now >= deadline) {
			XB_ERR(err, errlen, "timeout waiting for %s in %s (last: %s)", path, set,
			       state_names[st]);
			r = -ETIMEDOUT;
			break;
		}
		until = deadline - now > XENBUS_POLL_NS ? now + XENBUS_POLL_NS : deadline;
		if (xs_poll(c) == 0 && !xs_rx_pending(c))
			c->ops->wait(c->ctx, until);
	}
	if (watching)
		xs_unwatch(c, &w);
	if (got && have)
		*got = st;
	return r;
}

int xenbus_wait_state(struct xs_client *c, const char *be_path, uint32_t state_mask,
		      uint64_t timeout_ns, enum xenbus_state *got, char *err, size_t errlen)
{
	if (!c || !be_path || !(state_mask & (BIT(NSTATES) - 1)))
		return -EINVAL;
	return wait_until(c, be_path, state_mask, 0, deadline_after(c, timeout_ns), got, err,
			  errlen);
}

/* A type becomes part of a path we read: keep it to a plain word. */
static bool valid_type(const char *t)
{
	size_t n = strnlen(t, XENBUS_TYPE_MAX + 1);

	if (n == 0 || n > XENBUS_TYPE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = t[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '-'))
			return false;
	}
	return true;
}

/* xenstored's node alphabet: alphanumerics and "-/_@". */
static bool valid_path_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

/*
 * The backend path is toolstack data we will read, watch and write next
 * to, and backend-id is the domain we will grant pages to: the path must
 * be a clean node inside that very domain's backend tree, so a bad entry
 * cannot point us at another domain's nodes (or our own). The device type
 * below backend/ is not checked: a vbd may be served by "qdisk" or "vbd3".
 */
static int check_backend(const struct xenbus_dev *d, const char *key, char *err, size_t errlen)
{
	const char *b = d->backend;
	char prefix[48];
	size_t plen, len = strlen(b);

	for (size_t i = 0; i < len; i++) {
		if (!valid_path_char(b[i])) {
			XB_ERR(err, errlen, "%s: invalid character 0x%02x", key,
			       (unsigned char)b[i]);
			return -EINVAL;
		}
		if (b[i] == '/' && (b[i + 1] == '/' || b[i + 1] == '\0')) {
			XB_ERR(err, errlen, "%s: '%s' is not a clean path", key, b);
			return -EINVAL;
		}
	}
	plen = (size_t)snprintf(prefix, sizeof(prefix), "/local/domain/%u/backend/",
				(unsigned int)d->backend_id);
	if (len <= plen || strncmp(b, prefix, plen) != 0) {
		XB_ERR(err, errlen, "%s: '%s' is not under %s", key, b, prefix);
		return -EINVAL;
	}
	return 0;
}

static int read_backend_id(struct xs_client *c, struct xenbus_dev *d, char *err, size_t errlen)
{
	char path[XENBUS_PATH_MAX];
	uint64_t id;
	int r;

	r = key_path(path, d->nodename, "backend-id");
	if (r == 0)
		r = xs_read_u64(c, 0, path, &id);
	if (r == -EINVAL || r == -ERANGE || (r == 0 && id >= XENBUS_DOMID_LIMIT)) {
		XB_ERR(err, errlen, "%s/backend-id: not a domain id below 0x%x", d->nodename,
		       XENBUS_DOMID_LIMIT);
		return -EINVAL;
	}
	if (r < 0) {
		XB_ERR(err, errlen, "reading %s/backend-id: error %d", d->nodename, r);
		return r;
	}
	d->backend_id = (uint16_t)id;
	return 0;
}

static int enum_one(struct xs_client *c, const char *dir, const char *name, struct xenbus_dev *d,
		    char *err, size_t errlen)
{
	char path[XENBUS_PATH_MAX];
	uint64_t id;
	size_t len;
	int r, n;

	if (xs_parse_u64(name, strlen(name), &id) < 0 || id > UINT32_MAX) {
		XB_ERR(err, errlen, "%s: entry '%.32s' is not a device number", dir, name);
		return -EINVAL;
	}
	d->devid = (unsigned int)id;
	n = snprintf(d->nodename, sizeof(d->nodename), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(d->nodename)) {
		XB_ERR(err, errlen, "%s/%s: node name too long", dir, name);
		return -ENAMETOOLONG;
	}
	r = read_backend_id(c, d, err, errlen);
	if (r < 0)
		return r;
	r = key_path(path, d->nodename, "backend");
	if (r == 0)
		r = xs_read(c, 0, path, d->backend, sizeof(d->backend), &len);
	if (r == -E2BIG) {
		XB_ERR(err, errlen, "%s: value too long (max %zu bytes)", path,
		       sizeof(d->backend) - 1);
		return r;
	}
	if (r < 0) {
		XB_ERR(err, errlen, "reading %s: error %d", path, r);
		return r;
	}
	if (strlen(d->backend) != len) {
		XB_ERR(err, errlen, "%s: value contains a NUL byte", path);
		return -EINVAL;
	}
	return check_backend(d, path, err, errlen);
}

int xenbus_enumerate_listed(struct xs_client *c, const char *type, const struct xs_preq *listing,
			    struct xenbus_dev *devs, unsigned int max, unsigned int *n, char *err,
			    size_t errlen)
{
	char dir[XENBUS_PATH_MAX], names[XENBUS_DIR_MAX];
	unsigned int count, i;
	const char *p = names;
	int r;

	if (!c || !type || !n || (!devs && max))
		return -EINVAL;
	*n = 0;
	if (!valid_type(type)) {
		XB_ERR(err, errlen, "invalid device type");
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "device/%s", type);
	if (listing) { /* the caller's XS_DIRECTORY of dir, done in a batch with others */
		r = listing->rc;
		p = listing->buf;
	} else {
		r = xs_directory(c, 0, dir, names, sizeof(names), &count);
	}
	if (r == -ENOENT)
		return 0; /* no devices of this type */
	if (r < 0) {
		XB_ERR(err, errlen, "listing %s: error %d", dir, r);
		return r;
	}
	for (; *p; p += strlen(p) + 1) {
		struct xenbus_dev d;

		if (*n == max) {
			XB_ERR(err, errlen, "%s: more than %u devices", dir, max);
			return -E2BIG;
		}
		r = enum_one(c, dir, p, &d, err, errlen);
		if (r < 0)
			return r;
		/* Insertion sort by devid: xenstored's listing order is not specified. */
		for (i = *n; i > 0 && devs[i - 1].devid > d.devid; i--)
			devs[i] = devs[i - 1];
		devs[i] = d;
		(*n)++;
	}
	return 0;
}

/* Skip "/local/domain/<domid>/" in an absolute event path: watches may be set either way. */
static const char *home_relative(const char *path)
{
	const char *p = path;

	if (strncmp(p, "/local/domain/", 14) != 0)
		return path;
	p += 14;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '/' ? p + 1 : path;
}

bool xenbus_event_needs_rescan(const char *type, const char *path,
			       bool (*known)(unsigned int devid))
{
	char dir[XENBUS_PATH_MAX];
	const char *p = home_relative(path), *key;
	uint64_t id;
	size_t dlen;

	dlen = (size_t)snprintf(dir, sizeof(dir), "device/%s", type);
	if (strncmp(p, dir, dlen) != 0 || (p[dlen] != '/' && p[dlen] != '\0'))
		return true; /* not one of ours (a coalesced or odd event): rescan to be safe */
	if (p[dlen] == '\0')
		return true; /* the directory itself: devices came or went */
	p += dlen + 1;
	key = strchr(p, '/');
	if (!key)
		return true; /* device/<type>/<id>: created or removed */
	if (xs_parse_u64(p, (size_t)(key - p), &id) < 0 || id > UINT32_MAX ||
	    !known((unsigned int)id))
		return true; /* a device we do not have yet (its keys are being written) */
	key++;
	/* A known device's own keys (state, ring refs, features) are ours: no rescan. */
	return strcmp(key, "backend") == 0 || strcmp(key, "backend-id") == 0;
}

static void hotplug_event(struct xs_watch *w, const char *path)
{
	struct xenbus_hotplug *h = w->arg;

	if (h->initial) {
		h->initial = false; /* see struct xenbus_hotplug */
		return;
	}
	if (xenbus_event_needs_rescan(h->type, path, h->known))
		h->rescan();
}

int xenbus_hotplug_start(struct xs_client *c, struct xenbus_hotplug *h)
{
	bool watch = !h->watch.registered;
	struct xs_preq r[2];
	int rc;

	snprintf(h->path, sizeof(h->path), "device/%s", h->type);
	r[0] = (struct xs_preq){.type = XS_WATCH, .w = &h->watch};
	r[1] = (struct xs_preq){
		.type = XS_DIRECTORY, .path = h->path, .buf = h->names, .buflen = sizeof(h->names)};
	if (watch)
		h->watch = (struct xs_watch){.path = h->path, .fn = hotplug_event, .arg = h};
	rc = xs_pipeline(c, watch ? r : &r[1], watch ? 2 : 1);
	h->listing = r[1];
	if (watch) {
		h->watch_rc = r[0].rc;
		h->initial = r[0].rc == 0;
	}
	return rc;
}

int xenbus_enumerate(struct xs_client *c, const char *type, struct xenbus_dev *devs,
		     unsigned int max, unsigned int *n, char *err, size_t errlen)
{
	return xenbus_enumerate_listed(c, type, NULL, devs, max, n, err, errlen);
}

static int switch_diag(struct xs_client *c, uint32_t tx, const struct xenbus_dev *d,
		       enum xenbus_state st, char *err, size_t errlen)
{
	int r = xenbus_switch_state(c, tx, d->nodename, st);

	if (r < 0 && r != -EAGAIN)
		XB_ERR(err, errlen, "writing %s/state = %s: error %d", d->nodename, state_names[st],
		       r);
	return r;
}

/* docs/xen.md §11 (close): Closing, peer Closing/Closed/Unknown, Closed, peer Closed/Unknown. */
static int close_dance(struct xs_client *c, const struct xenbus_dev *d, uint64_t deadline,
		       char *err, size_t errlen)
{
	const uint32_t gone = BIT(XenbusStateUnknown) | BIT(XenbusStateClosed);
	int r;

	r = switch_diag(c, 0, d, XenbusStateClosing, err, errlen);
	if (r == 0)
		r = wait_until(c, d->backend, gone | BIT(XenbusStateClosing), 0, deadline, NULL,
			       err, errlen);
	if (r == 0)
		r = switch_diag(c, 0, d, XenbusStateClosed, err, errlen);
	if (r == 0)
		r = wait_until(c, d->backend, gone, 0, deadline, NULL, err, errlen);
	return r;
}

int xenbus_frontend_close(struct xs_client *c, const struct xenbus_dev *d, uint64_t timeout_ns,
			  char *err, size_t errlen)
{
	if (!c || !d)
		return -EINVAL;
	return close_dance(c, d, deadline_after(c, timeout_ns), err, errlen);
}

typedef int (*xenbus_setup_fn)(struct xs_client *c, uint32_t tx, void *arg);

/* One try of the connect transaction; -EAGAIN means redo it from the start. */
static int connect_attempt(struct xs_client *c, const struct xenbus_dev *d,
			   enum xenbus_state target, xenbus_setup_fn setup, void *arg, char *err,
			   size_t errlen)
{
	enum xenbus_state own;
	uint32_t tx;
	int r;

	r = xs_transaction_start(c, &tx);
	if (r < 0) {
		XB_ERR(err, errlen, "%s: transaction start failed: error %d", d->nodename, r);
		return r;
	}
	/*
	 * Re-entry guard, read inside the transaction: if anyone moved our state
	 * on since we set Initialising, the commit conflicts or we see it here.
	 */
	r = read_state_tx(c, tx, d->nodename, &own);
	if (r == -ENOENT) {
		own = XenbusStateUnknown;
		r = 0;
	}
	if (r < 0 && r != -EAGAIN) {
		XB_ERR(err, errlen, "reading %s/state: error %d", d->nodename, r);
	} else if (r == 0 && own != XenbusStateInitialising) {
		XB_ERR(err, errlen, "%s/state is %s, not Initialising: connect re-entered",
		       d->nodename, state_names[own]);
		r = -EALREADY;
	} else if (r == 0) {
		r = setup(c, tx, arg);
		if (r < 0 && r != -EAGAIN)
			XB_ERR(err, errlen, "%s: setup failed: error %d", d->nodename, r);
	}
	if (r == 0)
		r = switch_diag(c, tx, d, target, err, errlen);
	if (r < 0) {
		xs_transaction_end(c, tx, false); /* best effort: r is the error that matters */
		return r;
	}
	r = xs_transaction_end(c, tx, true);
	if (r < 0 && r != -EAGAIN)
		XB_ERR(err, errlen, "%s: transaction commit failed: error %d", d->nodename, r);
	return r;
}

int xenbus_frontend_connect(struct xs_client *c, const struct xenbus_dev *d,
			    enum xenbus_state target, xenbus_setup_fn setup, void *arg,
			    uint64_t timeout_ns, char *err, size_t errlen)
{
	const uint32_t ready =
		BIT(XenbusStateInitWait) | BIT(XenbusStateInitialised) | BIT(XenbusStateConnected);
	enum xenbus_state be;
	uint64_t deadline;
	int r, attempt;

	if (!c || !d || !setup ||
	    (target != XenbusStateInitialised && target != XenbusStateConnected))
		return -EINVAL;
	deadline = deadline_after(c, timeout_ns);
	r = wait_read(c, d->backend, &be, err, errlen);
	if (r < 0)
		return r;
	/* Left over from an earlier user (firmware, kexec): lead it back down first. */
	if (be == XenbusStateConnected || be == XenbusStateClosing) {
		r = close_dance(c, d, deadline, err, errlen);
		if (r < 0)
			return r;
	}
	r = switch_diag(c, 0, d, XenbusStateInitialising, err, errlen);
	if (r == 0)
		r = wait_until(c, d->backend, ready, 0, deadline, NULL, err, errlen);
	if (r < 0)
		return r;
	r = -EAGAIN;
	for (attempt = 0; attempt < XENBUS_TX_RETRIES && r == -EAGAIN; attempt++)
		r = connect_attempt(c, d, target, setup, arg, err, errlen);
	if (r == -EAGAIN)
		XB_ERR(err, errlen, "%s: connect transaction still conflicting after %d attempts",
		       d->nodename, attempt);
	if (r < 0)
		return r;
	return wait_until(c, d->backend, BIT(XenbusStateConnected),
			  BIT(XenbusStateClosing) | BIT(XenbusStateClosed), deadline, NULL, err,
			  errlen);
}
