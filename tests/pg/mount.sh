#!/usr/bin/env bash
# migrations/ through the mount: the control file returns when the command
# is done and fails when it fails (EIO), an unknown command is EINVAL, a
# concurrent apply from another mount is EBUSY, reading control shows
# "step k of n" while a run is going, pending/ and applied/ hold the
# scripts, and a rollback shows in schemas/ at once.
. "$(dirname "$0")/lib.sh"

[ -e /dev/fuse ] && command -v fusermount3 >/dev/null || missing "FUSE is not available"
# editors and tools behave differently under /tmp: mount elsewhere
mnt_base=$(mktemp -d /var/tmp/schemafs-pgmount.XXXXXX)
mounts=()
mount_fs() { # DB MOUNTPOINT
	mkdir -p "$2"
	SCHEMAFS_LOCK_TIMEOUT=60000 "$bin" --db "$1" -f "$2" >"$2.log" 2>&1 &
	daemons+=("$!")
	mounts+=("$2")
	for _ in $(seq 100); do
		mountpoint -q "$2" && return 0
		sleep 0.1
	done
	cat "$2.log" >&2
	fail "mount of $2 did not come up"
}
daemons=()
# unmounting ends a daemon cleanly (its exit status and any sanitizer
# report count); only one that hangs is killed
unmount_all() {
	set +e
	for m in "${mounts[@]}"; do fusermount3 -u -z "$m" 2>/dev/null; done
	for pid in "${daemons[@]}"; do
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill "$pid" 2>/dev/null
	done
	rm -rf "$mnt_base"
}
trap 'unmount_all; cleanup' EXIT

# write_control FILE COMMAND: $rc is the write's status, $err what it said.
write_control() {
	set +e
	err=$(echo "$2" 2>&1 >"$1")
	rc=$?
	set -e
}

A=$mnt_base/a
mount_fs "$work/a.db" "$A"   # a new store: the examples are imported
M=$A/migrations
[ "$(ls "$M" | tr '\n' ' ')" = "README applied check control impact log pending plan plan.json status " ] ||
	fail "migrations/ listing: $(ls "$M")"
# the root README points here; every file in the listing is explained
for f in pending/ plan check impact control status log applied/; do
	grep -q "^$f" "$M/README" || fail "migrations/README does not explain $f"
done
echo x >"$M/README" 2>/dev/null && fail "migrations/README is writable"
grep -q '^idle$' "$M/control" || fail "control when idle"
grep -q $'^1\tuser-service\tusers\t-\tcreate table' "$M/plan" || fail "plan"
echo apply >"$M/control" || fail "apply through control"
grep -q "state: succeeded" "$M/status" || fail "status after apply"
[ "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'policies', 'applications', 'audit_logs', 'notifications')")" = 5 ] ||
	fail "tables after apply"
grep -q "last command: apply (done)" "$M/control" || fail "control after apply"

# unknown command: EINVAL; a failed command: EIO
write_control "$M/control" frobnicate
[[ $err == *"Invalid argument"* ]] || fail "unknown command: $err"

# the seed's pending change, written through the mount
printf '\n        ALTER TABLE policies \n        ADD COLUMN priority INTEGER DEFAULT 0,\n        ADD INDEX idx_policies_priority (priority);\n' \
	>"$M/pending/policies.sql"
[ "$(ls "$M/pending")" = policies.sql ] || fail "pending listing"
grep -q "^migrations/pending/policies.sql:4:9: error: MySQL syntax: ADD INDEX is not PostgreSQL; use CREATE INDEX$" "$M/check" ||
	{ cat "$M/check"; fail "check of the MySQL syntax"; }
