#!/bin/bash
# The layout of SPEC §2: every path, read-only views, true sizes,
# freshness after a write, history, JSON twins, erd.svg.
. "$(dirname "$0")/../lib.sh"
need_fuse
mount_fs

cd "$MNT"

check_eq "root listing" \
	"README changes cycles cycles.json dependents dependents.json docs erd erd.mmd erd.svg generation graph graph.json history migration_order migration_order.json migrations registry.yaml schemas services validation validation.json" \
	"$(ls_line .)"
check_eq "examples imported on first mount" \
	"applications.yaml audit_logs.yaml notifications.yaml policies.yaml users.yaml" \
	"$(ls_line schemas)"
check "schemas are byte-exact" cmp schemas/users.yaml "$SCHEMAFS_EXAMPLES/users.yaml"
check "registry.yaml is byte-exact" cmp registry.yaml "$SCHEMAFS_EXAMPLES/registry.yaml"
check_eq "migration_order: dependencies first" \
	"users audit_logs notifications policies applications" "$(tr '\n' ' ' <migration_order | sed 's/ $//')"
check_eq "graph line" "applications: policies users" "$(grep '^applications:' graph)"
check_eq "dependents/users" \
	"application-service audit-service notification-service policy-service" \
	"$(tr '\n' ' ' <dependents/users | sed 's/ $//')"
check_eq "dependents listing" \
	"applications audit_logs notifications policies users" "$(ls_line dependents)"
check "validation empty" [ ! -s validation ]
check "cycles empty" [ ! -s cycles ]
check "README names every file" grep -q 'migration_order' README
check "docs/schema.md mentions every table" \
	bash -c 'for t in users policies applications audit_logs notifications; do grep -q "$t" docs/schema.md || exit 1; done'
check "erd.mmd is a Mermaid erDiagram" grep -q '^erDiagram' erd.mmd
check "erd.svg is SVG" grep -q '<svg' erd.svg
check_eq "erd/ lists each table's diagrams" "applications.mmd applications.svg" \
	"$(ls erd | grep '^applications\.' | tr '\n' ' ' | sed 's/ $//')"
check_match erd/users.mmd '^    users \|\|--o\{ policies : "created_by"$'
check "erd/users.svg is SVG" grep -q '<title>users</title>' erd/users.svg
check_eq "erd/service/ lists each owner's diagrams" \
	"user-service.mmd user-service.svg" "$(ls erd/service | grep '^user-' | tr '\n' ' ' | sed 's/ $//')"
check_match erd/service/policy-service.mmd '^    policies \{$'
check "erd/service/user-service.svg is SVG" grep -q '<svg' erd/service/user-service.svg
check_fails "erd/nothing.mmd does not exist" cat erd/nothing.mmd
for j in graph.json validation.json dependents.json migration_order.json cycles.json; do
	check "$j is JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$j"
done
check_eq "migration_order.json has the same order" "$(tr '\n' ' ' <migration_order)" \
	"$(python3 -c 'import json; print(" ".join(e["schema"] if isinstance(e, dict) else e for e in json.load(open("migration_order.json"))), end=" ")' 2>/dev/null || true)"

# true sizes: stat agrees with the bytes read, for every view
for f in README graph graph.json migration_order validation cycles docs/schema.md erd.mmd erd.svg dependents/users history/users/1.0.0.yaml; do
	check_eq "size of $f" "$(wc -c <"$f")" "$(stat -c %s "$f")"
done

# read-only: every write to a view fails with EACCES (Permission denied)
for f in README graph migration_order validation docs/schema.md erd.mmd dependents/users history/users/1.0.0.yaml; do
	out=$( (echo x >"$f") 2>&1)
	check "writing $f fails with EACCES ($out)" grep -q 'Permission denied' <<<"$out"
done
check "rm of a view fails" bash -c '! rm -f graph 2>/dev/null'
# a new name in the root is an editor file (sed -i registry.yaml needs
# its temporary there): kept in memory, never a view or a schema
check "touch of a new root file makes an editor file" bash -c 'touch newfile && [ -f newfile ] && [ ! -s newfile ]'
check "the editor file is listed" bash -c 'ls | grep -qx newfile'
check "rm of the editor file" bash -c 'rm newfile && [ ! -e newfile ]'
check "mkdir fails" bash -c '! mkdir schemas/sub 2>/dev/null'
check "mkdir in the root fails" bash -c '! mkdir sub 2>/dev/null'
check "no such view" bash -c '! cat dependents/nope 2>/dev/null'
check "migrations/ exists" [ -d migrations ]

# history
check_eq "history listing" "applications audit_logs notifications policies users" "$(ls_line history)"
check_eq "history/users" "1.0.0.yaml" "$(ls_line history/users)"
check "history revision is byte-exact" cmp history/users/1.0.0.yaml "$SCHEMAFS_EXAMPLES/users.yaml"

