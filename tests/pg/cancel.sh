#!/usr/bin/env bash
# A running apply, blocked on a lock another session holds (lock_timeout
# 60 s), is cancelled: through migrations/cancel while `echo apply >
# control` waits, and by `schemafs migrate cancel` from another process.
# Each answers within seconds, the transaction rolls back, the database is
# exactly as before.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

A=$WORK/a
mount_cmd "$A" env SCHEMAFS_LOCK_TIMEOUT=60000 "$BIN" --db "$WORK/a.db" --examples "$SCHEMAFS_EXAMPLES" -f "$A"
M=$A/migrations
check "apply the seed" bash -c 'echo apply >"$1"' _ "$M/control"
add_column_to "$A/schemas/users.yaml" 1.1.0 <<'EOF'
  - name: nickname
    type: VARCHAR(50)
EOF
dump >"$WORK/before.sql"
ms() { date +%s%3N; }

# 1. in the mount: control is busy with the apply, cancel is a file of its own
hold_lock users
(rc=0; echo apply >"$M/control" 2>"$WORK/apply.err" || rc=$?; echo "$rc" >"$WORK/apply.rc") &
BG_PIDS+=("$!")
wait_blocked
t0=$(ms)
check "cancel through migrations/cancel" bash -c 'echo cancel >"$1"' _ "$M/cancel"
took=$(( $(ms) - t0 ))
wait_until 10 test -s "$WORK/apply.rc" || die "the apply did not return"
echo "migrations/cancel answered in ${took} ms"
check "cancel answers within seconds (${took} ms)" test "$took" -lt 5000
check_eq "the apply's write fails" 1 "$(cat "$WORK/apply.rc")"
check_contains "$M/status" "state: cancelled"
check_contains "$M/status" "database: rolled back: cancelled; the database is exactly as before"
check_contains "$M/control" "last command: apply (failed)"
release_lock
dump >"$WORK/after.sql"
check_file_eq "a cancelled apply leaves the database" "$WORK/before.sql" "$WORK/after.sql"
check "control is idle again" grep -qx idle "$M/control"
unmount_fs "$A"

# 2. from another process: the CLI's apply, cancelled by the CLI
hold_lock users
sfs migrate --db "$WORK/a.db" --lock-timeout 60000 apply >"$WORK/cli.out" 2>&1 &
apply=$!
BG_PIDS+=("$apply")
wait_blocked
t0=$(ms)
run 0 sfs migrate --db "$WORK/a.db" cancel
took=$(( $(ms) - t0 ))
check_has "cancel: the running run was cancelled"
rc=0
wait "$apply" || rc=$?
echo "schemafs migrate cancel answered in ${took} ms"
check "cancel answers within seconds (${took} ms)" test "$took" -lt 5000
check_eq "the cancelled apply exits 1" 1 "$rc"
check_contains "$WORK/cli.out" "state: cancelled"
release_lock
dump >"$WORK/after.sql"
check_file_eq "a cancelled CLI apply leaves the database" "$WORK/before.sql" "$WORK/after.sql"
run 0 sfs migrate --db "$WORK/a.db" cancel
check_has "cancel: no run is running on the target"
run 0 sfs migrate --db "$WORK/a.db" apply
check_has "state: succeeded"
check_eq "nickname added once cancelled runs are over" 1 "$(column_count nickname)"
