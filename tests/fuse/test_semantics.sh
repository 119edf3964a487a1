#!/bin/bash
# The write rules of SPEC §3 one by one, with the system calls editors and
# tools make: sticky refusals, reopen-without-write, O_TRUNC, ftruncate,
# O_APPEND, EFBIG, chmod/chown/utime, renames, editor files, registry.yaml.
. "$(dirname "$0")/../lib.sh"
need_fuse python3
mount_fs
cd "$MNT/schemas"

SCHEMAS="applications.yaml audit_logs.yaml notifications.yaml policies.yaml users.yaml"
WHERE=$(users_invalid_where)
users_invalid >"$WORK/bad.yaml"
users_valid 3.0.0 >"$WORK/good.yaml"
ORIG=$SCHEMAFS_EXAMPLES/users.yaml

py() { python3 - "$@"; }

# a refusal at fsync fails the same handle's close too (emacs ignores fsync)
out=$(py "$WORK/bad.yaml" <<'EOF'
import os, sys
fd = os.open('users.yaml', os.O_WRONLY | os.O_TRUNC)
os.write(fd, open(sys.argv[1], 'rb').read())
for step, call in (('fsync', lambda: os.fsync(fd)), ('close', lambda: os.close(fd))):
    try:
        call()
        print(step, 'ok')
    except OSError as e:
        print(step, e.errno == 22 and 'EINVAL' or e)
EOF
)
check_eq "refused at fsync, and again at close" "fsync EINVAL close EINVAL" "$(echo $out)"
check "previous bytes stay" cmp users.yaml "$ORIG"
check_eq "stat shows the previous size" "$(wc -c <"$ORIG")" "$(stat -c %s users.yaml)"
check "validation says why" grep -q "^schemas/users.yaml:$WHERE: error: unknown key 'nulable'" ../validation
check "validation.json says why" grep -q "nulable" ../validation.json

# emacs reopens and closes without writing: not a commit, not an error
out=$(py <<'EOF'
import os
fd = os.open('users.yaml', os.O_WRONLY)
os.close(fd)
fd = os.open('users.yaml', os.O_WRONLY | os.O_TRUNC)
os.close(fd)
print('ok')
EOF
)
check_eq "open for write + close without a write succeeds" ok "$out"
check "and changes nothing (even with O_TRUNC)" cmp users.yaml "$ORIG"
check "the refusal stays visible after a no-op" grep -q "^schemas/users.yaml:$WHERE:" ../validation

# a dup'ed descriptor: the first close (nothing written) commits nothing,
# the last one commits
out=$(py "$WORK/good.yaml" <<'EOF'
import os, sys
fd = os.open('users.yaml', os.O_WRONLY | os.O_TRUNC)
fd2 = os.dup(fd)
os.close(fd)
os.write(fd2, open(sys.argv[1], 'rb').read())
os.close(fd2)
print('ok')
EOF
)
check_eq "dup + close + write + close" ok "$out"
check "the valid save landed" cmp users.yaml "$WORK/good.yaml"
check "a valid save clears the refusal" bash -c '! grep -q "^schemas/users.yaml" ../validation'

# a write past 1 MiB poisons the handle: the partial draft is never committed
# (here the first MiB would even be valid: YAML comments)
{ cat "$WORK/good.yaml"; head -c 1100000 /dev/zero | tr '\0' '#'; } >"$WORK/big.yaml"
out=$(cp "$WORK/big.yaml" users.yaml 2>&1)
check "cp of 1.1 MB fails with EFBIG ($out)" grep -q 'File too large' <<<"$out"
check "and the partial first MiB is not committed" cmp users.yaml "$WORK/good.yaml"

# ftruncate: shorter content written over longer, then truncated
users_valid 3.1.0 | head -n 20 >"$WORK/short.yaml"
out=$(py "$WORK/short.yaml" <<'EOF'
import os, sys
data = open(sys.argv[1], 'rb').read()
fd = os.open('users.yaml', os.O_RDWR)
os.pwrite(fd, data, 0)
os.ftruncate(fd, len(data))
os.close(fd)
print('ok')
EOF
)
check_eq "pwrite + ftruncate + close" ok "$out"
check "ftruncate'd draft committed" cmp users.yaml "$WORK/short.yaml"

