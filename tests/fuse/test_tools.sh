#!/bin/bash
# Real editors and tools (SPEC §3), each saving a valid change and an
# invalid one. Valid: the new bytes, no stray files, validation clean.
# Invalid: the tool reports the failure, the previous bytes stay,
# validation says schemas/users.yaml:LINE:COL: why.
. "$(dirname "$0")/../lib.sh"
need_fuse vim nano emacs tmux sed python3 install
mount_fs
cd "$MNT/schemas"

SCHEMAS="applications.yaml audit_logs.yaml notifications.yaml policies.yaml users.yaml"
WHERE=$(users_invalid_where)
users_invalid >"$WORK/bad.yaml"
N=0

# Starts a case: a new valid version in $WORK/good.yaml, $V.
next_version() {
	N=$((N + 1))
	V="2.$N.0"
	users_valid "$V" >"$WORK/good.yaml"
}

# after a valid save by $1; $2: files the tool keeps on purpose
expect_valid() {
	local tool=$1 extra=${2:-}
	check "$tool: valid save has the new bytes" cmp users.yaml "$WORK/good.yaml"
	check_eq "$tool: no stray files" "$SCHEMAS${extra:+ $extra}" "$(ls_line . | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
	check "$tool: validation has nothing on users" bash -c '! grep -q "^schemas/users.yaml" ../validation'
	check_eq "$tool: the save is in history" "$V" "$(ls ../history/users | sed -n 's/\.yaml$//p' | sort -V | tail -1)"
	for f in $extra; do rm -f -- "$f"; done
}

# before an invalid save
remember() {
	cp users.yaml "$WORK/prev.yaml"
}

# after an invalid save by $1 whose output (stdout+stderr or screen) is $2
expect_refused() {
	local tool=$1 out=$2 rc=$3
	check "$tool: reports the failure (rc=$rc: $(echo "$out" | grep -iE 'invalid|error|fail' | head -1))" \
		bash -c '[ "$1" != 0 ] || grep -qiE "invalid argument|error" <<<"$2"' _ "$rc" "$out"
	check "$tool: previous bytes stay" cmp users.yaml "$WORK/prev.yaml"
	check "$tool: validation says why at $WHERE" grep -q "^schemas/users.yaml:$WHERE: .*nulable" ../validation
	check "$tool: users still registered" grep -qx users ../migration_order
	# editor leftovers (backups, autosaves) are plain files: clear them
	ls -A | grep -vxF -f <(tr ' ' '\n' <<<"$SCHEMAS") | while read -r f; do rm -f -- "$f"; done
	check_eq "$tool: only schemas left" "$SCHEMAS" "$(ls_line .)"
}

# ---- vim, default settings: renames users.yaml to users.yaml~, writes a
# new users.yaml, fsyncs; on failure renames the backup back
vim_replace() { # FILE [vim options]
	local src=$1
	shift
	vim -u NONE -N -n -es "$@" -c '%d' -c "0r $src" -c 'wq' users.yaml </dev/null 2>&1
}
next_version
out=$(vim_replace "$WORK/good.yaml")
check "vim: exit 0" [ $? = 0 ]
expect_valid vim
remember
out=$(vim_replace "$WORK/bad.yaml"); rc=$?
expect_refused vim "$out" $rc

# ---- vim with backupcopy=yes: copies to the backup, overwrites in place
next_version
out=$(vim_replace "$WORK/good.yaml" -c 'set backupcopy=yes')
check "vim bkc=yes: exit 0" [ $? = 0 ]
expect_valid "vim bkc=yes"
remember
out=$(vim_replace "$WORK/bad.yaml" -c 'set backupcopy=yes'); rc=$?
expect_refused "vim bkc=yes" "$out" $rc

# ---- nano, interactive: edits in place (O_TRUNC), keeps a .swp lock
next_version
tmux_start nano nano +3 users.yaml
tmux_wait nano 'GNU nano'
tmux_keys nano C-k
tmux_type nano "version: $V"
tmux_keys nano Enter C-o
tmux_wait nano 'File Name to Write'
tmux_keys nano Enter
check "nano: says Wrote" tmux_wait nano 'Wrote [0-9]+ line'
tmux_keys nano C-x
check "nano: exits" tmux_gone nano
expect_valid nano
remember
tmux_start nano nano +9 users.yaml
tmux_wait nano 'GNU nano'
tmux_keys nano C-k
tmux_type nano "    nulable: false"
tmux_keys nano Enter C-o
tmux_wait nano 'File Name to Write'
tmux_keys nano Enter
tmux_wait nano 'Error writing'; rc=$?
out=$(tmux_screen nano)
tmux_keys nano C-x
tmux_wait nano 'Save modified buffer'
tmux_keys nano n
check "nano: exits" tmux_gone nano
expect_refused nano "$out" 1

