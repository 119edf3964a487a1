#!/usr/bin/env bash
# rollback undoes the last applied run, database and registry: generated
# DDL reversed from the registry revisions before the run, hand-written
# steps through their .down.sql; refused clearly when it cannot be undone.
. "$(dirname "$0")/lib.sh"

exported() {
	rm -rf "$work/export"
	sfs export "$work/export" >/dev/null || fail "export"
}

seed_applied                             # run 1: the five tables
dump >"$work/run1.sql"

# a generated change, undone
add_column users <<'EOF'
  - name: profile_image_url
    type: VARCHAR(500)
EOF
sed -i 's/^version: 1.0.0/version: 1.1.0/' "$work/schemas/users.yaml"
reimport
expect_rc 0 sfs migrate apply            # run 2
[ "$(column_count profile_image_url)" = 1 ] || fail "run 2 did not add the column"
expect_rc 0 sfs migrate rollback
contains "kind: rollback"
contains "state: succeeded"
contains "undoes run: 2"
dump >"$work/now.sql"
diff -u "$work/run1.sql" "$work/now.sql" || fail "rollback did not restore the database"
exported
cmp "$src/examples/aegis/users.yaml" "$work/export/users.yaml" || fail "users.yaml not restored"
[ "$(q "SELECT kind FROM schemafs_migrations ORDER BY id DESC LIMIT 1")" = rollback ] ||
	fail "rollback not recorded in the target"

# a hand-written change with its down script, undone
printf 'ALTER TABLE users ADD COLUMN login_count INTEGER DEFAULT 0;\n' | sfs migrate pending put users.sql
printf 'ALTER TABLE users DROP COLUMN login_count;\n' | sfs migrate pending put users.down.sql
add_column users <<'EOF'
  - name: login_count
    type: INTEGER
    default: 0
EOF
sed -i '/profile_image_url/,+1d' "$work/schemas/users.yaml"
reimport
expect_rc 0 sfs migrate apply            # run 4
contains "archived: migrations/applied/"
expect_rc 0 sfs migrate rollback
contains "undoes run: 4"
dump >"$work/now.sql"
diff -u "$work/run1.sql" "$work/now.sql" || fail "down script did not restore the database"
exported
cmp "$src/examples/aegis/users.yaml" "$work/export/users.yaml" || fail "users.yaml not restored (2)"

# again: run 1 itself, which created every table
expect_rc 0 sfs migrate rollback
contains "undoes run: 1"
[ "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'policies', 'applications', 'audit_logs', 'notifications')")" = 0 ] ||
	fail "rollback of run 1 left tables"
exported
[ -z "$(ls "$work/export" | grep -v registry.yaml)" ] || fail "rollback of run 1 left schemas registered"
expect_rc 1 sfs migrate rollback
contains "no applied run to roll back"

# a hand-written step without a down script cannot be undone
cp "$src"/examples/aegis/*.yaml "$work/schemas/"
reimport
expect_rc 0 sfs migrate apply
printf 'ALTER TABLE policies ADD COLUMN priority INTEGER;\n' | sfs migrate pending put policies.sql
add_column policies <<'EOF'
  - name: priority
    type: INTEGER
EOF
reimport
expect_rc 0 sfs migrate apply
dump >"$work/before.sql"
expect_rc 1 sfs migrate rollback
contains "there is no policies.down.sql to undo it"
dump >"$work/now.sql"
diff -u "$work/before.sql" "$work/now.sql" || fail "a refused rollback changed the database"

# nor can a dropped column come back
sed -i '/name: priority/,+1d' "$work/schemas/policies.yaml"
reimport
expect_rc 0 sfs migrate apply
expect_rc 1 sfs migrate rollback
contains "cannot be undone"
contains "policies: drop column 'priority'"
expect_rc 0 sfs migrate status
contains "state: refused"
echo "ok: $test_name"
