/*
 * contract_judge: the verdicts. A change breaks a consumer when the class
 * of a direction the mode checks breaks what that consumer does with the
 * columns it touches; a change that breaks someone needs a MAJOR bump, any
 * other a MINOR one, a cosmetic one a PATCH (docs/contracts.md, "Semantic
 * versions").
 */
#include "contract_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* The services a change hits, each with what it does that breaks:
 * "service\tuse" pairs, sorted and unique, so each service comes once
 * with all its uses. */
struct hits {
	struct strlist pairs;
};

static int column_hit(const struct contract_use *u, const struct contract_change *ch,
		      const struct contract_effect *e)
{
	if (!ch->columns.n)
		return 1;
	if (!u->column)
		return !e->named_only;
	return strlist_find(&ch->columns, u->column) >= 0;
}

static int use_hit(const struct contract_use *u, const struct contract_change *ch,
		   const struct contract_effect *e, const char *owner)
{
	if (!*u->service || (owner && !strcmp(u->service, owner)))
		return 0; /* the owner ships the table with its own code */
	if (u->access == CONTRACT_READ)
		return contract_class_breaks_readers(e->cls) && !strcmp(u->table, ch->table) &&
		       column_hit(u, ch, e);
	return contract_class_breaks_writers(e->cls) && !strcmp(u->table, ch->wtable) &&
	       (e->any_writer || column_hit(u, ch, e));
}

static void describe_use(const struct contract_use *u, struct sbuf *out)
{
	sbuf_addf(out, "%s\t%s %s%s%s", u->service, u->access == CONTRACT_READ ? "reads" : "writes",
		  u->table, u->column ? "." : "", u->column ? u->column : "");
	if (u->why == CONTRACT_WHY_FK && u->via)
		sbuf_addf(out, " through %s", u->via);
	else if (u->why == CONTRACT_WHY_OWNER)
		sbuf_adds(out, " as its owner");
	else if (u->file && u->loc.line)
		sbuf_addf(out, " in %s:%u", u->file, u->loc.line);
	else if (u->file)
		sbuf_addf(out, " in %s", u->file);
}

static int collect(const struct contract_consumers *who, const struct contract_change *ch,
		   const struct contract_effect *e, const char *owner, struct hits *h)
{
	struct sbuf sb = SBUF_INIT;
	int rc = 0;
	for (size_t i = 0; who && i < who->n && !rc; i++) {
		if (!use_hit(&who->items[i], ch, e, owner))
			continue;
		sbuf_reset(&sb);
		describe_use(&who->items[i], &sb);
		rc = sbuf_error(&sb) ? sbuf_error(&sb) : strlist_push(&h->pairs, sb.buf);
	}
	sbuf_release(&sb);
	strlist_sort(&h->pairs);
	strlist_uniq(&h->pairs);
	return rc;
}

/* "svc (use, use), svc2 (use)"; the service names go to services. */
static int render_hits(const struct hits *h, struct sbuf *out, struct strlist *services)
{
	const char *prev = NULL;
	size_t prev_len = 0;
	for (size_t i = 0; i < h->pairs.n; i++) {
		const char *p = h->pairs.items[i], *tab = strchr(p, '\t');
		size_t len = (size_t)(tab - p);
		if (prev && len == prev_len && !strncmp(p, prev, len)) {
			sbuf_addf(out, ", %s", tab + 1);
			continue;
		}
		if (prev)
			sbuf_adds(out, "), ");
		sbuf_add(out, p, len);
		sbuf_addf(out, " (%s", tab + 1);
		if (strlist_pushn(services, p, len))
			return sbuf_fail(out, REG_ENOMEM);
		prev = p;
		prev_len = len;
	}
	if (prev)
		sbuf_addch(out, ')');
	return sbuf_error(out);
}

struct versions {
	bool known;            /* both versions parsed: the bump rules apply */
	struct semver old, new_;
	const char *old_text, *new_text;
};

struct judge {
	const struct contract_changes *c;
	const struct contract_mode_info *mode;
	const struct contract_consumers *who;
	struct versions v;
	const char *against;
	struct contract_report *out;
};

