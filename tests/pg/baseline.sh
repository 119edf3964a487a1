#!/usr/bin/env bash
# schemafs migrate baseline: a database adopted with its tables already in
# place (here: the seed's, with no schemafs history) is marked as applied
# at the current registry without running anything; it is refused once
# the target has runs; the next plan (online and --offline) diffs from there.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

# the tables exist, their history does not (another tool made them)
seed_applied
q "DROP TABLE schemafs_migrations, schemafs_tables"
export SCHEMAFS_DB=$WORK/adopted.db
seed_dir
shape() {
	q "SELECT string_agg(table_name || '.' || column_name, ' ' ORDER BY 1)
	   FROM information_schema.columns WHERE table_schema = 'public'
	   AND table_name NOT LIKE 'schemafs%'"
}
before=$(shape)

run 0 sfs migrate plan
check_stdout "nothing to do"
run 0 sfs migrate baseline
check_has "kind: baseline"
check_has "state: succeeded"
check_has "database: marked as applied at the current registry; nothing ran"
check_eq "nothing ran" "$before" "$(shape)"
check_eq "one baseline row" "baseline 0" "$(q "SELECT kind || ' ' || steps FROM schemafs_migrations")"
run 1 sfs migrate baseline
check_has "baseline: refused:"
check_has "the target already has 1 run in schemafs_migrations"
run 0 sfs migrate status --json
check_json "$WORK/out"
check_has '"kind": "baseline"'
run 0 sfs migrate check
check_has "dry run: nothing to do"

# offline, the baseline's registry is the database: nothing to do either
run 0 env PGHOST="$WORK/nowhere" "$BIN" migrate check --offline
check_has "offline: planned against the registry of run 1, the last applied"
check_has "dry run: not run (offline): 0 steps linted"

# a change plans only the change, online and offline
add_nickname
reimport
run 0 sfs migrate plan
check_has $'1\tuser-service\tusers\t-\tadd column \'nickname\''
check_lacks "create table"
run 0 env PGHOST="$WORK/nowhere" "$BIN" migrate check --offline
check_has "dry run: not run (offline): 1 step linted"
run 0 sfs migrate apply
check_eq "nickname added" 1 "$(column_count nickname)"
run 0 sfs migrate check
check_lacks "by hand"
