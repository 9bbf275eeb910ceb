// SPDX-License-Identifier: BSD-2-Clause
/*
 * Services and backends in force (lb.h): configurations become slots.
 *
 * A new configuration is parsed and prepared to the side (lb_plan_make:
 * the text is untrusted; every table is allocated and every slot counted
 * there, so applying cannot fail), then applied between packet batches
 * (lb_plan_apply): each service and backend finds its slot again by
 * identity, keeping its health, counters and flows; new ones take free
 * slots; those no longer listed become REMOVED. A flow stays on its
 * backend as long as the flow lives, whatever the pool does: only new
 * flows see the new tables.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"
#include "sluice/evloop.h"

struct lb_plan {
	struct lb_config *cfg;
	uint16_t *tables[LB_SERVICES_MAX];
};

void lb_plan_free(struct lb_plan *pl)
{
	if (!pl)
		return;
	for (unsigned int i = 0; i < LB_SERVICES_MAX; i++)
		free(pl->tables[i]);
	free(pl->cfg);
	free(pl);
}

bool lb_be_eligible(const struct lb_be *b)
{
	return b->state == LB_SLOT_LIVE && b->weight && !b->drain && b->health.up;
}

static bool same_svc(const struct lb_service_cfg *a, const struct lb_service_cfg *b)
{
	return a->proto == b->proto && a->port == b->port && a->v6 == b->v6 &&
	       memcmp(&a->vip, &b->vip, sizeof(a->vip)) == 0;
}

/* The slot holding service @sc (live or removed), or -1. */
static int find_svc(const struct lb_ctx *c, const struct lb_service_cfg *sc)
{
	for (int i = 0; i < LB_SVC_SLOTS; i++)
		if (c->svc[i].state != LB_SLOT_FREE && same_svc(&c->svc[i].cfg, sc))
			return i;
	return -1;
}

static int find_be(const struct lb_ctx *c, int svc, const struct lb_backend_cfg *bc)
{
	for (int i = 0; i < LB_BE_SLOTS; i++) {
		const struct lb_be *b = &c->be[i];

		if (b->state != LB_SLOT_FREE && b->svc == svc && b->port == bc->port &&
		    memcmp(&b->addr, &bc->addr, sizeof(b->addr)) == 0)
			return i;
	}
	return -1;
}

void lb_slots_reap(struct lb_ctx *c)
{
	for (int i = 0; i < LB_BE_SLOTS; i++) {
		struct lb_be *b = &c->be[i];

		if (b->state == LB_SLOT_REMOVED && b->c.active == 0) {
			lb_check_stop(c, b);
			b->state = LB_SLOT_FREE;
		}
	}
	for (int i = 0; i < LB_SVC_SLOTS; i++) {
		struct lb_svc *s = &c->svc[i];

		if (s->state == LB_SLOT_REMOVED && s->c.active == 0) {
			free(s->table);
			s->table = NULL;
			s->state = LB_SLOT_FREE;
		}
	}
}

/* Slots @cfg needs beyond those it finds again, against the free ones. */
static int count_slots(struct lb_ctx *c, const struct lb_config *cfg, char *msg, size_t msglen,
		       const char *name)
{
	unsigned int need_s = 0, need_b = 0, free_s = 0, free_b = 0;

	lb_slots_reap(c);
	for (int i = 0; i < LB_SVC_SLOTS; i++)
		free_s += c->svc[i].state == LB_SLOT_FREE;
	for (int i = 0; i < LB_BE_SLOTS; i++)
		free_b += c->be[i].state == LB_SLOT_FREE;
	for (unsigned int i = 0; i < cfg->nsvc; i++) {
		const struct lb_service_cfg *sc = &cfg->svc[i];
		int s = find_svc(c, sc);

		need_s += s < 0;
		for (unsigned int j = sc->first; j < sc->first + sc->n; j++)
			need_b += s < 0 || find_be(c, s, &cfg->be[j]) < 0;
	}
	if (need_s <= free_s && need_b <= free_b)
		return 0;
	snprintf(msg, msglen,
		 "%s: too many services or backends still finishing flows from earlier "
		 "configurations; try again when they have ended",
		 name);
	return -EBUSY;
}

