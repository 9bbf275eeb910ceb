/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-guest half of tests/boot/virtio-net.test: probe virtio-net, list every
 * netdev, then reflect every received Ethernet frame out of the NIC it came
 * in on, with the source and destination MACs swapped, for `seconds=N`.
 * Finally print each device's counters. The host side checks the frames.
 */
#include <stdio.h>
#include <string.h>

#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/netdev.h"

#include "sluice/drivers.h"

static uint64_t seconds = 10;

static const struct cmdline_opt nettest_opts[] = {
	{.key = "seconds",
	 .type = CMDLINE_U64,
	 .dst = &seconds,
	 .min = 1,
	 .max = 3600,
	 .help = "how long to reflect frames before printing counters and stopping"},
	{.key = NULL},
};

static struct timer stop_timer;

static void reflect(struct netdev *dev, struct pktbuf *pkt, void *arg)
{
	uint8_t tmp[6], *eth;

	(void)arg;
	/* Received frames are single pages; anything else is not ours to reflect. */
	if (pkt->next || pkt->len < 14) {
		dev->stats.rx_drops++;
		pktbuf_free(pkt);
		return;
	}
	eth = pkt_data(pkt);
	memcpy(tmp, eth, 6);
	memcpy(eth, eth + 6, 6);
	memcpy(eth + 6, tmp, 6);
	netdev_tx(dev, pkt); /* takes ownership, counts drops */
}

static void on_stop(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	evloop_stop(SLUICE_EXIT_SUCCESS);
}

static void print_counters(const struct netdev *dev)
{
	const struct netdev_stats *s = &dev->stats;

	printf("nettest: %s rx %llu pkts %llu bytes drops %llu errors %llu, "
	       "tx %llu pkts %llu bytes drops %llu errors %llu, irqs %llu polls %llu%s%s\n",
	       dev->name, (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
	       (unsigned long long)s->rx_drops, (unsigned long long)s->rx_errors,
	       (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
	       (unsigned long long)s->tx_drops, (unsigned long long)s->tx_errors,
	       (unsigned long long)s->irqs, (unsigned long long)s->polls,
	       dev->broken ? ", BROKEN: " : "", dev->broken ? dev->broken_reason : "");
}

static int nettest_main(void)
{
	int n = virtio_probe_all(), status, bad = 0;
	char mac[18];

	if (n < 0)
		printf("nettest: virtio probe failed (%d)\n", n);
	for (unsigned int i = 0; i < netdev_count(); i++) {
		struct netdev *dev = netdev_get(i);
		int rc;

		netdev_set_rx_handler(dev, reflect, NULL);
		rc = netdev_start(dev);
		netdev_format_mac(dev->mac, mac);
		printf("nettest: %s %s mac %s mtu %u link %s%s\n", dev->name, dev->driver, mac,
		       dev->mtu, dev->link_up ? "up" : "down", rc < 0 ? " (start failed)" : "");
		bad |= rc < 0;
	}
	printf("nettest: %u device(s), reflecting for %llu s\n", netdev_count(),
	       (unsigned long long)seconds);
	kernel_mark_ready();
	timer_init(&stop_timer, on_stop, NULL);
	timer_arm_in(&stop_timer, seconds * 1000000000ULL);
	status = evloop_run();
	for (unsigned int i = 0; i < netdev_count(); i++) {
		struct netdev *dev = netdev_get(i);

		print_counters(dev);
		bad |= dev->broken;
		netdev_stop(dev);
	}
	return bad ? SLUICE_EXIT_FAILURE : status;
}

const struct sluice_app sluice_app = {
	.name = "nettest",
	.opts = nettest_opts,
	.main = nettest_main,
};
