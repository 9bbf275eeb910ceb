/* SPDX-License-Identifier: BSD-2-Clause */
/* Interrupts and exceptions: the frame isr_common builds, and handler registration. */
#ifndef SLUICE_TRAP_H
#define SLUICE_TRAP_H

#include <stdint.h>

/* Matches the push order in kernel/arch/x86_64/isr.S (lowest address first). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define TRAP_IRQ_BASE 32
#define VEC_LAPIC_TIMER 0xf0
#define VEC_SPURIOUS 0xff

typedef void (*irq_handler_fn)(struct trap_frame *tf, void *arg);

void idt_init(void);

/*
 * Install a handler for a vector >= 32. Handlers run with interrupts off
 * and must not block. Returns 0, -EINVAL or -EBUSY.
 */
int irq_register(unsigned int vector, irq_handler_fn fn, void *arg);

/* Allocate a free device vector (0x40-0xdf) with a handler: vector or -ENOSPC. */
int irq_alloc_vector(irq_handler_fn fn, void *arg);

/* Called from isr_common. */
void trap_dispatch(struct trap_frame *tf);

/* Print the fault report and stop the VM with SLUICE_EXIT_FAULT. */
__attribute__((noreturn)) void fault_report(const struct trap_frame *tf);
/* An NMI: registers, backtrace and kernel_state_dump(), then back to work. */
void nmi_report(const struct trap_frame *tf);

#endif
