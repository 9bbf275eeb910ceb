// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rule sources: the boot rules (rules= on the command line, or rules-file=
 * on the config disk) and, on Xen, live updates through xenstore (the
 * protocol is in docs/firewall.md).
 *
 * Every source is untrusted text. A rule set is compiled to the side with
 * a memory budget of at most half the free heap, so a hostile one fails
 * with a clean error instead of starving the live one; only a set that
 * compiled whole replaces the live one (pl_stage: between packet batches,
 * counters carried over, connection table untouched). A bad update
 * changes nothing and says why, in data/sluice/error and on the console.
 *
 * Xenstore values are read in one transaction with the generation they
 * belong to, so a host rewriting the rules meanwhile cannot make us apply
 * one generation's text under another's number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwconf.h"
#include "fwsvc.h"
#include "sluice/configdisk.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/plat.h"
#include "sluice/xen_plat.h"

#define GEN_PATH "data/sluice/config-generation"
#define CONFIG_PATH "data/sluice/config"
#define CONFIG_MAX ((size_t)XS_CHUNK_DATA * XS_CHUNK_COUNT_MAX) /* 512 KiB */
#define MSG_MAX 256

static uint64_t generation;   /* active */
static uint64_t last_handled; /* the last generation applied or rejected */
static char last_bad[32];     /* the last unusable value reported (reported once) */
static struct xs_watch gen_watch;
static struct fw_ctx *ctx; /* the firewall's, given at boot */

uint64_t fw_config_generation(void)
{
	return generation;
}

/* Compile limits: the defaults, with memory bounded by what the heap can spare. */
static void limits(struct fw_limits *l)
{
	uint64_t free_heap = mm_heap_size() - mm_heap_used();

	*l = fw_default_limits;
	if (l->max_mem > free_heap / 2)
		l->max_mem = (size_t)(free_heap / 2);
}

/* Compile @text; on failure "NAME:LINE:COL: message" in @msg. */
static int compile(const char *text, size_t len, const char *name, struct fw_ruleset **rs,
		   char *msg, size_t msglen)
{
	struct fw_limits lim;
	struct fw_error e;
	int rc;

	limits(&lim);
	rc = fw_compile_limits(text, len, &lim, rs, &e);
	if (rc < 0)
		fw_error_format(&e, name, msg, msglen);
	return rc;
}

static const char *disk_error(int rc)
{
	switch (rc) {
	case -ENODEV:
		return "no config disk";
	case -ENOENT:
		return "no such file on the config disk";
	case -EISDIR:
		return "is a directory";
	case -EFBIG:
		return "larger than the rule text limit (8 MiB)";
	case -ENOMEM:
		return "out of memory";
	default:
		return "cannot read it";
	}
}

