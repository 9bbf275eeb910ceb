// SPDX-License-Identifier: BSD-2-Clause
/*
 * The configuration channel (include/sluice/nf/confchan.h): the
 * generation / result / error protocol of docs/hostcfg.md §4, as a state
 * machine on the host channel's batches.
 *
 *   IDLE --watch--> READ_GEN --new generation--> READ_ALL --compiled or
 *   refused--> PUBLISH --> IDLE
 *
 * A watch that fires while a step is in flight sets a flag, and the
 * machine looks again when it is back to IDLE, so no update is lost and
 * none is handled twice. Reading the generation alone first keeps a
 * spurious watch event from costing a read of up to 512 KiB of text (on
 * Xen, hundreds of xenstore requests).
 *
 * Trust: the generation is canonical decimal above the last one handled;
 * the text is read with its generation in one batch, so the host cannot
 * make us apply one generation's text under another's number; its size is
 * bounded by the chunk format; a bad value is reported once per distinct
 * value, shown only through nf_sanitize().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/nf/confchan.h"
#include "sluice/numparse.h"

enum { CC_IDLE, CC_READ_GEN, CC_READ_ALL, CC_PUBLISH };

typedef unsigned long long ull;

int nf_conf_generation(const char *val, size_t len, uint64_t last, uint64_t *gen, char *err,
		       size_t errlen)
{
	uint64_t g = 0;

	/* Canonical decimal only: "007", "+7" or "7\n" are not what a writer meant by 7. */
	if (num_parse_dec(val, len, NUM_CANONICAL, &g) < 0) {
		snprintf(err, errlen, "not a decimal number");
		return -EINVAL;
	}
	if (g == 0) {
		snprintf(err, errlen, "not a generation (they start at 1)");
		return -EINVAL;
	}
	*gen = g;
	if (g == last)
		return 1; /* handled already: a watch fires spuriously */
	if (g < last) {
		snprintf(err, errlen, "stale: generation %llu is not above %llu", (ull)g,
			 (ull)last);
		return -ESTALE;
	}
	return 0;
}

void nf_sanitize(const char *in, size_t inlen, char *out, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	for (size_t i = 0; i < inlen && n + 1 < len; i++)
		out[n++] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[n] = '\0';
}

uint64_t nf_confchan_generation(const struct nf_confchan *cc)
{
	return cc->generation;
}

static void look(struct nf_confchan *cc);

/* Back to IDLE; look again if the watch fired meanwhile. */
static void idle(struct nf_confchan *cc)
{
	cc->state = CC_IDLE;
	free(cc->text);
	cc->text = NULL;
	if (cc->again) {
		cc->again = false;
		look(cc);
	}
}

static void published(struct hc_batch *b, int rc)
{
	struct nf_confchan *cc = b->arg;

	if (rc < 0)
		printf("%s: cannot publish the outcome of generation %llu (%d)\n", cc->who,
		       (ull)cc->last_handled, rc);
	idle(cc);
}

/*
 * The verdict in one batch: "G ok SUMMARY" with the active generation and
 * no error, or the error with (when @result) "G error".
 */
static void publish(struct nf_confchan *cc, uint64_t gen, bool ok, const char *what, bool result)
{
	struct hc_op *o = cc->ops_buf;
	unsigned int n = 0;
	int rc;

	if (ok) {
		snprintf(cc->out2, sizeof(cc->out2), "%llu", (ull)gen);
		snprintf(cc->out1, sizeof(cc->out1), "%llu ok %s", (ull)gen, what);
		o[n++] = (struct hc_op){.kind = HC_WRITE, .key = HK_ACTIVE_GEN, .val = cc->out2};
		o[n++] = (struct hc_op){.kind = HC_WRITE, .key = HK_RESULT, .val = cc->out1};
		o[n++] = (struct hc_op){.kind = HC_RM, .key = HK_ERROR};
	} else {
		snprintf(cc->out1, sizeof(cc->out1), "%llu error", (ull)gen);
		o[n++] = (struct hc_op){.kind = HC_WRITE, .key = HK_ERROR, .val = what};
		if (result)
			o[n++] =
				(struct hc_op){.kind = HC_WRITE, .key = HK_RESULT, .val = cc->out1};
	}
	for (unsigned int i = 0; i < n; i++)
		o[i].len = o[i].val ? strlen(o[i].val) : 0;
	cc->batch = (struct hc_batch){.ops = o, .nops = n, .done = published, .arg = cc};
	cc->state = CC_PUBLISH;
	rc = hc_submit(&cc->batch);
	if (rc < 0)
		published(&cc->batch, rc);
}

