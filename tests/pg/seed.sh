#!/usr/bin/env bash
# The seed end to end, without a mount (schemafs migrate):
# the five example tables onto an empty database, a column added to
# users.yaml, the seed's two pending SQL changes (MySQL ADD INDEX caught by
# check, apply refused, database untouched), fixed, applied, archived.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

seed_dir

# 1. empty database -> the five tables with their keys and indexes
run 0 sfs migrate plan
check_has $'1\tuser-service\tusers\t-\tcreate table \'users\''
run 0 sfs migrate check
check_has "dry run: ok:"
run 0 sfs migrate apply
check_has "state: succeeded"
check_has "database: committed"
check_eq "tables after apply" "applications audit_logs notifications policies users" \
	"$(q "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
        AND relname NOT LIKE 'schemafs%'")"
fks=$(q "SELECT conrelid::regclass || '.' || (SELECT attname FROM pg_attribute
        WHERE attrelid = conrelid AND attnum = conkey[1]) || '>' || confrelid::regclass || ':' ||
        confdeltype::text || confupdtype::text FROM pg_constraint WHERE contype = 'f'" | sort | tr '\n' ' ')
check_eq "foreign keys" "applications.policy_id>policies:rc applications.reviewed_by>users:nc applications.user_id>users:rc audit_logs.user_id>users:nc notifications.user_id>users:cc policies.created_by>users:rc " "$fks"
for idx in $(grep -ho 'name: idx_[a-z_]*' "$WORK"/schemas/*.yaml | cut -d' ' -f2); do
	check_eq "index $idx" 1 "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = '$idx'")"
done
check_eq "unique index" \
	"CREATE UNIQUE INDEX idx_applications_user_policy ON public.applications USING btree (user_id, policy_id)" \
	"$(q "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_applications_user_policy'")"
check_eq "history row" 1 "$(q "SELECT count(*) FROM schemafs_migrations WHERE kind = 'apply' AND steps > 0")"
run 0 sfs migrate plan
check_has "nothing to do"
# options may follow the command, as in the other commands
run 0 sfs migrate plan --lock-timeout 1000
check_has "nothing to do"
# status --json: the last run's fields as JSON (issue 10 asks for it)
run 0 sfs migrate status --json
check_json "$WORK/out"
check_has '"kind": "apply", "state": "succeeded"'
check_has '"database": "committed"'
run 2 sfs migrate apply --json
check_has "'--json' is for plan, check, impact, status and log"

# 2. the seed's section 5.2: a column added to users.yaml
add_column users <<'EOF'
  - name: profile_image_url
    type: VARCHAR(500)
    nullable: true
    description: 프로필 이미지 URL
EOF
reimport
run 0 sfs migrate plan
check_has $'1\tuser-service\tusers\t-\tadd column \'profile_image_url\''
check_has $'\tALTER TABLE "users" ADD COLUMN "profile_image_url" VARCHAR(500);'
run 0 sfs migrate impact
check_has "affected services: 5"
check_has $'users\tuser-service\t1\tapplication-service,audit-service,notification-service,policy-service'
run 0 sfs migrate apply
check_eq "profile_image_url added" "character varying(500)" \
	"$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = 'users'::regclass AND attname = 'profile_image_url'")"

# 3. the seed's schema_changes, as written in the seed (MySQL ADD INDEX)
printf '\n        ALTER TABLE users \n        ADD COLUMN last_login_at TIMESTAMP NULL,\n        ADD COLUMN login_count INTEGER DEFAULT 0;\n' |
	sfs migrate pending put users.sql
printf '\n        ALTER TABLE policies \n        ADD COLUMN priority INTEGER DEFAULT 0,\n        ADD INDEX idx_policies_priority (priority);\n' |
	sfs migrate pending put policies.sql
dump >"$WORK/before.sql"
run 1 sfs migrate check
check_has "migrations/pending/policies.sql:4:9: error: MySQL syntax: ADD INDEX is not PostgreSQL; use CREATE INDEX"
check_has "dry run: not run"
run 1 sfs migrate apply
check_has "apply: refused:"
check_has "migrations/pending/policies.sql:4:9: error: MySQL syntax"
run 0 sfs migrate status
check_has "state: refused"
check_has "database: untouched"
dump >"$WORK/after.sql"
check_file_eq "a refused apply leaves the database" "$WORK/before.sql" "$WORK/after.sql"
check_eq "a refused apply does not run the users script" 0 \
	"$(q "SELECT count(*) FROM information_schema.columns WHERE column_name IN ('last_login_at', 'priority')")"

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
printf '  - name: idx_policies_priority\n    columns: [priority]\n' >>"$WORK/schemas/policies.yaml"
reimport
run 0 sfs migrate plan
check_has "migrations/pending/users.sql"
check_has "migrations/pending/policies.sql"
check_lacks "ADD COLUMN \"login_count\""   # the pending script replaces the generated DDL
run 0 sfs migrate check
check_has "warning: CREATE INDEX 'idx_policies_priority' on existing table 'policies' without CONCURRENTLY"
check_has "dry run: ok: 2 steps"
check_lacks "does not match"
run 0 sfs migrate apply
check_has "state: succeeded"
check_has "archived: migrations/applied/"
check_lacks "notes:"
run=$(sed -n 's/^run: //p' "$WORK/all")
check_eq "the fixed apply adds the columns" 3 \
	"$(q "SELECT count(*) FROM information_schema.columns WHERE column_name IN ('last_login_at', 'login_count', 'priority')")"
check_eq "idx_policies_priority" 1 "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_policies_priority'")"
check_eq "pending files archived" "" "$(sfs migrate pending list)"
check_eq "archive of run $run" "policies.sql users.sql " "$(sfs migrate applied "$run" | tr '\n' ' ')"
sfs migrate applied "$run" policies.sql >"$WORK/archived.sql"
check_contains "$WORK/archived.sql" 'CREATE INDEX idx_policies_priority'   # the archived bytes
run 0 sfs migrate plan
check_has "nothing to do"
run 0 sfs migrate plan --json
check_eq "empty plan as JSON" "[]" "$(cat "$WORK/all")"

# the CLI's small commands and its usage errors
printf 'SELECT 1;\n' | sfs migrate pending put audit_logs.sql
check_eq "pending cat" "SELECT 1;" "$(sfs migrate pending cat audit_logs.sql)"
run 0 sfs migrate plan --json
check_has '"kind": "pending script", "service": "audit-service", "schema": "audit_logs"'
check_has '"sql": "SELECT 1;\n"'
sfs migrate pending rm audit_logs.sql
run 1 sfs migrate pending rm audit_logs.sql
check_has "no such file"
run 2 sfs migrate pending put notes.txt </dev/null
check_has "pending files are named <table>.sql or <table>.down.sql"
run 2 sfs migrate frobnicate
check_has "unknown command"
run 2 sfs migrate
check_has "no command"
run 2 sfs migrate --lock-timeout 0 plan
run 1 sfs migrate applied 999 nothing.sql
run 0 sfs migrate log
check_eq "log lines" 4 "$(wc -l <"$WORK/all")"
check_has $'\tapply\trefused\t'
