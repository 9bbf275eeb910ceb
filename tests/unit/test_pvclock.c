// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for kernel/lib/pvclock.c. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "sluice/pvclock.h"

_Static_assert(sizeof(struct pvclock_time_info) == 32, "vcpu_time_info is 32 bytes");
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock_wall_clock is 12 bytes");

/* Reference: the obvious 128-bit computation (fine in a host test). */
static uint64_t ref_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* Reference: Xen's set_time_scale() (xen/arch/x86/time.c), divl done in C. */
static void xen_set_time_scale(uint64_t ticks_per_sec, uint32_t *mul, int8_t *shift)
{
	uint64_t tps64 = ticks_per_sec;
	uint32_t tps32;
	int s = 0;

	while (tps64 > 2000000000ULL) {
		tps64 >>= 1;
		s--;
	}
	tps32 = (uint32_t)tps64;
	while (tps32 <= 1000000000U) {
		tps32 <<= 1;
		s++;
	}
	*mul = (uint32_t)((1000000000ULL << 32) / tps32);
	*shift = (int8_t)s;
}

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

START_TEST(test_scale_1ghz)
{
	/* 1 GHz in Xen's representation: shift 1, mul 2^31. */
	ck_assert_uint_eq(pvclock_scale_delta(1000000000ULL, 0x80000000U, 1), 1000000000ULL);
	ck_assert_uint_eq(pvclock_scale_delta(12345, 0x80000000U, 1), 12345);
	ck_assert_uint_eq(pvclock_scale_delta(0, 0x80000000U, 1), 0);
	/* mul 2^31, shift 0: half. */
	ck_assert_uint_eq(pvclock_scale_delta(1000, 0x80000000U, 0), 500);
	ck_assert_uint_eq(pvclock_scale_delta(1000, 0, 5), 0);
}
END_TEST

START_TEST(test_scale_negative_shift)
{
	/* Right shift of the delta happens first: low bits are dropped. */
	ck_assert_uint_eq(pvclock_scale_delta(1000, 0x80000000U, -1), 250);
	ck_assert_uint_eq(pvclock_scale_delta(1001, 0x80000000U, -1), 250);
	ck_assert_uint_eq(pvclock_scale_delta(7, 0xffffffffU, -3), 0);
	ck_assert_uint_eq(pvclock_scale_delta(8, 0xffffffffU, -3), 0);
	ck_assert_uint_eq(pvclock_scale_delta(1ULL << 40, 0x80000000U, -8), 1ULL << 31);
	/* 2.5 GHz as Xen describes it (shift -1, mul 0xcccccccc). */
	ck_assert_uint_eq(pvclock_scale_delta(2500000000ULL, 0xccccccccU, -1), 999999999ULL);
}
END_TEST

START_TEST(test_scale_96bit)
{
	/* delta near 2^63 (and 2^64) times a 32-bit mul overflows 64 bits: must not lose bits. */
	static const uint64_t deltas[] = {(1ULL << 63) - 1, 1ULL << 63, (1ULL << 63) + 12345,
					  UINT64_MAX, 0xfedcba9876543210ULL};
	static const uint32_t muls[] = {0xffffffffU, 0x80000001U, 0xcccccccdU, 3, 1};

	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		for (size_t j = 0; j < sizeof(muls) / sizeof(muls[0]); j++) {
			uint64_t got = pvclock_scale_delta(deltas[i], muls[j], 0);

			ck_assert_msg(got == ref_scale(deltas[i], muls[j], 0),
				      "delta %#llx mul %#x: %#llx", (unsigned long long)deltas[i],
				      muls[j], (unsigned long long)got);
		}
	}
	ck_assert_uint_eq(pvclock_scale_delta(UINT64_MAX, 0xffffffffU, 0), 0xfffffffeffffffffULL);
	ck_assert_uint_eq(pvclock_scale_delta(1ULL << 63, 0x80000000U, 0), 1ULL << 62);
}
END_TEST

