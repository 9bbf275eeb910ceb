/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel stacks. Each is preceded by a guard page that paging_init() leaves
 * unmapped, so an overflow faults instead of silently corrupting memory.
 * Layout per stack: [guard 4 KiB][stack]. The labels name the guard page;
 * the usable stack is label + 4096 .. label + 4096 + size.
 */
#include "sluice/layout.h"

	.section .bss.stacks, "aw", @nobits
	.balign 4096
	.globl boot_stack, ist_df_stack, ist_nmi_stack, ist_pf_stack, stacks_end
boot_stack:	.skip 4096 + BOOT_STACK_SIZE
ist_df_stack:	.skip 4096 + IST_STACK_SIZE
ist_nmi_stack:	.skip 4096 + IST_STACK_SIZE
ist_pf_stack:	.skip 4096 + IST_STACK_SIZE
stacks_end:
