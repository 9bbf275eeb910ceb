// SPDX-License-Identifier: BSD-2-Clause
/*
 * Xen blkfront, the xenstore side (docs/xen.md §11, §12): find the vbds under
 * device/vbd, negotiate with the backend (features at InitWait and again
 * at Connected, disk properties at Connected), and follow it through
 * connect, close and hot-plug. The data path is blkfront.c.
 *
 * Handshake (blkif.h "STATE DIAGRAMS"): we go Initialised with ring-ref,
 * event-channel, protocol and feature-persistent written; the backend
 * connects to the ring and goes Connected with sectors, sector-size, info
 * and its features; we read those and go Connected.
 *
 * Context: start-up code (blkfront_probe_all) and xenstore watch
 * callbacks, run from the event loop; never interrupt context. The xenbus
 * helpers block the loop while they wait, bounded by their timeouts.
 *
 * Devices: a vbd is its devid. Its blkdev is registered at its first
 * connect (only then are its size and sector size known) and never
 * unregistered. When the backend goes away the connection is closed and
 * released and the blkdev refuses requests (-ENODEV); if the same devid
 * comes back with the same geometry it reconnects on the same blkdev. A
 * blkdev marked broken stays out of service: a backend that misbehaved
 * once is not trusted again.
 *
 * Trust: device/vbd/<devid> is written by the toolstack, the backend node
 * by the backend domain. Numbers are parsed strictly (canonical decimals,
 * bounded), feature flags must be 0 or 1, and xenbus_enumerate() checks
 * that the backend path lies in backend-id's own tree.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/protocols.h>

#include "blkfront_priv.h"
#include "sluice/gnttab.h"
#include "sluice/kernel.h"
#include "sluice/xen_plat.h"
#include "sluice/xenbus.h"
#include "sluice/xenstore.h"

static struct blkfront *bf_list;
static struct xenbus_dev scan_devs[BF_MAX_VBDS]; /* loop context only: not on the stack */
static char scan_err[160], scan_err_logged[160];

int bf_key(char *out, const char *node, const char *key)
{
	int n = snprintf(out, XENBUS_PATH_MAX, "%s/%s", node, key);

	return n < 0 || n >= XENBUS_PATH_MAX ? -ENAMETOOLONG : 0;
}

/*
 * The name Linux gives the disk (docs/misc/vbd-interface.txt): xvd + the
 * disk index in letters (a..z, aa..), + the partition if any. Other
 * encodings (hd, sd) are shown as their number.
 */
static void bf_name(unsigned int devid, char *out, size_t len)
{
	unsigned int disk, part, n = 0;
	char letters[8], rev[8];

	if (devid & (1u << 28)) {
		disk = (devid >> 8) & 0xfffff;
		part = devid & 0xff;
	} else if ((devid >> 8) == 202) {
		disk = (devid >> 4) & 15;
		part = devid & 15;
	} else {
		snprintf(out, len, "vbd %u", devid);
		return;
	}
	for (unsigned int d = disk + 1; d > 0 && n < sizeof(rev); d = (d - 1) / 26)
		rev[n++] = (char)('a' + (d - 1) % 26);
	for (unsigned int i = 0; i < n; i++)
		letters[i] = rev[n - 1 - i];
	letters[n] = '\0';
	if (part)
		snprintf(out, len, "xvd%s%u", letters, part);
	else
		snprintf(out, len, "xvd%s", letters);
}

static void bf_print(const struct blkfront *bf)
{
	static const char *const flush[] = {"none (write-through)", "flush-cache", "barrier"};

	kprintf("%s: blkfront %s: %llu sectors, sector size %u, %s, flush %s, %u segments%s%s\n",
		bf->dev.name, bf->dev.id, (unsigned long long)bf->dev.sectors, bf->dev.sector_size,
		bf->dev.readonly ? "read-only" : "read-write", flush[bf->flush], bf->max_segs,
		bf->indirect ? " (indirect)" : "", bf->persistent ? ", persistent grants" : "");
}

