/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of sluice-ctl, the host tool for Sluice appliances: the
 * xenstore protocol shared with the firewall appliance (ctl_proto.c, pure),
 * and the xenstore and hypervisor side (ctl_xs.c, libxenstore and
 * libxenctrl). sluice-ctl.c holds the commands.
 *
 * Everything an appliance writes to xenstore is untrusted: values are
 * parsed strictly, and text is escaped before it reaches a terminal.
 */
#ifndef SLUICE_CTL_INT_H
#define SLUICE_CTL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sluice/fwrules.h"

/* Exit statuses, as documented in the usage text. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_REJECTED 1  /* the rule file was refused (by sluice-ctl or the appliance) */
#define CTL_EXIT_USAGE 2     /* usage, unknown domain, not a Sluice firewall */
#define CTL_EXIT_NOVERDICT 3 /* no result for our generation: timeout, superseded, stopped */
#define CTL_EXIT_SYSTEM 4    /* xenstore/hypervisor unavailable, I/O error, bad appliance data */

/* Keys under /local/domain/<domid>/ (docs/firewall.md). */
#define CTL_KEY_APPLIANCE "data/sluice/appliance"
#define CTL_KEY_STATUS "data/sluice/status"
#define CTL_KEY_ACTIVE_GEN "data/sluice/active-generation"
#define CTL_KEY_RESULT "data/sluice/result"
#define CTL_KEY_ERROR "data/sluice/error"
#define CTL_KEY_STATS "data/sluice/stats"
#define CTL_KEY_CONFIG "data/sluice/config"
#define CTL_KEY_CONFIG_GEN "data/sluice/config-generation"

/* ------------------------------------------------------------ ctl_proto.c */

/*
 * The chunked-value format of xen/xs.c (xs_write_chunked/xs_read_chunked),
 * taken from the same header so that the two cannot drift: <base>/0 ..
 * <base>/N-1 hold ctl_chunk_data bytes each (the last one fewer), <base>/count
 * holds N in canonical decimal, N <= ctl_chunk_count_max.
 */
extern const size_t ctl_chunk_data;
extern const unsigned int ctl_chunk_count_max;
extern const size_t ctl_chunked_max; /* ctl_chunk_data * ctl_chunk_count_max bytes */

/* Limits the host check compiles with: the appliance's (see ctl_proto.c). */
extern const struct fw_limits ctl_fw_limits;

/* Strict canonical decimal (no sign, blanks or leading zeros), as xen/xs.c reads it. */
int ctl_parse_u64(const char *s, uint64_t *v);

/* data/sluice/result: "G ok N rules" or "G error". */
struct ctl_result {
	uint64_t gen;
	bool ok;
	uint64_t nrules; /* with ok */
};
int ctl_parse_result(const char *s, struct ctl_result *r);

/*
 * data/sluice/error: "G rules:LINE:COL: message" or "G rules: message".
 * Sets *@gen and *@where to what follows "rules" (":LINE:COL: message" or
 * ": message"), so that the caller can put the file's name in its place;
 * *@where is NULL when the text after the generation has another form.
 * *@rest is the text after "G ". -EINVAL without a generation.
 */
int ctl_parse_error(const char *s, uint64_t *gen, const char **where, const char **rest);

/*
 * Write @len bytes of untrusted text: control bytes as \xNN (but \n and \t
 * unless @oneline), other non-ASCII bytes as \xNN too, a backslash as \\.
 */
void ctl_put_escaped(FILE *f, const char *s, size_t len, bool oneline);
/* The same text as a JSON string literal, quotes included. */
void ctl_put_json(FILE *f, const char *s, size_t len);

/*
 * The appliance's counters (lines of "k=v ...", "GROUP k=v ..." or
 * "GROUP ID k=v ...") as one JSON object: top-level k=v as members, a
 * group seen once without an id as an object, other groups as arrays of
 * objects with an "id". Values that are canonical decimals become numbers.
 * Lines of another form are skipped (callers print the text as well).
 * 0 or -ENOMEM.
 */
int ctl_put_stats_json(FILE *f, const char *text, size_t len);

/* -------------------------------------------------------------- ctl_xs.c */

struct ctl;

struct ctl_dom {
	uint32_t domid;
	uint32_t flags; /* XEN_DOMINF_* */
	char *name;	/* from xenstore; NULL when it has none */
};

/* Connect to xenstore and the hypervisor. NULL after printing why. */
struct ctl *ctl_open(void);
void ctl_close(struct ctl *c);

/* Every domain, by domid. 0 or a negative errno; *@doms is freed with ctl_free_doms. */
int ctl_list_domains(struct ctl *c, struct ctl_dom **doms, size_t *n);
void ctl_free_doms(struct ctl_dom *doms, size_t n);

/*
 * A domain by name or domid into @out (free out->name). -ENOENT when there is
 * none, -ENOTUNIQ when a name is given to several domains, else a negative errno.
 */
int ctl_resolve(struct ctl *c, const char *arg, struct ctl_dom *out);

/* xl's state letters for XEN_DOMINF_* @flags: "-b----" and the like. */
void ctl_state_string(uint32_t flags, char out[7]);

/* Still there, not dying and not shut down? 1 yes, 0 no, or a negative errno. */
int ctl_domain_alive(struct ctl *c, uint32_t domid);

/*
 * /local/domain/<domid>/<key> outside any transaction: a malloc'd,
 * NUL-terminated value (free it), or NULL with errno set (ENOENT: absent).
 */
char *ctl_read(struct ctl *c, uint32_t domid, const char *key, size_t *len);

/*
 * A chunked value, read in one transaction: malloc'd and NUL-terminated.
 * 0, -ENOENT (no <key>/count), -EINVAL (a malformed count, a chunk missing),
 * or a negative errno.
 */
int ctl_read_chunked(struct ctl *c, uint32_t domid, const char *key, char **val, size_t *len);

/*
 * Push rule text: in one transaction (redone on EAGAIN), the text as chunks
 * under data/sluice/config and data/sluice/config-generation =
 * max(active-generation, config-generation) + 1, returned in *@gen.
 * *@active gets the active generation seen. 0, -E2BIG (too long for the
 * chunk format), -EPROTO (the appliance's generation keys are not numbers),
 * or a negative errno.
 */
int ctl_push(struct ctl *c, uint32_t domid, const char *text, size_t len, uint64_t *gen,
	     uint64_t *active);

/* What the appliance reports, read in one transaction. Strings are malloc'd or NULL. */
struct ctl_report {
	char *status, *result, *error, *active_gen;
};
int ctl_read_report(struct ctl *c, uint32_t domid, struct ctl_report *r);
void ctl_free_report(struct ctl_report *r);

/*
 * Wait until the appliance's result or status changes, the domain goes
 * away, or @deadline_ms (CLOCK_MONOTONIC) passes. Spurious wake-ups are
 * possible: callers re-read the state. 0 (woken), -ETIMEDOUT or a negative errno.
 */
int ctl_watch_start(struct ctl *c, uint32_t domid);
int ctl_wait(struct ctl *c, uint64_t deadline_ms);
void ctl_watch_stop(struct ctl *c);
uint64_t ctl_now_ms(void);

#endif
