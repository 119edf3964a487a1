# The one helper library of the shell tests (tests/cli/*.sh, tests/cli_store.sh,
# tests/fuse/*.sh, tests/pg/*.sh). A test sources it first:
#   . "$(dirname "$0")/../lib.sh"        (or "$(dirname "$0")/lib.sh" from tests/)
#
# Sourcing it makes the test's private work directory $WORK (under /var/tmp,
# or $SCHEMAFS_TEST_DIR: never /tmp, where vim and emacs skip the
# backup-and-rename save most users hit) and an EXIT trap that stops what the
# test started, unmounts every mount (checking each daemon, see below),
# drops the test's database, removes $WORK (kept when the test failed, or
# with KEEP=1) and prints one summary line, "NAME: N checks, F failed". The
# test fails (exit 1) when a check failed or the script itself stopped with
# an error. It works with and without `set -e` (checks always return 0).
#
# Checks: each counts, prints "ok: WHAT" or "FAIL: WHAT" with what was
# expected and what came instead, and never stops the test.
#   check WHAT CMD...               CMD succeeds
#   check_fails WHAT CMD...         CMD fails (its output is shown if it does not)
#   check_eq WHAT EXPECTED ACTUAL   two strings are equal
#   check_file_eq WHAT WANT GOT     two files are byte-identical (the diff is shown)
#   check_contains FILE TEXT        TEXT (a fixed string) is in FILE
#   check_line FILE LINE            LINE is one whole line of FILE
#   check_match FILE ERE            some line of FILE matches the extended regex
#   check_empty FILE                FILE is empty
#   check_json FILE                 FILE is valid JSON
#   run STATUS CMD...               CMD exits STATUS; stdout in $WORK/out, stderr in
#                                   $WORK/err, both (stdout first) in $WORK/all
#   check_stdout TEXT               the last run's stdout is exactly TEXT and a newline
#   check_has TEXT, check_lacks TEXT  the last run's output has / lacks TEXT
#   fail WHAT                       a check the test made itself failed
#   die WHAT                        a failure after which nothing else means anything
#
# Services: a test calls need_fuse [TOOL...], need_tools TOOL... or need_pg
# [private] first. What is missing fails the test in CI (CI=true) and skips
# it elsewhere (exit 77, meson's skip code): `missing WHAT` is that rule;
# `skip_part WHAT` the same for one part of a test whose rest still runs.
#
# Mounts: mount_fs / mount_cmd run the daemon in the foreground, in the
# background of the test, with its stderr captured, and wait (with a
# deadline) until the mount serves. unmount_fs, daemon_wait and the EXIT trap
# FAIL the test when the daemon exited non-zero or wrote to stderr anything
# not declared with allow_stderr (sanitizer reports included).

set -u

