/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI power-off, for QEMU without isa-debug-exit (booting by hand).
 * Only what S5 needs: RSDP -> RSDT/XSDT -> FADT -> DSDT's \_S5_ package.
 * Tables come from firmware, so every length and pointer is checked before
 * it is followed, and tables are mapped read-only on demand.
 */
#include <errno.h>
#include <string.h>

#include "sluice/hw.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/x86.h"

#define FADT_FLAG_HW_REDUCED (1U << 20)
#define MAX_TABLE_LEN (1U << 20) /* a DSDT larger than 1 MiB is not QEMU's */

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t rev, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static int map_ro(uint64_t pa, uint64_t len)
{
	if (pa < 4096 || len == 0 || pa + len < pa)
		return -EINVAL;
	return paging_map(pa, len, 0);
}

static uint8_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

/* Map a table, check its signature, length and checksum. */
static const struct sdt_header *table(uint64_t pa, const char *sig)
{
	const struct sdt_header *h = (const void *)pa;

	if (map_ro(pa, sizeof(*h)) < 0 || memcmp(h->sig, sig, 4) != 0)
		return NULL;
	if (h->length < sizeof(*h) || h->length > MAX_TABLE_LEN || map_ro(pa, h->length) < 0)
		return NULL;
	return sum(h, h->length) == 0 ? h : NULL;
}

/* Walk the RSDT/XSDT for a table with @sig. */
static const struct sdt_header *find_table(uint64_t rsdp_pa, const char *sig)
{
	const uint8_t *rsdp = (const void *)rsdp_pa;
	const struct sdt_header *root;
	uint64_t root_pa;
	int xsdt, width;

	if (map_ro(rsdp_pa, 36) < 0 || memcmp(rsdp, "RSD PTR ", 8) != 0 || sum(rsdp, 20) != 0)
		return NULL;
	xsdt = rsdp[15] >= 2 && *(const uint64_t *)(rsdp + 24) != 0;
	root_pa = xsdt ? *(const uint64_t *)(rsdp + 24) : *(const uint32_t *)(rsdp + 16);
	root = table(root_pa, xsdt ? "XSDT" : "RSDT");
	if (!root)
		return NULL;
	width = xsdt ? 8 : 4;
	for (uint32_t off = sizeof(*root); off + width <= root->length; off += width) {
		const uint8_t *p = (const uint8_t *)root + off;
		uint64_t pa = xsdt ? *(const uint64_t *)p : *(const uint32_t *)p;
		const struct sdt_header *t = table(pa, sig);

		if (t)
			return t;
	}
	return NULL;
}

/*
 * Find SLP_TYPa in the DSDT's `Name (_S5_, Package () { a, b, ... })`:
 * NameOp '_S5_' PackageOp PkgLength NumElements, then a ByteConst (0x0A xx),
 * Zero (0x00) or One (0x01) for SLP_TYPa.
 */
static int s5_slp_typ(const struct sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->length;

	for (p += sizeof(*dsdt); p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
			continue;
		p += 5;
		p += 1 + (*p >> 6); /* PkgLength: lead byte plus 0..3 extra bytes */
		p += 1;		    /* NumElements */
		if (p + 1 >= end)
			return -EINVAL;
		if (*p == 0x0a)
			return p[1] & 7;
		if (*p == 0x00 || *p == 0x01)
			return *p;
		return -EINVAL;
	}
	return -ENOENT;
}

static const struct sdt_header *find_fadt(uint64_t rsdp_pa)
{
	return find_table(rsdp_pa, "FACP");
}

/*
 * IOAPICs from the MADT: entries of type 1 (12 bytes: id, reserved,
 * address u32, GSI base u32) after the 44-byte header. Lengths come from
 * firmware, so a zero or overlong entry ends the walk.
 */
