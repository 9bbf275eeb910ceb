// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rule language lexer: one line at a time into tokens.
 *
 * The text is untrusted. Only printable ASCII, blanks and (inside nothing)
 * '#' comments are accepted: control bytes could hide text on a console or
 * in a log, and bytes >= 0x80 have no meaning in the language, so both are
 * refused with their column rather than passed on. Strings are the only
 * tokens echoed verbatim into logs (log prefixes) and get the same
 * treatment. Error messages echo at most ECHO_MAX bytes of a token, and
 * only tokens made of the lexer's own character classes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rules_int.h"

const struct fw_limits fw_default_limits = {
	.max_text = FW_DEFAULT_MAX_TEXT,
	.max_line = FW_DEFAULT_MAX_LINE,
	.max_lines = FW_DEFAULT_MAX_LINES,
	.max_rules = FW_DEFAULT_MAX_RULES,
	.max_sets = FW_DEFAULT_MAX_SETS,
	.max_set_elems = FW_DEFAULT_MAX_SET_ELEMS,
	.max_elems = FW_DEFAULT_MAX_ELEMS,
	.max_matches = FW_DEFAULT_MAX_MATCHES,
	.max_mem = FW_DEFAULT_MAX_MEM,
};

void fw_err_set(struct fw_error *err, unsigned int line, unsigned int col, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->line = line;
	err->col = line ? col : 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int fw_error_format(const struct fw_error *e, const char *name, char *buf, size_t len)
{
	if (e->line)
		return snprintf(buf, len, "%s:%u:%u: %s", name, e->line, e->col, e->msg);
	return snprintf(buf, len, "%s: %s", name, e->msg);
}

/* Characters of a word: keywords, numbers, addresses, prefixes, ranges, rates. */
static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
}

static bool is_name(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int bad_char(const char *line, size_t i, unsigned int lineno, struct fw_error *err)
{
	unsigned char c = (unsigned char)line[i];

	if (c > 0x20 && c < 0x7f)
		fw_err_set(err, lineno, (unsigned int)i + 1, "unexpected character '%c'", c);
	else
		fw_err_set(err, lineno, (unsigned int)i + 1, "invalid byte 0x%02x", c);
	return -EINVAL;
}

/* Length of the string token at line[i] (the opening quote), or -EINVAL. */
static int lex_string(const char *line, size_t len, size_t i, unsigned int lineno, size_t *out,
		      struct fw_error *err)
{
	size_t j = i + 1;

	for (; j < len; j++) {
		unsigned char c = (unsigned char)line[j];

		if (c == '"') {
			*out = j + 1 - i;
			return 0;
		}
		if (c == '\\') {
			if (j + 1 < len && (line[j + 1] == '"' || line[j + 1] == '\\')) {
				j++;
				continue;
			}
			fw_err_set(err, lineno, (unsigned int)j + 1,
				   "unknown escape in string (only \\\" and \\\\)");
			return -EINVAL;
		}
		if (c < 0x20 || c >= 0x7f) {
			fw_err_set(err, lineno, (unsigned int)j + 1,
				   "invalid byte 0x%02x in string (printable ASCII only)", c);
			return -EINVAL;
		}
	}
	fw_err_set(err, lineno, (unsigned int)i + 1, "unterminated string");
	return -EINVAL;
}

/* Punctuation: the token type and its length at line[i], or TK_END if none. */
static enum fw_tok_type lex_punct(const char *line, size_t len, size_t i, size_t *tl)
{
	char c = line[i], n = i + 1 < len ? line[i + 1] : '\0';

	*tl = 1;
	switch (c) {
	case '{':
		return TK_LBRACE;
	case '}':
		return TK_RBRACE;
	case ',':
		return TK_COMMA;
	case '(':
		return TK_LPAREN;
	case ')':
		return TK_RPAREN;
	case '&':
		return TK_AMP;
	case '|':
		return TK_PIPE;
	case ';':
		return TK_SEMI;
	case '!':
		*tl = n == '=' ? 2 : 1;
		return n == '=' ? TK_NE : TK_BANG;
	case '<':
		*tl = n == '=' ? 2 : 1;
		return n == '=' ? TK_LE : TK_LT;
	case '>':
		*tl = n == '=' ? 2 : 1;
		return n == '=' ? TK_GE : TK_GT;
	case '=':
		*tl = n == '=' ? 2 : 1;
		return n == '=' ? TK_EQ : TK_ASSIGN;
	}
	return TK_END;
}

/* One token at line[i] (not a blank, not '#'): its type and length. */
static int lex_one(const char *line, size_t len, size_t i, unsigned int lineno, struct fw_tok *t,
		   struct fw_error *err)
{
	size_t tl = 0;
	unsigned char c = (unsigned char)line[i];

	if (is_word(c)) {
		while (i + tl < len && is_word((unsigned char)line[i + tl]))
			tl++;
		t->type = TK_WORD;
	} else if (c == '"') {
		if (lex_string(line, len, i, lineno, &tl, err))
			return -EINVAL;
		t->type = TK_STRING;
	} else if (c == '@') {
		tl = 1;
		while (i + tl < len && is_name((unsigned char)line[i + tl]))
			tl++;
		if (tl == 1) {
			fw_err_set(err, lineno, (unsigned int)i + 1,
				   "expected a set name after '@'");
			return -EINVAL;
		}
		t->type = TK_SETREF;
	} else {
		t->type = (uint8_t)lex_punct(line, len, i, &tl);
		if (t->type == TK_END)
			return bad_char(line, i, lineno, err);
	}
	t->s = line + i;
	t->len = (uint32_t)tl;
	t->col = (uint32_t)i + 1;
	return 0;
}

int fw_lex_line(const char *line, size_t len, unsigned int lineno, struct fw_tok *toks,
		unsigned int max, unsigned int *ntok, struct fw_error *err)
{
	unsigned int n = 0;
	size_t i = 0;
	bool space = false;

	*ntok = 0;
	while (i < len) {
		char c = line[i];

		if (c == ' ' || c == '\t') {
			space = true;
			i++;
			continue;
		}
		if (c == '#')
			break;
		/* One token per byte at most, so max = len + 1 cannot overflow. */
		if (n + 1 >= max) {
			fw_err_set(err, lineno, (unsigned int)i + 1, "too many tokens on the line");
			return -E2BIG;
		}
		if (lex_one(line, len, i, lineno, &toks[n], err))
			return -EINVAL;
		toks[n].space_before = space;
		space = false;
		i += toks[n].len;
		n++;
	}
	toks[n] = (struct fw_tok){.type = TK_END, .s = line + i, .col = (uint32_t)i + 1};
	*ntok = n;
	return 0;
}

bool fw_tok_is(const struct fw_tok *t, const char *word)
{
	size_t l = strlen(word);

	return t->type == TK_WORD && t->len == l && memcmp(t->s, word, l) == 0;
}

int fw_tok_string(const struct fw_tok *t, char *out, size_t cap, size_t *outlen)
{
	size_t o = 0;

	/* The lexer checked the escapes and the closing quote. */
	for (uint32_t i = 1; i + 1 < t->len; i++) {
		char c = t->s[i];

		if (c == '\\')
			c = t->s[++i];
		if (o + 1 >= cap)
			return -E2BIG;
		out[o++] = c;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}