START_TEST(test_scale_random_vs_ref)
{
	for (int i = 0; i < 200000; i++) {
		uint64_t d = rng() >> (rng() % 64);
		uint32_t mul = (uint32_t)rng();
		int8_t shift = (int8_t)((int)(rng() % 64) - 32);

		if (pvclock_scale_delta(d, mul, shift) != ref_scale(d, mul, shift))
			ck_abort_msg("delta %#llx mul %#x shift %d", (unsigned long long)d, mul,
				     shift);
	}
}
END_TEST

START_TEST(test_scale_shift_out_of_range)
{
	/* Hypervisor-controlled shift values beyond 63 must not be undefined behaviour. */
	ck_assert_uint_eq(pvclock_scale_delta(UINT64_MAX, 0xffffffffU, 64), 0);
	ck_assert_uint_eq(pvclock_scale_delta(UINT64_MAX, 0xffffffffU, 127), 0);
	ck_assert_uint_eq(pvclock_scale_delta(UINT64_MAX, 0xffffffffU, -64), 0);
	ck_assert_uint_eq(pvclock_scale_delta(UINT64_MAX, 0xffffffffU, -128), 0);
	ck_assert_uint_eq(pvclock_scale_delta(UINT64_MAX, 0xffffffffU, -63), 0);
	ck_assert_uint_eq(pvclock_scale_delta(1, 0x80000000U, 63), 1ULL << 62);
}
END_TEST

START_TEST(test_from_hz_matches_xen)
{
	/* Frequencies where Xen's pre-shift loses no bits: identical results. */
	static const uint64_t hz[] = {1000000ULL,    1193182ULL,    3579545ULL,	   24000000ULL,
				      100000000ULL,  999999999ULL,  1000000000ULL, 1000000001ULL,
				      1999999999ULL, 2000000000ULL, 2500000000ULL, 3000000000ULL,
				      3600000000ULL, 4000000000ULL, 10000000000ULL};

	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		uint32_t mul, xmul;
		int8_t shift, xshift;

		ck_assert_int_eq(pvclock_mul_shift_from_hz(hz[i], &mul, &shift), 0);
		xen_set_time_scale(hz[i], &xmul, &xshift);
		ck_assert_msg(shift == xshift && mul == xmul, "%llu Hz: %#x/%d, Xen %#x/%d",
			      (unsigned long long)hz[i], mul, shift, xmul, xshift);
	}
	uint32_t mul;
	int8_t shift;

	ck_assert_int_eq(pvclock_mul_shift_from_hz(1000000000ULL, &mul, &shift), 0);
	ck_assert_uint_eq(mul, 0x80000000U);
	ck_assert_int_eq(shift, 1);
	ck_assert_int_eq(pvclock_mul_shift_from_hz(2500000000ULL, &mul, &shift), 0);
	ck_assert_uint_eq(mul, 0xccccccccU);
	ck_assert_int_eq(shift, -1);
}
END_TEST

/* |got - want| <= want * ppb / 10^9 */
static void assert_close(uint64_t got, uint64_t want, uint64_t ppb, uint64_t hz)
{
	uint64_t diff = got > want ? got - want : want - got;

	ck_assert_msg((unsigned __int128)diff * 1000000000U <= (unsigned __int128)want * ppb,
		      "%llu Hz: %llu ns, want %llu (off by %llu ns)", (unsigned long long)hz,
		      (unsigned long long)got, (unsigned long long)want, (unsigned long long)diff);
}

START_TEST(test_from_hz_accuracy)
{
	static const uint64_t hz[] = {1000000ULL,    1193182ULL,     2500000000ULL,
				      3000000000ULL, 10000000000ULL, 14318180ULL,
				      19200000ULL,   2899999777ULL,  7654321987ULL};
	static const uint64_t secs[] = {1, 60, 3600, 86400};

	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		uint32_t mul;
		int8_t shift;

		ck_assert_int_eq(pvclock_mul_shift_from_hz(hz[i], &mul, &shift), 0);
		/* Maximum precision: the top bit of mul is used. */
		ck_assert_uint_ge(mul, 0x80000000U);
		for (size_t j = 0; j < sizeof(secs) / sizeof(secs[0]); j++) {
			uint64_t ns = pvclock_scale_delta(hz[i] * secs[j], mul, shift);

			/* Required: 1 ppm. Achieved: mul is exact to 2^-31, about 0.5 ppb. */
			assert_close(ns, secs[j] * 1000000000ULL, 1000, hz[i]);
			assert_close(ns, secs[j] * 1000000000ULL, 1, hz[i]);
		}
	}
}
END_TEST