SRC=${SCHEMAFS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=${SCHEMAFS_BIN:-$SRC/build/cli/schemafs}
export SCHEMAFS_EXAMPLES=${SCHEMAFS_EXAMPLES:-$SRC/examples/aegis}
# Graphviz and fontconfig keep caches for the life of the process.
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0"

TEST_NAME=${0##*tests/}
TEST_NAME=${TEST_NAME%.sh}
CHECKS=0
FAILS=0
WORK=$(mktemp -d "${SCHEMAFS_TEST_DIR:-/var/tmp}/schemafs-${TEST_NAME//\//-}.XXXXXX") ||
	{ echo "FAIL: cannot make a work directory" >&2; exit 1; }
MNT=$WORK/mnt
# Under meson's valgrind setup every schemafs the test runs goes through
# valgrind ($SCHEMAFS_VALGRIND, its command line), each process logging to
# $WORK/valgrind/PID.log; finish fails the test on any error logged there.
if [ -n "${SCHEMAFS_VALGRIND:-}" ]; then
	mkdir -p "$WORK/valgrind"
	printf '#!/bin/sh\nexec %s --log-file=%s/valgrind/%%p.log %s "$@"\n' \
		"$SCHEMAFS_VALGRIND" "$WORK" "$BIN" >"$WORK/valgrind/schemafs"
	chmod +x "$WORK/valgrind/schemafs"
	BIN=$WORK/valgrind/schemafs
fi
DB=$WORK/registry.db
mkdir -p "$MNT"
BG_PIDS=()       # background helpers, killed at exit (bg PID)
TMUX_SOCK=
PG_DB=
PG_PRIVATE_DIR=

# ---- checks ------------------------------------------------------------------

pass() {
	CHECKS=$((CHECKS + 1))
	echo "ok: $*"
}

fail() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "FAIL: $*" >&2
}

die() {
	fail "$*"
	exit 1
}

# show FILE [LABEL]: a file's lines, indented, on stderr
show() {
	sed "s/^/    ${2:-|} /" "$1" >&2
}

check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

check_fails() {
	local what=$1
	shift
	if "$@" >"$WORK/check.out" 2>&1; then
		fail "$what (it succeeded)"
		show "$WORK/check.out"
	else
		pass "$what"
	fi
}

check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		printf '    expected: %s\n    actual:   %s\n' "$2" "$3" >&2
	fi
}

check_file_eq() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1 ($3 differs from $2)"
		diff -u "$2" "$3" 2>&1 | head -n 40 | sed 's/^/    /' >&2
	fi
}

check_contains() {
	if grep -qF -- "$2" "$1"; then
		pass "$(basename "$1") has: $2"
	else
		fail "$(basename "$1") lacks: $2"
		show "$1"
	fi
}

check_line() {
	if grep -qxF -- "$2" "$1"; then
		pass "$(basename "$1") has the line: $2"
	else
		fail "$(basename "$1") lacks the line: $2"
		show "$1"
	fi
}

check_match() {
	if grep -qE -- "$2" "$1"; then
		pass "a line of $(basename "$1") matches: $2"
	else
		fail "no line of $(basename "$1") matches: $2"
		show "$1"
	fi
}

check_empty() {
	if [ ! -s "$1" ]; then
		pass "$(basename "$1") is empty"
	else
		fail "$(basename "$1") is not empty"
		show "$1"
	fi
}

check_json() {
	if python3 -m json.tool "$1" >/dev/null 2>&1; then
		pass "$(basename "$1") is valid JSON"
	else
		fail "$(basename "$1") is not valid JSON"
		show "$1"
	fi
}

run() {
	local want=$1 got=0
	shift
	"$@" >"$WORK/out" 2>"$WORK/err" || got=$?
	cat "$WORK/out" "$WORK/err" >"$WORK/all"
	if [ "$got" = "$want" ]; then
		pass "'$*' exits $want"
	else
		fail "'$*' exited $got, expected $want"
		show "$WORK/out" stdout:
		show "$WORK/err" stderr:
	fi
}

check_stdout() {
	printf '%s\n' "$1" >"$WORK/want"
	if cmp -s "$WORK/want" "$WORK/out"; then
		pass "stdout is as expected"
	else
		fail "unexpected stdout"
		diff "$WORK/want" "$WORK/out" | sed 's/^/    /' >&2
	fi
}

check_has() {
	if grep -qF -- "$1" "$WORK/all"; then
		pass "output has: $1"
	else
		fail "output lacks: $1"
		show "$WORK/all"
	fi
}

check_lacks() {
	if ! grep -qF -- "$1" "$WORK/all"; then
		pass "output lacks: $1"
	else
		fail "output has: $1"
		show "$WORK/all"
	fi
}

# ---- services ------------------------------------------------------------------

missing() {
	if [ "${CI:-}" = true ]; then
		die "missing in CI (CI=true forbids skipping): $*"
	fi
	echo "SKIP: missing $*" >&2
	exit 77
}

