// SPDX-License-Identifier: BSD-2-Clause
/*
 * The pipeline appliance skeleton (sluice/nf/app.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sluice/app.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/nf/app.h"

static bool net_opts_given; /* the net library is one per image: so is its table */

/* The net library's keys, wrapped to notice them. */
static int net_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	const struct cmdline_opt *orig = ctx;

	net_opts_given = true;
	return orig->fn(v, orig->ctx, err, errlen);
}

void nf_app_opts(const struct cmdline_opt *own, size_t nown, struct cmdline_opt *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < nown; i++) {
		if (n + 1 >= cap)
			panic("nf: option table too small");
		out[n++] = own[i];
	}
	for (const struct cmdline_opt *o = net_cmdline_opts; o->key; o++) {
		if (n + 1 >= cap)
			panic("nf: option table too small");
		out[n] = *o;
		if (o->type == CMDLINE_FUNC) {
			out[n].fn = net_opt;
			out[n].ctx = (void *)o;
		}
		n++;
	}
	out[n].key = NULL;
}

bool nf_app_net_opts_given(void)
{
	return net_opts_given;
}

/* One pass of the event loop's deliveries, in batches (a state swap can fall between). */
static void run_fn(struct work *w)
{
	struct nf_app *a = container_of(w, struct nf_app, run);

	pl_run_chain(a->graphs, a->ngraphs, now_ns(), now_ns);
	/* A chain longer than the rounds allowed: finish on the next pass. */
	for (unsigned int i = 0; i < a->ngraphs; i++)
		if (pl_pending(a->graphs[i]))
			work_post(w);
}

void nf_app_init(struct nf_app *a, const char *name, const char *prefix, struct pl_graph *first)
{
	a->name = name;
	a->prefix = prefix;
	a->ngraphs = 0;
	a->ready = false;
	a->run.fn = run_fn;
	nf_ports_init(&a->ports, name, first, &a->run);
	nf_stats_init(&a->stats);
	nf_app_add_graph(a, first);
}

int nf_app_add_graph(struct nf_app *a, struct pl_graph *g)
{
	if (a->ngraphs == NF_GRAPHS_MAX)
		return -E2BIG;
	/* Drops anywhere count against the ingress port, with the image's reason names. */
	pl_init(g, nf_ports_release, &a->ports);
	a->graphs[a->ngraphs++] = g;
	return 0;
}

void nf_app_stats_ports(struct nf_app *a)
{
	nf_stats_add(&a->stats, &a->sec_ports, "nic", nf_ports_format, &a->ports);
}

void nf_app_stats_pipeline(struct nf_app *a)
{
	for (unsigned int i = 0; i < a->ngraphs; i++)
		nf_stats_add(&a->stats, &a->sec_pl[i], "pipeline", nf_stats_pipeline, a->graphs[i]);
}

int nf_app_check(struct nf_app *a, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < a->ngraphs; i++) {
		int rc = pl_check(a->graphs[i], err, errlen);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void nf_app_ready(struct nf_app *a)
{
	if (a->ready)
		return;
	a->ready = true;
	kernel_mark_ready();
}

void nf_app_print(struct nf_app *a)
{
	nf_stats_print(&a->stats, a->prefix, a->text, sizeof(a->text));
	nf_ports_print_drops(&a->ports, a->prefix);
}

int nf_app_main(struct nf_app *a, int (*start)(struct nf_app *a, void *arg), void *arg)
{
	char desc[600];
	int rc = start(a, arg), status;

	if (rc == -EINVAL || rc == -ENODEV)
		return SLUICE_EXIT_CONFIG;
	if (rc < 0) {
		printf("%s: start failed (%d)\n", a->name, rc);
		return SLUICE_EXIT_FAILURE;
	}
	for (unsigned int i = 0; i < a->ngraphs; i++) {
		pl_describe(a->graphs[i], desc, sizeof(desc));
		printf("%s: pipeline: %s\n", a->name, desc);
	}
	status = evloop_run();
	printf("%s: stopping; final counters:\n", a->name);
	nf_app_print(a);
	return status;
}

int nf_app_path_opt(const char *v, char *dst, size_t cap, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n == 0 || n >= cap) {
		snprintf(err, errlen, "a path of 1 to %zu bytes", cap - 1);
		return -EINVAL;
	}
	/* Untrusted, and quoted in messages: printable, no blanks or quotes. */
	for (size_t i = 0; i < n; i++) {
		if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '\'' || v[i] == '"') {
			snprintf(err, errlen,
				 "the path must be printable ASCII without blanks or quotes");
			return -EINVAL;
		}
	}
	memcpy(dst, v, n + 1);
	return 0;
}
