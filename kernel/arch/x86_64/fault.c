/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault reports: an exception in this kernel is always a bug, so print
 * everything that helps find it (vector, error code, registers, faulting
 * address and what lives there, a symbolized backtrace), then stop the VM
 * with a distinct status so that tests and on_crash policies see it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "sluice/kernel.h"
#include "sluice/ksyms.h"
#include "sluice/mm.h"
#include "sluice/trap.h"
#include "sluice/x86.h"

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char boot_stack[], stacks_end[];

static const char *const exc_names[32] = {
	"divide error (#DE)",
	"debug (#DB)",
	"NMI",
	"breakpoint (#BP)",
	"overflow (#OF)",
	"bound range (#BR)",
	"invalid opcode (#UD)",
	"device not available (#NM)",
	"double fault (#DF)",
	"coprocessor segment overrun",
	"invalid TSS (#TS)",
	"segment not present (#NP)",
	"stack fault (#SS)",
	"general protection (#GP)",
	"page fault (#PF)",
	"reserved",
	"x87 floating point (#MF)",
	"alignment check (#AC)",
	"machine check (#MC)",
	"SIMD floating point (#XM)",
	"virtualization (#VE)",
	"control protection (#CP)",
};

static volatile int in_fault;

static void print_sym(uint64_t addr)
{
	uint64_t off;
	const char *name = ksyms_lookup(&kernel_ksyms, addr, (uint64_t)_text_end, &off);

	if (name)
		kprintf("0x%llx <%s+0x%llx>", (unsigned long long)addr, name,
			(unsigned long long)off);
	else
		kprintf("0x%llx", (unsigned long long)addr);
}

/* Is [p, p + 16) a plausible frame on one of our stacks? */
static int frame_ok(uint64_t p)
{
	return (p & 7) == 0 && p >= (uint64_t)boot_stack && p + 16 <= (uint64_t)stacks_end;
}

static int text_addr(uint64_t a)
{
	return a >= (uint64_t)_text_start && a < (uint64_t)_text_end;
}

/*
 * gcc 12 omits the frame of leaf functions that need no stack even with
 * -fno-omit-frame-pointer, so %rbp still holds the caller's frame. If the
 * faulting function has not (yet) pushed %rbp, its return address is the
 * word at %rsp: report that caller too, or it would vanish from the trace.
 */
static uint64_t leaf_return(uint64_t rip, uint64_t rsp)
{
	uint64_t off;
	const char *name = ksyms_lookup(&kernel_ksyms, rip, (uint64_t)_text_end, &off);
	const uint8_t *start = (const uint8_t *)(rip - off);

	if (!name || !frame_ok(rsp))
		return 0;
	/* push %rbp; mov %rsp,%rbp = 55 48 89 e5: past it, %rbp is our own frame. */
	if (start[0] == 0x55 && off >= 4)
		return 0;
	return text_addr(*(uint64_t *)rsp) ? *(uint64_t *)rsp : 0;
}

void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp)
{
	uint64_t ret = rsp ? leaf_return(rip, rsp) : 0;
	int i = 1;

	kprintf("backtrace:\n  #0  ");
	print_sym(rip);
	kprintf("\n");
	if (ret) {
		kprintf("  #1  ");
		print_sym(ret);
		kprintf("\n");
		i++;
	}
	/*
	 * Walk the frame-pointer chain (the kernel is built with frame
	 * pointers). Frames must lie on a kernel stack and grow upwards, so a
	 * corrupt chain ends the walk instead of faulting again.
	 */
	for (; i < 32 && frame_ok(rbp); i++) {
		uint64_t next = ((uint64_t *)rbp)[0];

		ret = ((uint64_t *)rbp)[1];
		if (ret == 0)
			break;
		kprintf("  #%-2d ", i);
		print_sym(ret);
		kprintf("\n");
		if (next <= rbp)
			break;
		rbp = next;
	}
}

