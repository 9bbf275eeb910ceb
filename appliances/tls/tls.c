/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS terminator appliance (docs/tls.md): TLS 1.3/1.2 from clients on
 * the listeners of its configuration file, plaintext to backends.
 *
 * Configuration: `config-file=` (default tls.cfg) on the config disk at
 * boot, then whole new sets (the file and every certificate, key and CA
 * bundle it names, as a base64 tar archive) through the configuration
 * channel (sluice/nf/confchan.h; `sluice-ctl push`). A new set is built to
 * the side; established connections keep the set they started with until
 * they end, new ones get the new set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbedtls/psa_util.h"
#include "mbedtls/ssl_ticket.h"
#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/hostcfg.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/nf/app.h"
#include "sluice/nf/confchan.h"
#include "sluice/nf/stats.h"
#include "sluice/random.h"
#include "tls.h"
#include "tlsplat.h"
#include "x25519_drv.h"

#define STATS_TAIL 160

struct tls_opts tls_opts;
struct tls_stats tls_stats;
struct tls_listener tls_listeners[TLS_LISTEN_SLOTS];
mbedtls_ssl_ticket_context tls_tickets;

static struct tls_rt *cur; /* in force */
static struct nf_confchan chan;
static struct nf_publisher publisher;
static struct nf_stats stats;
static struct nf_stats_section sec_gen, sec_tls, sec_lis, sec_cert;
static struct timer stats_timer, ticket_timer;
static char console_text[NF_STATS_TEXT];
static bool ready;

/* ---- options ---- */

static int config_file_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	return nf_app_path_opt(v, tls_opts.config_file, sizeof(tls_opts.config_file), err, errlen);
}

/* x25519=everest (HACL*, the default) or x25519=mbedtls (PSA's own code): bench/tls compares. */
static int x25519_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	if (strcmp(v, "everest") && strcmp(v, "mbedtls")) {
		snprintf(err, errlen, "expected everest or mbedtls");
		return -EINVAL;
	}
	sluice_x25519_driver_on = !strcmp(v, "everest");
	return 0;
}

static const struct cmdline_opt own_opts[] = {
	{.key = "config-file",
	 .type = CMDLINE_FUNC,
	 .fn = config_file_opt,
	 .help = "configuration file on the config disk (default tls.cfg)"},
	{.key = "stats-interval-ms",
	 .type = CMDLINE_U64,
	 .dst = &tls_opts.stats_interval_ms,
	 .min = 0,
	 .max = 86400000,
	 .help = "publish counters (0: never)"},
	{.key = "stats-console",
	 .type = CMDLINE_BOOL,
	 .dst = &tls_opts.stats_console,
	 .help = "also print the counters every interval"},
	{.key = "x25519",
	 .type = CMDLINE_FUNC,
	 .fn = x25519_opt,
	 .help = "X25519 code: everest (HACL*, default) or mbedtls"},
	{.key = "ticket-rotate-s",
	 .type = CMDLINE_U64,
	 .dst = &tls_opts.ticket_rotate_s,
	 .min = 60,
	 .max = 86400,
	 .help = "session ticket key lifetime; a new key every period"},
};

static struct cmdline_opt tls_cmdline[NF_APP_OPTS_MAX(ARRAY_SIZE(own_opts))];

/* C constructors run before the kernel parses the command line. */
__attribute__((constructor)) static void build_options(void)
{
	strcpy(tls_opts.config_file, "tls.cfg");
	tls_opts.stats_interval_ms = 5000;
	tls_opts.ticket_rotate_s = 3600;
	nf_app_opts(own_opts, ARRAY_SIZE(own_opts), tls_cmdline, ARRAY_SIZE(tls_cmdline));
}

/* ---- listeners ---- */

static bool ep_eq(const struct tls_ep *a, const struct tls_ep *b)
{
	return a->v6 == b->v6 && a->port == b->port && !memcmp(a->a, b->a, 16);
}

static void ep_ip(const struct tls_ep *ep, ip_addr_t *ip)
{
	if (ep->v6) {
		u32_t w[4];

		memcpy(w, ep->a, 16);
		IP_ADDR6(ip, w[0], w[1], w[2], w[3]);
	} else {
		IP_ADDR4(ip, ep->a[0], ep->a[1], ep->a[2], ep->a[3]);
	}
}