/*
 * Choose the connection's modes from what the backend said at Connected.
 *  - Indirect requests when it takes more than 11 segments; we use at most
 *    BF_INDIRECT_SEGS of what it offers.
 *  - Persistent grants when it offers them: we always offered them, and
 *    Linux blkback publishes its feature-persistent only at Connected. The
 *    backend may then touch the pool at any time, which is fine: the pages
 *    hold nothing but what we exchange with it anyway, and we copy in and
 *    out exactly once per request. It saves the backend a map, an unmap
 *    and a TLB flush per segment.
 *  - Flush: feature-flush-cache gives BLKIF_OP_FLUSH_DISKCACHE; else
 *    feature-barrier an empty WRITE_BARRIER (backends implement it as
 *    drain + flush; Linux blkfront uses it the same way); else a flush
 *    completes at once as a no-op and can_flush is false. That is safe
 *    because a backend with a volatile cache says so through one of those
 *    two keys (Linux blkback writes feature-flush-cache exactly when the
 *    backing queue has a write cache): one offering neither declares
 *    write-through storage, where a completed write is already stable, and
 *    Linux blkfront then also tells its block layer there is no cache.
 *    Read-only disks always get the no-op: nothing was written through us,
 *    and blkback refuses a flush on a read-only vbd.
 */
static void bf_choose_modes(struct blkfront *bf)
{
	const struct bf_features *f = &bf->features;

	bf->indirect = f->max_indirect > BF_DIRECT_SEGS;
	bf->max_segs = bf->indirect ? MIN(f->max_indirect, BF_INDIRECT_SEGS) : BF_DIRECT_SEGS;
	bf->persistent = f->persistent;
	if (bf->props.readonly)
		bf->flush = BF_FLUSH_NONE;
	else if (f->flush_cache)
		bf->flush = BF_FLUSH_CACHE;
	else
		bf->flush = f->barrier ? BF_FLUSH_BARRIER : BF_FLUSH_NONE;
	bf->dev.sectors = bf->props.sectors;
	bf->dev.sector_size = bf->props.sector_size;
	bf->dev.readonly = bf->props.readonly;
	bf->dev.can_flush = bf->flush != BF_FLUSH_NONE;
}

/*
 * The backend is Connected: read what it says now (features again: some
 * publish feature-max-indirect-segments only here, and these values are
 * the ones in effect), start the data path, go Connected ourselves and
 * register the blkdev on the first connect. On failure the caller closes.
 */
static int bf_finish(struct blkfront *bf)
{
	struct bf_props p;
	int rc;

	rc = bf_read_props(bf, &p, &bf->features);
	if (rc == 0 && bf->registered &&
	    (p.sectors != bf->dev.sectors || p.sector_size != bf->dev.sector_size)) {
		kprintf("%s: blkfront: %s came back with another geometry: not reconnecting\n",
			bf->dev.name, bf->xb.backend);
		rc = -ESTALE;
	}
	if (rc < 0)
		return rc;
	bf->props = p;
	bf_choose_modes(bf);
	rc = bf_start(bf);
	if (rc == 0)
		rc = xenbus_switch_state(&xen_xs, 0, bf->xb.nodename, XenbusStateConnected);
	if (rc == 0 && !bf->registered) {
		rc = blkdev_register(&bf->dev);
		bf->registered = rc == 0;
		if (rc == 0)
			work_post(&bf->dev.work); /* its irq_enable unmasks the port */
		else
			kprintf("blkfront: %s: no room for another blkdev\n", bf->xb.nodename);
	}
	if (rc == 0)
		bf_print(bf);
	return rc;
}

static int bf_own_state(const struct blkfront *bf)
{
	enum xenbus_state st;

	return xenbus_read_state(&xen_xs, bf->xb.nodename, &st) < 0 ? -1 : (int)st;
}

