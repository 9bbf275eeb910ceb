/* SPDX-License-Identifier: BSD-2-Clause */
/* Constants shared by the assembly entry code and C. */
#ifndef SLUICE_LAYOUT_H
#define SLUICE_LAYOUT_H

#define KERNEL_PHYS_BASE 0x100000 /* linked and loaded at 1 MiB, identity mapped */

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_TSS 0x18

/* Stacks: each one sits above an unmapped guard page (kernel/arch/x86_64/stacks.S). */
#define BOOT_STACK_SIZE (64 * 1024)
#define IST_STACK_SIZE (16 * 1024)
#define IST_DF 1  /* double fault */
#define IST_NMI 2 /* NMI and machine check */
/* Page fault: a stack overflow faults on the guard page, so the #PF frame needs a working stack. */
#define IST_PF 3

#endif
