/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU platform, with KVM or without (TCG): COM1 + debugcon console, LAPIC
 * timer, kvmclock when KVM offers it and a PIT-calibrated TSC otherwise,
 * CMOS or kvmclock wall clock, isa-debug-exit / ACPI power-off.
 */
#include <errno.h>
#include <stdint.h>

#include "sluice/boot.h"
#include "sluice/console.h"
#include "sluice/drivers.h"
#include "sluice/hw.h"
#include "sluice/kernel.h"
#include "sluice/plat.h"
#include "sluice/pvclock.h"
#include "sluice/trap.h"
#include "sluice/virtio_mmio.h"
#include "sluice/x86.h"

#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1U << 3)

/* isa-debug-exit's default port: QEMU then exits with (value << 1) | 1. */
#define DEBUG_EXIT_PORT 0x501
#define CALIBRATE_MS 5
#define MAX_TIMER_DELTA_NS 1000000000ULL /* longer waits re-arm after waking */

static struct pvclock_time_info kvm_ti __attribute__((aligned(64)));
static struct pvclock_wall_clock kvm_wc __attribute__((aligned(16)));
static bool use_kvmclock;
static uint64_t tsc_origin, tsc_khz, lapic_khz;
static uint32_t tsc_mul;
static int8_t tsc_shift;
static uint64_t wall_at_boot_ns;

static uint64_t rdtsc_fn(void)
{
	return rdtsc();
}

static uint64_t qemu_monotonic_ns(void)
{
	if (use_kvmclock)
		return pvclock_read(&kvm_ti, rdtsc_fn);
	return pvclock_scale_delta(rdtsc() - tsc_origin, tsc_mul, tsc_shift);
}

static uint64_t qemu_wallclock_ns(void)
{
	return wall_at_boot_ns ? wall_at_boot_ns + qemu_monotonic_ns() : 0;
}

static void qemu_timer_set(uint64_t deadline)
{
	uint64_t now, delta;

	if (deadline == UINT64_MAX) {
		if (lapic_has_tsc_deadline())
			lapic_timer_deadline(0);
		else
			lapic_timer_oneshot(0);
		return;
	}
	now = qemu_monotonic_ns();
	delta = deadline > now ? MIN(deadline - now, MAX_TIMER_DELTA_NS) : 0;
	if (lapic_has_tsc_deadline()) {
		lapic_timer_deadline(rdtsc() + delta * tsc_khz / 1000000 + 1);
	} else {
		uint64_t ticks = delta * lapic_khz / 1000000 + 1;

		lapic_timer_oneshot((uint32_t)MIN(ticks, 0xffffffffULL));
	}
}

static void timer_irq(struct trap_frame *tf, void *arg)
{
	(void)tf;
	(void)arg;
	/* Nothing to do: the interrupt ends hlt and the event loop rechecks. */
}

/* kvmclock: KVM publishes pvclock data where we ask (MSR_KVM_SYSTEM_TIME_NEW). */
static int kvmclock_init(void)
{
	uint32_t a, b, c, d;
	uint64_t t0;

	cpuid(plat_cpuid_base + 1, 0, &a, &b, &c, &d);
	if (!(a & KVM_FEATURE_CLOCKSOURCE2))
		return -ENODEV;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&kvm_ti | 1);
	wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)&kvm_wc);
	if (kvm_ti.tsc_to_system_mul == 0)
		return -EIO;
	tsc_khz = pvclock_tsc_khz(kvm_ti.tsc_to_system_mul, kvm_ti.tsc_shift);
	use_kvmclock = true;
	wall_at_boot_ns = pvclock_wall_ns(&kvm_wc, 0);
	/* Measure the LAPIC timer over 1 ms of kvmclock, in case there is no TSC-deadline. */
	lapic_timer_start_free_running();
	a = lapic_timer_current();
	t0 = qemu_monotonic_ns();
	while (qemu_monotonic_ns() - t0 < 1000000)
		cpu_relax();
	lapic_khz = a - lapic_timer_current();
	return 0;
}

static int tsc_clock_init(void)
{
	uint64_t hz, lhz;
	int64_t sec;
	int rc;

	lapic_timer_start_free_running();
	rc = pit_calibrate(CALIBRATE_MS, &hz, &lhz);
	if (rc < 0)
		return rc;
	tsc_khz = hz / 1000;
	lapic_khz = lhz / 1000;
	rc = pvclock_mul_shift_from_hz(hz, &tsc_mul, &tsc_shift);
	if (rc < 0)
		return rc;
	tsc_origin = rdtsc();
	if (rtc_read(&sec) == 0)
		wall_at_boot_ns = (uint64_t)sec * 1000000000ULL;
	return 0;
}

static int qemu_init(void)
{
	int rc;

	pic_disable();
	rc = lapic_init();
	if (rc < 0)
		return rc;
	rc = irq_register(VEC_LAPIC_TIMER, timer_irq, NULL);
	if (rc < 0)
		return rc;
	rc = -ENODEV;
	if (plat_kind == PLAT_KVM)
		rc = kvmclock_init();
	if (rc < 0)
		rc = tsc_clock_init();
	if (rc < 0)
		return rc;
	qemu_timer_set(UINT64_MAX);
	plat_tsc_khz = tsc_khz;
	kprintf("time: %s, TSC %llu kHz, LAPIC timer %s\n",
		use_kvmclock ? "kvmclock" : "TSC (PIT-calibrated)", (unsigned long long)tsc_khz,
		lapic_has_tsc_deadline() ? "TSC-deadline" : "one-shot");
	return 0;
}

/*
 * microvm with ACPI lists its virtio-mmio transports only in the DSDT;
 * without ACPI, QEMU puts them on the command line (already parsed).
 */
static int qemu_probe_devices(void)
{
	acpi_find_virtio_mmio(boot_info.si.rsdp_paddr, virtio_mmio_add);
	return virtio_probe_all();
}

static void qemu_console_write(const char *s, size_t len)
{
	serial_write(s, len);
	debugcon_write(s, len);
}

static void qemu_console_flush(void)
{
	/* Both back ends write synchronously. */
}

static __attribute__((noreturn)) void qemu_shutdown(int status)
{
	outw(DEBUG_EXIT_PORT, (uint16_t)status);
	/* Still here: no isa-debug-exit device. Try ACPI S5, then just stop. */
	if (acpi_poweroff(boot_info.si.rsdp_paddr) == -EIO) {
		/* QEMU acts on the S5 request asynchronously: give it time. */
		uint64_t t0 = rdtsc();

		while (rdtsc() - t0 < tsc_khz * 1000)
			cpu_relax();
	}
	kprintf("shutdown: no power-off method worked; halting\n");
	cpu_halt_forever();
}

const struct plat_ops plat_qemu_ops = {
	.name = "qemu",
	.init = qemu_init,
	.console_write = qemu_console_write,
	.console_flush = qemu_console_flush,
	.monotonic_ns = qemu_monotonic_ns,
	.wallclock_ns = qemu_wallclock_ns,
	.timer_set = qemu_timer_set,
	.probe_devices = qemu_probe_devices,
	.shutdown = qemu_shutdown,
};
