# What the shell benchmarks share (sourced): wall-clock seconds, a
# difference, the best of several runs.
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
