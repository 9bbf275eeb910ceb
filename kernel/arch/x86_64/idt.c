/* SPDX-License-Identifier: BSD-2-Clause */
/* The IDT, and dispatch from isr_common to exception and interrupt handlers. */
#include <errno.h>
#include <stdint.h>

#include "sluice/kernel.h"
#include "sluice/layout.h"
#include "sluice/trap.h"
#include "sluice/x86.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; /* 0x8e: present, DPL 0, 64-bit interrupt gate (IF cleared on entry) */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

#define STUB_SIZE 16 /* each stub in isr.S is aligned to 16 bytes */

extern char isr_stubs[];
void lapic_eoi(void);

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct {
	irq_handler_fn fn;
	void *arg;
} handlers[256];

static void set_gate(unsigned int vec, uint8_t ist)
{
	uint64_t off = (uint64_t)isr_stubs + (uint64_t)vec * STUB_SIZE;

	idt[vec] = (struct idt_gate){
		.off_lo = off & 0xffff,
		.sel = GDT_KCODE,
		.ist = ist,
		.type = 0x8e,
		.off_mid = (off >> 16) & 0xffff,
		.off_hi = off >> 32,
	};
}

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)idt};

	for (unsigned int v = 0; v < 256; v++)
		set_gate(v, 0);
	/* Faults that can happen when the current stack is unusable get their own. */
	set_gate(2, IST_NMI);
	set_gate(8, IST_DF);
	set_gate(14, IST_PF);
	set_gate(18, IST_NMI);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* Device vectors are handed out from 0x40 up; 0xf0 and above are fixed ones. */
#define VEC_DYNAMIC_FIRST 0x40
#define VEC_DYNAMIC_LAST 0xdf

int irq_alloc_vector(irq_handler_fn fn, void *arg)
{
	for (unsigned int v = VEC_DYNAMIC_FIRST; v <= VEC_DYNAMIC_LAST; v++)
		if (!handlers[v].fn && irq_register(v, fn, arg) == 0)
			return (int)v;
	return -ENOSPC;
}

int irq_register(unsigned int vector, irq_handler_fn fn, void *arg)
{
	if (vector < TRAP_IRQ_BASE || vector > 255 || !fn)
		return -EINVAL;
	if (handlers[vector].fn)
		return -EBUSY;
	handlers[vector].arg = arg;
	handlers[vector].fn = fn;
	return 0;
}

void trap_dispatch(struct trap_frame *tf)
{
	unsigned int v = tf->vector & 0xff;

	if (v == 2) {
		nmi_report(tf); /* not a fault: a request for a state dump */
		return;		/* and no EOI: an NMI is not a LAPIC interrupt */
	}
	if (v < TRAP_IRQ_BASE)
		fault_report(tf); /* every other CPU exception is fatal in this kernel */
	if (v == VEC_SPURIOUS)
		return; /* spurious LAPIC interrupts must not be EOI'd (SDM 10.9) */
	if (handlers[v].fn)
		handlers[v].fn(tf, handlers[v].arg);
	else
		kprintf("trap: unexpected interrupt vector %u\n", v);
	lapic_eoi();
}
