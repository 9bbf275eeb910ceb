// SPDX-License-Identifier: BSD-2-Clause
/*
 * The health-check counter (lbcore.h), with HAProxy's meaning of rise and
 * fall (src/check.c: check_notify_success/failure): one counter from 0 to
 * rise + fall - 1; up while it is at least rise. A failure while fully up
 * steps down one; at rise or below it marks the server down at once and
 * empties the counter, so `fall` consecutive failures take a fully-up
 * server down. A success steps up one, and on reaching rise jumps to the
 * top, so `rise` consecutive successes bring a down server up.
 */
#include "lbcore.h"

void lb_health_init(struct lb_health *h, unsigned int rise, unsigned int fall, bool up)
{
	h->rise = (uint8_t)(rise ? rise : 1);
	h->fall = (uint8_t)(fall ? fall : 1);
	h->health = up ? h->rise : 0;
	h->up = up;
	h->checks = h->failed = h->changes = 0;
}

bool lb_health_result(struct lb_health *h, bool ok)
{
	unsigned int top = (unsigned int)h->rise + h->fall - 1;
	bool was = h->up;

	h->checks++;
	if (ok) {
		if (h->health < top) {
			h->health++;
			if (h->health >= h->rise) {
				h->health = (uint16_t)top;
				h->up = true;
			}
		}
	} else {
		h->failed++;
		if (h->health > h->rise) {
			h->health--;
		} else {
			h->health = 0;
			h->up = false;
		}
	}
	if (h->up != was)
		h->changes++;
	return h->up != was;
}
