/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime GDT and TSS. The TSS matters only for its IST pointers: the
 * double-fault, NMI/machine-check and page-fault handlers run on stacks of
 * their own, so that a kernel stack overflowing into its guard page still
 * gets a fault report instead of a triple fault.
 */
#include <stdint.h>

#include "sluice/kernel.h"
#include "sluice/layout.h"
#include "sluice/x86.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

extern char ist_df_stack[], ist_nmi_stack[], ist_pf_stack[];

static struct tss tss __attribute__((aligned(16)));
static uint64_t gdt[5] __attribute__((aligned(16)));

bool cpu_has_feature(uint32_t leaf, int reg, int bit)
{
	uint32_t r[4];

	cpuid(leaf & 0x80000000, 0, &r[0], &r[1], &r[2], &r[3]);
	if (r[0] < leaf) /* leaf not implemented: its bits are not features */
		return false;
	cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
	return (r[reg] >> bit) & 1;
}

static uint64_t ist_top(const char *stack)
{
	/* Stack = [guard page][IST_STACK_SIZE]; the top is 16-byte aligned. */
	return (uint64_t)stack + 4096 + IST_STACK_SIZE;
}

void cpu_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = {sizeof(gdt) - 1, (uint64_t)gdt};

	tss.ist[IST_DF - 1] = ist_top(ist_df_stack);
	tss.ist[IST_NMI - 1] = ist_top(ist_nmi_stack);
	tss.ist[IST_PF - 1] = ist_top(ist_pf_stack);
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */

	gdt[0] = 0;
	gdt[GDT_KCODE / 8] = 0x00af9a000000ffffULL;
	gdt[GDT_KDATA / 8] = 0x00cf92000000ffffULL;
	/* 64-bit TSS descriptor: 16 bytes, type 9 (available TSS), present. */
	gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
			   (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[GDT_TSS / 8 + 1] = base >> 32;

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(GDT_KCODE), "r"(GDT_KDATA), "r"(GDT_TSS)
			 : "rax", "memory");
}
