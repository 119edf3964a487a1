#!/usr/bin/env bash
# migrations/ through the mount: the control file returns when the command
# is done and fails when it fails (EIO), an unknown command is EINVAL, a
# concurrent apply from another mount is EBUSY, reading control shows
# "step k of n" while a run is going, pending/ and applied/ hold the
# scripts, and a rollback shows in schemas/ at once.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_fuse
need_pg

# mount_pg DB MOUNTPOINT: a mount whose runs wait up to 60 s for a lock (a new
# DB starts with the examples); its
# exit status and stderr are checked when it is unmounted (or at exit)
mount_pg() {
	mount_cmd "$2" env SCHEMAFS_LOCK_TIMEOUT=60000 "$BIN" --db "$1" --examples "$SCHEMAFS_EXAMPLES" -f "$2"
}

# write_control FILE COMMAND: $rc is the write's status, $err what it said.
write_control() {
	rc=0
	err=$(echo "$2" 2>&1 >"$1") || rc=$?
}

# write_to FILE TEXT: for check and check_fails
write_to() { echo "$2" >"$1"; }

A=$WORK/a
mount_pg "$WORK/a.db" "$A"   # a new store: the examples are imported
M=$A/migrations
check_eq "migrations/ listing" "README applied cancel check check.json control impact impact.json log pending plan plan.json status " \
	"$(ls "$M" | tr '\n' ' ')"
# the root README points here; every file in the listing is explained
for f in pending/ plan check impact control status log applied/; do
	check_match "$M/README" "^$f"   # migrations/README explains it
done
check_fails "migrations/README is read-only" write_to "$M/README" x
check_line "$M/control" idle
check_match "$M/plan" $'^1\tuser-service\tusers\t-\tcreate table'
check "apply through control" write_to "$M/control" apply
check_contains "$M/status" "state: succeeded"
check_eq "tables after apply" 5 \
	"$(q "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'policies', 'applications', 'audit_logs', 'notifications')")"
check_contains "$M/control" "last command: apply (done)"

# unknown command: EINVAL; a failed command: EIO
write_control "$M/control" frobnicate
check "an unknown command is EINVAL ($err)" grep -q "Invalid argument" <<<"$err"

# the seed's pending change, written through the mount
printf '\n        ALTER TABLE policies \n        ADD COLUMN priority INTEGER DEFAULT 0,\n        ADD INDEX idx_policies_priority (priority);\n' \
	>"$M/pending/policies.sql"
check_eq "pending listing" policies.sql "$(ls "$M/pending")"
check_line "$M/check" "migrations/pending/policies.sql:4:9: error: MySQL syntax: ADD INDEX is not PostgreSQL; use CREATE INDEX"
dump >"$WORK/before.sql"
write_control "$M/control" apply
check "a refused apply is EIO (rc=$rc: $err)" \
	bash -c '[ "$1" -ne 0 ] && [[ $2 == *"Input/output error"* ]]' _ "$rc" "$err"
check_contains "$M/status" "state: refused"
dump >"$WORK/after.sql"
check_file_eq "a refused apply leaves the database" "$WORK/before.sql" "$WORK/after.sql"
check_fails "script-friendly failure" write_to "$M/control" apply
check_contains "$M/status" "error: migrations/pending/policies.sql:4:9"   # names the problem

# fixed, with the declaration edited in the mount
printf 'ALTER TABLE policies ADD COLUMN priority INTEGER DEFAULT 0;\n' >"$M/pending/policies.sql"
printf 'ALTER TABLE policies DROP COLUMN priority;\n' >"$M/pending/policies.down.sql"
add_column_to "$A/schemas/policies.yaml" 1.1.0 <<'EOF'
  - name: priority
    type: INTEGER
    default: 0
EOF
check "check after the fix" write_to "$M/control" check
check "apply after the fix" write_to "$M/control" apply
run=$(sed -n 's/^run: //p' "$M/status")
check_eq "pending emptied" "" "$(ls "$M/pending")"
check_eq "applied/$run" "policies.down.sql policies.sql " "$(ls "$M/applied/$run" | tr '\n' ' ')"
check_contains "$M/applied/$run/policies.sql" 'ADD COLUMN priority'   # the archived bytes
check_contains "$M/plan" "nothing to do"

# progress while a run waits, and EBUSY from a second mount on the target
add_column_to "$A/schemas/users.yaml" 1.1.0 <<'EOF'
  - name: nickname
    type: VARCHAR(50)
EOF
hold_lock users
(echo apply >"$M/control") 2>"$WORK/first.err" &
first=$!
BG_PIDS+=("$first")
wait_blocked
# a reader never waits for the running command (FS_TEXT_LIVE: direct_io, noflush)
check "reading control does not block while running" \
	bash -c 'timeout 10 cat "$1" >"$2"' _ "$M/control" "$WORK/control"
check_line "$WORK/control" "running apply: step 1 of 1: users: add column 'nickname'"
check_line "$M/status" "progress: step 1 of 1: users: add column 'nickname'"
check_line "$M/status" "state: running"
B=$WORK/b
mount_pg "$WORK/b.db" "$B"
write_control "$B/migrations/control" apply
check "a second mount's apply is EBUSY (rc=$rc: $err)" \
	bash -c '[ "$1" -ne 0 ] && [[ $2 == *"Device or resource busy"* ]]' _ "$rc" "$err"
check_contains "$B/migrations/status" "state: busy"
run 1 sfs migrate --db "$WORK/a.db" apply   # the CLI on the same store
check_has "busy"
release_lock
check "the first apply succeeds" wait "$first"
check_empty "$WORK/first.err"
check_eq "the first apply is the third that succeeded" 3 "$(grep -c $'\tapply\tsucceeded\t' "$M/log")"
check_eq "nickname added" 1 "$(column_count nickname)"

# rollback: database and registry, visible in schemas/ at once
check "rollback" write_to "$M/control" rollback
check_contains "$M/status" "undoes run: "
check_fails "users.yaml restored in the mount" grep -q nickname "$A/schemas/users.yaml"
check_eq "nickname gone" 0 "$(column_count nickname)"
check "rollback of the pending run" write_to "$M/control" rollback
check_eq "priority gone" 0 "$(column_count priority)"
check_fails "policies.yaml restored" grep -q 'name: priority' "$A/schemas/policies.yaml"
check_eq "log lines" 8 "$(grep -c . "$M/log")"

# both daemons exit 0 with nothing on stderr
unmount_fs "$B"
unmount_fs "$A"