static int listen_open(struct tls_listener *l)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(l->ep.v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
	struct tcp_pcb *lp;
	ip_addr_t ip;
	char ep[64];

	tlsconf_format_ep(&l->ep, ep, sizeof(ep));
	if (!pcb)
		return -ENOMEM;
	ep_ip(&l->ep, &ip);
	if (tcp_bind(pcb, &ip, l->ep.port) != ERR_OK) {
		printf("tls: cannot listen on %s: address in use\n", ep);
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	lp = tcp_listen_with_backlog(pcb, 255);
	if (!lp) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	tcp_arg(lp, l);
	tcp_accept(lp, tls_sess_accept_cb);
	l->pcb = lp;
	printf("tls: listening on %s\n", ep);
	return 0;
}

/* Carry a backend's counters over to the new set when it is still there. */
static void carry_counters(const struct tls_lrt *old, struct tls_lrt *new)
{
	for (unsigned int i = 0; i < new->lc->nbackends; i++)
		for (unsigned int j = 0; j < old->lc->nbackends; j++)
			if (ep_eq(&new->be[i].bc->ep, &old->be[j].bc->ep)) {
				new->be[i].connects = old->be[j].connects;
				new->be[i].connect_fails = old->be[j].connect_fails;
			}
}

static struct tls_listener *slot_for(const struct tls_ep *ep)
{
	struct tls_listener *free_slot = NULL;

	for (unsigned int i = 0; i < TLS_LISTEN_SLOTS; i++) {
		struct tls_listener *l = &tls_listeners[i];

		if (l->used && l->pcb && ep_eq(&l->ep, ep))
			return l;
		/* A removed listener's slot is free again once its sessions ended. */
		if ((!l->used || (!l->pcb && !l->active)) && !free_slot)
			free_slot = l;
	}
	if (free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->used = true;
		free_slot->ep = *ep;
	}
	return free_slot;
}

void tls_summary(const struct tls_rt *rt, char *sum, size_t sumlen)
{
	snprintf(sum, sumlen, "%u listener(s), %u certificate(s)", rt ? rt->conf->nlisteners : 0,
		 rt ? rt->ncerts : 0);
}

void tls_apply(struct tls_rt *rt, char *sum, size_t sumlen)
{
	struct tls_rt *old = cur;

	/* Listeners the new set no longer has stop accepting; their sessions go on. */
	for (unsigned int i = 0; i < TLS_LISTEN_SLOTS; i++) {
		struct tls_listener *l = &tls_listeners[i];
		bool kept = false;

		for (unsigned int j = 0; l->used && l->pcb && j < rt->conf->nlisteners; j++)
			kept |= ep_eq(&l->ep, &rt->conf->listeners[j].ep);
		if (l->used && l->pcb && !kept) {
			tcp_arg(l->pcb, NULL);
			tcp_close(l->pcb); /* a listening pcb closes at once */
			l->pcb = NULL;
			l->rt = NULL;
		}
	}
	for (unsigned int j = 0; j < rt->conf->nlisteners; j++) {
		struct tls_listener *l = slot_for(&rt->conf->listeners[j].ep);

		if (!l) {
			printf("tls: no listener slot left for line %u\n",
			       rt->conf->listeners[j].line);
			continue;
		}
		if (old && l->rt)
			carry_counters(&old->l[l->li], &rt->l[j]);
		l->rt = rt;
		l->li = j;
		if (!l->pcb && listen_open(l) < 0)
			l->used = l->active != 0;
	}
	cur = rt;
	tls_rt_put(old); /* freed when its last session ends */
	tls_summary(rt, sum, sumlen);
	net_kick();
}

/* ---- configuration channel ---- */

static int chan_compile(void *arg, const char *text, size_t len, void **out, char *msg,
			size_t msglen)
{
	struct tls_rt *rt;
	int rc;

	(void)arg;
	rc = tls_rt_push(text, len, &rt, msg, msglen);
	if (rc == 0)
		*out = rt;
	return rc;
}

static void chan_apply(void *arg, void *compiled, char *sum, size_t sumlen)
{
	(void)arg;
	tls_apply(compiled, sum, sumlen);
	printf("tls: generation %llu in force: %s\n", (ull)nf_confchan_generation(&chan) + 1, sum);
}

static const struct nf_confchan_ops chan_ops = {
	.compile = chan_compile,
	.apply = chan_apply,
};

/* ---- tickets ---- */

/* A fresh ticket key every period; the previous one still decrypts (mbedTLS keeps two). */
static void ticket_rotate(struct timer *t, void *arg)
{
	unsigned char key[32 + 4];
	int ret = -1;

	(void)arg;
	if (random_bytes(key, sizeof(key)) == 0)
		ret = mbedtls_ssl_ticket_rotate(&tls_tickets, key + 32, 4, key, 32,
						(uint32_t)tls_opts.ticket_rotate_s);
	memset(key, 0, sizeof(key)); /* never kept outside the ticket context */
	if (ret != 0)
		printf("tls: ticket key rotation failed (-0x%04x); the current key stays\n",
		       (unsigned int)-ret);
	timer_arm_in(t, tls_opts.ticket_rotate_s * 1000 * TLS_MS);
}

static int tickets_start(void)
{
	int ret;

	mbedtls_ssl_ticket_init(&tls_tickets);
	/* Keys drawn from the kernel's RDSEED/RDRAND source, held only in memory. */
	ret = mbedtls_ssl_ticket_setup(&tls_tickets, mbedtls_psa_get_random,
				       MBEDTLS_PSA_RANDOM_STATE, MBEDTLS_CIPHER_AES_256_GCM,
				       (uint32_t)tls_opts.ticket_rotate_s);
	if (ret != 0) {
		printf("tls: session tickets cannot start (-0x%04x)\n", (unsigned int)-ret);
		return -EIO;
	}
	timer_init(&ticket_timer, ticket_rotate, NULL);
	timer_arm_in(&ticket_timer, tls_opts.ticket_rotate_s * 1000 * TLS_MS);
	return 0;
}

/* ---- counters ---- */

static size_t put(size_t len, size_t pos, int n)
{
	return n < 0 ? pos : pos + (size_t)n > len ? len : pos + (size_t)n;
}

static size_t format_gen(void *arg, char *buf, size_t len)
{
	(void)arg;
	return put(len, 0,
		   snprintf(buf, len, "generation=%llu\n", (ull)nf_confchan_generation(&chan)));
}

static size_t format_tls(void *arg, char *buf, size_t len)
{
	const struct tls_stats *s = &tls_stats;

	(void)arg;
	return put(len, 0,
		   snprintf(buf, len,
			    "tls active=%u handshakes_full=%llu handshakes_resumed=%llu "
			    "failed_timeout=%llu failed_eof=%llu failed_alert=%llu "
			    "failed_client_cert=%llu failed_protocol=%llu failed_nomem=%llu "
			    "bytes_in=%llu bytes_out=%llu alerts_sent=%llu alerts_received=%llu "
			    "idle_timeouts=%llu backend_unavailable=%llu sessions_nomem=%llu\n",
			    s->active, (ull)s->hs_full, (ull)s->hs_resumed, (ull)s->hs_fail_timeout,
			    (ull)s->hs_fail_eof, (ull)s->hs_fail_alert, (ull)s->hs_fail_client_cert,
			    (ull)s->hs_fail_protocol, (ull)s->hs_fail_nomem, (ull)s->bytes_in,
			    (ull)s->bytes_out, (ull)s->alerts_sent, (ull)s->alerts_received,
			    (ull)s->idle_timeouts, (ull)s->backend_unavailable,
			    (ull)s->sessions_nomem));
}

static size_t format_listener(const struct tls_listener *l, char *buf, size_t len)
{
	char ep[64], bep[64];
	size_t pos;

	tlsconf_format_ep(&l->ep, ep, sizeof(ep));
	pos = put(len, 0,
		  snprintf(buf, len,
			   "listener %s state=%s active=%u accepted=%llu refused_max_conns=%llu "
			   "refused_rate=%llu\n",
			   ep, l->pcb ? "listening" : "removed", l->active, (ull)l->accepted,
			   (ull)l->refused_max_conns, (ull)l->refused_rate));
	for (unsigned int i = 0; l->rt && i < l->rt->l[l->li].lc->nbackends; i++) {
		const struct tls_be_rt *b = &l->rt->l[l->li].be[i];

		tlsconf_format_ep(&b->bc->ep, bep, sizeof(bep));
		pos = put(len, pos,
			  snprintf(buf + pos, len - pos,
				   "backend %s %s proxy=%s connects=%llu connect_failures=%llu\n",
				   ep, bep, tlsconf_proxy_name(b->bc->proxy), (ull)b->connects,
				   (ull)b->connect_fails));
	}
	return pos;
}

static size_t format_listeners(void *arg, char *buf, size_t len)
{
	size_t pos = 0;

	(void)arg;
	for (unsigned int i = 0; i < TLS_LISTEN_SLOTS && pos + STATS_TAIL < len; i++)
		if (tls_listeners[i].used)
			pos = put(len, pos,
				  format_listener(&tls_listeners[i], buf + pos, len - pos));
	return pos;
}

/* Days left per certificate in force: what an operator renews by. */
static size_t format_certs(void *arg, char *buf, size_t len)
{
	int64_t now = (int64_t)time(NULL);
	size_t pos = 0;

	(void)arg;
	for (unsigned int i = 0; cur && i < cur->conf->nlisteners; i++) {
		const struct certstore *cs = cur->l[i].certs;
		char ep[64];

		tlsconf_format_ep(&cur->l[i].lc->ep, ep, sizeof(ep));
		for (size_t k = 0; k < cs->ncerts && pos + STATS_TAIL < len; k++)
			pos = put(len, pos,
				  snprintf(buf + pos, len - pos, "cert %s %s %s days_left=%lld\n",
					   ep, cs->certs[k].pattern, cs->certs[k].cert_name,
					   (long long)certstore_days_left(&cs->certs[k], now)));
	}
	return pos;
}

static void stats_tick(struct timer *t, void *arg)
{
	(void)arg;
	nf_publish(&publisher);
	if (tls_opts.stats_console)
		nf_stats_print(&stats, "tls", console_text, sizeof(console_text));
	timer_arm_in(t, tls_opts.stats_interval_ms * TLS_MS);
}

static void stats_start(void)
{
	nf_stats_init(&stats);
	nf_stats_add(&stats, &sec_gen, "generation", format_gen, NULL);
	nf_stats_add(&stats, &sec_tls, "tls", format_tls, NULL);
	nf_stats_add(&stats, &sec_lis, "listeners", format_listeners, NULL);
	nf_stats_add(&stats, &sec_cert, "certs", format_certs, NULL);
	timer_init(&stats_timer, stats_tick, NULL);
	/* Nobody to publish to and nothing to print: no timer waking an idle appliance. */
	if (!tls_opts.stats_interval_ms || (!hc_present() && !tls_opts.stats_console))
		return;
	if (nf_publish_init(&publisher, &stats, "tls", NF_STATS_TEXT) < 0)
		printf("tls: no memory to publish the counters\n");
	nf_publish(&publisher);
	timer_arm_in(&stats_timer, tls_opts.stats_interval_ms * TLS_MS);
}

/* ---- start ---- */

static void check_ready(void *arg)
{
	(void)arg;
	if (ready || !net_all_up())
		return;
	ready = true;
	net_print_status();
	kernel_mark_ready();
}

static int boot_config(void)
{
	char msg[NF_CONF_MSG_MAX], sum[NF_CONF_SUMMARY_MAX];
	struct tls_rt *rt;
	int rc = tls_rt_boot(tls_opts.config_file, &rt, msg, sizeof(msg));

	if (rc < 0) {
		printf("tls: %s\n", msg);
		nf_confchan_boot_error(msg); /* tell the host why the appliance stops */
		return rc == -ENOMEM ? SLUICE_EXIT_FAILURE : SLUICE_EXIT_CONFIG;
	}
	tls_apply(rt, sum, sizeof(sum));
	printf("tls: %s from %s\n", sum, tls_opts.config_file);
	return 0;
}

static int tls_main(void)
{
	char sum[NF_CONF_SUMMARY_MAX];
	int rc;

	if (tls_crypto_init() < 0 || tickets_start() < 0)
		return SLUICE_EXIT_FAILURE;
	rc = net_init();
	if (rc == -EINVAL)
		return SLUICE_EXIT_CONFIG;
	if (rc < 0) {
		printf("tls: network start failed (%d)\n", rc);
		return SLUICE_EXIT_FAILURE;
	}
	rc = boot_config();
	if (rc)
		return rc;
	tls_summary(cur, sum, sizeof(sum));
	if (nf_confchan_start(&chan, &chan_ops, NULL, "tls", sum) < 0)
		printf("tls: no live updates: the host channel is not available\n");
	stats_start();
	net_set_change_handler(check_ready, NULL);
	check_ready(NULL);
	return evloop_run();
}

const struct sluice_app sluice_app = {
	.name = "tls",
	.opts = tls_cmdline,
	.main = tls_main,
};
