// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for drivers/netfront against the fake netback of
 * fake_netback.c: discovery and connect, TX and RX of many packets
 * (multi-slot, ring wrap, refill), a hostile backend (bad, duplicate and
 * stale ids, producer overflow, oversize slots, over-long chains, bad extra
 * info, pages kept mapped, event storms), and detach/attach. In every
 * hostile case the device must go broken and nothing may crash or touch
 * freed memory (the suite also runs under ASan/UBSan, and free pages are
 * poisoned). Each test runs in its own process (CK_FORK): the driver keeps
 * its vif list in statics.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_netback.h"
#include "sluice/gnttab.h"
#include "sluice/xen_plat.h"

#define MAC0 "00:16:3e:00:00:01"
#define MAC1 "00:16:3e:00:00:02"
#define MS 1000000ULL

static struct fnb_vif *V;
static struct netdev *D;
static struct netfront *NF;

static const char *fe_key(struct fnb_vif *v, const char *key)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", v->fe, key);
	return fake_kv_get(&fnb_xs, p, NULL);
}

static void setup(void)
{
	fnb_init();
}

/* One vif, probed, connected and started. */
static void start_one(unsigned int flags)
{
	V = fnb_add_vif(0, MAC0, flags);
	ck_assert_int_eq(netfront_probe_all(), 1);
	fnb_pump();
	D = shim_netdev(0);
	ck_assert_ptr_nonnull(D);
	NF = D->priv;
	ck_assert(D->link_up);
	ck_assert_int_eq(netdev_start(D), 0);
	shim_run_work();
}

/* Frame bytes: f[0] = seed, f[i] = seed + 3i; the Ethernet header is just bytes here. */
static void fill(uint8_t *f, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed + 3 * i);
}

static bool pattern_ok(const uint8_t *f, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (f[i] != (uint8_t)(f[0] + 3 * i))
			return false;
	return true;
}

/* A TX chain of @len bytes in fragments of at most @frag. */
static struct pktbuf *mkpkt(size_t len, size_t frag, uint8_t seed)
{
	static uint8_t buf[FNB_FRAME_MAX];
	struct pktbuf *head = NULL, **tail = &head;

	fill(buf, len, seed);
	for (size_t done = 0; done < len;) {
		struct pktbuf *p = shim_tx_alloc();
		size_t n = len - done < frag ? len - done : frag;

		ck_assert_ptr_nonnull(p);
		memcpy(pkt_data(p), buf + done, n);
		p->len = (uint16_t)n;
		done += n;
		*tail = p;
		tail = &p->next;
	}
	return head;
}

static unsigned int tx_seen, tx_bad;

static void on_tx(struct fnb_vif *v, const uint8_t *data, size_t len)
{
	(void)v;
	tx_seen++;
	tx_bad += !pattern_ok(data, len);
}

/* Drain the backend's TX side and the resulting completions. */
static void tx_drain(void)
{
	while (fnb_tx_process(V, 1000))
		shim_run_work();
	shim_run_work();
}

static void rx_check_pop(size_t len)
{
	static uint8_t buf[FNB_FRAME_MAX];
	struct pktbuf *p;
	size_t got = 0;

	shim_run_work(); /* the poll the backend's event posted */
	p = shim_rx_pop(D);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(pktbuf_chain_len(p), len);
	for (struct pktbuf *q = p; q; q = q->next) {
		ck_assert_uint_le(q->off + q->len, 4096);
		memcpy(buf + got, pkt_data(q), q->len);
		got += q->len;
	}
	ck_assert(pattern_ok(buf, len));
	pktbuf_free(p);
}

static void assert_broken(const char *why)
{
	ck_assert(D->broken);
	ck_assert(!D->link_up);
	ck_assert_msg(strstr(D->broken_reason, why) != NULL, "reason '%s', want '%s'",
		      D->broken_reason, why);
	ck_assert_uint_eq(shim_log_count("disabled:"), 1);
	/* Broken means out of service: no more sending, more events change nothing. */
	ck_assert_int_eq(netdev_tx(D, mkpkt(60, 4096, 1)), -ENETDOWN);
	fnb_notify(V);
	shim_run_work();
	ck_assert_uint_eq(shim_log_count("disabled:"), 1);
}

/* ---- discovery and connect ---- */