START_TEST(test_from_hz_extremes)
{
	uint32_t mul = 7;
	int8_t shift = 7;

	ck_assert_int_eq(pvclock_mul_shift_from_hz(0, &mul, &shift), -EINVAL);
	ck_assert_uint_eq(mul, 7);
	ck_assert_int_eq(pvclock_mul_shift_from_hz(1, &mul, &shift), 0);
	ck_assert_uint_eq(pvclock_scale_delta(5, mul, shift), 5000000000ULL);
	ck_assert_int_eq(pvclock_mul_shift_from_hz(UINT64_MAX, &mul, &shift), 0);
	ck_assert_uint_ge(mul, 0x80000000U);
	/* 2^64 - 1 ticks of a 2^64 - 1 Hz clock: one second (less truncation). */
	assert_close(pvclock_scale_delta(UINT64_MAX, mul, shift), 1000000000ULL, 1, UINT64_MAX);
	ck_assert_int_eq(pvclock_mul_shift_from_hz(1ULL << 63, &mul, &shift), 0);
	assert_close(pvclock_scale_delta(1ULL << 63, mul, shift), 1000000000ULL, 1, 1ULL << 63);
}
END_TEST

/* A fake hypervisor: the TSC read is where a concurrent update is simulated. */
static volatile struct pvclock_time_info ti;
static uint64_t fake_tsc;
static int rdtsc_calls, updates_left, quiet_calls;

static uint64_t fake_rdtsc(void)
{
	rdtsc_calls++;
	if (quiet_calls > 0) {
		quiet_calls--;
	} else if (updates_left > 0) {
		updates_left--;
		/* Hypervisor finishes (or performs) an update while we read. */
		ti.version = (ti.version | 1) + 1;
		ti.tsc_timestamp = 2000;
		ti.system_time = 7000000000ULL;
	}
	return fake_tsc;
}

static void ti_setup(uint32_t version)
{
	ti.version = version;
	ti.tsc_timestamp = 1000;
	ti.system_time = 5000000000ULL;
	ti.tsc_to_system_mul = 0x80000000U;
	ti.tsc_shift = 1; /* 1 GHz */
	ti.flags = PVCLOCK_TSC_STABLE_BIT;
	fake_tsc = 3000;
	rdtsc_calls = 0;
	updates_left = 0;
	quiet_calls = 0;
}

START_TEST(test_read_stable)
{
	ti_setup(2);
	ck_assert_uint_eq(pvclock_read(&ti, fake_rdtsc), 5000000000ULL + 2000);
	ck_assert_int_eq(rdtsc_calls, 1);
}
END_TEST

START_TEST(test_read_retries_odd_version)
{
	/* Update in progress (odd): the stale fields must not be used. */
	ti_setup(3);
	updates_left = 1;
	ck_assert_uint_eq(pvclock_read(&ti, fake_rdtsc), 7000000000ULL + 1000);
	ck_assert_int_eq(rdtsc_calls, 2);
	ck_assert_uint_eq(ti.version, 4);
}
END_TEST

START_TEST(test_read_retries_stable_odd_version)
{
	/*
	 * Odd at both reads (the hypervisor is mid-update and stays so during
	 * our first pass): equal versions are not enough, odd means retry.
	 */
	ti_setup(5);
	quiet_calls = 1;
	updates_left = 1;
	ck_assert_uint_eq(pvclock_read(&ti, fake_rdtsc), 7000000000ULL + 1000);
	ck_assert_int_eq(rdtsc_calls, 3);
	ck_assert_uint_eq(ti.version, 6);
}
END_TEST

