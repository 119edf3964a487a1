/*
 * diag: error codes and diagnostics, the error model of the whole core.
 *
 * Functions in registry/ return 0 or a negative REG_E* code; reg_strerror()
 * names it. Problems found in user input are not return codes but
 * diagnostics: each carries the file, a 1-based line and column (0 when the
 * problem has no place, e.g. a missing file), a severity and a message, and
 * they are collected in a list so that one pass reports every problem.
 *
 * Messages follow git's guidelines: lower case, no final period, the
 * subject quoted ('nulable'). Rendering is "file:line:col: severity: msg".
 */
#ifndef SCHEMAFS_DIAG_H
#define SCHEMAFS_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

enum reg_error {
	REG_OK = 0,
	REG_ENOMEM = -1,  /* out of memory */
	REG_EINVAL = -2,  /* content refused; the diagnostics say why */
	REG_ENOENT = -3,  /* no such schema or file */
	REG_E2BIG = -4,   /* input over the size limit */
	REG_EIO = -5,     /* reading a file failed (errno is kept by the caller) */
	REG_EEXIST = -6,  /* already exists */
	REG_EBUSY = -7,   /* someone else holds it */
	REG_ESTATE = -8,  /* not possible in the current state */
};

const char *reg_strerror(int err);

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,
};

/* 1-based place in a source file; line 0 means "no place". */
struct reg_loc {
	uint32_t line;
	uint32_t col;
};

struct diag {
	char *file;     /* owned; "" when not about a file */
	struct reg_loc loc;
	enum diag_severity severity;
	char *message;  /* owned */
};

/* A growable list; owns every diag in it. DIAGS_INIT or diags_init(). */
struct diags {
	struct diag *items;
	size_t n, alloc;
	size_t errors; /* how many items have DIAG_ERROR */
};
#define DIAGS_INIT { NULL, 0, 0, 0 }

void diags_init(struct diags *d);
void diags_release(struct diags *d);
/* Appends a formatted diagnostic; file may be NULL. Copies everything. */
int diags_add(struct diags *d, const char *file, struct reg_loc loc,
	      enum diag_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same with a va_list, for callers that wrap diags_add in their own
 * printf-like helpers. */
int diags_vadd(struct diags *d, const char *file, struct reg_loc loc,
	       enum diag_severity sev, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* Moves every item of src to the end of dst; src is left empty. */
int diags_move(struct diags *dst, struct diags *src);
/* Stable sort by file, line, column (for deterministic output). */
void diags_sort(struct diags *d);
const char *diag_severity_name(enum diag_severity sev);
/* "file:line:col: severity: message\n" per item ("file: severity: ..."
 * when there is no line). */
int diags_render(const struct diags *d, struct sbuf *out);
/* One diagnostic, the same format, no newline. */
int diag_render(const struct diag *dg, struct sbuf *out);

/*
 * At most this many diagnostics are kept per file (structural, local and
 * cross rules alike): after that a file's problems are noise, and a
 * hostile file must not turn into 70,000 lines of `validation`. The rest
 * are counted in one closing "... and N more problems" note.
 */
#define DIAG_MAX_PER_FILE 50

/* Keeps the first max items of each file among d->items[from..] (in their
 * order) and replaces the others of a file by one note "... and N more
 * problems" at the place of the first one dropped. Linear; 0 or
 * REG_ENOMEM (then d is unchanged). */
int diags_cap_per_file(struct diags *d, size_t from, size_t max);
/* The closing note of a file whose extra problems were not kept. */
int diags_add_more(struct diags *d, const char *file, struct reg_loc loc,
		   enum diag_severity sev, size_t more);

/* Levenshtein distance, capped: returns max+1 when larger than max.
 * O(strlen(a) * (2 * max + 1)): only the band that can stay under max is
 * computed. */
size_t reg_edit_distance(const char *a, const char *b, size_t max);
/* Of the NULL-terminated candidates, the nearest to word within a distance
 * that makes sense for its length; NULL when none is near. */
const char *reg_nearest(const char *word, const char *const *candidates);
/* The same over the first n candidates, for callers that suggest for many
 * words: each search costs n comparisons taken from *budget, and once the
 * budget cannot pay for one, searching stops (NULL, O(1)), so the total
 * cost of suggestions for a file is bounded whatever its size. */
const char *reg_nearest_within(const char *word, const char *const *candidates, size_t n,
			       size_t *budget);
/* The budget a file gets: a few hundred suggestions over a normal table. */
#define DIAG_SUGGEST_BUDGET 20000

#endif
