/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI configuration mechanism #1, enumeration, BARs, capabilities, MSI-X.
 *
 * The firmware (SeaBIOS, which runs before pvh.bin hands over) has already
 * numbered the buses and assigned BAR addresses; we only read them. What a
 * function reports is not trusted: BAR sizes must be powers of two that fit
 * their address space, capability pointers must stay inside the header and
 * the list walk is bounded, and the MSI-X table must fit its BAR.
 */
#include <errno.h>
#include <stddef.h>

#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/pci.h"
#include "sluice/x86.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc

#define HEADER_MULTIFUNCTION 0x80
#define HEADER_TYPE_BRIDGE 0x01

#define BAR_IO 0x1
#define BAR_MEM_TYPE_MASK 0x6
#define BAR_MEM_TYPE_64 0x4
#define BAR_MEM_PREFETCH 0x8

/* Capabilities live in [0x40, 0x100) and are dword aligned: at most 48 fit. */
#define CAP_FIRST 0x40
#define CAP_MAX_WALK 48

#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_CTRL_SIZE_MASK 0x07ff
#define MSIX_CTRL_FUNC_MASK 0x4000
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_BIR_MASK 0x7
#define MSIX_ENTRY_SIZE 16
#define MSIX_VECTOR_MASKED 0x1
#define LAPIC_MSI_BASE 0xfee00000U

static uint32_t config_address(const struct pci_dev *d, unsigned int off)
{
	return 0x80000000U | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 |
	       (uint32_t)d->fn << 8 | (off & 0xfc);
}

/*
 * The address/data pair is one shared register: an interrupt handler doing
 * config access between our two port writes would redirect our access, so
 * each access runs with interrupts off.
 */
uint32_t pci_read32(const struct pci_dev *d, unsigned int off)
{
	uint64_t f = irq_save();
	uint32_t v;

	outl(CONFIG_ADDRESS, config_address(d, off));
	v = inl(CONFIG_DATA);
	irq_restore(f);
	return v;
}

uint16_t pci_read16(const struct pci_dev *d, unsigned int off)
{
	return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned int off)
{
	return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v)
{
	uint64_t f = irq_save();

	outl(CONFIG_ADDRESS, config_address(d, off));
	outl(CONFIG_DATA, v);
	irq_restore(f);
}

/* Sub-dword writes go to the matching byte lanes of the data port. */
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v)
{
	uint64_t f = irq_save();

	outl(CONFIG_ADDRESS, config_address(d, off));
	outw((uint16_t)(CONFIG_DATA + (off & 2)), v);
	irq_restore(f);
}

void pci_write8(const struct pci_dev *d, unsigned int off, uint8_t v)
{
	uint64_t f = irq_save();

	outl(CONFIG_ADDRESS, config_address(d, off));
	outb((uint16_t)(CONFIG_DATA + (off & 3)), v);
	irq_restore(f);
}

struct scan_state {
	uint32_t seen[256 / 32]; /* buses already scanned */
	pci_visit_fn fn;
	void *arg;
	unsigned int count;
};

static void scan_bus(struct scan_state *s, uint8_t bus);

static void scan_function(struct scan_state *s, struct pci_dev *d)
{
	uint32_t class = pci_read32(d, PCI_CLASS_REV);
	uint8_t secondary;

	d->class = (uint8_t)(class >> 24);
	d->subclass = (uint8_t)(class >> 16);
	d->prog_if = (uint8_t)(class >> 8);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & ~HEADER_MULTIFUNCTION;
	s->count++;
	s->fn(d, s->arg);
	if (d->header_type != HEADER_TYPE_BRIDGE)
		return;
	/* 0 means the firmware left the bridge unconfigured: nothing behind it is reachable. */
	secondary = pci_read8(d, PCI_SECONDARY_BUS);
	if (secondary != 0)
		scan_bus(s, secondary);
}

