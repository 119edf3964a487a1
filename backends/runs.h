/*
 * runs: every migration run, recorded in the registry's SQLite file (table
 * migration_runs, created on first use through store_sqlite()). The
 * target database keeps its own history (pg.h); this one also remembers
 * refused and failed runs, the registry snapshot a run applied (so that
 * rollback knows what "before" was) and what status/log show.
 *
 * A run is inserted as "running" when it starts and updated when it ends,
 * so a crash leaves a visible "running" row that status reports as
 * interrupted.
 *
 * Memory: a struct run_record owns its strings (NULL when unset);
 * run_record_release frees them. Errors: 0 or REG_E*.
 */
#ifndef SCHEMAFS_RUNS_H
#define SCHEMAFS_RUNS_H

#include <stdbool.h>
#include <stdint.h>

#include "sbuf.h"
#include "store.h"

struct run_record {
	int64_t id;
	char *kind;        /* "apply", "rollback", "check" */
	char *state;       /* "running", "succeeded", "failed", "refused", "busy" */
	int64_t started;   /* unix seconds */
	int64_t finished;  /* 0 while running */
	char *target;      /* shown without password */
	char *token;       /* unique run token, also in the target's history */
	int64_t nsteps;
	int64_t completed; /* steps that ran (then were rolled back, on failure) */
	int64_t failed_step;   /* 1-based, 0 none */
	char *failed_what; /* "users: add column 'x'" */
	char *error;       /* PostgreSQL's message / why it was refused */
	char *sqlstate;
	char *outcome;     /* what happened to the database, in words */
	char *plan;        /* the plan as rendered */
	char *snapshot;    /* registry after the run: "name\trevision\n" per schema */
	char *touched;     /* schema names, one per line */
	char *created;     /* tables the run created, one per line */
	char *irreversible;/* steps that cannot be undone, one per line */
	char *notes;       /* warnings (post-checks of pending scripts) */
	char *archived;    /* pending files archived, one per line */
	int64_t undoes;    /* a rollback: the run it undid */
	int64_t undone_by; /* an apply: the rollback that undid it */
};

void run_record_release(struct run_record *r);

/* Inserts r (state "running" unless set) and sets r->id. */
int runs_insert(struct store *st, struct run_record *r);
/* Writes every field of r over the row r->id. */
int runs_update(struct store *st, const struct run_record *r);
int runs_get(struct store *st, int64_t id, struct run_record *r, bool *found);
/* The newest run of any kind. */
int runs_last(struct store *st, struct run_record *r, bool *found);
/* The newest succeeded apply with id < before (0: any) that no rollback
 * undid: what rollback undoes, and what it restores. */
int runs_last_applied(struct store *st, int64_t before, struct run_record *r, bool *found);
/* Every run, oldest first. */
int runs_list(struct store *st, struct run_record **v, size_t *n);
void runs_free(struct run_record *v, size_t n);

/* The status file: one "key: value" per line. */
int runs_render_status(const struct run_record *r, struct sbuf *out);
/* One line per run: "id\tkind\tstate\tstarted\tsteps\tsummary". */
int runs_render_log_line(const struct run_record *r, struct sbuf *out);

#endif