START_TEST(test_connect_keys)
{
	char mac[18];

	start_one(0);
	ck_assert_str_eq(D->driver, "netfront");
	netdev_format_mac(D->mac, mac);
	ck_assert_str_eq(mac, MAC0);
	ck_assert_str_eq(fe_key(V, "state"), "4");
	ck_assert_str_eq(fe_key(V, "request-rx-copy"), "1");
	ck_assert_str_eq(fe_key(V, "feature-rx-notify"), "1");
	ck_assert_str_eq(fe_key(V, "feature-sg"), "1");
	ck_assert_str_eq(fe_key(V, "feature-no-csum-offload"), "1");
	ck_assert_ptr_nonnull(fe_key(V, "event-channel"));
	/* Single queue, single channel, whatever the backend offers. */
	ck_assert_ptr_null(fe_key(V, "multi-queue-num-queues"));
	ck_assert_ptr_null(fe_key(V, "event-channel-tx"));
	ck_assert_ptr_null(fe_key(V, "event-channel-rx"));
	ck_assert(V->mapped);
	ck_assert_uint_eq(NF->rx_posted, NF_RX_TARGET);
	ck_assert_uint_ge(V->rx.sring->req_prod, NF_RX_MIN);
	ck_assert_uint_eq(D->features & NETDEV_F_SG, NETDEV_F_SG);
	ck_assert_uint_eq(shim_log_count("net0: link up"), 1);
}
END_TEST

START_TEST(test_probe_many_and_bad_macs)
{
	fnb_add_vif(0, MAC0, 0);
	fnb_add_vif(1, "00:16:3e:00:00:0g", 0); /* not hex */
	fnb_add_vif(2, "01:00:5e:00:00:01", 0); /* multicast */
	fnb_add_vif(3, MAC1, 0);
	ck_assert_int_eq(netfront_probe_all(), 2);
	fnb_pump();
	ck_assert_uint_eq(netdev_count(), 2);
	ck_assert(shim_netdev(0)->link_up);
	ck_assert(shim_netdev(1)->link_up);
	ck_assert_uint_eq(((struct netfront *)shim_netdev(1)->priv)->xb.devid, 3);
	ck_assert_uint_eq(shim_log_count("not a valid unicast MAC"), 2);
	ck_assert_uint_eq(shim_log_count("00:0g"), 0); /* no netdev for it */
}
END_TEST

START_TEST(test_no_rx_copy)
{
	V = fnb_add_vif(0, MAC0, FNB_NO_RX_COPY);
	ck_assert_int_eq(netfront_probe_all(), 1);
	fnb_pump();
	D = shim_netdev(0);
	ck_assert(!D->link_up);
	ck_assert_uint_eq(shim_log_count("lacks feature-rx-copy"), 1);
	ck_assert_str_ne(fe_key(V, "state"), "4");
	ck_assert_uint_eq(xen_gnttab.in_use, 0); /* everything given back */
}
END_TEST

START_TEST(test_backend_late)
{
	char p[160];

	V = fnb_add_vif(0, MAC0, FNB_NOT_READY);
	ck_assert_int_eq(netfront_probe_all(), 1); /* times out waiting for InitWait */
	fnb_pump();
	D = shim_netdev(0);
	ck_assert(!D->link_up);
	ck_assert_uint_eq(xen_gnttab.in_use, 0);
	/* Hotplug finishes: the backend watch connects us from the loop. */
	snprintf(p, sizeof(p), "%s/state", V->be);
	fake_kv_write(&fnb_xs, p, "2");
	fnb_pump();
	ck_assert(D->link_up);
	ck_assert(V->mapped);
}
END_TEST

/* Netback waits for its hotplug script: the connect must not block the loop. */
START_TEST(test_connect_pending)
{
	struct fnb_vif *v1;
	struct netdev *d1;

	start_one(0);
	v1 = fnb_add_vif(1, MAC1, 0);
	v1->stall_connect = true;
	fnb_pump();
	d1 = shim_netdev(1);
	ck_assert_ptr_nonnull(d1);
	ck_assert(!d1->link_up);
	ck_assert_str_eq(fe_key(v1, "state"), "4");		  /* our side is done */
	ck_assert_uint_lt(shim_now() - 1000000000ull, 1000 * MS); /* and nothing waited long */
	shim_advance(NF_CONNECT_TIMEOUT_NS);
	ck_assert_uint_eq(shim_log_count("still not Connected"), 1);
	fnb_connect_now(v1);
	ck_assert(d1->link_up);
	ck_assert_int_eq(netdev_start(d1), 0);
	/* A second one never connects and is detached again (a failed hotplug). */
	V = fnb_add_vif(2, "00:16:3e:00:00:03", 0);
	V->stall_connect = true;
	fnb_pump();
	fnb_detach(V);
	ck_assert(!shim_netdev(2)->link_up);
	ck_assert_uint_eq(xen_gnttab.in_use, 2 * (2 + NF_RX_TARGET)); /* net0 and net1 only */
	ck_assert(D->link_up);
}
END_TEST

