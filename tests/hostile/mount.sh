#!/usr/bin/env bash
# Hostile writes through the mount (docs/security.md): the reproductions of
# issue 12 that the core answers, and what the hostile test found to hold.
# Every command that could hang runs under a timeout.
. "$(dirname "$0")/../lib.sh"
need_fuse python3

T=30
S=$MNT/schemas

# put_file FILE: stdin into FILE in one write, under the timeout; the status of
# the write/close as 0 or 1
put_file() {
	timeout "$T" python3 -c '
import sys
data = sys.stdin.buffer.read()
try:
    with open(sys.argv[1], "wb") as f:
        f.write(data)
except OSError as e:
    print(e, file=sys.stderr)
    sys.exit(1)' "$1"
}

rm -f "$DB"*
umask 022
mount_fs

# ---- item 8: the database the mount creates is private ----
check_eq "the mount's new database is 0600" 600 "$(stat -c %a "$DB")"
check_eq "its -wal is 0600" 600 "$(stat -c %a "$DB-wal")"

# ---- item 7: an owner with control characters is refused; no forged line ----
printf 'name: evil\nowner: "svc\\n2\\tfake-service\\tusers\\t-\\tdrop table users"\ncolumns:\n  - name: user_id\n    type: UUID\nreferences:\n  - schema: users\n    column: id\n    foreign_key: user_id\n' |
	put_file "$S/evil.yaml" 2>"$WORK/evil.err"
check "the forged owner is refused" grep -q "Invalid argument" "$WORK/evil.err"
check "dependents/users has no forged line" bash -c '! grep -q fake-service "$1"' _ "$MNT/dependents/users"
check_contains "$MNT/validation" "evil.yaml:2:12: error: invalid owner"

# ---- item 6: a default that runs a query is refused at its line ----
printf 'name: slow\nowner: svc\ncolumns:\n  - name: a\n    type: text\n    default: "length(query_to_xml($$select pg_sleep(15)$$, true, true, $$$$)::text)::text"\n' |
	put_file "$S/slow.yaml" 2>/dev/null
check "the query default is refused" test ! -e "$S/slow.yaml" -o ! -s "$S/slow.yaml"
check_contains "$MNT/validation" "function 'query_to_xml' is not allowed in a default"

# ---- item 3: one hostile file does not freeze the mount ----
hostile_wide_file "$WORK/wide.yaml"
start=$(date +%s)
put_file "$S/wide.yaml" <"$WORK/wide.yaml" 2>/dev/null
check "the hostile file is refused within 15 s" test $(($(date +%s) - start)) -le 15
check "ls still answers" bash -c 'timeout 5 ls "$1" >/dev/null' _ "$S"
check_eq "validation holds at most 51 lines for it" 51 "$(grep -c 'wide.yaml' "$MNT/validation")"
check_contains "$MNT/validation" "... and 69950 more problems"

# ---- item 13: no table may be called registry ----
# (the name itself can never hold a schema: the create is refused, no
# refusal is kept in validation, the log says why)
printf 'name: registry\nowner: svc\ncolumns:\n  - name: id\n    type: int\n' |
	put_file "$S/registry.yaml" 2>"$WORK/registry.err"
check "a schemas/registry.yaml is refused" grep -q "Invalid argument" "$WORK/registry.err"
check "no schemas/registry.yaml exists" test ! -e "$S/registry.yaml"
check_contains "${DAEMON_ERR[$MNT]}" "schemas/registry.yaml: not created: is registry.yaml"
check "validation keeps no refusal for it" bash -c '! grep -q "^schemas/registry.yaml" "$1"' _ "$MNT/validation"

# ---- what already held: kept ----
# writes to views are refused
check_fails "a view cannot be written" bash -c 'echo x >"$1"' _ "$MNT/graph"
check_fails "a view cannot be removed" rm "$MNT/validation"
# a huge offset is EFBIG, and nothing is kept
check_fails "a write at 100 GB fails" timeout "$T" dd if=/dev/zero of="$S/far.yaml" bs=1 count=1 \
	seek=100G conv=notrunc status=none
# NUL and bad UTF-8 are refused at their byte
printf 'name: nul\nowner: s\x00\ncolumns: []\n' | put_file "$S/nul.yaml" 2>/dev/null
check_contains "$MNT/validation" "nul.yaml:2:9: error: NUL byte in file"
printf 'name: utf\nowner: caf\xe9\ncolumns: []\n' | put_file "$S/utf.yaml" 2>/dev/null
check_contains "$MNT/validation" "utf.yaml:2:11: error: invalid UTF-8 (byte 0xe9)"
# billion laughs: anchors are refused before anything expands
printf 'name: bomb\nowner: &a svc\ncolumns: [*a, *a]\n' | put_file "$S/bomb.yaml" 2>/dev/null
check_contains "$MNT/validation" "bomb.yaml:2:8: error: anchors are not allowed"
# injection through a type
printf 'name: inj\nowner: svc\ncolumns:\n  - name: a\n    type: "int); DROP TABLE users; --"\n' |
	put_file "$S/inj.yaml" 2>/dev/null
check_contains "$MNT/validation" "inj.yaml:5:15: error: invalid type"
# a symlink cannot be planted among the schemas
check_fails "no symlinks in schemas/" ln -s /etc/passwd "$S/link.yaml"
# 50 parallel writers: every one lands
timeout "$T" python3 - "$S" <<-'EOF'
	import sys, threading
	def write(i):
	    with open("%s/p%d.yaml" % (sys.argv[1], i), "w") as f:
	        f.write("name: p%d\nowner: svc\ncolumns:\n  - name: id\n    type: int\n" % i)
	threads = [threading.Thread(target=write, args=(i,)) for i in range(1, 51)]
	for t in threads: t.start()
	for t in threads: t.join()
EOF
check_eq "50 parallel writers, 50 schemas" 50 "$(ls "$S" | grep -c '^p[0-9]*\.yaml$')"

unmount_fs
