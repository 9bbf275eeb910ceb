// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: manage Sluice appliances from dom0 through xenstore.
 *
 *   sluice-ctl list                  the domains and what their appliances report
 *   sluice-ctl push DOMAIN FILE      new rules for a firewall appliance
 *   sluice-ctl stats DOMAIN          the statistics an appliance publishes
 *   sluice-ctl validate FILE         check a rule file, no Xen needed
 *
 * push checks FILE with the firewall's own rule compiler (FW_RULES_SRCS,
 * built into this tool) before anything reaches xenstore: a typo is
 * reported at once with its line and column instead of after a round trip,
 * and costs no generation. The appliance compiles with the same limits but
 * a memory budget of at most half its free heap, which the host cannot
 * know: a valid but huge file can still be refused there. Then push
 * writes the text and a new generation in one transaction and waits for
 * the appliance's verdict on that generation (protocol: docs/firewall.md).
 *
 * Exit status: see usage() (CTL_EXIT_* in ctl_int.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_int.h"

#define DEFAULT_TIMEOUT_S 10.0
#define MAX_TIMEOUT_S 86400.0

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sluice-ctl [-h] COMMAND [OPTION]... [ARG]...\n"
		"Manage Sluice appliances (Xen domains) from dom0 through xenstore.\n"
		"\n"
		"Commands:\n"
		"  list [-j]              every domain: name, domid, state, whether it is a\n"
		"                         Sluice appliance (and which), its status, active rule\n"
		"                         generation and last result\n"
		"  push [-t SECONDS] [--no-validate] DOMAIN FILE\n"
		"                         check the rule FILE with the firewall's own compiler\n"
		"                         (FILE:LINE:COL: message on an error; xenstore is not\n"
		"                         touched), send it to the firewall appliance DOMAIN\n"
		"                         (a name or a domid) as a new generation, and wait for\n"
		"                         the appliance's verdict on it\n"
		"  stats [-j] DOMAIN      print the statistics the appliance publishes\n"
		"  validate FILE          only check FILE, as push does (no Xen needed)\n"
		"FILE may be - for standard input.\n"
		"\n"
		"Options:\n"
		"  -t, --timeout=SECONDS  push: wait this long for the verdict (default 10;\n"
		"                         0: do not wait, print the generation and exit)\n"
		"      --no-validate      push: skip the check (to test the appliance's own)\n"
		"  -j, --json             list, stats: JSON on standard output\n"
		"  -h, --help             show this help\n"
		"\n"
		"push prints \"applied generation G: N rules\" when the appliance has taken the\n"
		"rules. When it refuses them it prints its error as FILE:LINE:COL: message,\n"
		"and the rules in force stay as they were.\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  the rule file was refused, by sluice-ctl's check or by the appliance\n"
		"  2  usage error, unknown domain, or not a Sluice firewall (appliance)\n"
		"  3  no answer: no verdict on the pushed generation within the timeout, a\n"
		"     later push superseded it, the appliance stopped or the domain went\n"
		"     away; or no statistics published\n"
		"  4  system error: xenstore or the hypervisor unavailable (run as root in\n"
		"     dom0), FILE unreadable, malformed data from the appliance\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	if (fmt) {
		fputs("sluice-ctl: ", stderr);
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
	fputs("Try 'sluice-ctl --help' for more information.\n", stderr);
	return CTL_EXIT_USAGE;
}

/* After getopt_long has said what was wrong with an option. */
static int bad_option(void)
{
	return usage_error(NULL, NULL);
}

/* ------------------------------------------------------------------ files */

/*
 * FILE (or stdin for "-") into a malloc'd buffer. Bounded by what a push
 * can carry: a longer file is refused here, not truncated. Returns 0,
 * CTL_EXIT_REJECTED (too long) or CTL_EXIT_SYSTEM, after printing why.
 */
