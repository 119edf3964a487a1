#!/usr/bin/env bash
# The seed end to end, without a mount (schemafs migrate):
# the five example tables onto an empty database, a column added to
# users.yaml, the seed's two pending SQL changes (MySQL ADD INDEX caught by
# check, apply refused, database untouched), fixed, applied, archived.
. "$(dirname "$0")/lib.sh"

seed_dir

# 1. empty database -> the five tables with their keys and indexes
expect_rc 0 sfs migrate plan
contains $'1\tuser-service\tusers\t-\tcreate table \'users\''
expect_rc 0 sfs migrate check
contains "dry run: ok:"
expect_rc 0 sfs migrate apply
contains "state: succeeded"
contains "database: committed"
[ "$(q "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
        AND relname NOT LIKE 'schemafs%'")" = \
  "applications audit_logs notifications policies users" ] || fail "tables after apply"
fks=$(q "SELECT conrelid::regclass || '.' || (SELECT attname FROM pg_attribute
        WHERE attrelid = conrelid AND attnum = conkey[1]) || '>' || confrelid::regclass || ':' ||
        confdeltype::text || confupdtype::text FROM pg_constraint WHERE contype = 'f'" | sort | tr '\n' ' ')
[ "$fks" = "applications.policy_id>policies:rc applications.reviewed_by>users:nc applications.user_id>users:rc audit_logs.user_id>users:nc notifications.user_id>users:cc policies.created_by>users:rc " ] ||
	fail "foreign keys: $fks"
for idx in $(grep -ho 'name: idx_[a-z_]*' "$work"/schemas/*.yaml | cut -d' ' -f2); do
	[ "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = '$idx'")" = 1 ] ||
		fail "index $idx missing"
done
[ "$(q "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_applications_user_policy'")" = \
  "CREATE UNIQUE INDEX idx_applications_user_policy ON public.applications USING btree (user_id, policy_id)" ] ||
	fail "unique index"
[ "$(q "SELECT count(*) FROM schemafs_migrations WHERE kind = 'apply' AND steps > 0")" = 1 ] ||
	fail "history row"
expect_rc 0 sfs migrate plan
contains "nothing to do"
# options may follow the command, as in the other commands
expect_rc 0 sfs migrate plan --lock-timeout 1000
contains "nothing to do"
expect_rc 2 sfs migrate status --json
contains "'--json' is for plan only"

# 2. the seed's section 5.2: a column added to users.yaml
add_column users <<'EOF'
  - name: profile_image_url
    type: VARCHAR(500)
    nullable: true
    description: 프로필 이미지 URL
EOF
reimport
expect_rc 0 sfs migrate plan
contains $'1\tuser-service\tusers\t-\tadd column \'profile_image_url\''
contains $'\tALTER TABLE "users" ADD COLUMN "profile_image_url" VARCHAR(500);'
expect_rc 0 sfs migrate impact
contains "affected services: 5"
contains $'users\tuser-service\t1\tapplication-service,audit-service,notification-service,policy-service'
expect_rc 0 sfs migrate apply
[ "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = 'users'::regclass AND attname = 'profile_image_url'")" = \
  "character varying(500)" ] || fail "profile_image_url not added"

# 3. the seed's schema_changes, as written in the seed (MySQL ADD INDEX)
printf '\n        ALTER TABLE users \n        ADD COLUMN last_login_at TIMESTAMP NULL,\n        ADD COLUMN login_count INTEGER DEFAULT 0;\n' |
	sfs migrate pending put users.sql
printf '\n        ALTER TABLE policies \n        ADD COLUMN priority INTEGER DEFAULT 0,\n        ADD INDEX idx_policies_priority (priority);\n' |
	sfs migrate pending put policies.sql
dump >"$work/before.sql"
expect_rc 1 sfs migrate check
contains "migrations/pending/policies.sql:4:9: error: MySQL syntax: ADD INDEX is not PostgreSQL; use CREATE INDEX"
contains "dry run: not run"
expect_rc 1 sfs migrate apply
contains "apply: refused:"
contains "migrations/pending/policies.sql:4:9: error: MySQL syntax"
expect_rc 0 sfs migrate status
contains "state: refused"
contains "database: untouched"
dump >"$work/after.sql"
diff -u "$work/before.sql" "$work/after.sql" || fail "a refused apply changed the database"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name IN ('last_login_at', 'priority')")" = 0 ] ||
	fail "refused apply ran the users script"

# 4. fixed: PostgreSQL's CREATE INDEX, and the declarations updated to match
printf 'ALTER TABLE policies ADD COLUMN priority INTEGER DEFAULT 0;\nCREATE INDEX idx_policies_priority ON policies (priority);\n' |
	sfs migrate pending put policies.sql
add_column users <<'EOF'
  - name: last_login_at
    type: TIMESTAMP
    nullable: true
  - name: login_count
    type: INTEGER
    default: 0
EOF
add_column policies <<'EOF'
  - name: priority
    type: INTEGER
    default: 0
EOF
printf '  - name: idx_policies_priority\n    columns: [priority]\n' >>"$work/schemas/policies.yaml"
reimport
expect_rc 0 sfs migrate plan
contains "migrations/pending/users.sql"
contains "migrations/pending/policies.sql"
lacks "ADD COLUMN \"login_count\""   # the pending script replaces the generated DDL
expect_rc 0 sfs migrate check
contains "warning: CREATE INDEX 'idx_policies_priority' on existing table 'policies' without CONCURRENTLY"
contains "dry run: ok: 2 steps"
lacks "does not match"
expect_rc 0 sfs migrate apply
contains "state: succeeded"
contains "archived: migrations/applied/"
lacks "notes:"
run=$(sed -n 's/^run: //p' "$work/out")
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name IN ('last_login_at', 'login_count', 'priority')")" = 3 ] ||
	fail "fixed apply did not add the columns"
[ "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_policies_priority'")" = 1 ] ||
	fail "idx_policies_priority"
[ -z "$(sfs migrate pending list)" ] || fail "pending files not archived"
[ "$(sfs migrate applied "$run" | tr '\n' ' ')" = "policies.sql users.sql " ] || fail "archive of run $run"
sfs migrate applied "$run" policies.sql | grep -q 'CREATE INDEX idx_policies_priority' || fail "archived bytes"
expect_rc 0 sfs migrate plan
contains "nothing to do"
expect_rc 0 sfs migrate plan --json
[ "$(cat "$work/out")" = "[]" ] || fail "empty plan as JSON"

# the CLI's small commands and its usage errors
printf 'SELECT 1;\n' | sfs migrate pending put audit_logs.sql
[ "$(sfs migrate pending cat audit_logs.sql)" = "SELECT 1;" ] || fail "pending cat"
expect_rc 0 sfs migrate plan --json
contains '"kind": "pending script", "service": "audit-service", "schema": "audit_logs"'
contains '"sql": "SELECT 1;\n"'
sfs migrate pending rm audit_logs.sql
expect_rc 1 sfs migrate pending rm audit_logs.sql
contains "no such file"
expect_rc 2 sfs migrate pending put notes.txt </dev/null
contains "pending files are named <table>.sql or <table>.down.sql"
expect_rc 2 sfs migrate frobnicate
contains "unknown command"
expect_rc 2 sfs migrate
contains "no command"
expect_rc 2 sfs migrate --lock-timeout 0 plan
expect_rc 1 sfs migrate applied 999 nothing.sql
expect_rc 0 sfs migrate log
[ "$(wc -l <"$work/out")" -eq 4 ] || { cat "$work/out"; fail "log lines"; }
contains $'\tapply\trefused\t'
echo "ok: $test_name"
