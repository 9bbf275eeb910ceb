/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel command line: `key=value` pairs separated by blanks, values quoted
 * with "..." (backslash escapes \" and \\) or '...' (literal). The line is
 * untrusted input (xl cfg, QEMU -append): every error names the key (or the
 * column when there is no key yet) and nothing is half-applied.
 * Pure logic: built into the kernel and into host tests.
 */
#ifndef SLUICE_CMDLINE_H
#define SLUICE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX 4096 /* bytes, including the NUL; longer lines are refused */
#define CMDLINE_MAX_KV 64
#define CMDLINE_KEY_MAX 48 /* bytes of a key, without the NUL */

struct cmdline_kv {
	const char *key;   /* points into the tokenized buffer */
	const char *value; /* unquoted, NUL-terminated, may be "" */
};

/*
 * Split @buf (modified in place) into pairs. Keys match
 * [A-Za-z][A-Za-z0-9_.-]* and are at most CMDLINE_KEY_MAX bytes.
 * Errors (-EINVAL, or -E2BIG for more than @max pairs) write a message such
 * as "key 'ip': unterminated quote" or "column 7: expected key=value" to
 * @err (always NUL-terminated when @errlen > 0).
 */
int cmdline_tokenize(char *buf, struct cmdline_kv *kv, unsigned int max, unsigned int *n, char *err,
		     size_t errlen);

enum cmdline_type {
	CMDLINE_STR,  /* copy into char[dst_size]; too long is an error */
	CMDLINE_U64,  /* decimal or 0x-hex, within [min, max] */
	CMDLINE_BOOL, /* 1/0, yes/no, on/off, true/false */
	CMDLINE_FUNC, /* call fn(); may repeat when .repeat is set */
};

struct cmdline_opt {
	const char *key; /* NULL terminates a table */
	enum cmdline_type type;
	void *dst;	   /* STR: char[dst_size]; U64: uint64_t *; BOOL: bool *; FUNC: unused */
	size_t dst_size;   /* STR only */
	uint64_t min, max; /* U64 only, inclusive */
	bool repeat;	   /* may appear more than once (otherwise a duplicate is an error) */
	/* CMDLINE_FUNC: return 0 or -errno and write a reason to err. */
	int (*fn)(const char *value, void *ctx, char *err, size_t errlen);
	void *ctx;
	const char *help; /* one line, for documentation and error hints */
};

/*
 * Check every pair against @tables (a NULL-terminated array of tables, e.g.
 * the kernel's and the appliance's; the first table naming a key wins), then
 * store the values. All pairs are validated before anything is stored,
 * except that CMDLINE_FUNC callbacks run in order during the store pass
 * (they must validate before acting). The callbacks run before the other
 * values are stored, so a failing callback leaves those untouched; its
 * reason is reported as "key 'k': <reason>" and its error code returned.
 * Unknown keys, duplicates, bad numbers, out-of-range values and too-long
 * strings fail with -EINVAL and a message naming the key, e.g.
 * "unknown key 'foo'" or "key 'mem': value '12x' is not a number".
 */
int cmdline_apply(const struct cmdline_kv *kv, unsigned int n,
		  const struct cmdline_opt *const *tables, char *err, size_t errlen);

/*
 * Parse an unsigned number (decimal or 0x-hex) with overflow detection.
 * Returns 0, -EINVAL (not a number) or -ERANGE (does not fit in 64 bits).
 */
int cmdline_parse_u64(const char *s, uint64_t *out);

#endif
