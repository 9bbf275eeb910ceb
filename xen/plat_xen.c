/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Xen PVH platform (docs/boot.md §5 for the order): hypercall page, memory
 * map fallback, shared_info in a memory-map hole, event channels with a
 * per-vCPU LAPIC upcall vector, pvclock time with VIRQ_TIMER one-shots, the
 * PV console ring, xenstore, grant tables and domain control.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

#include "sluice/barrier.h"
#include "sluice/boot.h"
#include "sluice/console.h"
#include "sluice/drivers.h"
#include "sluice/evloop.h"
#include "sluice/hw.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/plat.h"
#include "sluice/pvclock.h"
#include "sluice/trap.h"
#include "sluice/x86.h"
#include "sluice/xen.h"
#include "sluice/xen_plat.h"

#define LOW_4G (1ULL << 32)

struct evtchn_ctl xen_evtchn;
static struct shared_info *shinfo;
static uint32_t timer_port;
static unsigned int shutdown_reason = SHUTDOWN_poweroff;

static uint64_t rdtsc_fn(void)
{
	return rdtsc();
}

/* ---- event-channel hypercalls, for evtchn.c ---- */

static int ev_unmask(void *ctx, uint32_t port)
{
	struct evtchn_unmask u = {.port = port};

	(void)ctx;
	return (int)xen_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, &u);
}

int xen_evtchn_send(uint32_t port)
{
	struct evtchn_send s = {.port = port};

	return (int)xen_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &s);
}

static int ev_send(void *ctx, uint32_t port)
{
	(void)ctx;
	return xen_evtchn_send(port);
}

static int ev_close(void *ctx, uint32_t port)
{
	struct evtchn_close c = {.port = port};

	(void)ctx;
	return (int)xen_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &c);
}

static int ev_alloc_unbound(void *ctx, uint16_t remote, uint32_t *port)
{
	struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = remote};
	int rc = (int)xen_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a);

	(void)ctx;
	if (rc == 0)
		*port = a.port;
	return rc;
}

static int ev_bind_virq(void *ctx, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
	struct evtchn_bind_virq b = {.virq = virq, .vcpu = vcpu};
	int rc = (int)xen_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, &b);

	(void)ctx;
	if (rc == 0)
		*port = b.port;
	return rc;
}

static const struct evtchn_ops ev_ops = {
	.unmask = ev_unmask,
	.send = ev_send,
	.close = ev_close,
	.alloc_unbound = ev_alloc_unbound,
	.bind_virq = ev_bind_virq,
};

static void upcall(struct trap_frame *tf, void *arg)
{
	(void)tf;
	(void)arg;
	evtchn_demux(&xen_evtchn, 0); /* trap_dispatch sends the LAPIC EOI */
}

/* ---- time ---- */

static uint64_t xen_monotonic_ns(void)
{
	return pvclock_read((volatile struct pvclock_time_info *)&shinfo->vcpu_info[0].time,
			    rdtsc_fn);
}

/* Wall clock at system time 0, read under wc_version like vcpu_time_info. */
static uint64_t xen_wallclock_ns(void)
{
	volatile struct shared_info *s = shinfo;
	uint32_t v, nsec;
	uint64_t sec;

	do {
		v = s->wc_version;
		rmb();
		sec = s->wc_sec | ((uint64_t)s->xen_wc_sec_hi << 32);
		nsec = s->wc_nsec;
		rmb();
	} while ((v & 1) || v != s->wc_version);
	return sec * 1000000000ULL + nsec + xen_monotonic_ns();
}

static void xen_timer_set(uint64_t deadline)
{
	struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = deadline, .flags = 0};

	if (deadline == UINT64_MAX) {
		xen_hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0);
		return;
	}
	/* A deadline in the past fires at once; the loop rechecks the clock anyway. */
	xen_hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t);
}

static void timer_virq(uint32_t port, void *arg)
{
	(void)port;
	(void)arg;
	/* Only a wake-up: timers are hints and the event loop rechecks the clock. */
}

/* ---- set-up ---- */

/* start_info v0 has no memory map: ask Xen (20-byte e820 entries, docs/boot.md §4). */
static void memory_map_fallback(void)
{
	static struct {
		uint64_t addr, size;
		uint32_t type;
	} __attribute__((packed)) e820[MEMMAP_MAX];
	struct xen_memory_map mm = {.nr_entries = MEMMAP_MAX};

	if (boot_info.raw_memmap.n != 0)
		return;
	set_xen_guest_handle(mm.buffer, (void *)e820);
	if (xen_hypercall2(__HYPERVISOR_memory_op, XENMEM_memory_map, &mm) != 0 ||
	    mm.nr_entries > MEMMAP_MAX)
		return; /* kernel_main reports the missing map */
	for (unsigned int i = 0; i < mm.nr_entries; i++)
		memmap_add(&boot_info.raw_memmap, e820[i].addr, e820[i].size, e820[i].type);
	if (boot_info.raw_memmap.n)
		boot_info.error = NULL;
}

