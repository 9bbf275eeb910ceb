/* SPDX-License-Identifier: BSD-2-Clause */
/* The hypercall page and the small hypercall wrappers the platform needs. */
#include <errno.h>
#include <stdint.h>

#include <xen/features.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>

#include "sluice/x86.h"
#include "sluice/xen.h"

/*
 * Xen writes the stubs through the guest-physical address when we name the
 * page in the MSR, so the page may live in .text (mapped read-only and
 * executable). It starts as `ret` bytes so that a stub Xen never filled in
 * returns instead of running into the next one; we check byte 0 changed.
 */
__asm__(".pushsection .text.hypercall_page, \"ax\"\n"
	".balign 4096\n"
	".globl hypercall_page\n"
	"hypercall_page:\n"
	".fill 4096, 1, 0xc3\n"
	".popsection\n");

uint32_t xen_features;
uint32_t xen_version;

int xen_early_init(uint32_t base)
{
	uint32_t eax, ebx, ecx, edx;
	xen_feature_info_t fi = {.submap_idx = 0};

	/* base+2: EAX = number of hypercall pages, EBX = the MSR that installs them. */
	cpuid(base + 2, 0, &eax, &ebx, &ecx, &edx);
	if (eax < 1)
		return -ENODEV;
	/* Never a hard-coded MSR: it moves to 0x40000200 when Viridian is on. */
	wrmsr(ebx, (uint64_t)hypercall_page);
	if ((uint8_t)hypercall_page[0] == 0xc3)
		return -EIO; /* Xen did not fill the page in */
	cpuid(base + 1, 0, &eax, &ebx, &ecx, &edx);
	xen_version = eax;
	if (xen_hypercall2(__HYPERVISOR_xen_version, XENVER_get_features, &fi) == 0)
		xen_features = fi.submap;
	return 0;
}

int xen_hvm_get_param(uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
	long rc = xen_hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, &p);

	if (rc == 0)
		*value = p.value;
	return (int)rc;
}

int xen_hvm_set_param(uint32_t index, uint64_t value)
{
	struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index, .value = value};

	return (int)xen_hypercall2(__HYPERVISOR_hvm_op, HVMOP_set_param, &p);
}

void xen_sched_shutdown(unsigned int reason)
{
	struct sched_shutdown s = {.reason = reason};

	xen_hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &s);
}

void xen_sched_yield(void)
{
	xen_hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

int xen_add_to_physmap(unsigned int space, uint64_t idx, uint64_t gpfn)
{
	struct xen_add_to_physmap x = {
		.domid = DOMID_SELF,
		.space = space,
		.idx = idx,
		.gpfn = gpfn,
	};

	return (int)xen_hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &x);
}
