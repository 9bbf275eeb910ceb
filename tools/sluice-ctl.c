// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: manage Sluice appliances from the host, identically on Xen
 * (a domain, through xenstore) and on QEMU/KVM (an appliance's control
 * socket, the virtio-console port of docs/hostcfg.md).
 *
 *   sluice-ctl list [TARGET...]      appliances and what they report
 *   sluice-ctl status TARGET         one appliance's state and last verdict
 *   sluice-ctl wait-ready TARGET     wait until it reports ready
 *   sluice-ctl push TARGET FILE      a new configuration, checked first
 *   sluice-ctl stats TARGET          the statistics an appliance publishes
 *   sluice-ctl validate FILE         check a configuration file, no appliance needed
 *
 * TARGET is a Xen domain (name or domid), or a path with a '/' in it: a
 * QEMU appliance's control socket. push checks FILE with the appliance's
 * own parser (ctl_validate.c: the firewall's rule compiler is built into
 * this tool) before anything is written: a typo is reported at once with
 * its line and column and costs no generation. Then it writes the text and
 * a new generation in one transaction and waits for the appliance's
 * verdict on that generation (protocol: docs/hostcfg.md).
 *
 * Exit status: see usage() (CTL_EXIT_* in ctl_int.h).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_int.h"

#define DEFAULT_TIMEOUT_S 10.0
#define MAX_TIMEOUT_S 86400.0

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sluice-ctl [-h] COMMAND [OPTION]... [ARG]...\n"
		"Manage Sluice appliances: Xen domains through xenstore, QEMU/KVM appliances\n"
		"through their control socket.\n"
		"\n"
		"TARGET is a Xen domain (a name or a domid), or a path containing '/': the\n"
		"control socket of a QEMU appliance (-chardev socket,path=PATH,server=on,\n"
		"wait=off -device virtserialport,chardev=...,name=org.sluice.ctl.0).\n"
		"\n"
		"Commands:\n"
		"  list [-j] [TARGET...]  the given appliances; without TARGET every Xen domain\n"
		"                         (when xenstore is reachable) and every socket in\n"
		"                         $SLUICE_CTL_DIR (default /run/sluice): name, domid,\n"
		"                         state, which appliance, its status, active\n"
		"                         configuration generation and last result\n"
		"  status [-j] TARGET     one appliance's kind, status, generation, last result\n"
		"                         and last error\n"
		"  wait-ready [-t SECONDS] TARGET\n"
		"                         wait until the appliance reports status ready\n"
		"  push [-t SECONDS] [--no-validate] TARGET FILE\n"
		"                         check FILE with the appliance's own parser\n"
		"                         (FILE:LINE:COL: message on an error; nothing is\n"
		"                         written), send it as a new configuration generation\n"
		"                         and wait for the appliance's verdict on it\n"
		"  stats [-j] TARGET      print the statistics the appliance publishes\n"
		"  validate [-a KIND] FILE\n"
		"                         only check FILE, as push does (no appliance needed;\n"
		"                         KIND: firewall, the default)\n"
		"FILE may be - for standard input.\n"
		"\n"
		"Options:\n"
		"  -t, --timeout=SECONDS  push, wait-ready: wait this long (default 10; push\n"
		"                         -t 0: do not wait, print the generation and exit)\n"
		"      --no-validate      push: skip the check (to test the appliance's own)\n"
		"  -j, --json             list, status, stats: JSON on standard output\n"
		"  -a, --appliance=KIND   validate: the kind of appliance FILE is for\n"
		"  -h, --help             show this help\n"
		"\n"
		"push prints \"applied generation G: SUMMARY\" when the appliance has taken the\n"
		"configuration. When it refuses it, it prints its error as FILE:LINE:COL:\n"
		"message, and the configuration in force stays as it was.\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  the file was refused, by sluice-ctl's check or by the appliance\n"
		"  2  usage error, unknown domain, not a Sluice appliance or not one that\n"
		"     takes this kind of configuration\n"
		"  3  no answer: no verdict on the pushed generation within the timeout, a\n"
		"     later push superseded it, the appliance stopped or went away; no\n"
		"     statistics published; not ready within the timeout\n"
		"  4  system error: xenstore, the hypervisor or the socket unavailable,\n"
		"     FILE unreadable, malformed data from the appliance\n");
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
			"%s: too long: a push carries at most %zu bytes (%u chunks of "
			"%zu)\n",
			path, ctl_chunked_max, ctl_chunk_count_max, ctl_chunk_data);
		free(buf);
		return CTL_EXIT_REJECTED;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* ---------------------------------------------------------------- targets */