static int read_rules(const char *path, char **text, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t cap = ctl_chunked_max + 1, n = 0;
	char *buf;

	if (!f) {
		fprintf(stderr, "sluice-ctl: %s: %s\n", path, strerror(errno));
		return CTL_EXIT_SYSTEM;
	}
	buf = malloc(cap);
	if (!buf) {
		fprintf(stderr, "sluice-ctl: out of memory\n");
		if (!is_stdin)
			fclose(f);
		return CTL_EXIT_SYSTEM;
	}
	/* One byte more than the bound: reading it means the file is too long. */
	while (n < cap) {
		size_t got = fread(buf + n, 1, cap - n, f);

		if (got == 0)
			break;
		n += got;
	}
	if (ferror(f)) {
		fprintf(stderr, "sluice-ctl: %s: read error\n", path);
		free(buf);
		if (!is_stdin)
			fclose(f);
		return CTL_EXIT_SYSTEM;
	}
	if (!is_stdin)
		fclose(f);
	if (n > ctl_chunked_max) {
		fprintf(stderr,
			"%s: too long: a push carries at most %zu bytes (%u xenstore chunks of "
			"%zu)\n",
			path, ctl_chunked_max, ctl_chunk_count_max, ctl_chunk_data);
		free(buf);
		return CTL_EXIT_REJECTED;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* The appliance's compiler on the host. 0 or CTL_EXIT_REJECTED after "FILE:L:C: msg". */
static int check_rules(const char *path, const char *text, size_t len, unsigned int *nrules)
{
	struct fw_ruleset *rs;
	struct fw_error err;
	char msg[4352];
	int r;

	r = fw_compile_limits(text, len, &ctl_fw_limits, &rs, &err);
	if (r < 0) {
		fw_error_format(&err, path, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return CTL_EXIT_REJECTED;
	}
	*nrules = fw_ruleset_nrules(rs);
	fw_ruleset_free(rs);
	return 0;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* ---------------------------------------------------------------- domains */

static int connect_or_fail(struct ctl **c)
{
	*c = ctl_open();
	return *c ? 0 : CTL_EXIT_SYSTEM;
}

/* DOMAIN into @d, with an error that says what to do when there is none. */
static int find_domain(struct ctl *c, const char *arg, struct ctl_dom *d)
{
	int r = ctl_resolve(c, arg, d);

	if (r == -ENOENT) {
		fprintf(stderr, "sluice-ctl: no domain '%s' ('sluice-ctl list' shows them)\n", arg);
		return CTL_EXIT_USAGE;
	}
	if (r == -ENOTUNIQ) {
		fprintf(stderr, "sluice-ctl: several domains are named '%s': give a domid\n", arg);
		return CTL_EXIT_USAGE;
	}
	if (r < 0) {
		fprintf(stderr, "sluice-ctl: cannot list the domains: %s\n", strerror(-r));
		return CTL_EXIT_SYSTEM;
	}
	return 0;
}

static void put_dom(FILE *f, const struct ctl_dom *d)
{
	fputc('\'', f);
	if (d->name)
		ctl_put_escaped(f, d->name, strlen(d->name), true);
	fprintf(f, "' (domid %" PRIu32 ")", d->domid);
}

/*
 * Is @d a Sluice appliance, and of kind @want (NULL: any)? 0, or an exit
 * status after saying why not. *@kind gets the appliance's kind (free it).
 */
static int check_appliance(struct ctl *c, const struct ctl_dom *d, const char *want, char **kind)
{
	char *v = ctl_read(c, d->domid, CTL_KEY_APPLIANCE, NULL);

	if (!v && errno != ENOENT) {
		fputs("sluice-ctl: ", stderr);
		put_dom(stderr, d);
		fprintf(stderr, ": cannot read %s: %s\n", CTL_KEY_APPLIANCE, strerror(errno));
		return CTL_EXIT_SYSTEM;
	}
	if (!v) {
		fputs("sluice-ctl: ", stderr);
		put_dom(stderr, d);
		fprintf(stderr, " is not a Sluice appliance (it has no %s)\n", CTL_KEY_APPLIANCE);
		return CTL_EXIT_USAGE;
	}
	if (want && strcmp(v, want) != 0) {
		fputs("sluice-ctl: ", stderr);
		put_dom(stderr, d);
		fputs(" is a Sluice '", stderr);
		ctl_put_escaped(stderr, v, strlen(v), true);
		fprintf(stderr, "' appliance, not a %s\n", want);
		free(v);
		return CTL_EXIT_USAGE;
	}
	if (kind)
		*kind = v;
	else
		free(v);
	return 0;
}

/* ------------------------------------------------------------------- list */

struct row {
	char state[7];
	char *appliance, *status, *gen, *result;
};

/* A guest-written value as a table cell: escaped, "-" when absent. */
static void put_cell(const char *v, int width)
{
	size_t n = v ? strlen(v) : 1;

	ctl_put_escaped(stdout, v ? v : "-", n, true);
	for (int i = (int)n; i < width; i++)
		putchar(' ');
}

static void put_json_field(const char *key, const char *v, bool number, bool last)
{
	uint64_t x;

	printf("\"%s\": ", key);
	if (!v)
		printf("null");
	else if (number && ctl_parse_u64(v, &x) == 0)
		printf("%" PRIu64, x);
	else
		ctl_put_json(stdout, v, strlen(v));
	printf(last ? "" : ", ");
}

static int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_dom *doms;
	struct row *rows;
	struct ctl *c;
	bool json = false;
	int opt, r, wname = 4, wapp = 9, wstatus = 6, wgen = 3;
	size_t n;

	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			return bad_option();
		}
	}
	if (optind != argc)
		return usage_error("list: unexpected argument '%s'", argv[optind]);
	r = connect_or_fail(&c);
	if (r)
		return r;
	r = ctl_list_domains(c, &doms, &n);
	if (r < 0) {
		fprintf(stderr, "sluice-ctl: cannot list the domains: %s\n", strerror(-r));
		ctl_close(c);
		return CTL_EXIT_SYSTEM;
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, "sluice-ctl: out of memory\n");
		ctl_free_doms(doms, n);
		ctl_close(c);
		return CTL_EXIT_SYSTEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct ctl_report rep;

		ctl_state_string(doms[i].flags, rows[i].state);
		rows[i].appliance = ctl_read(c, doms[i].domid, CTL_KEY_APPLIANCE, NULL);
		/* The rest only means something for an appliance. */
		if (rows[i].appliance && ctl_read_report(c, doms[i].domid, &rep) == 0) {
			rows[i].status = rep.status;
			rows[i].gen = rep.active_gen;
			rows[i].result = rep.result;
			free(rep.error);
		}
#define WIDEN(w, s)                                                                                \
	do {                                                                                       \
		if ((s) && (int)strlen(s) > (w) && strlen(s) < 40)                                 \
			(w) = (int)strlen(s);                                                      \
	} while (0)
		WIDEN(wname, doms[i].name);
		WIDEN(wapp, rows[i].appliance);
		WIDEN(wstatus, rows[i].status);
		WIDEN(wgen, rows[i].gen);
#undef WIDEN
	}
	if (json)
		printf("[");
	else
		printf("%-*s  %5s  %-6s  %-*s  %-*s  %-*s  %s\n", wname, "NAME", "DOMID", "STATE",
		       wapp, "APPLIANCE", wstatus, "STATUS", wgen, "GEN", "RESULT");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];

		if (json) {
			printf("%s\n  {", i ? "," : "");
			put_json_field("name", doms[i].name, false, false);
			printf("\"domid\": %" PRIu32 ", ", doms[i].domid);
			put_json_field("state", w->state, false, false);
			printf("\"sluice\": %s, ", w->appliance ? "true" : "false");
			put_json_field("appliance", w->appliance, false, false);
			put_json_field("status", w->status, false, false);
			put_json_field("active_generation", w->gen, true, false);
			put_json_field("result", w->result, false, true);
			printf("}");
			continue;
		}
		put_cell(doms[i].name, wname);
		printf("  %5" PRIu32 "  %-6s  ", doms[i].domid, w->state);
		put_cell(w->appliance, wapp);
		printf("  ");
		put_cell(w->status, wstatus);
		printf("  ");
		put_cell(w->gen, wgen);
		printf("  ");
		put_cell(w->result, 0);
		printf("\n");
	}
	if (json)
		printf("\n]\n");
	for (size_t i = 0; i < n; i++) {
		free(rows[i].appliance);
		free(rows[i].status);
		free(rows[i].gen);
		free(rows[i].result);
	}
	free(rows);
	ctl_free_doms(doms, n);
	ctl_close(c);
	return CTL_EXIT_OK;
}

