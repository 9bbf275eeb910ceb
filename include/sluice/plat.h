/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Platform abstraction. The platform is detected from CPUID at boot and one
 * `struct plat_ops` is chosen at run time: the same image runs on Xen (PVH)
 * and on QEMU with or without KVM.
 */
#ifndef SLUICE_PLAT_H
#define SLUICE_PLAT_H

#include <stddef.h>
#include <stdint.h>

enum plat_kind {
	PLAT_NONE, /* no hypervisor leaves: QEMU TCG (or bare metal) */
	PLAT_KVM,
	PLAT_XEN,
};

struct plat_ops {
	const char *name;
	/* Optional: before memory management (e.g. Xen's hypercall page). 0 or -errno. */
	int (*early_init)(void);
	/* After memory is up: console, interrupt controller, clocks. 0 or -errno. */
	int (*init)(void);
	/* Write console bytes; must work with interrupts off and from faults. */
	void (*console_write)(const char *s, size_t len);
	/* Make sure everything written has left the guest (before power-off). */
	void (*console_flush)(void);
	/* Monotonic nanoseconds since an arbitrary origin near boot. */
	uint64_t (*monotonic_ns)(void);
	/* Nanoseconds since the Unix epoch, or 0 if unknown. */
	uint64_t (*wallclock_ns)(void);
	/* Arm the one-shot wake-up for @deadline_ns (monotonic); UINT64_MAX = none. */
	void (*timer_set)(uint64_t deadline_ns);
	/*
	 * Optional: find and register devices (virtio on QEMU, xenbus on Xen),
	 * after the command line is parsed. 0 or -errno.
	 */
	int (*probe_devices)(void);
	/*
	 * Optional: publish a key for the host to read, synchronously (Xen:
	 * data/sluice/<key>). For the kernel's own status and test images;
	 * appliances use the host channel (sluice/hostcfg.h).
	 */
	void (*publish)(const char *key, const char *value);
	/* Stop the VM with an exit status; never returns. */
	void (*shutdown)(int status) __attribute__((noreturn));
};

extern enum plat_kind plat_kind;
extern const struct plat_ops *plat;

/* Set plat_kind and plat from CPUID (also the hypervisor's CPUID base). */
void plat_detect(void);
extern uint32_t plat_cpuid_base;

extern const struct plat_ops plat_qemu_ops;
extern const struct plat_ops plat_xen_ops;

/* TSC frequency, for boot-time measurements (0 until the platform knows it). */
extern uint64_t plat_tsc_khz;

#endif