/* ---- transmit ---- */

START_TEST(test_tx_many)
{
	unsigned int sent = 0, frags = 0;
	size_t bytes = 0;

	start_one(0);
	V->on_tx = on_tx;
	for (unsigned int i = 0; i < 1500; i++) {
		size_t len = 60 + (i * 37) % 1455;
		size_t frag = i % 5 == 0 ? 512 : 4000;

		if (i % 11 == 0)
			len = 3000 + i % 900; /* always multi-slot */
		frags += (unsigned int)((len + frag - 1) / frag);
		ck_assert_int_eq(netdev_tx(D, mkpkt(len, frag, (uint8_t)i)), 0);
		sent++;
		bytes += len;
		if (i % 40 == 39)
			tx_drain();
	}
	tx_drain();
	ck_assert_uint_eq(tx_seen, sent);
	ck_assert_uint_eq(tx_bad, 0);
	ck_assert_uint_eq(V->tx_bytes, bytes);
	ck_assert_uint_gt(V->tx_max_slots, 1);
	ck_assert_uint_gt(frags, 2 * NF_TX_RING_SIZE); /* the ring wrapped */
	ck_assert_uint_eq(NF->tx_nfree, NF_TX_RING_SIZE);
	ck_assert_uint_eq(shim_tx_pool_free(), 600);
	ck_assert_uint_eq(xen_gnttab.in_use, 2 + NF->rx_posted); /* rings + RX only */
	ck_assert(!D->broken);
}
END_TEST

START_TEST(test_tx_ring_full)
{
	unsigned int n = 0;
	struct pktbuf *p;
	int rc;

	start_one(0);
	for (;;) {
		p = mkpkt(100, 4096, (uint8_t)n);
		rc = netdev_tx(D, p);
		if (rc != 0)
			break;
		n++;
	}
	ck_assert_int_eq(rc, -EAGAIN);
	ck_assert_uint_eq(n, NF_TX_RING_SIZE);
	/* The backend answers; the next send reaps on its own, even without a poll. */
	V->on_tx = on_tx;
	fnb_tx_process(V, 1000);
	ck_assert_int_eq(netdev_tx(D, mkpkt(100, 4096, 7)), 0);
	tx_drain();
	ck_assert_uint_eq(NF->tx_nfree, NF_TX_RING_SIZE);
}
END_TEST

START_TEST(test_tx_rejects)
{
	struct pktbuf *p;

	start_one(0);
	ck_assert_int_eq(D->ops->tx(D, 0, p = mkpkt(13, 4096, 1)), -EINVAL); /* runt */
	pktbuf_free(p);
	ck_assert_int_eq(D->ops->tx(D, 0, p = mkpkt(19 * 100, 100, 1)), -EMSGSIZE);
	pktbuf_free(p);
	p = mkpkt(200, 100, 1);
	p->next->len = 0;
	ck_assert_int_eq(D->ops->tx(D, 0, p), -EINVAL);
	p->next->len = 100;
	p->next->off = 4000;
	ck_assert_int_eq(D->ops->tx(D, 0, p), -EINVAL);
	pktbuf_free(p);
	ck_assert_int_eq(D->ops->tx(D, 0, p = mkpkt(18 * 100, 100, 1)), 0); /* the limit */
	tx_drain();
	ck_assert(!D->broken);
	ck_assert_uint_eq(shim_tx_pool_free(), 600);
}
END_TEST

START_TEST(test_tx_no_sg)
{
	struct pktbuf *p;

	start_one(FNB_NO_SG);
	ck_assert_uint_eq(D->features & NETDEV_F_SG, 0);
	ck_assert_int_eq(D->ops->tx(D, 0, p = mkpkt(200, 100, 1)), -EMSGSIZE);
	pktbuf_free(p);
}
END_TEST

/* ---- receive ---- */

