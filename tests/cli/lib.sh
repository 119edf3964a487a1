# Shared by the CLI shell tests (tests/cli/*.sh, tests/cli_store.sh), which
# source it after setting T, their private temp directory:
#   . "$SRC/tests/cli/lib.sh"
# A test calls fail for every broken expectation and finish at the end, so
# one run reports every failure, not only the first.
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# run EXPECTED_STATUS CMD...: stdout in $T/out, stderr in $T/err
run() {
	want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "'$*' exited $got, expected $want"
		sed 's/^/  stdout: /' "$T/out" >&2
		sed 's/^/  stderr: /' "$T/err" >&2
	fi
}

# finish MESSAGE: exit 1 after any failure, else print MESSAGE
finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures failure(s)" >&2
		exit 1
	fi
	echo "$1"
}