START_TEST(test_read_retries_changed_version)
{
	/* Even version, but an update lands between the two version reads. */
	ti_setup(4);
	updates_left = 2;
	ck_assert_uint_eq(pvclock_read(&ti, fake_rdtsc), 7000000000ULL + 1000);
	ck_assert_int_eq(rdtsc_calls, 3);
	ck_assert_uint_eq(ti.version, 8);
}
END_TEST

START_TEST(test_read_tsc_behind_stamp)
{
	/* A TSC just behind the stamp must not wrap into a huge delta. */
	ti_setup(2);
	fake_tsc = 999;
	ck_assert_uint_eq(pvclock_read(&ti, fake_rdtsc), 5000000000ULL);
}
END_TEST

START_TEST(test_wall_ns)
{
	static volatile struct pvclock_wall_clock wc;

	wc.version = 2;
	wc.sec = 1700000000U;
	wc.nsec = 123456789U;
	ck_assert_uint_eq(pvclock_wall_ns(&wc, 0), 1700000000123456789ULL);
	ck_assert_uint_eq(pvclock_wall_ns(&wc, 1000), 1700000000123457789ULL);
	wc.sec = UINT32_MAX;
	ck_assert_uint_eq(pvclock_wall_ns(&wc, UINT64_MAX - 5), UINT64_MAX);
}
END_TEST

/* The kHz that a mul/shift pair describes inverts pvclock_mul_shift_from_hz. */
START_TEST(test_tsc_khz_roundtrip)
{
	static const uint64_t hz[] = {1000000ULL, 1193182ULL, 2600000000ULL, 3000000000ULL,
				      10000000000ULL};

	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		uint32_t mul;
		int8_t shift;
		uint64_t khz;

		ck_assert_int_eq(pvclock_mul_shift_from_hz(hz[i], &mul, &shift), 0);
		khz = pvclock_tsc_khz(mul, shift);
		/* Within 1 kHz of the truth (integer kHz, 1 ppb scaling error). */
		ck_assert_msg(khz + 1 >= hz[i] / 1000 && khz <= hz[i] / 1000 + 1,
			      "%llu Hz -> %llu kHz", (unsigned long long)hz[i],
			      (unsigned long long)khz);
	}
	ck_assert_uint_eq(pvclock_tsc_khz(0, 0), 0);
	ck_assert_uint_eq(pvclock_tsc_khz(1U << 31, 40), 0);
}
END_TEST

/* Xen stamps PVH guests in guest-TSC units: a stamp before the TSC origin wraps. */
START_TEST(test_read_wrapped_stamp)
{
	ti_setup(2);
	ti.tsc_timestamp = (uint64_t)-1031832059LL; /* as seen on Xen 4.17 */
	ti.system_time = 3944165695ULL;
	ti.tsc_to_system_mul = 1U << 31; /* 0.5 ns per tick */
	ti.tsc_shift = 0;
	fake_tsc = 1032733906ULL;
	ck_assert_uint_eq(pvclock_read(&ti, fake_rdtsc),
			  3944165695ULL + (1032733906ULL + 1031832059ULL) / 2);
}
END_TEST

static Suite *pvclock_suite(void)
{
	Suite *s = suite_create("pvclock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_scale_1ghz);
	tcase_add_test(tc, test_scale_negative_shift);
	tcase_add_test(tc, test_scale_96bit);
	tcase_add_test(tc, test_scale_random_vs_ref);
	tcase_add_test(tc, test_scale_shift_out_of_range);
	tcase_add_test(tc, test_from_hz_matches_xen);
	tcase_add_test(tc, test_from_hz_accuracy);
	tcase_add_test(tc, test_from_hz_extremes);
	tcase_add_test(tc, test_read_stable);
	tcase_add_test(tc, test_read_retries_odd_version);
	tcase_add_test(tc, test_read_retries_stable_odd_version);
	tcase_add_test(tc, test_read_retries_changed_version);
	tcase_add_test(tc, test_read_tsc_behind_stamp);
	tcase_add_test(tc, test_wall_ns);
	tcase_add_test(tc, test_tsc_khz_roundtrip);
	tcase_add_test(tc, test_read_wrapped_stamp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pvclock_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