START_TEST(test_rx_many)
{
	static uint8_t f[FNB_FRAME_MAX];
	size_t lens[50];

	start_one(0);
	for (unsigned int i = 0; i < 1500; i++) {
		size_t len = 60 + (i * 53) % 1455, frag = 4096;
		uint16_t off = i % 3 ? 0 : 64;

		if (i % 13 == 0) {
			len = 9000 + i; /* 3 slots */
			off = 0;
		} else if (i % 17 == 0) {
			len = 18 * 1000; /* the slot limit */
			frag = 1000;
		}
		fill(f, len, (uint8_t)i);
		lens[i % 50] = len;
		ck_assert_int_eq(fnb_rx_send(V, f, len, frag, off, NETRXF_data_validated), 0);
		shim_run_work();
		if (i % 50 == 49) {
			ck_assert_uint_eq(shim_rx_queued(D), 50);
			for (unsigned int k = 0; k < 50; k++)
				rx_check_pop(lens[k]);
			ck_assert_uint_eq(NF->rx_posted, NF_RX_TARGET);
		}
	}
	ck_assert_uint_eq(D->stats.rx_packets, 1500);
	ck_assert_uint_gt(V->rx.rsp_prod_pvt, 2 * NF_RX_RING_SIZE); /* the ring wrapped */
	ck_assert(!D->broken);
}
END_TEST

START_TEST(test_rx_contents)
{
	static uint8_t f[FNB_FRAME_MAX];
	static const size_t lens[] = {60, 1514, 4096, 4097, 9000, 17999};

	start_one(0);
	for (unsigned int r = 0; r < 100; r++) {
		for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t frag = i % 2 ? 4096 : 1100;

			fill(f, lens[i], (uint8_t)(r + i));
			ck_assert_int_eq(fnb_rx_send(V, f, lens[i], frag, 0, 0), 0);
			rx_check_pop(lens[i]);
			ck_assert_ptr_null(shim_rx_pop(D));
			ck_assert_uint_eq(NF->rx_posted, NF_RX_TARGET); /* refilled */
		}
	}
	ck_assert_uint_eq(D->stats.rx_packets, 600);
	ck_assert(!D->broken);
}
END_TEST

START_TEST(test_rx_refill_after_starvation)
{
	static uint8_t f[200];
	unsigned int got = 0;
	struct pktbuf *held[NF_RX_POOL], *p;

	start_one(0);
	fill(f, sizeof(f), 9);
	/* The stack keeps everything: the pool runs dry, the ring empties. */
	while (fnb_rx_send(V, f, sizeof(f), 4096, 0, 0) == 0)
		shim_run_work();
	while ((p = shim_rx_pop(D)))
		held[got++] = p;
	ck_assert_uint_eq(got, NF_RX_POOL);
	ck_assert_uint_eq(NF->rx_posted, 0);
	for (unsigned int i = 0; i < got; i++)
		pktbuf_free(held[i]);
	/* No event will come: the refill timer polls. */
	shim_advance(NF_REFILL_RETRY_NS);
	ck_assert_uint_eq(NF->rx_posted, NF_RX_TARGET);
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, 0), 0);
	rx_check_pop(sizeof(f));
}
END_TEST

START_TEST(test_rx_partial_then_rest)
{
	static uint8_t f[6000];
	netif_rx_response_t r;
	uint8_t *page;
	RING_IDX i;
	int ref;

	start_one(0);
	fill(f, sizeof(f), 3);
	/* Slot 1 of 2 published (more_data), slot 2 not yet: nothing is taken. */
	for (unsigned int k = 0; k < 2; k++) {
		i = V->rx.req_cons;
		ref = fnb_rx_req_ref(V, i);
		page = fnb_map(ref, true);
		memcpy(page, f + k * 4000, k ? 2000 : 4000);
		fnb_unmap(ref, true);
		r = (netif_rx_response_t){.id = (uint16_t)(i & (NF_RX_RING_SIZE - 1)),
					  .flags = k ? 0 : NETRXF_more_data,
					  .status = (int16_t)(k ? 2000 : 4000)};
		fnb_rx_raw(V, &r);
		fnb_notify(V);
		shim_run_work();
		ck_assert_uint_eq(shim_rx_queued(D), k);
	}
	rx_check_pop(sizeof(f));
	ck_assert(!D->broken);
}
END_TEST