int acpi_find_ioapics(uint64_t rsdp_pa, int (*add)(uint64_t base, uint32_t gsi_base))
{
	const struct sdt_header *madt = rsdp_pa ? find_table(rsdp_pa, "APIC") : NULL;
	const uint8_t *p, *end;
	int found = 0;

	if (!madt || madt->length < 44)
		return -ENODEV;
	end = (const uint8_t *)madt + madt->length;
	for (p = (const uint8_t *)madt + 44; p + 2 <= end && p[1] >= 2 && p + p[1] <= end;
	     p += p[1]) {
		if (p[0] == 1 && p[1] >= 12 &&
		    add(*(const uint32_t *)(p + 4), *(const uint32_t *)(p + 8)) == 0)
			found++;
	}
	return found;
}

static const struct sdt_header *find_dsdt(const struct sdt_header *fadt)
{
	const uint8_t *f = (const uint8_t *)fadt;
	uint64_t dsdt_pa;

	if (!fadt || fadt->length < 116)
		return NULL;
	dsdt_pa = fadt->length >= 148 && *(const uint64_t *)(f + 140) ? *(const uint64_t *)(f + 140)
								      : *(const uint32_t *)(f + 40);
	return table(dsdt_pa, "DSDT");
}

/*
 * QEMU's microvm with ACPI describes its virtio-mmio transports only in the
 * DSDT (no virtio_mmio.device= on the command line): Device (VRxx) with
 * _HID "LNRO0005" and a _CRS of Memory32Fixed (tag 0x86) + Extended
 * Interrupt (tag 0x89). We look for exactly that encoding right after each
 * _HID string; it is firmware data, so every field is range-checked by
 * virtio_mmio_add() and anything else is ignored.
 */
int acpi_find_virtio_mmio(uint64_t rsdp_pa, int (*add)(uint64_t base, uint64_t size, uint32_t irq))
{
	const struct sdt_header *dsdt = rsdp_pa ? find_dsdt(find_fadt(rsdp_pa)) : NULL;
	const uint8_t *p, *end, *q, *qend;
	int found = 0;

	if (!dsdt)
		return -ENODEV;
	p = (const uint8_t *)dsdt + sizeof(*dsdt);
	end = (const uint8_t *)dsdt + dsdt->length;
	for (; p + 9 <= end; p++) {
		if (memcmp(p, "LNRO0005", 9) != 0) /* includes the NUL */
			continue;
		qend = MIN(end, p + 96); /* the _CRS follows within the same small Device */
		for (q = p + 9; q + 20 <= qend; q++) {
			if (q[0] != 0x86 || q[1] != 0x09 || q[2] != 0x00 || q[12] != 0x89)
				continue;
			/* Memory32Fixed: base at +4, length at +8; interrupt number at +17. */
			if (add(*(const uint32_t *)(q + 4), *(const uint32_t *)(q + 8),
				*(const uint32_t *)(q + 17)) == 0)
				found++;
			break;
		}
	}
	return found;
}

int acpi_poweroff(uint64_t rsdp_pa)
{
	const struct sdt_header *fadt = rsdp_pa ? find_fadt(rsdp_pa) : NULL;
	const uint8_t *f = (const uint8_t *)fadt;
	const struct sdt_header *dsdt = find_dsdt(fadt);
	int typ;

	typ = dsdt ? s5_slp_typ(dsdt) : -ENODEV;
	if (typ < 0)
		return typ;
	if ((*(const uint32_t *)(f + 112) & FADT_FLAG_HW_REDUCED) && fadt->length >= 256) {
		/* Sleep control register (a GAS at offset 244): SLP_TYP << 2 | SLP_EN. */
		uint64_t addr = *(const uint64_t *)(f + 248);

		if (f[244] == 1 && addr && addr <= 0xffff) /* system I/O space */
			outb((uint16_t)addr, (uint8_t)((typ << 2) | (1 << 5)));
		else if (f[244] == 0 && addr && paging_map(addr, 1, PG_RW | PG_UC) == 0)
			*(volatile uint8_t *)addr = (uint8_t)((typ << 2) | (1 << 5));
		return -EIO; /* still running */
	}
	if (*(const uint32_t *)(f + 64) && *(const uint32_t *)(f + 64) <= 0xffff)
		outw((uint16_t) * (const uint32_t *)(f + 64), (uint16_t)((typ << 10) | (1 << 13)));
	return -EIO;
}