/* The text of the boot rules: inline (';' lines) or a config-disk file; NULL: none given. */
static int boot_text(char **text, size_t *len, const char **name)
{
	int rc;

	*text = NULL;
	if (ctx->opts.rules[0] && ctx->opts.rules_file[0]) {
		printf("firewall: give rules= or rules-file=, not both\n");
		return -EINVAL;
	}
	if (ctx->opts.rules[0]) {
		*name = "rules";
		*len = strlen(ctx->opts.rules);
		*text = strdup(ctx->opts.rules);
		if (!*text)
			return -ENOMEM;
		fwconf_inline(*text);
		return 0;
	}
	if (!ctx->opts.rules_file[0])
		return 0;
	/* The name was checked to be printable when the option was parsed. */
	*name = ctx->opts.rules_file;
	if (!configdisk_mounted() && (rc = configdisk_mount(NULL)) < 0 && rc != -EBUSY) {
		/* configdisk_mount has said what is wrong with the disk. */
		printf("firewall: rules-file '%s': %s\n", *name,
		       rc == -ENODEV ? disk_error(rc) : "the config disk cannot be used");
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	rc = configdisk_load(*name, FW_DEFAULT_MAX_TEXT, text, len);
	if (rc < 0) {
		printf("firewall: rules-file '%s': %s (%d)\n", *name, disk_error(rc), rc);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	return 0;
}

/* For the console: where the boot rules came from. */
static void describe_source(const char *name, bool given, char *buf, size_t len)
{
	if (!given)
		snprintf(buf, len, "the built-in default");
	else if (name == ctx->opts.rules_file)
		snprintf(buf, len, "config disk file '%s'", name);
	else
		snprintf(buf, len, "the command line");
}

int fw_config_boot(struct fw_ctx *c)
{
	static const char fallback[] = "policy drop\n";
	const char *name = "rules";
	char msg[MSG_MAX], src[160];
	size_t len = 0;
	char *text;
	int rc;

	ctx = c;
	rc = boot_text(&text, &len, &name);
	if (rc < 0)
		return rc;
	if (!text && plat_kind != PLAT_XEN) {
		printf("firewall: no rules: give rules=\"...\" or rules-file=NAME\n");
		return -EINVAL;
	}
	if (!text)
		printf("firewall: no boot rules: dropping everything but ARP and neighbour "
		       "discovery until the host sends rules through xenstore\n");
	describe_source(name, text != NULL, src, sizeof(src));
	rc = compile(text ? text : fallback, text ? len : strlen(fallback), name, &ctx->filter.rs,
		     msg, sizeof(msg));
	free(text);
	if (rc < 0) {
		printf("firewall: %s\n", msg);
		if (plat_kind == PLAT_XEN) { /* tell the host why the appliance stops */
			char e[MSG_MAX + 8];

			snprintf(e, sizeof(e), "0 %s", msg);
			plat->publish("error", e);
			plat->publish("result", "0 error");
		}
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	printf("firewall: %u rules from %s, %zu KiB\n", fw_ruleset_nrules(ctx->filter.rs), src,
	       fw_ruleset_memory(ctx->filter.rs) / 1024);
	return 0;
}

/* ---- xenstore ---- */

static int publish_ok(uint64_t gen, unsigned int nrules)
{
	int rc = -EAGAIN;

	for (int i = 0; i < XS_TX_RETRIES && rc == -EAGAIN; i++) {
		uint32_t tx;

		rc = xs_transaction_start(&xen_xs, &tx);
		if (rc < 0)
			return rc;
		rc = xs_printf(&xen_xs, tx, "data/sluice/active-generation", "%llu",
			       (unsigned long long)gen);
		if (rc == 0)
			rc = xs_printf(&xen_xs, tx, "data/sluice/result", "%llu ok %u rules",
				       (unsigned long long)gen, nrules);
		if (rc == 0 && (rc = xs_rm(&xen_xs, tx, "data/sluice/error")) == -ENOENT)
			rc = 0;
		rc = xs_transaction_end(&xen_xs, tx, rc == 0) ?: rc;
	}
	return rc;
}

/* error = "G msg" (and result = "G error" when @result); one transaction. */
static int publish_error(uint64_t gen, bool has_gen, const char *msg, bool result)
{
	char e[MSG_MAX + 24];
	int n, rc = -EAGAIN;

	n = has_gen ? snprintf(e, sizeof(e), "%llu %s", (unsigned long long)gen, msg)
		    : snprintf(e, sizeof(e), "%s", msg);
	n = MIN(n, (int)sizeof(e) - 1);
	for (int i = 0; i < XS_TX_RETRIES && rc == -EAGAIN; i++) {
		uint32_t tx;

		rc = xs_transaction_start(&xen_xs, &tx);
		if (rc < 0)
			return rc;
		rc = xs_write(&xen_xs, tx, "data/sluice/error", e, (size_t)n);
		if (rc == 0 && result)
			rc = xs_printf(&xen_xs, tx, "data/sluice/result", "%llu error",
				       (unsigned long long)gen);
		rc = xs_transaction_end(&xen_xs, tx, rc == 0) ?: rc;
	}
	return rc;
}

static const char *read_error(int rc)
{
	switch (rc) {
	case -ENOENT:
		return "config: " CONFIG_PATH "/count or one of its chunks is missing";
	case -EINVAL:
		return "config: " CONFIG_PATH "/count is not a number from 0 to 256";
	case -E2BIG:
		return "config: more than 512 KiB of rule text";
	case -ENOMEM:
		return "config: out of memory";
	default:
		return "config: cannot read the rule text from xenstore";
	}
}

/*
 * The generation and its text, read in one transaction (redone when a
 * writer raced us). *@gen may come out newer than the caller saw.
 */
static int read_update(uint64_t *gen, char *buf, size_t cap, size_t *len, char *msg, size_t mlen)
{
	int rc = -EAGAIN;

	for (int i = 0; i < XS_TX_RETRIES && rc == -EAGAIN; i++) {
		char val[32];
		size_t vlen;
		uint32_t tx;
		uint64_t g;

		rc = xs_transaction_start(&xen_xs, &tx);
		if (rc < 0)
			break;
		rc = xs_read(&xen_xs, tx, GEN_PATH, val, sizeof(val), &vlen);
		if (rc == 0 && (strlen(val) != vlen ||
				fwconf_generation(val, vlen, last_handled, &g, msg, mlen) != 0))
			rc = -ESTALE; /* it changed under us into something unusable: leave it */
		if (rc == 0) {
			*gen = g;
			rc = xs_read_chunked(&xen_xs, tx, CONFIG_PATH, buf, cap, len);
		}
		if (rc < 0) {
			xs_transaction_end(&xen_xs, tx, false);
			continue;
		}
		rc = xs_transaction_end(&xen_xs, tx, true);
	}
	if (rc < 0 && rc != -ESTALE)
		snprintf(msg, mlen, "%s", read_error(rc));
	return rc;
}

static void apply_update(uint64_t gen)
{
	struct fw_ruleset *rs;
	char msg[MSG_MAX];
	size_t len = 0;
	char *buf;
	int rc;

	buf = malloc(CONFIG_MAX + 1);
	rc = buf ? read_update(&gen, buf, CONFIG_MAX + 1, &len, msg, sizeof(msg)) : -ENOMEM;
	if (rc == -ESTALE) {
		free(buf);
		return; /* the value changed meanwhile: its own watch event handles it */
	}
	if (rc == -ENOMEM && !buf)
		snprintf(msg, sizeof(msg), "%s", read_error(rc));
	if (rc == 0)
		rc = compile(buf, len, "rules", &rs, msg, sizeof(msg));
	free(buf);
	last_handled = gen;
	if (rc < 0) {
		printf("firewall: generation %llu rejected, rules unchanged: %s\n",
		       (unsigned long long)gen, msg);
		if (publish_error(gen, true, msg, true) < 0)
			printf("firewall: cannot publish the outcome of generation %llu\n",
			       (unsigned long long)gen);
		return;
	}
	pl_stage(ctx->filter_elem, rs); /* outside a batch: installed now */
	generation = gen;
	printf("firewall: generation %llu active: %u rules\n", (unsigned long long)gen,
	       fw_ruleset_nrules(rs));
	if (publish_ok(gen, fw_ruleset_nrules(rs)) < 0)
		printf("firewall: cannot publish the outcome of generation %llu\n",
		       (unsigned long long)gen);
}

/* Report a generation value we cannot use, once per distinct value. */
static void report_bad(const char *val, size_t len, uint64_t gen, int why, const char *msg)
{
	char shown[24], m[MSG_MAX];

	fwconf_sanitize(val, len, shown, sizeof(shown));
	if (strcmp(shown, last_bad) == 0)
		return;
	snprintf(last_bad, sizeof(last_bad), "%s", shown);
	if (why == -ESTALE) {
		printf("firewall: ignoring config-generation %llu: %s\n", (unsigned long long)gen,
		       msg);
		publish_error(gen, true, msg, true);
		return;
	}
	snprintf(m, sizeof(m), "config-generation '%s': %s", shown, msg);
	printf("firewall: ignoring %s\n", m);
	publish_error(0, false, m, false);
}

/*
 * Watches fire once at registration, spuriously and coalesced: re-read
 * the value and act on a new generation only.
 */
static void on_generation(struct xs_watch *w, const char *path)
{
	char val[32], msg[MSG_MAX];
	uint64_t gen = 0;
	size_t len;
	int rc;

	(void)w;
	(void)path;
	rc = xs_read(&xen_xs, 0, GEN_PATH, val, sizeof(val), &len);
	if (rc == -ENOENT)
		return; /* nothing pushed yet */
	if (rc < 0 && rc != -E2BIG) {
		printf("firewall: cannot read %s (%d)\n", GEN_PATH, rc);
		return;
	}
	if (rc == -E2BIG || strlen(val) != len) {
		report_bad(rc == 0 ? val : "(too long)", rc == 0 ? len : 10, 0, -EINVAL,
			   "not a decimal number");
		return;
	}
	rc = fwconf_generation(val, len, last_handled, &gen, msg, sizeof(msg));
	if (rc == 1)
		return;
	if (rc < 0) {
		report_bad(val, len, gen, rc, msg);
		return;
	}
	last_bad[0] = '\0';
	apply_update(gen);
}

int fw_config_xen_start(void)
{
	int rc = publish_ok(0, fw_ruleset_nrules(ctx->filter.rs));

	if (rc < 0)
		printf("firewall: cannot publish to xenstore (%d)\n", rc);
	gen_watch.path = GEN_PATH;
	gen_watch.token = "fw-config";
	gen_watch.fn = on_generation;
	rc = xs_watch(&xen_xs, &gen_watch);
	if (rc < 0)
		printf("firewall: cannot watch %s (%d): no live rule updates\n", GEN_PATH, rc);
	return rc;
}
