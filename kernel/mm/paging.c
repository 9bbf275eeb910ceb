/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Page tables, built in C once the page allocator exists.
 *
 * Everything is identity mapped (virtual == physical): the kernel is linked
 * at 1 MiB and all guest memory is below the 47-bit limit. What matters is
 * what is *not* mapped and with which rights:
 *  - page 0 (and all of the first MiB) is unmapped, so NULL dereferences fault;
 *  - kernel text is read-only + executable, rodata read-only + NX, data and
 *    bss read-write + NX (W^X), and the rest of RAM read-write + NX;
 *  - a guard page below every stack is unmapped;
 *  - devices and the Xen special pages are mapped on demand by their users.
 */
#include <errno.h>
#include <string.h>

#include "sluice/kernel.h"
#include "sluice/layout.h"
#include "sluice/mm.h"
#include "sluice/x86.h"

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define PTE_LEAF_FLAGS (PTE_P | PTE_RW | PTE_PWT | PTE_PCD | PTE_NX)

#define SIZE_2M (2ULL << 20)
/* Until the switch to our tables, only the boot map's first GiB is reachable. */
#define BOOT_MAP_LIMIT (1ULL << 30)

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[], _ksyms_start[], _kernel_end[];
extern char boot_stack[], ist_df_stack[], ist_nmi_stack[], ist_pf_stack[];

static uint64_t *pml4;
static uint64_t nx_bit;
static bool paging_live;

static uint64_t attr_to_pte(unsigned int attr)
{
	uint64_t pte = PTE_P;

	if (attr & PG_RW)
		pte |= PTE_RW;
	if (!(attr & PG_EXEC))
		pte |= nx_bit;
	if (attr & PG_UC)
		pte |= PTE_PCD | PTE_PWT;
	return pte;
}

static uint64_t *table_alloc(void)
{
	uint64_t pa;

	if (pagealloc_alloc(&page_allocator, 1, 1, &pa) < 0)
		return NULL;
	/* Before the switch we can only write tables inside the boot map. */
	if (!paging_live && pa + PAGE_SIZE > BOOT_MAP_LIMIT)
		panic("paging: page table at %#llx outside the boot map", (unsigned long long)pa);
	memset((void *)pa, 0, PAGE_SIZE);
	return (uint64_t *)pa;
}

