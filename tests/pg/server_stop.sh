#!/usr/bin/env bash
# The server stops in the middle of an apply: the run fails with a clear
# error, nothing of it is committed, and apply works once the server is back.
PG_PRIVATE=1   # this test stops its server: never the shared one
. "$(dirname "$0")/lib.sh"

seed_applied
add_nickname
new_orders
reimport
dump >"$work/before.sql"

# orders (first in order) is created, then the run waits for users' lock
hold_lock users
sfs migrate --lock-timeout 60000 apply >"$work/apply.out" 2>&1 &
apply=$!
bg_pids="$bg_pids $apply"
wait_blocked
"$here/cluster.sh" halt "$private_cluster"
set +e
wait "$apply"
rc=$?
set -e
bg_pids=
[ $rc -eq 1 ] || { cat "$work/apply.out"; fail "apply exited $rc while the server stopped"; }
grep -q "state: failed" "$work/apply.out" || { cat "$work/apply.out"; fail "state"; }
grep -q "database: rolled back: the connection to the server was lost before COMMIT" "$work/apply.out" ||
	{ cat "$work/apply.out"; fail "outcome"; }
grep -qi "server closed the connection\|terminating connection\|connection" "$work/apply.out" ||
	{ cat "$work/apply.out"; fail "no connection error"; }

# while it is down: a clear error, nothing recorded as applied
expect_rc 1 sfs migrate apply
contains "cannot connect to"
"$here/cluster.sh" resume "$private_cluster"
pg_isready -q -t 30
dump >"$work/after.sql"
diff -u "$work/before.sql" "$work/after.sql" || fail "partial state after the server stopped"
[ "$(q "SELECT count(*) FROM pg_class WHERE relname = 'orders'")" = 0 ] || fail "orders exists"
expect_rc 0 sfs migrate status
contains "state: refused"
expect_rc 0 sfs migrate apply
contains "state: succeeded"
[ "$(column_count nickname)" = 1 ] || fail "nickname missing"
echo "ok: $test_name"