# freshness: read every view (so the kernel caches them), change, read again
cat migration_order dependents/users erd.mmd graph docs/schema.md >/dev/null
before_size=$(stat -c %s migration_order)
cat >"$WORK/orders.yaml" <<'EOF'
name: orders
owner: order-service
columns:
  - name: id
    type: UUID
    primary_key: true
    nullable: false
  - name: user_id
    type: UUID
    nullable: false
references:
  - schema: users
    column: id
    foreign_key: user_id
    on_delete: CASCADE
EOF
check "cp a new schema" cp "$WORK/orders.yaml" schemas/orders.yaml
check "migration_order shows it after cp returns" grep -qx orders migration_order
check_eq "migration_order size is fresh" $((before_size + 7)) "$(stat -c %s migration_order)"
check "dependents/users shows it" grep -qx order-service dependents/users
check "erd.mmd shows it" grep -q orders erd.mmd
check "graph shows it" grep -qx 'orders: users' graph
check "docs show it" grep -q orders docs/schema.md
check "dependents/orders exists" [ -e dependents/orders ]
check "history/orders exists" [ -e history/orders/1.0.0.yaml ]

# docs/schema.md is composed of per-table parts kept between changes: after
# each kind of change it must equal a fresh rendering of the same files
docs_fresh() {
	rm -rf "$WORK/docsdir" && mkdir "$WORK/docsdir" &&
		cp schemas/*.yaml registry.yaml "$WORK/docsdir/" &&
		"$BIN" docs "$WORK/docsdir" >"$WORK/docs.expected" 2>/dev/null &&
		cmp docs/schema.md "$WORK/docs.expected"
}
check "docs after a new referencing schema equal a fresh rendering" docs_fresh
# (a new owner is a cosmetic change: a PATCH bump, docs/contracts.md)
sed 's/^owner: .*/owner: billing-service\nversion: 1.0.1/' "$WORK/orders.yaml" >"$WORK/orders2.yaml"
check "cp orders with a new owner" cp "$WORK/orders2.yaml" schemas/orders.yaml
check "docs show the new owner in users' referenced-by" grep -q '| \[orders\](#orders) | billing-service |' docs/schema.md
check "docs after a referrer's change equal a fresh rendering" docs_fresh
cat >"$WORK/ghostref.yaml" <<'EOF'
name: ghostref
owner: s
columns:
  - name: id
    type: UUID
  - name: ghost_id
    type: UUID
references:
  - schema: ghost
    column: id
    foreign_key: ghost_id
EOF
printf 'name: ghost\nowner: s\ncolumns:\n  - name: id\n    type: UUID\n' >"$WORK/ghost.yaml"
check "cp a schema referencing a missing one" cp "$WORK/ghostref.yaml" schemas/ghostref.yaml
check "docs say the target is missing" grep -q '`ghost` (not in the registry)' docs/schema.md
check "cp the missing schema" cp "$WORK/ghost.yaml" schemas/ghost.yaml
check "docs link it now" grep -q '| `ghost_id` | \[ghost\](#ghost) |' docs/schema.md
check "docs after a target appears equal a fresh rendering" docs_fresh
check "rm the target" rm schemas/ghost.yaml
check "docs after a target goes equal a fresh rendering" docs_fresh
check "rm the referrer" rm schemas/ghostref.yaml
check "cp orders back" cp "$WORK/orders.yaml" schemas/orders.yaml

# a new version of users: a new history entry; same version again: ~2
users_valid 1.1.0 >"$WORK/u1.yaml"
t0=$(stat -c %Y history/users/1.0.0.yaml)
g0=$(cat generation)
sleep 1.1 # revisions a second apart: their files' mtimes differ
check "cp users 1.1.0" cp "$WORK/u1.yaml" schemas/users.yaml
check "generation moved with the save" [ "$(cat generation)" -gt "$g0" ]
g1=$(cat generation)
cat generation graph docs/schema.md >/dev/null
check_eq "reading changes no generation" "$g1" "$(cat generation)"
check_eq "history/ mtime: a revision keeps its time" "$t0" "$(stat -c %Y history/users/1.0.0.yaml)"
check "history/ mtime: the new revision has its own, later time" \
	[ "$(stat -c %Y history/users/1.1.0.yaml)" -gt "$t0" ]
check "history/ mtime: when it was saved" \
	[ $(( $(date +%s) - $(stat -c %Y history/users/1.1.0.yaml) )) -le 5 ]
users_invalid >"$WORK/bad.yaml"
check_fails "a refused save" cp "$WORK/bad.yaml" schemas/users.yaml
check "generation moved with the refusal (validation changed)" [ "$(cat generation)" -gt "$g1" ]
check "the refused save is no revision" cmp schemas/users.yaml "$WORK/u1.yaml"
t1=$(stat -c %Y history/users/1.1.0.yaml)
check_eq "history/users after 1.1.0" "1.0.0.yaml 1.1.0.yaml" "$(ls_line history/users)"
check "docs after a referenced schema's change equal a fresh rendering" docs_fresh
{ users_valid 1.1.0; echo "# comment"; } >"$WORK/u2.yaml"
check "cp users 1.1.0 again, changed" cp "$WORK/u2.yaml" schemas/users.yaml
check_eq "a repeated version is ~2" "1.0.0.yaml 1.1.0.yaml 1.1.0~2.yaml" "$(ls_line history/users)"
check "history keeps each revision" cmp history/users/1.1.0.yaml "$WORK/u1.yaml"
check "comments are kept" cmp schemas/users.yaml "$WORK/u2.yaml"

# fresh after every save, also while an older handle keeps reading
python3 - "$MNT" <<'EOF' >"$WORK/fresh.out" 2>&1
import os, sys
mnt = sys.argv[1]
old = open(os.path.join(mnt, 'migration_order'), 'rb')   # opened before the saves
old.read(5)
bad = 0
for i in range(20):
    body = f"name: fresh{i}\nowner: s\ncolumns:\n  - name: id\n    type: INTEGER\n"
    with open(os.path.join(mnt, 'schemas', f'fresh{i}.yaml'), 'w') as f:
        f.write(body)
    old.seek(0)
    old.read()                      # stale bytes into the page cache
    data = open(os.path.join(mnt, 'migration_order'), 'rb').read()
    size = os.stat(os.path.join(mnt, 'migration_order')).st_size
    if f'fresh{i}\n'.encode() not in data or size != len(data):
        bad += 1
        print(f'stale after save {i}: size {size}, read {len(data)}')
for i in range(20):
    os.unlink(os.path.join(mnt, 'schemas', f'fresh{i}.yaml'))
    data = open(os.path.join(mnt, 'migration_order'), 'rb').read()
    if f'fresh{i}\n'.encode() in data:
        bad += 1
        print(f'stale after rm {i}')
print('bad', bad)
EOF
check_eq "20 saves and 20 rms, each seen by the next open (old handle open)" "bad 0" "$(tail -n 1 "$WORK/fresh.out")"

# rm unregisters; history stays
check "rm orders" rm schemas/orders.yaml
check "orders gone from migration_order" bash -c '! grep -qx orders migration_order'
check "order-service gone from dependents/users" bash -c '! grep -qx order-service dependents/users'
check "dependents/orders gone" [ ! -e dependents/orders ]
check "history/orders stays" cmp history/orders/1.0.0.yaml "$WORK/orders.yaml"
check "docs after rm equal a fresh rendering" docs_fresh

# cross-schema problems do not refuse a write; they show in validation
# (another foreign key is a MINOR change when nobody reads orders)
sed -e 's/schema: users/schema: userz/' -e 's/^owner: .*/&\nversion: 1.1.0/' "$WORK/orders.yaml" >"$WORK/orders2.yaml"
check "a dangling reference is accepted" cp "$WORK/orders2.yaml" schemas/orders.yaml
check "validation names it" grep -q "^schemas/orders.yaml:[0-9]*:[0-9]*:.*userz" validation
check "validation.json names it" grep -q userz validation.json
check "rm orders again" rm schemas/orders.yaml
check "validation clean again" [ ! -s validation ]

# a cycle
cat >"$WORK/a.yaml" <<'EOF'
name: a
owner: s
columns:
  - name: id
    type: INTEGER
    primary_key: true
  - name: b_id
    type: INTEGER
references:
  - schema: b
    column: id
    foreign_key: b_id
EOF
sed -e 's/^name: a/name: b/' -e 's/schema: b/schema: a/' -e 's/b_id/a_id/g' "$WORK/a.yaml" >"$WORK/b.yaml"
check "cp a" cp "$WORK/a.yaml" schemas/a.yaml
check "cp b" cp "$WORK/b.yaml" schemas/b.yaml
check_eq "cycles shows it" "a -> b -> a" "$(cat cycles)"
check "rm a b" rm schemas/a.yaml schemas/b.yaml
check "no cycles" [ ! -s cycles ]

cd /
unmount_fs

# the store survives a remount: same bytes
mount_fs
check "users.yaml survives a remount" cmp "$MNT/schemas/users.yaml" "$WORK/u2.yaml"
check "orders stays unregistered" [ ! -e "$MNT/schemas/orders.yaml" ]
check_eq "history after remount" "1.0.0.yaml 1.1.0.yaml 1.1.0~2.yaml" "$(ls_line "$MNT/history/users")"
check_eq "history/ mtime after remount: each revision's own time" "$t0 $t1" \
	"$(stat -c %Y "$MNT/history/users/1.0.0.yaml") $(stat -c %Y "$MNT/history/users/1.1.0.yaml")"

# validation is the current state: a refusal lasts while the file's content
# is not what was last written, whichever process recorded it or fixes it
users_invalid >"$WORK/bad.yaml"
check_fails "a refused save" cp "$WORK/bad.yaml" "$MNT/schemas/users.yaml"
check "validation has it" grep -q '^schemas/users.yaml:' "$MNT/validation"
mkdir -p "$WORK/fixed"
cp "$MNT/schemas/users.yaml" "$WORK/fixed/users.yaml"
check "CLI import of the current bytes" "$BIN" import --db "$DB" "$WORK/fixed"
check "validation forgets the refusal the import made moot" \
	wait_until 5 bash -c '! grep -q "^schemas/users.yaml:" "$1"' _ "$MNT/validation"
check_fails "refused again" cp "$WORK/bad.yaml" "$MNT/schemas/users.yaml"
unmount_fs
mount_fs
check "after remount the refusal is still shown" grep -q '^schemas/users.yaml:' "$MNT/validation"
users_valid 1.2.0 >"$WORK/u3.yaml"
check "a valid save after the remount" cp "$WORK/u3.yaml" "$MNT/schemas/users.yaml"
check "validation forgets the refusal an earlier mount recorded" \
	bash -c '! grep -q "^schemas/users.yaml:" "$1"' _ "$MNT/validation"
check_fails "refused once more" cp "$WORK/bad.yaml" "$MNT/schemas/users.yaml"
users_valid 1.3.0 >"$WORK/fixed/users.yaml"
check "CLI import of new bytes" "$BIN" import --db "$DB" "$WORK/fixed"
check "the import's bytes are the mount's" wait_until 5 cmp "$MNT/schemas/users.yaml" "$WORK/fixed/users.yaml"
check "and validation forgets the refusal" \
	bash -c '! grep -q "^schemas/users.yaml:" "$1"' _ "$MNT/validation"
# a name no content can make a schema: its refusal is never stored
out=$(cp "$WORK/u3.yaml" "$MNT/schemas/Bad-Name.yaml" 2>&1)
check "Bad-Name.yaml is not saved ($out)" bash -c '! grep -q "^Bad-Name$" "$1"' _ "$MNT/migration_order"
unmount_fs
mount_fs
check "after remount nothing about Bad-Name.yaml" \
	bash -c '! grep -q "Bad-Name" "$1"' _ "$MNT/validation"
check "validation is clean" [ ! -s "$MNT/validation" ]

# the CLI reads the same history: schemafs history NAME, schemafs show NAME[@REV]
run 0 "$BIN" history --db "$DB" users
check_eq "history: one line per revision, the last current" current \
	"$(tail -1 "$WORK/out" | cut -f5)"
check_eq "history: who saved the mount's revisions" "$(id -un)" "$(tail -1 "$WORK/out" | cut -f4)"
check_eq "history: the versions, oldest first" "1.0.0 1.1.0 1.1.0" \
	"$(cut -f2 "$WORK/out" | head -3 | tr '\n' ' ' | sed 's/ $//')"
first_time=$(head -1 "$WORK/out" | cut -f3)
check_eq "history: the time history/'s file shows" "$(date -u -d "@$t0" +%Y-%m-%dT%H:%M:%SZ)" "$first_time"
run 0 "$BIN" history --db "$DB" --json users
check_json "$WORK/out"
check "show: the current bytes" cmp <("$BIN" show --db "$DB" users) "$MNT/schemas/users.yaml"
check "show NAME@VERSION" cmp <("$BIN" show --db "$DB" users@1.0.0) "$SCHEMAFS_EXAMPLES/users.yaml"
rev1=$(head -1 "$WORK/out" | grep -o '"revision":[0-9]*' | head -1 | cut -d: -f2)
check "show NAME@REVISION" cmp <("$BIN" show --db "$DB" "users@$rev1") "$SCHEMAFS_EXAMPLES/users.yaml"
run 1 "$BIN" show --db "$DB" users@7.7.7
check_has "has no revision or version '7.7.7'"
run 1 "$BIN" history --db "$DB" nosuch
run 2 "$BIN" history --db "$DB"
run 0 "$BIN" help show
check_has "usage: schemafs show [--db FILE] NAME[@REV]"
run 0 "$BIN" history --help
check_has "usage: schemafs history [--db FILE] [--json] NAME"
unmount_fs
