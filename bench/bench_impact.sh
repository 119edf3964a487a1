#!/usr/bin/env bash
# bench_impact: `schemafs migrate impact` against `schemafs migrate plan` on
# a 20,000-table registry (bench_gen) and an empty database, so every table
# is touched -- impact is plan plus one report, so the ratio must stay
# near 1 (target <= 2; it was ~100 when each touched table searched every
# step and every reference).
#
#   bench/bench_impact.sh [BUILD_DIR] [TABLES]   (default: build-rel 20000)
#   RUNS=5 bench/bench_impact.sh build-rel
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build-rel}" && pwd)
tables=${2:-20000}
bin=$build/cli/schemafs
gen=$build/bench/bench_gen
runs=${RUNS:-3}
[ -x "$bin" ] && [ -x "$gen" ] || {
	echo "bench_impact: build $build first: ninja -C $build cli/schemafs bench/bench_gen" >&2
	exit 2
}

work=$(mktemp -d /var/tmp/schemafs-bench-impact.XXXXXX)
cluster=
cleanup() {
	[ -n "$cluster" ] && "$src/tests/pg/cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
eval "$("$src/tests/pg/cluster.sh" start)"
cluster=$SCHEMAFS_PG_DIR
export PATH=/usr/lib/postgresql/15/bin:$PATH

. "$src/bench/lib.sh"

"$gen" "$work/reg" "$tables" >/dev/null
"$bin" import --db "$work/reg.db" "$work/reg" >/dev/null
createdb impact
plan_t=() impact_t=()
for _ in $(seq "$runs"); do
	t0=$(now)
	"$bin" migrate --db "$work/reg.db" --target dbname=impact plan >"$work/plan.out"
	plan_t+=("$(elapsed "$t0" "$(now)")")
	t0=$(now)
	"$bin" migrate --db "$work/reg.db" --target dbname=impact impact >"$work/impact.out"
	impact_t+=("$(elapsed "$t0" "$(now)")")
done
pl=$(best "${plan_t[@]}") im=$(best "${impact_t[@]}")
ratio=$(echo "$im / $pl" | bc -l)
echo "impact vs plan, $tables tables, empty database (best of $runs):"
printf '  schemafs migrate plan     %8.3f s\n' "$pl"
printf '  schemafs migrate impact   %8.3f s\n' "$im"
printf '  ratio                     %8.2f     (target <= 2)\n' "$ratio"
echo "$ratio <= 2" | bc -l | grep -q 1
