/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * I/O APICs: indirect registers through IOREGSEL/IOWIN, MMIO mapped
 * uncached. The ACPI MADT lists them with their GSI bases (microvm with
 * ACPI has two); without ACPI there is one at the architectural address.
 */
#include <errno.h>
#include <stdbool.h>

#include "sluice/boot.h"
#include "sluice/hw.h"
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

#define MAX_IOAPICS 4

/* microvm with ACPI has a second IOAPIC for GSIs 24-47; the MADT lists them. */
static struct ioapic {
	volatile uint32_t *regs;
	unsigned int gsi_base, nr;
} ioapics[MAX_IOAPICS];
static unsigned int nr_ioapics, nr_gsis;
static bool initialised;

/*
 * Select-then-access is two stores to shared state: an interrupt handler
 * touching the IOAPIC in between would redirect our access.
 */
static uint32_t ioapic_read(const struct ioapic *io, unsigned int reg)
{
	uint64_t f = irq_save();
	uint32_t v;

	io->regs[IOREGSEL / 4] = reg;
	v = io->regs[IOWIN / 4];
	irq_restore(f);
	return v;
}

static void ioapic_write(const struct ioapic *io, unsigned int reg, uint32_t v)
{
	uint64_t f = irq_save();

	io->regs[IOREGSEL / 4] = reg;
	io->regs[IOWIN / 4] = v;
	irq_restore(f);
}

/* Map one IOAPIC (from the MADT, or the default), check it answers, mask all. */
static int add_ioapic(uint64_t base, uint32_t gsi_base)
{
	struct ioapic *io = &ioapics[nr_ioapics];
	uint32_t ver;

	/* Firmware data: a page-aligned register window below 4 GiB, sane GSI base. */
	if (nr_ioapics >= MAX_IOAPICS || (base & 0xfff) || base >= (1ULL << 32) || gsi_base > 255)
		return -EINVAL;
	if (paging_map(base, PAGE_SIZE, PG_RW | PG_UC) < 0)
		return -ENOMEM;
	io->regs = (volatile uint32_t *)(uintptr_t)base;
	ver = ioapic_read(io, REG_VERSION);
	/* Unclaimed MMIO reads as all-ones (or zero): then there is no IOAPIC here. */
	if (ver == 0xffffffff || ver == 0)
		return -ENODEV;
	/* Bits 16-23 hold the last entry's index: at most 256 entries by construction. */
	io->nr = ((ver >> 16) & 0xff) + 1;
	io->gsi_base = gsi_base;
	for (unsigned int i = 0; i < io->nr; i++)
		ioapic_write(io, REG_REDTBL + 2 * i, RTE_MASKED);
	nr_ioapics++;
	nr_gsis = MAX(nr_gsis, gsi_base + io->nr);
	return 0;
}

int ioapic_init(void)
{
	if (initialised)
		return nr_ioapics ? 0 : -ENODEV;
	initialised = true;
	acpi_find_ioapics(boot_info.si.rsdp_paddr, add_ioapic);
	if (nr_ioapics == 0) /* no ACPI (microvm acpi=off): the fixed address */
		add_ioapic(IOAPIC_BASE, 0);
	return nr_ioapics ? 0 : -ENODEV;
}

/* The IOAPIC and input serving @gsi, or NULL. */
static const struct ioapic *lookup(unsigned int gsi, unsigned int *pin)
{
	for (unsigned int i = 0; i < nr_ioapics; i++) {
		if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].nr) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	}
	return NULL;
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
	const struct ioapic *io;
	unsigned int pin;
	int rc = ioapic_init();

	if (rc < 0)
		return rc;
	io = lookup(gsi, &pin);
	if (!io || vector < 0x20 || vector > 0xfe)
		return -ERANGE;
	if (flags & IOAPIC_LEVEL)
		lo |= RTE_LEVEL;
	if (flags & IOAPIC_ACTIVE_LOW)
		lo |= RTE_ACTIVE_LOW;
	/* Masked first, so the entry never fires half-written. */
	ioapic_write(io, REG_REDTBL + 2 * pin, RTE_MASKED);
	ioapic_write(io, REG_REDTBL + 2 * pin + 1, (uint32_t)this_apic_id() << RTE_DEST_SHIFT);
	ioapic_write(io, REG_REDTBL + 2 * pin, lo);
	return 0;
}

static void set_mask(unsigned int gsi, bool masked)
{
	const struct ioapic *io;
	unsigned int pin;
	uint64_t f;
	uint32_t lo;

	io = lookup(gsi, &pin);
	if (!io)
		return;
	/* Read-modify-write as one unit: a handler may (un)mask another line meanwhile. */
	f = irq_save();
	lo = ioapic_read(io, REG_REDTBL + 2 * pin);
	lo = masked ? lo | RTE_MASKED : lo & ~RTE_MASKED;
	ioapic_write(io, REG_REDTBL + 2 * pin, lo);
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
