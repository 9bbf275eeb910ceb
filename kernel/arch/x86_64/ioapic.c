/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * I/O APIC: indirect registers through IOREGSEL/IOWIN. One IOAPIC (GSIs 0
 * to its last redirection entry) is all QEMU's q35 and microvm (without
 * ioapic2) have. Its registers are MMIO, mapped uncached.
 */
#include <errno.h>
#include <stdbool.h>

#include "sluice/ioapic.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/x86.h"

#define IOREGSEL 0x00
#define IOWIN 0x10

#define REG_VERSION 0x01
#define REG_REDTBL 0x10 /* + 2 * gsi: low dword, + 1: high dword */

#define RTE_LEVEL (1U << 15)
#define RTE_ACTIVE_LOW (1U << 13)
#define RTE_MASKED (1U << 16)
#define RTE_DEST_SHIFT 24 /* in the high dword: physical APIC ID */

static volatile uint32_t *ioapic;
static unsigned int nr_gsis;

/*
 * Select-then-access is two stores to shared state: an interrupt handler
 * touching the IOAPIC in between would redirect our access.
 */
static uint32_t ioapic_read(unsigned int reg)
{
	uint64_t f = irq_save();
	uint32_t v;

	ioapic[IOREGSEL / 4] = reg;
	v = ioapic[IOWIN / 4];
	irq_restore(f);
	return v;
}

static void ioapic_write(unsigned int reg, uint32_t v)
{
	uint64_t f = irq_save();

	ioapic[IOREGSEL / 4] = reg;
	ioapic[IOWIN / 4] = v;
	irq_restore(f);
}

int ioapic_init(void)
{
	uint32_t ver;
	int rc;

	if (ioapic)
		return 0;
	rc = paging_map(IOAPIC_BASE, PAGE_SIZE, PG_RW | PG_UC);
	if (rc < 0)
		return rc;
	ioapic = (volatile uint32_t *)(uintptr_t)IOAPIC_BASE;
	ver = ioapic_read(REG_VERSION);
	/* Unclaimed MMIO reads as all-ones (or zero): then there is no IOAPIC here. */
	if (ver == 0xffffffff || ver == 0) {
		ioapic = NULL;
		return -ENODEV;
	}
	/* Bits 16-23 hold the last entry's index: at most 256 entries by construction. */
	nr_gsis = ((ver >> 16) & 0xff) + 1;
	for (unsigned int gsi = 0; gsi < nr_gsis; gsi++)
		ioapic_write(REG_REDTBL + 2 * gsi, RTE_MASKED);
	return 0;
}

unsigned int ioapic_nr_gsis(void)
{
	return nr_gsis;
}

static uint8_t this_apic_id(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return (uint8_t)(b >> 24);
}

int ioapic_route(unsigned int gsi, unsigned int vector, unsigned int flags)
{
	uint32_t lo = RTE_MASKED | vector; /* fixed delivery, physical destination */
	int rc = ioapic_init();

	if (rc < 0)
		return rc;
	if (gsi >= nr_gsis || vector < 0x20 || vector > 0xfe)
		return -ERANGE;
	if (flags & IOAPIC_LEVEL)
		lo |= RTE_LEVEL;
	if (flags & IOAPIC_ACTIVE_LOW)
		lo |= RTE_ACTIVE_LOW;
	/* Masked first, so the entry never fires half-written. */
	ioapic_write(REG_REDTBL + 2 * gsi, RTE_MASKED);
	ioapic_write(REG_REDTBL + 2 * gsi + 1, (uint32_t)this_apic_id() << RTE_DEST_SHIFT);
	ioapic_write(REG_REDTBL + 2 * gsi, lo);
	return 0;
}

static void set_mask(unsigned int gsi, bool masked)
{
	uint64_t f;
	uint32_t lo;

	if (!ioapic || gsi >= nr_gsis)
		return;
	/* Read-modify-write as one unit: a handler may (un)mask another line meanwhile. */
	f = irq_save();
	lo = ioapic_read(REG_REDTBL + 2 * gsi);
	lo = masked ? lo | RTE_MASKED : lo & ~RTE_MASKED;
	ioapic_write(REG_REDTBL + 2 * gsi, lo);
	irq_restore(f);
}

void ioapic_mask(unsigned int gsi)
{
	set_mask(gsi, true);
}

void ioapic_unmask(unsigned int gsi)
{
	set_mask(gsi, false);
}
