/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Platform detection from CPUID. The hypervisor leaves are scanned in
 * 0x100 steps because Xen moves its leaves to 0x40000100 when it also
 * offers Viridian (Hyper-V) leaves at 0x40000000 (xen arch-x86/cpuid.h).
 */
#include <string.h>

#include "sluice/kernel.h"
#include "sluice/plat.h"
#include "sluice/x86.h"

enum plat_kind plat_kind;
const struct plat_ops *plat;
uint32_t plat_cpuid_base;

static bool signature_is(uint32_t leaf, const char sig[12], uint32_t *max_leaf)
{
	uint32_t r[4];

	cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
	*max_leaf = r[0];
	return memcmp(&r[1], sig, 12) == 0;
}

void plat_detect(void)
{
	uint32_t max;

	plat_kind = PLAT_NONE;
	plat = &plat_qemu_ops;
	/* CPUID.1:ECX[31]: a hypervisor is present and owns 0x40000000+. */
	if (!cpu_has_feature(1, CPUID_ECX, 31))
		return;
	for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
		/* "XenVMMXenVMM", with at least leaves base+1 and base+2. */
		if (signature_is(base, "XenVMMXenVMM", &max) && max - base >= 2) {
			plat_kind = PLAT_XEN;
			plat_cpuid_base = base;
			plat = &plat_xen_ops;
			return;
		}
	}
	if (signature_is(0x40000000, "KVMKVMKVM\0\0\0", &max)) {
		plat_kind = PLAT_KVM;
		plat_cpuid_base = 0x40000000;
	}
}
