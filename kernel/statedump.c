// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel's counters for a state dump (an NMI from the host, a sysrq
 * request): uptime, memory, and every NIC's packets, errors and drops.
 *
 * It may run from an NMI that interrupted anything, so it only reads
 * plain counters (a torn 64-bit read cannot happen on x86-64; a counter
 * caught between two related updates is harmless in a dump) and prints
 * with kprintf, which works with interrupts off and from traps.
 */
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/netdev.h"
#include "sluice/pagealloc.h"

typedef unsigned long long ull;

void kernel_state_dump(void)
{
	uint64_t up = now_ns();

	kprintf("state: up %llu.%03llu s, heap %llu of %llu KiB in use, %llu pages free\n",
		(ull)(up / 1000000000), (ull)(up / 1000000 % 1000), (ull)(mm_heap_used() / 1024),
		(ull)(mm_heap_size() / 1024), (ull)page_allocator.free_pages);
	for (unsigned int i = 0; i < netdev_count(); i++) {
		const struct netdev *d = netdev_get(i);
		const struct netdev_stats *s = &d->stats;

		kprintf("state: %s rx %llu pkts %llu bytes %llu drops %llu errors, "
			"tx %llu pkts %llu bytes %llu drops %llu errors\n",
			d->name, (ull)s->rx_packets, (ull)s->rx_bytes, (ull)s->rx_drops,
			(ull)s->rx_errors, (ull)s->tx_packets, (ull)s->tx_bytes, (ull)s->tx_drops,
			(ull)s->tx_errors);
	}
}