START_TEST(test_rx_drops)
{
	static uint8_t f[300];
	netif_rx_response_t r;
	netif_extra_info_t x = {.type = XEN_NETIF_EXTRA_TYPE_GSO};

	start_one(0);
	fill(f, sizeof(f), 5);
	/* A blank checksum: we cannot complete it, so dropped and counted, logged once. */
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, NETRXF_csum_blank), 0);
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, NETRXF_csum_blank), 0);
	shim_run_work();
	ck_assert_uint_eq(NF->st.csum_blank, 2);
	ck_assert_uint_eq(shim_log_count("blank checksums"), 1);
	/* An error status, and an unsolicited but well-formed extra: dropped too. */
	r = (netif_rx_response_t){.id = V->rx.req_cons & 255, .status = NETIF_RSP_ERROR};
	fnb_rx_raw(V, &r);
	r = (netif_rx_response_t){
		.id = V->rx.req_cons & 255, .flags = NETRXF_extra_info, .status = 100};
	fnb_rx_raw(V, &r);
	memcpy(&r, &x, sizeof(x));
	fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	ck_assert_uint_eq(D->stats.rx_errors, 1);
	ck_assert_uint_eq(NF->st.rx_extra, 1);
	ck_assert_uint_eq(shim_rx_queued(D), 0);
	ck_assert_uint_eq(NF->rx_posted, NF_RX_TARGET);
	/* And the device still works. */
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, 0), 0);
	rx_check_pop(sizeof(f));
	ck_assert(!D->broken);
}
END_TEST

/* ---- hostile backend ---- */

/* Two packets in flight, consumed by the backend without a response. */
static void two_in_flight(void)
{
	start_one(0);
	V->no_tx_resp = true;
	ck_assert_int_eq(netdev_tx(D, mkpkt(100, 4096, 1)), 0);
	ck_assert_int_eq(netdev_tx(D, mkpkt(100, 4096, 2)), 0);
	fnb_tx_process(V, 10);
}

static uint16_t tx_id(unsigned int k)
{
	netif_tx_request_t req;

	RING_COPY_REQUEST(&V->tx, k, &req);
	return req.id;
}

START_TEST(test_hostile_tx_bad_id)
{
	two_in_flight();
	fnb_tx_raw(V, 300, NETIF_RSP_OKAY);
	fnb_notify(V);
	shim_run_work();
	assert_broken("not in flight");
}
END_TEST

START_TEST(test_hostile_tx_dup_id)
{
	two_in_flight();
	fnb_tx_raw(V, tx_id(0), NETIF_RSP_OKAY);
	fnb_tx_raw(V, tx_id(0), NETIF_RSP_OKAY);
	fnb_notify(V);
	shim_run_work();
	assert_broken("not in flight");
	ck_assert_uint_eq(shim_tx_pool_free(), 600 - 1); /* one done, one still in flight */
}
END_TEST

START_TEST(test_hostile_tx_idle_id)
{
	start_one(0);
	fnb_tx_raw(V, 5, NETIF_RSP_OKAY); /* nothing was sent */
	fnb_notify(V);
	shim_run_work();
	assert_broken("runs ahead"); /* more responses than requests */
}
END_TEST

START_TEST(test_hostile_tx_status)
{
	two_in_flight();
	fnb_tx_raw(V, tx_id(0), NETIF_RSP_NULL);
	fnb_notify(V);
	shim_run_work();
	assert_broken("status 1");
}
END_TEST

START_TEST(test_hostile_tx_prod_overflow)
{
	two_in_flight();
	V->tx.sring->rsp_prod += 1000;
	fnb_notify(V);
	shim_run_work();
	assert_broken("runs ahead");
}
END_TEST

START_TEST(test_hostile_tx_grant_kept)
{
	two_in_flight();
	fnb_map((int)RING_GET_REQUEST(&V->tx, 0)->gref, false); /* and never unmapped */
	fnb_tx_raw(V, tx_id(0), NETIF_RSP_OKAY);
	fnb_notify(V);
	shim_run_work();
	assert_broken("grant still in use");
	ck_assert_uint_eq(NF->st.quarantined, 1);
	ck_assert_uint_eq(NF->st.page_swaps, 1);
	ck_assert(shim_page_live((void *)((uintptr_t)xen_gnttab.parked[0].cookie)));
}
END_TEST

START_TEST(test_hostile_rx_prod_overflow)
{
	start_one(0);
	V->rx.sring->rsp_prod = V->rx.rsp_prod_pvt + NF_RX_TARGET + 1;
	fnb_notify(V);
	shim_run_work();
	assert_broken("runs ahead");
}
END_TEST

