#!/usr/bin/env bash
# The process dies between the target's COMMIT and the store's record of
# the outcome (gdb stops it at run_record_outcome and kills it): the run's
# token was on record before BEGIN, so the next command settles the run
# from schemafs_migrations -- status says succeeded, and rollback undoes
# THAT run. A run killed before COMMIT is settled as failed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg
need_tools gdb

# crash_at FUNCTION ARGS...: runs `schemafs ARGS`, killed at FUNCTION
crash_at() {
	local fn=$1
	shift
	ASAN_OPTIONS=detect_leaks=0 gdb -q -batch -ex "break $fn" -ex run -ex kill \
		--args "$BIN" "$@" >"$WORK/gdb.out" 2>&1 || true
	grep -q "Breakpoint 1, $fn" "$WORK/gdb.out" || { show "$WORK/gdb.out"; die "no stop at $fn"; }
}

seed_applied
add_nickname
reimport
crash_at run_record_outcome migrate apply
check_eq "the nickname column is committed" 1 "$(column_count nickname)"
check_eq "its row is in schemafs_migrations" 2 "$(q "SELECT count(*) FROM schemafs_migrations")"
token=$(q "SELECT run FROM schemafs_migrations ORDER BY id DESC LIMIT 1")

# status on a read-only store: settled in what it shows
run 0 sfs migrate status
check_has "run: 2"
check_has "state: succeeded"
check_has "settled from the target's schemafs_migrations"
check_lacks "rolled back"
# a writing command records it
run 0 sfs migrate plan
run 0 sfs migrate --json status
check_has "\"token\": \"$token\""
check_has "\"state\": \"succeeded\""
run 0 sfs migrate log
check_has $'2\tapply\tsucceeded\t'

# rollback undoes run 2 (nickname), not run 1 (the seed)
run 0 sfs migrate rollback --dry-run
check_has "rollback would undo run 2 (apply, 1 steps)"
check_has "drop column 'nickname'"
check_eq "the preview changed nothing" 1 "$(column_count nickname)"
run 0 sfs migrate rollback
check_has "undoes run: 2"
check_has "undone: run 2, 1 steps on users"
check_eq "nickname is gone" 0 "$(column_count nickname)"
check_eq "the seed's tables stay" 1 "$(q "SELECT count(*) FROM pg_class WHERE relname = 'users' AND relkind = 'r'")"

# killed before COMMIT (at the first step): settled as failed, nothing changed
reimport   # $WORK/schemas still has nickname
crash_at pg_finish migrate apply
run 0 sfs migrate status
check_has "state: failed"
check_has "database: interrupted before commit, nothing changed"
check_eq "nothing committed" 0 "$(column_count nickname)"
run 0 sfs migrate apply
check_has "state: succeeded"
check_eq "a new apply adds it" 1 "$(column_count nickname)"

# status and log only read: no database file appears for them
run 0 sfs migrate --db "$WORK/none/x.db" status
check_has "no runs yet"
run 0 sfs migrate --db "$WORK/none/x.db" log
check "status and log created no file" test ! -e "$WORK/none/x.db"
check "nor its directory" test ! -e "$WORK/none"
