#!/usr/bin/env bash
# A dry-run failure is placed where its step comes from: a generated step
# at the YAML line of the column that causes it (file:line:col, PostgreSQL's
# message and SQLSTATE, the step), a pending script at the script's line
# of PostgreSQL's error position. Each of these passes the offline checks:
# only the database can refuse them.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

seed_applied
q "INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'a@example.com', 'A')"
cp "$WORK/schemas/users.yaml" "$WORK/users.yaml.orig"
line_of() { grep -n "name: $1\$" "$WORK/schemas/users.yaml" | cut -d: -f1; }

# a NOT NULL column without default on a table with rows
add_column users <<'EOF2'
  - name: tier
    type: INTEGER
    nullable: false
EOF2
reimport
run 1 sfs migrate check
check_has "schemas/users.yaml:$(line_of tier):5: error: dry run: column \"tier\" of relation \"users\" contains null values (SQLSTATE 23502) (step 1 of 1: add column 'tier')"
check_has "dry run: step 1 of 1 (users: add column 'tier') failed:"

# a schema-qualified type (not judged offline) the target does not have
cp "$WORK/users.yaml.orig" "$WORK/schemas/users.yaml"
add_column users <<'EOF2'
  - name: mood
    type: public.mood
EOF2
reimport
run 0 sfs migrate check --offline
run 1 sfs migrate check
check_has "schemas/users.yaml:$(line_of mood):5: error: dry run: type \"public.mood\" does not exist (SQLSTATE 42704) (step 1 of 1: add column 'mood')"

# a default PostgreSQL evaluates only when it runs
cp "$WORK/users.yaml.orig" "$WORK/schemas/users.yaml"
add_column users <<'EOF2'
  - name: level
    type: INTEGER
    default: "'high'::integer"
EOF2
reimport
run 0 sfs migrate check --offline
run 1 sfs migrate check
check_has "schemas/users.yaml:$(line_of level):5: error: dry run: invalid input syntax for type integer: \"high\" (SQLSTATE 22P02) (step 1 of 1: add column 'level')"

# a pending script: at its own line and column
cp "$WORK/users.yaml.orig" "$WORK/schemas/users.yaml"
reimport
printf 'SET lock_timeout = '"'"'1s'"'"';\nSET statement_timeout = '"'"'1min'"'"';\nUPDATE users\n   SET nosuch = 1;\n' |
	sfs migrate pending put users.sql
run 1 sfs migrate check
check_has "migrations/pending/users.sql:4:8: error: dry run: column \"nosuch\" of relation \"users\" does not exist"
