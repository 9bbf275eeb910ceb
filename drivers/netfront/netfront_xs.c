// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen netfront, the xenstore side (docs/xen.md §11, §12): find the vifs under
 * device/vif, read their MAC, negotiate with the backend, and follow it
 * through connect, close and hot-plug. The data path is netfront.c.
 *
 * Context: start-up code (netfront_probe_all) and xenstore watch callbacks,
 * which xs_dispatch_watches() runs from the event loop; never interrupt
 * context. The xenbus helpers block the loop while they wait: bounded by
 * their timeouts, and a reconnect is only started once the backend is
 * ready for it, so the wait is short.
 *
 * Reconnect model: a vif is its devid. When the backend goes away
 * (Closing/Closed, or its node vanishes) we close and release the
 * connection but keep the struct netfront and its netdev. xl network-attach
 * creates a new device/vif/<devid> node, lowest free devid first, so a
 * detach + attach comes back under the same devid and reconnects on the
 * same netdev: the stack keeps its interface (the MAC is re-read and may
 * change). A new devid is a new interface and gets a new netdev; netdevs
 * are never unregistered. A netdev that was marked broken stays out of
 * service: a backend that misbehaved once is not trusted again.
 *
 * Trust: device/vif/<devid> is written by the toolstack and the backend
 * node by the backend domain; both are parsed strictly (mac, feature
 * flags, states), and xenbus_enumerate() checks that the backend path lies
 * in backend-id's own tree.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netfront_priv.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/numparse.h"
#include "sluice/xen_plat.h"
#include "sluice/xenbus.h"
#include "sluice/xenstore.h"

static struct netfront *nf_list;
static struct xenbus_dev scan_devs[NF_MAX_VIFS]; /* loop context only: not on the stack */
static char scan_err[160], scan_err_logged[160];
/* Devids refused (bad MAC, no room) while still listed: not retried, not logged again. */
static unsigned int rejected[NF_MAX_VIFS], nrejected;