/* ------------------------------------------------------------------- push */

/* The appliance's error for generation @gen, with FILE in place of its "rules". */
static void print_guest_error(const char *path, const struct ctl_report *rep, uint64_t gen)
{
	const char *where, *rest;
	uint64_t egen;

	if (!rep->error || ctl_parse_error(rep->error, &egen, &where, &rest) < 0 || egen != gen) {
		fprintf(stderr,
			"%s: refused by the appliance (it gave no error message for "
			"generation %" PRIu64 ")\n",
			path, gen);
		return;
	}
	fputs(path, stderr);
	if (where) {
		ctl_put_escaped(stderr, where, strlen(where), true);
	} else {
		fputs(": ", stderr);
		ctl_put_escaped(stderr, rest, strlen(rest), true);
	}
	fputc('\n', stderr);
}

/* Why the wait ended without a verdict, with what the appliance last said. */
static void print_no_verdict(const struct ctl_dom *d, uint64_t gen, const char *why,
			     const struct ctl_report *rep)
{
	fprintf(stderr, "sluice-ctl: generation %" PRIu64 " pushed to ", gen);
	put_dom(stderr, d);
	fprintf(stderr, ", but %s (status ", why);
	ctl_put_escaped(stderr, rep && rep->status ? rep->status : "-",
			rep && rep->status ? strlen(rep->status) : 1, true);
	fputs(", result ", stderr);
	ctl_put_escaped(stderr, rep && rep->result ? rep->result : "-",
			rep && rep->result ? strlen(rep->result) : 1, true);
	fputs(")\n", stderr);
}

