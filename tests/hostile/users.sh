#!/usr/bin/env bash
# Another user on a mount with -o allow_other (issue 12, item 1;
# docs/security.md, "Who may do what"): it reads the schemas and the views,
# and changes nothing. The mount runs as root (where /dev/fuse is root's
# alone, as here) and a second, unprivileged user acts through it.
. "$(dirname "$0")/../lib.sh"
need_fuse setpriv useradd
[ "$(id -u)" = 0 ] || missing "root (to act as a second user)"

OTHER=schemafs-other
id -u "$OTHER" >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin "$OTHER" ||
	die "useradd $OTHER"
# as OTHER: the command's status, its stderr in $WORK/other.err
as_other() {
	timeout 30 setpriv --reuid="$OTHER" --regid="$(id -g "$OTHER")" --clear-groups \
		sh -c "$1" 2>"$WORK/other.err"
}
chmod 755 "$WORK" # the mountpoint must be reachable by OTHER
mount_fs -o allow_other
S=$MNT/schemas
cp "$S/users.yaml" "$WORK/users.orig"

# ---- what the mount shows ----
check_eq "a schema is 0644, the owner's" "644 root" "$(stat -c '%a %U' "$S/users.yaml")"
check_eq "migrations/control is 0600" 600 "$(stat -c %a "$MNT/migrations/control")"
check_eq "migrations/cancel is 0600" 600 "$(stat -c %a "$MNT/migrations/cancel")"
check_eq "migrations/pending is 0700" 700 "$(stat -c %a "$MNT/migrations/pending")"
check_eq "schemas/ is 0755" 755 "$(stat -c %a "$S")"

# ---- what the other user cannot do ----
check_fails "OTHER cannot append to root's schema" as_other "echo '# x' >>'$S/users.yaml'"
check_fails "OTHER cannot truncate it" as_other ": >'$S/users.yaml'"
check_fails "OTHER cannot remove it" as_other "rm -f '$S/users.yaml'"
check_fails "OTHER cannot rename it" as_other "mv '$S/users.yaml' '$S/users.yaml~'"
check_fails "OTHER cannot chmod it" as_other "chmod 666 '$S/users.yaml'"
check_fails "OTHER cannot create a schema" as_other "cp '$S/users.yaml' '$S/mine.yaml'"
check_fails "OTHER cannot create an editor file in the root" as_other "echo x >'$MNT/x.tmp'"
check_fails "OTHER cannot write registry.yaml" as_other "echo 'name: x' >'$MNT/registry.yaml'"
check_fails "OTHER cannot run a migration command" as_other "echo apply >'$MNT/migrations/control'"
check_fails "OTHER cannot read the control file" as_other "cat '$MNT/migrations/control'"
check_fails "OTHER cannot cancel" as_other "echo cancel >'$MNT/migrations/cancel'"
check_fails "OTHER cannot write pending SQL" \
	as_other "echo 'drop table audit_logs;' >'$MNT/migrations/pending/001_x.sql'"
check_fails "OTHER cannot list pending/" as_other "ls '$MNT/migrations/pending'"
check_file_eq "root's schema is unchanged" "$WORK/users.orig" "$S/users.yaml"
check "users.yaml is still there" test -e "$S/users.yaml"

# ---- what the other user can do ----
check "OTHER reads a schema" as_other "cmp -s '$S/users.yaml' '$WORK/users.orig'"
check "OTHER reads the views" as_other "grep -q '^users' '$MNT/migration_order' && cat '$MNT/validation' '$MNT/graph' >/dev/null"
check "OTHER lists schemas/" as_other "ls '$S' | grep -qx users.yaml"

# ---- the owner still can ----
users_valid 1.0.1 >"$WORK/users.new"
check "root saves a schema" cp "$WORK/users.new" "$S/users.yaml"
check_file_eq "the save landed" "$WORK/users.new" "$S/users.yaml"
unmount_fs