# ---- emacs, interactive: renames users.yaml to users.yaml~ (kept: it is
# emacs's backup), lock symlink .#users.yaml, fsync; on failure it renames
# its backup back
next_version
tmux_start emacs emacs -nw -Q +3 users.yaml
tmux_wait emacs 'users.yaml'
tmux_keys emacs C-a C-k
tmux_type emacs "version: $V"
check "emacs: lock symlink while modified" wait_until 5 test -L .#users.yaml
tmux_keys emacs C-x C-s
check "emacs: says Wrote" tmux_wait emacs 'Wrote .*users.yaml'
tmux_keys emacs C-x C-c
check "emacs: exits" tmux_gone emacs
expect_valid emacs "users.yaml~"
remember
tmux_start emacs emacs -nw -Q +9 users.yaml
tmux_wait emacs 'users.yaml'
tmux_keys emacs C-a C-k
tmux_type emacs "    nulable: false"
tmux_keys emacs C-x C-s
tmux_wait emacs 'Write error'
out=$(tmux_screen emacs)
tmux_keys emacs C-x C-c
# "Save file ...? (y, n, ...)" then "Modified buffers exist; exit anyway? (yes or no)"
tmux_wait emacs 'Save file .*\?'
tmux_keys emacs n
tmux_wait emacs 'yes or no'
tmux_type emacs yes
tmux_keys emacs Enter
check "emacs: exits" tmux_gone emacs
expect_refused emacs "$out" 1

# ---- emacs --batch (no fsync in batch mode: the refusal comes at close)
emacs_batch() { # TEXT LINE
	emacs --batch -Q users.yaml --eval "(progn (goto-char (point-min)) (forward-line $2)
		(delete-region (point) (line-end-position)) (insert \"$1\") (save-buffer))" 2>&1
}
next_version
out=$(emacs_batch "version: $V" 2)
check "emacs --batch: exit 0" [ $? = 0 ]
expect_valid "emacs --batch" "users.yaml~"
remember
out=$(emacs_batch "    nulable: false" 8); rc=$?
expect_refused "emacs --batch" "$out" $rc

# ---- sed -i: writes sedXXXXXX, renames it onto users.yaml
next_version
out=$(sed -i "s/^version: .*/version: $V/" users.yaml 2>&1)
check "sed -i: exit 0" [ $? = 0 ]
expect_valid "sed -i"
remember
out=$(sed -i '0,/nullable:/s//nulable:/' users.yaml 2>&1); rc=$?
expect_refused "sed -i" "$out" $rc

# ---- cp: O_TRUNC, write, close
next_version
check "cp: exit 0" cp "$WORK/good.yaml" users.yaml
expect_valid cp
remember
out=$(cp "$WORK/bad.yaml" users.yaml 2>&1); rc=$?
expect_refused cp "$out" $rc

# ---- mv from another filesystem: unlink users.yaml, create it, copy
next_version
cp "$WORK/good.yaml" "$WORK/mv.yaml"
check "mv: exit 0" mv "$WORK/mv.yaml" users.yaml
expect_valid mv
remember
cp "$WORK/bad.yaml" "$WORK/mvbad.yaml"
out=$(mv "$WORK/mvbad.yaml" users.yaml 2>&1); rc=$?
expect_refused mv "$out" $rc

# ---- install: unlink, create, write, close
next_version
check "install: exit 0" install -m 644 "$WORK/good.yaml" users.yaml
expect_valid install
remember
out=$(install -m 644 "$WORK/bad.yaml" users.yaml 2>&1); rc=$?
expect_refused install "$out" $rc

# ---- tee
next_version
out=$(tee users.yaml <"$WORK/good.yaml" 2>&1 >/dev/null)
check "tee: exit 0" [ $? = 0 ]
expect_valid tee
remember
out=$(tee users.yaml <"$WORK/bad.yaml" 2>&1 >/dev/null); rc=$?
expect_refused tee "$out" $rc

# ---- cat >: the shell's open+close comes first, while the file is empty
next_version
out=$(bash -c 'cat "$1" > users.yaml' _ "$WORK/good.yaml" 2>&1)
check "cat >: exit 0" [ $? = 0 ]
expect_valid "cat >"
remember
out=$(bash -c 'cat "$1" > users.yaml' _ "$WORK/bad.yaml" 2>&1); rc=$?
expect_refused "cat >" "$out" $rc

# ---- write a temp file, fsync, rename it onto users.yaml
atomic_write() {
	python3 - "$1" <<'EOF'
import os, sys, tempfile
data = open(sys.argv[1], 'rb').read()
fd, tmp = tempfile.mkstemp(dir='.', prefix='.users.yaml.')
try:
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, 'users.yaml')
except OSError as e:
    os.unlink(tmp)
    print(f'rename: {e}', file=sys.stderr)
    sys.exit(1)
EOF
}
next_version
out=$(atomic_write "$WORK/good.yaml" 2>&1)
check "temp+rename: exit 0" [ $? = 0 ]
expect_valid "temp+rename"
remember
out=$(atomic_write "$WORK/bad.yaml" 2>&1); rc=$?
expect_refused "temp+rename" "$out" $rc