skip_part() {
	if [ "${CI:-}" = true ]; then
		fail "missing in CI (CI=true forbids skipping): $*"
	else
		echo "SKIP (part): missing $*" >&2
	fi
}

need_tools() {
	local tool absent=
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || absent="$absent $tool"
	done
	[ -z "$absent" ] || missing $absent
}

need_fuse() {
	[ -c /dev/fuse ] || missing /dev/fuse
	need_tools fusermount3 mountpoint "$@"
}

# ---- the end of every test ----------------------------------------------------

finish() {
	local rc=$? pid mnt log
	set +e
	trap - EXIT
	[ $rc -eq 77 ] && [ $FAILS -eq 0 ] && { rm -rf "$WORK"; exit 77; }
	for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	[ -n "$TMUX_SOCK" ] && tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	for mnt in "${!DAEMON_PID[@]}"; do
		daemon_stop_lazily "$mnt"
	done
	mountpoint -q "$MNT" 2>/dev/null && fusermount3 -u -z "$MNT"
	[ -n "$PG_DB" ] && [ -z "$PG_PRIVATE_DIR" ] && dropdb --if-exists "$PG_DB" 2>/dev/null
	[ -n "$PG_PRIVATE_DIR" ] && "$SRC/tests/pg/cluster.sh" stop "$PG_PRIVATE_DIR" 2>/dev/null
	for log in "$WORK"/valgrind/*.log; do
		[ -e "$log" ] || continue
		if grep -q "ERROR SUMMARY: [1-9]" "$log"; then
			fail "valgrind: errors in $(basename "$log")"
			show "$log"
		fi
	done
	[ $rc -ne 0 ] && echo "FAIL: $TEST_NAME stopped early (exit status $rc)" >&2
	if [ $FAILS -gt 0 ] || [ $rc -ne 0 ]; then
		echo "$TEST_NAME: $CHECKS checks, $FAILS failed; work dir kept: $WORK" >&2
		exit 1
	fi
	[ -z "${KEEP:-}" ] && rm -rf "$WORK"
	echo "$TEST_NAME: $CHECKS checks, 0 failed"
	exit 0
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---- mounts --------------------------------------------------------------------

declare -A DAEMON_PID=()   # mountpoint -> PID of its foreground daemon
declare -A DAEMON_ERR=()   # mountpoint -> file with the daemon's stderr
# EREs of stderr lines a test expects from its daemons. Always: the daemon's
# info lines (one per save, refusal and migration command; docs/mount.md, "Logs")
# and the note that a new database is created.
ALLOWED_STDERR=('^schemafs: info: ' '^schemafs: creating a new registry at ')

# allow_stderr ERE: a daemon stderr line matching ERE is expected, not an error
allow_stderr() {
	ALLOWED_STDERR+=("$1")
}

# mount_fs [ARGS...]: schemafs --db $DB -f ARGS $MNT; a new $DB starts with
# the seed's examples ($SCHEMAFS_EXAMPLES)
mount_fs() {
	mount_cmd "$MNT" "$BIN" --db "$DB" --examples "$SCHEMAFS_EXAMPLES" -f "$@" "$MNT"
}

# mount_cmd MNT CMD...: CMD is a foreground daemon serving MNT (env VAR=...
# first for its environment). Returns once MNT/README can be read; stops the
# test if the daemon exits first or the mount is not there within 30 s.
mount_cmd() {
	local mnt=$1 i=0
	shift
	[ -z "${DAEMON_PID[$mnt]:-}" ] || die "$mnt is mounted already"
	mkdir -p "$mnt"
	DAEMON_ERR[$mnt]=$(mktemp "$WORK/daemon.XXXXXX.err")
	# a non-interactive shell starts background jobs with SIGINT ignored;
	# the daemon must see it as a user would
	env --default-signal=INT "$@" 2>>"${DAEMON_ERR[$mnt]}" &
	DAEMON_PID[$mnt]=$!
	while ! mountpoint -q "$mnt" || [ ! -e "$mnt/README" ]; do
		if ! kill -0 "${DAEMON_PID[$mnt]}" 2>/dev/null; then
			daemon_reap "mount of $mnt" "$mnt"
			die "the daemon exited before $mnt was mounted"
		fi
		i=$((i + 1))
		[ $i -le 600 ] || die "$mnt not mounted after 30 s"
		sleep 0.05
	done
}

daemon_pid() {
	echo "${DAEMON_PID[${1:-$MNT}]}"
}

# unmount_fs [MNT]: fusermount3 -u, then the daemon must exit 0, stderr clean
unmount_fs() {
	local mnt=${1:-$MNT}
	[ -n "${DAEMON_PID[$mnt]:-}" ] || die "unmount_fs: nothing mounted at $mnt"
	fusermount3 -u "$mnt" || fusermount3 -u -z "$mnt"
	daemon_reap "unmount of $(basename "$mnt")" "$mnt"
}

# daemon_wait WHAT [MNT]: the daemon was told to stop (a signal): it exits 0,
# its stderr is clean, the mount is gone
daemon_wait() {
	local mnt=${2:-$MNT}
	daemon_reap "$1" "$mnt"
	check "$1: unmounted" bash -c '! mountpoint -q "$1"' _ "$mnt"
}

# daemon_discard [MNT]: the daemon was killed on purpose (kill -9): reap it,
# drop the mount and what it printed dying
daemon_discard() {
	local mnt=${1:-$MNT}
	wait "${DAEMON_PID[$mnt]}" 2>/dev/null
	fusermount3 -u -z "$mnt" 2>/dev/null
	unset "DAEMON_PID[$mnt]" "DAEMON_ERR[$mnt]"
	return 0
}

# daemon_reap WHAT MNT: waits for the daemon of MNT, checks its exit status
# and its stderr
daemon_reap() {
	local what=$1 mnt=$2 rc=0 pattern
	wait "${DAEMON_PID[$mnt]}" || rc=$?
	check_eq "$what: daemon exit status" 0 "$rc"
	: >"$WORK/allowed"
	for pattern in "${ALLOWED_STDERR[@]}"; do printf '%s\n' "$pattern" >>"$WORK/allowed"; done
	if [ -s "$WORK/allowed" ]; then
		grep -vE -f "$WORK/allowed" "${DAEMON_ERR[$mnt]}" >"$WORK/unexpected" || true
	else
		cp "${DAEMON_ERR[$mnt]}" "$WORK/unexpected"
	fi
	if [ -s "$WORK/unexpected" ]; then
		fail "$what: the daemon wrote to stderr"
		show "$WORK/unexpected"
	else
		pass "$what: daemon stderr clean"
	fi
	unset "DAEMON_PID[$mnt]" "DAEMON_ERR[$mnt]"
}

# at exit: a lazy unmount ends the daemon cleanly; only one that hangs is killed
daemon_stop_lazily() {
	local mnt=$1 i=0
	fusermount3 -u -z "$mnt" 2>/dev/null
	while kill -0 "${DAEMON_PID[$mnt]}" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			fail "the daemon of $mnt did not exit within 10 s of its unmount"
			kill -9 "${DAEMON_PID[$mnt]}"
			break
		fi
		sleep 0.05
	done
	daemon_reap "unmount of $(basename "$mnt") at exit" "$mnt"
}

# wait_until SECONDS CMD...: until CMD succeeds, or fails after the deadline
wait_until() {
	local deadline=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((deadline * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

# ls_line DIR: the names in DIR on one line
ls_line() {
	ls -A "$1" | tr '\n' ' ' | sed 's/ $//'
}

# ---- example schemas ---------------------------------------------------------

# hostile_wide_file PATH: issue 12's hostile schema file (22,000 columns and
# an index naming 70,000 undeclared ones, just under 1 MiB), as
# tests/hostile/hostile_gen.c writes it for the C test and the bench.
hostile_wide_file() {
	python3 - "$1" <<-'EOF'
		import sys
		def b36(n):
		    d = "0123456789abcdefghijklmnopqrstuvwxyz"; s = ""
		    while True:
		        s = d[n % 36] + s; n //= 36
		        if not n: return s
		out = ["name: wide", "owner: svc", "columns:"]
		out += ["- {name: c%s, type: int}" % b36(i) for i in range(22000)]
		out += ["indexes:", "- name: idx_wide",
		        "  columns: [" + ",".join("u" + b36(i) for i in range(70000)) + "]"]
		open(sys.argv[1], "w").write("\n".join(out) + "\n")
	EOF
}

# users_valid VERSION: a valid change of users.yaml (its version bumped)
users_valid() {
	sed -e 's/^version: .*/version: '"$1"'/' "$SCHEMAFS_EXAMPLES/users.yaml"
}

