#!/usr/bin/env bash
# schemafs migrate check --offline with no PostgreSQL at all (PGHOST points
# nowhere): planned against an empty database, warnings exit 0 and fail
# under --strict, JSON and GitHub annotations; --json outputs of plan and
# check stay JSON when the database is unreachable ({"error": ...}, exit 1,
# the message on stderr); schemafs check DIR --strict / --format github.
. "$(dirname "$0")/../lib.sh"

export PGHOST=$WORK/no-server PGPORT=5432
unset PGDATABASE PGSERVICE
export SCHEMAFS_DB=$WORK/registry.db
run 0 "$BIN" import "$SRC/examples/aegis"

run 0 "$BIN" migrate check --offline
check_has "offline: planned against an empty database (no run applied yet)"
check_has "dry run: not run (offline): 19 steps linted"
# the seed's duplicate unique index, at its YAML line
check_has "schemas/users.yaml:55:11: warning: unique index idx_users_email"
run 1 "$BIN" migrate check --offline --strict
check_has "strict: warnings fail the check"
run 0 "$BIN" migrate check --offline --json
check_json "$WORK/out"
check_has '"baseline": "empty"'
run 0 "$BIN" migrate check --offline --format github
check_has "::warning file=schemas/users.yaml,line=55,col=11::unique index idx_users_email"

# an error exits 1 offline too: MySQL syntax in a pending script
printf 'ALTER TABLE users ADD INDEX idx_phone (phone);\n' |
	"$BIN" migrate pending put users.sql
run 1 "$BIN" migrate check --offline
check_has "migrations/pending/users.sql:1:"
check_has "error:"
"$BIN" migrate pending rm users.sql

# registry.yaml lint: {strict: true} is --strict
mkdir -p "$WORK/strict"
cp "$SRC"/examples/aegis/*.yaml "$WORK/strict/"
printf '\nlint:\n  strict: true\n' >>"$WORK/strict/registry.yaml"
run 0 "$BIN" import "$WORK/strict"
run 1 "$BIN" migrate check --offline
check_has "strict: warnings fail the check"
run 0 "$BIN" import "$SRC/examples/aegis"

# JSON when the database cannot be reached
for cmd in plan check impact; do
	run 1 "$BIN" migrate "$cmd" --json
	check_json "$WORK/out"
	check_has '{"error": "cannot connect to'
	if [ -s "$WORK/err" ]; then pass "$cmd --json: message on stderr"
	else fail "$cmd --json: no message on stderr"; fi
done
run 0 "$BIN" migrate status --json
check_stdout '{"run": null}'
run 0 "$BIN" migrate log --json
check_json "$WORK/out"
check_has '"verified": false'
run 2 "$BIN" migrate apply --strict
run 2 "$BIN" migrate plan --force

# schemafs check DIR: --strict makes warnings fail, --format github
mkdir -p "$WORK/warn"
cp "$SRC"/examples/aegis/*.yaml "$WORK/warn/"
run 0 "$BIN" check "$WORK/warn"
check_empty "$WORK/out"
cat >"$WORK/warn/extra.yaml" <<'YAML'
name: extra
owner: extra-service
columns:
  - name: id
    type: BIGINT
    primary_key: true
  - name: user_id
    type: UUID
    nullable: true
references:
  - schema: users
    column: id
    foreign_key: user_id
    on_delete: SET DEFAULT
YAML
run 0 "$BIN" check "$WORK/warn"
check_has "warning:"
run 1 "$BIN" check "$WORK/warn" --strict
run 0 "$BIN" check "$WORK/warn" --format github
check_match "$WORK/out" '^::warning file=[^,]*extra.yaml,line=[0-9]+,col=[0-9]+::.*SET DEFAULT'
run 1 "$BIN" check "$WORK/warn" --strict --format json
check_json "$WORK/out"