/* docs/xen.md §11: a backend that never connects gets a diagnostic, not silence. */
static void bf_connect_slow(struct timer *t, void *arg)
{
	struct blkfront *bf = arg;

	(void)t;
	if (bf->state == BF_RINGS)
		kprintf("blkfront: %s: %s still not Connected after %llu s "
			"(did its hotplug script finish?)\n",
			bf->dev.id, bf->xb.backend,
			(unsigned long long)(BF_CONNECT_TIMEOUT_NS / 1000000000));
}

/*
 * Drop the connection. With @handshake (our node still exists) go through
 * Closing and Closed first, so that the backend answers and unmaps
 * everything before we revoke; without it, or if the backend does not
 * play along, revocation finds pages still mapped and quarantines them.
 */
static void bf_disconnect(struct blkfront *bf, bool handshake)
{
	uint64_t parked = bf->st.quarantined + bf->st.leaked;
	char err[160];

	bf_stop(bf);
	timer_cancel(&bf->connect_timer);
	if (handshake &&
	    xenbus_frontend_close(&xen_xs, &bf->xb, BF_CLOSE_TIMEOUT_NS, err, sizeof(err)) < 0)
		kprintf("blkfront: %s: close: %s\n", bf->dev.id, err);
	bf_rings_teardown(bf);
	kprintf("blkfront: %s: disconnected from %s\n", bf->dev.id, bf->xb.backend);
	parked = bf->st.quarantined + bf->st.leaked - parked;
	if (parked)
		kprintf("blkfront: %s: backend still maps %llu of our pages: quarantined\n",
			bf->dev.id, (unsigned long long)parked);
	gnttab_reap(&xen_gnttab, bf_release_parked, NULL);
}

/*
 * Ring, then the xenbus handshake, waiting at most @timeout_ns. 0: the disk
 * is connected. -EINPROGRESS: our side is done (keys and Initialised
 * committed) but the backend has not answered yet; bf_evaluate() finishes
 * when it goes Connected. Anything else: failed, everything released.
 */
static int bf_connect(struct blkfront *bf, uint64_t timeout_ns)
{
	char err[160] = "";
	int rc;

	gnttab_reap(&xen_gnttab, bf_release_parked, NULL);
	rc = bf_rings_setup(bf);
	if (rc < 0)
		snprintf(err, sizeof(err), "ring set-up failed");
	else
		rc = xenbus_frontend_connect(&xen_xs, &bf->xb, XenbusStateInitialised,
					     bf_setup_keys, bf, timeout_ns, err, sizeof(err));
	if (rc == -ETIMEDOUT && bf_own_state(bf) == XenbusStateInitialised) {
		timer_arm_in(&bf->connect_timer, BF_CONNECT_TIMEOUT_NS);
		return -EINPROGRESS;
	}
	if (rc == 0) {
		rc = bf_finish(bf);
		if (rc < 0) {
			snprintf(err, sizeof(err), "backend's Connected keys refused");
			bf_disconnect(bf, true);
		}
	}
	if (rc < 0) {
		kprintf("blkfront: %s: cannot connect to %s: %s (%d)\n", bf->dev.id, bf->xb.backend,
			err, rc);
		bf->st.connect_errors++;
		bf_rings_teardown(bf);
	}
	return rc;
}

/* The backend's state as an int for be_last: Unknown when gone, -1 when unreadable. */
static int bf_be_state(const struct blkfront *bf)
{
	enum xenbus_state be;
	int rc = xenbus_read_state(&xen_xs, bf->xb.backend, &be);

	if (rc == -ENOENT)
		return XenbusStateUnknown;
	return rc < 0 ? -1 : (int)be;
}

/* The backend is Closing while we hold no connection: answer, so it can reach Closed. */
static void bf_close_only(struct blkfront *bf)
{
	char err[160];

	if (bf_own_state(bf) == XenbusStateClosed)
		return;
	if (xenbus_frontend_close(&xen_xs, &bf->xb, BF_CLOSE_TIMEOUT_NS, err, sizeof(err)) < 0)
		kprintf("blkfront: %s: close: %s\n", bf->dev.id, err);
}