int lb_plan_make(struct lb_ctx *c, const char *text, size_t len, const char *name,
		 struct lb_plan **out, char *msg, size_t msglen)
{
	struct lb_plan *pl = calloc(1, sizeof(*pl));
	struct lb_error e;
	int rc;

	*out = NULL;
	if (!pl) {
		snprintf(msg, msglen, "%s: out of memory", name);
		return -ENOMEM;
	}
	rc = lb_config_parse(text, len, &pl->cfg, &e);
	if (rc < 0) {
		lb_error_format(&e, name, msg, msglen);
		free(pl);
		return rc;
	}
	rc = count_slots(c, pl->cfg, msg, msglen, name);
	for (unsigned int i = 0; rc == 0 && i < pl->cfg->nsvc; i++) {
		pl->tables[i] = malloc(pl->cfg->svc[i].table_size * sizeof(uint16_t));
		if (!pl->tables[i]) {
			snprintf(msg, msglen, "%s: out of memory for the lookup tables", name);
			rc = -ENOMEM;
		}
	}
	if (rc < 0) {
		lb_plan_free(pl);
		return rc;
	}
	*out = pl;
	return 0;
}

static int take_free_svc(struct lb_ctx *c)
{
	for (int i = 0; i < LB_SVC_SLOTS; i++)
		if (c->svc[i].state == LB_SLOT_FREE)
			return i;
	return -1; /* not reached: lb_plan_make counted */
}

static int take_free_be(struct lb_ctx *c)
{
	for (int i = 0; i < LB_BE_SLOTS; i++)
		if (c->be[i].state == LB_SLOT_FREE)
			return i;
	return -1;
}

/* Backend @bc of service slot @s: its slot, found again or new. */
static void apply_be(struct lb_ctx *c, int s, const struct lb_backend_cfg *bc, bool checked)
{
	struct lb_svc *sv = &c->svc[s];
	int i = find_be(c, s, bc);
	struct lb_be *b;

	if (i < 0) {
		i = take_free_be(c);
		if (i < 0)
			return;
		b = &c->be[i];
		memset(b, 0, sizeof(*b));
		b->svc = (uint16_t)s;
		b->addr = bc->addr;
		b->port = bc->port;
		b->probe = -1;
		b->changed_ns = now_ns();
		lb_health_init(&b->health, sv->cfg.check.rise, sv->cfg.check.fall, true);
	}
	b = &c->be[i];
	b->state = LB_SLOT_LIVE;
	b->weight = bc->weight;
	b->drain = bc->drain;
	b->health.rise = sv->cfg.check.rise;
	b->health.fall = sv->cfg.check.fall;
	if (!checked) {
		lb_check_stop(c, b);
		b->health.up = true; /* no check: always up */
	}
	sv->be[sv->nbe++] = (uint16_t)i;
}

static void apply_svc(struct lb_ctx *c, const struct lb_config *cfg, unsigned int k,
		      uint16_t *table)
{
	const struct lb_service_cfg *sc = &cfg->svc[k];
	int s = find_svc(c, sc);
	struct lb_svc *sv;

	if (s < 0) {
		s = take_free_svc(c);
		if (s < 0)
			return;
		memset(&c->svc[s], 0, sizeof(c->svc[s]));
	}
	sv = &c->svc[s];
	free(sv->table);
	sv->table = table;
	sv->cfg = *sc;
	sv->state = LB_SLOT_LIVE;
	sv->nbe = 0;
	memset(sv->wrr, 0, sizeof(sv->wrr));
	for (unsigned int j = sc->first; j < sc->first + sc->n; j++)
		apply_be(c, s, &cfg->be[j], sc->check.kind != LB_CHECK_NONE);
	lb_svc_rebuild(c, sv);
}

