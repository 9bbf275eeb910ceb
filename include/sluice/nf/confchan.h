/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration channel of a network function: the generation /
 * result / error protocol of docs/hostcfg.md §4 on the host channel,
 * generic over what is being configured (a firewall's rules, a load
 * balancer's services, a terminator's certificates).
 *
 * The appliance gives two callbacks: compile (untrusted text to an object
 * built to the side, or a "NAME:LINE:COL: message") and apply (swap the
 * object in, between packet batches, and say what is now in force). The
 * channel watches config-generation, reads the generation and the text in
 * one batch, compiles, applies or refuses, and publishes the verdict; the
 * configuration in force never changes on a bad update. Everything runs
 * from the event loop: no step waits for the host.
 */
#ifndef SLUICE_NF_CONFCHAN_H
#define SLUICE_NF_CONFCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/hostcfg.h"

#define NF_CONF_MSG_MAX 256 /* bytes of an error message */
#define NF_CONF_SUMMARY_MAX 96

struct nf_confchan_ops {
	/*
	 * Compile @text (@len bytes, NUL-terminated, untrusted) to the side.
	 * 0 with *@out set, or -errno with "NAME:LINE:COL: message" in @msg.
	 */
	int (*compile)(void *arg, const char *text, size_t len, void **out, char *msg,
		       size_t msglen);
	/* Put @compiled in force (ownership passes); a summary ("5 rules") into @sum. */
	void (*apply)(void *arg, void *compiled, char *sum, size_t sumlen);
};

struct nf_confchan {
	const struct nf_confchan_ops *ops;
	void *arg;
	const char *who;       /* console prefix: "firewall" */
	uint64_t generation;   /* in force (0: the boot configuration) */
	uint64_t last_handled; /* the last generation applied or refused */
	uint64_t pending_gen;  /* the generation being read */
	char last_bad[32];     /* the last unusable value reported (reported once) */
	bool again;	       /* the watch fired while a step was in flight */
	int state;
	struct hc_watch watch;
	struct hc_op ops_buf[4];
	struct hc_batch batch;
	char gen_val[32];
	char *text; /* the text being read: HC_CHUNKED_MAX + 1 bytes */
	char msg[NF_CONF_MSG_MAX + 24];
	char out1[NF_CONF_SUMMARY_MAX + 32], out2[24];
};

/*
 * Start: publish "0 ok @boot_summary" (the boot configuration is in force)
 * and watch for updates. 0, or -errno when the watch cannot be set (the
 * appliance then runs on its boot configuration; it says so).
 */
int nf_confchan_start(struct nf_confchan *cc, const struct nf_confchan_ops *ops, void *arg,
		      const char *who, const char *boot_summary);
/* The boot configuration was refused: "0 error" and the message, for the host to read. */
void nf_confchan_boot_error(const char *msg);
uint64_t nf_confchan_generation(const struct nf_confchan *cc);

/*
 * A config-generation value: canonical decimal, above @last. 0, 1 (equal
 * to @last: handled already), -EINVAL (not a number: reason in @err),
 * -ESTALE (not above @last).
 */
int nf_conf_generation(const char *val, size_t len, uint64_t last, uint64_t *gen, char *err,
		       size_t errlen);
/* Copy @in to @out (cap @len) keeping printable ASCII and replacing the rest with '?'. */
void nf_sanitize(const char *in, size_t inlen, char *out, size_t len);

/*
 * Counters published on the host channel as one chunked value (stats),
 * only when they changed since the last publication: an idle appliance
 * makes no host traffic. One batch in flight at a time; the text is the
 * publisher's own, untouched while the batch runs.
 */
struct nf_stats;
struct nf_publisher {
	const struct nf_stats *st;
	const char *who;
	char *text;
	size_t cap;
	uint32_t last_crc, sent_crc;
	bool once, failing;
	struct hc_op op;
	struct hc_batch batch;
};
/* 0 or -ENOMEM. */
int nf_publish_init(struct nf_publisher *p, const struct nf_stats *st, const char *who, size_t cap);
/* Format and publish if anything changed (and no publication is in flight). */
void nf_publish(struct nf_publisher *p);

#endif
