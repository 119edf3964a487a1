#!/bin/sh
# Builds the libFuzzer harnesses with clang and runs each for a bounded time.
#   tests/fuzz/run.sh SECONDS [yaml|sqlcheck ...]
# Not part of `meson test` (see docs/fuzzing.md). Environment:
#   FUZZ_BUILD  build and corpus directory (default: <repo>/build-fuzz)
#   CC          a clang with libFuzzer (default: clang)
#   FUZZ_ARGS   extra libFuzzer flags, e.g. "-seed=1" or "-runs=100000"
#   FUZZ_CFLAGS extra compiler flags, e.g. -DFZ_SKIP_OPEN=1 (props.h)
#   FUZZ_LIBYAML_SRC, FUZZ_LIBPG_QUERY_SRC  source trees of libyaml 0.2.5 and
#               libpg_query 15-4.0.0 (the installed versions): when given,
#               they are built with coverage instrumentation and linked in
#               place of the system libraries, so the fuzzer also sees which
#               YAML and SQL grammar paths an input takes
# A crash, leak, timeout or property violation leaves its input under
# $FUZZ_BUILD/artifacts/<harness>/; minimise it (see docs) and save it in
# tests/fuzz/regressions/<kind>/ so that test_fuzz_replay keeps it fixed.
set -eu

seconds=${1:?usage: run.sh SECONDS [yaml|sqlcheck ...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$repo/build-fuzz}
cc=${CC:-clang}
harnesses=${*:-yaml sqlcheck}

mkdir -p "$build"
# -O1 -g: fast enough, and stacks that point at lines.
cflags="-g -O1 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I$repo/registry ${FUZZ_CFLAGS:-}"
libyaml="-lyaml"
libpg_query="-lpg_query"
if [ -n "${FUZZ_LIBYAML_SRC:-}" ]; then
	# a handful of files, built apart with their own include directory
	libyaml=$build/libyaml-instrumented.a
	rm -f "$libyaml"
	for f in api reader scanner parser loader; do
		nice -n 10 "$cc" -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
			-DYAML_VERSION_MAJOR=0 -DYAML_VERSION_MINOR=2 -DYAML_VERSION_PATCH=5 \
			-DYAML_VERSION_STRING='"0.2.5"' -I"$FUZZ_LIBYAML_SRC/include" \
			-c "$FUZZ_LIBYAML_SRC/src/$f.c" -o "$build/libyaml-$f.o"
		ar rc "$libyaml" "$build/libyaml-$f.o"
	done
fi
if [ -n "${FUZZ_LIBPG_QUERY_SRC:-}" ]; then
	if [ ! -f "$FUZZ_LIBPG_QUERY_SRC/libpg_query.a" ]; then
		echo "== building instrumented libpg_query (minutes)"
		nice -n 15 make -C "$FUZZ_LIBPG_QUERY_SRC" -j1 build CC="$cc" \
			CFLAGS_OPT_LEVEL=-O1 CFLAGS=-fsanitize=fuzzer-no-link >/dev/null
	fi
	libpg_query="$FUZZ_LIBPG_QUERY_SRC/libpg_query.a"
fi
libs="$libyaml $libpg_query -ljson-c -lpthread -lm -lxxhash"

status=0
for h in $harnesses; do
	case $h in
	yaml) kind=yaml; max_len=8192 ;;
	sqlcheck) kind=sql; max_len=512 ;;
	*) echo "run.sh: unknown harness '$h' (yaml, sqlcheck)" >&2; exit 2 ;;
	esac
	exe=$build/fuzz_$h
	echo "== building $exe"
	# shellcheck disable=SC2086 # word splitting of the flag lists is wanted
	nice -n 10 "$cc" $cflags -o "$exe" "$here/fuzz_$h.c" "$repo"/registry/*.c $libs

	corpus=$build/corpus/$h
	artifacts=$build/artifacts/$h/
	mkdir -p "$corpus" "$artifacts"
	echo "== fuzzing $h for ${seconds}s (corpus $corpus)"
	# The first directory collects new inputs; seeds and regressions are
	# read only. One process (no -jobs: it would fork a worker that logs to
	# ./fuzz-0.log) at nice 10: the machine is shared.
	# shellcheck disable=SC2086
	nice -n 10 "$exe" -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 \
		-max_len=$max_len -print_final_stats=1 \
		-dict="$here/$kind.dict" -artifact_prefix="$artifacts" ${FUZZ_ARGS:-} \
		"$corpus" "$here/seeds/$kind" "$here/regressions/$kind" \
		2>&1 | tee "$build/$h.log" | grep -v '^#[0-9].*\(NEW\|REDUCE\)' || true
	if grep -q '^==[0-9]*==ERROR\|^SUMMARY\|property violated' "$build/$h.log"; then
		echo "== $h: FINDING, see $build/$h.log and $artifacts" >&2
		status=1
	fi
done
exit $status
