/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xen platform layer: hypercalls and the state the Xen platform keeps.
 * Hypercalls go through the hypercall page Xen fills in at boot (docs/xen.md §2);
 * the 64-bit ABI passes up to five arguments in rdi, rsi, rdx, r10, r8 and
 * may clobber all of them, so every wrapper declares them as outputs too.
 */
#ifndef SLUICE_XEN_H
#define SLUICE_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>

extern char hypercall_page[];

static inline long xen_hypercall(unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3,
				 uint64_t a4, uint64_t a5)
{
	register uint64_t rdi __asm__("rdi") = a1;
	register uint64_t rsi __asm__("rsi") = a2;
	register uint64_t rdx __asm__("rdx") = a3;
	register uint64_t r10 __asm__("r10") = a4;
	register uint64_t r8 __asm__("r8") = a5;
	long rax;

	/* Each stub is 32 bytes into the page (docs/guest-guide/x86/hypercall-abi.rst). */
	__asm__ volatile("call *%[stub]"
			 : "=a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			 : [stub] "r"(hypercall_page + op * 32)
			 : "memory", "rcx", "r9", "r11");
	return rax;
}

#define xen_hypercall2(op, a, b) xen_hypercall(op, (uint64_t)(a), (uint64_t)(b), 0, 0, 0)
#define xen_hypercall3(op, a, b, c)                                                                \
	xen_hypercall(op, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0)

/* Early Xen set-up (before memory management): the hypercall page. 0 or -errno. */
int xen_early_init(uint32_t cpuid_base);

/* Read a HVM parameter of our own domain. */
int xen_hvm_get_param(uint32_t index, uint64_t *value);
int xen_hvm_set_param(uint32_t index, uint64_t value);

/* SCHEDOP_shutdown with a SHUTDOWN_* reason. */
void xen_sched_shutdown(unsigned int reason);
void xen_sched_yield(void);

/* XENMEM_add_to_physmap into our own physmap. */
int xen_add_to_physmap(unsigned int space, uint64_t idx, uint64_t gpfn);

/* Feature bits from XENVER_get_features (submap 0). */
extern uint32_t xen_features;
extern uint32_t xen_version;

#endif
