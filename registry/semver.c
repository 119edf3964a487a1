/*
 * semver: numbers and precedence of MAJOR.MINOR.PATCH[-pre][+build].
 */
#include "semver.h"

#include <string.h>

#include "diag.h"
#include "validate.h"

/* Reads the digits at *p (validated already: no leading zeros). */
static int number(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		unsigned d = (unsigned)(**p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return REG_EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int semver_parse(const char *text, struct semver *out)
{
	const char *p = text;
	memset(out, 0, sizeof(*out));
	if (!reg_validate_semver(text))
		return REG_EINVAL;
	if (number(&p, &out->major) || *p++ != '.' || number(&p, &out->minor) || *p++ != '.' ||
	    number(&p, &out->patch))
		return REG_EINVAL;
	if (*p == '-') {
		out->pre = ++p;
		out->pre_len = strcspn(p, "+");
	}
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* One dot-separated prerelease identifier against another (semver §11.4). */
static int cmp_ident(const char *a, size_t na, const char *b, size_t nb)
{
	int da = all_digits(a, na), db = all_digits(b, nb);
	if (da && db && na != nb) /* no leading zeros: the longer number is the larger */
		return na < nb ? -1 : 1;
	if (da && db) {
		int c = memcmp(a, b, na);
		return c < 0 ? -1 : c > 0;
	}
	if (da != db)
		return da ? -1 : 1;
	int c = memcmp(a, b, na < nb ? na : nb);
	if (c)
		return c < 0 ? -1 : 1;
	return cmp_u64(na, nb);
}

static int cmp_pre(const struct semver *a, const struct semver *b)
{
	if (!a->pre || !b->pre) /* a release ranks above its prereleases */
		return a->pre ? -1 : b->pre ? 1 : 0;
	const char *pa = a->pre, *ea = a->pre + a->pre_len;
	const char *pb = b->pre, *eb = b->pre + b->pre_len;
	while (pa < ea && pb < eb) {
		const char *qa = memchr(pa, '.', (size_t)(ea - pa));
		const char *qb = memchr(pb, '.', (size_t)(eb - pb));
		if (!qa)
			qa = ea;
		if (!qb)
			qb = eb;
		int c = cmp_ident(pa, (size_t)(qa - pa), pb, (size_t)(qb - pb));
		if (c)
			return c;
		pa = qa < ea ? qa + 1 : ea;
		pb = qb < eb ? qb + 1 : eb;
	}
	/* the one with more identifiers ranks higher */
	return pa < ea ? 1 : pb < eb ? -1 : 0;
}

int semver_cmp(const struct semver *a, const struct semver *b)
{
	int c = cmp_u64(a->major, b->major);
	if (!c)
		c = cmp_u64(a->minor, b->minor);
	if (!c)
		c = cmp_u64(a->patch, b->patch);
	return c ? c : cmp_pre(a, b);
}

enum semver_level semver_bump_level(const struct semver *old, const struct semver *new_)
{
	if (new_->major != old->major)
		return new_->major > old->major ? SEMVER_MAJOR : SEMVER_NONE;
	if (new_->minor != old->minor)
		return new_->minor > old->minor ? SEMVER_MINOR : SEMVER_NONE;
	return new_->patch > old->patch ? SEMVER_PATCH : SEMVER_NONE;
}

int semver_bump(const struct semver *v, enum semver_level level, struct sbuf *out)
{
	switch (level) {
	case SEMVER_MAJOR:
		return sbuf_addf(out, "%llu.0.0", (unsigned long long)v->major + 1);
	case SEMVER_MINOR:
		return sbuf_addf(out, "%llu.%llu.0", (unsigned long long)v->major,
				 (unsigned long long)v->minor + 1);
	case SEMVER_PATCH:
		return sbuf_addf(out, "%llu.%llu.%llu", (unsigned long long)v->major,
				 (unsigned long long)v->minor, (unsigned long long)v->patch + 1);
	case SEMVER_NONE:
		break;
	}
	return sbuf_addf(out, "%llu.%llu.%llu", (unsigned long long)v->major,
			 (unsigned long long)v->minor, (unsigned long long)v->patch);
}

const char *semver_level_name(enum semver_level level)
{
	static const char *const names[] = { "no", "PATCH", "MINOR", "MAJOR" };
	return level <= SEMVER_MAJOR ? names[level] : "?";
}
