/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xenstore and grant-table set-up for the platform, and domain control:
 * the toolstack's `control/shutdown` requests (xl shutdown/reboot) and the
 * appliance status the host tools read (`data/sluice/status`).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xen/grant_table.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>

#include "sluice/evloop.h"
#include "sluice/hostcfg_be.h"
#include "sluice/kernel.h"
#include "sluice/logsink.h"
#include "sluice/mm.h"
#include "sluice/plat.h"
#include "sluice/x86.h"
#include "sluice/xen.h"
#include "sluice/xen_plat.h"

#define GNTTAB_FRAMES_WANTED 32 /* 16384 grants: far more than our rings need */

struct xs_client xen_xs;
struct gnttab xen_gnttab;
uint32_t xen_domid;

void xen_request_reboot(void);

static uint32_t xs_port;
static volatile bool xs_event;
static struct work xs_work;

/* ---- xenstore transport ---- */

static void xs_evtchn(uint32_t port, void *arg)
{
	(void)port;
	(void)arg;
	xs_event = true;
	work_post(&xs_work); /* watch events are handled from the event loop */
}

static void xs_work_fn(struct work *w)
{
	(void)w;
	xs_poll(&xen_xs);
	hc_xen_event(); /* the host channel's reply, if it was waiting for one */
	xs_dispatch_watches(&xen_xs);
	if (xs_rx_pending(&xen_xs)) /* each poll is bounded: come back for the rest */
		work_post(&xs_work);
}

static void xs_notify(void *ctx)
{
	(void)ctx;
	xen_evtchn_send(xs_port);
}

static uint64_t xs_now(void *ctx)
{
	(void)ctx;
	return now_ns();
}

/*
 * Sleep until the xenstore event channel fires or @deadline passes. The
 * flag is tested with interrupts off and `sti; hlt` closes the window, so
 * an event between the caller's ring check and here is never slept through.
 */
static int xs_wait(void *ctx, uint64_t deadline)
{
	(void)ctx;
	irq_disable();
	if (!xs_event) {
		if (now_ns() >= deadline) {
			irq_enable();
			return -ETIMEDOUT;
		}
		plat->timer_set(deadline);
		__asm__ volatile("sti; hlt" : : : "memory");
	} else {
		irq_enable();
	}
	xs_event = false;
	return now_ns() >= deadline ? -ETIMEDOUT : 0;
}

static const struct xs_ops xs_ops = {
	.notify = xs_notify,
	.wait = xs_wait,
	.now_ns = xs_now,
};

int xen_xenstore_init(void)
{
	uint64_t pfn, evtchn;
	int rc;

	rc = xen_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn);
	if (rc == 0)
		rc = xen_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &evtchn);
	if (rc < 0)
		return rc;
	/* Values from the toolstack: a frame below 4 GiB, a 2-level port. */
	if (pfn == 0 || pfn >= (1ULL << 20) || evtchn == 0 || evtchn >= 4096)
		return -EINVAL;
	rc = paging_map(pfn << PAGE_SHIFT, PAGE_SIZE, PG_RW);
	if (rc < 0)
		return rc;
	xs_port = (uint32_t)evtchn;
	xs_work.fn = xs_work_fn;
	rc = xs_init(&xen_xs, (volatile struct xenstore_domain_interface *)(pfn << PAGE_SHIFT),
		     &xs_ops, NULL);
	if (rc == 0)
		rc = evtchn_bind(&xen_evtchn, xs_port, xs_evtchn, NULL);
	if (rc == 0)
		rc = evtchn_unmask(&xen_evtchn, xs_port);
	return rc;
}

/* ---- grant tables ---- */

static int map_gnttab_frame(void *ctx, unsigned int idx, uint64_t gpfn)
{
	(void)ctx;
	return xen_add_to_physmap(XENMAPSPACE_grant_table, idx, gpfn);
}

static const struct gnttab_ops gnt_ops = {.map_frame = map_gnttab_frame};

int xen_gnttab_init(void)
{
	struct gnttab_query_size q = {.dom = DOMID_SELF};
	uint64_t gpa;
	unsigned int max;
	uint32_t *store;
	size_t words;
	int rc;

	rc = (int)xen_hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &q, 1);
	if (rc < 0 || q.status != GNTST_okay)
		return rc < 0 ? rc : -EIO;
	max = MIN(q.max_nr_frames, GNTTAB_FRAMES_WANTED);
	if (max == 0)
		return -ENODEV;
	/* Frames go into a hole (mapping over RAM would free that RAM, docs/xen.md §3). */
	rc = xen_claim_hole(max, &gpa);
	if (rc == 0)
		rc = paging_map(gpa, (uint64_t)max * PAGE_SIZE, PG_RW);
	if (rc < 0)
		return rc;
	words = gnttab_storage_words(max);
	store = page_alloc(ALIGN_UP(words * sizeof(uint32_t), PAGE_SIZE) / PAGE_SIZE);
	if (!store)
		return -ENOMEM;
	return gnttab_init(&xen_gnttab, (void *)gpa, gpa >> PAGE_SHIFT, MAX(q.nr_frames, 1U), max,
			   store, &gnt_ops, NULL);
}

/* ---- domain control ---- */

static struct xs_watch shutdown_watch;

static struct xs_watch sysrq_watch;

