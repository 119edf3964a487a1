#!/usr/bin/env bash
# Writers that die, names that can never hold a schema, saves in a quick
# row, chown, a store others can read (issue 12, items 2, 9, 11, 13;
# docs/mount.md, "Saving a schema"; docs/security.md).
. "$(dirname "$0")/../lib.sh"
need_fuse python3

S=$MNT/schemas
mount_fs
cp "$S/users.yaml" "$WORK/users.orig"
users_valid 2.0.0 >"$WORK/users.v2"

# ---- item 2: a killed writer's draft is not a revision ----
# writer HOW: opens users.yaml with O_TRUNC, writes a valid schema, never
# closes; HOW is kill (the test sends a signal) or exit:N (os._exit(N))
writer() {
	rm -f "$WORK/ready"
	timeout 60 python3 - "$S/users.yaml" "$WORK/users.v2" "$WORK/ready" "$1" <<-'EOF2' &
		import os, sys, time
		path, src, ready, how = sys.argv[1:5]
		fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
		os.write(fd, open(src, "rb").read())
		open(ready, "w").close()
		if how.startswith("exit:"):
		    os._exit(int(how[5:]))
		time.sleep(50)
	EOF2
	WRITER=$!
	wait_until 20 test -e "$WORK/ready" || fail "the writer never wrote"
}
for sig in KILL TERM; do
	writer kill
	pkill_pid=$(pgrep -P "$WRITER" python3 || echo "$WRITER")
	kill -"$sig" "$pkill_pid"
	wait "$WRITER" 2>/dev/null
	check_file_eq "SIG$sig: the writer's draft is not saved" "$WORK/users.orig" "$S/users.yaml"
done
writer exit:3
wait "$WRITER" 2>/dev/null
check_file_eq "exit status 3 without close: not saved" "$WORK/users.orig" "$S/users.yaml"
writer exit:0
wait "$WRITER" 2>/dev/null
check_file_eq "exit status 0 without close: saved (the kernel closed it)" "$WORK/users.v2" \
	"$S/users.yaml"

# ---- item 9: save, fix, save again (within the kernel's entry timeout) ----
for i in 1 2 3 4 5; do
	printf 'name: n%s\nowner: svc\ncolumns:\n  - name: id\n    typ: int\n' "$i" >"$WORK/bad.yaml"
	printf 'name: n%s\nowner: svc\ncolumns:\n  - name: id\n    type: int\n' "$i" >"$WORK/good.yaml"
	cat "$WORK/bad.yaml" >"$S/n$i.yaml" 2>/dev/null
	# well within the kernel's entry timeout (1 s); see docs/mount.md
	sleep 0.2
	check "refused, then fixed at once: n$i" sh -c 'cat "$1" >"$2"' _ "$WORK/good.yaml" "$S/n$i.yaml"
	check_file_eq "n$i.yaml holds the fix" "$WORK/good.yaml" "$S/n$i.yaml"
done

# ---- item 11: names that can never hold a schema are refused at once ----
check_fails "cp onto Users.yaml fails" cp "$WORK/users.orig" "$S/Users.yaml"
check_fails "a name with \$ fails" cp "$WORK/users.orig" "$S/\$x.yaml"
check_fails "a name with a dash fails" sh -c 'echo x >"$1"' _ "$S/bad-name.yaml"
cp "$WORK/users.orig" "$S/.tmp.yaml"
check_fails "rename onto Bad.yaml fails" mv "$S/.tmp.yaml" "$S/Bad.yaml"
check "no refusal is recorded for them" sh -c '! grep -e Users.yaml -e "x.yaml" -e bad-name -e Bad.yaml "$1"' \
	_ "$MNT/validation"
check "no such file exists" sh -c '! ls "$1" | grep -e Users -e "^\\\$" -e bad-name -e Bad' _ "$S"

# ---- item 13: two O_APPEND handles at once: the second close says EBUSY ----
cp "$S/users.yaml" "$WORK/users.before"
timeout 30 python3 - "$S/users.yaml" >"$WORK/append.out" <<-'EOF2'
	import os, sys
	a = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
	b = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
	os.write(a, b"# from a\n")
	os.write(b, b"# from b\n")
	for fd in (a, b):
	    try:
	        os.close(fd)
	        print("ok")
	    except OSError as e:
	        print(e.errno)
EOF2
check_eq "the first close saves, the second fails with EBUSY" "ok 16" "$(tr '\n' ' ' <"$WORK/append.out" | sed 's/ $//')"
check_eq "the first append is saved" "# from a" "$(tail -n 1 "$S/users.yaml")"
check_contains "$MNT/validation" "this save is based on; read the file again"

# ---- item 13: chown ----
check "chown to the owner succeeds" chown "$(id -u):$(id -g)" "$S/users.yaml"
check_fails "chown to someone else fails" chown 12345 "$S/users.yaml"
check_fails "chgrp to another group fails" chgrp 12345 "$S/users.yaml"
unmount_fs

# ---- item 13: a store other users can read is warned about ----
chmod 644 "$DB"
allow_stderr '^schemafs: warning: .*readable by other users'
mount_fs
check_contains "${DAEMON_ERR[$MNT]}" "readable by other users (mode 0644)"
unmount_fs
