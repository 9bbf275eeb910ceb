/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What lwIP (NO_SYS) needs from the system: a millisecond clock and someone
 * to run its timeouts. One event-loop timer stands for all of lwIP's
 * timeouts: it is armed at the earliest one (sys_timeouts_sleeptime()) and
 * re-armed after every call into lwIP that may have added an earlier one.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "net_priv.h"
#include "sluice/evloop.h"

static struct timer lwip_timer;
static bool timers_running;

u32_t sys_now(void)
{
	/* lwIP compares times modulo 2^32 ms, so the wrap after 49 days is harmless. */
	return (u32_t)(now_ns() / 1000000);
}

void net_timers_rearm(void)
{
	u32_t ms;

	if (!timers_running)
		return;
	ms = sys_timeouts_sleeptime();
	if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE) {
		timer_cancel(&lwip_timer);
		return;
	}
	/*
	 * sys_now() truncates to whole milliseconds, so now + ms is never
	 * earlier than lwIP's deadline: the timer cannot fire too soon and spin.
	 */
	timer_arm_in(&lwip_timer, (uint64_t)ms * 1000000);
}

void net_kick(void)
{
	net_timers_rearm();
}

static void lwip_timer_fn(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	sys_check_timeouts();
	net_timers_rearm();
}

void net_timers_start(void)
{
	timer_init(&lwip_timer, lwip_timer_fn, NULL);
	timers_running = true;
	net_timers_rearm();
}