/* Acknowledge a request by clearing @key, in a transaction (redone on EAGAIN). */
static int ack_control(const char *key)
{
	uint32_t tx;
	int rc, tries = 0;

	do {
		rc = xs_transaction_start(&xen_xs, &tx);
		if (rc < 0)
			return rc;
		rc = xs_write(&xen_xs, tx, key, "", 0);
		rc = xs_transaction_end(&xen_xs, tx, rc == 0) ?: rc;
	} while (rc == -EAGAIN && ++tries < 10);
	return rc;
}

static int ack_shutdown(void)
{
	return ack_control("control/shutdown");
}

/*
 * xl sysrq DOMAIN KEY writes control/sysrq = KEY; like Linux, we clear the
 * key (the acknowledgement xl's users look for) and act on it. The key is
 * one byte from the toolstack, shown only when printable.
 */
static void on_sysrq(struct xs_watch *w, const char *path)
{
	char key[8];
	size_t len;

	(void)w;
	(void)path;
	if (xs_read(&xen_xs, 0, "control/sysrq", key, sizeof(key), &len) < 0 || len == 0)
		return;
	if (ack_control("control/sysrq") < 0)
		kprintf("xen: could not acknowledge the sysrq request\n");
	switch (len == 1 ? key[0] : 0) {
	case 'h':
		kprintf("sysrq: keys: h help, t state dump, s flush the log disk\n");
		break;
	case 't':
		kprintf("sysrq: t: state dump\n");
		kernel_state_dump();
		break;
	case 's':
		logsink_flush();
		kprintf("sysrq: s: log disk flushed\n");
		break;
	default:
		kprintf("sysrq: unknown key '%c' (h for help)\n",
			len == 1 && key[0] > 0x20 && key[0] < 0x7f ? key[0] : '?');
	}
}

/*
 * Watches fire spuriously and once on registration: re-read the key and act
 * only on a request that is there now.
 */
static void on_shutdown(struct xs_watch *w, const char *path)
{
	char req[32];
	size_t len;

	(void)w;
	(void)path;
	if (xs_read(&xen_xs, 0, "control/shutdown", req, sizeof(req), &len) < 0 || len == 0)
		return;
	if (strcmp(req, "poweroff") && strcmp(req, "halt") && strcmp(req, "reboot")) {
		kprintf("xen: ignoring unsupported shutdown request '%s'\n", req);
		return;
	}
	if (ack_shutdown() < 0)
		kprintf("xen: could not acknowledge the shutdown request\n");
	kprintf("xen: %s requested by the toolstack\n", req);
	if (strcmp(req, "reboot") == 0)
		xen_request_reboot();
	xen_publish("status", "stopping");
	evloop_stop(SLUICE_EXIT_SUCCESS); /* the appliance returns; the kernel powers off */
}

/*
 * Everything control needs from xenstore in one pipelined batch (one round
 * trip instead of seven, docs/boot.md §7): who we are, what we obey (not
 * feature-suspend: we do not support it), the watches for requests, and
 * "booting" for the host tools. A request the toolstack wrote before the
 * watch exists is still seen: a watch fires once when it is set.
 */
int xen_control_init(void)
{
	char name[128], domid_s[24];
	uint64_t domid;
	int rc;

	shutdown_watch = (struct xs_watch){
		.path = "control/shutdown", .token = "shutdown", .fn = on_shutdown};
	sysrq_watch = (struct xs_watch){.path = "control/sysrq", .token = "sysrq", .fn = on_sysrq};
	struct xs_preq r[] = {
		{.type = XS_READ, .path = "domid", .buf = domid_s, .buflen = sizeof(domid_s)},
		{.type = XS_READ, .path = "name", .buf = name, .buflen = sizeof(name)},
		{.type = XS_WRITE, .path = "control/feature-poweroff", .val = "1", .len = 1},
		{.type = XS_WRITE, .path = "control/feature-reboot", .val = "1", .len = 1},
		{.type = XS_WATCH, .w = &shutdown_watch},
		{.type = XS_WRITE, .path = HK_XS_DIR "/" HK_STATUS, .val = "booting", .len = 7},
		{.type = XS_WATCH, .w = &sysrq_watch},
	};

	rc = xs_pipeline(&xen_xs, r, ARRAY_SIZE(r));
	if (rc < 0)
		return rc;
	/* The domid is the toolstack's, checked like any xenstore number. */
	rc = r[0].rc ?: xs_parse_u64(domid_s, r[0].rlen, &domid);
	if (rc < 0 || domid >= DOMID_FIRST_RESERVED)
		return rc < 0 ? rc : -EINVAL;
	xen_domid = (uint32_t)domid;
	if (r[1].rc < 0)
		strcpy(name, "?");
	kprintf("xen: domain '%s' (domid %u)\n", name, xen_domid);
	for (unsigned int i = 2; i < 6; i++)
		if (r[i].rc < 0)
			return r[i].rc;
	if (r[6].rc < 0)
		kprintf("xen: cannot watch control/sysrq: sysrq keys are ignored\n");
	hc_set_backend(&hc_xen_backend); /* the host channel is xenstore from now on */
	return 0;
}

void xen_publish(const char *key, const char *value)
{
	char path[96];

	snprintf(path, sizeof(path), HK_XS_DIR "/%s", key);
	if (xs_write(&xen_xs, 0, path, value, strlen(value)) < 0)
		kprintf("xen: cannot publish %s = '%s'\n", path, value);
}