# ---- registry.yaml in the mount's root: editor files work there too, so
# sed -i (its temporary) and vim (its 4913 probe and its backup copy) save
# it like a schema; a refusal keeps the bytes and leaves nothing behind
cd "$MNT"
ROOT=$(ls_line .)
cp registry.yaml "$WORK/meta-orig.yaml"
sed 's/^name:/nme:/' "$WORK/meta-orig.yaml" >"$WORK/meta-bad.yaml"
meta_good() { # TOOL: a valid registry.yaml naming the tool
	sed "s/^description: .*/description: saved by $1/" "$WORK/meta-orig.yaml"
}
expect_meta_valid() { # TOOL
	check "$1 at the root: new bytes" grep -qx "description: saved by $1" registry.yaml
	check_eq "$1 at the root: no stray files" "$ROOT" "$(ls_line .)"
	check "$1 at the root: validation has nothing on registry.yaml" \
		bash -c '! grep -q "^registry.yaml" validation'
}
expect_meta_refused() { # TOOL OUT RC
	check "$1 at the root: reports the failure (rc=$3)" \
		bash -c '[ "$1" != 0 ] || grep -qiE "invalid argument|error" <<<"$2"' _ "$3" "$2"
	check "$1 at the root: previous bytes stay" cmp registry.yaml "$WORK/meta-prev.yaml"
	check "$1 at the root: validation says why" grep -q "^registry.yaml:1:1: .*'nme'" validation
	check_eq "$1 at the root: no stray files" "$ROOT" "$(ls_line .)"
}

out=$(sed -i 's/^description: .*/description: saved by sed/' registry.yaml 2>&1)
check "sed -i registry.yaml: exit 0 ($out)" [ $? = 0 ]
expect_meta_valid sed
cp registry.yaml "$WORK/meta-prev.yaml"
out=$(sed -i 's/^name:/nme:/' registry.yaml 2>&1); rc=$?
expect_meta_refused sed "$out" $rc

meta_good vim >"$WORK/meta-good.yaml"
out=$(vim -u NONE -N -n -es -c '%d' -c "0r $WORK/meta-good.yaml" -c 'wq' registry.yaml </dev/null 2>&1)
check "vim registry.yaml: exit 0 ($out)" [ $? = 0 ]
expect_meta_valid vim
cp registry.yaml "$WORK/meta-prev.yaml"
out=$(vim -u NONE -N -n -es -c '%d' -c "0r $WORK/meta-bad.yaml" -c 'wq' registry.yaml </dev/null 2>&1); rc=$?
expect_meta_refused vim "$out" $rc

