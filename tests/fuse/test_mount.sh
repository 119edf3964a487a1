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

# the database as -o db=FILE (fstab, systemd), and as mount.fuse3's source
R2=$WORK/r2.db
"$BIN" import --db "$R2" "$SCHEMAFS_EXAMPLES" >/dev/null 2>&1
mount_cmd "$MNT" "$BIN" -f -o fsname=schemafs-db-opt,db="$R2" "$MNT"
check "-o db=: the registry is served" cmp "$MNT/schemas/users.yaml" "$SCHEMAFS_EXAMPLES/users.yaml"
check "-o db=: the other -o options still reach FUSE" grep -q "^schemafs-db-opt $MNT fuse" /proc/mounts
unmount_fs
mount_cmd "$MNT" "$BIN" "$R2" "$MNT" -f -o rw
check "DATABASE MOUNTPOINT: the registry is served" \
	cmp "$MNT/schemas/users.yaml" "$SCHEMAFS_EXAMPLES/users.yaml"
unmount_fs
# through mount.fuse3 as /etc/fstab does (mount(8) resets PATH for its
# helper, so there the program is named by its path: PROG#SOURCE)
daemon_mount_check() { # WHAT CMD...: CMD mounts R2 at MNT in the background
	local what=$1
	shift
	check "$what" "$@"
	check "$what: serves" wait_until 20 test -e "$MNT/README"
	check "$what: the database is the source" \
		cmp "$MNT/schemas/users.yaml" "$SCHEMAFS_EXAMPLES/users.yaml"
	check "$what: unmounts" fusermount3 -u "$MNT"
	check "$what: daemon gone" wait_until 20 bash -c "! pgrep -f \"^[^ ]*schemafs $R2 $MNT\" >/dev/null"
}
if command -v mount.fuse3 >/dev/null; then
	mkdir -p "$WORK/path"
	ln -s "$(readlink -f "$BIN")" "$WORK/path/schemafs"
	daemon_mount_check "mount.fuse3 DB MNT -t fuse.schemafs" \
		env PATH="$WORK/path:$PATH" mount.fuse3 "$R2" "$MNT" -t fuse.schemafs -o loglevel=warning
	if [ "$(id -u)" -eq 0 ]; then
		daemon_mount_check "mount -t fuse PROG#DB MNT" \
			mount -t fuse "$WORK/path/schemafs#$R2" "$MNT" -o loglevel=warning
	else
		skip_part "root (mount -t fuse)"
	fi
else
	skip_part "mount.fuse3"
fi

# a new database: --create makes its directories; nothing is seeded unless asked
mount_cmd "$MNT" "$BIN" mount --create --db "$WORK/made/here/r.db" -f "$MNT"
check_eq "a new registry starts empty" "" "$(ls "$MNT/schemas")"
check_contains "${DAEMON_ERR[$MNT]}" "schemafs: creating a new registry at $WORK/made/here/r.db"
unmount_fs
mount_cmd "$MNT" "$BIN" mount --seed --db "$WORK/seeded.db" -f "$MNT"
check_eq "--seed: the shipped examples" 5 "$(ls "$MNT/schemas" | wc -l)"
unmount_fs

# the log: under -f one line per save, refusal and migration command on stderr
log_lines() { # ERE: how many lines of the daemon's stderr match
	grep -cE -- "$1" "${DAEMON_ERR[$MNT]}"
}
mount_cmd "$MNT" env SCHEMAFS_TARGET="host=$WORK/no-server dbname=x" \
	"$BIN" --db "$DB" -f "$MNT"
users_valid 9.1.0 >"$MNT/schemas/users.yaml"
check_eq "a save: one line" 1 \
	"$(log_lines '^schemafs: info: schemas/users\.yaml: saved as revision [0-9]+ \(uid [0-9]+, pid [0-9]+\)$')"
users_invalid >"$WORK/bad.yaml"
cp "$WORK/bad.yaml" "$MNT/schemas/users.yaml" 2>/dev/null
check_eq "a refusal: one line, with the place" 1 \
	"$(log_lines "^schemafs: info: schemas/users\.yaml: save refused: schemas/users\.yaml:$(users_invalid_where): error: unknown key 'nulable'")"
echo plan >"$MNT/migrations/control" 2>/dev/null
check_eq "a migration command: one line" 1 \
	"$(log_lines '^schemafs: info: migrations/control: plan: failed: cannot connect to ')"
check_eq "nothing else" 3 "$(wc -l <"${DAEMON_ERR[$MNT]}")"
unmount_fs
# -o loglevel=warning: none of them; a level that does not exist is a usage error
mount_fs -o loglevel=warning
users_valid 9.2.0 >"$MNT/schemas/users.yaml"
check_eq "loglevel=warning: no info line" 0 "$(log_lines 'info:')"
unmount_fs
run 2 "$BIN" --db "$DB" -f -o loglevel=chatty "$MNT"
check_has "-o loglevel=chatty: the levels are error, warning, info, debug"
