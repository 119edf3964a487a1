/*
 * sqllex: the one SQL lexer of the core. It says where blanks, tokens and
 * statements begin and end in PostgreSQL text, as byte offsets (text.h
 * turns an offset into line:col); the parser (pgq.h) reads what they hold.
 *
 * It knows everything that can hide a ';' or a word from a plain scan:
 * blanks, "--" comments, nested C comments, '..' strings ('' is a quote),
 * E'..' strings (backslash escapes too), ".." identifiers ("" is a quote),
 * $tag$..$tag$ dollar quoting ($1 is a parameter, a$b one identifier).
 * Strings are standard-conforming, as in PostgreSQL's default and in
 * libpg_query. It knows no keywords, so unlike libpg_query's scanner-based
 * splitter it drops no statement that starts with an unknown word.
 *
 * Nothing fails: whatever is unterminated (a string, a comment, a dollar
 * quote) runs to the end of the text, where the parser reports it.
 * Every function reads s[i..end) only; s need not be NUL-terminated.
 */
#ifndef SCHEMAFS_SQLLEX_H
#define SCHEMAFS_SQLLEX_H

#include <stdbool.h>
#include <stddef.h>

/* Blank as PostgreSQL's scanner sees it: space, \t, \n, \r, \f, \v. */
bool sqllex_is_blank(char ch);
/* A byte that may start a word (keyword or unquoted identifier). */
bool sqllex_is_word_start(unsigned char ch);

/* The offset of the first byte at or after i that is neither blank nor in
 * a comment; end when there is none. */
size_t sqllex_skip_blank(const char *s, size_t i, size_t end);
/* The end of the token that starts at i (i < end, not blank): a word, a
 * number, a quoted string or identifier, a dollar-quoted string, a
 * parameter, else the one byte. */
size_t sqllex_token_end(const char *s, size_t i, size_t end);
/* True when s[start..end) is word, ignoring ASCII case. */
bool sqllex_word_is(const char *s, size_t start, size_t end, const char *word);

/*
 * Statement splitting: the statement that starts at *pos, up to its ';'
 * outside quotes and comments (the ';' excluded), or to end. Leading
 * blanks and comments belong to it, so offsets in its parse tree are
 * relative to *start. Moves *pos past the ';'. False when *pos >= end.
 * A piece of blanks and comments only is returned too: callers skip it
 * (sqllex_skip_blank(s, start, start + len) == start + len).
 * Every ';' splits, also inside parentheses or a BEGIN ATOMIC body, as
 * libpg_query's splitter does: an unbalanced '(' costs one statement, not
 * the rest of the file.
 */
bool sqllex_next_stmt(const char *s, size_t end, size_t *pos, size_t *start, size_t *len);

/* The byte offset of the 1-based character position pos in s[0..len)
 * (PostgreSQL's cursorpos, which counts characters); 0 for pos <= 1, len
 * when past the end. */
size_t sqllex_char_offset(const char *s, size_t len, int pos);

#endif