static int nf_key(char *out, const char *node, const char *key)
{
	int n = snprintf(out, XENBUS_PATH_MAX, "%s/%s", node, key);

	return n < 0 || n >= XENBUS_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Exactly "xx:xx:xx:xx:xx:xx" (hex, either case), and a unicast, non-zero address. */
static int nf_parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	uint8_t any = 0;

	if (len != 17)
		return -EINVAL;
	for (unsigned int i = 0; i < 6; i++) {
		const char *o = s + 3 * i;
		int hi = num_hexval(o[0]), lo = num_hexval(o[1]);

		if (hi < 0 || lo < 0 || (i < 5 && o[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	return (mac[0] & 1) || !any ? -EINVAL : 0;
}

static int nf_read_mac(const struct xenbus_dev *d, uint8_t mac[6])
{
	char path[XENBUS_PATH_MAX], buf[24];
	uint8_t m[6];
	size_t len;
	int rc;

	rc = nf_key(path, d->nodename, "mac");
	if (rc == 0)
		rc = xs_read(&xen_xs, 0, path, buf, sizeof(buf), &len);
	if (rc == 0 || rc == -E2BIG)
		rc = rc ? -EINVAL : nf_parse_mac(buf, len, m);
	if (rc < 0) {
		kprintf("netfront: %s: %s (%d)\n", path,
			rc == -EINVAL ? "not a valid unicast MAC address" : "cannot read", rc);
		return rc;
	}
	memcpy(mac, m, 6);
	return 0;
}

/* A backend feature flag: absent is off, "0" and "1" say so, anything else is refused. */
static int nf_feature(const struct netfront *nf, const struct xs_preq *r, bool *on)
{
	uint64_t v = 0;
	int rc = xs_preq_u64(r, &v);

	if (rc == -ENOENT) {
		*on = false;
		return 0;
	}
	if (rc == 0 && v > 1)
		rc = -EINVAL;
	if (rc < 0 && rc != -EAGAIN)
		kprintf("%s: netfront: %s: %s (%d)\n", nf->dev.name, r->path,
			rc == -EINVAL || rc == -ERANGE ? "not 0 or 1" : "cannot read", rc);
	if (rc == 0)
		*on = v == 1;
	return rc;
}

/* The backend's feature-rx-copy and feature-sg, in one round trip. */
static int nf_read_features(struct xs_client *c, uint32_t tx, const struct netfront *nf,
			    bool *rx_copy, bool *sg)
{
	char path[2][XENBUS_PATH_MAX], val[2][24];
	struct xs_preq r[2];
	int rc;

	rc = nf_key(path[0], nf->xb.backend, "feature-rx-copy");
	if (rc == 0)
		rc = nf_key(path[1], nf->xb.backend, "feature-sg");
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < 2; i++)
		r[i] = (struct xs_preq){.type = XS_READ,
					.tx = tx,
					.path = path[i],
					.buf = val[i],
					.buflen = sizeof(val[i])};
	rc = xs_pipeline(c, r, 2);
	if (rc == 0)
		rc = nf_feature(nf, &r[0], rx_copy);
	if (rc == 0)
		rc = nf_feature(nf, &r[1], sg);
	return rc;
}

/*
 * Rings, port and what we support, in one round trip. One queue and one
 * event channel, so flat keys, no multi-queue-num-queues and no
 * event-channel-tx/-rx, whatever multi-queue-max-queues or
 * feature-split-event-channels the backend offers.
 */
static int nf_write_keys(struct xs_client *c, uint32_t tx, const struct netfront *nf)
{
	static const char *const keys[] = {
		"tx-ring-ref",
		"rx-ring-ref",
		"event-channel",
		"request-rx-copy",	   /* RX grants are writable: the backend copies */
		"feature-rx-notify",	   /* we notify when we post RX buffers */
		"feature-sg",		   /* we take multi-slot RX packets */
		"feature-no-csum-offload", /* we cannot complete partial checksums */
	};
	const unsigned int nums[3] = {(unsigned int)nf->tx_ring_ref, (unsigned int)nf->rx_ring_ref,
				      nf->port};
	char path[ARRAY_SIZE(keys)][XENBUS_PATH_MAX], val[3][12];
	struct xs_preq r[ARRAY_SIZE(keys)];
	int rc;

	for (unsigned int i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = "1";

		rc = nf_key(path[i], nf->xb.nodename, keys[i]);
		if (rc < 0)
			return rc;
		if (i < 3) {
			snprintf(val[i], sizeof(val[i]), "%u", nums[i]);
			v = val[i];
		}
		r[i] = (struct xs_preq){
			.type = XS_WRITE, .tx = tx, .path = path[i], .val = v, .len = strlen(v)};
	}
	rc = xs_pipeline(c, r, ARRAY_SIZE(r));
	for (unsigned int i = 0; rc == 0 && i < ARRAY_SIZE(r); i++)
		rc = r[i].rc;
	return rc;
}

/*
 * The connect transaction's body (xenbus_frontend_connect redoes it on
 * EAGAIN, so it only reads and writes keys): check the backend's
 * features, then publish rings, port and what we support.
 */
static int nf_setup_keys(struct xs_client *c, uint32_t tx, void *arg)
{
	struct netfront *nf = arg;
	bool rx_copy, sg;
	int rc;

	rc = nf_read_features(c, tx, nf, &rx_copy, &sg);
	if (rc < 0)
		return rc;
	if (!rx_copy) {
		/* The other RX mode (page flipping) is gone from Xen; Linux refuses too. */
		kprintf("%s: netfront: backend %s lacks feature-rx-copy\n", nf->dev.name,
			nf->xb.backend);
		return -EOPNOTSUPP;
	}
	nf->feat_sg = sg;
	return nf_write_keys(c, tx, nf);
}

static int nf_own_state(const struct netfront *nf)
{
	enum xenbus_state st;

	return xenbus_read_state(&xen_xs, nf->xb.nodename, &st) < 0 ? -1 : (int)st;
}

/* docs/xen.md §11: a backend that never connects gets a diagnostic, not silence. */
static void nf_connect_slow(struct timer *t, void *arg)
{
	struct netfront *nf = arg;

	(void)t;
	if (nf->state == NF_RINGS)
		kprintf("%s: netfront: %s still not Connected after %llu s "
			"(did its hotplug script finish?)\n",
			nf->dev.name, nf->xb.backend,
			(unsigned long long)(NF_CONNECT_TIMEOUT_NS / 1000000000));
}

/*
 * Rings, then the xenbus handshake, waiting at most @timeout_ns. 0: the
 * link is up. -EINPROGRESS: our side is done (keys and our Connected state
 * committed) but the backend has not answered yet (netback waits for its
 * hotplug script); the rings stay and nf_evaluate() finishes when the
 * backend goes Connected. Anything else: failed, everything released.
 */
static int nf_connect(struct netfront *nf, uint64_t timeout_ns)
{
	char err[160] = "";
	int rc;

	gnttab_reap(&xen_gnttab, nf_release_parked, NULL);
	rc = nf_rings_setup(nf);
	if (rc < 0)
		snprintf(err, sizeof(err), "ring set-up failed");
	else
		rc = xenbus_frontend_connect(&xen_xs, &nf->xb, XenbusStateConnected, nf_setup_keys,
					     nf, timeout_ns, err, sizeof(err));
	if (rc == -ETIMEDOUT && nf_own_state(nf) == XenbusStateConnected) {
		timer_arm_in(&nf->connect_timer, NF_CONNECT_TIMEOUT_NS);
		return -EINPROGRESS;
	}
	if (rc < 0) {
		kprintf("%s: netfront: cannot connect to %s: %s (%d)\n", nf->dev.name,
			nf->xb.backend, err, rc);
		nf->st.connect_errors++;
		nf_rings_teardown(nf);
		return rc;
	}
	nf_set_connected(nf);
	return 0;
}

/*
 * Drop the connection. With @handshake (our node still exists) go through
 * Closing and Closed first, so that the backend unmaps everything before we
 * revoke; without it, or if the backend does not play along, revocation
 * finds pages still mapped and quarantines them.
 */
static void nf_disconnect(struct netfront *nf, bool handshake)
{
	uint64_t parked = nf->st.quarantined + nf->st.leaked;
	char err[160];

	netdev_set_link(&nf->dev, false);
	nf->state = NF_RINGS; /* the data path stops here */
	timer_cancel(&nf->connect_timer);
	if (handshake &&
	    xenbus_frontend_close(&xen_xs, &nf->xb, NF_CLOSE_TIMEOUT_NS, err, sizeof(err)) < 0)
		kprintf("%s: netfront: close: %s\n", nf->dev.name, err);
	nf_rings_teardown(nf);
	parked = nf->st.quarantined + nf->st.leaked - parked;
	if (parked)
		kprintf("%s: netfront: backend still maps %llu of our pages: quarantined\n",
			nf->dev.name, (unsigned long long)parked);
	gnttab_reap(&xen_gnttab, nf_release_parked, NULL);
}

/* The backend's state as an int for be_last: -1 when unreadable. */
static int nf_be_state(const struct netfront *nf)
{
	enum xenbus_state be;
	int rc = xenbus_read_state(&xen_xs, nf->xb.backend, &be);

	if (rc == -ENOENT)
		return XenbusStateUnknown;
	return rc < 0 ? -1 : (int)be;
}

/* The backend is Closing while we hold no connection: answer, so it can reach Closed. */
static void nf_close_only(struct netfront *nf)
{
	enum xenbus_state own;
	char err[160];

	if (xenbus_read_state(&xen_xs, nf->xb.nodename, &own) == 0 && own == XenbusStateClosed)
		return;
	if (xenbus_frontend_close(&xen_xs, &nf->xb, NF_CLOSE_TIMEOUT_NS, err, sizeof(err)) < 0)
		kprintf("%s: netfront: close: %s\n", nf->dev.name, err);
}

/*
 * Act on a change of the backend's state. Watches are hints (they fire on
 * registration, spuriously, coalesced, and our own writes under device/vif
 * fire the rescan watch): the state is re-read and only a change acted on,
 * so a failed connect is retried when the backend moves, not in a loop.
 * A backend that is ready gets a connect that does not wait for it (the
 * loop must not stall on a hotplug script); one left Connected by an
 * earlier connection must first be led through Closing and Closed, which
 * takes a bounded wait.
 */
static void nf_evaluate(struct netfront *nf)
{
	bool restarted = false;
	enum xenbus_state be;
	int rc;

	if (nf->gone)
		return;
	rc = xenbus_read_state(&xen_xs, nf->xb.backend, &be);
	if (rc == -ENOENT)
		be = XenbusStateUnknown;
	if (rc < 0 && rc != -ENOENT) {
		if (!nf->state_logged) /* the backend writes it: once */
			kprintf("%s: netfront: cannot read %s/state (%d)\n", nf->dev.name,
				nf->xb.backend, rc);
		nf->state_logged = true;
		return;
	}
	if (nf->state == NF_RINGS && be == XenbusStateConnected) {
		timer_cancel(&nf->connect_timer);
		nf_set_connected(nf); /* the connect we left pending */
	} else if (nf->state == NF_RINGS &&
		   (be == XenbusStateInitWait || be == XenbusStateInitialised)) {
		/* still waiting for it */
	} else if (nf->state != NF_IDLE && be != XenbusStateConnected) {
		nf_disconnect(nf, true);
		/* Closing/Closed/gone: detached. Anything else: it restarted under us. */
		restarted = be != XenbusStateClosing && be != XenbusStateClosed &&
			    be != XenbusStateUnknown;
	}
	if (nf->state != NF_IDLE || (!restarted && (int)be == nf->be_last)) {
		nf->be_last = (int)be;
		return;
	}
	nf->be_last = (int)be;
	if (be == XenbusStateClosing) {
		nf_close_only(nf);
	} else if (be == XenbusStateInitWait || be == XenbusStateInitialised ||
		   be == XenbusStateConnected) {
		if (!nf->dev.broken)
			nf_connect(nf, be == XenbusStateConnected || restarted
					       ? NF_CONNECT_TIMEOUT_NS
					       : 0);
		else if (!nf->broken_logged)
			kprintf("%s: netfront: broken earlier, not reconnecting\n", nf->dev.name);
		nf->broken_logged = nf->dev.broken;
	}
}

static void nf_backend_changed(struct xs_watch *w, const char *path)
{
	(void)path;
	nf_evaluate(w->arg);
}

static int nf_watch_backend(struct netfront *nf)
{
	int rc;

	if (nf->be_watch.registered)
		xs_unwatch(&xen_xs, &nf->be_watch);
	rc = nf_key(nf->be_state_path, nf->xb.backend, "state");
	if (rc < 0)
		return rc;
	nf->be_watch =
		(struct xs_watch){.path = nf->be_state_path, .fn = nf_backend_changed, .arg = nf};
	rc = xs_watch(&xen_xs, &nf->be_watch);
	if (rc < 0)
		kprintf("%s: netfront: cannot watch %s (%d)\n", nf->dev.name, nf->be_state_path,
			rc);
	return rc;
}

static bool nf_listed(unsigned int devid, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (scan_devs[i].devid == devid)
			return true;
	return false;
}

static bool nf_is_rejected(unsigned int devid)
{
	for (unsigned int i = 0; i < nrejected; i++)
		if (rejected[i] == devid)
			return true;
	return false;
}

static void nf_reject(unsigned int devid)
{
	if (nrejected < NF_MAX_VIFS)
		rejected[nrejected++] = devid;
}

/* Forget refused devids that are no longer listed: a new entry is tried afresh. */
static void nf_prune_rejected(unsigned int n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < nrejected; i++)
		if (nf_listed(rejected[i], n))
			rejected[k++] = rejected[i];
	nrejected = k;
}

static struct netfront *nf_find(unsigned int devid)
{
	for (struct netfront *nf = nf_list; nf; nf = nf->next)
		if (nf->xb.devid == devid)
			return nf;
	return NULL;
}

/* A new devid: a netfront and its netdev, for good (netdevs are never unregistered). */
static struct netfront *nf_create(const struct xenbus_dev *d)
{
	struct netfront *nf, **tail;
	uint8_t mac[6];

	if (nf_read_mac(d, mac) < 0)
		return NULL;
	if (netdev_count() >= NETDEV_MAX) {
		kprintf("netfront: %s: no room for another netdev\n", d->nodename);
		return NULL;
	}
	nf = calloc(1, sizeof(*nf));
	if (!nf || nf_dev_init(nf) < 0) {
		kprintf("netfront: %s: out of memory\n", d->nodename);
		free(nf);
		return NULL;
	}
	nf->xb = *d;
	nf->be_last = -1;
	timer_init(&nf->connect_timer, nf_connect_slow, nf);
	memcpy(nf->dev.mac, mac, 6);
	netdev_register(&nf->dev); /* cannot fail: room was checked */
	for (tail = &nf_list; *tail; tail = &(*tail)->next)
		;
	*tail = nf;
	nf_watch_backend(nf);
	return nf;
}

/* The vif's node is gone (detached): release the connection, stop watching. */
static void nf_vanish(struct netfront *nf)
{
	kprintf("%s: netfront: %s removed\n", nf->dev.name, nf->xb.nodename);
	netdev_set_link(&nf->dev, false);
	if (nf->state != NF_IDLE)
		nf_disconnect(nf, false); /* nothing left to write our state to */
	if (nf->be_watch.registered)
		xs_unwatch(&xen_xs, &nf->be_watch);
	nf->gone = true;
}

/* The devid is back (re-attached), or now names another backend. */
static void nf_revive(struct netfront *nf, const struct xenbus_dev *d)
{
	char a[18], b[18];
	uint8_t mac[6];

	if (nf->state != NF_IDLE)
		nf_disconnect(nf, !nf->gone);
	nf->xb = *d;
	nf->gone = true; /* until the new entry checks out */
	if (nf_read_mac(d, mac) < 0)
		return;
	if (memcmp(mac, nf->dev.mac, 6) != 0) {
		netdev_format_mac(nf->dev.mac, a);
		netdev_format_mac(mac, b);
		kprintf("%s: netfront: MAC changes from %s to %s\n", nf->dev.name, a, b);
		memcpy(nf->dev.mac, mac, 6);
	}
	nf->gone = false;
	nf->state_logged = false;
	nf->be_last = -1;
	nf_watch_backend(nf);
}

/*
 * Match device/vif/<devid> against what we know: new devids get a netdev,
 * returning ones reconnect, vanished ones are released. At @boot a new
 * vif is connected at once (start-up code may block); later, the backend
 * state decides. Returns the number of netdevs created, or -errno.
 */
static int nf_scan(bool boot, const struct xs_preq *listing)
{
	struct netfront *nf;
	unsigned int n, created = 0;
	int rc;

	rc = xenbus_enumerate_listed(&xen_xs, "vif", listing, scan_devs, NF_MAX_VIFS, &n, scan_err,
				     sizeof(scan_err));
	if (rc < 0) {
		/* The toolstack may be half-way through; a later event rescans. Log changes only.
		 */
		if (strcmp(scan_err, scan_err_logged) != 0)
			kprintf("netfront: device/vif: %s (%d)\n", scan_err, rc);
		memcpy(scan_err_logged, scan_err, sizeof(scan_err));
		return rc;
	}
	scan_err_logged[0] = '\0';
	for (nf = nf_list; nf; nf = nf->next)
		nf->seen = false;
	for (unsigned int i = 0; i < n; i++) {
		const struct xenbus_dev *d = &scan_devs[i];
		bool fresh = false;

		nf = nf_find(d->devid);
		if (!nf) {
			if (nf_is_rejected(d->devid))
				continue;
			nf = nf_create(d);
			if (!nf) {
				nf_reject(d->devid);
				continue;
			}
			created++;
			fresh = true;
		} else if (nf->gone || strcmp(nf->xb.backend, d->backend) != 0 ||
			   nf->xb.backend_id != d->backend_id) {
			nf_revive(nf, d);
		}
		nf->seen = true;
		if (boot && fresh) /* start-up code: may wait for the backend */
			nf->be_last = nf_connect(nf, NF_CONNECT_TIMEOUT_NS) == 0
					      ? XenbusStateConnected
					      : nf_be_state(nf);
		else
			nf_evaluate(nf);
	}
	for (nf = nf_list; nf; nf = nf->next)
		if (!nf->seen && !nf->gone)
			nf_vanish(nf);
	nf_prune_rejected(n);
	return (int)created;
}

/* A device we drive (xenbus_event_needs_rescan: its own keys need no rescan). */
static bool nf_known(unsigned int devid)
{
	const struct netfront *x = nf_find(devid);

	return x && !x->gone;
}

static void nf_rescan(void)
{
	nf_scan(false, NULL);
}

static struct xenbus_hotplug vif_bus = {.type = "vif", .known = nf_known, .rescan = nf_rescan};

int netfront_probe_all(void)
{
	int rc;

	if (!xen_xs.intf)
		return -ENODEV; /* not on Xen (or no xenstore) */
	/* xl network-attach/-detach change device/vif: watched, and listed, in one round trip. */
	rc = xenbus_hotplug_start(&xen_xs, &vif_bus);
	if (rc < 0)
		return rc;
	if (vif_bus.watch_rc < 0)
		kprintf("netfront: cannot watch device/vif: no hot-plug\n");
	return nf_scan(true, &vif_bus.listing);
}