/* The tail every message of a transitive judgement carries. */
static void add_against(const struct judge *j, struct sbuf *msg)
{
	if (j->against)
		sbuf_addf(msg, " (against %s)", j->against);
}

static const char *advice(const struct contract_change *ch)
{
	const char *a = contract_rule_info(ch->rule)->advice;
	return a ? a : "revert the change";
}

/* The message of a change that breaks a consumer the mode protects. */
static void msg_breaking(const struct judge *j, const struct contract_change *ch,
			 const struct sbuf *svcs, bool met,
			 struct sbuf *msg, const char *required)
{
	sbuf_addf(msg, "%s breaks %s under %s; ", ch->what, svcs->buf, j->mode->name);
	if (!j->v.known)
		sbuf_adds(msg, advice(ch));
	else if (met)
		sbuf_addf(msg, "accepted as a MAJOR change (%s -> %s)", j->v.old_text,
			  j->v.new_text);
	else
		sbuf_addf(msg, "bump version to %s or %s", required, advice(ch));
}

/* The message of a change that breaks no consumer the mode protects. */
static void msg_plain(const struct judge *j, const struct contract_change *ch,
		      const struct sbuf *unchecked, enum semver_level level, bool met,
		      struct sbuf *msg, const char *required)
{
	sbuf_addf(msg, "%s is %s", ch->what, contract_class_name(ch->forward.cls));
	if (unchecked->len)
		sbuf_addf(msg, " (it breaks %s; %s checks nothing)", unchecked->buf, j->mode->name);
	else if (ch->forward.cls >= CONTRACT_BREAKING_WRITERS)
		sbuf_adds(msg, " but no service uses it");
	if (!j->v.known)
		return;
	sbuf_addf(msg, ", a %s change", semver_level_name(level));
	if (met)
		sbuf_addf(msg, " (%s -> %s)", j->v.old_text, j->v.new_text);
	else
		sbuf_addf(msg, ": bump version to %s (is %s)", required, j->v.new_text);
}

static int judge_change(const struct judge *j, const struct contract_change *ch)
{
	struct hits fwd = { STRLIST_INIT }, rev = { STRLIST_INIT }, all = { STRLIST_INIT };
	struct sbuf svcs = SBUF_INIT, msg = SBUF_INIT, req = SBUF_INIT;
	struct strlist services = STRLIST_INIT;
	bool checked_fwd = j->mode->forward, checked_rev = j->mode->reverse;
	bool none = !checked_fwd && !checked_rev;
	int rc = 0;

	if ((checked_fwd || none) && (rc = collect(j->who, ch, &ch->forward, j->c->owner, &fwd)))
		goto out;
	if (checked_rev && (rc = collect(j->who, ch, &ch->reverse, j->c->owner, &rev)))
		goto out;
	for (size_t i = 0; i < fwd.pairs.n && !rc; i++)
		rc = strlist_push(&all.pairs, fwd.pairs.items[i]);
	for (size_t i = 0; i < rev.pairs.n && !rc; i++)
		rc = strlist_push(&all.pairs, rev.pairs.items[i]);
	if (rc)
		goto out;
	strlist_sort(&all.pairs);
	strlist_uniq(&all.pairs);
	if ((rc = render_hits(&all, &svcs, &services)))
		goto out;

	bool breaks = all.pairs.n && !none;
	enum semver_level level = breaks ? SEMVER_MAJOR
				  : ch->forward.cls == CONTRACT_COSMETIC ? SEMVER_PATCH
									  : SEMVER_MINOR;
	bool met = j->v.known && semver_bump_level(&j->v.old, &j->v.new_) >= level;
	if (j->v.known)
		semver_bump(&j->v.old, level, &req);
	enum diag_severity sev;
	if (breaks) {
		msg_breaking(j, ch, &svcs, met, &msg, req.buf);
		sev = met ? DIAG_WARNING : DIAG_ERROR;
	} else {
		msg_plain(j, ch, &svcs, level, met, &msg, req.buf);
		sev = j->v.known && !met ? DIAG_ERROR : svcs.len ? DIAG_WARNING : DIAG_NOTE;
	}
	add_against(j, &msg);
	if ((rc = sbuf_error(&msg)) || (rc = sbuf_error(&req)))
		goto out;
	struct contract_finding *f = contract_report_push(j->out, sev, ch->file, ch->loc, ch->table,
							  contract_rule_info(ch->rule)->id, "%s",
							  msg.buf);
	if (!f) {
		rc = REG_ENOMEM;
		goto out;
	}
	f->cls = ch->forward.cls;
	f->level = level;
	f->services = services;
	services = (struct strlist)STRLIST_INIT;
	if (j->v.known && !(f->required = strdup(req.buf)))
		rc = REG_ENOMEM;
out:
	strlist_release(&services);
	sbuf_release(&req);
	sbuf_release(&msg);
	sbuf_release(&svcs);
	strlist_release(&all.pairs);
	strlist_release(&rev.pairs);
	strlist_release(&fwd.pairs);
	return rc;
}

