#!/usr/bin/env bash
# schemafs import / export end to end (cli/cmd_store.c, backends/store.c):
# byte-exact round trips, refusals with file:line:col, what export
# overwrites and what it leaves, foreign database files, default db path.
. "$(dirname "$0")/lib.sh"
unset SCHEMAFS_DB

same_tree() { # A B: the same file names, byte-identical
	(cd "$1" && ls -A) >"$WORK/la"
	(cd "$2" && ls -A) >"$WORK/lb"
	check_file_eq "$1 and $2 list the same files" "$WORK/la" "$WORK/lb"
	for f in $(cat "$WORK/la"); do
		check_file_eq "$2/$f is $1/$f" "$1/$f" "$2/$f"
	done
}

inode() { stat -c %i "$1"; }

# --- the seed's examples: import, export, byte-exact -----------------------
DB="$WORK/db/nested/registry.db"
run 0 "$BIN" import --db "$DB" "$SRC/examples/aegis"
check_line "$WORK/out" "imported 6 files from $SRC/examples/aegis: 6 stored, 0 unchanged, 0 refused"
check "import creates $DB (with its parent directories)" [ -f "$DB" ]
run 0 "$BIN" export --db "$DB" "$WORK/aegis"
check_line "$WORK/out" "exported 6 files to $WORK/aegis: 6 written, 0 unchanged"
same_tree "$SRC/examples/aegis" "$WORK/aegis"

# importing the same bytes again adds no revisions
run 0 "$BIN" import --db="$DB" "$SRC/examples/aegis"
check_line "$WORK/out" "imported 6 files from $SRC/examples/aegis: 0 stored, 6 unchanged, 0 refused"

# --- comments and odd formatting survive byte for byte ---------------------
ODD="$WORK/odd"
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

DB2="$WORK/odd.db"
run 0 "$BIN" import --db "$DB2" "$ODD"
check_line "$WORK/out" "imported 3 files from $ODD: 3 stored, 0 unchanged, 0 refused"
run 0 "$BIN" export --db "$DB2" "$WORK/odd-out"
for f in registry.yaml users.yaml notes.yaml; do
	check_file_eq "odd/$f byte-exact after import and export" "$ODD/$f" "$WORK/odd-out/$f"
done
check "an editor backup is not imported" [ ! -e "$WORK/odd-out/users.yaml~" ]
check_eq "export writes the 3 files" "notes.yaml registry.yaml users.yaml" "$(ls_line "$WORK/odd-out")"

# --- refused files: reported with file:line:col, the rest imported ---------
BAD="$WORK/bad"
mkdir -p "$BAD"
cp "$SRC/examples/aegis/users.yaml" "$SRC/examples/aegis/policies.yaml" "$BAD/"
printf 'name: typo\nowner: x\ncolumns:\n  - name: id\n    type: UUID\n    nulable: false\n' >"$BAD/typo.yaml"
printf 'name: other\nowner: x\ncolumns:\n  - name: id\n    type: UUID\n' >"$BAD/wrongname.yaml"
printf 'name: [broken\n' >"$BAD/broken.yaml"
printf 'name: bad\ntarge: x\n' >"$BAD/registry.yaml"
DB3="$WORK/bad.db"
run 1 "$BIN" import --db "$DB3" "$BAD"
check_line "$WORK/out" "imported 2 files from $BAD: 2 stored, 0 unchanged, 4 refused"
check_contains "$WORK/err" "$BAD/registry.yaml:2:1: error: unknown key 'targe'"
check_contains "$WORK/err" "$BAD/typo.yaml:6:5: error: unknown key 'nulable'"
check_contains "$WORK/err" "$BAD/wrongname.yaml:1:7: error: "
check_contains "$WORK/err" "$BAD/broken.yaml:2:1: error: "
run 0 "$BIN" export --db "$DB3" "$WORK/bad-out"
check "the valid files of a refused import are there" \
	test -f "$WORK/bad-out/users.yaml" -a -f "$WORK/bad-out/policies.yaml"
check "a refused file is not imported" [ ! -e "$WORK/bad-out/typo.yaml" ]

