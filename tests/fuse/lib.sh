# Shared by tests/fuse/*.sh: mount a private schemafs, always unmount,
# fail on unexpected daemon stderr.
#
# Mounts live under /var/tmp (or $SCHEMAFS_TEST_DIR), never /tmp: vim and
# emacs skip their backup-and-rename save under /tmp, and that is the save
# most users hit.
#
# In CI (CI=true) a missing /dev/fuse or fusermount3 fails the test;
# elsewhere the test is skipped (exit 77, meson's skip code).

set -u

BIN=${SCHEMAFS_BIN:?SCHEMAFS_BIN not set (run through meson test)}
SRC=${SCHEMAFS_SRC:?SCHEMAFS_SRC not set}
export SCHEMAFS_EXAMPLES=${SCHEMAFS_EXAMPLES:-$SRC/examples/aegis}
# Graphviz and fontconfig keep caches for the life of the process.
export LSAN_OPTIONS="suppressions=$SRC/tests/fuse/lsan.supp:print_suppressions=0"

FAILS=0
CHECKS=0
TMUX_SOCK=
DAEMON_PID=
MNT=
WORK=

need_service() {
	local missing=
	[ -c /dev/fuse ] || missing="/dev/fuse"
	command -v fusermount3 >/dev/null 2>&1 || missing="$missing fusermount3"
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	if [ -n "$missing" ]; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL: missing in CI: $missing" >&2
			exit 1
		fi
		echo "SKIP: missing $missing" >&2
		exit 77
	fi
}

setup() {
	WORK=$(mktemp -d "${SCHEMAFS_TEST_DIR:-/var/tmp}/schemafs-test.XXXXXX")
	MNT=$WORK/mnt
	DB=$WORK/registry.db
	mkdir -p "$MNT"
	trap teardown EXIT
	trap 'exit 130' INT TERM
}

# mount [extra args...]: foreground daemon in the background, wait until
# the mount answers (deadline 20 s).
mount_fs() {
	: >"$WORK/daemon.err"
	# a non-interactive shell starts background jobs with SIGINT ignored;
	# the daemon must see it as a user would
	env --default-signal=INT "$BIN" --db "$DB" -f "$@" "$MNT" 2>>"$WORK/daemon.err" &
	DAEMON_PID=$!
	local i=0
	while ! mountpoint -q "$MNT" || [ ! -e "$MNT/README" ]; do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			echo "FAIL: daemon exited before mounting:" >&2
			cat "$WORK/daemon.err" >&2
			DAEMON_PID=
			exit 1
		fi
		i=$((i + 1))
		if [ $i -gt 400 ]; then
			echo "FAIL: mount not ready after 20 s" >&2
			exit 1
		fi
		sleep 0.05
	done
}

# unmount cleanly and check the daemon's exit and stderr
unmount_fs() {
	[ -n "$DAEMON_PID" ] || return 0
	fusermount3 -u "$MNT" || fusermount3 -u -z "$MNT"
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	check "daemon exits 0 after unmount (got $rc)" [ "$rc" = 0 ]
	check_daemon_stderr
}

check_daemon_stderr() {
	if [ -s "$WORK/daemon.err" ]; then
		fail "daemon wrote to stderr:"
		sed 's/^/    /' "$WORK/daemon.err" >&2
	fi
	: >"$WORK/daemon.err"
}

teardown() {
	local rc=$?
	if [ -n "$DAEMON_PID" ]; then
		fusermount3 -u -z "$MNT" 2>/dev/null
		kill "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	mountpoint -q "$MNT" 2>/dev/null && fusermount3 -u -z "$MNT"
	[ -n "$TMUX_SOCK" ] && tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	if [ "$FAILS" -gt 0 ] && [ -z "${KEEP:-}" ]; then
		echo "$FAILS of $CHECKS checks failed" >&2
	fi
	[ -n "$WORK" ] && [ -z "${KEEP:-}" ] && rm -rf "$WORK"
	if [ "$FAILS" -gt 0 ]; then
		exit 1
	fi
	exit $rc
}

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL: $*" >&2
}

# check DESCRIPTION COMMAND...: the command must succeed
check() {
	local what=$1
	shift
	CHECKS=$((CHECKS + 1))
	if "$@"; then
		echo "ok: $what"
	else
		fail "$what"
	fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	CHECKS=$((CHECKS + 1))
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		fail "$1"
		printf '    expected: %s\n    actual:   %s\n' "$2" "$3" >&2
	fi
}

# a valid change of users.yaml: bumps its version and adds a column
users_valid() {
	sed -e 's/^version: .*/version: '"$1"'/' "$SCHEMAFS_EXAMPLES/users.yaml"
}

# an invalid one: a typo'd key (line and column known)
users_invalid() {
	sed -e '0,/nullable:/s/nullable:/nulable:/' "$SCHEMAFS_EXAMPLES/users.yaml"
}

# where the typo lands: LINE:COL of the first "nullable:" key
users_invalid_where() {
	awk '/nullable:/ { print NR ":" index($0, "nullable:"); exit }' \
		"$SCHEMAFS_EXAMPLES/users.yaml"
}

# list of files in a directory, one line
ls_line() {
	ls -A "$1" | tr '\n' ' ' | sed 's/ $//'
}

# wait_for FILE-or-COMMAND with a deadline (seconds)
wait_until() {
	local deadline=$1
	shift
	local i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((deadline * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

# ---- interactive editors, driven through a private tmux server ----

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

tmux_screen() {
	tmux -L "$TMUX_SOCK" capture-pane -p -t "$1" 2>/dev/null
}

# tmux_wait NAME REGEX [SECONDS]: until the screen shows REGEX
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

tmux_gone() { # NAME: wait until the session ended (editor exited)
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