int contract_judge(const struct contract_changes *c, enum contract_mode mode,
		   const struct contract_consumers *who, const char *old_version,
		   const char *new_version, const char *version_file, struct reg_loc version_loc,
		   const char *against, struct contract_report *out)
{
	struct judge j = { c, contract_mode_info(mode), who, { false }, against, out };
	int rc = 0;
	if (old_version && new_version) {
		j.v.old_text = old_version;
		j.v.new_text = new_version;
		j.v.known = !semver_parse(old_version, &j.v.old) &&
			    !semver_parse(new_version, &j.v.new_);
		if (!reg_validate_semver(new_version) &&
		    !contract_report_push(out, DIAG_ERROR, version_file, version_loc, c->table,
					  "version-invalid",
					  "version '%s' is not MAJOR.MINOR.PATCH", new_version))
			return REG_ENOMEM;
	}
	if (j.v.known && semver_cmp(&j.v.new_, &j.v.old) < 0) {
		struct sbuf msg = SBUF_INIT;
		sbuf_addf(&msg, "version %s is lower than %s: a version never goes down",
			  new_version, old_version);
		add_against(&j, &msg);
		if (!sbuf_error(&msg) &&
		    !contract_report_push(out, DIAG_ERROR, version_file, version_loc, c->table,
					  "version-down", "%s", msg.buf))
			rc = REG_ENOMEM;
		rc = rc ? rc : sbuf_error(&msg);
		sbuf_release(&msg);
	}
	for (size_t i = 0; i < c->n && !rc; i++)
		rc = judge_change(&j, &c->items[i]);
	return rc;
}

/* ---- version_history ---- */

static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*out = *out * 10 + (s[i] - '0');
	}
	return 1;
}

/* YYYY-MM-DD naming a day of the proleptic Gregorian calendar. */
static int real_date(const char *s)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

int contract_check_history(const struct reg_schema *s, struct contract_report *out)
{
	struct semver prev = { 0 }, cur;
	const char *prev_text = NULL;
	if (!s || !s->nhistory)
		return 0;
	for (size_t i = 0; i < s->nhistory; i++) {
		const struct reg_history_entry *h = &s->history[i];
		if (h->date && !real_date(h->date) &&
		    !contract_report_push(out, DIAG_ERROR, s->file, h->loc, s->name, "history-date",
					  "version_history date '%s' of %s is not a real date "
					  "(YYYY-MM-DD)", h->date, h->version ? h->version : "?"))
			return REG_ENOMEM;
		if (semver_parse(h->version, &cur))
			continue; /* validate.c reports it */
		if (prev_text && semver_cmp(&prev, &cur) >= 0 &&
		    !contract_report_push(out, DIAG_ERROR, s->file, h->loc, s->name,
					  "history-order",
					  "version_history is not ascending: %s comes after %s",
					  h->version, prev_text))
			return REG_ENOMEM;
		prev = cur;
		prev_text = h->version;
	}
	const struct reg_history_entry *last = &s->history[s->nhistory - 1];
	if (s->version && last->version && strcmp(s->version, last->version) &&
	    !contract_report_push(out, DIAG_ERROR, s->file, last->loc, s->name, "history-current",
				  "the last version_history entry is %s, not the current version "
				  "%s; add an entry for %s", last->version, s->version, s->version))
		return REG_ENOMEM;
	return 0;
}