dump >"$work/before.sql"
write_control "$M/control" apply
[ $rc -ne 0 ] && [[ $err == *"Input/output error"* ]] || fail "refused apply: rc=$rc $err"
grep -q "state: refused" "$M/status" || fail "status of the refused apply"
dump >"$work/after.sql"
diff -u "$work/before.sql" "$work/after.sql" || fail "refused apply changed the database"
echo apply >"$M/control" 2>/dev/null && fail "script-friendly failure"
grep -q "error: migrations/pending/policies.sql:4:9" "$M/status" || fail "status names the problem"

# fixed, with the declaration edited in the mount
printf 'ALTER TABLE policies ADD COLUMN priority INTEGER DEFAULT 0;\n' >"$M/pending/policies.sql"
printf 'ALTER TABLE policies DROP COLUMN priority;\n' >"$M/pending/policies.down.sql"
add_column_to "$A/schemas/policies.yaml" <<'EOF'
  - name: priority
    type: INTEGER
    default: 0
EOF
echo check >"$M/control" || { cat "$M/check"; fail "check after the fix"; }
echo apply >"$M/control" || { cat "$M/status"; fail "apply after the fix"; }
run=$(sed -n 's/^run: //p' "$M/status")
[ -z "$(ls "$M/pending")" ] || fail "pending not emptied"
[ "$(ls "$M/applied/$run" | tr '\n' ' ')" = "policies.down.sql policies.sql " ] || fail "applied/$run"
grep -q 'ADD COLUMN priority' "$M/applied/$run/policies.sql" || fail "archived bytes"
grep -q "nothing to do" "$M/plan" || { cat "$M/plan"; fail "plan after apply"; }

# progress while a run waits, and EBUSY from a second mount on the target
add_column_to "$A/schemas/users.yaml" <<'EOF'
  - name: nickname
    type: VARCHAR(50)
EOF
hold_lock users
(echo apply >"$M/control") 2>"$work/first.err" &
first=$!
bg_pids="$bg_pids $first"
wait_blocked
# a reader never waits for the running command (FS_TEXT_LIVE: direct_io, noflush)
timeout 10 cat "$M/control" >"$work/control" || fail "reading control blocked while running"
grep -qx "running apply: step 1 of 1: users: add column 'nickname'" "$work/control" ||
	{ cat "$work/control"; fail "control while running"; }
grep -qx "progress: step 1 of 1: users: add column 'nickname'" "$M/status" ||
	{ cat "$M/status"; fail "status while running"; }
grep -qx "state: running" "$M/status" || fail "state while running"
B=$mnt_base/b
mount_fs "$work/b.db" "$B"
write_control "$B/migrations/control" apply
[ $rc -ne 0 ] && [[ $err == *"Device or resource busy"* ]] || fail "second mount: rc=$rc $err"
grep -q "state: busy" "$B/migrations/status" || fail "status of the busy apply"
expect_rc 1 sfs migrate --db "$work/a.db" apply   # the CLI on the same store
contains "busy"
release_lock
wait "$first" || { cat "$work/first.err"; fail "the first apply failed"; }
bg_pids=${bg_pids/ $first/}
[ "$(grep -c $'\tapply\tsucceeded\t' "$M/log")" = 3 ] || { cat "$M/log"; fail "first apply"; }
[ "$(column_count nickname)" = 1 ] || fail "nickname missing"

# rollback: database and registry, visible in schemas/ at once
echo rollback >"$M/control" || { cat "$M/status"; fail "rollback"; }
grep -q "undoes run: " "$M/status" || fail "rollback status"
grep -q nickname "$A/schemas/users.yaml" && fail "users.yaml not restored in the mount"
[ "$(column_count nickname)" = 0 ] || fail "nickname still there"
echo rollback >"$M/control" || { cat "$M/status"; fail "rollback of the pending run"; }
[ "$(column_count priority)" = 0 ] || fail "priority still there"
grep -q 'name: priority' "$A/schemas/policies.yaml" && fail "policies.yaml not restored"
grep -c . "$M/log" | grep -qx 8 || { cat "$M/log"; fail "log"; }
echo "ok: $test_name"
