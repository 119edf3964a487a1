#!/usr/bin/env bash
# The server stops in the middle of an apply: the run fails with a clear
# error, nothing of it is committed, and apply works once the server is back.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg private   # this test stops its server: never the shared one

seed_applied
add_nickname
new_orders
reimport
dump >"$WORK/before.sql"

# orders (first in order) is created, then the run waits for users' lock
hold_lock users
sfs migrate --lock-timeout 60000 apply >"$WORK/apply.out" 2>&1 &
apply=$!
BG_PIDS+=("$apply")
wait_blocked
"$SRC/tests/pg/cluster.sh" halt "$PG_PRIVATE_DIR"
rc=0
wait "$apply" || rc=$?
check_eq "apply exits 1 when the server stops" 1 "$rc"
check_contains "$WORK/apply.out" "state: failed"
check_contains "$WORK/apply.out" "database: rolled back: the connection to the server was lost before COMMIT"
check "a connection error is reported" \
	grep -qi "server closed the connection\|terminating connection\|connection" "$WORK/apply.out"

# while it is down: a clear error, nothing recorded as applied
run 1 sfs migrate apply
check_has "cannot connect to"
"$SRC/tests/pg/cluster.sh" resume "$PG_PRIVATE_DIR"
pg_isready -q -t 30
dump >"$WORK/after.sql"
check_file_eq "no partial state after the server stopped" "$WORK/before.sql" "$WORK/after.sql"
check_eq "orders does not exist" 0 "$(q "SELECT count(*) FROM pg_class WHERE relname = 'orders'")"
run 0 sfs migrate status
# an apply that never reached a database is not recorded: the last run is
# still the one the server stop failed
check_lacks "state: refused"
check_has "state: failed"
run 0 sfs migrate apply
check_has "state: succeeded"
check_eq "nickname added" 1 "$(column_count nickname)"
