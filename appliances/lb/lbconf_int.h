/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the configuration parser (lbconf.c: lines and statements,
 * lbconf_val.c: values). A line is cut into words; every message points
 * at the word it is about.
 */
#ifndef SLUICE_LBCONF_INT_H
#define SLUICE_LBCONF_INT_H

#include <stdarg.h>

#include "lbcore.h"

#define LB_WORDS_MAX 24

struct lb_word {
	const char *s;
	size_t n;
	unsigned int col;
};

struct lb_parser {
	struct lb_config *c;
	struct lb_error *err;
	unsigned int line;
	struct lb_word w[LB_WORDS_MAX];
	unsigned int nw;
	struct lb_service_cfg *svc; /* the service statements now apply to, or NULL */
	unsigned int svc_col;	    /* column of the service's address (late errors) */
	bool check_set, method_set, sched_set, size_set, down_set;
	uint32_t table_total;
};

/* Set the error at word @w (NULL: column 1) and return -EINVAL. */
int lb_fail(struct lb_parser *p, const struct lb_word *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool lb_word_is(const struct lb_word *w, const char *s);
/* Up to 32 bytes of @w, for messages (the text was checked to be printable). */
void lb_word_show(const struct lb_word *w, char *buf, size_t len);

/* ADDR:PORT or [ADDR6]:PORT; @need_port false lets ":PORT" be left out (*port 0). */
int lb_parse_ep(struct lb_parser *p, const struct lb_word *w, bool need_port, struct pkt_addr *a,
		bool *v6, uint16_t *port);
/* A decimal in @lo..@hi. */
int lb_parse_uint(struct lb_parser *p, const struct lb_word *w, uint32_t lo, uint32_t hi,
		  uint32_t *v);
/* A duration: N (milliseconds), Nms, Ns or Nm, in 1 ms .. @max_ms. */
int lb_parse_ms(struct lb_parser *p, const struct lb_word *w, uint32_t max_ms, uint32_t *ms);
/* An HTTP check path: '/' then printable bytes, no blank. */
int lb_parse_path(struct lb_parser *p, const struct lb_word *w, char *out);

#endif
