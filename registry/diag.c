#include "diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

const char *reg_strerror(int err)
{
	switch (err) {
	case REG_OK: return "success";
	case REG_ENOMEM: return "out of memory";
	case REG_EINVAL: return "invalid content";
	case REG_ENOENT: return "no such schema";
	case REG_E2BIG: return "input too large";
	case REG_EIO: return "input/output error";
	case REG_EEXIST: return "already exists";
	case REG_EBUSY: return "busy";
	case REG_ESTATE: return "not possible in the current state";
	}
	return "unknown error";
}

void diags_init(struct diags *d)
{
	memset(d, 0, sizeof(*d));
}

void diags_release(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	diags_init(d);
}

static int diags_reserve(struct diags *d, size_t extra)
{
	if (d->n + extra <= d->alloc)
		return 0;
	size_t alloc = d->alloc ? d->alloc * 2 : 8;
	while (alloc < d->n + extra)
		alloc *= 2;
	struct diag *p = realloc(d->items, alloc * sizeof(*p));
	if (!p)
		return REG_ENOMEM;
	d->items = p;
	d->alloc = alloc;
	return 0;
}

/* Rewrites each C0 control character and DEL in sb as \xNN. */
static int escape_controls(struct sbuf *sb)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	for (size_t i = 0; i < sb->len; i++)
		n += (unsigned char)sb->buf[i] < 0x20 || sb->buf[i] == 0x7f;
	if (!n)
		return 0;
	struct sbuf out = SBUF_INIT;
	if (sbuf_grow(&out, sb->len + 3 * n))
		return REG_ENOMEM;
	for (size_t i = 0; i < sb->len; i++) {
		unsigned char ch = (unsigned char)sb->buf[i];
		char esc[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };
		/* cannot fail: the room is reserved */
		if (ch < 0x20 || ch == 0x7f)
			sbuf_add(&out, esc, 4);
		else
			sbuf_addch(&out, (char)ch);
	}
	sbuf_release(sb);
	*sb = out;
	return 0;
}

int diags_vadd(struct diags *d, const char *file, struct reg_loc loc,
	       enum diag_severity sev, const char *fmt, va_list ap)
{
	struct sbuf msg = SBUF_INIT;
	char *f = NULL;
	/* Messages quote user text, and YAML escapes ("\e", "\n") put any
	 * byte in it: a control character must not reach a terminal raw
	 * (escape sequences) nor split a diagnostic into a forged line. */
	if (sbuf_vaddf(&msg, fmt, ap) || escape_controls(&msg) || diags_reserve(d, 1) ||
	    !(f = strdup(file ? file : "")))
		goto oom;
	char *m = sbuf_detach(&msg, NULL);
	if (!m)
		goto oom;
	d->items[d->n++] = (struct diag){ f, loc, sev, m };
	if (sev == DIAG_ERROR)
		d->errors++;
	return 0;
oom:
	free(f);
	sbuf_release(&msg);
	return REG_ENOMEM;
}

int diags_add(struct diags *d, const char *file, struct reg_loc loc,
	      enum diag_severity sev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = diags_vadd(d, file, loc, sev, fmt, ap);
	va_end(ap);
	return rc;
}

int diags_move(struct diags *dst, struct diags *src)
{
	if (diags_reserve(dst, src->n))
		return REG_ENOMEM;
	if (src->n)
		memcpy(dst->items + dst->n, src->items, src->n * sizeof(*src->items));
	dst->n += src->n;
	dst->errors += src->errors;
	free(src->items);
	diags_init(src);
	return 0;
}

struct diag_seq {
	struct diag d;
	size_t seq;
};

static int diag_seq_cmp(const void *pa, const void *pb)
{
	const struct diag_seq *a = pa, *b = pb;
	int c = strcmp(a->d.file, b->d.file);
	if (c)
		return c;
	if (a->d.loc.line != b->d.loc.line)
		return a->d.loc.line < b->d.loc.line ? -1 : 1;
	if (a->d.loc.col != b->d.loc.col)
		return a->d.loc.col < b->d.loc.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq; /* qsort is not stable */
}

void diags_sort(struct diags *d)
{
	if (d->n < 2)
		return;
	struct diag_seq *tmp = malloc(d->n * sizeof(*tmp));
	if (!tmp)
		return; /* unsorted output is still correct output */
	for (size_t i = 0; i < d->n; i++)
		tmp[i] = (struct diag_seq){ d->items[i], i };
	qsort(tmp, d->n, sizeof(*tmp), diag_seq_cmp);
	for (size_t i = 0; i < d->n; i++)
		d->items[i] = tmp[i].d;
	free(tmp);
}

const char *diag_severity_name(enum diag_severity sev)
{
	switch (sev) {
	case DIAG_ERROR: return "error";
	case DIAG_WARNING: return "warning";
	case DIAG_NOTE: return "note";
	}
	return "error";
}

