// SPDX-License-Identifier: BSD-2-Clause
/*
 * Values of the configuration language (lbconf_int.h): endpoints,
 * numbers, durations, paths. The text is untrusted: strict forms only,
 * canonical numbers, every byte of a word accounted for.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lbconf_int.h"
#include "sluice/inaddr.h"
#include "sluice/numparse.h"

int lb_fail(struct lb_parser *p, const struct lb_word *w, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->line;
	p->err->col = w ? w->col : 1;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool lb_word_is(const struct lb_word *w, const char *s)
{
	return strlen(s) == w->n && memcmp(w->s, s, w->n) == 0;
}

void lb_word_show(const struct lb_word *w, char *buf, size_t len)
{
	size_t n = w->n > 32 ? 32 : w->n;

	snprintf(buf, len, "%.*s%s", (int)n, w->s, w->n > n ? "..." : "");
}

int lb_error_format(const struct lb_error *e, const char *name, char *buf, size_t len)
{
	if (e->line)
		return snprintf(buf, len, "%s:%u:%u: %s", name, e->line, e->col, e->msg);
	return snprintf(buf, len, "%s: %s", name, e->msg);
}

void lb_format_ep(const struct pkt_addr *a, bool v6, uint16_t port, char *buf, size_t len)
{
	char s[INADDR6_STRLEN];

	if (v6) {
		inaddr_format6(a->b, s, sizeof(s));
		snprintf(buf, len, "[%s]:%u", s, port);
	} else {
		snprintf(buf, len, "%u.%u.%u.%u:%u", a->b[0], a->b[1], a->b[2], a->b[3], port);
	}
}

/* Digits @s..@e (exclusive) as a number in @lo..@hi; false if not. */
static bool dec_range(const char *s, const char *e, uint64_t lo, uint64_t hi, uint64_t *v)
{
	if (e <= s || num_parse_dec(s, (size_t)(e - s), 0, v) < 0)
		return false;
	return *v >= lo && *v <= hi;
}

/* The address part of an endpoint: "[v6]" or a dotted quad; *@rest after it. */
static int ep_addr(struct lb_parser *p, const struct lb_word *w, char *buf, struct pkt_addr *a,
		   bool *v6, const char **rest)
{
	const char *e;
	char show[48];

	memset(a, 0, sizeof(*a));
	*v6 = buf[0] == '[';
	if (*v6) {
		e = inaddr_parse6(buf + 1, a->b);
		if (!e || *e != ']') {
			lb_word_show(w, show, sizeof(show));
			return lb_fail(p, w, "'%s': expected [IPv6 address]:port", show);
		}
		*rest = e + 1;
		return 0;
	}
	e = inaddr_parse4(buf, a->b);
	if (!e) {
		lb_word_show(w, show, sizeof(show));
		return lb_fail(p, w, "'%s': expected IPv4 address:port or [IPv6 address]:port",
			       show);
	}
	*rest = e;
	return 0;
}

int lb_parse_ep(struct lb_parser *p, const struct lb_word *w, bool need_port, struct pkt_addr *a,
		bool *v6, uint16_t *port)
{
	char buf[64];
	const char *rest = NULL;
	uint64_t v;
	int rc;

	if (w->n >= sizeof(buf))
		return lb_fail(p, w, "address too long");
	memcpy(buf, w->s, w->n);
	buf[w->n] = '\0';
	rc = ep_addr(p, w, buf, a, v6, &rest);
	if (rc < 0)
		return rc;
	*port = 0;
	if (*rest == '\0' && !need_port)
		return 0;
	if (*rest != ':')
		return lb_fail(p, w, "expected ':PORT' after the address");
	if (!dec_range(rest + 1, buf + w->n, 1, 65535, &v))
		return lb_fail(p, w, "port must be a number from 1 to 65535");
	*port = (uint16_t)v;
	return 0;
}

int lb_parse_uint(struct lb_parser *p, const struct lb_word *w, uint32_t lo, uint32_t hi,
		  uint32_t *v)
{
	uint64_t x;

	if (!dec_range(w->s, w->s + w->n, lo, hi, &x))
		return lb_fail(p, w, "expected a number from %u to %u", lo, hi);
	*v = (uint32_t)x;
	return 0;
}

int lb_parse_ms(struct lb_parser *p, const struct lb_word *w, uint32_t max_ms, uint32_t *ms)
{
	const char *e = w->s + w->n;
	uint64_t v, mult = 1;

	/* HAProxy's time format: a bare number is milliseconds. */
	if (w->n > 2 && memcmp(e - 2, "ms", 2) == 0)
		e -= 2;
	else if (w->n > 1 && e[-1] == 's')
		e -= 1, mult = 1000;
	else if (w->n > 1 && e[-1] == 'm')
		e -= 1, mult = 60000;
	if (!dec_range(w->s, e, 1, max_ms, &v) || v * mult > max_ms)
		return lb_fail(p, w, "expected a duration from 1ms to %us (N, Nms, Ns or Nm)",
			       max_ms / 1000);
	*ms = (uint32_t)(v * mult);
	return 0;
}

int lb_parse_path(struct lb_parser *p, const struct lb_word *w, char *out)
{
	if (w->n == 0 || w->s[0] != '/')
		return lb_fail(p, w, "an HTTP check path starts with '/'");
	if (w->n >= LB_PATH_MAX)
		return lb_fail(p, w, "HTTP check path longer than %u bytes", LB_PATH_MAX - 1);
	/* Printable and blank-free was checked by the line reader; no '%' games needed. */
	memcpy(out, w->s, w->n);
	out[w->n] = '\0';
	return 0;
}