void lb_plan_apply(struct lb_ctx *c, struct lb_plan *pl, char *sum, size_t sumlen)
{
	/* Everything not named again is removed: its flows finish, nothing new starts. */
	for (int i = 0; i < LB_SVC_SLOTS; i++)
		if (c->svc[i].state == LB_SLOT_LIVE)
			c->svc[i].state = LB_SLOT_REMOVED;
	for (int i = 0; i < LB_BE_SLOTS; i++)
		if (c->be[i].state == LB_SLOT_LIVE)
			c->be[i].state = LB_SLOT_REMOVED;
	for (unsigned int k = 0; k < pl->cfg->nsvc; k++) {
		apply_svc(c, pl->cfg, k, pl->tables[k]);
		pl->tables[k] = NULL; /* the service owns it now */
	}
	for (int i = 0; i < LB_BE_SLOTS; i++)
		if (c->be[i].state == LB_SLOT_REMOVED)
			lb_check_stop(c, &c->be[i]);
	lb_plan_free(pl);
	lb_slots_reap(c);
	lb_summary(c, sum, sumlen);
}

void lb_summary(const struct lb_ctx *c, char *buf, size_t len)
{
	unsigned int ns = 0, nb = 0;

	for (int i = 0; i < LB_SVC_SLOTS; i++)
		ns += c->svc[i].state == LB_SLOT_LIVE;
	for (int i = 0; i < LB_BE_SLOTS; i++)
		nb += c->be[i].state == LB_SLOT_LIVE;
	snprintf(buf, len, "%u service%s, %u backend%s", ns, ns == 1 ? "" : "s", nb,
		 nb == 1 ? "" : "s");
}

void lb_svc_rebuild(struct lb_ctx *c, struct lb_svc *s)
{
	struct lb_mg_in in[LB_SVC_BACKENDS_MAX];

	if (s->cfg.sched != LB_MAGLEV || !s->table)
		return;
	for (unsigned int i = 0; i < s->nbe; i++) {
		const struct lb_be *b = &c->be[s->be[i]];

		in[i].id = lb_backend_id(&b->addr, s->cfg.v6, b->port);
		in[i].weight = lb_be_eligible(b) ? b->weight : 0;
	}
	/* On -ENOMEM the table in use stays: flows keep being placed as before. */
	if (lb_maglev_build(s->table, s->cfg.table_size, in, s->nbe) == 0)
		c->rebuilds++;
}

uint16_t lb_svc_pick(struct lb_ctx *c, struct lb_svc *s, const struct pkt_meta *m)
{
	uint32_t w[LB_SVC_BACKENDS_MAX], act[LB_SVC_BACKENDS_MAX];
	int k;

	if (s->cfg.sched == LB_MAGLEV) {
		uint64_t h =
			lb_flow_hash(&m->saddr, &m->daddr, m->sport, m->dport, m->proto, c->seed);
		uint16_t pos = s->table ? s->table[h % s->cfg.table_size] : LB_MG_NONE;

		return pos == LB_MG_NONE || pos >= s->nbe ? LB_NONE : s->be[pos];
	}
	for (unsigned int i = 0; i < s->nbe; i++) {
		const struct lb_be *b = &c->be[s->be[i]];

		w[i] = lb_be_eligible(b) ? b->weight : 0;
		act[i] = b->c.active;
	}
	k = s->cfg.sched == LB_WRR ? lb_wrr_pick(w, s->wrr, s->nbe) : lb_lc_pick(w, act, s->nbe);
	return k < 0 ? LB_NONE : s->be[k];
}

struct lb_svc *lb_svc_match(struct lb_ctx *c, const struct pkt_meta *m)
{
	bool v6 = m->l3 == PKT_L3_IPV6;

	for (int i = 0; i < LB_SVC_SLOTS; i++) {
		struct lb_svc *s = &c->svc[i];

		if (s->state == LB_SLOT_LIVE && s->cfg.port == m->dport &&
		    s->cfg.proto == m->proto && s->cfg.v6 == v6 &&
		    memcmp(&s->cfg.vip, &m->daddr, sizeof(m->daddr)) == 0)
			return s;
	}
	return NULL;
}

bool lb_vip_match(struct lb_ctx *c, const struct pkt_meta *m)
{
	bool v6 = m->l3 == PKT_L3_IPV6;

	for (int i = 0; i < LB_SVC_SLOTS; i++) {
		const struct lb_svc *s = &c->svc[i];

		if (s->state == LB_SLOT_LIVE && s->cfg.proto == m->proto && s->cfg.v6 == v6 &&
		    memcmp(&s->cfg.vip, &m->daddr, sizeof(m->daddr)) == 0)
			return true;
	}
	return false;
}
