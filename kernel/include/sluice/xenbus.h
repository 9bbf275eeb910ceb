/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xenbus frontend helpers on top of the xenstore client (docs/xen.md §11):
 * device enumeration, state reads and switches, bounded state waits and
 * the connect/close handshakes. Pure logic: built into the kernel and into
 * host tests.
 *
 * Every wait is bounded and fails with a diagnostic that names the key and
 * the states, e.g. "timeout waiting for <path>/state in {InitWait} (last:
 * Initialising)". @err is always NUL-terminated when @errlen > 0 and is
 * only written on failure. Waits watch the backend's state node and also
 * re-read it every XENBUS_POLL_NS: watch events are only hints.
 */
#ifndef SLUICE_XENBUS_H
#define SLUICE_XENBUS_H

#include <stdint.h>

#include <xen/io/xenbus.h>

#include "sluice/xenstore.h"

#define XENBUS_PATH_MAX 192		      /* bytes of "<node>/<key>", with the NUL */
#define XENBUS_POLL_NS (100ull * 1000 * 1000) /* re-read interval while waiting */
#define XENBUS_TX_RETRIES 8		      /* connect transaction redos on EAGAIN */
#define XENBUS_DIR_MAX 1024		      /* bytes of a device/<type> listing */
#define XENBUS_TYPE_MAX 16		      /* bytes of a device type, without the NUL */
#define XENBUS_DOMID_LIMIT 0x7FF0u /* DOMID_FIRST_RESERVED: ids at or above are special */
#define XENBUS_STATE_BIT(s) (1u << (s))

struct xenbus_dev {
	char nodename[64];   /* "device/<type>/<devid>", relative to our domain */
	char backend[128];   /* "/local/domain/<backend_id>/backend/..." */
	uint16_t backend_id; /* < XENBUS_DOMID_LIMIT */
	unsigned int devid;
};

/* "InitWait" etc.; "invalid" for values outside the enum. */
const char *xenbus_state_name(unsigned int st);

/*
 * Read <node_path>/state: a canonical decimal of a known state, else
 * -EINVAL. A missing node is -ENOENT (the waits treat it as Unknown).
 */
int xenbus_read_state(struct xs_client *c, const char *node_path, enum xenbus_state *st);

/* Write <own_path>/state (decimal), inside @tx when it is not 0. */
int xenbus_switch_state(struct xs_client *c, uint32_t tx, const char *own_path,
			enum xenbus_state st);

/*
 * Wait until <be_path>/state is in @state_mask (XENBUS_STATE_BIT per state)
 * or @timeout_ns passes (-ETIMEDOUT). *@got (optional) receives the last
 * state read, also on timeout.
 */
int xenbus_wait_state(struct xs_client *c, const char *be_path, uint32_t state_mask,
		      uint64_t timeout_ns, enum xenbus_state *got, char *err, size_t errlen);

/*
 * List device/<type>/ (ascending devid) into @devs with their backend and
 * backend-id, validated: backend-id a canonical decimal below
 * XENBUS_DOMID_LIMIT, backend a clean absolute path under
 * /local/domain/<backend-id>/backend/. No device/<type> node: 0 devices.
 * A malformed entry fails the whole call (-EINVAL, naming the key); more
 * than @max devices is -E2BIG.
 */
int xenbus_enumerate(struct xs_client *c, const char *type, struct xenbus_dev *devs,
		     unsigned int max, unsigned int *n, char *err, size_t errlen);
/*
 * The same from a listing of device/<type> the caller already asked for
 * (an XS_DIRECTORY request of an xs_pipeline() batch, with a buf of
 * XENBUS_DIR_MAX bytes), or, with @listing NULL, reading it here.
 */
int xenbus_enumerate_listed(struct xs_client *c, const char *type, const struct xs_preq *listing,
			    struct xenbus_dev *devs, unsigned int max, unsigned int *n, char *err,
			    size_t errlen);

/*
 * Does an event of the hot-plug watch on device/<type> call for a rescan?
 * The watch covers the whole subtree, so it also fires for every key a
 * frontend writes under its own device node (state, ring refs, features):
 * rescanning on those made a connecting device rescan the bus after every
 * write. A rescan is needed for the directory itself, a device node coming
 * or going, a device @known does not have, or a known device's backend or
 * backend-id changing; anything unexpected rescans too (safe side).
 */
bool xenbus_event_needs_rescan(const char *type, const char *path,
			       bool (*known)(unsigned int devid));

/*
 * A device bus's hot-plug watch on device/<type>, shared by the frontends.
 * xenbus_hotplug_start() sets the watch (once) and lists the bus in one
 * pipelined batch, watch first; the listing is then in @listing for
 * xenbus_enumerate_listed(). The watch's firing on registration is
 * skipped (the listing that followed it saw everything it could announce)
 * and later events call @rescan only when xenbus_event_needs_rescan() says
 * so. Caller-owned, static, zero-initialised but for the first three.
 */
struct xenbus_hotplug {
	const char *type;		   /* "vif", "vbd" */
	bool (*known)(unsigned int devid); /* a device the driver has */
	void (*rescan)(void);
	/* Set by xenbus_hotplug_start(). */
	int watch_rc;		/* 0, or why there is no hot-plug */
	struct xs_preq listing; /* the XS_DIRECTORY of device/<type> */
	/* Private. */
	struct xs_watch watch;
	bool initial; /* the firing on registration is still to come */
	char path[XENBUS_PATH_MAX];
	char names[XENBUS_DIR_MAX];
};

/* 0 (watch_rc and listing say how each part went) or the transport's -errno. */
int xenbus_hotplug_start(struct xs_client *c, struct xenbus_hotplug *h);

/*
 * Frontend connect (docs/xen.md §11):
 *  1. backend Connected or Closing on entry (left over from an earlier
 *     user): lead it through Closing and Closed first;
 *  2. own state Initialising; wait for backend InitWait (Initialised or
 *     Connected are accepted too: some backends skip InitWait);
 *  3. one transaction: check own state is still Initialising (re-entry
 *     guard: -EALREADY otherwise), setup(tx), own state = @target
 *     (Connected for netfront, Initialised for blkfront); redone on EAGAIN
 *     up to XENBUS_TX_RETRIES times, so @setup must be safe to repeat (it
 *     only writes keys; allocate grants/ports before calling);
 *  4. wait for backend Connected; Closing/Closed instead is -ECONNRESET.
 * A blkfront then reads the disk properties and switches itself to
 * Connected. @timeout_ns bounds all the waits together.
 */
int xenbus_frontend_connect(struct xs_client *c, const struct xenbus_dev *d,
			    enum xenbus_state target,
			    int (*setup)(struct xs_client *c, uint32_t tx, void *arg), void *arg,
			    uint64_t timeout_ns, char *err, size_t errlen);

/*
 * Own Closing, wait for backend Closing/Closed/Unknown, own Closed, wait for
 * backend Closed/Unknown. Revoke grants only after this returns 0.
 */
int xenbus_frontend_close(struct xs_client *c, const struct xenbus_dev *d, uint64_t timeout_ns,
			  char *err, size_t errlen);

#endif
