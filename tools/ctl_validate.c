// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: the appliances' own configuration parsers, built into the
 * tool so that push refuses a bad file before anything is written, with
 * the same FILE:LINE:COL messages the appliance would give. One entry per
 * kind of appliance that takes a configuration through push.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_int.h"
#include "lbcore.h"

/* The firewall's rule compiler, with the appliance's limits (ctl_fw_limits). */
static int check_firewall(const char *path, const char *text, size_t len, char *summary,
			  size_t slen)
{
	struct fw_ruleset *rs;
	struct fw_error err;
	char msg[4352];
	unsigned int n;

	if (fw_compile_limits(text, len, &ctl_fw_limits, &rs, &err) < 0) {
		fw_error_format(&err, path, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return CTL_EXIT_REJECTED;
	}
	n = fw_ruleset_nrules(rs);
	fw_ruleset_free(rs);
	snprintf(summary, slen, "%u rule%s", n, n == 1 ? "" : "s");
	return 0;
}

/* The load balancer's configuration parser (appliances/lb/lbconf.c), as the appliance runs it. */
static int check_lb(const char *path, const char *text, size_t len, char *summary, size_t slen)
{
	struct lb_config *c;
	struct lb_error err;
	char msg[4352];
	unsigned int ns, nb;

	if (lb_config_parse(text, len, &c, &err) < 0) {
		lb_error_format(&err, path, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return CTL_EXIT_REJECTED;
	}
	ns = c->nsvc;
	nb = c->nbe;
	free(c);
	snprintf(summary, slen, "%u service%s, %u backend%s", ns, ns == 1 ? "" : "s", nb,
		 nb == 1 ? "" : "s");
	return 0;
}

static const struct ctl_validator validators[] = {
	{"firewall", check_firewall, NULL},
	{"lb", check_lb, NULL},
	{"tls", ctl_tls_check, ctl_tls_pack}, /* tools/ctl_tls.c */
};

const struct ctl_validator *ctl_validator(const char *kind)
{
	for (size_t i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
		if (strcmp(validators[i].kind, kind) == 0)
			return &validators[i];
	return NULL;
}

void ctl_put_validator_kinds(FILE *f)
{
	for (size_t i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
		fprintf(f, "%s%s",
			i ? (i + 1 == sizeof(validators) / sizeof(validators[0]) ? " or " : ", ")
			  : "",
			validators[i].kind);
}