/* Report a generation value we cannot use, once per distinct value. */
static void report_bad(struct nf_confchan *cc, const char *val, size_t len, uint64_t gen, int why,
		       const char *reason)
{
	char shown[24];

	nf_sanitize(val, len, shown, sizeof(shown));
	if (strcmp(shown, cc->last_bad) == 0)
		return idle(cc);
	snprintf(cc->last_bad, sizeof(cc->last_bad), "%s", shown);
	if (why == -ESTALE) {
		printf("%s: ignoring config-generation %llu: %s\n", cc->who, (ull)gen, reason);
		snprintf(cc->msg, sizeof(cc->msg), "%llu %s", (ull)gen, reason);
		return publish(cc, gen, false, cc->msg, true);
	}
	snprintf(cc->msg, sizeof(cc->msg), "config-generation '%s': %s", shown, reason);
	printf("%s: ignoring %s\n", cc->who, cc->msg);
	publish(cc, 0, false, cc->msg, false);
}

static const char *read_error(int rc)
{
	switch (rc) {
	case -ENOENT:
		return "config: config/count or one of its chunks is missing";
	case -EINVAL:
		return "config: config/count is not a number from 0 to 256, or a chunk is missing";
	case -E2BIG:
		return "config: more than 512 KiB of configuration text";
	case -ENOMEM:
		return "config: out of memory";
	default:
		return "config: cannot read the configuration from the host";
	}
}

/* Compile and apply, or refuse; then publish the verdict. */
static void judge(struct nf_confchan *cc, uint64_t gen, int rc, size_t len)
{
	char msg[NF_CONF_MSG_MAX], sum[NF_CONF_SUMMARY_MAX];
	void *obj = NULL;

	if (rc < 0)
		snprintf(msg, sizeof(msg), "%s", read_error(rc));
	else
		rc = cc->ops->compile(cc->arg, cc->text, len, &obj, msg, sizeof(msg));
	free(cc->text); /* the text is not needed any more: free it before publishing */
	cc->text = NULL;
	cc->last_handled = gen;
	if (rc < 0) {
		printf("%s: generation %llu rejected, configuration unchanged: %s\n", cc->who,
		       (ull)gen, msg);
		snprintf(cc->msg, sizeof(cc->msg), "%llu %s", (ull)gen, msg);
		return publish(cc, gen, false, cc->msg, true);
	}
	cc->ops->apply(cc->arg, obj, sum, sizeof(sum));
	cc->generation = gen;
	printf("%s: generation %llu active: %s\n", cc->who, (ull)gen, sum);
	publish(cc, gen, true, sum, true);
}

static void read_all_done(struct hc_batch *b, int rc)
{
	struct nf_confchan *cc = b->arg;
	struct hc_op *g = &cc->ops_buf[0], *t = &cc->ops_buf[1];
	char why[96];
	uint64_t gen = cc->pending_gen;

	if (rc == 0 && (g->rc < 0 || strlen(cc->gen_val) != g->out_len ||
			nf_conf_generation(cc->gen_val, g->out_len, cc->last_handled, &gen, why,
					   sizeof(why)) != 0))
		return idle(cc); /* changed under us into something unusable: its event comes */
	judge(cc, gen, rc < 0 ? rc : t->rc, t->out_len);
}

