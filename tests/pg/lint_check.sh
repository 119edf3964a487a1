#!/usr/bin/env bash
# The 23 production hazards of tests/fixtures/lint/hazards/ through
# migrations/pending/ in the mount: migrations/check (and check.json, and
# `schemafs migrate check`) flags each with its rule's message ("what; safe
# way", as `schemafs lint` words it without the rule id); an error fails
# `echo check > migrations/control` (EIO) and `schemafs migrate check`
# (exit 1); migrations/plan.json and check.json stay JSON with the
# database down.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_fuse
need_pg

HAZ=$SRC/tests/fixtures/lint/hazards
DB=$WORK/registry.db
export SCHEMAFS_DB=$DB
seed_applied
mount_fs
M=$MNT/migrations

# the rule each hazard is about; the rest of what it triggers are timeouts
rule_of() {
	case $1 in
	22_*) echo require-lock-timeout ;;
	23_*) echo require-statement-timeout ;;
	*) "$BIN" lint --in-transaction --format json "$HAZ/$1" | python3 -c '
import json, sys
rules = [f["rule"] for f in json.load(sys.stdin)
         if not f["rule"].startswith("require-") or "concurrent" in f["rule"]]
print(rules[0])' ;;
	esac
}

# the message check shows for that rule: lint's, without " (rule ID)"
message_of() {
	"$BIN" lint --in-transaction --format json "$HAZ/$1" | python3 -c '
import json, sys
rule = sys.argv[1]
for f in json.load(sys.stdin):
    if f["rule"] == rule:
        print(f["message"].replace(" (rule %s)" % rule, "")); break' "$2"
}

table_of() {
	case $1 in 12_*) echo policies; return ;; esac
	{ grep -oiE '(ON|TABLE|TRUNCATE|INDEX) [a-z_]+' "$HAZ/$1" | awk '{print $2}' |
		grep -xE 'users|policies|notifications|audit_logs|applications' | head -1; } || true
}

for f in $(ls "$HAZ"); do
	rule=$(rule_of "$f")
	want=$(message_of "$f" "$rule")
	[ -n "$want" ] || { fail "$f: no message for rule $rule"; continue; }
	table=$(table_of "$f")
	table=${table:-users}
	# tee: cp into pending/ is another change's (issue 13)
	tee "$M/pending/$table.sql" <"$HAZ/$f" >/dev/null
	cat "$M/check" >"$WORK/check.out"
	check_contains "$WORK/check.out" "migrations/pending/$table.sql:"
	check_contains "$WORK/check.out" "$want"
	check_json "$M/check.json"
	run_status=0
	"$BIN" migrate check >"$WORK/cli.out" 2>&1 || run_status=$?
	check_contains "$WORK/cli.out" "$want"
	rm "$M/pending/$table.sql"
done

# an error: MySQL syntax; check fails through control and the CLI
echo 'ALTER TABLE users ADD INDEX idx_phone (phone);' | tee "$M/pending/users.sql" >/dev/null
rc=0
echo check >"$M/control" 2>"$WORK/control.err" || rc=$?
check_eq "echo check > control fails on an error" 1 "$rc"
check_contains "$WORK/control.err" "Input/output error"
run 1 "$BIN" migrate check
check_has "migrations/pending/users.sql:1:"
run 1 "$BIN" migrate check --format github
check_match "$WORK/out" '^::error file=migrations/pending/users.sql,line=1,col=[0-9]+::'
run 1 "$BIN" migrate check --json
check_json "$WORK/out"
check_has '"ok": false'
rm "$M/pending/users.sql"
echo check >"$M/control"
pass "echo check > control succeeds on warnings"

# the database down: the JSON views stay JSON
unmount_fs
mount_cmd "$MNT" env PGHOST="$WORK/nowhere" "$BIN" --db "$DB" -f "$MNT"
for v in plan.json check.json impact.json; do
	check_json "$M/$v"
	check_contains "$M/$v" '{"error": "cannot connect to'
done
unmount_fs
