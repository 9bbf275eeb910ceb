// SPDX-License-Identifier: BSD-2-Clause
/* Event-storm guard (see sluice/irqstorm.h): windowed spurious-event accounting. */
#include "sluice/irqstorm.h"

void irqstorm_reset(struct irqstorm *s)
{
	s->seen = __atomic_load_n(&s->events, __ATOMIC_RELAXED);
	s->work = s->win_spurious = s->win_useful = 0;
}

bool irqstorm_check(struct irqstorm *s, uint64_t now)
{
	uint32_t ev = __atomic_load_n(&s->events, __ATOMIC_RELAXED);
	uint32_t fresh = ev - s->seen; /* wraps harmlessly: a u32 counter */

	s->seen = ev;
	if (now - s->win_start >= IRQSTORM_WINDOW_NS) {
		s->win_start = now;
		s->win_spurious = s->win_useful = 0;
	}
	if (fresh && s->work == 0) {
		s->win_spurious += fresh;
		s->spurious += fresh;
	} else if (fresh) {
		s->win_useful++;
	}
	s->work = 0;
	if (s->win_spurious <= IRQSTORM_SPURIOUS ||
	    s->win_spurious <= IRQSTORM_RATIO * s->win_useful)
		return false;
	s->storms++;
	s->win_spurious = s->win_useful = 0;
	return true;
}

bool irqstorm_report(struct irqstorm *s, uint64_t now, uint32_t *suppressed)
{
	if (s->logged_at && now - s->logged_at < IRQSTORM_LOG_NS) {
		s->unlogged++;
		return false;
	}
	*suppressed = s->unlogged;
	s->logged_at = now ? now : 1; /* 0 means "never" */
	s->unlogged = 0;
	return true;
}
