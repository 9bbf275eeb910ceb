/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TSC calibration against the 8254 PIT (1.193182 MHz), used when no
 * hypervisor tells us the TSC frequency (QEMU TCG).
 *
 * Channel 0 is read back with latch commands rather than gating channel 2
 * through port 0x61, which -M microvm does not have (docs/toolchain.md §5).
 */
#include <errno.h>

#include "sluice/hw.h"
#include "sluice/x86.h"

#define PIT_HZ 1193182ULL
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_ROUNDS 5

static uint16_t pit_read(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, 0x00); /* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | (hi << 8));
}

/* One measurement window of @ticks PIT ticks. */
static int pit_window(uint64_t ticks, uint64_t *tsc_hz, uint64_t *lapic_hz)
{
	uint64_t elapsed = 0, tsc0, tsc1;
	uint32_t apic0, apic1;
	uint16_t prev, cur;
	unsigned long spins = 0;

	prev = pit_read();
	/* Wait for the first decrement so we start on a tick edge. */
	while ((cur = pit_read()) == prev)
		if (++spins > 1000000)
			return -ENODEV; /* no PIT: the count never moves */
	prev = cur;
	tsc0 = rdtsc();
	apic0 = lapic_timer_current();
	while (elapsed < ticks) {
		cur = pit_read();
		/* The counter runs down; modular arithmetic absorbs the reload. */
		elapsed += (uint16_t)(prev - cur);
		prev = cur;
		if (++spins > 100000000UL)
			return -ETIMEDOUT;
	}
	tsc1 = rdtsc();
	apic1 = lapic_timer_current();
	*tsc_hz = (tsc1 - tsc0) * PIT_HZ / elapsed;
	*lapic_hz = (uint64_t)(apic0 - apic1) * PIT_HZ / elapsed;
	return 0;
}

static void sort_u64(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/*
 * The median of several short windows: a window during which our vCPU was
 * descheduled for a whole PIT period (55 ms, likely on a loaded host under
 * TCG) misses a wrap of the counter and overestimates the TSC frequency;
 * the median discards such outliers.
 */
int pit_calibrate(unsigned int ms, uint64_t *tsc_hz, uint64_t *lapic_hz)
{
	uint64_t t[PIT_ROUNDS], l[PIT_ROUNDS];
	uint64_t ticks = PIT_HZ * ms / 1000 / PIT_ROUNDS;
	int rc;

	/* Channel 0, lobyte/hibyte, mode 2 (rate generator), reload 65536. */
	outb(PIT_CMD, 0x34);
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
	for (int i = 0; i < PIT_ROUNDS; i++) {
		rc = pit_window(ticks, &t[i], &l[i]);
		if (rc < 0)
			return rc;
	}
	sort_u64(t, PIT_ROUNDS);
	sort_u64(l, PIT_ROUNDS);
	*tsc_hz = t[PIT_ROUNDS / 2];
	*lapic_hz = l[PIT_ROUNDS / 2];
	return 0;
}
