#!/bin/sh
# schemafs check / order / graph / dependents / cycles / docs / erd on a
# directory (cli/cmd_check.c): exact output on the seed, problems with
# file:line:col and exit 1, usage errors exit 2, valid JSON, and docs and
# diagrams accepted by their real renderers.
set -u

BIN=${SCHEMAFS_BIN:?SCHEMAFS_BIN is not set}
SRC=${SCHEMAFS_SRC:?SCHEMAFS_SRC is not set}
SHARED=${SCHEMAFS_SHARED:-$SRC/../shared}
SEED=$SRC/examples/aegis
T=$(mktemp -d "${TMPDIR:-/tmp}/schemafs-cli-check-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
. "$SRC/tests/cli/lib.sh"

# A missing checker fails in CI (CI=true) and is skipped elsewhere.
missing() {
	if [ "${CI:-}" = true ]; then
		fail "$1 is not available, and CI=true forbids skipping"
	else
		echo "SKIP: $1 is not available" >&2
	fi
}

expect_out() { # TEXT: stdout is exactly TEXT (plus the final newline)
	printf '%s\n' "$1" >"$T/want"
	cmp -s "$T/want" "$T/out" || { fail "unexpected output"; diff "$T/want" "$T/out" >&2; }
}

expect_empty() { # FILE
	[ ! -s "$1" ] || { fail "$(basename "$1") is not empty"; sed 's/^/  | /' "$1" >&2; }
}

expect_match() { # FILE REGEX: some line of FILE matches
	grep -qE -- "$2" "$1" || { fail "no line of $(basename "$1") matches: $2"; sed 's/^/  | /' "$1" >&2; }
}

valid_json() { # FILE
	python3 -m json.tool "$1" >/dev/null 2>&1 || { fail "$(basename "$1") is not valid JSON"; sed 's/^/  | /' "$1" >&2; }
}

# --- the seed ---------------------------------------------------------------

run 0 "$BIN" check "$SEED"
expect_empty "$T/out"
expect_empty "$T/err"

run 0 "$BIN" check "$SEED" --json
expect_out '[]'

run 0 "$BIN" order "$SEED"
expect_out 'users
audit_logs
notifications
policies
applications'

run 0 "$BIN" graph "$SEED"
expect_out 'applications: policies users
audit_logs: users
notifications: users
policies: users
users:'

run 0 "$BIN" graph --json "$SEED"
valid_json "$T/out"

run 0 "$BIN" dependents "$SEED" users
expect_out 'application-service
audit-service
notification-service
policy-service'

run 0 "$BIN" dependents "$SEED" applications
expect_empty "$T/out"

run 0 "$BIN" dependents "$SEED" users --json
valid_json "$T/out"
expect_match "$T/out" '"services": \["application-service", "audit-service", "notification-service", "policy-service"\]'

run 0 "$BIN" dependents "$SEED" --json
valid_json "$T/out"

run 0 "$BIN" order "$SEED" --json
valid_json "$T/out"

run 0 "$BIN" cycles "$SEED"
expect_empty "$T/out"

run 0 "$BIN" docs "$SEED"
cp "$T/out" "$T/schema.md"
expect_match "$T/schema.md" '^# Schema registry: aegis$'
expect_match "$T/schema.md" '^## users$'
expect_match "$T/schema.md" '사용자 정보를 저장하는 테이블'

run 0 "$BIN" erd "$SEED"
cp "$T/out" "$T/erd.mmd"
expect_match "$T/erd.mmd" '^erDiagram$'
expect_match "$T/erd.mmd" '^    users \|\|--o\{ policies : "created_by"$'

run 0 "$BIN" erd "$SEED" --dot
cp "$T/out" "$T/erd.dot"
expect_match "$T/erd.dot" '^digraph erd \{$'

# --- a directory with problems ----------------------------------------------

mkdir "$T/bad"
cp "$SEED"/*.yaml "$T/bad/"
cat >"$T/bad/teams.yaml" <<'EOF'
name: teams
owner: team-service
columns:
  - name: id
    type: UUID
    nulable: false
EOF
cat >"$T/bad/a.yaml" <<'EOF'
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
cat >"$T/bad/b.yaml" <<'EOF'
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

run 1 "$BIN" check "$T/bad"
expect_match "$T/out" "^$T/bad/teams\\.yaml:6:5: error: .*'nulable'"
# every line is file:line:col: severity: message (or file: severity: message)
if grep -vE '^[^:]+(:[0-9]+:[0-9]+)?: (error|warning|note): .+' "$T/out" >"$T/odd"; then
	fail "lines not in file:line:col: severity: message form"
	sed 's/^/  | /' "$T/odd" >&2
fi
run 1 "$BIN" check --json "$T/bad"
valid_json "$T/out"

run 1 "$BIN" cycles "$T/bad"
expect_out 'a -> b -> a'
expect_match "$T/err" "teams\\.yaml:6:5: error: "

run 1 "$BIN" order "$T/bad"
expect_match "$T/out" '^users$'
# the cycle's tables come together, by name
awk '/^a$/{a=NR} /^b$/{b=NR} END{exit !(a && b == a + 1)}' "$T/out" || fail "a and b not together in the order"

# --- usage and missing things -----------------------------------------------

run 2 "$BIN" check
run 2 "$BIN" check "$SEED" extra
run 2 "$BIN" graph "$SEED" --bogus
run 2 "$BIN" docs "$SEED" --json
run 2 "$BIN" erd "$SEED" --json
run 2 "$BIN" dependents "$SEED"
expect_match "$T/err" '^usage: schemafs dependents'
run 0 "$BIN" order --help
expect_match "$T/out" '^usage: schemafs order DIR'
run 1 "$BIN" dependents "$SEED" nosuchtable
expect_match "$T/err" "no schema 'nosuchtable'"
run 1 "$BIN" check "$T/does-not-exist"
expect_match "$T/err" "does-not-exist"

# --- the real renderers -------------------------------------------------------

if [ -x "$SHARED/tools/markdown-check" ]; then
	run 0 "$SHARED/tools/markdown-check" -q --min-tables 20 "$T/schema.md"
else
	missing markdown-check
fi
if [ -x "$SHARED/tools/mermaid-check" ]; then
	run 0 "$SHARED/tools/mermaid-check" -q --render --type er "$T/erd.mmd"
else
	missing mermaid-check
fi
if command -v dot >/dev/null 2>&1; then
	run 0 dot -Tsvg -o "$T/erd.svg" "$T/erd.dot"
	expect_empty "$T/err"
else
	missing 'graphviz dot'
fi

finish "cli check: all passed"