/* A control socket is named by a path; anything else is a Xen domain. */
static bool is_socket_arg(const char *arg)
{
	return strchr(arg, '/') != NULL;
}

/*
 * TARGET into @t (and, for a domain, the Xen connection into *@xen: close
 * it after the target), with an error that says what to do when there is
 * none. 0 or an exit status.
 */
static int open_target_q(const char *arg, struct ctl_target *t, struct ctl **xen, bool quiet)
{
	int r;

	*xen = NULL;
	if (is_socket_arg(arg))
		return ctl_sock_target(arg, t, quiet) < 0 ? CTL_EXIT_SYSTEM : 0;
	*xen = ctl_open(quiet);
	if (!*xen)
		return CTL_EXIT_SYSTEM;
	r = ctl_resolve(*xen, arg, t);
	if (r < 0 && quiet)
		return r == -ENOENT ? CTL_EXIT_USAGE : CTL_EXIT_SYSTEM;
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

static int open_target(const char *arg, struct ctl_target *t, struct ctl **xen)
{
	return open_target_q(arg, t, xen, false);
}

static void close_target(struct ctl_target *t, struct ctl *xen)
{
	ctl_target_close(t);
	ctl_close(xen);
}

/*
 * Is @t a Sluice appliance, and one that takes a configuration (when
 * @config)? 0, or an exit status after saying why not. *@kind gets the
 * appliance's kind (free it).
 */
static int check_appliance(struct ctl_target *t, bool config, char **kind)
{
	char *v = ctl_read(t, CTL_KEY_APPLIANCE, NULL);

	if (!v && errno != ENOENT) {
		fputs("sluice-ctl: ", stderr);
		ctl_put_target(stderr, t);
		fprintf(stderr, ": cannot read %s: %s\n", CTL_KEY_APPLIANCE, strerror(errno));
		return CTL_EXIT_SYSTEM;
	}
	if (!v) {
		fputs("sluice-ctl: ", stderr);
		ctl_put_target(stderr, t);
		fprintf(stderr, " is not a Sluice appliance (it has no %s)\n", CTL_KEY_APPLIANCE);
		return CTL_EXIT_USAGE;
	}
	if (config && !ctl_validator(v)) {
		fputs("sluice-ctl: ", stderr);
		ctl_put_target(stderr, t);
		fputs(" is a Sluice '", stderr);
		ctl_put_escaped(stderr, v, strlen(v), true);
		fputs("' appliance, not a ", stderr);
		ctl_put_validator_kinds(stderr);
		fputc('\n', stderr);
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
	struct ctl_target t;
	bool open; /* t is usable */
	char state[7];
	struct ctl_report rep;
};

struct table {
	struct row *rows;
	size_t n;
	struct ctl *xen;
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

static struct row *add_row(struct table *tb)
{
	struct row *grown = realloc(tb->rows, (tb->n + 1) * sizeof(*grown));

	if (!grown) {
		fprintf(stderr, "sluice-ctl: out of memory\n");
		exit(CTL_EXIT_SYSTEM);
	}
	tb->rows = grown;
	memset(&grown[tb->n], 0, sizeof(*grown));
	return &grown[tb->n++];
}

static void add_socket(struct table *tb, const char *path, bool quiet)
{
	struct row *w = add_row(tb);

	w->open = ctl_sock_target(path, &w->t, quiet) == 0;
	if (!w->open) {
		w->t.is_socket = true;
		w->t.name = strdup(path);
	}
	snprintf(w->state, sizeof(w->state), "%s", w->open ? "r-----" : "------");
}

/* Every *.sock in $SLUICE_CTL_DIR (default /run/sluice), sorted. */
static void add_socket_dir(struct table *tb)
{
	const char *dir = getenv("SLUICE_CTL_DIR");
	struct dirent **names;
	char path[4096];
	int n;

	dir = dir && *dir ? dir : "/run/sluice";
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);

		if (l > 5 && strcmp(names[i]->d_name + l - 5, ".sock") == 0 &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
			    (int)sizeof(path))
			add_socket(tb, path, true);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

static int add_domains(struct table *tb, bool quiet)
{
	struct ctl_target *doms;
	size_t n;
	int r;

	tb->xen = ctl_open(quiet);
	if (!tb->xen)
		return CTL_EXIT_SYSTEM;
	r = ctl_list_domains(tb->xen, &doms, &n);
	if (r < 0) {
		fprintf(stderr, "sluice-ctl: cannot list the domains: %s\n", strerror(-r));
		return CTL_EXIT_SYSTEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct row *w = add_row(tb);

		w->t = doms[i];
		doms[i].name = NULL;
		ctl_xen_target(tb->xen, &w->t);
		w->open = true;
		ctl_state_string(w->t.flags, w->state);
	}
	ctl_free_doms(doms, n);
	return 0;
}

/* The rows of `list ARGS`: the targets named, or every domain and socket. */
static int gather(struct table *tb, int argc, char **argv)
{
	int r;

	for (int i = 0; i < argc; i++) {
		if (is_socket_arg(argv[i])) {
			add_socket(tb, argv[i], false);
			continue;
		}
		if (!tb->xen && !(tb->xen = ctl_open(false)))
			return CTL_EXIT_SYSTEM;
		struct row *w = add_row(tb);
		r = ctl_resolve(tb->xen, argv[i], &w->t);
		if (r < 0) {
			fprintf(stderr, "sluice-ctl: no domain '%s'\n", argv[i]);
			return CTL_EXIT_USAGE;
		}
		w->open = true;
		ctl_state_string(w->t.flags, w->state);
	}
	if (argc)
		return 0;
	add_socket_dir(tb);
	/* No Xen here is fine when there are sockets to show. */
	r = add_domains(tb, tb->n > 0);
	return r && tb->n ? 0 : r;
}

static void print_row(const struct row *w, bool json, bool first, const int *wd)
{
	char domid[16] = "-";
	const char *name = w->t.name;

	if (!w->t.is_socket)
		snprintf(domid, sizeof(domid), "%" PRIu32, w->t.domid);
	if (json) {
		printf("%s\n  {", first ? "" : ",");
		put_json_field("name", name, false, false);
		if (w->t.is_socket)
			put_json_field("socket", name, false, false);
		else
			printf("\"domid\": %s, ", domid);
		put_json_field("state", w->state, false, false);
		printf("\"sluice\": %s, ", w->rep.appliance ? "true" : "false");
		put_json_field("appliance", w->rep.appliance, false, false);
		put_json_field("status", w->rep.status, false, false);
		put_json_field("active_generation", w->rep.active_gen, true, false);
		put_json_field("result", w->rep.result, false, true);
		printf("}");
		return;
	}
	put_cell(name, wd[0]);
	printf("  %5s  %-6s  ", domid, w->state);
	put_cell(w->rep.appliance, wd[1]);
	printf("  ");
	put_cell(w->rep.status, wd[2]);
	printf("  ");
	put_cell(w->rep.active_gen, wd[3]);
	printf("  ");
	put_cell(w->rep.result, 0);
	printf("\n");
}

static void widen(int *w, const char *s)
{
	if (s && (int)strlen(s) > *w && strlen(s) < 40)
		*w = (int)strlen(s);
}

static int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct table tb = {0};
	bool json = false;
	int opt, r, wd[4] = {4, 9, 6, 3};

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
	r = gather(&tb, argc - optind, argv + optind);
	for (size_t i = 0; r == 0 && i < tb.n; i++) {
		struct row *w = &tb.rows[i];
		char *kind = w->open ? ctl_read(&w->t, CTL_KEY_APPLIANCE, NULL) : NULL;

		/* The rest only means something for an appliance. */
		if (kind)
			ctl_read_report(&w->t, &w->rep);
		free(kind);
		widen(&wd[0], w->t.name);
		widen(&wd[1], w->rep.appliance);
		widen(&wd[2], w->rep.status);
		widen(&wd[3], w->rep.active_gen);
	}
	if (r == 0 && json)
		printf("[");
	else if (r == 0)
		printf("%-*s  %5s  %-6s  %-*s  %-*s  %-*s  %s\n", wd[0], "NAME", "DOMID", "STATE",
		       wd[1], "APPLIANCE", wd[2], "STATUS", wd[3], "GEN", "RESULT");
	for (size_t i = 0; r == 0 && i < tb.n; i++)
		print_row(&tb.rows[i], json, i == 0, wd);
	if (r == 0 && json)
		printf("\n]\n");
	for (size_t i = 0; i < tb.n; i++) {
		ctl_free_report(&tb.rows[i].rep);
		if (tb.rows[i].open)
			ctl_target_close(&tb.rows[i].t);
		else
			free(tb.rows[i].t.name);
	}
	free(tb.rows);
	ctl_close(tb.xen);
	return r;
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
static void print_no_verdict(const struct ctl_target *t, uint64_t gen, const char *why,
			     const struct ctl_report *rep)
{
	fprintf(stderr, "sluice-ctl: generation %" PRIu64 " pushed to ", gen);
	ctl_put_target(stderr, t);
	fprintf(stderr, ", but %s (status ", why);
	ctl_put_escaped(stderr, rep && rep->status ? rep->status : "-",
			rep && rep->status ? strlen(rep->status) : 1, true);
	fputs(", result ", stderr);
	ctl_put_escaped(stderr, rep && rep->result ? rep->result : "-",
			rep && rep->result ? strlen(rep->result) : 1, true);
	fputs(")\n", stderr);
}

/* A verdict on @gen in @rep: the exit status, or -1 when there is none yet. */
static int verdict(struct ctl_target *t, const char *path, uint64_t gen,
		   const struct ctl_report *rep)
{
	struct ctl_result res;
	uint64_t active;

	if (!rep->result || ctl_parse_result(rep->result, &res) < 0 || res.gen < gen)
		return -1;
	if (res.gen > gen) {
		print_no_verdict(t, gen, "a later push superseded it", rep);
		return CTL_EXIT_NOVERDICT;
	}
	if (res.ok) {
		printf("applied generation %" PRIu64 ": ", gen);
		ctl_put_escaped(stdout, res.summary, strlen(res.summary), true);
		putchar('\n');
		return CTL_EXIT_OK;
	}
	print_guest_error(path, rep, gen);
	fputs("sluice-ctl: ", stderr);
	ctl_put_target(stderr, t);
	fprintf(stderr, " refused generation %" PRIu64, gen);
	if (rep->active_gen && ctl_parse_u64(rep->active_gen, &active) == 0)
		fprintf(stderr, "; generation %" PRIu64 " stays in force", active);
	fputc('\n', stderr);
	return CTL_EXIT_REJECTED;
}

/* Wait for the verdict on @gen and report it. Returns the exit status. */
static int await_verdict(struct ctl_target *t, const char *path, uint64_t gen, double timeout_s)
{
	uint64_t deadline = ctl_now_ms() + (uint64_t)(timeout_s * 1000.0);
	struct ctl_report rep = {0};
	int r;

	r = t->ops->watch_start(t);
	if (r < 0) {
		fprintf(stderr, "sluice-ctl: cannot watch the appliance's keys: %s\n",
			strerror(-r));
		return CTL_EXIT_SYSTEM;
	}
	for (;;) {
		/* Re-read everything on every wake-up: watch events only say "look again". */
		r = ctl_read_report(t, &rep);
		if (r < 0 && t->ops->alive(t) == 0) {
			print_no_verdict(t, gen, "the appliance has gone away", NULL);
			return CTL_EXIT_NOVERDICT;
		}
		if (r < 0) {
			fprintf(stderr, "sluice-ctl: cannot read the appliance's result: %s\n",
				strerror(-r));
			return CTL_EXIT_SYSTEM;
		}
		r = verdict(t, path, gen, &rep);
		if (r >= 0)
			break;
		r = CTL_EXIT_NOVERDICT;
		if (rep.status && strcmp(rep.status, "stopping") == 0) {
			print_no_verdict(t, gen, "the appliance is stopping", &rep);
			break;
		}
		if (t->ops->alive(t) == 0) {
			print_no_verdict(t, gen,
					 t->is_socket ? "the appliance has gone away"
						      : "the domain has shut down or gone away",
					 &rep);
			break;
		}
		r = t->ops->wait(t, deadline);
		if (r == -ETIMEDOUT) {
			char why[96];

			snprintf(why, sizeof(why), "no verdict came within %g s", timeout_s);
			print_no_verdict(t, gen, why, &rep);
			r = CTL_EXIT_NOVERDICT;
			break;
		}
		if (r < 0) {
			fprintf(stderr, "sluice-ctl: waiting on the appliance: %s\n", strerror(-r));
			r = CTL_EXIT_SYSTEM;
			break;
		}
		ctl_free_report(&rep);
	}
	ctl_free_report(&rep);
	return r;
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

/* Connect, check that the target takes @path's kind of configuration, and validate. */
static int push_prepare(const char *arg, const char *path, const char *text, size_t len,
			bool validate, struct ctl_target *t, struct ctl **xen,
			const struct ctl_validator **v)
{
	char *kind = NULL, summary[128];
	int r = open_target(arg, t, xen);

	if (r == 0)
		r = check_appliance(t, true, &kind);
	if (r == 0)
		*v = ctl_validator(kind);
	if (r == 0 && t->ops->alive(t) != 1) {
		fputs("sluice-ctl: ", stderr);
		ctl_put_target(stderr, t);
		fputs(" is shutting down\n", stderr);
		r = CTL_EXIT_USAGE;
	}
	/* Nothing is written before the file has passed the appliance's own parser. */
	if (r == 0 && validate)
		r = (*v)->check(path, text, len, summary, sizeof(summary));
	free(kind);
	return r;
}

/*
 * The options of push and wait-ready: -t SECONDS and (push) --no-validate.
 * 0, or an exit status (-1 for --help, which exits 0).
 */
static int wait_opts(int argc, char **argv, const char *cmd, double *timeout_s, bool *validate)
{
	enum { OPT_NO_VALIDATE = 256 };
	static const struct option longopts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"no-validate", no_argument, NULL, OPT_NO_VALIDATE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	*timeout_s = DEFAULT_TIMEOUT_S;
	while ((opt = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1) {
		if (opt == 't' && parse_timeout(optarg, timeout_s) == 0)
			continue;
		if (opt == 't') {
			fprintf(stderr, "sluice-ctl: %s: bad timeout '%s' (seconds, 0 to 86400)\n",
				cmd, optarg);
			return usage_error(NULL, NULL);
		}
		if (opt == OPT_NO_VALIDATE && validate) {
			*validate = false;
			continue;
		}
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		return bad_option();
	}
	return 0;
}

static int cmd_push(int argc, char **argv)
{
	double timeout_s;
	bool validate = true;
	const char *path;
	struct ctl_target t = {0};
	struct ctl *xen = NULL;
	const struct ctl_validator *v = NULL;
	uint64_t gen, active;
	size_t len;
	char *text;
	bool packed = false;
	int r = wait_opts(argc, argv, "push", &timeout_s, &validate);

	if (r)
		return r < 0 ? CTL_EXIT_OK : r;
	if (argc - optind != 2)
		return usage_error("%s: needs TARGET and FILE", "push");
	path = argv[optind + 1];
	r = read_rules(path, &text, &len);
	if (r)
		return r;
	r = push_prepare(argv[optind], path, text, len, validate, &t, &xen, &v);
	if (r == 0 && v->pack) {
		/* What this kind of appliance takes instead of the bare file (a TLS archive). */
		char *val;
		size_t vlen;

		r = v->pack(path, text, len, &val, &vlen);
		if (r == 0) {
			free(text);
			text = val;
			len = vlen;
			packed = true;
		}
	}
	if (r == 0) {
		r = ctl_push(&t, text, len, &gen, &active);
		if (r < 0) {
			fputs("sluice-ctl: cannot push to ", stderr);
			ctl_put_target(stderr, &t);
			if (r == -EPROTO)
				fprintf(stderr, ": its %s or %s is not a number\n",
					CTL_KEY_ACTIVE_GEN, CTL_KEY_CONFIG_GEN);
			else
				fprintf(stderr, ": %s\n", strerror(-r));
			r = CTL_EXIT_SYSTEM;
		} else if (timeout_s == 0) {
			printf("pushed generation %" PRIu64 " (active: %" PRIu64 ")\n", gen,
			       active);
		} else {
			r = await_verdict(&t, path, gen, timeout_s);
		}
	}
	if (packed)
		explicit_bzero(text, len); /* it carried private keys */
	free(text);
	close_target(&t, xen);
	return r;
}

/* ------------------------------------------------------------------ stats */

static int parse_json_opt(int argc, char **argv, bool *json)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			*json = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return bad_option();
		}
	}
	return 0;
}

/* "name": ..., "domid": N or "socket": ..., for the JSON outputs. */
static void put_json_target(const struct ctl_target *t)
{
	put_json_field("name", t->name, false, false);
	if (t->is_socket)
		put_json_field("socket", t->name, false, false);
	else
		printf("\"domid\": %" PRIu32 ", ", t->domid);
}

static int print_stats(struct ctl_target *t, const char *kind, bool json)
{
	char *stats = NULL;
	size_t len;
	int r = ctl_read_chunked(t, CTL_KEY_STATS, &stats, &len);

	if (r == -ENOENT) {
		fputs("sluice-ctl: ", stderr);
		ctl_put_target(stderr, t);
		fprintf(stderr, " publishes no statistics (no %s/count)\n", CTL_KEY_STATS);
		return CTL_EXIT_NOVERDICT;
	}
	if (r < 0) {
		fputs("sluice-ctl: ", stderr);
		ctl_put_target(stderr, t);
		fprintf(stderr, ": cannot read %s: %s\n", CTL_KEY_STATS,
			r == -EINVAL ? "malformed chunks" : strerror(-r));
		return CTL_EXIT_SYSTEM;
	}
	r = 0;
	if (json) {
		printf("{");
		put_json_target(t);
		put_json_field("appliance", kind, false, false);
		printf("\"stats\": ");
		if (ctl_put_stats_json(stdout, stats, len) < 0) {
			fprintf(stderr, "sluice-ctl: out of memory\n");
			r = CTL_EXIT_SYSTEM;
		}
		printf(", \"text\": ");
		ctl_put_json(stdout, stats, len);
		printf("}\n");
	} else {
		ctl_put_escaped(stdout, stats, len, false);
		if (len && stats[len - 1] != '\n')
			putchar('\n');
	}
	free(stats);
	return r;
}

static int cmd_stats(int argc, char **argv)
{
	struct ctl_target t = {0};
	struct ctl *xen = NULL;
	char *kind = NULL;
	bool json = false;
	int r = parse_json_opt(argc, argv, &json);

	if (r)
		return r < 0 ? CTL_EXIT_OK : r;
	if (argc - optind != 1)
		return usage_error("%s: needs TARGET", "stats");
	r = open_target(argv[optind], &t, &xen);
	if (r == 0)
		r = check_appliance(&t, false, &kind);
	if (r == 0)
		r = print_stats(&t, kind, json);
	free(kind);
	close_target(&t, xen);
	return r;
}

/* ----------------------------------------------------------------- status */

static int cmd_status(int argc, char **argv)
{
	static const char *const names[] = {"appliance", "status", "active_generation", "result",
					    "error"};
	struct ctl_target t = {0};
	struct ctl_report rep = {0};
	struct ctl *xen = NULL;
	bool json = false;
	int r = parse_json_opt(argc, argv, &json);

	if (r)
		return r < 0 ? CTL_EXIT_OK : r;
	if (argc - optind != 1)
		return usage_error("%s: needs TARGET", "status");
	r = open_target(argv[optind], &t, &xen);
	if (r == 0)
		r = check_appliance(&t, false, NULL);
	if (r == 0 && ctl_read_report(&t, &rep) < 0) {
		fprintf(stderr, "sluice-ctl: cannot read the appliance's keys\n");
		r = CTL_EXIT_SYSTEM;
	}
	if (r == 0) {
		const char *vals[] = {rep.appliance, rep.status, rep.active_gen, rep.result,
				      rep.error};

		if (json)
			printf("{");
		if (json)
			put_json_target(&t);
		for (size_t i = 0; i < 5; i++) {
			if (json) {
				put_json_field(names[i], vals[i], i == 2, i == 4);
				continue;
			}
			printf("%-18s ", names[i]);
			put_cell(vals[i], 0);
			putchar('\n');
		}
		if (json)
			printf("}\n");
	}
	ctl_free_report(&rep);
	close_target(&t, xen);
	return r;
}

/* ------------------------------------------------------------- wait-ready */

/* 0 once status is ready, else CTL_EXIT_NOVERDICT (gone, or past @deadline). */
static int await_ready(struct ctl_target *t, uint64_t deadline)
{
	for (;;) {
		char *st = ctl_read(t, CTL_KEY_STATUS, NULL);
		bool ready = st && strcmp(st, "ready") == 0;

		free(st);
		if (ready)
			return 0;
		if (t->ops->alive(t) == 0 || t->ops->wait(t, deadline) == -ETIMEDOUT)
			return CTL_EXIT_NOVERDICT;
	}
}

static int cmd_wait_ready(int argc, char **argv)
{
	double timeout_s;
	struct ctl_target t = {0};
	struct ctl *xen = NULL;
	uint64_t deadline;
	int r = wait_opts(argc, argv, "wait-ready", &timeout_s, NULL);

	if (r)
		return r < 0 ? CTL_EXIT_OK : r;
	if (argc - optind != 1)
		return usage_error("%s: needs TARGET", "wait-ready");
	deadline = ctl_now_ms() + (uint64_t)(timeout_s * 1000.0);
	/*
	 * The socket may not exist yet, nor the domain: both are retried
	 * quietly until the deadline (the last attempt says why it failed).
	 */
	for (;;) {
		r = open_target_q(argv[optind], &t, &xen, ctl_now_ms() + 150 < deadline);
		if (r == 0 && (r = t.ops->watch_start(&t)) == 0)
			r = await_ready(&t, deadline);
		close_target(&t, xen);
		if (r == 0 || ctl_now_ms() >= deadline)
			break;
		usleep(100 * 1000);
	}
	if (r == 0)
		printf("%s: ready\n", argv[optind]);
	else
		fprintf(stderr, "sluice-ctl: %s: not ready within %g s\n", argv[optind], timeout_s);
	return r ? CTL_EXIT_NOVERDICT : CTL_EXIT_OK;
}

/* --------------------------------------------------------------- validate */

static int cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"appliance", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct ctl_validator *v = ctl_validator("firewall");
	char summary[128];
	size_t len;
	char *text;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "a:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			v = ctl_validator(optarg);
			if (!v)
				return usage_error("validate: no parser for appliance '%s'",
						   optarg);
			break;
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
	r = v->check(argv[optind], text, len, summary, sizeof(summary));
	free(text);
	if (r == 0)
		printf("%s: ok, %s\n", argv[optind], summary);
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
		{"list", cmd_list}, {"status", cmd_status}, {"wait-ready", cmd_wait_ready},
		{"push", cmd_push}, {"stats", cmd_stats},   {"validate", cmd_validate},
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
