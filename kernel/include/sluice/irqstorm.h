/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Event-storm guard for interrupt sources a peer controls (XSA-391: a Xen
 * backend can raise events on our channel as fast as it likes). Pure logic
 * over a caller-supplied clock, shared by netfront and blkfront and tested
 * on the host.
 *
 * An event after which the poll found no work is spurious. When a window
 * of IRQSTORM_WINDOW_NS holds more than IRQSTORM_SPURIOUS of them and they
 * outnumber the useful events IRQSTORM_RATIO to one, the caller keeps the
 * source masked for IRQSTORM_BACKOFF_NS and polls when that ends. The ratio
 * keeps the benign race (an event for work an earlier poll already took)
 * from ever tripping the guard under real load.
 *
 * Usage: irqstorm_event() in the interrupt handler, irqstorm_work() for
 * each unit of work the poll consumes, irqstorm_check() before unmasking.
 */
#ifndef SLUICE_IRQSTORM_H
#define SLUICE_IRQSTORM_H

#include <stdbool.h>
#include <stdint.h>

#define IRQSTORM_WINDOW_NS (100ULL * 1000 * 1000)
#define IRQSTORM_SPURIOUS 200U
#define IRQSTORM_RATIO 4U
#define IRQSTORM_BACKOFF_NS (50ULL * 1000 * 1000)
/* The peer decides how often storms happen: at most one report per 10 s. */
#define IRQSTORM_LOG_NS (10ULL * 1000 * 1000 * 1000)

struct irqstorm {
	uint32_t events; /* written in interrupt context only (irqstorm_event) */
	uint32_t seen;	 /* events already accounted for */
	uint32_t work;	 /* work found since the last check */
	uint64_t win_start;
	uint32_t win_spurious, win_useful;
	uint64_t logged_at; /* 0: never reported */
	uint32_t unlogged;  /* storms since the last report */
	uint64_t spurious;  /* total events whose poll found nothing */
	uint64_t storms;    /* total times the guard asked for masking */
};

/* Interrupt context: count one event. */
static inline void irqstorm_event(struct irqstorm *s)
{
	__atomic_store_n(&s->events, s->events + 1, __ATOMIC_RELAXED);
}

/* Poll: one unit of work (a response) was found. */
static inline void irqstorm_work(struct irqstorm *s)
{
	s->work++;
}

/* Forget the window and the events so far (a new connection); totals stay. */
void irqstorm_reset(struct irqstorm *s);

/*
 * Before unmasking, with the current time: true if the events since the
 * last call make a storm, and the source must stay masked for
 * IRQSTORM_BACKOFF_NS.
 */
bool irqstorm_check(struct irqstorm *s, uint64_t now);

/*
 * After a storm: whether to report it now (rate-limited to one report per
 * IRQSTORM_LOG_NS). If so, *@suppressed is the number of storms not
 * reported since the last report.
 */
bool irqstorm_report(struct irqstorm *s, uint64_t now, uint32_t *suppressed);

#endif /* SLUICE_IRQSTORM_H */