# --prune unregisters what has no file any more, but keeps a schema whose
# file is present and refused
rm "$BAD/policies.yaml" "$BAD/registry.yaml"
printf 'name: users\nowner: [oops\n' >"$BAD/users.yaml"
run 1 "$BIN" import --db "$DB3" --prune "$BAD"
check_contains "$WORK/out" "1 unregistered"
rm -rf "$WORK/bad-out"
run 0 "$BIN" export --db "$DB3" "$WORK/bad-out"
check "--prune keeps a schema whose file was refused" [ -f "$WORK/bad-out/users.yaml" ]
check "--prune removes a schema without a file" [ ! -e "$WORK/bad-out/policies.yaml" ]
check_file_eq "a refused re-import leaves users" "$SRC/examples/aegis/users.yaml" "$WORK/bad-out/users.yaml"

# --- export: overwrites what it owns, keeps everything else ----------------
OUT="$WORK/aegis"
printf 'changed by hand\n' >"$OUT/users.yaml"
printf 'name: local\n' >"$OUT/local.yaml"
printf 'notes\n' >"$OUT/README"
before=$(inode "$OUT/policies.yaml")
run 0 "$BIN" export --db "$DB" "$OUT"
check_line "$WORK/out" "exported 6 files to $OUT: 1 written, 5 unchanged"
check_line "$WORK/err" "schemafs: warning: '$OUT/local.yaml' is not in the registry; left in place"
check_file_eq "export restores users.yaml" "$SRC/examples/aegis/users.yaml" "$OUT/users.yaml"
check_eq "export leaves a file it does not own" "name: local" "$(cat "$OUT/local.yaml")"
check "export keeps README" [ -f "$OUT/README" ]
check_eq "export does not rewrite an unchanged file (inode)" "$before" "$(inode "$OUT/policies.yaml")"
check_eq "export leaves no temp files" "" "$(ls -A "$OUT" | grep '^\.')"

# --- foreign and missing database files are refused, never written --------
printf 'my notes, not a database\n' >"$WORK/notes.txt"
cp "$WORK/notes.txt" "$WORK/notes.orig"
run 1 "$BIN" import --db "$WORK/notes.txt" "$SRC/examples/aegis"
check_line "$WORK/err" "schemafs: $WORK/notes.txt: not a schemafs database (file is not a database)"
check_file_eq "import does not write to a foreign file" "$WORK/notes.orig" "$WORK/notes.txt"
run 1 "$BIN" export --db "$WORK/notes.txt" "$WORK/x"
check_file_eq "export does not write to a foreign file" "$WORK/notes.orig" "$WORK/notes.txt"
check "export does not create its directory from a foreign database" [ ! -e "$WORK/x" ]
run 1 "$BIN" import --db "$WORK" "$SRC/examples/aegis"
check_line "$WORK/err" "schemafs: $WORK: not a schemafs database (not a regular file)"
run 1 "$BIN" export --db "$WORK/none.db" "$WORK/y"
check "export does not create a database" [ ! -e "$WORK/none.db" ]
check_contains "$WORK/err" "$WORK/none.db: No such file or directory"

# --- usage --------------------------------------------------------------
run 2 "$BIN" import
run 2 "$BIN" import --db
run 2 "$BIN" export a b
run 2 "$BIN" export --bogus "$WORK/z"
run 1 "$BIN" import --db "$WORK/u.db" "$WORK/does-not-exist"
check_contains "$WORK/err" "cannot read directory '$WORK/does-not-exist'"

# --- the default database: $SCHEMAFS_DB, else XDG_DATA_HOME ---------------
XDG_DATA_HOME="$WORK/xdg" run 0 "$BIN" import "$SRC/examples/aegis"
check "the default db is \$XDG_DATA_HOME/schemafs/registry.db" [ -f "$WORK/xdg/schemafs/registry.db" ]
SCHEMAFS_DB="$WORK/env.db" run 0 "$BIN" import "$SRC/examples/aegis"
check "\$SCHEMAFS_DB is used" [ -f "$WORK/env.db" ]
XDG_DATA_HOME= HOME="$WORK/home" run 1 "$BIN" export "$WORK/home-out"
check_line "$WORK/err" "schemafs: $WORK/home/.local/share/schemafs/registry.db: No such file or directory"