# users_invalid: an invalid one, a typo'd key (see users_invalid_where)
users_invalid() {
	sed -e '0,/nullable:/s/nullable:/nulable:/' "$SCHEMAFS_EXAMPLES/users.yaml"
}

# users_invalid_where: LINE:COL of the typo, the first "nullable:" key
users_invalid_where() {
	awk '/nullable:/ { print NR ":" index($0, "nullable:"); exit }' \
		"$SCHEMAFS_EXAMPLES/users.yaml"
}

# ---- PostgreSQL ----------------------------------------------------------------

# need_pg [private]: a database of this test's own ($PG_DB, also PGDATABASE)
# on the cluster in $PGHOST (tests/pg/cluster.sh start), or on a private
# cluster ($PG_PRIVATE_DIR) when none is given or the test asks for one
# (it stops its server). SCHEMAFS_DB is $WORK/registry.db.
need_pg() {
	local out rc=0
	if [ "${1:-}" = private ] || [ -z "${PGHOST:-}" ]; then
		out=$("$SRC/tests/pg/cluster.sh" start 2>"$WORK/cluster.err") || rc=$?
		[ $rc -eq 3 ] && missing "PostgreSQL 15"
		[ $rc -eq 0 ] || { show "$WORK/cluster.err"; die "cannot start a PostgreSQL cluster"; }
		eval "$out"
		PG_PRIVATE_DIR=$SCHEMAFS_PG_DIR
	fi
	command -v psql >/dev/null || export PATH=/usr/lib/postgresql/15/bin:$PATH
	pg_isready -q -t 10 || missing "a PostgreSQL server at PGHOST=$PGHOST"
	PG_DB="schemafs_${TEST_NAME//[^a-z0-9_]/_}_$$"
	createdb "$PG_DB" || die "createdb $PG_DB"
	# the target comes from the libpq environment (PGHOST, PGDATABASE, ...)
	export PGDATABASE=$PG_DB
	export SCHEMAFS_DB=$WORK/registry.db
}