# O_APPEND
cp "$WORK/good.yaml" users.yaml
echo "# appended" >>users.yaml
check "append: committed" bash -c 'tail -n 1 users.yaml | grep -qx "# appended"'
check_eq "append: size" $(($(wc -c <"$WORK/good.yaml") + 11)) "$(stat -c %s users.yaml)"

# EFBIG past 1 MiB, for schemas and editor files
{ cat "$WORK/good.yaml"; head -c 1100000 /dev/zero | tr '\0' '#'; } >"$WORK/big.yaml"
out=$(cp "$WORK/big.yaml" users.yaml 2>&1)
check "cp of 1.1 MB fails with EFBIG ($out)" grep -q 'File too large' <<<"$out"
check "and the schema stays" bash -c 'tail -n 1 users.yaml | grep -qx "# appended"'
out=$(cp "$WORK/big.yaml" big.tmp 2>&1)
check "an editor file past 1 MiB fails too" grep -q 'File too large' <<<"$out"
rm -f big.tmp
cp "$WORK/good.yaml" users.yaml

# path truncate is a save of its own: an empty schema is refused
out=$(truncate -s 0 users.yaml 2>&1)
check "truncate -s 0 (open + ftruncate + close) is refused ($out)" grep -q 'Invalid argument' <<<"$out"
out=$(py <<'EOF'
import os
try:
    os.truncate('users.yaml', 0)
    print('ok')
except OSError as e:
    print(e.errno == 22 and 'EINVAL' or e)
EOF
)
check_eq "truncate(2) on the path is refused" EINVAL "$out"
check "the schema stays" cmp users.yaml "$WORK/good.yaml"

# chmod, chown, utime succeed on schema files
check "chmod 600" chmod 600 users.yaml
check_eq "mode is kept" 600 "$(stat -c %a users.yaml)"
check "chown" chown "$(id -u):$(id -g)" users.yaml
check "touch -d" touch -d '2020-01-02 03:04:05 UTC' users.yaml
check_eq "mtime is kept" 2020-01-02 "$(date -u -r users.yaml +%F)"
chmod 644 users.yaml

# renaming onto another schema's name is refused (the name inside differs)
# (mv reads rename's EINVAL as "cannot move to a subdirectory of itself")
out=$(mv users.yaml policies.yaml 2>&1)
check "mv users.yaml policies.yaml is refused ($out)" grep -q 'policies.yaml' <<<"$out"
check "users stays" cmp users.yaml "$WORK/good.yaml"
check "policies stays" cmp policies.yaml "$SCHEMAFS_EXAMPLES/policies.yaml"
check "validation says name mismatch" grep -q '^schemas/policies.yaml:1:[0-9]*: .*users' ../validation
cp "$SCHEMAFS_EXAMPLES/policies.yaml" policies.yaml.tmp
check "putting the same bytes back by temp+rename works" mv policies.yaml.tmp policies.yaml
check "and, being no new revision, leaves the refusal visible" grep -q '^schemas/policies.yaml:1:' ../validation

# renaming a schema to a non-schema name unregisters it; back registers it
nhist=$(ls ../history/users | wc -l)
check "mv users.yaml users.bak" mv users.yaml users.bak
check "users left migration_order" bash -c '! grep -qx users ../migration_order'
check "users left dependents/" [ ! -e ../dependents/users ]
check "users.bak has the bytes" cmp users.bak "$WORK/good.yaml"
check "mv users.bak users.yaml" mv users.bak users.yaml
check "users is back" grep -qx users ../migration_order
check_eq "no new history entry for a round trip" "$nhist" "$(ls ../history/users | wc -l)"

# mv away + rm: gone for good, durably (history stays)
cp "$WORK/orders.yaml" /dev/null 2>/dev/null
cat >"$WORK/tags.yaml" <<'EOF'
name: tags
owner: tag-service
columns:
  - name: id
    type: INTEGER
    primary_key: true
EOF
check "create tags" cp "$WORK/tags.yaml" tags.yaml
check "mv tags.yaml tags.old" mv tags.yaml tags.old
check "rm tags.old" rm tags.old
check "tags gone" [ ! -e tags.yaml ]