/* Recursion depth is bounded by the 256 buses, each scanned at most once. */
static void scan_bus(struct scan_state *s, uint8_t bus)
{
	if (s->seen[bus / 32] & (1U << (bus % 32)))
		return;
	s->seen[bus / 32] |= 1U << (bus % 32);
	for (uint8_t slot = 0; slot < 32; slot++) {
		struct pci_dev d = {.bus = bus, .slot = slot, .fn = 0};
		unsigned int nfn = 1;

		d.vendor = pci_read16(&d, PCI_VENDOR_ID);
		if (d.vendor == 0xffff)
			continue;
		if (pci_read8(&d, PCI_HEADER_TYPE) & HEADER_MULTIFUNCTION)
			nfn = 8;
		for (uint8_t fn = 0; fn < nfn; fn++) {
			d.fn = fn;
			d.vendor = pci_read16(&d, PCI_VENDOR_ID);
			if (d.vendor == 0xffff)
				continue;
			d.device = pci_read16(&d, PCI_DEVICE_ID);
			scan_function(s, &d);
		}
	}
}

unsigned int pci_scan(pci_visit_fn fn, void *arg)
{
	struct scan_state s = {.fn = fn, .arg = arg};

	scan_bus(&s, 0);
	return s.count;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* Write all-ones and read back which address bits the function implements. */
static uint32_t probe_bar(const struct pci_dev *d, unsigned int off, uint32_t orig)
{
	uint32_t v;

	pci_write32(d, off, 0xffffffff);
	v = pci_read32(d, off);
	pci_write32(d, off, orig);
	return v;
}

static int size_bar(const struct pci_dev *d, unsigned int bar, struct pci_bar *b)
{
	unsigned int off = PCI_BAR0 + 4 * bar;
	uint32_t lo = pci_read32(d, off), hi = 0, slo, shi = 0xffffffff;
	uint64_t mask;

	b->io = lo & BAR_IO;
	b->is64 = !b->io && (lo & BAR_MEM_TYPE_MASK) == BAR_MEM_TYPE_64;
	b->prefetch = !b->io && (lo & BAR_MEM_PREFETCH);
	if (b->is64 && bar + 1 >= PCI_NUM_BARS)
		return -EIO; /* a 64-bit BAR needs a second register */
	slo = probe_bar(d, off, lo);
	if (b->is64) {
		hi = pci_read32(d, off + 4);
		shi = probe_bar(d, off + 4, hi);
	}
	if (b->io) {
		/* I/O decode may be 16 bits only: the upper half then reads 0. */
		mask = (slo & ~3U) | 0xffff0000U;
		b->addr = lo & ~3U;
		b->size = (uint32_t)(~mask + 1);
	} else {
		mask = ((uint64_t)shi << 32) | (slo & ~0xfU);
		b->addr = ((uint64_t)hi << 32) | (lo & ~0xfU);
		b->size = ~mask + 1;
		if (!b->is64)
			b->size &= 0xffffffffULL;
	}
	return 0;
}

/*
 * Is @bar the upper half of a 64-bit BAR? Walked from BAR0: the register
 * before it may itself be an upper half, whose address bits mean nothing.
 */
static bool is_upper_half(const struct pci_dev *d, unsigned int bar)
{
	for (unsigned int i = 0; i < bar; i++) {
		uint32_t v = pci_read32(d, PCI_BAR0 + 4 * i);

		if (!(v & BAR_IO) && (v & BAR_MEM_TYPE_MASK) == BAR_MEM_TYPE_64 && ++i == bar)
			return true;
	}
	return false;
}

int pci_bar_get(const struct pci_dev *d, unsigned int bar, struct pci_bar *out)
{
	uint16_t cmd;
	uint64_t f, limit;
	int rc;

	if (bar >= PCI_NUM_BARS || d->header_type != 0)
		return -EINVAL;
	if (is_upper_half(d, bar))
		return -EINVAL;
	/*
	 * While all-ones is in the BAR the function would decode a bogus
	 * range: turn decoding off for the probe (interrupts too, so nothing
	 * runs with the BAR half-written).
	 */
	f = irq_save();
	cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	rc = size_bar(d, bar, out);
	pci_write16(d, PCI_COMMAND, cmd);
	irq_restore(f);
	if (rc < 0)
		return rc;
	if (out->size == 0 || out->addr == 0)
		return -ENOENT;
	/* Untrusted: a real BAR is a naturally aligned power of two inside its space. */
	limit = out->io ? 0x10000 : (out->is64 ? (1ULL << 47) : (1ULL << 32));
	if (!is_pow2(out->size) || out->addr % out->size || out->size > limit ||
	    out->addr > limit - out->size)
		return -EIO;
	return 0;
}

int pci_bar_map(const struct pci_bar *b)
{
	if (b->io)
		return -EINVAL;
	return paging_map(b->addr, b->size, PG_RW | PG_UC);
}

unsigned int pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned int nth)
{
	unsigned int off;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = pci_read8(d, PCI_CAP_PTR) & 0xfc;
	/* Bounded: a list that points back into itself ends after CAP_MAX_WALK steps. */
	for (unsigned int i = 0; i < CAP_MAX_WALK && off >= CAP_FIRST; i++) {
		if (pci_read8(d, off) == id && nth-- == 0)
			return off;
		off = pci_read8(d, off + 1) & 0xfc;
	}
	return 0;
}

