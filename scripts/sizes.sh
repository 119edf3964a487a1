#!/usr/bin/env bash
# Lists source files over a line limit and functions over a line limit
# (default 900 and 120), so a review can see what wants splitting.
# usage: scripts/sizes.sh [FILE_MAX] [FUNC_MAX] [DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."
file_max=${1:-900}
func_max=${2:-120}
shift $(( $# > 2 ? 2 : $# ))
dirs=("${@:-registry backends fs cli}")
# shellcheck disable=SC2068 # the default is a word list on purpose
files=$(find ${dirs[@]} -name '*.[ch]' | sort)
status=0
for f in $files; do
	n=$(wc -l < "$f")
	if [ "$n" -gt "$file_max" ]; then
		echo "$f: $n lines (over $file_max)"
		status=1
	fi
	# a function body runs from a "{" alone at column 0 to the next "}" at column 0
	awk -v max="$func_max" -v file="$f" '
		/^[A-Za-z_].*\(/ { sig = $0; sigline = NR }
		/^\{/ { start = NR; name = sig }
		/^\}/ && start { len = NR - start + 1
			if (len > max) { sub(/\(.*/, "", name); n = split(name, w, /[ *]+/)
				printf "%s:%d: %s: %d lines (over %d)\n", file, sigline, w[n], len, max }
			start = 0 }' "$f" | grep . && status=1
done
exit $status
