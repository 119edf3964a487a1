#!/usr/bin/env bash
# schemafs check / order / graph / dependents / cycles / docs / erd on a
# directory (cli/cmd_check.c): exact output on the seed, problems with
# file:line:col and exit 1, usage errors exit 2, valid JSON, and docs and
# diagrams accepted by their real renderers.
. "$(dirname "$0")/../lib.sh"

SHARED=${SCHEMAFS_SHARED:-$SRC/../shared}
SEED=$SRC/examples/aegis

# --- the seed ---------------------------------------------------------------

run 0 "$BIN" check "$SEED"
check_empty "$WORK/out"
check_empty "$WORK/err"

run 0 "$BIN" check "$SEED" --json
check_stdout '[]'

run 0 "$BIN" order "$SEED"
check_stdout 'users
audit_logs
notifications
policies
applications'

run 0 "$BIN" graph "$SEED"
check_stdout 'applications: policies users
audit_logs: users
notifications: users
policies: users
users:'

run 0 "$BIN" graph --json "$SEED"
check_json "$WORK/out"

run 0 "$BIN" dependents "$SEED" users
check_stdout 'application-service
audit-service
notification-service
policy-service'

run 0 "$BIN" dependents "$SEED" applications
check_empty "$WORK/out"

run 0 "$BIN" dependents "$SEED" users --json
check_json "$WORK/out"
check_match "$WORK/out" '"services": \["application-service", "audit-service", "notification-service", "policy-service"\]'

run 0 "$BIN" dependents "$SEED" --json
check_json "$WORK/out"

run 0 "$BIN" order "$SEED" --json
check_json "$WORK/out"

run 0 "$BIN" cycles "$SEED"
check_empty "$WORK/out"

run 0 "$BIN" docs "$SEED"
cp "$WORK/out" "$WORK/schema.md"
check_match "$WORK/schema.md" '^# Schema registry: aegis$'
check_match "$WORK/schema.md" '^## users$'
check_match "$WORK/schema.md" '사용자 정보를 저장하는 테이블'

run 0 "$BIN" erd "$SEED"
cp "$WORK/out" "$WORK/erd.mmd"
check_match "$WORK/erd.mmd" '^erDiagram$'
check_match "$WORK/erd.mmd" '^    users \|\|--o\{ policies : "created_by"$'

run 0 "$BIN" erd "$SEED" --dot
cp "$WORK/out" "$WORK/erd.dot"
check_match "$WORK/erd.dot" '^digraph erd \{$'

# --- a directory with problems ----------------------------------------------

mkdir "$WORK/bad"
cp "$SEED"/*.yaml "$WORK/bad/"
cat >"$WORK/bad/teams.yaml" <<'EOF'
name: teams
owner: team-service
columns:
  - name: id
    type: UUID
    nulable: false
EOF
cat >"$WORK/bad/a.yaml" <<'EOF'
name: a
owner: s
columns:
  - name: id
    type: UUID
    nullable: false
    primary_key: true
  - name: b_id
    type: UUID
references:
  - schema: b
    column: id
    foreign_key: b_id
EOF
cat >"$WORK/bad/b.yaml" <<'EOF'
name: b
owner: s
columns:
  - name: id
    type: UUID
    nullable: false
    primary_key: true
  - name: a_id
    type: UUID
references:
  - schema: a
    column: id
    foreign_key: a_id
EOF

run 1 "$BIN" check "$WORK/bad"
check_match "$WORK/out" "^$WORK/bad/teams\\.yaml:6:5: error: .*'nulable'"
# every line is file:line:col: severity: message (or file: severity: message)
check_fails "every line is in file:line:col: severity: message form" \
	grep -vE '^[^:]+(:[0-9]+:[0-9]+)?: (error|warning|note): .+' "$WORK/out"
run 1 "$BIN" check --json "$WORK/bad"
check_json "$WORK/out"

run 1 "$BIN" cycles "$WORK/bad"
check_stdout 'a -> b -> a'
check_match "$WORK/err" "teams\\.yaml:6:5: error: "

run 1 "$BIN" order "$WORK/bad"
check_match "$WORK/out" '^users$'
# the cycle's tables come together, by name
check "a and b together in the order" \
	awk '/^a$/{a=NR} /^b$/{b=NR} END{exit !(a && b == a + 1)}' "$WORK/out"

# --- usage and missing things -----------------------------------------------

run 2 "$BIN" check
run 2 "$BIN" check "$SEED" extra
run 2 "$BIN" graph "$SEED" --bogus
run 2 "$BIN" docs "$SEED" --json
run 2 "$BIN" erd "$SEED" --json
run 2 "$BIN" dependents "$SEED"
check_match "$WORK/err" '^usage: schemafs dependents'
run 0 "$BIN" order --help
check_match "$WORK/out" '^usage: schemafs order DIR'
run 1 "$BIN" dependents "$SEED" nosuchtable
check_match "$WORK/err" "no schema 'nosuchtable'"
run 1 "$BIN" check "$WORK/does-not-exist"
check_match "$WORK/err" "does-not-exist"

# --- the real renderers -------------------------------------------------------

if [ -x "$SHARED/tools/markdown-check" ]; then
	run 0 "$SHARED/tools/markdown-check" -q --min-tables 20 "$WORK/schema.md"
else
	skip_part markdown-check
fi
if [ -x "$SHARED/tools/mermaid-check" ]; then
	run 0 "$SHARED/tools/mermaid-check" -q --render --type er "$WORK/erd.mmd"
else
	skip_part mermaid-check
fi
if command -v dot >/dev/null 2>&1; then
	run 0 dot -Tsvg -o "$WORK/erd.svg" "$WORK/erd.dot"
	check_empty "$WORK/err"
else
	skip_part 'graphviz dot'
fi