# rm + a refused re-create: the schema comes back (install, mv -f)
check "create tags again" cp "$WORK/tags.yaml" tags.yaml
check "rm tags.yaml" rm tags.yaml
check "tags gone from the views at once" bash -c '! grep -qx tags ../migration_order'
out=$(cp "$WORK/bad.yaml" tags.yaml 2>&1)
check "a refused re-create fails ($out)" grep -q 'Invalid argument' <<<"$out"
check "and brings tags back" wait_until 5 cmp tags.yaml "$WORK/tags.yaml"
check "tags in migration_order again" grep -qx tags ../migration_order

# a refused new file leaves nothing behind
out=$(cp "$WORK/bad.yaml" brandnew.yaml 2>&1)
check "a refused new schema fails ($out)" grep -q 'Invalid argument' <<<"$out"
check "no brandnew.yaml left" wait_until 5 test ! -e brandnew.yaml
check "validation explains brandnew" grep -q '^schemas/brandnew.yaml:' ../validation
touch empty.yaml
check "touch of a new name leaves nothing (an empty schema is not one)" wait_until 5 test ! -e empty.yaml

# editor files are plain files, never schemas
printf 'x' >4913
printf 'swap' >.users.yaml.swp
cp "$WORK/good.yaml" users.yaml~
cp "$WORK/good.yaml" sedAbC123
cp "$WORK/good.yaml" '#users.yaml#'
check "emacs lock symlink" ln -s 'root@host.1234:1700000000' .#users.yaml
check_eq "readlink of the lock" 'root@host.1234:1700000000' "$(readlink .#users.yaml)"
check_eq "editor files listed" "#users.yaml# .#users.yaml .users.yaml.swp 4913 sedAbC123 users.yaml~" \
	"$(ls -A | grep -vxF -f <(printf '%s\n' $SCHEMAS tags.yaml) | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
check "editor files never become schemas" bash -c '! grep -qE "swp|4913|sed|~|#" ../migration_order'
check "editor files are readable" cmp sedAbC123 "$WORK/good.yaml"
check "rename among editor files" mv sedAbC123 sedXyZ789
check "a symlink with a schema name is refused" bash -c '! ln -s x link.yaml 2>/dev/null'
check "rm editor files" rm -f 4913 .users.yaml.swp users.yaml~ sedXyZ789 '#users.yaml#' .#users.yaml
check_eq "only schemas left" "applications.yaml audit_logs.yaml notifications.yaml policies.yaml tags.yaml users.yaml" "$(ls -A | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"

# shell builtins cannot report a refusal: the exit status is 0, validation says it
(echo 'not: [valid' >tags.yaml) 2>"$WORK/echo.err"
check "echo > keeps the schema" cmp tags.yaml "$WORK/tags.yaml"
check "echo >: validation explains" grep -qE '^schemas/tags.yaml:[0-9]+:[0-9]+: error: invalid YAML' ../validation

# registry.yaml: edited in place, validated, never removed
cp ../registry.yaml "$WORK/registry.yaml"
sed 's/^name: .*/name: renamed/' "$WORK/registry.yaml" >"$WORK/registry2.yaml"
check "cp a valid registry.yaml" cp "$WORK/registry2.yaml" ../registry.yaml
check "registry.yaml has the new bytes" cmp ../registry.yaml "$WORK/registry2.yaml"
printf 'name: x\nnmae: y\n' >"$WORK/registry3.yaml"
out=$(cp "$WORK/registry3.yaml" ../registry.yaml 2>&1)
check "an invalid registry.yaml is refused ($out)" grep -q 'Invalid argument' <<<"$out"
check "registry.yaml keeps its bytes" cmp ../registry.yaml "$WORK/registry2.yaml"
check "validation explains registry.yaml" grep -q '^registry.yaml:2:' ../validation
check "rm registry.yaml is refused" bash -c '! rm -f ../registry.yaml 2>/dev/null'

cd /
unmount_fs

# after the remount: tags (restored) and registry.yaml (edited) are in the store
mount_fs
check "tags survived" cmp "$MNT/schemas/tags.yaml" "$WORK/tags.yaml"
check "registry.yaml survived" cmp "$MNT/registry.yaml" "$WORK/registry2.yaml"
unmount_fs
