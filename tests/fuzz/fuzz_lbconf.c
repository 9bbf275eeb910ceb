// SPDX-License-Identifier: BSD-2-Clause
/*
 * The load balancer's configuration language (appliances/lb/lbconf.c,
 * lbconf_val.c): text from operators and from the host channel, so
 * untrusted. Parse; an accepted configuration must be internally
 * consistent (each service's backends inside the array, sizes within the
 * documented bounds), and its first services' Maglev tables are built as
 * the appliance would (small tables only, to keep the run fast).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "lbcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint16_t table[LB_TABLE_DEFAULT];
	struct lb_config *c = NULL;
	struct lb_error err;
	struct lb_mg_in in[LB_SVC_BACKENDS_MAX];
	char msg[256];
	int rc = lb_config_parse((const char *)data, size, &c, &err);

	if (rc < 0) {
		if (c || (rc != -EINVAL && rc != -ENOMEM) ||
		    memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
			abort();
		lb_error_format(&err, "lb.conf", msg, sizeof(msg));
		return 0;
	}
	if (!c || c->nsvc > LB_SERVICES_MAX || c->nbe > LB_BACKENDS_MAX)
		abort();
	for (unsigned int i = 0; i < c->nsvc; i++) {
		const struct lb_service_cfg *s = &c->svc[i];

		if (s->first > c->nbe || s->n > c->nbe - s->first || s->n > LB_SVC_BACKENDS_MAX ||
		    (s->proto != 6 && s->proto != 17) || !lb_is_prime(s->table_size) ||
		    s->table_size < LB_TABLE_MIN || s->table_size > LB_TABLE_MAX)
			abort();
		lb_format_ep(&s->vip, s->v6, s->port, msg, sizeof(msg));
		if (i >= 4 || s->table_size > LB_TABLE_DEFAULT)
			continue;
		for (unsigned int k = 0; k < s->n; k++) {
			const struct lb_backend_cfg *b = &c->be[s->first + k];

			if (b->weight > LB_WEIGHT_MAX)
				abort();
			in[k].id = lb_backend_id(&b->addr, s->v6, b->port);
			in[k].weight = b->drain ? 0 : b->weight;
		}
		if (lb_maglev_build(table, s->table_size, in, s->n) != 0)
			abort();
		for (uint32_t e = 0; e < s->table_size; e++)
			if (table[e] != LB_MG_NONE && table[e] >= s->n)
				abort();
	}
	free(c);
	return 0;
}
