/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the firewall rule compiler and classifier, shared by the
 * rules_*.c, set.c, lpm.c and classify*.c files and by their unit tests.
 *
 * Pipeline: rules_lex.c splits a line into tokens; rules_parse.c (lines,
 * rules, statements), rules_match.c (matches, sets), rules_flags.c (ct
 * state, tcp flags) and rules_values.c (numbers, names, addresses) turn
 * lines into the intermediate representation below (struct fw_ir, in
 * budgeted temporary memory, rules_mem.c); rules_compile.c, set.c, lpm.c
 * and classify_index.c build the immutable ruleset in an arena; classify.c
 * runs packets.
 */
#ifndef FW_RULES_INT_H
#define FW_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/fwrules.h"
#include "sluice/nf/pktmeta.h"

#define FW_NOKEY UINT32_MAX  /* empty hash slot / "no value" */
#define FW_SET_NAME_MAX 32   /* bytes of a set name */
#define FW_LOG_PREFIX_MAX 64 /* bytes of a log prefix */
#define FW_INDEX_KEYS_MAX 16 /* a match with more keys is not used as an index anchor */
#define FW_MAX_IFINDEX 255   /* interfaces net0..net255 */
#define FW_LIMIT_BURST_MAX 1000000u
#define FW_LIMIT_RATE_MAX 1000000000u

/* ------------------------------------------------------------------ memory */

/*
 * Every allocation of a compile, temporary or kept, is counted against
 * fw_limits.max_mem: the budget, not the heap, is what a hostile file hits.
 */
struct fw_mem {
	size_t used, max;
};

void *fw_mem_alloc(struct fw_mem *m, size_t size);		      /* zeroed; NULL over budget */
void *fw_mem_grow(struct fw_mem *m, void *p, size_t old, size_t new); /* NULL: p untouched */
void fw_mem_free(struct fw_mem *m, void *p, size_t size);

/* Growable array of fixed-size elements. */
struct fw_vec {
	void *data;
	uint32_t n, cap, esize;
};

void fw_vec_init(struct fw_vec *v, size_t esize);
void *fw_vec_push(struct fw_mem *m, struct fw_vec *v);			/* zeroed slot, or NULL */
int fw_vec_reserve(struct fw_mem *m, struct fw_vec *v, uint32_t extra); /* 0 or -ENOMEM */
void fw_vec_free(struct fw_mem *m, struct fw_vec *v);
#define FW_VEC_AT(v, type, i) (&((type *)(v)->data)[i])