static void invlpg(uint64_t va)
{
	if (paging_live)
		__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Return the table one level down from @entry, creating it if @create. */
static uint64_t *next_table(uint64_t *entry, bool create)
{
	uint64_t *t;

	if (*entry & PTE_P)
		return (uint64_t *)(*entry & PTE_ADDR);
	if (!create)
		return NULL;
	t = table_alloc();
	if (!t)
		return NULL;
	/* Intermediate levels allow everything; the leaf decides the rights. */
	*entry = (uint64_t)t | PTE_P | PTE_RW;
	return t;
}

/* The PD entry (2 MiB level) covering @va. */
static uint64_t *pd_entry(uint64_t va, bool create)
{
	uint64_t *pdpt, *pd;

	pdpt = next_table(&pml4[(va >> 39) & 511], create);
	if (!pdpt)
		return NULL;
	pd = next_table(&pdpt[(va >> 30) & 511], create);
	if (!pd)
		return NULL;
	return &pd[(va >> 21) & 511];
}

/* Replace a 2 MiB leaf by a page table holding the same 512 mappings. */
static int split_large(uint64_t *pde)
{
	uint64_t *pt = table_alloc();
	uint64_t base = *pde & PTE_ADDR & ~(SIZE_2M - 1);
	uint64_t flags = *pde & PTE_LEAF_FLAGS;

	if (!pt)
		return -ENOMEM;
	for (int i = 0; i < 512; i++)
		pt[i] = (base + (uint64_t)i * PAGE_SIZE) | flags;
	*pde = (uint64_t)pt | PTE_P | PTE_RW;
	if (paging_live) /* every 4 KiB translation of the range may be cached */
		write_cr3(read_cr3());
	return 0;
}

static int set_4k(uint64_t va, uint64_t pte)
{
	uint64_t *pde = pd_entry(va, true), *pt;
	int rc;

	if (!pde)
		return -ENOMEM;
	if ((*pde & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS)) {
		rc = split_large(pde);
		if (rc < 0)
			return rc;
	}
	pt = next_table(pde, true);
	if (!pt)
		return -ENOMEM;
	pt[(va >> 12) & 511] = pte ? va | pte : 0; /* identity: the frame is the address */
	invlpg(va);
	return 0;
}

static int set_2m(uint64_t va, uint64_t pte)
{
	uint64_t *pde = pd_entry(va, true);

	if (!pde)
		return -ENOMEM;
	/* A finer-grained table being replaced as a whole is no longer needed. */
	if ((*pde & (PTE_P | PTE_PS)) == PTE_P)
		pagealloc_free(&page_allocator, *pde & PTE_ADDR, 1);
	*pde = va | pte | PTE_PS;
	if (paging_live)
		write_cr3(read_cr3());
	return 0;
}

static int map_range(uint64_t pa, uint64_t size, uint64_t pte)
{
	uint64_t end, va;
	int rc;

	if (size == 0 || pa + size < pa || pa + size > (1ULL << 47))
		return -EINVAL;
	end = ALIGN_UP(pa + size, PAGE_SIZE);
	va = ALIGN_DOWN(pa, PAGE_SIZE);
	while (va < end) {
		if ((va & (SIZE_2M - 1)) == 0 && end - va >= SIZE_2M && pte) {
			rc = set_2m(va, pte);
			va += SIZE_2M;
		} else {
			rc = set_4k(va, pte);
			va += PAGE_SIZE;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int paging_map(uint64_t paddr, uint64_t size, unsigned int attr)
{
	uint64_t flags = irq_save();
	int rc = map_range(paddr, size, attr_to_pte(attr));

	irq_restore(flags);
	return rc;
}

int paging_unmap(uint64_t paddr, uint64_t size)
{
	uint64_t flags = irq_save();
	int rc = map_range(paddr, size, 0);

	irq_restore(flags);
	return rc;
}

static void map_kernel_image(void)
{
	uint64_t text = (uint64_t)_text_start, rodata = (uint64_t)_rodata_start;
	uint64_t data = (uint64_t)_data_start, ksyms = (uint64_t)_ksyms_start;
	const char *guards[] = {boot_stack, ist_df_stack, ist_nmi_stack, ist_pf_stack};
	int rc = 0;

	/* Everything below the text (the ELF note page) is read-only data. */
	rc |= map_range(KERNEL_PHYS_BASE, text - KERNEL_PHYS_BASE, attr_to_pte(0));
	rc |= map_range(text, (uint64_t)_text_end - text, attr_to_pte(PG_EXEC));
	rc |= map_range(rodata, (uint64_t)_rodata_end - rodata, attr_to_pte(0));
	rc |= map_range(data, (uint64_t)_data_end - data, attr_to_pte(PG_RW));
	if ((uint64_t)_kernel_end > ksyms) /* the symbol table, for backtraces */
		rc |= map_range(ksyms, (uint64_t)_kernel_end - ksyms, attr_to_pte(0));
	for (size_t i = 0; i < ARRAY_SIZE(guards); i++)
		rc |= map_range((uint64_t)guards[i], PAGE_SIZE, 0);
	if (rc)
		panic("paging: cannot map the kernel image");
}

void paging_init(void)
{
	if (cpu_has_feature(0x80000001, CPUID_EDX, 20)) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		nx_bit = PTE_NX;
	}
	pml4 = table_alloc();
	if (!pml4)
		panic("paging: no memory for page tables");

	/* All RAM the allocator manages: read-write, never executable. */
	for (unsigned int i = 0; i < page_allocator.nregions; i++) {
		const struct pa_region *r = &page_allocator.r[i];

		if (map_range(r->base, r->npages * PAGE_SIZE, attr_to_pte(PG_RW)) < 0)
			panic("paging: cannot map RAM at %#llx", (unsigned long long)r->base);
	}
	map_kernel_image();

	write_cr3((uint64_t)pml4);
	paging_live = true;
}

int mm_is_guard_page(uint64_t addr, const char **name)
{
	static const struct {
		const char *name;
		const char *page;
	} g[] = {{"boot stack", boot_stack},
		 {"double-fault stack", ist_df_stack},
		 {"NMI stack", ist_nmi_stack},
		 {"page-fault stack", ist_pf_stack}};

	for (size_t i = 0; i < ARRAY_SIZE(g); i++) {
		if (addr >= (uint64_t)g[i].page && addr < (uint64_t)g[i].page + PAGE_SIZE) {
			*name = g[i].name;
			return 1;
		}
	}
	return 0;
}