/* Wait for the verdict on @gen and report it. Returns the exit status. */
static int await_verdict(struct ctl *c, const struct ctl_dom *d, const char *path, uint64_t gen,
			 double timeout_s)
{
	uint64_t deadline = ctl_now_ms() + (uint64_t)(timeout_s * 1000.0);
	struct ctl_report rep = {0};
	int r;

	r = ctl_watch_start(c, d->domid);
	if (r < 0) {
		fprintf(stderr, "sluice-ctl: cannot watch xenstore: %s\n", strerror(-r));
		return CTL_EXIT_SYSTEM;
	}
	for (;;) {
		struct ctl_result res;
		int alive;

		/* Re-read everything on every wake-up: watch events only say "look again". */
		r = ctl_read_report(c, d->domid, &rep);
		if (r < 0) {
			fprintf(stderr, "sluice-ctl: cannot read the appliance's result: %s\n",
				strerror(-r));
			return CTL_EXIT_SYSTEM;
		}
		if (rep.result && ctl_parse_result(rep.result, &res) == 0 && res.gen >= gen) {
			uint64_t active;

			if (res.gen > gen) {
				print_no_verdict(d, gen, "a later push superseded it", &rep);
				break;
			}
			if (res.ok) {
				printf("applied generation %" PRIu64 ": %" PRIu64 " rule%s\n", gen,
				       res.nrules, plural(res.nrules));
				ctl_free_report(&rep);
				return CTL_EXIT_OK;
			}
			print_guest_error(path, &rep, gen);
			fputs("sluice-ctl: ", stderr);
			put_dom(stderr, d);
			fprintf(stderr, " refused generation %" PRIu64, gen);
			if (rep.active_gen && ctl_parse_u64(rep.active_gen, &active) == 0)
				fprintf(stderr, "; generation %" PRIu64 " stays in force", active);
			fputc('\n', stderr);
			ctl_free_report(&rep);
			return CTL_EXIT_REJECTED;
		}
		if (rep.status && strcmp(rep.status, "stopping") == 0) {
			print_no_verdict(d, gen, "the appliance is stopping", &rep);
			break;
		}
		alive = ctl_domain_alive(c, d->domid);
		if (alive == 0) {
			print_no_verdict(d, gen, "the domain has shut down or gone away", &rep);
			break;
		}
		r = ctl_wait(c, deadline);
		if (r == -ETIMEDOUT) {
			char why[96];

			snprintf(why, sizeof(why), "no verdict came within %g s", timeout_s);
			print_no_verdict(d, gen, why, &rep);
			break;
		}
		if (r < 0) {
			fprintf(stderr, "sluice-ctl: waiting on xenstore: %s\n", strerror(-r));
			ctl_free_report(&rep);
			return CTL_EXIT_SYSTEM;
		}
		ctl_free_report(&rep);
	}
	ctl_free_report(&rep);
	return CTL_EXIT_NOVERDICT;
}

