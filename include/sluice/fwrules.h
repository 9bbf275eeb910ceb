/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Firewall rules: an nftables-like language (docs/firewall-rules.md), its
 * compiler and the packet classifier.
 *
 * Rule text is untrusted (it comes from operators and from xenstore): the
 * compiler bounds every size (struct fw_limits), counts every byte it
 * allocates against a memory budget, never recurses on input structure, and
 * reports the first error with its line and column.
 *
 * A compiled ruleset is immutable except for its per-rule state (counters,
 * limit token buckets), which lives in a separate array owned by the
 * ruleset. The appliance compiles a new ruleset to the side, optionally
 * carries the state over from the live one (fw_ruleset_carry_state), and
 * swaps the pointer between packet batches; nothing is ever edited in place.
 * Classification is single-threaded per ruleset (no atomics).
 *
 * Pure logic: built into the kernel and into host tests and tools
 * (sluice-ctl validates rule files with the same parser).
 */
#ifndef SLUICE_FWRULES_H
#define SLUICE_FWRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pktmeta.h"

/*
 * Connection-tracking state handed to fw_classify(): one bit per packet.
 * Same values as nftables' ct state bits, so that `ct state` sets are masks.
 */
#define FW_CT_INVALID 0x01
#define FW_CT_ESTABLISHED 0x02
#define FW_CT_RELATED 0x04
#define FW_CT_NEW 0x08
#define FW_CT_UNTRACKED 0x40

/* fw_classify_ex() @oif when the output interface is not known: oif matches fail. */
#define FW_IF_NONE UINT32_MAX
/* fw_verdict.rule when no rule decided and the policy applied. */
#define FW_RULE_POLICY UINT32_MAX

enum fw_action { FW_ACCEPT, FW_DROP, FW_REJECT };

enum fw_reject {
	FW_REJECT_AUTO, /* TCP: RST; other IPv4: ICMP port-unreachable; IPv6: ICMPv6 port-unr. */
	FW_REJECT_TCP_RESET, /* `reject with tcp reset` (the rule only matches TCP) */
	FW_REJECT_ICMP,	     /* `reject with icmp type X`: ICMP code in .code */
	FW_REJECT_ICMPV6,    /* `reject with icmpv6 type X`: ICMPv6 code in .code */
	FW_REJECT_ICMPX,     /* `reject with icmpx type X`: enum fw_icmpx in .code */
};

/* Family-independent reject codes (nftables' NFT_REJECT_ICMPX_* values). */
enum fw_icmpx {
	FW_ICMPX_NO_ROUTE,
	FW_ICMPX_PORT_UNREACH,
	FW_ICMPX_HOST_UNREACH,
	FW_ICMPX_ADMIN_PROHIBITED,
};

/* What to do with a packet. Immutable, owned by the ruleset. */
struct fw_verdict {
	uint8_t action; /* enum fw_action */
	uint8_t reject; /* enum fw_reject, meaningful with FW_REJECT */
	uint8_t code;	/* see enum fw_reject */
	bool log;	/* the deciding rule has a `log` statement (see fw_classify_ex) */
	uint32_t rule;	/* index of the deciding rule, or FW_RULE_POLICY */
};

/* The first error found. */
struct fw_error {
	unsigned int line; /* 1-based; 0 when not about a place in the text (memory) */
	unsigned int col;  /* 1-based byte column (a tab counts as one); 0 with line 0 */
	char msg[160];
};

/*
 * "NAME:LINE:COL: MSG" (or "NAME: MSG" when line is 0) into @buf, always
 * NUL-terminated when @len > 0. Returns what snprintf returns.
 */
int fw_error_format(const struct fw_error *e, const char *name, char *buf, size_t len);

/* Every size a rule file can drive. Exceeding one is a clean error. */
struct fw_limits {
	size_t max_text;	    /* bytes of rule text */
	unsigned int max_line;	    /* bytes in one line, without its newline */
	unsigned int max_lines;	    /* lines in the file */
	unsigned int max_rules;	    /* rules (not counting policy and set lines) */
	unsigned int max_sets;	    /* named sets */
	unsigned int max_set_elems; /* elements of one set, named or anonymous */
	unsigned int max_elems;	    /* elements of all sets together */
	unsigned int max_matches;   /* matches in one rule */
	size_t max_mem;		    /* bytes allocated while compiling, result included */
};

