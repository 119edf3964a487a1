#!/bin/sh
# schemafs import / export end to end (cli/cmd_store.c, backends/store.c):
# byte-exact round trips, refusals with file:line:col, what export
# overwrites and what it leaves, foreign database files, default db path.
set -u

BIN=${SCHEMAFS_BIN:?SCHEMAFS_BIN is not set}
SRC=${SCHEMAFS_SRC:?SCHEMAFS_SRC is not set}
T=$(mktemp -d "${TMPDIR:-/tmp}/schemafs-cli-store-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
unset SCHEMAFS_DB
. "$SRC/tests/cli/lib.sh"

expect_line() { # FILE LINE: LINE is one whole line of FILE
	grep -qxF -- "$2" "$1" || { fail "missing line in $(basename "$1"): $2"; sed 's/^/  | /' "$1" >&2; }
}

expect_text() { # FILE TEXT: TEXT appears in FILE
	grep -qF -- "$2" "$1" || { fail "missing text in $(basename "$1"): $2"; sed 's/^/  | /' "$1" >&2; }
}

same_tree() { # A B: the same file names, byte-identical
	(cd "$1" && ls -A) >"$T/la"
	(cd "$2" && ls -A) >"$T/lb"
	cmp -s "$T/la" "$T/lb" || { fail "$1 and $2 list different files"; diff "$T/la" "$T/lb" >&2; }
	for f in $(cat "$T/la"); do
		cmp -s "$1/$f" "$2/$f" || fail "$2/$f differs from $1/$f"
	done
}

inode() { stat -c %i "$1"; }

# --- the seed's examples: import, export, byte-exact -----------------------
DB="$T/db/nested/registry.db"
run 0 "$BIN" import --db "$DB" "$SRC/examples/aegis"
expect_line "$T/out" "imported 6 files from $SRC/examples/aegis: 6 stored, 0 unchanged, 0 refused"
[ -f "$DB" ] || fail "import did not create $DB (with its parent directories)"
run 0 "$BIN" export --db "$DB" "$T/aegis"
expect_line "$T/out" "exported 6 files to $T/aegis: 6 written, 0 unchanged"
same_tree "$SRC/examples/aegis" "$T/aegis"

# importing the same bytes again adds no revisions
run 0 "$BIN" import --db="$DB" "$SRC/examples/aegis"
expect_line "$T/out" "imported 6 files from $SRC/examples/aegis: 0 stored, 6 unchanged, 0 refused"

# --- comments and odd formatting survive byte for byte ---------------------
ODD="$T/odd"
mkdir -p "$ODD"
# a comment header, a document marker, flow lists, quoted scalars, extra
# blank lines, trailing spaces, Korean text, no final newline
printf '%s\n' \
	'# registry metadata, hand written' \
	'name: odd   # trailing comment' \
	"description: '홀수 — odd formatting'" >"$ODD/registry.yaml"
printf '%s\n' \
	'%YAML 1.1' \
	'---' \
	'# the users table' \
	'name:   users' \
	'owner: "user-service"' \
	'' \
	'' \
	'columns:   ' \
	'  # primary key first' \
	'  - {name: id, type: UUID, nullable: false, primary_key: true}' \
	'  - name: email      # unique' \
	'    type: VARCHAR(255)' \
	'    nullable: false' \
	'    unique: true' \
	'    description: >-' \
	'      이메일' \
	'      주소' \
	'indexes: [{name: idx_users_email, columns: [email], unique: true}]' \
	'...' >"$ODD/users.yaml"
printf 'name: notes\r\nowner: note-service\r\ncolumns:\r\n  - name: id\r\n    type: BIGINT\r\n    primary_key: true\r\n    nullable: false\r\n# no final newline' >"$ODD/notes.yaml"
# editor leftovers are not schema files
printf 'garbage' >"$ODD/.users.yaml.swp"
printf 'garbage' >"$ODD/users.yaml~"
ln -s nowhere "$ODD/.#users.yaml"

DB2="$T/odd.db"
run 0 "$BIN" import --db "$DB2" "$ODD"
expect_line "$T/out" "imported 3 files from $ODD: 3 stored, 0 unchanged, 0 refused"
run 0 "$BIN" export --db "$DB2" "$T/odd-out"
for f in registry.yaml users.yaml notes.yaml; do
	cmp -s "$ODD/$f" "$T/odd-out/$f" || fail "odd/$f not byte-exact after import and export"
done
[ ! -e "$T/odd-out/users.yaml~" ] || fail "editor backup was imported"
[ "$(ls -A "$T/odd-out" | wc -l)" = 3 ] || fail "export wrote more than the 3 files: $(ls -A "$T/odd-out")"

# --- refused files: reported with file:line:col, the rest imported ---------
BAD="$T/bad"
mkdir -p "$BAD"
cp "$SRC/examples/aegis/users.yaml" "$SRC/examples/aegis/policies.yaml" "$BAD/"
printf 'name: typo\nowner: x\ncolumns:\n  - name: id\n    type: UUID\n    nulable: false\n' >"$BAD/typo.yaml"
printf 'name: other\nowner: x\ncolumns:\n  - name: id\n    type: UUID\n' >"$BAD/wrongname.yaml"
printf 'name: [broken\n' >"$BAD/broken.yaml"
printf 'name: bad\ntarge: x\n' >"$BAD/registry.yaml"
DB3="$T/bad.db"
run 1 "$BIN" import --db "$DB3" "$BAD"
expect_line "$T/out" "imported 2 files from $BAD: 2 stored, 0 unchanged, 4 refused"
expect_text "$T/err" "$BAD/registry.yaml:2:1: error: unknown key 'targe'"
expect_text "$T/err" "$BAD/typo.yaml:6:5: error: unknown key 'nulable'"
expect_text "$T/err" "$BAD/wrongname.yaml:1:7: error: "
expect_text "$T/err" "$BAD/broken.yaml:2:1: error: "
run 0 "$BIN" export --db "$DB3" "$T/bad-out"
[ -f "$T/bad-out/users.yaml" ] && [ -f "$T/bad-out/policies.yaml" ] || fail "valid files of a refused import are missing"
[ ! -e "$T/bad-out/typo.yaml" ] || fail "a refused file was imported"

# --prune unregisters what has no file any more, but keeps a schema whose
# file is present and refused
rm "$BAD/policies.yaml" "$BAD/registry.yaml"
printf 'name: users\nowner: [oops\n' >"$BAD/users.yaml"
run 1 "$BIN" import --db "$DB3" --prune "$BAD"
expect_text "$T/out" "1 unregistered"
rm -rf "$T/bad-out"
run 0 "$BIN" export --db "$DB3" "$T/bad-out"
[ -f "$T/bad-out/users.yaml" ] || fail "--prune removed a schema whose file was refused"
[ ! -e "$T/bad-out/policies.yaml" ] || fail "--prune kept a schema without a file"
cmp -s "$SRC/examples/aegis/users.yaml" "$T/bad-out/users.yaml" || fail "refused re-import changed users"

# --- export: overwrites what it owns, keeps everything else ----------------
OUT="$T/aegis"
printf 'changed by hand\n' >"$OUT/users.yaml"
printf 'name: local\n' >"$OUT/local.yaml"
printf 'notes\n' >"$OUT/README"
before=$(inode "$OUT/policies.yaml")
run 0 "$BIN" export --db "$DB" "$OUT"
expect_line "$T/out" "exported 6 files to $OUT: 1 written, 5 unchanged"
expect_line "$T/err" "schemafs: warning: '$OUT/local.yaml' is not in the registry; left in place"
cmp -s "$SRC/examples/aegis/users.yaml" "$OUT/users.yaml" || fail "export did not restore users.yaml"
[ "$(cat "$OUT/local.yaml")" = "name: local" ] || fail "export touched a file it does not own"
[ -f "$OUT/README" ] || fail "export deleted README"
[ "$(inode "$OUT/policies.yaml")" = "$before" ] || fail "export rewrote an unchanged file"
ls -A "$OUT" | grep -q '^\.' && fail "export left temp files: $(ls -A "$OUT")"

# --- foreign and missing database files are refused, never written --------
printf 'my notes, not a database\n' >"$T/notes.txt"
cp "$T/notes.txt" "$T/notes.orig"
run 1 "$BIN" import --db "$T/notes.txt" "$SRC/examples/aegis"
expect_line "$T/err" "schemafs: $T/notes.txt: not a schemafs database (file is not a database)"
cmp -s "$T/notes.txt" "$T/notes.orig" || fail "import wrote to a foreign file"
run 1 "$BIN" export --db "$T/notes.txt" "$T/x"
cmp -s "$T/notes.txt" "$T/notes.orig" || fail "export wrote to a foreign file"
[ ! -e "$T/x" ] || fail "export created its directory from a foreign database"
run 1 "$BIN" import --db "$T" "$SRC/examples/aegis"
expect_line "$T/err" "schemafs: $T: not a schemafs database (not a regular file)"
run 1 "$BIN" export --db "$T/none.db" "$T/y"
[ ! -e "$T/none.db" ] || fail "export created a database"
expect_text "$T/err" "$T/none.db: No such file or directory"

# --- usage --------------------------------------------------------------
run 2 "$BIN" import
run 2 "$BIN" import --db
run 2 "$BIN" export a b
run 2 "$BIN" export --bogus "$T/z"
run 1 "$BIN" import --db "$T/u.db" "$T/does-not-exist"
expect_text "$T/err" "cannot read directory '$T/does-not-exist'"

# --- the default database: $SCHEMAFS_DB, else XDG_DATA_HOME ---------------
XDG_DATA_HOME="$T/xdg" run 0 "$BIN" import "$SRC/examples/aegis"
[ -f "$T/xdg/schemafs/registry.db" ] || fail "default db not at \$XDG_DATA_HOME/schemafs/registry.db"
SCHEMAFS_DB="$T/env.db" run 0 "$BIN" import "$SRC/examples/aegis"
[ -f "$T/env.db" ] || fail "\$SCHEMAFS_DB not used"
XDG_DATA_HOME= HOME="$T/home" run 1 "$BIN" export "$T/home-out"
expect_line "$T/err" "schemafs: $T/home/.local/share/schemafs/registry.db: No such file or directory"

finish "cli_store: all checks passed"