static void read_all(struct nf_confchan *cc, uint64_t gen)
{
	struct hc_op *o = cc->ops_buf;
	int rc;

	cc->pending_gen = gen;
	cc->text = malloc(HC_CHUNKED_MAX + 1);
	if (!cc->text)
		return judge(cc, gen, -ENOMEM, 0);
	o[0] = (struct hc_op){.kind = HC_READ,
			      .key = HK_CONFIG_GEN,
			      .buf = cc->gen_val,
			      .cap = sizeof(cc->gen_val)};
	o[1] = (struct hc_op){.kind = HC_READ_CHUNKED,
			      .key = HK_CONFIG,
			      .buf = cc->text,
			      .cap = HC_CHUNKED_MAX + 1};
	cc->batch = (struct hc_batch){.ops = o, .nops = 2, .done = read_all_done, .arg = cc};
	cc->state = CC_READ_ALL;
	rc = hc_submit(&cc->batch);
	if (rc < 0)
		judge(cc, gen, rc, 0);
}

static void read_gen_done(struct hc_batch *b, int rc)
{
	struct nf_confchan *cc = b->arg;
	struct hc_op *g = &cc->ops_buf[0];
	char why[96];
	uint64_t gen = 0;

	if (rc == 0)
		rc = g->rc;
	if (rc == -ENOENT)
		return idle(cc); /* nothing pushed yet */
	if (rc < 0 && rc != -E2BIG) {
		printf("%s: cannot read %s (%d)\n", cc->who, HK_CONFIG_GEN, rc);
		return idle(cc);
	}
	/* Untrusted: too long to be a number, or a NUL inside. */
	if (rc == -E2BIG || strlen(cc->gen_val) != g->out_len)
		return report_bad(cc, rc == 0 ? cc->gen_val : "(too long)",
				  rc == 0 ? g->out_len : 10, 0, -EINVAL, "not a decimal number");
	rc = nf_conf_generation(cc->gen_val, g->out_len, cc->last_handled, &gen, why, sizeof(why));
	if (rc == 1)
		return idle(cc);
	if (rc < 0)
		return report_bad(cc, cc->gen_val, g->out_len, gen, rc, why);
	cc->last_bad[0] = '\0';
	read_all(cc, gen);
}

static void look(struct nf_confchan *cc)
{
	int rc;

	cc->ops_buf[0] = (struct hc_op){.kind = HC_READ,
					.key = HK_CONFIG_GEN,
					.buf = cc->gen_val,
					.cap = sizeof(cc->gen_val)};
	cc->batch =
		(struct hc_batch){.ops = cc->ops_buf, .nops = 1, .done = read_gen_done, .arg = cc};
	cc->state = CC_READ_GEN;
	rc = hc_submit(&cc->batch);
	if (rc < 0)
		read_gen_done(&cc->batch, rc);
}

/* Watches fire once at registration, spuriously and coalesced: re-read, act on news. */
static void on_watch(struct hc_watch *w)
{
	struct nf_confchan *cc = w->arg;

	if (cc->state != CC_IDLE) {
		cc->again = true;
		return;
	}
	look(cc);
}

int nf_confchan_start(struct nf_confchan *cc, const struct nf_confchan_ops *ops, void *arg,
		      const char *who, const char *boot_summary)
{
	int rc;

	cc->ops = ops;
	cc->arg = arg;
	cc->who = who;
	cc->state = CC_IDLE;
	/* The boot configuration is generation 0: say so before anything else. */
	publish(cc, 0, true, boot_summary, true);
	cc->watch = (struct hc_watch){.key = HK_CONFIG_GEN, .fn = on_watch, .arg = cc};
	rc = hc_watch(&cc->watch);
	if (rc < 0)
		printf("%s: cannot watch %s (%d): no live configuration updates\n", who,
		       HK_CONFIG_GEN, rc);
	return rc;
}

void nf_confchan_boot_error(const char *msg)
{
	char e[NF_CONF_MSG_MAX + 8];
	struct hc_op ops[2] = {
		{.kind = HC_WRITE, .key = HK_ERROR, .val = e},
		{.kind = HC_WRITE, .key = HK_RESULT, .val = "0 error", .len = 7},
	};
	struct hc_batch b = {.ops = ops, .nops = 2};

	snprintf(e, sizeof(e), "0 %s", msg);
	ops[0].len = strlen(e);
	/* Start-up code, and the appliance stops next: wait until the host has it. */
	hc_run(&b);
}