#define FW_DEFAULT_MAX_TEXT (8u << 20)
#define FW_DEFAULT_MAX_LINE 4096u
#define FW_DEFAULT_MAX_LINES (1u << 20)
#define FW_DEFAULT_MAX_RULES 65536u
#define FW_DEFAULT_MAX_SETS 4096u
#define FW_DEFAULT_MAX_SET_ELEMS 65536u
#define FW_DEFAULT_MAX_ELEMS 262144u
#define FW_DEFAULT_MAX_MATCHES 32u
#define FW_DEFAULT_MAX_MEM (64u << 20)

extern const struct fw_limits fw_default_limits;

struct fw_ruleset;

/*
 * Compile @len bytes of rule text (need not be NUL-terminated) into a new
 * ruleset. Returns 0 and sets *@out, or fails with *@out NULL and @err
 * filled: -EINVAL (the text is wrong), -E2BIG (a limit was exceeded),
 * -ENOMEM (the memory budget or the heap ran out).
 */
int fw_compile(const char *text, size_t len, struct fw_ruleset **out, struct fw_error *err);
int fw_compile_limits(const char *text, size_t len, const struct fw_limits *lim,
		      struct fw_ruleset **out, struct fw_error *err);

/* Free a ruleset (NULL is fine). It must no longer be in use. */
void fw_ruleset_free(struct fw_ruleset *rs);

/* Up to FW_LOG_MAX rules per packet whose `log` fired, for the appliance to print. */
#define FW_LOG_MAX 8
struct fw_logs {
	unsigned int n;		   /* entries in rule[] */
	unsigned int missed;	   /* further log statements that fired */
	uint32_t rule[FW_LOG_MAX]; /* in rule order; the deciding rule's is last */
};

/*
 * Classify one packet. @ct_state is one FW_CT_* bit (0: unknown, which no
 * `ct state` match accepts). @now_ns is a monotonic clock for `limit`.
 * Returns the verdict of the first rule with a verdict that matches, or the
 * policy's; never NULL. Updates the packet and byte (frame_len) counters of
 * every rule that matched (statement-only rules included) and of the policy,
 * and the token buckets of the `limit` statements evaluated.
 */
const struct fw_verdict *fw_classify(const struct fw_ruleset *rs, const struct pkt_meta *m,
				     uint8_t ct_state, uint64_t now_ns);
/*
 * The same with the output interface (FW_IF_NONE if unknown) and, when
 * @logs is not NULL, the rules whose `log` fired (logs->n is reset first).
 */
const struct fw_verdict *fw_classify_ex(const struct fw_ruleset *rs, const struct pkt_meta *m,
					uint32_t oif, uint8_t ct_state, uint64_t now_ns,
					struct fw_logs *logs);

/*
 * Carry counters and limit buckets from @from (the live ruleset) to @to (a
 * freshly compiled one) for every rule whose text is the same: the text with
 * comments dropped and blank runs squeezed to one space; the k-th rule with
 * a given text takes the state of the k-th rule with that text in @from.
 * The policy's counters carry over too. Named sets are not part of a rule's
 * text: a rule keeps its counters when only a set it uses changed. Call it
 * between packet batches, right before swapping. 0, or -ENOMEM (then @to's
 * state is partly carried, which is harmless).
 */
int fw_ruleset_carry_state(struct fw_ruleset *to, const struct fw_ruleset *from);

/* What the appliance shows for a rule (or for FW_RULE_POLICY). */
struct fw_rule_info {
	const char *text;	/* normalised rule text ("policy drop" for the policy) */
	unsigned int line;	/* line in the source text */
	const char *log_prefix; /* NULL without a `log` statement; "" without a prefix */
	bool terminal;		/* the rule has a verdict */
	uint64_t packets, bytes;
};

unsigned int fw_ruleset_nrules(const struct fw_ruleset *rs);
/* 0, or -ENOENT for an index out of range. */
int fw_rule_info(const struct fw_ruleset *rs, uint32_t rule, struct fw_rule_info *out);
/* Bytes of memory the ruleset holds. */
size_t fw_ruleset_memory(const struct fw_ruleset *rs);

#endif
