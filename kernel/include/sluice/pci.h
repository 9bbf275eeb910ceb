/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI through configuration mechanism #1 (ports 0xCF8/0xCFC): enumeration
 * of every bus reachable through bridges, BAR decoding, capability lookup
 * and MSI-X. Everything read from a function's configuration space is
 * device-controlled and checked before it is used as an address or a size.
 */
#ifndef SLUICE_PCI_H
#define SLUICE_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/trap.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19
#define PCI_CAP_PTR 0x34

#define PCI_CMD_IO 0x0001
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09

#define PCI_NUM_BARS 6

struct pci_dev {
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, prog_if;
	uint8_t header_type; /* without the multi-function bit */
};

struct pci_bar {
	uint64_t addr; /* port number for I/O BARs */
	uint64_t size;
	bool io;
	bool is64;
	bool prefetch;
};

/* MSI-X state of one function: the table, mapped uncached. */
struct pci_msix {
	const struct pci_dev *dev;
	uint8_t cap;
	uint16_t nvec;
	volatile uint32_t *table;
};

uint32_t pci_read32(const struct pci_dev *d, unsigned int off);
uint16_t pci_read16(const struct pci_dev *d, unsigned int off);
uint8_t pci_read8(const struct pci_dev *d, unsigned int off);
void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v);
void pci_write8(const struct pci_dev *d, unsigned int off, uint8_t v);

/*
 * Call @fn for every function on bus 0 and on every bus behind a bridge
 * (each bus at most once, so a bridge loop cannot recurse forever).
 * Returns the number of functions visited.
 */
typedef void (*pci_visit_fn)(const struct pci_dev *d, void *arg);
unsigned int pci_scan(pci_visit_fn fn, void *arg);

/*
 * Decode (and size) BAR @bar. 0, -EINVAL (no such BAR or the upper half of
 * a 64-bit one), -ENOENT (not implemented or not assigned), -EIO (the
 * function reports a size or address no real BAR can have).
 */
int pci_bar_get(const struct pci_dev *d, unsigned int bar, struct pci_bar *out);
/* Map a memory BAR uncached (identity). 0 or -errno; -EINVAL for I/O BARs. */
int pci_bar_map(const struct pci_bar *b);

/*
 * Config offset of the @nth (0-based) capability with @id, or 0 if there is
 * none. The walk is bounded, so a looping list ends instead of hanging.
 */
unsigned int pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned int nth);

/* Turn on I/O and/or memory decoding and bus mastering (DMA). */
void pci_enable(const struct pci_dev *d, bool io, bool mem);

/*
 * Find the MSI-X capability, map its table, mask every entry and enable
 * MSI-X (which also disables INTx). 0, -ENODEV (no MSI-X) or -EIO.
 */
int pci_msix_init(const struct pci_dev *d, struct pci_msix *m);
/*
 * Allocate a vector with @fn, point table entry @entry at this CPU's LAPIC
 * with that vector, and leave it masked. Returns the vector or -errno.
 */
int pci_msix_route(struct pci_msix *m, unsigned int entry, irq_handler_fn fn, void *arg);
void pci_msix_mask(struct pci_msix *m, unsigned int entry, bool masked);

#endif