void pci_enable(const struct pci_dev *d, bool io, bool mem)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND) | PCI_CMD_MASTER;

	if (io)
		cmd |= PCI_CMD_IO;
	if (mem)
		cmd |= PCI_CMD_MEM;
	pci_write16(d, PCI_COMMAND, cmd);
}

static volatile uint32_t *msix_entry(struct pci_msix *m, unsigned int entry)
{
	return m->table + entry * (MSIX_ENTRY_SIZE / 4);
}

int pci_msix_init(const struct pci_dev *d, struct pci_msix *m)
{
	unsigned int cap = pci_find_cap(d, PCI_CAP_MSIX, 0);
	struct pci_bar b;
	uint32_t tbl;
	uint16_t ctrl;
	int rc;

	if (!cap)
		return -ENODEV;
	ctrl = pci_read16(d, cap + MSIX_CTRL);
	tbl = pci_read32(d, cap + MSIX_TABLE);
	m->dev = d;
	m->cap = (uint8_t)cap;
	m->nvec = (ctrl & MSIX_CTRL_SIZE_MASK) + 1;
	/* Untrusted: the table must lie inside a memory BAR. */
	rc = pci_bar_get(d, tbl & MSIX_BIR_MASK, &b);
	if (rc < 0 || b.io)
		return -EIO;
	tbl &= ~MSIX_BIR_MASK;
	if (tbl > b.size || (uint64_t)m->nvec * MSIX_ENTRY_SIZE > b.size - tbl)
		return -EIO;
	rc = paging_map(b.addr + tbl, (uint64_t)m->nvec * MSIX_ENTRY_SIZE, PG_RW | PG_UC);
	if (rc < 0)
		return rc;
	m->table = (volatile uint32_t *)(uintptr_t)(b.addr + tbl);
	pci_enable(d, false, true);
	/*
	 * Enable with the whole function masked, mask each entry, then lift
	 * the function mask: no entry can fire with whatever the firmware or
	 * a previous user left in the table.
	 */
	pci_write16(d, cap + MSIX_CTRL, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_FUNC_MASK);
	for (unsigned int i = 0; i < m->nvec; i++)
		msix_entry(m, i)[3] = MSIX_VECTOR_MASKED;
	pci_write16(d, cap + MSIX_CTRL, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FUNC_MASK);
	/* With MSI-X on, INTx is unused: keep the line quiet as well. */
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_CMD_INTX_DISABLE);
	return 0;
}

/* Physical APIC ID of this (the only) CPU, the destination of every message. */
static uint8_t this_apic_id(void)
{
	uint32_t a, b, c, dx;

	cpuid(1, 0, &a, &b, &c, &dx);
	return (uint8_t)(b >> 24);
}

int pci_msix_route(struct pci_msix *m, unsigned int entry, irq_handler_fn fn, void *arg)
{
	volatile uint32_t *e;
	int vec;

	if (!m->table || entry >= m->nvec)
		return -EINVAL;
	vec = irq_alloc_vector(fn, arg);
	if (vec < 0)
		return vec;
	e = msix_entry(m, entry);
	/* Masked while the address and data are half-written. */
	e[3] = MSIX_VECTOR_MASKED;
	e[0] = LAPIC_MSI_BASE | (uint32_t)this_apic_id() << 12; /* physical destination */
	e[1] = 0;
	e[2] = (uint32_t)vec; /* fixed delivery, edge: just the vector */
	return vec;
}

void pci_msix_mask(struct pci_msix *m, unsigned int entry, bool masked)
{
	if (!m->table || entry >= m->nvec)
		return;
	/* UC stores are not reordered with each other: the entry is complete before this. */
	msix_entry(m, entry)[3] = masked ? MSIX_VECTOR_MASKED : 0;
}
