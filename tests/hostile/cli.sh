#!/usr/bin/env bash
# Hostile input through the CLI (docs/security.md): what issue 12 found and
# what it found to hold. Every command runs under a timeout: a hang is a
# failure, not a stuck test.
. "$(dirname "$0")/../lib.sh"

T=20 # seconds any one command may take

# hostile_dir NAME: a fresh directory $WORK/NAME
hostile_dir() {
	rm -rf "${WORK:?}/$1"
	mkdir -p "$WORK/$1"
	echo "$WORK/$1"
}

# tcheck WANT ARGS...: schemafs ARGS under the timeout, exit status WANT
tcheck() {
	local want=$1
	shift
	run "$want" timeout "$T" "$BIN" "$@"
}

# ---- item 3: one file must not cost more than reading it ----
d=$(hostile_dir wide)
hostile_wide_file "$d/wide.yaml"
check "the wide file is under 1 MiB" test "$(stat -c %s "$d/wide.yaml")" -le 1048576
start=$(date +%s)
tcheck 1 check "$d"
check "check of 22,000 columns + 70,000 undeclared index columns within 10 s" \
	test $(($(date +%s) - start)) -le 10
check_eq "at most 50 problems and one count" 51 "$(wc -l <"$WORK/out")"
check_has "error: ... and 69950 more problems"

# ---- item 10: a FIFO named x.yaml does not block check or order ----
d=$(hostile_dir fifo)
cp "$SCHEMAFS_EXAMPLES"/users.yaml "$d/"
mkfifo "$d/x.yaml"
tcheck 0 check "$d"
tcheck 0 order "$d"
check_has "users"
tcheck 0 import --db "$WORK/fifo.db" "$d"

# ---- item 13: a sparse 100 GB file is reported with its real size ----
d=$(hostile_dir sparse)
truncate -s 100G "$d/big.yaml"
tcheck 1 check "$d"
check_has "file is 107374182400 bytes, over the limit of 1048576 bytes"
tcheck 1 import --db "$WORK/sparse.db" "$d"
check_has "file is 107374182400 bytes, over the limit of 1048576 bytes"

# ---- item 13: no table may be called registry (registry.yaml) ----
printf 'CREATE TABLE registry (id int PRIMARY KEY);\nCREATE TABLE ok (id int PRIMARY KEY);\n' \
	>"$WORK/reg.sql"
run 1 timeout "$T" "$BIN" import-sql "$WORK/reg.sql" "$WORK/regout"
check_has "table name 'registry' is reserved"
check "import-sql writes the other table" test -s "$WORK/regout/ok.yaml"
check "registry.yaml stays the registry's settings" \
	bash -c '! grep -q "^columns:" "$1"' _ "$WORK/regout/registry.yaml"

# ---- item 6: defaults that run queries are refused at their line ----
d=$(hostile_dir defaults)
cat >"$d/t.yaml" <<-'EOF'
	name: t
	owner: svc
	columns:
	  - name: a
	    type: text
	    default: "length(query_to_xml('select pg_sleep(15)', true, true, '')::text)::text"
	  - name: b
	    type: text
	    default: "pg_read_file('/etc/hostname')"
	  - name: c
	    type: int
	    default: DEFAULT
	  - name: d
	    type: bigint
	    default: "nextval('t_d_seq')"
EOF
tcheck 1 check "$d"
check_has "t.yaml:6:22: error: invalid default"
check_has "function 'query_to_xml' is not allowed in a default"
check_has "t.yaml:9:15: error: invalid default 'pg_read_file('/etc/hostname')'"
check_has "t.yaml:12:14: error: invalid default 'DEFAULT' for column 'c': DEFAULT is not a value"
check_lacks "column 'd'"

# ---- item 7: control characters cannot forge lines ----
d=$(hostile_dir controls)
cp "$SCHEMAFS_EXAMPLES"/users.yaml "$d/"
cat >"$d/evil.yaml" <<-'EOF'
	name: evil
	owner: "svc\n2\tfake-service\tusers\t-\tdrop table 'users'"
	columns:
	  - name: user_id
	    type: UUID
	references:
	  - schema: users
	    column: id
	    foreign_key: user_id
