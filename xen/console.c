/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Xen PV console ring (docs/xen.md §7): what `xl console` and xenconsoled's
 * logs show. The ring is shared with the console backend in dom0, which we
 * do not trust: its indices are only used masked, and a backend that stops
 * consuming costs us bounded waiting, never a hang.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <xen/hvm/params.h>
#include <xen/io/console.h>

#include "sluice/barrier.h"
#include "sluice/console.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/x86.h"
#include "sluice/xen.h"
#include "sluice/xen_plat.h"

#define OUT_SIZE sizeof(((struct xencons_interface *)0)->out)
#define FLUSH_YIELDS 100000 /* bounded wait for a backend that stopped reading */

static volatile struct xencons_interface *ring;
static uint32_t port;

int xen_console_init(void)
{
	uint64_t pfn, evtchn;
	int rc;

	rc = xen_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn);
	if (rc == 0)
		rc = xen_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &evtchn);
	if (rc < 0)
		return rc;
	/* The toolstack chose the page; it must be a plausible frame below 4 GiB. */
	if (pfn == 0 || pfn >= (1ULL << 20) || evtchn == 0 || evtchn >= 4096)
		return -EINVAL;
	rc = paging_map(pfn << 12, 4096, PG_RW);
	if (rc < 0)
		return rc;
	port = (uint32_t)evtchn;
	ring = (volatile struct xencons_interface *)(pfn << 12);
	return 0;
}

/* Copy as much as fits; returns bytes taken. Caller has interrupts off. */
static size_t ring_put(const char *s, size_t len)
{
	uint32_t cons = ring->out_cons, prod = ring->out_prod;
	size_t n = 0;

	/* Loads of cons/prod before our stores into the ring: x86 keeps that order. */
	barrier();
	while (n < len && prod - cons < OUT_SIZE) {
		ring->out[prod & (OUT_SIZE - 1)] = s[n++];
		prod++;
	}
	/* The data must be visible before the new producer index. */
	wmb();
	ring->out_prod = prod;
	return n;
}

void xen_console_write(const char *s, size_t len)
{
	uint64_t f;
	int spins = 0;

	debugcon_write(s, len); /* also in `xl dmesg` with guest_loglvl=all */
	if (!ring)
		return;
	f = irq_save();
	while (len) {
		size_t n = ring_put(s, len);

		s += n;
		len -= n;
		xen_evtchn_send(port);
		if (len && n == 0) {
			/* Ring full: let the backend run, but never wait forever. */
			if (++spins > FLUSH_YIELDS)
				break;
			xen_sched_yield();
		}
	}
	irq_restore(f);
}

/* Wait until the backend consumed everything, so that no line is lost at power-off. */
void xen_console_flush(void)
{
	if (!ring)
		return;
	for (int i = 0; i < FLUSH_YIELDS && ring->out_cons != ring->out_prod; i++) {
		xen_evtchn_send(port);
		xen_sched_yield();
	}
}