static int parse_timeout(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > MAX_TIMEOUT_S)
		return -EINVAL;
	*out = v;
	return 0;
}

static int cmd_push(int argc, char **argv)
{
	enum { OPT_NO_VALIDATE = 256 };
	static const struct option longopts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"no-validate", no_argument, NULL, OPT_NO_VALIDATE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double timeout_s = DEFAULT_TIMEOUT_S;
	bool validate = true;
	const char *domain, *path;
	unsigned int nrules = 0;
	uint64_t gen, active;
	struct ctl_dom d = {0};
	struct ctl *c;
	size_t len;
	char *text;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_timeout(optarg, &timeout_s) < 0)
				return usage_error("push: bad timeout '%s' (seconds, 0 to 86400)",
						   optarg);
			break;
		case OPT_NO_VALIDATE:
			validate = false;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			return bad_option();
		}
	}
	if (argc - optind != 2)
		return usage_error("%s: needs DOMAIN and FILE", "push");
	domain = argv[optind];
	path = argv[optind + 1];

	/* The file first: a bad one must not cost a connection, let alone a generation. */
	r = read_rules(path, &text, &len);
	if (r)
		return r;
	if (validate) {
		r = check_rules(path, text, len, &nrules);
		if (r) {
			free(text);
			return r;
		}
	}
	r = connect_or_fail(&c);
	if (r) {
		free(text);
		return r;
	}
	r = find_domain(c, domain, &d);
	if (r == 0)
		r = check_appliance(c, &d, "firewall", NULL);
	if (r == 0 && ctl_domain_alive(c, d.domid) != 1) {
		fputs("sluice-ctl: ", stderr);
		put_dom(stderr, &d);
		fputs(" is shutting down\n", stderr);
		r = CTL_EXIT_USAGE;
	}
	if (r) {
		free(d.name);
		free(text);
		ctl_close(c);
		return r;
	}
	r = ctl_push(c, d.domid, text, len, &gen, &active);
	free(text);
	if (r < 0) {
		fputs("sluice-ctl: cannot push to ", stderr);
		put_dom(stderr, &d);
		if (r == -EPROTO)
			fprintf(stderr, ": its %s or %s is not a number\n", CTL_KEY_ACTIVE_GEN,
				CTL_KEY_CONFIG_GEN);
		else
			fprintf(stderr, ": %s\n", strerror(-r));
		free(d.name);
		ctl_close(c);
		return CTL_EXIT_SYSTEM;
	}
	if (timeout_s == 0) {
		printf("pushed generation %" PRIu64 " (active: %" PRIu64 ")\n", gen, active);
		r = CTL_EXIT_OK;
	} else {
		r = await_verdict(c, &d, path, gen, timeout_s);
	}
	free(d.name);
	ctl_close(c);
	return r;
}

