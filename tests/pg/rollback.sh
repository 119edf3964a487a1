#!/usr/bin/env bash
# rollback undoes the last applied run, database and registry: generated
# DDL reversed from the registry revisions before the run, hand-written
# steps through their .down.sql; refused clearly when it cannot be undone.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

exported() {
	rm -rf "$WORK/export"
	sfs export "$WORK/export" >/dev/null || die "export"
}

seed_applied                             # run 1: the five tables
dump >"$WORK/run1.sql"

# a generated change, undone
add_column users <<'EOF'
  - name: profile_image_url
    type: VARCHAR(500)
EOF
sed -i 's/^version: 1.0.0/version: 1.1.0/' "$WORK/schemas/users.yaml"
reimport
run 0 sfs migrate apply            # run 2
check_eq "run 2 adds the column" 1 "$(column_count profile_image_url)"
run 0 sfs migrate rollback
check_has "kind: rollback"
check_has "state: succeeded"
check_has "undoes run: 2"
dump >"$WORK/now.sql"
check_file_eq "rollback restores the database" "$WORK/run1.sql" "$WORK/now.sql"
exported
check_file_eq "users.yaml restored" "$SRC/examples/aegis/users.yaml" "$WORK/export/users.yaml"
check_eq "rollback recorded in the target" rollback \
	"$(q "SELECT kind FROM schemafs_migrations ORDER BY id DESC LIMIT 1")"

# a hand-written change with its down script, undone
printf 'ALTER TABLE users ADD COLUMN login_count INTEGER DEFAULT 0;\n' | sfs migrate pending put users.sql
printf 'ALTER TABLE users DROP COLUMN login_count;\n' | sfs migrate pending put users.down.sql
add_column users <<'EOF'
  - name: login_count
    type: INTEGER
    default: 0
EOF
sed -i '/profile_image_url/,+1d' "$WORK/schemas/users.yaml"
reimport
run 0 sfs migrate apply            # run 4
check_has "archived: migrations/applied/"
run 0 sfs migrate rollback
check_has "undoes run: 4"
dump >"$WORK/now.sql"
check_file_eq "the down script restores the database" "$WORK/run1.sql" "$WORK/now.sql"
exported
check_file_eq "users.yaml restored (2)" "$SRC/examples/aegis/users.yaml" "$WORK/export/users.yaml"

# again: run 1 itself, which created every table
run 0 sfs migrate rollback
check_has "undoes run: 1"
check_eq "rollback of run 1 leaves no tables" 0 \
	"$(q "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'policies', 'applications', 'audit_logs', 'notifications')")"
exported
check_eq "rollback of run 1 leaves no schemas registered" "" "$(ls "$WORK/export" | grep -v registry.yaml || true)"
run 1 sfs migrate rollback
check_has "no applied run to roll back"

# a hand-written step without a down script cannot be undone
cp "$SRC"/examples/aegis/*.yaml "$WORK/schemas/"
reimport
run 0 sfs migrate apply
printf 'ALTER TABLE policies ADD COLUMN priority INTEGER;\n' | sfs migrate pending put policies.sql
add_column policies <<'EOF'
  - name: priority
    type: INTEGER
EOF
reimport
run 0 sfs migrate apply
dump >"$WORK/before.sql"
run 1 sfs migrate rollback
check_has "there is no policies.down.sql to undo it"
dump >"$WORK/now.sql"
check_file_eq "a refused rollback leaves the database" "$WORK/before.sql" "$WORK/now.sql"

# nor can a dropped column come back
sed -i '/name: priority/,+1d' "$WORK/schemas/policies.yaml"
reimport
run 0 sfs migrate apply
run 1 sfs migrate rollback
check_has "cannot be undone"
check_has "policies: drop column 'priority'"
run 0 sfs migrate status
check_has "state: refused"
