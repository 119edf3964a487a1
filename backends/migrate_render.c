#include "migrate_int.h"

#include "jsonw.h"

#include <string.h>
#include <time.h>

static int add_time(struct sbuf *out, int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (!t)
		return sbuf_adds(out, "-");
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return sbuf_adds(out, buf);
}

/* A multi-line value: continuation lines indented so that every line of
 * the file still starts with a key or whitespace. */
static int add_field(struct sbuf *out, const char *key, const char *value)
{
	if (!value || !*value)
		return 0;
	int rc = sbuf_addf(out, "%s: ", key);
	for (const char *p = value; *p && !rc; p++) {
		if (*p == '\n' && p[1])
			rc = sbuf_adds(out, "\n  ");
		else if (*p != '\n')
			rc = sbuf_addch(out, *p);
	}
	return rc ?: sbuf_addch(out, '\n');
}

int migrate_render_status(const struct store_run *r, struct sbuf *out)
{
	int rc = sbuf_addf(out, "run: %lld\nkind: %s\nstate: %s\nstarted: ", (long long)r->id,
			   r->kind ? r->kind : "?", r->state ? r->state : "?");
	if (!rc)
		rc = add_time(out, r->started);
	if (!rc)
		rc = sbuf_adds(out, "\nfinished: ");
	if (!rc)
		rc = add_time(out, r->finished);
	if (!rc)
		rc = sbuf_addf(out, "\n");
	if (!rc)
		rc = add_field(out, "target", r->target);
	if (!rc)
		rc = sbuf_addf(out, "steps: %lld\ncompleted steps: %lld\n", (long long)r->nsteps,
			       (long long)r->completed);
	if (!rc && r->failed_step)
		rc = sbuf_addf(out, "failed step: %lld of %lld: %s\n", (long long)r->failed_step,
			       (long long)r->nsteps, r->failed_what ? r->failed_what : "");
	if (!rc)
		rc = add_field(out, "error", r->error);
	if (!rc)
		rc = add_field(out, "sqlstate", r->sqlstate);
	if (!rc)
		rc = add_field(out, "database", r->outcome);
	if (!rc)
		rc = add_field(out, "archived", r->archived);
	if (!rc)
		rc = add_field(out, "notes", r->notes);
	if (!rc && r->undoes)
		rc = sbuf_addf(out, "undoes run: %lld\n", (long long)r->undoes);
	if (!rc && r->undoes && r->state && !strcmp(r->state, "succeeded") && r->touched.n) {
		/* what was undone, said afterwards as the preview said it before */
		rc = sbuf_addf(out, "undone: run %lld, %lld steps on ", (long long)r->undoes,
			       (long long)r->nsteps);
		for (size_t i = 0; i < r->touched.n && !rc; i++)
			rc = sbuf_addf(out, "%s%s", i ? ", " : "", r->touched.items[i]);
		if (!rc)
			rc = sbuf_addch(out, '\n');
	}
	if (!rc && r->undone_by)
		rc = sbuf_addf(out, "undone by run: %lld\n", (long long)r->undone_by);
	return rc;
}

int migrate_render_log_line(const struct store_run *r, struct sbuf *out)
{
	int rc = sbuf_addf(out, "%lld\t%s\t%s\t", (long long)r->id, r->kind ? r->kind : "?",
			   r->state ? r->state : "?");
	if (!rc)
		rc = add_time(out, r->started);
	if (!rc)
		rc = sbuf_addf(out, "\t%lld/%lld\t", (long long)r->completed, (long long)r->nsteps);
	/* the summary: the first line of the error, else the outcome */
	const char *sum = r->error && *r->error ? r->error : r->outcome ? r->outcome : "";
	size_t n = strcspn(sum, "\n");
	if (!rc && r->failed_step)
		rc = sbuf_addf(out, "step %lld: ", (long long)r->failed_step);
	if (!rc)
		rc = sbuf_add(out, sum, n);
	return rc ?: sbuf_addch(out, '\n');
}

static void json_time(struct jsonw *w, const char *key, int64_t t)
{
	struct sbuf sb = SBUF_INIT;
	jsonw_key(w, key);
	if (t && !add_time(&sb, t))
		jsonw_str(w, sb.buf);
	else
		jsonw_null(w);
	sbuf_release(&sb);
}

void migrate_render_run_json(const struct store_run *r, struct jsonw *w)
{
	jsonw_obj(w);
	jsonw_kint(w, "run", r->id);
	jsonw_kstr(w, "kind", r->kind);
	jsonw_kstr(w, "state", r->state);
	json_time(w, "started", r->started);
	json_time(w, "finished", r->finished);
	jsonw_kstr(w, "target", r->target);
	jsonw_kstr(w, "token", r->token);
	jsonw_kint(w, "steps", r->nsteps);
	jsonw_kint(w, "completed_steps", r->completed);
	jsonw_kint(w, "failed_step", r->failed_step);
	jsonw_kstr(w, "failed_what", r->failed_what);
	jsonw_kstr(w, "error", r->error);
	jsonw_kstr(w, "sqlstate", r->sqlstate);
	jsonw_kstr(w, "database", r->outcome);
	jsonw_kstr(w, "archived", r->archived);
	jsonw_kstr(w, "notes", r->notes);
	jsonw_kint(w, "undoes", r->undoes);
	jsonw_kint(w, "undone_by", r->undone_by);
	jsonw_end(w);
}