/* ------------------------------------------------------------------ stats */

static int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_dom d = {0};
	char *kind = NULL, *stats = NULL;
	struct ctl *c;
	bool json = false;
	size_t len;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			return bad_option();
		}
	}
	if (argc - optind != 1)
		return usage_error("%s: needs DOMAIN", "stats");
	r = connect_or_fail(&c);
	if (r)
		return r;
	r = find_domain(c, argv[optind], &d);
	if (r == 0)
		r = check_appliance(c, &d, NULL, &kind);
	if (r == 0) {
		r = ctl_read_chunked(c, d.domid, CTL_KEY_STATS, &stats, &len);
		if (r == -ENOENT) {
			fputs("sluice-ctl: ", stderr);
			put_dom(stderr, &d);
			fprintf(stderr, " publishes no statistics (no %s/count)\n", CTL_KEY_STATS);
			r = CTL_EXIT_NOVERDICT;
		} else if (r < 0) {
			fputs("sluice-ctl: ", stderr);
			put_dom(stderr, &d);
			fprintf(stderr, ": cannot read %s: %s\n", CTL_KEY_STATS,
				r == -EINVAL ? "malformed chunks" : strerror(-r));
			r = CTL_EXIT_SYSTEM;
		}
	}
	if (r == 0 && json) {
		printf("{");
		put_json_field("name", d.name, false, false);
		printf("\"domid\": %" PRIu32 ", ", d.domid);
		put_json_field("appliance", kind, false, false);
		printf("\"stats\": ");
		if (ctl_put_stats_json(stdout, stats, len) < 0) {
			fprintf(stderr, "sluice-ctl: out of memory\n");
			r = CTL_EXIT_SYSTEM;
		}
		printf(", \"text\": ");
		ctl_put_json(stdout, stats, len);
		printf("}\n");
	} else if (r == 0) {
		ctl_put_escaped(stdout, stats, len, false);
		if (len && stats[len - 1] != '\n')
			putchar('\n');
	}
	free(stats);
	free(kind);
	free(d.name);
	ctl_close(c);
	return r;
}

/* --------------------------------------------------------------- validate */

static int cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned int nrules;
	size_t len;
	char *text;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			return bad_option();
		}
	}
	if (argc - optind != 1)
		return usage_error("%s: needs FILE", "validate");
	r = read_rules(argv[optind], &text, &len);
	if (r)
		return r;
	r = check_rules(argv[optind], text, len, &nrules);
	free(text);
	if (r == 0)
		printf("%s: ok, %u rule%s\n", argv[optind], nrules, plural(nrules));
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{"list", cmd_list},
		{"push", cmd_push},
		{"stats", cmd_stats},
		{"validate", cmd_validate},
	};
	int opt;

	/* "+": stop at the command, whose own options come after it. */
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			return bad_option();
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			static char prog[32];
			char **sub = argv + optind;
			int subc = argc - optind;

			/* getopt_long's messages then name the command: "sluice-ctl push: ..." */
			snprintf(prog, sizeof(prog), "sluice-ctl %s", cmds[i].name);
			sub[0] = prog;
			optind = 0; /* glibc: 0 restarts scanning from scratch, at sub[1] */
			return cmds[i].fn(subc, sub);
		}
	}
	return usage_error("unknown command '%s'", argv[optind]);
}
