#!/bin/bash
# Mounting and unmounting: signals, fusermount3 -u, -o passthrough, the
# default database, daemon mode, a database that is not ours.
. "$(dirname "$0")/../lib.sh"
need_fuse sqlite3

# SIGTERM and SIGINT unmount cleanly (exit 0, nothing on stderr)
for sig in TERM INT; do
	mount_fs
	kill -$sig "$(daemon_pid)"
	daemon_wait "SIG$sig"   # exit status 0, unmounted, nothing on stderr
done

# fusermount3 -u (unmount_fs checks the exit status and stderr)
mount_fs
unmount_fs
check "fusermount3 -u: unmounted" bash -c '! mountpoint -q "$1"' _ "$MNT"
# the WAL stays beside the database (a commit that overwrites it in place is
# cheaper than one that grows it), with nothing in it the database lacks
check "the WAL is kept between mounts" test -e "$DB-wal"
db_alone_ok() { # a copy of the database file without its WAL
	cp "$DB" "$WORK/alone.db" &&
		python3 - "$WORK/alone.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("SELECT count(*) FROM current WHERE kind = 'schema'").fetchone()[0] == 5
EOF
}
check "the database alone passes integrity_check" db_alone_ok

# -o options reach FUSE; `schemafs mount ...` is the same command
mount_cmd "$MNT" "$BIN" mount --db "$DB" -f -o fsname=schemafs-test-fs "$MNT"
check "-o fsname= passes through" grep -q "^schemafs-test-fs $MNT fuse" /proc/mounts
unmount_fs

# daemon mode (no -f): returns once mounted, unmounts with fusermount3
check "daemon mode mounts" "$BIN" --db "$DB" "$MNT"
check "daemon mode serves" wait_until 20 test -e "$MNT/README"
check "daemon mode: schemas readable" cmp "$MNT/schemas/users.yaml" "$SCHEMAFS_EXAMPLES/users.yaml"
check "daemon mode: a save works" cp "$SCHEMAFS_EXAMPLES/users.yaml" "$MNT/schemas/users.yaml"
check "daemon mode unmounts" fusermount3 -u "$MNT"
check "daemon gone" wait_until 20 bash -c "! pgrep -f \"^$BIN --db $DB\" >/dev/null"

# the default database: $SCHEMAFS_DB, else XDG_DATA_HOME/schemafs/registry.db
# (its directory is created), the examples imported once
mount_cmd "$MNT" env -u SCHEMAFS_DB XDG_DATA_HOME="$WORK/xdg" "$BIN" --examples "$SCHEMAFS_EXAMPLES" -f "$MNT"
ls "$MNT/schemas" >"$WORK/default.ls"
unmount_fs
check "default db created under XDG_DATA_HOME" test -s "$WORK/xdg/schemafs/registry.db"
check_eq "default db got the examples" "5" "$(wc -l <"$WORK/default.ls")"

# an emptied registry is not re-filled with the examples
mount_fs
rm "$MNT/schemas/"*.yaml
unmount_fs
mount_fs
check_eq "an emptied registry stays empty" "" "$(ls "$MNT/schemas")"
unmount_fs

# a file that is not a schemafs database is refused, untouched
printf 'not a database, keep me\n' >"$WORK/foreign.db"
cp "$WORK/foreign.db" "$WORK/foreign.orig"
out=$("$BIN" --db "$WORK/foreign.db" -f "$MNT" 2>&1); rc=$?
check "a foreign file: exit non-zero ($rc)" [ "$rc" != 0 ]
check "a foreign file: says which file ($out)" grep -q "foreign.db" <<<"$out"
check "a foreign file: untouched" cmp "$WORK/foreign.db" "$WORK/foreign.orig"
check "a foreign file: not mounted" bash -c '! mountpoint -q "$1"' _ "$MNT"
sqlite3 "$WORK/other.db" 'CREATE TABLE t(x); INSERT INTO t VALUES (1);'
cp "$WORK/other.db" "$WORK/other.orig"
out=$("$BIN" --db "$WORK/other.db" -f "$MNT" 2>&1); rc=$?
check "another program's SQLite file: refused ($out)" [ "$rc" != 0 ]
check "another program's SQLite file: untouched" cmp "$WORK/other.db" "$WORK/other.orig"

# usage errors
"$BIN" --db "$DB" >/dev/null 2>&1; rc=$?
check_eq "no mountpoint: exit 2" 2 "$rc"