/* Bump allocator over a chain of chunks; the ruleset frees the chain. */
struct fw_chunk {
	struct fw_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct fw_arena {
	struct fw_chunk *head;
	struct fw_mem *mem;
	size_t bytes; /* allocated from the heap, headers included */
};

void *fw_arena_alloc(struct fw_arena *a, size_t size); /* zeroed, 16-aligned, or NULL */
void fw_chunks_free(struct fw_chunk *c);

/* ------------------------------------------------------------------ lexer */

enum fw_tok_type {
	TK_END,
	TK_WORD,   /* [A-Za-z0-9_.:/-]+ : keywords, numbers, addresses, ranges, rates */
	TK_STRING, /* "..." (s/len include the quotes) */
	TK_SETREF, /* @name (s/len include the @) */
	TK_LBRACE,
	TK_RBRACE,
	TK_COMMA,
	TK_EQ, /* == */
	TK_NE, /* != */
	TK_LT,
	TK_GT,
	TK_LE,
	TK_GE,
	TK_BANG,
	TK_AMP,
	TK_PIPE,
	TK_LPAREN,
	TK_RPAREN,
	/* Not in the language: lexed so that nftables habits get a clear message. */
	TK_SEMI,
	TK_ASSIGN,
};

struct fw_tok {
	uint8_t type;
	bool space_before; /* blank(s) between this token and the previous one */
	uint32_t len;
	uint32_t col; /* 1-based */
	const char *s;
};

/* Set an error at @line:@col (the message is formatted like printf). */
void fw_err_set(struct fw_error *err, unsigned int line, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Tokenize one line (without its newline) into @toks (room for @max, the
 * last is always TK_END). A line has at most as many tokens as bytes, so
 * max = line length + 1 always suffices. 0 or -EINVAL with @err set.
 */
int fw_lex_line(const char *line, size_t len, unsigned int lineno, struct fw_tok *toks,
		unsigned int max, unsigned int *ntok, struct fw_error *err);
bool fw_tok_is(const struct fw_tok *t, const char *word);
/* Decode a TK_STRING into @out (NUL-terminated); -E2BIG if longer than @cap - 1. */
int fw_tok_string(const struct fw_tok *t, char *out, size_t cap, size_t *outlen);

/* ------------------------------------------------------ intermediate form */

enum fw_field {
	FWF_IIF,
	FWF_OIF,
	FWF_ETHERTYPE,
	FWF_VLAN,
	FWF_L4PROTO,	 /* IPv4 protocol or IPv6 next header */
	FWF_IP_PROTO,	 /* IPv4 only */
	FWF_IP6_NEXTHDR, /* IPv6 only */
	FWF_SPORT,	 /* with proto: 6, 17, 132, or 0 for any port-carrying protocol */
	FWF_DPORT,
	FWF_ICMP_TYPE,
	FWF_ICMP6_TYPE,
	FWF_TCP_FLAGS,
	FWF_CT_STATE,
	FWF_SADDR4,
	FWF_DADDR4,
	FWF_SADDR6,
	FWF_DADDR6,
	FWF_COUNT
};

static inline bool fw_field_is_addr(unsigned int f)
{
	return f >= FWF_SADDR4 && f <= FWF_DADDR6;
}

/* Fields whose values fit in a byte: sets of them compile to a 256-bit bitmap. */
static inline bool fw_field_is_u8(unsigned int f)
{
	return f == FWF_L4PROTO || f == FWF_IP_PROTO || f == FWF_IP6_NEXTHDR ||
	       f == FWF_ICMP_TYPE || f == FWF_ICMP6_TYPE;
}

enum fw_mkind {
	FWM_RANGE,  /* lo <= value <= hi */
	FWM_PREFIX, /* address within addr/plen */
	FWM_SET,    /* IR: set index in lo. Compiled: a scalar, bitmap or address set */
	FWM_FLAGS,  /* (value & lo) == hi */
	FWM_MASK,   /* (value & lo) != 0 */
	FWM_BITMAP, /* compiled u8 set */
	FWM_SSET,   /* compiled scalar set */
	FWM_ASET,   /* compiled address set */
};

struct ir_match {
	uint8_t field, kind, proto, plen;
	bool neg;
	uint32_t col;
	uint32_t lo, hi;
	struct pkt_addr addr;
};

enum ir_settype { IRS_NONE, IRS_PORT, IRS_ADDR, IRS_IFACE, IRS_SCALAR };

struct ir_set {
	char name[FW_SET_NAME_MAX + 1]; /* "" for an anonymous set */
	uint8_t type;			/* enum ir_settype */
	uint32_t first, n;		/* elements */
	uint32_t line, col;
};

/* A set element: a scalar range, or an address prefix (fam 4 or 6). */
struct ir_elem {
	uint8_t fam, plen;
	uint32_t lo, hi;
	struct pkt_addr addr;
};

#define FWR_TERMINAL 0x01
#define FWR_LOG 0x02
#define FWR_COUNTER 0x04
#define FWR_LIMIT 0x08
#define FWR_LIMIT_OVER 0x10

struct ir_rule {
	uint32_t first, n; /* matches */
	uint32_t line;
	uint32_t text_off, text_len; /* normalised text in ir->strs */
	uint32_t log_off, log_len;   /* log prefix in ir->strs */
	uint8_t flags;		     /* FWR_* */
	struct fw_verdict verdict;
	uint64_t lim_rate, lim_period_ns, lim_burst;
};

struct fw_ir {
	struct fw_vec rules, matches, sets, elems, strs;
	int policy; /* -1 until a policy line is seen */
	uint32_t policy_line;
};

int fw_parse(const char *text, size_t len, const struct fw_limits *lim, struct fw_mem *mem,
	     struct fw_ir *ir, struct fw_error *err);
void fw_ir_free(struct fw_mem *mem, struct fw_ir *ir);

/* Parser state shared by rules_parse.c (lines, rules) and rules_match.c (matches, sets). */
struct fw_parser {
	const struct fw_limits *lim;
	struct fw_mem *mem;
	struct fw_ir *ir;
	struct fw_error *err;
	unsigned int line;
	struct fw_tok *toks;
	unsigned int ntok, pos, tokmax;
	uint32_t nelems;  /* elements of all sets so far */
	uint32_t nnamed;  /* named sets so far */
	uint32_t *setmap; /* named sets by name: open addressing over set indices */
	uint32_t setmap_mask;
	/* The rule being parsed: its family and protocol, for conflicts. */
	uint32_t rule;
	uint8_t fam, proto;
	const struct fw_tok *fam_tok, *proto_tok;
};

static inline const struct fw_tok *fw_cur(const struct fw_parser *p)
{
	return &p->toks[p->pos];
}

/* Consume and return the current token (TK_END stays put). */
static inline const struct fw_tok *fw_next(struct fw_parser *p)
{
	const struct fw_tok *t = &p->toks[p->pos];

	if (t->type != TK_END)
		p->pos++;
	return t;
}

int fw_err_nomem(struct fw_parser *p);
/* "expected WHAT, got 'x'" (or "... at the end of the line") at @t; returns -EINVAL. */
int fw_err_expected(struct fw_parser *p, const struct fw_tok *t, const char *what);
int fw_parse_ct(struct fw_parser *p, struct ir_match *m);
int fw_parse_tcp_flags(struct fw_parser *p, struct ir_match *m);
int fw_parse_match(struct fw_parser *p, const struct fw_tok *kw);
int fw_parse_set(struct fw_parser *p);
int fw_note_proto(struct fw_parser *p, uint8_t proto, const struct fw_tok *t);
int fw_note_family(struct fw_parser *p, uint8_t fam, const struct fw_tok *t);

/* ------------------------------------------------- values (rules_values.c) */

/* What a value in the text denotes; selects its parser and its messages. */
enum fw_vtype {
	VT_PORT,
	VT_VLAN,
	VT_ETHERTYPE,
	VT_IFACE,
	VT_PROTO,
	VT_ICMP,
	VT_ICMP6,
	VT_CT,
	VT_ADDR4,
	VT_ADDR6,
};

struct fw_name {
	const char *name; /* NULL ends a table */
	uint32_t value;
};

extern const struct fw_name fw_tcp_flags[];

/* Echo at most this many bytes of a token in a message. */
#define FW_ECHO_MAX 48
#define FW_ECHO(t) (int)((t)->len < FW_ECHO_MAX ? (t)->len : FW_ECHO_MAX), (t)->s

/* 0; -EINVAL (not a number); -ERANGE (above @max). Decimal, or 0x-hex if @hex_ok. */
int fw_parse_u32(const char *s, size_t len, bool hex_ok, uint32_t max, uint32_t *out);
int fw_lookup_name(const struct fw_name *tab, const char *s, size_t len, uint32_t *out);
/* A scalar value or numeric range of type @vt (not an address). 0 or -EINVAL with @err. */
int fw_parse_scalar(const struct fw_tok *t, unsigned int vt, unsigned int line, uint32_t *lo,
		    uint32_t *hi, struct fw_error *err);
/* An address with optional /len into e->addr/plen/fam. 0 or -EINVAL with @err. */
int fw_parse_prefix(const struct fw_tok *t, unsigned int line, struct ir_elem *e,
		    struct fw_error *err);
/* `reject with KIND type CODE` code names; kind is FW_REJECT_ICMP/ICMPV6/ICMPX. */
int fw_reject_code(const struct fw_tok *t, unsigned int kind, uint32_t *code);
/* What kind of named-set element @t looks like (enum ir_settype), IRS_NONE if none. */
unsigned int fw_guess_elem(const struct fw_tok *t);
/* Human name of a value type, for messages ("port", "ICMP type", ...). */
const char *fw_vtype_name(unsigned int vt);
uint32_t fw_vtype_max(unsigned int vt);

/* ---------------------------------------------------------- compiled form */

struct fw_u32map {
	uint32_t mask;	/* capacity - 1; capacity 0 means empty (keys NULL) */
	uint32_t *keys; /* FW_NOKEY: empty slot */
	uint32_t *vals; /* may be NULL for a plain set */
};

struct fw_addrmap {
	uint32_t mask;
	struct pkt_addr *keys;
	uint32_t *vals; /* FW_NOKEY: empty slot */
};

struct lpm_node {
	uint64_t internal; /* prefixes ending in this node (2^6 - 1 positions) */
	uint64_t external; /* children (2^6) */
	uint32_t child, result;
};

struct fw_lpm {
	const struct lpm_node *nodes; /* nodes[0] is the root; NULL if empty */
	const uint32_t *results;
	uint32_t nnodes;
	uint32_t width; /* 32 or 128 */
};

struct lpm_prefix {
	struct pkt_addr addr;
	uint32_t value;
	uint8_t len;
};

struct fw_sset {
	struct fw_u32map singles;
	uint32_t nranges;
	const uint32_t (*ranges)[2]; /* sorted, disjoint */
};

struct fw_aset {
	struct fw_addrmap exact[2]; /* [0] IPv4, [1] IPv6 full-length addresses */
	struct fw_lpm lpm[2];	    /* shorter prefixes */
};

uint32_t fw_hash32(uint32_t x);
uint32_t fw_hash_addr(const struct pkt_addr *a);
int fw_u32map_build(struct fw_arena *a, struct fw_u32map *h, const uint32_t *keys,
		    const uint32_t *vals, uint32_t n);
bool fw_u32map_get(const struct fw_u32map *h, uint32_t key, uint32_t *val);
int fw_addrmap_build(struct fw_arena *a, struct fw_addrmap *h, const struct pkt_addr *keys,
		     const uint32_t *vals, uint32_t n);
bool fw_addrmap_get(const struct fw_addrmap *h, const struct pkt_addr *key, uint32_t *val);
int fw_sset_build(struct fw_arena *a, struct fw_sset *s, const struct ir_elem *e, uint32_t n);
bool fw_sset_has(const struct fw_sset *s, uint32_t v);
int fw_aset_build(struct fw_arena *a, struct fw_aset *s, const struct ir_elem *e, uint32_t n);
bool fw_aset_has(const struct fw_aset *s, const struct pkt_addr *addr, bool v6);

/* Sorts and de-duplicates @p in place (the lowest value wins); @p is scratch. */
int fw_lpm_build(struct fw_arena *a, struct fw_lpm *t, struct lpm_prefix *p, uint32_t n,
		 unsigned int width);
bool fw_lpm_lookup(const struct fw_lpm *t, const struct pkt_addr *addr, uint32_t *value);
/* Values of every prefix containing @addr (shortest first), at most @max. */
unsigned int fw_lpm_collect(const struct fw_lpm *t, const struct pkt_addr *addr, uint32_t *out,
			    unsigned int max);
void fw_addr_mask(struct pkt_addr *a, unsigned int plen);
bool fw_addr_in(const struct pkt_addr *a, const struct pkt_addr *net, unsigned int plen);

struct fw_match {
	uint8_t field, kind, proto, plen;
	bool neg;
	uint32_t lo, hi;
	union {
		const struct fw_sset *sset;
		const struct fw_aset *aset;
		const uint64_t *bitmap;
		struct pkt_addr addr;
	} u;
};

struct fw_rule {
	uint32_t first, n; /* matches */
	uint32_t line;
	uint8_t flags; /* FWR_* */
	struct fw_verdict verdict;
	const char *text;
	const char *log_prefix;
	/* Token bucket: credit grows by lim_rate per ns, a packet costs lim_cost. */
	uint64_t lim_rate, lim_cost, lim_max;
};

struct fw_rule_state {
	uint64_t packets, bytes;
	uint64_t credit, last_ns;
};

struct fw_list {
	uint32_t off, n; /* rule indices in fw_index.cand, ascending */
};

/*
 * Each rule sits in exactly one place: under the key of its anchor match
 * (a destination or source port, address or prefix) or in the fallback
 * list. A packet gathers the lists under its own keys and merges them.
 */
struct fw_index {
	struct fw_u32map port[2];      /* [0] sport, [1] dport -> list */
	struct fw_addrmap exact[2][2]; /* [saddr, daddr][v4, v6] -> list */
	struct fw_lpm lpm[2][2];       /* same, for prefixes */
	const struct fw_list *lists;
	const uint32_t *cand;
	struct fw_list fallback;
	uint32_t max_lists; /* most lists one packet can gather */
};

struct fw_cursor {
	const uint32_t *p, *end;
};

struct fw_ruleset {
	struct fw_chunk *chunks; /* the arena holding everything but state */
	size_t bytes;
	uint32_t nrules;
	const struct fw_rule *rules;
	const struct fw_match *matches;
	struct fw_verdict policy;
	uint32_t policy_line;
	struct fw_index idx;
	/* Mutable, one allocation: nrules + 1 states (the last is the policy's), then scratch. */
	struct fw_rule_state *state;
	struct fw_cursor *heap;
	uint32_t *lpmbuf;
	size_t state_bytes;
};

/* Match @m against @r; does not touch state. */
bool fw_rule_matches(const struct fw_ruleset *rs, const struct fw_rule *r, const struct pkt_meta *m,
		     uint32_t oif, uint8_t ct_state);
/* Build rs->idx from the rules' IR; 0 or -ENOMEM. */
int fw_index_build(struct fw_arena *a, struct fw_ruleset *rs, const struct fw_ir *ir);

/* Most lists one packet gathers: 2 ports + per direction 1 exact + 127 prefix lengths + fallback.
 */
#define FW_MAX_LISTS (2 + 2 * (1 + 127) + 1)

#endif