START_TEST(test_hostile_rx_bad_id)
{
	netif_rx_response_t r;

	start_one(0);
	r = (netif_rx_response_t){.id = (V->rx.req_cons + 1) & 255, .status = 100};
	fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	assert_broken("response id");
}
END_TEST

START_TEST(test_hostile_rx_oversize)
{
	netif_rx_response_t r;

	start_one(0);
	r = (netif_rx_response_t){.id = V->rx.req_cons & 255, .status = 5000};
	fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	assert_broken("runs past the page");
}
END_TEST

START_TEST(test_hostile_rx_offset)
{
	netif_rx_response_t r;

	start_one(0);
	r = (netif_rx_response_t){.id = V->rx.req_cons & 255, .offset = 4000, .status = 97};
	fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	assert_broken("runs past the page");
}
END_TEST

START_TEST(test_hostile_rx_long_chain)
{
	static uint8_t f[19 * 100];

	start_one(0);
	fill(f, sizeof(f), 1);
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 100, 0, 0), 0); /* 19 slots */
	shim_run_work();
	assert_broken("more_data chain longer");
	ck_assert_uint_eq(shim_rx_queued(D), 0);
}
END_TEST

START_TEST(test_hostile_rx_bad_extra)
{
	netif_rx_response_t r;
	netif_extra_info_t x = {.type = 9};

	start_one(0);
	r = (netif_rx_response_t){
		.id = V->rx.req_cons & 255, .flags = NETRXF_extra_info, .status = 100};
	fnb_rx_raw(V, &r);
	memcpy(&r, &x, sizeof(x));
	fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	assert_broken("bad extra info");
}
END_TEST

START_TEST(test_hostile_rx_extra_chain)
{
	netif_rx_response_t r;
	netif_extra_info_t x = {.type = XEN_NETIF_EXTRA_TYPE_HASH,
				.flags = XEN_NETIF_EXTRA_FLAG_MORE};

	start_one(0);
	r = (netif_rx_response_t){
		.id = V->rx.req_cons & 255, .flags = NETRXF_extra_info, .status = 100};
	fnb_rx_raw(V, &r);
	memcpy(&r, &x, sizeof(x));
	for (unsigned int k = 0; k < NF_MAX_EXTRAS + 1; k++)
		fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	assert_broken("bad extra info");
}
END_TEST

START_TEST(test_hostile_rx_status)
{
	netif_rx_response_t r;

	start_one(0);
	r = (netif_rx_response_t){.id = V->rx.req_cons & 255, .status = -7};
	fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	assert_broken("status -7");
}
END_TEST

START_TEST(test_hostile_rx_grant_kept)
{
	static uint8_t f[100];

	int ref;

	start_one(0);
	ref = fnb_rx_req_ref(V, V->rx.req_cons);
	fill(f, sizeof(f), 1);
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, 0), 0);
	fnb_map(ref, true); /* responded, yet still mapped (the poll has not run yet) */
	shim_run_work();
	assert_broken("grant still in use");
	ck_assert_uint_eq(shim_rx_queued(D), 0); /* never handed up */
	ck_assert_uint_eq(NF->st.quarantined, 1);
	ck_assert(shim_page_live(xen_gnttab.parked[0].cookie));
}
END_TEST

/* The backend keeps the rings and some RX pages mapped across the close. */
START_TEST(test_hostile_keep_mapped_at_close)
{
	void *pages[8];
	unsigned int n;

	start_one(0);
	V->keep_mapped = true;
	V->hold_rx = 4;
	fnb_detach(V);
	ck_assert(!D->link_up);
	n = xen_gnttab.quarantined;
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(NF->st.quarantined, 6);
	ck_assert_uint_eq(NF->st.page_swaps, 4);
	ck_assert_uint_eq(shim_log_count("still maps 6 of our pages"), 1);
	for (unsigned int i = 0; i < n; i++) {
		pages[i] = xen_gnttab.parked[i].cookie;
		ck_assert(shim_page_live(pages[i]));
		/* The backend still writes there: ASan catches it if the page was freed. */
		memset(fnb_map(xen_gnttab.parked[i].ref, true), 0x5a, 4096);
	}
	/* Nothing else kept: the RX pool is whole again, with fresh pages. */
	ck_assert_uint_eq(NF->rx_pool.nfree, NF->rx_pool.total);
	/* The backend lets go at last: the reaper frees exactly those pages. */
	for (unsigned int i = 0; i < n; i++) {
		fnb_unmap(xen_gnttab.parked[i].ref, true);
		fnb_unmap(xen_gnttab.parked[i].ref, true);
	}
	ck_assert_uint_eq(gnttab_reap(&xen_gnttab, nf_release_parked, NULL), n);
	for (unsigned int i = 0; i < n; i++)
		ck_assert(!shim_page_live(pages[i]));
	ck_assert_uint_eq(xen_gnttab.in_use, 0);
}
END_TEST

