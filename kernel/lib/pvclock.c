// SPDX-License-Identifier: BSD-2-Clause
/*
 * pvclock time scaling and reading.
 *
 * All arithmetic is 64-bit: the 64x32->96 bit product is split into two
 * 64-bit halves, and mul_frac is found by binary long division. Neither
 * needs 128-bit division, which would call libgcc's __udivti3 (built with
 * the red zone, unusable in our ring-0 code).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "sluice/barrier.h"
#include "sluice/pvclock.h"

#define NSEC_PER_SEC 1000000000ULL

uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int8_t shift)
{
	uint64_t lo, hi;

	/*
	 * Same shift semantics as Xen and KVM (bits shifted out on the left are
	 * lost). The shift is hypervisor-provided: out-of-range values would be
	 * undefined behaviour in C, so they shift everything out instead.
	 */
	if (shift <= -64 || shift >= 64)
		delta = 0;
	else if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;

	/*
	 * (delta * mul) >> 32 with delta = dh * 2^32 + dl:
	 * = dh * mul + ((dl * mul) >> 32), exactly, since dh * mul * 2^32 has no
	 * bits below 2^32. The sum is < 2^64 because the full product is < 2^96.
	 */
	lo = (delta & 0xffffffffULL) * mul_frac;
	hi = (delta >> 32) * mul_frac;
	return hi + (lo >> 32);
}

/* One more bit of the binary expansion of q + r/hz (r < hz): returns the new remainder. */
static uint64_t div_step(uint64_t *q, uint64_t r, uint64_t hz)
{
	bool carry = r >> 63; /* r * 2 >= 2^64 > hz: the bit is certainly 1 */

	r <<= 1;
	*q <<= 1;
	if (carry || r >= hz) {
		r -= hz; /* modulo 2^64, which is exact when carry is set */
		*q |= 1;
	}
	return r;
}

/*
 * We want ns = ticks * 10^9 / hz = ((ticks << shift) * mul) >> 32, that is
 * mul = 10^9 / hz * 2^(32 - shift). For maximum precision mul is kept in
 * [2^31, 2^32) (the same normalization Xen's set_time_scale() arrives at):
 * we generate the binary expansion of 10^9 / hz bit by bit until it has 32
 * significant bits, e bits after the binary point, so shift = 32 - e.
 * mul is the exact floor of the ideal value, so the relative error is below
 * 2^-31 (0.5 ppb); Xen's version additionally drops low bits of hz.
 */
int pvclock_mul_shift_from_hz(uint64_t hz, uint32_t *mul_frac, int8_t *shift)
{
	uint64_t q, r;
	int e = 0;

	if (hz == 0)
		return -EINVAL;
	q = NSEC_PER_SEC / hz; /* 64-bit division: a plain divq */
	r = NSEC_PER_SEC % hz;
	/* q < 2^30 < 2^32 here, so only more bits are ever needed, never fewer. */
	while (q < (1ULL << 31)) {
		r = div_step(&q, r, hz);
		e++;
	}
	*mul_frac = (uint32_t)q;
	*shift = (int8_t)(32 - e); /* e <= 66 for any 64-bit hz, so this fits */
	return 0;
}

/*
 * The hypervisor rewrites the area at any time: it makes the version odd,
 * updates the fields, then makes it even again. A consistent snapshot is
 * one taken between two identical even version reads. The loop relies on
 * the hypervisor finishing its update; a hypervisor that never does could
 * stop this vCPU anyway. RDTSC itself is not ordered against loads, so
 * @rdtsc should be the ordered kind (lfence; rdtsc, or rdtscp), as in Linux.
 */
uint64_t pvclock_read(const volatile struct pvclock_time_info *ti, uint64_t (*rdtsc)(void))
{
	uint32_t version, mul;
	uint64_t tsc_ts, sys, tsc;
	int8_t shift;

	do {
		version = ti->version;
		rmb(); /* version, fields, version: in that order */
		tsc_ts = ti->tsc_timestamp;
		sys = ti->system_time;
		mul = ti->tsc_to_system_mul;
		shift = ti->tsc_shift;
		tsc = rdtsc();
		rmb();
	} while ((version & 1) || version != ti->version);

	/*
	 * The difference is taken modulo 2^64: Xen stamps HVM/PVH guests in
	 * guest-TSC units, and a stamp taken before the guest's TSC origin is
	 * "negative" (seen on Xen 4.17: stamp 2^64 - 1.03e9 with the TSC at
	 * 1.03e9), so comparing the raw values would freeze the clock until
	 * Xen's next update. Only a TSC really behind the stamp (cross-CPU
	 * skew, a just-migrated vCPU) gives a negative signed difference;
	 * treat that as zero so time cannot jump by centuries.
	 */
	if ((int64_t)(tsc - tsc_ts) < 0)
		return sys;
	return sys + pvclock_scale_delta(tsc - tsc_ts, mul, shift);
}

uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc, uint64_t system_ns)
{
	uint32_t version, sec, nsec;
	uint64_t wall;

	/* Same versioning protocol as the time-info area. */
	do {
		version = wc->version;
		rmb(); /* version, fields, version: in that order */
		sec = wc->sec;
		nsec = wc->nsec;
		rmb();
	} while ((version & 1) || version != wc->version);

	/* sec * 10^9 + nsec < 2^63; only a huge system_ns could overflow: saturate. */
	wall = (uint64_t)sec * NSEC_PER_SEC + nsec;
	if (system_ns > UINT64_MAX - wall)
		return UINT64_MAX;
	return wall + system_ns;
}

uint64_t pvclock_tsc_khz(uint32_t mul_frac, int8_t shift)
{
	/* ns per tick = mul * 2^shift / 2^32, so kHz = 10^6 * 2^32 / mul / 2^shift. */
	uint64_t khz;

	if (mul_frac == 0 || shift > 31 || shift < -31)
		return 0;
	khz = (1000000ULL << 32) / mul_frac;
	return shift >= 0 ? khz >> shift : khz << -shift;
}