static int xen_early(void)
{
	int rc;

	debugcon_enable(); /* early output until the console ring is up */
	rc = xen_early_init(plat_cpuid_base);

	if (rc < 0)
		return rc;
	memory_map_fallback();
	return 0;
}

/* Reserve a hole of @pages pages below 4 GiB for frames Xen maps into our physmap. */
int xen_claim_hole(uint64_t pages, uint64_t *gpa)
{
	int rc = memmap_find_hole(&boot_memmap, pages * PAGE_SIZE, PAGE_SIZE, 1ULL << 20, LOW_4G,
				  gpa);

	if (rc == 0)
		rc = memmap_reserve(&boot_memmap, *gpa, pages * PAGE_SIZE, MEMMAP_RESERVED);
	return rc;
}

static int map_shared_info(void)
{
	uint64_t gpa;
	int rc = xen_claim_hole(1, &gpa);

	/* A hole, never RAM: add_to_physmap over RAM would free that page (docs/xen.md §3). */
	if (rc == 0)
		rc = xen_add_to_physmap(XENMAPSPACE_shared_info, 0, gpa >> PAGE_SHIFT);
	if (rc == 0)
		rc = paging_map(gpa, PAGE_SIZE, PG_RW);
	if (rc < 0)
		return rc;
	shinfo = (struct shared_info *)gpa;
	evtchn_init(&xen_evtchn, shinfo, &ev_ops, NULL); /* masks every port first */
	return 0;
}

static int setup_upcall(void)
{
	struct xen_hvm_evtchn_upcall_vector uv = {.vcpu = 0, .vector = VEC_XEN_UPCALL};
	int rc;

	rc = lapic_init(); /* upcalls are delivered only to a software-enabled LAPIC */
	if (rc == 0)
		rc = irq_register(VEC_XEN_UPCALL, upcall, NULL);
	if (rc < 0)
		return rc;
	rc = (int)xen_hypercall2(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, &uv);
	if (rc == 0) {
		/* Tells the toolstack we are enlightened (Xen's own PVH guest code does this). */
		return xen_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, 1);
	}
	/* Older Xen: the global callback vector (needs XENFEAT_hvm_callback_vector). */
	return xen_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, (2ULL << 56) | VEC_XEN_UPCALL);
}

static int setup_timer(void)
{
	int rc = ev_bind_virq(NULL, VIRQ_TIMER, 0, &timer_port);

	if (rc == 0)
		rc = evtchn_bind(&xen_evtchn, timer_port, timer_virq, NULL);
	if (rc == 0)
		rc = evtchn_unmask(&xen_evtchn, timer_port);
	return rc;
}

int xen_gnttab_init(void);
int xen_xenstore_init(void);

static int xen_init(void)
{
	int rc;

	pic_disable(); /* PVH has no PIC, but a stray port write is harmless */
	if ((rc = map_shared_info()) < 0 || (rc = setup_upcall()) < 0 || (rc = setup_timer()) < 0 ||
	    (rc = xen_console_init()) < 0)
		return rc;
	boot_mark("xen: shared_info, upcall, timer, console");
	irq_enable(); /* xenstore waits for event-channel upcalls */
	if ((rc = xen_xenstore_init()) < 0 || (rc = xen_gnttab_init()) < 0)
		return rc;
	boot_mark("xen: xenstore, grant table");
	if ((rc = xen_control_init()) < 0)
		return rc;
	boot_mark("xen: control");
	plat_tsc_khz = pvclock_tsc_khz(shinfo->vcpu_info[0].time.tsc_to_system_mul,
				       shinfo->vcpu_info[0].time.tsc_shift);
	kprintf("time: Xen pvclock, TSC %llu kHz, VIRQ_TIMER one-shot; Xen %u.%u\n",
		(unsigned long long)plat_tsc_khz, xen_version >> 16, xen_version & 0xffff);
	return 0;
}

void xen_request_reboot(void)
{
	shutdown_reason = SHUTDOWN_reboot;
}

/* Both kinds of device: a failing one must not hide the other. */
static int xen_probe_devices(void)
{
	int net = netfront_probe_all(), blk;

	boot_mark("xen: network devices");
	blk = blkfront_probe_all();
	boot_mark("xen: block devices");

	if (net < 0)
		kprintf("xen: network devices: error %d\n", net);
	if (blk < 0)
		kprintf("xen: block devices: error %d\n", blk);
	return net < 0 && blk < 0 ? net : 0;
}

static __attribute__((noreturn)) void xen_shutdown(int status)
{
	xen_console_flush();
	/* Anything but success is a crash, so that on_crash policies apply. */
	xen_sched_shutdown(status == SLUICE_EXIT_SUCCESS ? shutdown_reason : SHUTDOWN_crash);
	cpu_halt_forever();
}

const struct plat_ops plat_xen_ops = {
	.name = "xen",
	.early_init = xen_early,
	.init = xen_init,
	.console_write = xen_console_write,
	.console_flush = xen_console_flush,
	.monotonic_ns = xen_monotonic_ns,
	.wallclock_ns = xen_wallclock_ns,
	.timer_set = xen_timer_set,
	.probe_devices = xen_probe_devices,
	.publish = xen_publish,
	.shutdown = xen_shutdown,
};
