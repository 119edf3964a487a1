#!/usr/bin/env bash
# bench_migrate: migrations against a real PostgreSQL 15 (a private
# throwaway cluster), each number next to its baseline from the same run.
#
#  1. applying 1,000 new tables (bench_gen: ~10 columns, 1.5 foreign keys
#     and an index per foreign key each) through the mount's control file
#     vs `psql -1 -f` of exactly the same DDL (the plan's own SQL), each on
#     a fresh database, best of RUNS;
#  2. plan + check of a 10,000-table registry against a database that
#     already holds it (what a CI job does on every push), via the CLI and
#     via the mount's files.
#
#   bench/bench_migrate.sh [BUILD_DIR]      (default: build-rel)
#   RUNS=5 bench/bench_migrate.sh build-rel
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build-rel}" && pwd)
bin=$build/cli/schemafs
gen=$build/bench/bench_gen
runs=${RUNS:-3}
[ -x "$bin" ] && [ -x "$gen" ] || {
	echo "bench_migrate: build $build first: ninja -C $build cli/schemafs bench/bench_gen" >&2
	exit 2
}
[ -e /dev/fuse ] || { echo "bench_migrate: needs /dev/fuse" >&2; exit 2; }

work=$(mktemp -d /var/tmp/schemafs-bench-migrate.XXXXXX)
mnt=$work/mnt
cluster=
cleanup() {
	fusermount3 -u -z "$mnt" 2>/dev/null || true
	[ -n "$cluster" ] && "$src/tests/pg/cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# one transaction holds a lock per table and index it creates: 10,000
# tables need far more than the default 64 per connection
eval "$(SCHEMAFS_PG_LOCKS=4096 "$src/tests/pg/cluster.sh" start)"
cluster=$SCHEMAFS_PG_DIR
export PATH=/usr/lib/postgresql/15/bin:$PATH

. "$src/bench/lib.sh"
fresh_db() { dropdb --if-exists "$1" 2>/dev/null; createdb "$1"; }

mount_registry() { # DB_FILE TARGET_DB
	mkdir -p "$mnt"
	SCHEMAFS_TARGET="dbname=$2" "$bin" --db "$1" -f "$mnt" >"$work/mount.log" 2>&1 &
	for _ in $(seq 200); do mountpoint -q "$mnt" && return 0; sleep 0.05; done
	cat "$work/mount.log" >&2
	exit 1
}
unmount_registry() {
	fusermount3 -u "$mnt"
	for _ in $(seq 200); do mountpoint -q "$mnt" || return 0; sleep 0.05; done
}

echo "bench_migrate: PostgreSQL $(psql -Atc 'SHOW server_version' -d postgres), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

# ---- 1. 1,000 new tables ----
"$gen" "$work/r1k" 1000 >/dev/null
"$bin" import --db "$work/r1k.db" "$work/r1k" >/dev/null
fresh_db plan1k
"$bin" migrate --db "$work/r1k.db" --target dbname=plan1k plan >"$work/plan1k.txt"
# the plan's SQL, statement for statement: what psql runs in the baseline
sed -n 's/^\t//p' "$work/plan1k.txt" >"$work/ddl1k.sql"
steps=$(grep -c '^[0-9]' "$work/plan1k.txt")

psql_times=() ctl_times=() cli_times=()
for r in $(seq "$runs"); do
	fresh_db base
	t0=$(now)
	psql -X -q -1 -v ON_ERROR_STOP=1 -f "$work/ddl1k.sql" -d base >/dev/null
	psql_times+=("$(elapsed "$t0" "$(now)")")

	fresh_db viactl
	cp "$work/r1k.db" "$work/ctl.db"
	mount_registry "$work/ctl.db" viactl
	t0=$(now)
	echo apply >"$mnt/migrations/control"
	ctl_times+=("$(elapsed "$t0" "$(now)")")
	grep -q "state: succeeded" "$mnt/migrations/status"
	unmount_registry

	fresh_db viacli
	cp "$work/r1k.db" "$work/cli.db"
	t0=$(now)
	"$bin" migrate --db "$work/cli.db" --target dbname=viacli apply >/dev/null
	cli_times+=("$(elapsed "$t0" "$(now)")")
done
n=$(psql -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'schemafs%'" -d viactl)
[ "$n" -eq 1000 ] || { echo "bench_migrate: the control file's apply made $n tables" >&2; exit 1; }
p=$(best "${psql_times[@]}") c=$(best "${ctl_times[@]}") l=$(best "${cli_times[@]}")
printf '\n1,000 new tables (%d steps), best of %d:\n' "$steps" "$runs"
printf '  psql -1 -f (baseline)        %7.3f s\n' "$p"
printf '  echo apply > control         %7.3f s   %.2fx baseline   (target <= 1.2x)\n' "$c" "$(echo "$c / $p" | bc -l)"
printf '  schemafs migrate apply       %7.3f s   %.2fx baseline\n' "$l" "$(echo "$l / $p" | bc -l)"

# ---- 2. plan + check, 10,000 tables, nothing to do ----
"$gen" "$work/r10k" 10000 >/dev/null
"$bin" import --db "$work/r10k.db" "$work/r10k" >/dev/null
fresh_db live10k
"$bin" migrate --db "$work/r10k.db" --target dbname=live10k plan >"$work/plan10k.txt"
sed -n 's/^\t//p' "$work/plan10k.txt" >"$work/ddl10k.sql"
t0=$(now)
psql -X -q -1 -v ON_ERROR_STOP=1 -f "$work/ddl10k.sql" -d live10k >/dev/null
load10k=$(elapsed "$t0" "$(now)")

plan_t=() check_t=() mplan_t=() mcheck_t=()
for r in $(seq "$runs"); do
	t0=$(now)
	"$bin" migrate --db "$work/r10k.db" --target dbname=live10k plan >"$work/p.out"
	plan_t+=("$(elapsed "$t0" "$(now)")")
	t0=$(now)
	"$bin" migrate --db "$work/r10k.db" --target dbname=live10k check >"$work/c.out"
	check_t+=("$(elapsed "$t0" "$(now)")")
done
grep -qx "nothing to do" "$work/p.out"
grep -q "dry run: nothing to do" "$work/c.out"
mount_registry "$work/r10k.db" live10k
for r in $(seq "$runs"); do
	t0=$(now)
	cat "$mnt/migrations/plan" >"$work/p.out"
	mplan_t+=("$(elapsed "$t0" "$(now)")")
	t0=$(now)
	cat "$mnt/migrations/check" >"$work/c.out"
	mcheck_t+=("$(elapsed "$t0" "$(now)")")
done
unmount_registry
grep -qx "nothing to do" "$work/p.out"
pl=$(best "${plan_t[@]}") ch=$(best "${check_t[@]}") mp=$(best "${mplan_t[@]}") mc=$(best "${mcheck_t[@]}")
printf '\n10,000 tables already in the database (psql -1 -f of their DDL took %.1f s), best of %d:\n' "$load10k" "$runs"
printf '  schemafs migrate plan        %7.3f s\n' "$pl"
printf '  schemafs migrate check       %7.3f s\n' "$ch"
printf '  plan + check (CLI)           %7.3f s   (target < 2 s)\n' "$(echo "$pl + $ch" | bc -l)"
printf '  cat migrations/plan          %7.3f s\n' "$mp"
printf '  cat migrations/check         %7.3f s\n' "$mc"
printf '  plan + check (mount)         %7.3f s   (target < 2 s)\n' "$(echo "$mp + $mc" | bc -l)"
