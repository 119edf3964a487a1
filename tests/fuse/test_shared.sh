#!/bin/bash
# Two mounts on one SQLite file (issue 11, docs/store.md "Consistency"):
# a save through A is seen by B within a second in every view; of two
# saves based on one revision exactly one wins and the other fails; a CLI
# import while mounted is seen; a second daemon on a mountpoint is refused;
# a database file deleted under a mount makes saves fail.
. "$(dirname "$0")/../lib.sh"
need_fuse python3
A=$WORK/a
B=$WORK/b
mount_cmd "$A" "$BIN" --db "$DB" -f "$A"
mount_cmd "$B" "$BIN" --db "$DB" -f "$B"

# ---- a save in A, read in B ----
users_valid 7.7.7 >"$A/schemas/users.yaml" || fail "save users 7.7.7 in A"
seen_in_b() { grep -q '^version: 7.7.7' "$B/schemas/users.yaml"; }
check "B sees A's save within 1.5 s" wait_until 2 seen_in_b
check_eq "B's size is A's" "$(stat -c %s "$A/schemas/users.yaml")" \
	"$(stat -c %s "$B/schemas/users.yaml")"
check_contains "$B/docs/schema.md" "7.7.7"
check "B's history has the revision" bash -c 'ls "$1"/history/users | grep -q .' _ "$B"
cat >"$A/schemas/shared1.yaml" <<'Y'
name: shared1
owner: shared-team
version: 1.0.0
columns:
  - name: id
    type: UUID
    primary_key: true
  - name: user_id
    type: UUID
references:
  - schema: users
    column: id
    foreign_key: user_id
Y
has_shared() { [ -e "$B/schemas/shared1.yaml" ] && grep -q shared1 "$B/graph"; }
check "a new schema reaches B's schemas/ and graph" wait_until 2 has_shared
check_contains "$B/dependents/users" "shared-team"
check_contains "$B/migration_order" "shared1"
check "B's history lists shared1" test -d "$B/history/shared1"
rm "$A/schemas/shared1.yaml"
gone_in_b() { [ ! -e "$B/schemas/shared1.yaml" ] && ! grep -q shared1 "$B/graph"; }
check "a removal reaches B within 1.5 s" wait_until 2 gone_in_b

# ---- concurrent saves: both based on one revision ----
cat >"$WORK/race.py" <<'PY'
import os, sys
a, b, body_a, body_b = sys.argv[1:5]
fa = os.open(a, os.O_WRONLY | os.O_TRUNC)
fb = os.open(b, os.O_WRONLY | os.O_TRUNC)
os.write(fa, open(body_a, 'rb').read())
os.write(fb, open(body_b, 'rb').read())
res = []
for fd in (fa, fb):
    try:
        os.close(fd)
        res.append("ok")
    except OSError as e:
        res.append(os.strerror(e.errno))
print(" ".join(res))
PY
users_valid 8.0.1 >"$WORK/ua"
users_valid 8.0.2 >"$WORK/ub"
sleep 1.2 # both mounts hold the same revision
got=$(python3 "$WORK/race.py" "$A/schemas/users.yaml" "$B/schemas/users.yaml" "$WORK/ua" "$WORK/ub")
check_eq "exactly one of two saves on one revision wins" "ok Device or resource busy" "$got"
check_contains "$B/validation" "another process saved revision"
settled() { grep -q '^version: 8.0.1' "$B/schemas/users.yaml"; }
check "the winner is what both mounts show" wait_until 2 settled
check "A shows the winner" grep -q '^version: 8.0.1' "$A/schemas/users.yaml"
last=$(ls "$A/history/users" | sort -V | tail -1)
check_contains "$A/history/users/$last" "version: 8.0.1"
check "history holds no 8.0.2" bash -c '! grep -rq "version: 8.0.2" "$1/history/users"' _ "$A"
# read again, save again: accepted
sleep 1.2
users_valid 8.0.3 >"$B/schemas/users.yaml" || fail "a save after reading again"
check "B's save after reading again is accepted" grep -q '^version: 8.0.3' "$B/schemas/users.yaml"

# ---- schemafs import --db while mounted ----
mkdir -p "$WORK/imp"
cp "$SCHEMAFS_EXAMPLES"/*.yaml "$WORK/imp/"
sed -i 's/^version: .*/version: 9.9.9/' "$WORK/imp/users.yaml"
run 0 "$BIN" import --db "$DB" "$WORK/imp"
imported() { grep -q '^version: 9.9.9' "$A/schemas/users.yaml" &&
	grep -q '^version: 9.9.9' "$B/schemas/users.yaml"; }
check "an import is seen by both mounts within 1.5 s" wait_until 2 imported

# ---- a second daemon on a mountpoint ----
run 1 "$BIN" --db "$WORK/other.db" -f "$A"
check_has "already mounted by another schemafs daemon"
check "the first daemon still serves" test -e "$A/README"

# ---- the database file deleted under the mounts ----
allow_stderr 'the database file was deleted or replaced'
rm -f "$DB" "$DB-wal" "$DB-shm"
check_fails "a save after the database was deleted fails" \
	bash -c 'users_valid() { sed -e "s/^version: .*/version: $1/" "$SCHEMAFS_EXAMPLES/users.yaml"; };
		users_valid 10.0.0 >"$1/schemas/users.yaml"' _ "$A"
check_fails "an unlink fails too" rm "$B/schemas/users.yaml"
unmount_fs "$A"
unmount_fs "$B"
check_contains "$WORK/$(basename "$(ls "$WORK"/daemon.*.err | head -1)")" \
	"the database file was deleted or replaced"