int diag_render(const struct diag *dg, struct sbuf *out)
{
	if (dg->loc.line)
		return sbuf_addf(out, "%s:%u:%u: %s: %s", dg->file, dg->loc.line,
				 dg->loc.col, diag_severity_name(dg->severity), dg->message);
	if (dg->file[0])
		return sbuf_addf(out, "%s: %s: %s", dg->file,
				 diag_severity_name(dg->severity), dg->message);
	return sbuf_addf(out, "%s: %s", diag_severity_name(dg->severity), dg->message);
}

int diags_render(const struct diags *d, struct sbuf *out)
{
	for (size_t i = 0; i < d->n; i++)
		if (diag_render(&d->items[i], out) || sbuf_addch(out, '\n'))
			return REG_ENOMEM;
	return 0;
}

#define MORE_FMT "... and %zu more problem%s"

int diags_add_more(struct diags *d, const char *file, struct reg_loc loc,
		   enum diag_severity sev, size_t more)
{
	return diags_add(d, file, loc, sev, MORE_FMT, more, more == 1 ? "" : "s");
}

static char *more_message(size_t more)
{
	struct sbuf sb = SBUF_INIT;
	if (sbuf_addf(&sb, MORE_FMT, more, more == 1 ? "" : "s")) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

struct file_count {
	size_t total, kept;
	size_t note;               /* index of the first item dropped */
	enum diag_severity sev;    /* of the note: an error when one was dropped */
	char *message;
};

int diags_cap_per_file(struct diags *d, size_t from, size_t max)
{
	struct strmap files = STRMAP_INIT_BORROWED;
	struct file_count *fc = NULL;
	size_t nfc = 0, out = from;
	int rc = REG_ENOMEM;
	if (d->n <= from + max)
		return 0;
	if (!(fc = calloc(d->n - from, sizeof(*fc))))
		return REG_ENOMEM;
	/* every allocation before the first change, so a failure leaves d as
	 * it was */
	for (size_t i = from; i < d->n; i++) {
		struct diag *dg = &d->items[i];
		struct file_count *c = strmap_get_s(&files, dg->file);
		if (!c) {
			c = &fc[nfc++];
			c->sev = DIAG_NOTE;
			if (strmap_put_s(&files, dg->file, c, NULL))
				goto out;
		}
		if (c->total++ == max)
			c->note = i;
		if (c->total > max && dg->severity < c->sev)
			c->sev = dg->severity;
	}
	for (size_t k = 0; k < nfc; k++) {
		size_t more = fc[k].total - max;
		if (fc[k].total > max &&
		    !(fc[k].message = more_message(more)))
			goto out;
	}
	for (size_t i = from; i < d->n; i++) {
		struct diag dg = d->items[i];
		struct file_count *c = strmap_get_s(&files, dg.file);
		if (c->kept < max) {
			c->kept++;
			d->items[out++] = dg;
			continue;
		}
		if (dg.severity == DIAG_ERROR)
			d->errors--;
		if (i == c->note) {
			free(dg.message);
			dg.message = c->message;
			c->message = NULL;
			dg.severity = c->sev;
			if (dg.severity == DIAG_ERROR)
				d->errors++;
			d->items[out++] = dg;
			continue;
		}
		free(dg.file);
		free(dg.message);
	}
	d->n = out;
	rc = 0;
out:
	for (size_t k = 0; k < nfc; k++)
		free(fc[k].message);
	free(fc);
	strmap_release(&files, NULL);
	return rc;
}

size_t reg_edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b), inf = max + 1;
	if ((la > lb ? la - lb : lb - la) > max)
		return inf;
	if (lb > 64)
		return inf;
	/* Only cells with |i - j| <= max can stay under max: the band. Cells
	 * right of it keep their first value (inf); the one left of it is
	 * set to inf each row. */
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j <= max ? j : inf;
	for (size_t i = 1; i <= la; i++) {
		size_t lo = i > max ? i - max : 1;
		size_t hi = i + max < lb ? i + max : lb;
		size_t diag = row[lo - 1];
		row[lo - 1] = lo == 1 && i <= max ? i : inf;
		size_t best = row[lo - 1];
		for (size_t j = lo; j <= hi; j++) {
			size_t up = row[j];
			size_t v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			if (v > inf)
				v = inf;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > max)
			return inf;
	}
	return row[lb] > max ? inf : row[lb];
}

/* The nearest of the first n candidates (up to a NULL). */
static const char *nearest_of(const char *word, const char *const *candidates, size_t n)
{
	size_t len = strlen(word);
	size_t max = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	const char *best = NULL;
	size_t best_d = max + 1;
	for (size_t i = 0; i < n && candidates[i]; i++) {
		size_t d = reg_edit_distance(word, candidates[i], max);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

const char *reg_nearest(const char *word, const char *const *candidates)
{
	return nearest_of(word, candidates, SIZE_MAX);
}

const char *reg_nearest_within(const char *word, const char *const *candidates, size_t n,
			       size_t *budget)
{
	if (*budget < n) {
		*budget = 0;
		return NULL;
	}
	*budget -= n;
	return nearest_of(word, candidates, n);
}