sfs() { "$BIN" "$@"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
dump() {
	pg_dump --schema-only --no-owner -d "$PG_DB" |
		grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict'
}

# reimport: $WORK/schemas into the registry
reimport() {
	sfs import "$WORK/schemas" >"$WORK/import.out" 2>&1 ||
		{ show "$WORK/import.out"; die "import of $WORK/schemas"; }
}

# seed_dir: a copy of the seed's five schemas in $WORK/schemas, imported
seed_dir() {
	mkdir -p "$WORK/schemas"
	cp "$SRC"/examples/aegis/*.yaml "$WORK/schemas/"
	# the registry.yaml of the examples has no target: the environment decides
	reimport
}

# seed_applied: seed_dir, then its five tables applied (run 1)
seed_applied() {
	seed_dir
	run 0 sfs migrate apply
}

# add_column_to FILE [VERSION]: adds a YAML column item (text on stdin) just
# before the "references:" key of the schema file, in one write (it may be in
# a mount, where a new column needs its MINOR bump: VERSION sets `version:`)
add_column_to() {
	local add
	add=$(cat)
	python3 - "$1" "$add" "${2:-}" <<-'EOF'
		import re, sys
		path, add, version = sys.argv[1], sys.argv[2], sys.argv[3]
		text = open(path, encoding="utf-8").read()
		at = text.index("\nreferences:")
		text = text[:at] + "\n" + add + "\n" + text[at:]
		if version:
		    text = re.sub(r"(?m)^version: .*$", "version: " + version, text, count=1)
		open(path, "w", encoding="utf-8").write(text)
	EOF
}

# add_column TABLE: the same for $WORK/schemas/TABLE.yaml
add_column() { add_column_to "$WORK/schemas/$1.yaml"; }

# add_nickname: users gains 'nickname' in $WORK/schemas (reimport registers it)
add_nickname() {
	add_column users <<-'EOF'
		  - name: nickname
		    type: VARCHAR(50)
	EOF
}

# new_orders: a new table 'orders' with only its key in $WORK/schemas; more
# columns can be appended to the file
new_orders() {
	cat >"$WORK/schemas/orders.yaml" <<-'EOF'
		name: orders
		owner: order-service
		columns:
		  - name: id
		    type: BIGINT
		    primary_key: true
	EOF
}

# column_count NAME: how many columns named NAME the target has, in any table
column_count() {
	q "SELECT count(*) FROM information_schema.columns WHERE column_name = '$1'"
}

# hold_lock TABLE: an exclusive lock on TABLE, held in the background
# (application_name "locker") until release_lock
hold_lock() {
	PGAPPNAME=locker psql -X -q -c "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);" \
		>/dev/null 2>&1 &
	BG_PIDS+=("$!")
	wait_query "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		  WHERE a.application_name = 'locker' AND l.granted AND l.mode = 'AccessExclusiveLock'"
}

release_lock() {
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
}

query_nonzero() { [ "$(q "$1" 2>/dev/null || echo 0)" != 0 ]; }

# wait_query SQL: until SQL returns something other than 0 (30 s at most)
wait_query() {
	wait_until 30 query_nonzero "$1" || die "timed out waiting for: $1"
}

# wait_blocked: until a schemafs session waits for a lock (a run is mid-step)
wait_blocked() {
	wait_query "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemafs'
		  AND wait_event_type = 'Lock'"
}

# ---- interactive editors, driven through a private tmux server ---------------

tmux_start() { # NAME COMMAND...
	TMUX_SOCK=${TMUX_SOCK:-schemafs-test-$$}
	local name=$1
	shift
	tmux -L "$TMUX_SOCK" new-session -d -s "$name" -x 120 -y 40 -c "$PWD" "$@"
}

tmux_keys() { # NAME KEYS...
	local name=$1
	shift
	tmux -L "$TMUX_SOCK" send-keys -t "$name" "$@"
}

tmux_type() { # NAME TEXT: literal text
	tmux -L "$TMUX_SOCK" send-keys -t "$1" -l "$2"
}

tmux_screen() { # NAME
	tmux -L "$TMUX_SOCK" capture-pane -p -t "$1" 2>/dev/null
}

# tmux_wait NAME ERE [SECONDS]: until the screen shows ERE
tmux_wait() {
	local i=0 limit=$((${3:-15} * 10))
	while ! tmux_screen "$1" | grep -qE "$2"; do
		i=$((i + 1))
		if [ $i -gt $limit ]; then
			echo "    (screen of $1 never showed /$2/:)" >&2
			tmux_screen "$1" | sed 's/^/    | /' >&2
			return 1
		fi
		sleep 0.1
	done
}

tmux_gone() { # NAME: until the session ended (the editor exited)
	local i=0
	while tmux -L "$TMUX_SOCK" has-session -t "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			tmux -L "$TMUX_SOCK" kill-session -t "$1" 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
}
