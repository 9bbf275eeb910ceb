/* SPDX-License-Identifier: BSD-2-Clause */
/* Boot sequence (docs/boot.md §5 for the order), command line, and shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/app.h"
#include "sluice/boot.h"
#include "sluice/console.h"
#include "sluice/evloop.h"
#include "sluice/hostcfg.h"
#include "sluice/kernel.h"
#include "sluice/logsink.h"
#include "sluice/mm.h"
#include "sluice/plat.h"
#include "sluice/random.h"
#include "sluice/trap.h"
#include "sluice/virtio_mmio.h"
#include "sluice/x86.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

void cpu_init(void);
void __libc_init_array(void);

uint64_t plat_tsc_khz;
static uint64_t tsc_main;

static struct {
	uint64_t tsc;
	const char *label;
} boot_marks[BOOT_MARKS_MAX];
static unsigned int boot_nmarks;
static bool bootlog;

void boot_mark(const char *label)
{
	if (boot_nmarks < BOOT_MARKS_MAX)
		boot_marks[boot_nmarks++] = (typeof(boot_marks[0])){rdtsc(), label};
}

static const struct cmdline_opt kernel_opts[] = {
	{.key = "virtio_mmio.device",
	 .type = CMDLINE_FUNC,
	 .fn = virtio_mmio_cmdline,
	 .repeat = true,
	 .help = "SIZE@BASE:IRQ, added by QEMU -M microvm for each virtio-mmio device"},
	{.key = "bootlog",
	 .type = CMDLINE_BOOL,
	 .dst = &bootlog,
	 .help = "1: print the boot timeline (each step's time since entry) when ready"},
	{.key = NULL},
};

static uint64_t tsc_to_us(uint64_t ticks)
{
	return plat_tsc_khz ? ticks * 1000 / plat_tsc_khz : 0;
}

/* One line per step: time since entry, and the step's own cost (since the previous mark). */
static void print_boot_timeline(uint64_t now)
{
	uint64_t prev = boot_tsc_entry;

	for (unsigned int i = 0; i <= boot_nmarks; i++) {
		uint64_t t = i < boot_nmarks ? boot_marks[i].tsc : now;

		printf("boot: %8llu us  +%6llu us  %s\n",
		       (unsigned long long)tsc_to_us(t - boot_tsc_entry),
		       (unsigned long long)tsc_to_us(t - prev),
		       i < boot_nmarks ? boot_marks[i].label : "ready");
		prev = t;
	}
}

void kernel_mark_ready(void)
{
	uint64_t now = rdtsc();

	if (bootlog)
		print_boot_timeline(now);

	printf("ready: %s up, entry->main %llu us, entry->ready %llu us\n", sluice_app.name,
	       (unsigned long long)tsc_to_us(tsc_main - boot_tsc_entry),
	       (unsigned long long)tsc_to_us(now - boot_tsc_entry));
	hc_publish(HK_STATUS, "ready");
}

void kernel_shutdown(int status)
{
	irq_disable();
	kprintf("sluice: stopping with status %d\n", status); /* sends a partial line first */
	if (plat->console_flush)
		plat->console_flush();
	plat->shutdown(status);
}

static void parse_cmdline(void)
{
	static struct cmdline_kv kv[CMDLINE_MAX_KV];
	static char buf[CMDLINE_MAX];
	const struct cmdline_opt *tables[] = {kernel_opts, sluice_app.opts, NULL};
	char err[160];
	unsigned int n;

	memcpy(buf, boot_info.cmdline, sizeof(buf));
	if (cmdline_tokenize(buf, kv, ARRAY_SIZE(kv), &n, err, sizeof(err)) < 0 ||
	    cmdline_apply(kv, n, tables, err, sizeof(err)) < 0) {
		kprintf("cmdline: error: %s\n", err);
		kernel_shutdown(SLUICE_EXIT_CONFIG);
	}
}

static void banner(void)
{
	printf("Sluice %s: %s appliance on %s%s\n", SLUICE_VERSION, sluice_app.name, plat->name,
	       plat_kind == PLAT_KVM	? " (KVM)"
	       : plat_kind == PLAT_NONE ? " (no hypervisor)"
					: "");
	printf("memory: %llu KiB RAM, heap %llu KiB, %llu pages free\n",
	       (unsigned long long)(mm_ram_bytes() >> 10),
	       (unsigned long long)(mm_heap_size() >> 10),
	       (unsigned long long)page_allocator.free_pages);
	if (boot_info.cmdline[0])
		printf("cmdline: %s\n", boot_info.cmdline);
}

void kernel_main(void)
{
	int rc, status;

	tsc_main = rdtsc();
	console_early_init();
	plat_detect();
	if (plat->early_init && (rc = plat->early_init()) < 0)
		panic("platform %s: early init failed (%d)", plat->name, rc);
	if (boot_info.error)
		panic("boot: %s", boot_info.error);
	boot_mark("platform early init");
	cpu_init();
	idt_init();
	mm_init();
	boot_mark("cpu, idt, memory");
	rc = plat->init();
	if (rc < 0)
		panic("platform %s: init failed (%d)", plat->name, rc);
	boot_mark("platform init");
	evloop_init();
	__libc_init_array(); /* C constructors: there is no crt0 */
	banner();
	if (!random_source())
		panic("no hardware entropy source (CPU lacks RDSEED and RDRAND); "
		      "refusing to run with a predictable seed (QEMU TCG: use -cpu max)");
	parse_cmdline();
	irq_enable();
	if (plat->probe_devices && (rc = plat->probe_devices()) < 0)
		kprintf("devices: probing failed (%d); continuing with what was found\n", rc);
	boot_mark("devices");
	/* Host tools tell appliances apart by this key (sluice-ctl list). */
	hc_publish(HK_APPLIANCE, sluice_app.name);
	status = sluice_app.main();
	logsink_close(); /* write out buffered log records; a no-op without a log disk */
	kernel_shutdown(status);
}

/* picolibc: exit(), abort() and assert() end here. */
void _exit(int status)
{
	kernel_shutdown(status);
}
