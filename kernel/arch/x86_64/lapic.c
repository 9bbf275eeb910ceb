/* SPDX-License-Identifier: BSD-2-Clause */
/* Local APIC (xAPIC MMIO mode) and the legacy 8259 PICs. */
#include <errno.h>

#include "sluice/hw.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/trap.h"
#include "sluice/x86.h"

#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_ADDR 0xfffff000ULL

#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT1 0x360
#define LVT_DELIVERY_NMI (4U << 8)
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define SVR_ENABLE (1U << 8)
#define LVT_MASKED (1U << 16)
#define LVT_TSC_DEADLINE (2U << 17)

static volatile uint32_t *lapic;
static bool tsc_deadline;

static inline void lapic_write(unsigned int reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

static inline uint32_t lapic_read(unsigned int reg)
{
	return lapic[reg / 4];
}

int lapic_init(void)
{
	uint64_t base;
	int rc;

	if (!cpu_has_feature(1, CPUID_EDX, 9))
		return -ENODEV;
	base = rdmsr(MSR_APIC_BASE);
	rc = paging_map(base & APIC_BASE_ADDR, 4096, PG_RW | PG_UC);
	if (rc < 0)
		return rc;
	/* Globally enable (xAPIC mode), then software-enable through the SVR. */
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic = (volatile uint32_t *)(base & APIC_BASE_ADDR);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	/*
	 * LINT1 delivers NMIs, as the MP specification's virtual-wire set-up
	 * has it: a firmware may have done so (q35's does), but nothing does
	 * on microvm, where it stays masked from reset and the host's NMI
	 * (QEMU's "nmi" command) would be dropped.
	 */
	lapic_write(LAPIC_LVT_LINT1, LVT_DELIVERY_NMI);
	tsc_deadline = cpu_has_feature(1, CPUID_ECX, 24);
	return 0;
}

void lapic_eoi(void)
{
	if (lapic)
		lapic_write(LAPIC_EOI, 0);
}

bool lapic_has_tsc_deadline(void)
{
	return tsc_deadline;
}

void lapic_timer_deadline(uint64_t tsc)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_LAPIC_TIMER);
	/*
	 * SDM 10.5.4.1: the MSR write must be ordered after the LVT write in
	 * TSC-deadline mode, which an mfence (mb()) guarantees for the MMIO store.
	 */
	mb();
	wrmsr(MSR_TSC_DEADLINE, tsc);
}

void lapic_timer_oneshot(uint32_t ticks)
{
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER); /* one-shot, unmasked */
	lapic_write(LAPIC_TIMER_INIT, ticks);
}

void lapic_timer_start_free_running(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}

void pic_disable(void)
{
	/*
	 * Re-initialise both PICs with their vectors moved to 0x20..0x2f so
	 * that a stray interrupt latched before masking cannot masquerade as
	 * a CPU exception, then mask every line.
	 */
	static const uint8_t seq[][2] = {
		{0x20, 0x11}, {0xa0, 0x11}, {0x21, 0x20}, {0xa1, 0x28}, {0x21, 0x04},
		{0xa1, 0x02}, {0x21, 0x01}, {0xa1, 0x01}, {0x21, 0xff}, {0xa1, 0xff},
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(seq); i++)
		outb(seq[i][0], seq[i][1]);
}
