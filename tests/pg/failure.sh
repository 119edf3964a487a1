#!/usr/bin/env bash
# A step that fails at run time (a NOT NULL column without default on a
# table with rows), after steps that succeeded: the database is exactly as
# before (pg_dump --schema-only), status names the step, PostgreSQL's error
# and SQLSTATE and the rollback; the next apply after a fix works.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

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
cat >>"$WORK/schemas/orders.yaml" <<'EOF'
  - name: user_id
    type: UUID
    nullable: false
references:
  - schema: users
    column: id
    foreign_key: user_id
EOF
reimport
tier_line=$(grep -n 'name: tier' "$WORK/schemas/users.yaml" | cut -d: -f1)

run 0 sfs migrate plan
check_has $'2\tuser-service\tusers\t-\tadd column \'tier\''
run 1 sfs migrate check
check_has "schemas/users.yaml:$tier_line:5: warning: NOT NULL column 'users.tier' added without a default fails if 'users' has rows"
check_has "dry run: step 2 of 4 (users: add column 'tier') failed: column \"tier\" of relation \"users\" contains null values (SQLSTATE 23502); rolled back"

dump >"$WORK/before.sql"
run 1 sfs migrate apply
check_has "state: failed"
check_has "failed step: 2 of 4: users: add column 'tier'"
check_has "error: column \"tier\" of relation \"users\" contains null values"
check_has "sqlstate: 23502"
check_has "database: rolled back: the database is exactly as before"
dump >"$WORK/after.sql"
check_file_eq "the failed apply leaves the database" "$WORK/before.sql" "$WORK/after.sql"
check_eq "orders does not exist" 0 "$(q "SELECT count(*) FROM pg_class WHERE relname = 'orders'")"
check_eq "a failed run is not recorded as applied" 1 "$(q "SELECT count(*) FROM schemafs_migrations")"
run 0 sfs migrate status
check_has "state: failed"
check_has "completed steps: 1"
run 0 sfs migrate log
check_has $'\tapply\tfailed\t'
check_has "step 2: column \"tier\""

# the fix: a default for the existing rows
sed -i "$((tier_line + 2))a\\    default: 1" "$WORK/schemas/users.yaml"
reimport
run 0 sfs migrate check
check_lacks "warning: NOT NULL column 'users.tier'"
run 0 sfs migrate apply
check_has "state: succeeded"
check_eq "tier default" 1 "$(q "SELECT tier FROM users")"
check_eq "orders foreign key" 1 \
	"$(q "SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'")"
run 0 sfs migrate plan
check_has "nothing to do"
