# Shared by tests/pg/*.sh (sourced). Gives each test its own database on
# the cluster in $PGHOST (as started by tests/pg/cluster.sh, e.g. by
# .ci/run), or on a private cluster when none is given (or when the test
# asks for one with PG_PRIVATE=1, because it stops the server). A missing
# PostgreSQL skips (exit 77), except with CI=true, where it fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${SCHEMAFS_SRC:-$(cd "$here/../.." && pwd)}
bin=${SCHEMAFS_BIN:-$src/build/cli/schemafs}
test_name=$(basename "$0" .sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/schemafs-$test_name.XXXXXX")
private_cluster=
db=

missing() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 (CI=true forbids skipping)" >&2
		exit 1
	fi
	echo "SKIP: $1" >&2
	exit 77
}

cleanup() {
	local rc=$?
	set +e
	[ -n "${bg_pids:-}" ] && kill $bg_pids 2>/dev/null && wait $bg_pids 2>/dev/null
	if [ -n "$db" ] && [ -z "$private_cluster" ]; then
		dropdb --if-exists "$db" 2>/dev/null
	fi
	[ -n "$private_cluster" ] && "$here/cluster.sh" stop "$private_cluster" 2>/dev/null
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "--- $test_name failed; work dir kept: $work" >&2
	else
		rm -rf "$work"
	fi
	return $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $test_name: $*" >&2
	exit 1
}

[ -x "$bin" ] || fail "no schemafs binary at $bin"

if [ "${PG_PRIVATE:-}" = 1 ] || [ -z "${PGHOST:-}" ]; then
	set +e
	out=$("$here/cluster.sh" start 2>"$work/cluster.err")
	rc=$?
	set -e
	[ $rc -eq 3 ] && missing "PostgreSQL 15 is not installed"
	[ $rc -eq 0 ] || { cat "$work/cluster.err" >&2; fail "cannot start a PostgreSQL cluster"; }
	eval "$out"
	private_cluster=$SCHEMAFS_PG_DIR
fi
command -v psql >/dev/null || export PATH=/usr/lib/postgresql/15/bin:$PATH
pg_isready -q -t 10 || missing "no PostgreSQL server answers at PGHOST=$PGHOST"

db="schemafs_${test_name//[^a-z0-9_]/_}_$$"
createdb "$db" || fail "createdb $db"
export PGDATABASE=$db
export SCHEMAFS_DB=$work/registry.db
# the target comes from the libpq environment (PGHOST, PGDATABASE, ...)

sfs() { "$bin" "$@"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
dump() { pg_dump --schema-only --no-owner -d "$db" | grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict'; }

# A copy of the seed's five schemas to edit, imported into the registry.
seed_dir() {
	mkdir -p "$work/schemas"
	cp "$src"/examples/aegis/*.yaml "$work/schemas/"
	# the registry.yaml of the examples has no target: the environment decides
	sfs import "$work/schemas" >/dev/null || fail "import of the examples"
}

reimport() { sfs import "$work/schemas" >/dev/null || fail "import $work/schemas"; }

# seed_dir, then its five tables applied (run 1).
seed_applied() {
	seed_dir
	expect_rc 0 sfs migrate apply
}

# expect_rc N CMD...: runs CMD, output in $work/out, fails unless status N.
expect_rc() {
	local want=$1; shift
	set +e
	"$@" >"$work/out" 2>&1
	local got=$?
	set -e
	[ "$got" -eq "$want" ] || { cat "$work/out" >&2; fail "'$*' exited $got, expected $want"; }
}

contains() {
	grep -qF -- "$1" "$work/out" || { cat "$work/out" >&2; fail "output lacks: $1"; }
}

lacks() {
	! grep -qF -- "$1" "$work/out" || { cat "$work/out" >&2; fail "output has: $1"; }
}

# Adds a YAML column item (text on stdin) to the schema file $1 just
# before its "references:" key, in one write (the file may be in a mount).
add_column_to() {
	local add
	add=$(cat)
	python3 - "$1" "$add" <<-'EOF'
		import sys
		path, add = sys.argv[1], sys.argv[2]
		text = open(path, encoding="utf-8").read()
		at = text.index("\nreferences:")
		open(path, "w", encoding="utf-8").write(text[:at] + "\n" + add + "\n" + text[at:])
	EOF
}

# add_column TABLE: the same for $work/schemas/TABLE.yaml.
add_column() { add_column_to "$work/schemas/$1.yaml"; }

# users gains 'nickname', in $work/schemas only (reimport to register it).
add_nickname() {
	add_column users <<-'EOF'
		  - name: nickname
		    type: VARCHAR(50)
	EOF
}

# A new table 'orders' with only its key, in $work/schemas; columns after
# the key can be appended to the file.
new_orders() {
	cat >"$work/schemas/orders.yaml" <<-'EOF'
		name: orders
		owner: order-service
		columns:
		  - name: id
		    type: BIGINT
		    primary_key: true
	EOF
}

# How many columns named $1 the target has, in any table.
column_count() { q "SELECT count(*) FROM information_schema.columns WHERE column_name = '$1'"; }

# Holds an exclusive lock on table $1 in the background (application_name
# "locker") until release_lock; what needs the table waits meanwhile.
hold_lock() {
	PGAPPNAME=locker psql -X -q -c "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);" \
		>/dev/null 2>&1 &
	bg_pids="${bg_pids:-} $!"
	wait_for "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		  WHERE a.application_name = 'locker' AND l.granted AND l.mode = 'AccessExclusiveLock'"
}

release_lock() {
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
}

# Waits (30 s at most) until the query returns something other than 0.
wait_for() {
	for _ in $(seq 300); do
		[ "$(q "$1" 2>/dev/null || echo 0)" != 0 ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $1"
}

# Waits until a schemafs session waits for a lock (a run is mid-step).
wait_blocked() {
	wait_for "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemafs'
		  AND wait_event_type = 'Lock'"
}
