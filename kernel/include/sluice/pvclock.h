/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pvclock: the time ABI Xen (vcpu_time_info) and KVM (kvmclock) share, and
 * the same scaling math applied to a TSC we calibrated ourselves, so that
 * every platform turns TSC ticks into nanoseconds through one function.
 * Pure logic: built into the kernel and into host tests.
 */
#ifndef SLUICE_PVCLOCK_H
#define SLUICE_PVCLOCK_H

#include <stdint.h>

/* Layout of Xen's struct vcpu_time_info and KVM's pvclock_vcpu_time_info. */
struct pvclock_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

#define PVCLOCK_TSC_STABLE_BIT 0x01

/* KVM wall clock (MSR_KVM_WALL_CLOCK_NEW): time of system_time == 0. */
struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

/*
 * ((delta << shift) * mul_frac) >> 32, shifting right for negative shifts,
 * with a 64x32->96 bit multiply so that no bits are lost.
 */
uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int8_t shift);

/*
 * Find mul_frac/shift such that pvclock_scale_delta(ticks) converts ticks
 * of a @hz clock to nanoseconds (as Xen's set_time_scale does). Returns 0,
 * or -EINVAL for hz == 0.
 */
int pvclock_mul_shift_from_hz(uint64_t hz, uint32_t *mul_frac, int8_t *shift);

/*
 * Nanoseconds from a time-info area the hypervisor updates concurrently:
 * read version, fields, tsc; retry while the version is odd or changed.
 * @rdtsc is called inside the retry loop.
 */
uint64_t pvclock_read(const volatile struct pvclock_time_info *ti, uint64_t (*rdtsc)(void));

/* Wall clock (ns since the epoch) for system time @system_ns, KVM layout. */
uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc, uint64_t system_ns);

/* The TSC frequency (kHz) that a mul_frac/shift pair describes; 0 if invalid. */
uint64_t pvclock_tsc_khz(uint32_t mul_frac, int8_t shift);

#endif