START_TEST(test_storm)
{
	static uint8_t f[100];
	uint64_t irqs;

	start_one(0);
	for (unsigned int i = 0; i < IRQSTORM_SPURIOUS + 1; i++) {
		fnb_notify(V);
		shim_run_work();
		shim_advance(10000); /* 10 us apart: well inside one window */
	}
	ck_assert_uint_eq(NF->storm.storms, 1);
	ck_assert_uint_eq(shim_log_count("event storm"), 1);
	ck_assert(NF->storm_masked);
	/* Masked: events are latched, no handler runs. */
	irqs = D->stats.irqs;
	for (unsigned int i = 0; i < 1000; i++)
		fnb_notify(V);
	ck_assert_uint_eq(D->stats.irqs, irqs);
	/* Traffic that arrives meanwhile is picked up when the backoff ends. */
	fill(f, sizeof(f), 2);
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, 0), 0);
	ck_assert_uint_eq(shim_rx_queued(D), 0);
	shim_advance(IRQSTORM_BACKOFF_NS);
	ck_assert(!NF->storm_masked);
	rx_check_pop(sizeof(f));
	/* A second storm soon after is handled but not logged again. */
	for (unsigned int i = 0; i < IRQSTORM_SPURIOUS + 1; i++) {
		fnb_notify(V);
		shim_run_work();
		shim_advance(10000);
	}
	ck_assert_uint_eq(NF->storm.storms, 2);
	ck_assert_uint_eq(shim_log_count("event storm"), 1);
	ck_assert(!D->broken);
}
END_TEST

START_TEST(test_no_storm_under_load)
{
	static uint8_t f[100];

	start_one(0);
	fill(f, sizeof(f), 2);
	/* Busy traffic with a spurious event after every real one: not a storm. */
	for (unsigned int i = 0; i < 5000; i++) {
		ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, 0), 0);
		rx_check_pop(sizeof(f));
		fnb_notify(V);
		shim_run_work();
		shim_advance(1000);
	}
	ck_assert_uint_eq(NF->storm.storms, 0);
	ck_assert_uint_ge(NF->storm.spurious, 1000);
}
END_TEST

/* ---- detach, attach ---- */

START_TEST(test_detach_attach)
{
	static uint8_t f[1000];
	unsigned int pages;

	start_one(0);
	V->on_tx = on_tx;
	ck_assert_int_eq(netdev_tx(D, mkpkt(500, 4096, 1)), 0);
	tx_drain();
	pages = shim_pages_live();
	/* A packet still in flight at detach is released too. */
	ck_assert_int_eq(netdev_tx(D, mkpkt(500, 4096, 2)), 0);
	fnb_detach(V);
	ck_assert(!D->link_up);
	ck_assert(!D->broken);
	ck_assert_uint_eq(xen_gnttab.in_use, 0);
	ck_assert_uint_eq(xen_gnttab.quarantined, 0);
	ck_assert_uint_eq(shim_pages_live(), pages - 2); /* the ring pages */
	ck_assert_uint_eq(shim_tx_pool_free(), 600);
	ck_assert_uint_eq(shim_log_count("device/vif/0 removed"), 1);
	/* xl network-attach: same devid, same netdev. */
	V = fnb_add_vif(0, MAC0, 0);
	V->on_tx = on_tx;
	fnb_pump();
	ck_assert_uint_eq(netdev_count(), 1);
	ck_assert(D->link_up);
	ck_assert_uint_eq(NF->st.connects, 2);
	ck_assert_int_eq(netdev_tx(D, mkpkt(700, 300, 3)), 0);
	tx_drain();
	ck_assert_uint_eq(tx_seen, 2); /* the one in flight at detach never went out */
	ck_assert_uint_eq(tx_bad, 0);
	fill(f, sizeof(f), 4);
	ck_assert_int_eq(fnb_rx_send(V, f, sizeof(f), 4096, 0, 0), 0);
	rx_check_pop(sizeof(f));
	/* And once more. */
	fnb_detach(V);
	V = fnb_add_vif(0, MAC0, 0);
	fnb_pump();
	ck_assert(D->link_up);
	ck_assert_uint_eq(NF->st.connects, 3);
}
END_TEST

