#!/usr/bin/env bash
# Runs are serialised across processes (and mounts) by an advisory lock:
# while one apply is running, a second one is refused as busy and changes
# nothing; the first then finishes normally.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

seed_applied
add_nickname
reimport

hold_lock users
sfs migrate --lock-timeout 60000 apply >"$WORK/first.out" 2>&1 &
first=$!
BG_PIDS+=("$first")
wait_blocked

run 1 sfs migrate apply
check_has "busy: another migration is running"
check_has "state: busy"
check_has "another migration is running on this database (advisory lock held)"
check_has "database: untouched"
run 1 sfs migrate rollback
check_has "state: busy"

release_lock
check "the first apply succeeds" wait "$first"
check_contains "$WORK/first.out" "state: succeeded"
check_eq "nickname added" 1 "$(column_count nickname)"

# a lock that is not released in time: lock_timeout ends the run, cleanly
add_column users <<'EOF2'
  - name: tagline
    type: TEXT
EOF2
reimport
hold_lock users
run 1 sfs migrate --lock-timeout 300 apply
check_has "failed step: 1 of 1: users: add column 'tagline'"
check_has "canceling statement due to lock timeout"
check_has "sqlstate: 55P03"
release_lock
run 0 sfs migrate apply
