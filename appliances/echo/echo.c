/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The echo appliance: the network test target. On every NIC it answers
 * ping (lwIP itself), TCP and UDP echo on port 7 and HTTP on port 80
 * (services.c). It reports ready once every NIC is up (link, and the
 * addresses it was configured with), and then runs until powered off.
 *
 * Configuration: the network keys of net_cmdline_opts (include/sluice/net.h),
 * e.g. `ip=dhcp`, or `net0.ip=10.0.0.2/24 net0.gw=10.0.0.1 net0.ip6=fd00::2/64`.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "echo.h"
#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/net.h"

#define WAIT_REPORT_NS (10ull * 1000 * 1000 * 1000)

static bool ready;
static struct timer wait_timer;

static void check_ready(void *arg)
{
	(void)arg;
	if (ready || !net_all_up())
		return;
	ready = true;
	timer_cancel(&wait_timer);
	net_print_status();
	kernel_mark_ready();
}

/* A NIC that stays down (no link, no DHCP lease) is worth one message. */
static void wait_report(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (ready)
		return;
	printf("echo: still waiting for the network:\n");
	net_print_status();
}

static int echo_main(void)
{
	int rc = net_init();

	if (rc == -EINVAL)
		return SLUICE_EXIT_CONFIG;
	if (rc < 0) {
		printf("echo: network start failed (%d)\n", rc);
		return SLUICE_EXIT_FAILURE;
	}
	rc = echo_services_start();
	if (rc < 0) {
		printf("echo: cannot start the services (%d)\n", rc);
		return SLUICE_EXIT_FAILURE;
	}
	printf("echo: serving ping, echo (tcp/udp %d) and http (tcp %d) on %u NIC(s)\n", ECHO_PORT,
	       HTTP_PORT, net_count());
	timer_init(&wait_timer, wait_report, NULL);
	timer_arm_in(&wait_timer, WAIT_REPORT_NS);
	net_set_change_handler(check_ready, NULL);
	check_ready(NULL);
	return evloop_run();
}

const struct sluice_app sluice_app = {
	.name = "echo",
	.opts = net_cmdline_opts,
	.main = echo_main,
};
