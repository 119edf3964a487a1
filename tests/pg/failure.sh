#!/usr/bin/env bash
# A step that fails at run time (a NOT NULL column without default on a
# table with rows), after steps that succeeded: the database is exactly as
# before (pg_dump --schema-only), status names the step, PostgreSQL's error
# and SQLSTATE and the rollback; the next apply after a fix works.
. "$(dirname "$0")/lib.sh"

seed_applied
q "INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'a@example.com', 'A')"

add_column users <<'EOF'
  - name: nickname
    type: VARCHAR(50)
  - name: tier
    type: INTEGER
    nullable: false
EOF
new_orders
cat >>"$work/schemas/orders.yaml" <<'EOF'
  - name: user_id
    type: UUID
    nullable: false
references:
  - schema: users
    column: id
    foreign_key: user_id
EOF
reimport
tier_line=$(grep -n 'name: tier' "$work/schemas/users.yaml" | cut -d: -f1)

expect_rc 0 sfs migrate plan
contains $'2\tuser-service\tusers\t-\tadd column \'tier\''
expect_rc 1 sfs migrate check
contains "schemas/users.yaml:$tier_line:5: warning: NOT NULL column 'users.tier' added without a default fails if 'users' has rows"
contains "dry run: step 2 of 4 (users: add column 'tier') failed: column \"tier\" of relation \"users\" contains null values (SQLSTATE 23502); rolled back"

dump >"$work/before.sql"
expect_rc 1 sfs migrate apply
contains "state: failed"
contains "failed step: 2 of 4: users: add column 'tier'"
contains "error: column \"tier\" of relation \"users\" contains null values"
contains "sqlstate: 23502"
contains "database: rolled back: the database is exactly as before"
dump >"$work/after.sql"
diff -u "$work/before.sql" "$work/after.sql" || fail "the failed apply changed the database"
[ "$(q "SELECT count(*) FROM pg_class WHERE relname = 'orders'")" = 0 ] || fail "orders exists"
[ "$(q "SELECT count(*) FROM schemafs_migrations")" = 1 ] || fail "a failed run was recorded as applied"
expect_rc 0 sfs migrate status
contains "state: failed"
contains "completed steps: 1"
expect_rc 0 sfs migrate log
contains $'\tapply\tfailed\t'
contains "step 2: column \"tier\""

# the fix: a default for the existing rows
sed -i "$((tier_line + 2))a\\    default: 1" "$work/schemas/users.yaml"
reimport
expect_rc 0 sfs migrate check
lacks "warning: NOT NULL column 'users.tier'"
expect_rc 0 sfs migrate apply
contains "state: succeeded"
[ "$(q "SELECT tier FROM users")" = 1 ] || fail "tier default"
[ "$(q "SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'")" = 1 ] ||
	fail "orders foreign key"
expect_rc 0 sfs migrate plan
contains "nothing to do"
echo "ok: $test_name"