START_TEST(test_attach_new_devid)
{
	struct fnb_vif *v1;

	start_one(0);
	v1 = fnb_add_vif(1, MAC1, 0);
	fnb_pump();
	ck_assert_uint_eq(netdev_count(), 2);
	ck_assert(shim_netdev(1)->link_up);
	ck_assert(v1->mapped);
	ck_assert(D->link_up); /* the first one is untouched */
	fnb_detach(v1);
	ck_assert(!shim_netdev(1)->link_up);
	ck_assert(D->link_up);
}
END_TEST

START_TEST(test_forced_removal)
{
	start_one(0);
	V->keep_mapped = true;
	fnb_remove_nodes(V); /* no Closing handshake: the node just goes */
	ck_assert(!D->link_up);
	ck_assert_uint_eq(NF->st.quarantined, 2); /* the rings */
	ck_assert(NF->gone);
}
END_TEST

START_TEST(test_broken_stays_down)
{
	netif_rx_response_t r;

	start_one(0);
	r = (netif_rx_response_t){.id = V->rx.req_cons & 255, .status = 5000};
	fnb_rx_raw(V, &r);
	fnb_notify(V);
	shim_run_work();
	ck_assert(D->broken);
	fnb_detach(V); /* still closes cleanly, everything revoked */
	ck_assert_uint_eq(xen_gnttab.in_use, 0);
	V = fnb_add_vif(0, MAC0, 0);
	fnb_pump();
	ck_assert(!D->link_up);
	ck_assert(!V->mapped);
	ck_assert_uint_eq(shim_log_count("not reconnecting"), 1);
}
END_TEST

static Suite *netfront_suite(void)
{
	Suite *s = suite_create("netfront");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_connect_keys);
	tcase_add_test(tc, test_probe_many_and_bad_macs);
	tcase_add_test(tc, test_no_rx_copy);
	tcase_add_test(tc, test_backend_late);
	tcase_add_test(tc, test_connect_pending);
	tcase_add_test(tc, test_tx_many);
	tcase_add_test(tc, test_tx_ring_full);
	tcase_add_test(tc, test_tx_rejects);
	tcase_add_test(tc, test_tx_no_sg);
	tcase_add_test(tc, test_rx_many);
	tcase_add_test(tc, test_rx_contents);
	tcase_add_test(tc, test_rx_refill_after_starvation);
	tcase_add_test(tc, test_rx_partial_then_rest);
	tcase_add_test(tc, test_rx_drops);
	tcase_add_test(tc, test_hostile_tx_bad_id);
	tcase_add_test(tc, test_hostile_tx_dup_id);
	tcase_add_test(tc, test_hostile_tx_idle_id);
	tcase_add_test(tc, test_hostile_tx_status);
	tcase_add_test(tc, test_hostile_tx_prod_overflow);
	tcase_add_test(tc, test_hostile_tx_grant_kept);
	tcase_add_test(tc, test_hostile_rx_prod_overflow);
	tcase_add_test(tc, test_hostile_rx_bad_id);
	tcase_add_test(tc, test_hostile_rx_oversize);
	tcase_add_test(tc, test_hostile_rx_offset);
	tcase_add_test(tc, test_hostile_rx_long_chain);
	tcase_add_test(tc, test_hostile_rx_bad_extra);
	tcase_add_test(tc, test_hostile_rx_extra_chain);
	tcase_add_test(tc, test_hostile_rx_status);
	tcase_add_test(tc, test_hostile_rx_grant_kept);
	tcase_add_test(tc, test_hostile_keep_mapped_at_close);
	tcase_add_test(tc, test_storm);
	tcase_add_test(tc, test_no_storm_under_load);
	tcase_add_test(tc, test_detach_attach);
	tcase_add_test(tc, test_attach_new_devid);
	tcase_add_test(tc, test_forced_removal);
	tcase_add_test(tc, test_broken_stays_down);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(netfront_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK); /* the driver's statics: one process per test */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