/*
 * Act on a change of the backend's state. Watches are hints (they fire on
 * registration, spuriously, coalesced): the state is re-read and only a
 * change acted on, so a failed connect is retried when the backend moves,
 * not in a loop.
 */
static void bf_evaluate(struct blkfront *bf)
{
	int be = bf_be_state(bf);
	bool restarted = false;

	if (bf->gone || be < 0)
		return;
	if (bf->state == BF_RINGS && be == XenbusStateConnected) {
		timer_cancel(&bf->connect_timer);
		if (bf_finish(bf) < 0) { /* the connect we left pending */
			kprintf("blkfront: %s: cannot finish connecting to %s\n", bf->dev.id,
				bf->xb.backend);
			bf->st.connect_errors++;
			bf_disconnect(bf, true);
		}
	} else if (bf->state == BF_RINGS &&
		   (be == XenbusStateInitWait || be == XenbusStateInitialised)) {
		/* still waiting for it */
	} else if (bf->state != BF_IDLE && be != XenbusStateConnected) {
		bf_disconnect(bf, true);
		/* Closing/Closed/gone: detached. Anything else: it restarted under us. */
		restarted = be != XenbusStateClosing && be != XenbusStateClosed &&
			    be != XenbusStateUnknown;
	}
	if (bf->state != BF_IDLE || (!restarted && be == bf->be_last)) {
		bf->be_last = be;
		return;
	}
	bf->be_last = be;
	if (be == XenbusStateClosing) {
		bf_close_only(bf);
	} else if (be == XenbusStateInitWait || be == XenbusStateInitialised ||
		   be == XenbusStateConnected) {
		if (!bf->dev.broken)
			bf_connect(bf, be == XenbusStateConnected || restarted
					       ? BF_CONNECT_TIMEOUT_NS
					       : 0);
		else if (!bf->broken_logged)
			kprintf("blkfront: %s: broken earlier, not reconnecting\n", bf->dev.id);
		bf->broken_logged = bf->dev.broken;
	}
}

static void bf_backend_changed(struct xs_watch *w, const char *path)
{
	(void)path;
	bf_evaluate(w->arg);
}

static void bf_watch_backend(struct blkfront *bf)
{
	if (bf->be_watch.registered)
		xs_unwatch(&xen_xs, &bf->be_watch);
	if (bf_key(bf->be_state_path, bf->xb.backend, "state") < 0)
		return;
	bf->be_watch =
		(struct xs_watch){.path = bf->be_state_path, .fn = bf_backend_changed, .arg = bf};
	if (xs_watch(&xen_xs, &bf->be_watch) < 0)
		kprintf("blkfront: %s: cannot watch %s\n", bf->dev.id, bf->be_state_path);
}

static struct blkfront *bf_find(unsigned int devid)
{
	for (struct blkfront *bf = bf_list; bf; bf = bf->next)
		if (bf->xb.devid == devid)
			return bf;
	return NULL;
}

/* A new devid: its driver state, for good (its blkdev comes with the first connect). */
static struct blkfront *bf_create(const struct xenbus_dev *d)
{
	struct blkfront *bf = calloc(1, sizeof(*bf)), **tail;

	if (!bf) {
		kprintf("blkfront: %s: out of memory\n", d->nodename);
		return NULL;
	}
	bf_dev_init(bf);
	bf->xb = *d;
	bf->be_last = -1;
	bf_name(d->devid, bf->dev.id, sizeof(bf->dev.id));
	timer_init(&bf->connect_timer, bf_connect_slow, bf);
	for (tail = &bf_list; *tail; tail = &(*tail)->next)
		;
	*tail = bf;
	bf_watch_backend(bf);
	return bf;
}