static void explain_pf(const struct trap_frame *tf, uint64_t cr2)
{
	const char *stack;

	kprintf("page fault: %s of %s page, %s mode%s\n", (tf->error & 2) ? "write" : "read",
		(tf->error & 1) ? "a protected" : "an unmapped",
		(tf->error & 4) ? "user" : "kernel", (tf->error & 16) ? ", instruction fetch" : "");
	if (cr2 < 4096)
		kprintf("cause: NULL pointer dereference\n");
	else if (mm_is_guard_page(cr2, &stack))
		kprintf("cause: stack overflow (guard page below the %s)\n", stack);
	else if (cr2 >= (uint64_t)_text_start && cr2 < (uint64_t)_text_end && (tf->error & 2))
		kprintf("cause: write to read-only kernel text\n");
	else if (cr2 >= (uint64_t)_rodata_start && cr2 < (uint64_t)_rodata_end && (tf->error & 2))
		kprintf("cause: write to read-only data\n");
	else if (tf->error & 16)
		kprintf("cause: execution of a non-executable page\n");
}

static void print_regs(const struct trap_frame *tf)
{
	kprintf("rax %016llx rbx %016llx rcx %016llx\n", (unsigned long long)tf->rax,
		(unsigned long long)tf->rbx, (unsigned long long)tf->rcx);
	kprintf("rdx %016llx rsi %016llx rdi %016llx\n", (unsigned long long)tf->rdx,
		(unsigned long long)tf->rsi, (unsigned long long)tf->rdi);
	kprintf("rbp %016llx rsp %016llx r8  %016llx\n", (unsigned long long)tf->rbp,
		(unsigned long long)tf->rsp, (unsigned long long)tf->r8);
	kprintf("r9  %016llx r10 %016llx r11 %016llx\n", (unsigned long long)tf->r9,
		(unsigned long long)tf->r10, (unsigned long long)tf->r11);
	kprintf("r12 %016llx r13 %016llx r14 %016llx\n", (unsigned long long)tf->r12,
		(unsigned long long)tf->r13, (unsigned long long)tf->r14);
	kprintf("r15 %016llx rflags %08llx cs %04llx ss %04llx cr3 %08llx\n",
		(unsigned long long)tf->r15, (unsigned long long)tf->rflags,
		(unsigned long long)tf->cs, (unsigned long long)tf->ss,
		(unsigned long long)read_cr3());
	backtrace_print(tf->rip, tf->rbp, tf->rsp);
}

void fault_report(const struct trap_frame *tf)
{
	uint64_t cr2 = read_cr2();
	unsigned int v = tf->vector & 0xff;

	if (in_fault++) /* a fault while reporting one: say so and stop */
		cpu_halt_forever();
	kprintf("\nFAULT: %s, vector %u, error code 0x%llx\n",
		v < 32 && exc_names[v] ? exc_names[v] : "reserved exception", v,
		(unsigned long long)tf->error);
	kprintf("rip ");
	print_sym(tf->rip);
	kprintf("  cr2 0x%llx\n", (unsigned long long)cr2);
	if (v == 14)
		explain_pf(tf, cr2);
	print_regs(tf);
	kernel_shutdown(SLUICE_EXIT_FAULT);
}

/*
 * An NMI from the host (xl trigger DOMAIN nmi, QEMU's "nmi" command) asks
 * for a look inside, as Linux treats an NMI nobody claims: report where
 * the CPU was and the kernel's counters, then carry on. The CPU blocks
 * further NMIs until our IRET, and this runs on its own IST stack, so it
 * cannot nest or overflow the interrupted stack. It only reads state: the
 * interrupted code may be in the middle of changing it.
 */
void nmi_report(const struct trap_frame *tf)
{
	static unsigned int count;

	if (in_fault)
		return; /* already reporting a fault: let that finish */
	kprintf("\nNMI %u: state dump (the appliance carries on)\nrip ", ++count);
	print_sym(tf->rip);
	kprintf("\n");
	print_regs(tf);
	kernel_state_dump();
	kprintf("NMI %u: end of state dump\n", count);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	char buf[256];
	uint64_t *fp = __builtin_frame_address(0);

	irq_disable();
	if (in_fault++)
		cpu_halt_forever();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("\nPANIC: %s\n", buf);
	backtrace_print(fp[1], fp[0], 0); /* start at our caller */
	kernel_shutdown(SLUICE_EXIT_PANIC);
}
