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
#include "sluice/hostkeys.h"

/* Exit statuses, as documented in the usage text. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_REJECTED 1  /* the rule file was refused (by sluice-ctl or the appliance) */
#define CTL_EXIT_USAGE 2     /* usage, unknown domain, not a Sluice firewall */
#define CTL_EXIT_NOVERDICT 3 /* no result for our generation: timeout, superseded, stopped */
#define CTL_EXIT_SYSTEM 4    /* xenstore/hypervisor unavailable, I/O error, bad appliance data */

/* The host-channel keys (docs/hostcfg.md), relative to the appliance's directory. */
#define CTL_KEY_APPLIANCE HK_APPLIANCE
#define CTL_KEY_STATUS HK_STATUS
#define CTL_KEY_ACTIVE_GEN HK_ACTIVE_GEN
#define CTL_KEY_RESULT HK_RESULT
#define CTL_KEY_ERROR HK_ERROR
#define CTL_KEY_STATS HK_STATS
#define CTL_KEY_CONFIG HK_CONFIG
#define CTL_KEY_CONFIG_GEN HK_CONFIG_GEN

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

/* result: "G ok SUMMARY" (the firewall's: "N rules") or "G error". */
struct ctl_result {
	uint64_t gen;
	bool ok;
	const char *summary; /* with ok: points into the parsed string */
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

/* ------------------------------------------------------- ctl_validate.c */

/*
 * A kind of appliance that takes a configuration through push, and its
 * parser: 0 with a summary ("3 rules"), or CTL_EXIT_REJECTED after
 * printing FILE:LINE:COL: message.
 */
struct ctl_validator {
	const char *kind;
	int (*check)(const char *path, const char *text, size_t len, char *summary, size_t slen);
	/*
	 * NULL: push sends the file as it is. Otherwise the value to push
	 * instead (malloc'd; it may hold keys: zero it before freeing), or an
	 * exit status after saying why.
	 */
	int (*pack)(const char *path, const char *text, size_t len, char **val, size_t *vlen);
};
const struct ctl_validator *ctl_validator(const char *kind);
/* "firewall" or "a, b or c": the kinds push knows. */
void ctl_put_validator_kinds(FILE *f);

/* ------------------------------------------------------------ ctl_tls.c */

/*
 * The TLS terminator: its configuration file with the appliance's parser,
 * and the certificates, keys and CA bundles it names (relative to its
 * directory) with the appliance's certificate store.
 */
int ctl_tls_check(const char *path, const char *text, size_t len, char *summary, size_t slen);
/* The pushed value: base64 of a ustar archive of tls.cfg and those files. */
int ctl_tls_pack(const char *path, const char *text, size_t len, char **val, size_t *vlen);

/* ------------------------------------------------------------ targets */

/*
 * One appliance to talk to: a Xen domain (ctl_xs.c: xenstore under
 * /local/domain/<domid>/data/sluice/) or a QEMU appliance's control socket
 * (ctl_sock.c: the protocol of docs/hostcfg.md). The same key space and
 * the same transactions behind both, so every command is written once
 * (ctl_app.c) over these operations.
 */
struct ctl_target;

struct ctl_kv_ops {
	/* A malloc'd, NUL-terminated value, or NULL with errno set (ENOENT: absent). */
	char *(*read)(struct ctl_target *t, uint32_t tx, const char *key, size_t *len);
	int (*write)(struct ctl_target *t, uint32_t tx, const char *key, const void *val,
		     size_t len);
	/* The key and its subtree; absent is not an error. */
	int (*rm)(struct ctl_target *t, uint32_t tx, const char *key);
	int (*tx_start)(struct ctl_target *t, uint32_t *tx);
	/* 0, -EAGAIN (another writer raced us: redo it) or a negative errno. */
	int (*tx_end)(struct ctl_target *t, uint32_t tx, bool commit);
	/* Watch the appliance's result and status (and its going away). */
	int (*watch_start)(struct ctl_target *t);
	/* Sleep until a watch fires or @deadline_ms; spurious wake-ups happen. */
	int (*wait)(struct ctl_target *t, uint64_t deadline_ms);
	void (*watch_stop)(struct ctl_target *t);
	/* Still there and not shutting down? 1, 0, or a negative errno. */
	int (*alive)(struct ctl_target *t);
	void (*close)(struct ctl_target *t);
};

struct ctl_target {
	const struct ctl_kv_ops *ops;
	bool is_socket;
	uint32_t domid; /* Xen */
	uint32_t flags; /* Xen: XEN_DOMINF_* */
	char *name;	/* Xen: the domain's name (NULL when it has none); socket: its path */
	void *priv;
};

/* 'NAME' (domid N) or socket 'PATH', escaped, for messages. */
void ctl_put_target(FILE *f, const struct ctl_target *t);
void ctl_target_close(struct ctl_target *t);

/* ------------------------------------------------------------ ctl_app.c */

uint64_t ctl_now_ms(void);
/* Short growing pause after EAGAIN, so that a busy writer gets to finish. */
void ctl_backoff(int attempt);

char *ctl_read(struct ctl_target *t, const char *key, size_t *len);

/*
 * A chunked value, read in one transaction: malloc'd and NUL-terminated.
 * 0, -ENOENT (no <key>/count), -EINVAL (a malformed count, a chunk missing),
 * or a negative errno.
 */
int ctl_read_chunked(struct ctl_target *t, const char *key, char **val, size_t *len);

/*
 * Push a configuration: in one transaction (redone on EAGAIN), the text as
 * chunks under config and config-generation = max(active-generation,
 * config-generation) + 1, returned in *@gen. *@active gets the active
 * generation seen. 0, -E2BIG (too long for the chunk format), -EPROTO (the
 * appliance's generation keys are not numbers), or a negative errno.
 */
int ctl_push(struct ctl_target *t, const char *text, size_t len, uint64_t *gen, uint64_t *active);

/* What the appliance reports, read in one transaction. Strings are malloc'd or NULL. */
struct ctl_report {
	char *appliance, *status, *result, *error, *active_gen;
};
int ctl_read_report(struct ctl_target *t, struct ctl_report *r);
void ctl_free_report(struct ctl_report *r);

/* ------------------------------------------------------------- ctl_xs.c */

struct ctl;

/* Connect to xenstore and the hypervisor. NULL after printing why (unless @quiet). */
struct ctl *ctl_open(bool quiet);
void ctl_close(struct ctl *c);

/* Every domain, by domid, as targets (not yet usable: see ctl_xen_target). */
int ctl_list_domains(struct ctl *c, struct ctl_target **doms, size_t *n);
void ctl_free_doms(struct ctl_target *doms, size_t n);

/*
 * A domain by name or domid into @out, ready to use. -ENOENT when there is
 * none, -ENOTUNIQ when a name is given to several domains, else a negative
 * errno. Close it with ctl_target_close (before ctl_close).
 */
int ctl_resolve(struct ctl *c, const char *arg, struct ctl_target *out);
/* Make a listed domain usable. */
void ctl_xen_target(struct ctl *c, struct ctl_target *t);

/* xl's state letters for XEN_DOMINF_* @flags: "-b----" and the like. */
void ctl_state_string(uint32_t flags, char out[7]);

/* ----------------------------------------------------------- ctl_sock.c */

/*
 * Connect to a control socket (QEMU -chardev socket,server=on ... name=
 * org.sluice.ctl.0) and check that an appliance answers. 0, or a negative
 * errno after printing why. Close it with ctl_target_close.
 */
int ctl_sock_target(const char *path, struct ctl_target *out, bool quiet);

#endif