/* The vbd's node is gone (detached): release the connection, stop watching. */
static void bf_vanish(struct blkfront *bf)
{
	kprintf("blkfront: %s: %s removed\n", bf->dev.id, bf->xb.nodename);
	if (bf->state != BF_IDLE)
		bf_disconnect(bf, false); /* nothing left to write our state to */
	if (bf->be_watch.registered)
		xs_unwatch(&xen_xs, &bf->be_watch);
	bf->gone = true;
}

/* The devid is back (re-attached), or now names another backend. */
static void bf_revive(struct blkfront *bf, const struct xenbus_dev *d)
{
	if (bf->state != BF_IDLE)
		bf_disconnect(bf, !bf->gone);
	bf->xb = *d;
	bf->gone = false;
	bf->be_last = -1;
	bf_watch_backend(bf);
}

/*
 * Match device/vbd/<devid> against what we know: new devids get a
 * blkfront, returning ones reconnect, vanished ones are released. At @boot
 * a new vbd is connected at once (start-up code may block); later, the
 * backend state decides. Returns the number of vbds listed, or -errno.
 */
static int bf_scan(bool boot, const struct xs_preq *listing)
{
	struct blkfront *bf;
	unsigned int n;
	int rc;

	rc = xenbus_enumerate_listed(&xen_xs, "vbd", listing, scan_devs, BF_MAX_VBDS, &n, scan_err,
				     sizeof(scan_err));
	if (rc < 0) {
		/* The toolstack may be half-way through; a later event rescans. Log changes. */
		if (strcmp(scan_err, scan_err_logged) != 0)
			kprintf("blkfront: device/vbd: %s (%d)\n", scan_err, rc);
		memcpy(scan_err_logged, scan_err, sizeof(scan_err));
		return rc;
	}
	scan_err_logged[0] = '\0';
	for (bf = bf_list; bf; bf = bf->next)
		bf->seen = false;
	for (unsigned int i = 0; i < n; i++) {
		const struct xenbus_dev *d = &scan_devs[i];
		bool fresh = false;

		bf = bf_find(d->devid);
		if (!bf) {
			bf = bf_create(d);
			if (!bf)
				continue;
			fresh = true;
		} else if (bf->gone || strcmp(bf->xb.backend, d->backend) != 0 ||
			   bf->xb.backend_id != d->backend_id) {
			bf_revive(bf, d);
		}
		bf->seen = true;
		if (boot && fresh) /* start-up code: may wait for the backend */
			bf->be_last = bf_connect(bf, BF_CONNECT_TIMEOUT_NS) == 0
					      ? XenbusStateConnected
					      : bf_be_state(bf);
		else
			bf_evaluate(bf);
	}
	for (bf = bf_list; bf; bf = bf->next)
		if (!bf->seen && !bf->gone)
			bf_vanish(bf);
	return (int)n;
}

/* A device we drive (xenbus_event_needs_rescan: its own keys need no rescan). */
static bool bf_known(unsigned int devid)
{
	const struct blkfront *x = bf_find(devid);

	return x && !x->gone;
}

static void bf_rescan(void)
{
	bf_scan(false, NULL);
}

static struct xenbus_hotplug vbd_bus = {.type = "vbd", .known = bf_known, .rescan = bf_rescan};

static unsigned int bf_count_registered(void)
{
	unsigned int n = 0;

	for (struct blkfront *bf = bf_list; bf; bf = bf->next)
		n += bf->registered;
	return n;
}

int blkfront_probe_all(void)
{
	unsigned int before = bf_count_registered();
	int rc;

	if (!xen_xs.intf)
		return -ENODEV; /* not on Xen (or no xenstore) */
	/* xl block-attach/-detach change device/vbd: watched, and listed, in one round trip. */
	rc = xenbus_hotplug_start(&xen_xs, &vbd_bus);
	if (rc < 0)
		return rc;
	if (vbd_bus.watch_rc < 0)
		kprintf("blkfront: cannot watch device/vbd: no hot-plug\n");
	rc = bf_scan(true, &vbd_bus.listing);
	if (rc < 0)
		return rc;
	return (int)(bf_count_registered() - before);
}
