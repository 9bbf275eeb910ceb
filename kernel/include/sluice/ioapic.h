/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The I/O APIC at 0xfec00000 (QEMU q35/pc and microvm): routes a GSI to a
 * LAPIC vector. Used for virtio-mmio on microvm, whose transports raise
 * level-triggered, active-high lines (docs/virtio.md §2).
 */
#ifndef SLUICE_IOAPIC_H
#define SLUICE_IOAPIC_H

#include <stdint.h>

#define IOAPIC_BASE 0xfec00000ULL

/* Route flags. */
#define IOAPIC_LEVEL 0x1      /* level-triggered (otherwise edge) */
#define IOAPIC_ACTIVE_LOW 0x2 /* active-low (otherwise active-high) */

/*
 * Map the IOAPIC and mask every entry. Idempotent. 0, -ENODEV when nothing
 * answers at IOAPIC_BASE, or a paging error.
 */
int ioapic_init(void);

/* Number of GSIs (redirection entries), 0 before ioapic_init(). */
unsigned int ioapic_nr_gsis(void);

/*
 * Point @gsi at @vector on this CPU with @flags, leaving it masked.
 * 0, -ERANGE (no such GSI or vector), or ioapic_init()'s error.
 */
int ioapic_route(unsigned int gsi, unsigned int vector, unsigned int flags);
void ioapic_mask(unsigned int gsi);
void ioapic_unmask(unsigned int gsi);

#endif