meta_emacs() { # TEXT LINE: emacs --batch replaces line LINE (0-based)
	# registry.yaml cannot be renamed to a backup: emacs copies it to
	# ~/.emacs.d/%backup%~ instead (a directory it expects to exist)
	mkdir -p "$WORK/.emacs.d"
	HOME=$WORK emacs --batch -Q registry.yaml --eval "(progn (goto-char (point-min)) (forward-line $2)
		(delete-region (point) (line-end-position)) (insert \"$1\") (save-buffer))" 2>&1
}
out=$(meta_emacs "description: saved by emacs" "$(grep -n '^description:' registry.yaml | cut -d: -f1 | awk '{print $1 - 1}')")
check "emacs --batch registry.yaml: exit 0" [ $? = 0 ]
expect_meta_valid emacs
cp registry.yaml "$WORK/meta-prev.yaml"
out=$(meta_emacs "nme: aegis" 0); rc=$?
expect_meta_refused "emacs --batch" "$out" $rc

atomic_meta() {
	python3 - "$1" <<'EOF'
import os, sys, tempfile
data = open(sys.argv[1], 'rb').read()
fd, tmp = tempfile.mkstemp(dir='.', prefix='.registry.yaml.')
try:
    os.write(fd, data)
    os.close(fd)
    os.rename(tmp, 'registry.yaml')
except OSError as e:
    os.unlink(tmp)
    print(f'rename: {e}', file=sys.stderr)
    sys.exit(1)
EOF
}
meta_good temp+rename >"$WORK/meta-good.yaml"
out=$(atomic_meta "$WORK/meta-good.yaml" 2>&1)
check "temp+rename registry.yaml: exit 0 ($out)" [ $? = 0 ]
expect_meta_valid temp+rename
cp registry.yaml "$WORK/meta-prev.yaml"
out=$(atomic_meta "$WORK/meta-bad.yaml" 2>&1); rc=$?
expect_meta_refused temp+rename "$out" $rc

# other names in the root are editor files too; nothing else is made there
check "a file can be created and removed in the root" bash -c 'echo x >notes && rm notes'
check "mkdir in the root is refused (EACCES)" bash -c 'mkdir sub 2>&1 | grep -q "Permission denied"'
check "the views stay read-only" bash -c '! { echo x >graph; } 2>/dev/null'
check "registry.yaml cannot be renamed away" bash -c '! mv registry.yaml registry.bak 2>/dev/null'
check_eq "the root lists what it did" "$ROOT" "$(ls_line .)"
check "registry.yaml restored" cp "$WORK/meta-orig.yaml" registry.yaml
cd "$MNT/schemas"

# ---- migrations/pending/: the same tools on a pending script. Every save
# has the new bytes, in the store too (the CLI reads it there); editor files
# (swap, backup, sedXXXXXX, temporaries) are never stored and never stay.
cd "$MNT/migrations/pending"
P=0
next_sql() {
	P=$((P + 1))
	printf -- '-- saved by %s\nALTER TABLE users ADD COLUMN c%d INTEGER;\n' "$1" "$P" >"$WORK/good.sql"
}
line1_sql() { # TOOL: what an edit of line 1 to "/* saved by TOOL */" saves
	{ echo "/* saved by $1 */"; sed '1d' users.sql; } >"$WORK/good.sql"
}
expect_sql() { # TOOL [FILES THE TOOL KEEPS]
	local tool=$1 extra=${2:-}
	check "pending $tool: the new bytes" cmp users.sql "$WORK/good.sql"
	check "pending $tool: in the store" cmp <("$BIN" --db "$DB" migrate pending cat users.sql) "$WORK/good.sql"
	check_eq "pending $tool: no stray files" "users.sql${extra:+ $extra}" "$(ls_line .)"
	check_eq "pending $tool: nothing else stored" users.sql "$("$BIN" --db "$DB" migrate pending list)"
	for f in $extra; do rm -f -- "$f"; done
}
# the first save creates the file: cp of a new file (fstat before close)
next_sql "cp new"
check "pending cp (new file): exit 0" cp "$WORK/good.sql" users.sql
expect_sql "cp new"
vim_sql() { # FILE [vim options]
	local src=$1
	shift
	vim -u NONE -N -n -es "$@" -c '%d' -c "0r $src" -c 'wq' users.sql </dev/null 2>&1
}
next_sql vim
out=$(vim_sql "$WORK/good.sql")
check "pending vim: exit 0 ($out)" [ $? = 0 ]
expect_sql vim
next_sql "vim bkc=yes"
out=$(vim_sql "$WORK/good.sql" -c 'set backupcopy=yes')
check "pending vim bkc=yes: exit 0 ($out)" [ $? = 0 ]
expect_sql "vim bkc=yes"
next_sql "vim bkc=no"
out=$(vim_sql "$WORK/good.sql" -c 'set backupcopy=no')
check "pending vim bkc=no: exit 0 ($out)" [ $? = 0 ]
expect_sql "vim bkc=no"

line1_sql nano
tmux_start nano nano +1 users.sql
tmux_wait nano 'GNU nano'
tmux_keys nano C-k
tmux_type nano "/* saved by nano */"
tmux_keys nano Enter C-o
tmux_wait nano 'File Name to Write'
tmux_keys nano Enter
check "pending nano: says Wrote" tmux_wait nano 'Wrote [0-9]+ line'
tmux_keys nano C-x
check "pending nano: exits" tmux_gone nano
expect_sql nano

line1_sql emacs
tmux_start emacs emacs -nw -Q +1 users.sql
tmux_wait emacs 'users.sql'
tmux_keys emacs C-a C-k
tmux_type emacs "/* saved by emacs */"
check "pending emacs: lock symlink while modified" wait_until 5 test -L .#users.sql
tmux_keys emacs C-x C-s
check "pending emacs: says Wrote" tmux_wait emacs 'Wrote .*users.sql'
tmux_keys emacs C-x C-c
check "pending emacs: exits" tmux_gone emacs
expect_sql emacs "users.sql~"

next_sql "emacs --batch"
out=$(emacs --batch -Q users.sql --eval "(progn (erase-buffer) (insert-file-contents \"$WORK/good.sql\") (save-buffer))" 2>&1)
check "pending emacs --batch: exit 0 ($out)" [ $? = 0 ]
expect_sql "emacs --batch" "users.sql~"

line1_sql "sed -i"
out=$(sed -i "1s|.*|/* saved by sed -i */|" users.sql 2>&1)
check "pending sed -i: exit 0 ($out)" [ $? = 0 ]
expect_sql "sed -i"

next_sql cp
check "pending cp: exit 0" cp "$WORK/good.sql" users.sql
expect_sql cp
next_sql mv
cp "$WORK/good.sql" "$WORK/mv.sql"
check "pending mv: exit 0" mv "$WORK/mv.sql" users.sql
expect_sql mv
next_sql install
check "pending install: exit 0" install -m 644 "$WORK/good.sql" users.sql
expect_sql install
next_sql tee
out=$(tee users.sql <"$WORK/good.sql" 2>&1 >/dev/null)
check "pending tee: exit 0 ($out)" [ $? = 0 ]
expect_sql tee
next_sql "cat >"
out=$(bash -c 'cat "$1" > users.sql' _ "$WORK/good.sql" 2>&1)
check "pending cat >: exit 0 ($out)" [ $? = 0 ]
expect_sql "cat >"
next_sql temp+rename
out=$(python3 - "$WORK/good.sql" 2>&1 <<'EOF2'
import os, sys, tempfile
data = open(sys.argv[1], 'rb').read()
fd, tmp = tempfile.mkstemp(dir='.', prefix='.users.sql.')
os.write(fd, data)
os.fsync(fd)
os.close(fd)
os.rename(tmp, 'users.sql')
EOF2
)
check "pending temp+rename: exit 0 ($out)" [ $? = 0 ]
expect_sql temp+rename
# a down script next to it, then both gone with rm
check "pending: cp of a down script" cp "$WORK/good.sql" users.down.sql
check_eq "pending: both listed" "users.down.sql users.sql" "$(ls_line .)"
check "pending: rm of the down script" rm users.down.sql
check_eq "pending: rm removes it from the store" users.sql "$("$BIN" --db "$DB" migrate pending list)"
cp users.sql "$WORK/last.sql"
cd "$MNT/schemas"

# the whole sequence left every refusal out of the store and every valid
# save in it: remount and compare
cp users.yaml "$WORK/last.yaml"
cd /
unmount_fs
mount_fs
check "after remount: the last valid save" cmp "$MNT/schemas/users.yaml" "$WORK/last.yaml"
check "after remount: the refusal is still explained" grep -q "^schemas/users.yaml:$WHERE:" "$MNT/validation"
check "after remount: the last pending save" cmp "$MNT/migrations/pending/users.sql" "$WORK/last.sql"
check_eq "after remount: only the pending script" users.sql "$(ls_line "$MNT/migrations/pending")"
unmount_fs
