#!/usr/bin/env bash
# bench_lint: `schemafs lint` on a generated 10,000-statement migration vs
# Squawk (../shared/tools/squawk, when it is installed) on the same file, in
# the same run, best of RUNS each.
#
#   bench/bench_lint.sh [BUILD_DIR] [STATEMENTS]   (default: build-rel 10000)
#   RUNS=5 bench/bench_lint.sh build-rel 50000
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build-rel}" && pwd)
n=${2:-10000}
runs=${RUNS:-3}
bin=$build/cli/schemafs
squawk=${SQUAWK:-$src/../shared/tools/squawk}
[ -x "$bin" ] || { echo "bench_lint: build $build first: ninja -C $build cli/schemafs" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/schemafs-bench-lint.XXXXXX")
trap 'rm -rf "$work"' EXIT
sql=$work/migration.sql

# Ten kinds of statement in turn, about half of them hazards: new tables with
# keys, indexes, foreign keys, new columns (constant and volatile defaults),
# type changes, SET NOT NULL, drops, renames, comments and dollar quotes.
awk -v n="$n" 'BEGIN {
	print "SET lock_timeout = '\''2s'\'';";
	for (i = 1; i < n; i++) {
		k = i % 10; t = "t" int(i / 10);
		if (k == 0) printf "CREATE TABLE %s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  name text NOT NULL, created_at timestamptz DEFAULT now(), owner_id bigint);\n", t;
		else if (k == 1) printf "-- the owner, by id\nCREATE INDEX %s_owner ON %s (owner_id);\n", t, t;
		else if (k == 2) printf "ALTER TABLE %s ADD CONSTRAINT %s_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id) NOT VALID;\n", t, t;
		else if (k == 3) printf "ALTER TABLE users ADD COLUMN IF NOT EXISTS c%d integer DEFAULT 0;\n", i;
		else if (k == 4) printf "ALTER TABLE users ADD COLUMN IF NOT EXISTS u%d uuid DEFAULT gen_random_uuid();\n", i;
		else if (k == 5) printf "CREATE INDEX IF NOT EXISTS users_c%d ON users (c%d) WHERE c%d > 0;\n", i, i - 2, i - 2;
		else if (k == 6) printf "ALTER TABLE users ALTER COLUMN c%d SET NOT NULL;\n", i - 3;
		else if (k == 7) printf "UPDATE users SET c%d = 1 WHERE id IN (SELECT id FROM users WHERE name = '\''a;b'\'' LIMIT 1000);\n", i - 4;
		else if (k == 8) printf "CREATE OR REPLACE FUNCTION f%d() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n", i;
		else printf "ALTER TABLE users RENAME COLUMN c%d TO d%d;\n", i - 6, i;
	}
}' >"$sql"

# best wall-clock seconds of $runs runs of "$@" (stdout discarded)
best() {
	local b="" s e t
	for _ in $(seq "$runs"); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		e=$(date +%s%N)
		t=$(( (e - s) / 1000 ))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}

stmts=$(grep -c ';$' "$sql" || true)
bytes=$(wc -c <"$sql")
ours=$(best "$bin" lint "$sql")
found=$("$bin" lint "$sql" | wc -l || true)
printf 'script:            %d statements, %d bytes (%s)\n' "$stmts" "$bytes" "$sql"
printf 'schemafs lint:     %8.3f s  %9.0f statements/s  %d findings\n' \
	"$(echo "$ours / 1000000" | bc -l)" "$(echo "$stmts * 1000000 / $ours" | bc -l)" "$found"
if [ -x "$squawk" ] && "$squawk" --version >/dev/null 2>&1; then
	theirs=$(best "$squawk" -c /dev/null --reporter gcc "$sql")
	sfound=$("$squawk" -c /dev/null --reporter gcc "$sql" 2>/dev/null | wc -l || true)
	printf 'squawk %-10s %8.3f s  %9.0f statements/s  %d findings\n' \
		"$("$squawk" --version | awk '{print $2}'):" "$(echo "$theirs / 1000000" | bc -l)" \
		"$(echo "$stmts * 1000000 / $theirs" | bc -l)" "$sfound"
	printf 'ratio:             %.2f (schemafs lint time / squawk time)\n' \
		"$(echo "$ours / $theirs" | bc -l)"
else
	echo "squawk: not installed ($squawk); no comparison"
fi