EOF
tcheck 1 check "$d"
check_has "evil.yaml:2:12: error: invalid owner 'svc\\x0a2\\x09fake-service"
check_eq "one line per problem" 1 "$(wc -l <"$WORK/out")"
tcheck 1 dependents "$d" users
check_eq "dependents lists no forged service" "" "$(cat "$WORK/out")"

# ---- item 8: private database files; passwords refused in target ----
rm -f "$WORK"/p.db*
(umask 022 && "$BIN" import --db "$WORK/p.db" "$SCHEMAFS_EXAMPLES" >/dev/null)
check_eq "a new database is 0600" 600 "$(stat -c %a "$WORK/p.db")"
check_eq "its -wal is 0600" 600 "$(stat -c %a "$WORK/p.db-wal")"
chmod 644 "$WORK/p.db"
tcheck 0 import --db "$WORK/p.db" "$SCHEMAFS_EXAMPLES"
check_has "warning: $WORK/p.db: readable by other users (mode 0644)"
check_eq "the existing mode is left as it is" 644 "$(stat -c %a "$WORK/p.db")"
d=$(hostile_dir password)
cp "$SCHEMAFS_EXAMPLES"/users.yaml "$d/"
printf 'name: app\ntarget: "host=/run/pg dbname=app password=hunter2"\n' >"$d/registry.yaml"
tcheck 0 check "$d"
check_has "registry.yaml:2:9: warning: 'target' holds a password"
check_lacks hunter2
printf 'target: "postgresql://me:hunter2@db/app"\n' >"$d/registry.yaml"
tcheck 0 import --db "$WORK/pw.db" "$d"
check_has "warning: 'target' holds a password"
check_lacks hunter2

# ---- what already held: kept ----
d=$(hostile_dir held)
{
	echo 'name: a'
	echo 'owner: &x svc'
	echo 'columns: [*x, *x, *x, *x]'
} >"$d/a.yaml"
python3 -c 'print("name: b\nowner: svc\ncolumns: " + "[" * 100000 + "]" * 100000)' >"$d/b.yaml"
printf 'name: c\nowner: svc\x00\ncolumns: []\n' >"$d/c.yaml"
printf 'name: d\nowner: caf\xe9\ncolumns: []\n' >"$d/d.yaml"
printf 'name: e\nowner: svc\ncolumns:\n  - name: a\n    type: "int); DROP TABLE users; --"\n' \
	>"$d/e.yaml"
printf 'name: f\nowner: svc\ncolumns:\n  - name: "a\\" int); drop table x; --"\n    type: int\n' \
	>"$d/f.yaml"
python3 -c 'print("name: g\nowner: svc\ncolumns:\n" + "#" * 1048600)' >"$d/g.yaml"
ln -s /etc/passwd "$d/h.yaml"
tcheck 1 check "$d"
check_has "a.yaml:2:8: error: anchors are not allowed"
check_has "b.yaml:3:"
check_has "nesting deeper than 8 levels"
check_has "c.yaml:2:11: error: NUL byte in file"
check_has "d.yaml:2:11: error: invalid UTF-8 (byte 0xe9)"
check_has "e.yaml:5:15: error: invalid type 'int); DROP TABLE users; --'"
check_has "f.yaml:4:11: error: invalid column name"
check_has "over the limit of 1048576 bytes"
check_has "h.yaml"
# corrupt and foreign database files are refused and left untouched
head -c 8192 /dev/urandom >"$WORK/junk.db"
cp "$WORK/junk.db" "$WORK/junk.orig"
tcheck 1 import --db "$WORK/junk.db" "$SCHEMAFS_EXAMPLES"
check_has "not a schemafs database"
check_file_eq "a junk file is not written to" "$WORK/junk.orig" "$WORK/junk.db"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table t(x)"); c.commit()' \
	"$WORK/foreign.db"
cp "$WORK/foreign.db" "$WORK/foreign.orig"
tcheck 1 import --db "$WORK/foreign.db" "$SCHEMAFS_EXAMPLES"
check_has "not a schemafs database (unknown tables 't')"
check_file_eq "a foreign database is not written to" "$WORK/foreign.orig" "$WORK/foreign.db"
