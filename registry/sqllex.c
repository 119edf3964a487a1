#include "sqllex.h"

#include <string.h>
#include <strings.h>

bool sqllex_is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

bool sqllex_is_word_start(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch >= 0x80;
}

static bool is_word_char(unsigned char ch)
{
	return sqllex_is_word_start(ch) || (ch >= '0' && ch <= '9') || ch == '$';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* The end of the C comment opening at i; PostgreSQL's comments nest. */
static size_t comment_end(const char *s, size_t i, size_t end)
{
	size_t depth = 0;
	while (i < end) {
		if (s[i] == '/' && i + 1 < end && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (s[i] == '*' && i + 1 < end && s[i + 1] == '/') {
			i += 2;
			if (--depth == 0)
				return i;
		} else {
			i++;
		}
	}
	return end;
}

size_t sqllex_skip_blank(const char *s, size_t i, size_t end)
{
	while (i < end) {
		if (sqllex_is_blank(s[i])) {
			i++;
		} else if (s[i] == '-' && i + 1 < end && s[i + 1] == '-') {
			while (i < end && s[i] != '\n')
				i++;
		} else if (s[i] == '/' && i + 1 < end && s[i + 1] == '*') {
			i = comment_end(s, i, end);
		} else {
			break;
		}
	}
	return i;
}

/* A string or quoted identifier opening with q at i; a doubled q is one. */
static size_t quoted_end(const char *s, size_t i, size_t end, char q, bool backslash)
{
	for (i++; i < end; i++) {
		if (backslash && s[i] == '\\')
			i++;
		else if (s[i] == q && i + 1 < end && s[i + 1] == q)
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return end;
}

/* "$1" (a parameter), "$tag$...$tag$", or a lone '$'. */
static size_t dollar_end(const char *s, size_t i, size_t end)
{
	size_t j = i + 1;
	if (j < end && is_digit(s[j])) {
		while (j < end && is_digit(s[j]))
			j++;
		return j;
	}
	while (j < end && is_word_char((unsigned char)s[j]) && s[j] != '$')
		j++;
	if (j >= end || s[j] != '$')
		return i + 1;
	size_t taglen = j + 1 - i;
	for (size_t k = j + 1; k + taglen <= end; k++)
		if (s[k] == '$' && !memcmp(s + k, s + i, taglen))
			return k + taglen;
	return end;
}

size_t sqllex_token_end(const char *s, size_t i, size_t end)
{
	unsigned char ch = (unsigned char)s[i];
	if (ch == '\'' || ch == '"')
		return quoted_end(s, i, end, (char)ch, false);
	if ((ch == 'e' || ch == 'E') && i + 1 < end && s[i + 1] == '\'')
		return quoted_end(s, i + 1, end, '\'', true);
	if (ch == '$')
		return dollar_end(s, i, end);
	if (sqllex_is_word_start(ch)) {
		/* a word swallows a '$' inside it: a$b is one identifier */
		while (i < end && is_word_char((unsigned char)s[i]))
			i++;
		return i;
	}
	if (is_digit((char)ch) || (ch == '.' && i + 1 < end && is_digit(s[i + 1]))) {
		while (i < end && (is_word_char((unsigned char)s[i]) || s[i] == '.'))
			i++;
		return i;
	}
	return i + 1;
}

bool sqllex_word_is(const char *s, size_t start, size_t end, const char *word)
{
	size_t n = strlen(word);
	return end - start == n && !strncasecmp(s + start, word, n);
}

bool sqllex_next_stmt(const char *s, size_t end, size_t *pos, size_t *start, size_t *len)
{
	size_t i = *pos;
	if (i >= end)
		return false;
	*start = i;
	while ((i = sqllex_skip_blank(s, i, end)) < end && s[i] != ';')
		i = sqllex_token_end(s, i, end);
	*len = i - *start;
	*pos = i < end ? i + 1 : end;
	return true;
}

size_t sqllex_char_offset(const char *s, size_t len, int pos)
{
	if (pos <= 1)
		return 0;
	int chars = 0;
	for (size_t i = 0; i < len; i++) {
		/* continuation bytes belong to the character already counted */
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == pos - 1)
				return i;
			chars++;
		}
	}
	return len;
}
