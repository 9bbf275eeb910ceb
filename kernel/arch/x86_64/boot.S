/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PVH entry point (Xen `type = "pvh"` and QEMU's pvh.bin option ROM).
 *
 * We arrive in 32-bit protected mode, paging off, %ebx = physical address of
 * struct hvm_start_info, no stack, GDT or IDT (xen docs/misc/pvh.pandoc).
 * This code builds just enough to reach long mode: a GDT, a 1 GiB identity
 * map of 2 MiB pages, SSE, a stack. The real page tables (W^X, guard pages,
 * page 0 unmapped) are built in C by paging_init().
 */
#include "sluice/layout.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/*
 * The only ELF note: PHYS32_ENTRY is all Xen's libelf needs for PVH, and a
 * PT_NOTE is read before section headers (docs/boot.md §1). No Multiboot header:
 * QEMU would prefer it over PVH.
 */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4			/* namesz: "Xen\0" */
	.long 4			/* descsz: a 32-bit physical address */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_start32
	.balign 4

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	/* %ebx must survive until C: it is the only pointer to start_info. */
	lgdt	boot_gdt_ptr
	mov	$GDT_KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs

	/*
	 * Zero .bss (page tables and stacks live there). Loaders zero it too,
	 * but being explicit costs microseconds and removes the assumption.
	 * start_info is never inside our image, so this cannot clobber it.
	 */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl

	mov	$(boot_stack + 4096 + BOOT_STACK_SIZE), %esp

	/* Boot page tables: PML4[0] -> PDPT[0] -> PD of 512 x 2 MiB, RW. */
	mov	$boot_pd, %edi
	mov	$0x83, %eax		/* present | writable | page size */
	mov	$512, %ecx
1:	mov	%eax, (%edi)
	movl	$0, 4(%edi)
	add	$0x200000, %eax
	add	$8, %edi
	loop	1b
	movl	$(boot_pd + 3), boot_pdpt
	movl	$(boot_pdpt + 3), boot_pml4

	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	mov	$boot_pml4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER */
	rdmsr
	or	$0x100, %eax		/* LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80010001, %eax	/* PG | WP | PE: WP so ring 0 obeys read-only pages */
	mov	%eax, %cr0
	ljmp	$GDT_KCODE, $long_entry

	.code64
long_entry:
	mov	$GDT_KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss

	/*
	 * SSE before the first C statement: gcc emits SSE for struct copies
	 * and vectorised loops anywhere (docs/toolchain.md §2).
	 */
	mov	%cr0, %rax
	and	$~0x4, %rax		/* EM off */
	or	$0x22, %rax		/* MP | NE */
	mov	%rax, %cr0
	mov	%cr4, %rax
	or	$0x600, %rax		/* OSFXSR | OSXMMEXCPT */
	mov	%rax, %cr4
	fninit
	ldmxcsr	mxcsr_default

	mov	%ebx, %edi		/* zero-extends: start_info is below 4 GiB */
	xor	%ebp, %ebp		/* terminates backtraces */
	call	kernel_entry
2:	cli
	hlt
	jmp	2b

	.section .rodata.boot, "a"
	.balign 16
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* GDT_KCODE: 64-bit code */
	.quad	0x00cf92000000ffff	/* GDT_KDATA: flat data, valid in both modes */
boot_gdt_end:
	.balign 4
boot_gdt_ptr:
	.word	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt
mxcsr_default:
	.long	0x1f80			/* all SSE exceptions masked, round to nearest */

	.section .bss.boot_pt, "aw", @nobits
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4096
