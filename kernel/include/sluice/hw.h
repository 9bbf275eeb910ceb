/* SPDX-License-Identifier: BSD-2-Clause */
/* Legacy PC and LAPIC hardware used by the QEMU platform (and the LAPIC by Xen). */
#ifndef SLUICE_HW_H
#define SLUICE_HW_H

#include <stdbool.h>
#include <stdint.h>

/* LAPIC: software-enabled, spurious vector set, timer masked. 0 or -errno. */
int lapic_init(void);
void lapic_eoi(void);
bool lapic_has_tsc_deadline(void);
/*
 * Arm the LAPIC timer to fire at TSC value @tsc_deadline (TSC-deadline mode)
 * or after about @ticks LAPIC timer ticks (one-shot mode). 0 disarms.
 */
void lapic_timer_deadline(uint64_t tsc_deadline);
void lapic_timer_oneshot(uint32_t ticks);
uint32_t lapic_timer_current(void);
void lapic_timer_start_free_running(void);

/* Mask both 8259 PICs: after SeaBIOS they are live, and we use the LAPIC only. */
void pic_disable(void);

/*
 * Measure the TSC (and LAPIC timer) frequency against the 8254 PIT over
 * about @ms milliseconds. Returns 0, or -ENODEV when no PIT answers.
 */
int pit_calibrate(unsigned int ms, uint64_t *tsc_hz, uint64_t *lapic_hz);

/* Read the CMOS real-time clock as seconds since the epoch; 0 or -errno. */
int rtc_read(int64_t *epoch_sec);

/*
 * Find virtio-mmio transports described in the DSDT (QEMU microvm with ACPI)
 * and pass each to @add; returns how many @add accepted, or -ENODEV.
 */
int acpi_find_virtio_mmio(uint64_t rsdp_pa, int (*add)(uint64_t base, uint64_t size, uint32_t irq));

/* IOAPICs listed in the MADT, passed to @add; returns how many were accepted. */
int acpi_find_ioapics(uint64_t rsdp_pa, int (*add)(uint64_t base, uint32_t gsi_base));

/* Power off through ACPI (FADT PM1a or the hardware-reduced sleep register). */
int acpi_poweroff(uint64_t rsdp_paddr);

#endif
