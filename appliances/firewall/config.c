// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rule sources: the boot rules (rules= on the command line, or rules-file=
 * on the config disk) and live updates through the host channel (the
 * shared configuration channel, sluice/nf/confchan.h; protocol in
 * docs/hostcfg.md §4).
 *
 * Every source is untrusted text. A rule set is compiled to the side with
 * a memory budget of at most half the free heap, so a hostile one fails
 * with a clean error instead of starving the live one; only a set that
 * compiled whole replaces the live one (pl_stage: between packet batches,
 * counters carried over, connection table untouched). A bad update
 * changes nothing and says why, in the error key and on the console.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwconf.h"
#include "fwsvc.h"
#include "sluice/configdisk.h"
#include "sluice/hostcfg.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/nf/confchan.h"

#define MSG_MAX NF_CONF_MSG_MAX

static struct nf_confchan chan;
static struct fw_ctx *ctx; /* the firewall's, given at boot */

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
	if (!text && !hc_present()) {
		printf("firewall: no rules: give rules=\"...\" or rules-file=NAME\n");
		return -EINVAL;
	}
	if (!text)
		printf("firewall: no boot rules: dropping everything but ARP and neighbour "
		       "discovery until the host sends rules (%s)\n",
		       hc_transport());
	describe_source(name, text != NULL, src, sizeof(src));
	rc = compile(text ? text : fallback, text ? len : strlen(fallback), name, &ctx->filter.rs,
		     msg, sizeof(msg));
	free(text);
	if (rc < 0) {
		printf("firewall: %s\n", msg);
		nf_confchan_boot_error(msg); /* tell the host why the appliance stops */
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	printf("firewall: %u rules from %s, %zu KiB\n", fw_ruleset_nrules(ctx->filter.rs), src,
	       fw_ruleset_memory(ctx->filter.rs) / 1024);
	return 0;
}

/* ---- live updates: the shared configuration channel ---- */

static int chan_compile(void *arg, const char *text, size_t len, void **out, char *msg,
			size_t msglen)
{
	struct fw_ruleset *rs;
	int rc = compile(text, len, "rules", &rs, msg, msglen);

	(void)arg;
	if (rc == 0)
		*out = rs;
	return rc;
}

static void chan_apply(void *arg, void *compiled, char *sum, size_t sumlen)
{
	struct fw_ctx *c = arg;
	struct fw_ruleset *rs = compiled;

	pl_stage(c->filter_elem, rs); /* outside a batch: installed now */
	snprintf(sum, sumlen, "%u rules", fw_ruleset_nrules(rs));
}

static const struct nf_confchan_ops chan_ops = {
	.compile = chan_compile,
	.apply = chan_apply,
};

uint64_t fw_config_generation(void)
{
	return nf_confchan_generation(&chan);
}

int fw_config_start(void)
{
	char sum[32];

	snprintf(sum, sizeof(sum), "%u rules", fw_ruleset_nrules(ctx->filter.rs));
	return nf_confchan_start(&chan, &chan_ops, ctx, "firewall", sum);
}
