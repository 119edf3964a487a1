#!/usr/bin/env bash
# Runs are serialised across processes (and mounts) by an advisory lock:
# while one apply is running, a second one is refused as busy and changes
# nothing; the first then finishes normally.
. "$(dirname "$0")/lib.sh"

seed_applied
add_nickname
reimport

hold_lock users
sfs migrate --lock-timeout 60000 apply >"$work/first.out" 2>&1 &
first=$!
bg_pids="$bg_pids $first"
wait_blocked

expect_rc 1 sfs migrate apply
contains "busy: another migration is running"
contains "state: busy"
contains "another migration is running on this database (advisory lock held)"
contains "database: untouched"
expect_rc 1 sfs migrate rollback
contains "state: busy"

release_lock
wait "$first" || { cat "$work/first.out"; fail "the first apply failed"; }
bg_pids=${bg_pids/ $first/}
grep -q "state: succeeded" "$work/first.out" || { cat "$work/first.out"; fail "first apply"; }
[ "$(column_count nickname)" = 1 ] || fail "nickname missing"

# a lock that is not released in time: lock_timeout ends the run, cleanly
add_column users <<'EOF2'
  - name: tagline
    type: TEXT
EOF2
reimport
hold_lock users
expect_rc 1 sfs migrate --lock-timeout 300 apply
contains "failed step: 1 of 1: users: add column 'tagline'"
contains "canceling statement due to lock timeout"
contains "sqlstate: 55P03"
release_lock
expect_rc 0 sfs migrate apply
echo "ok: $test_name"
