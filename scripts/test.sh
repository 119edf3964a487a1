#!/usr/bin/env bash
# Sets up and runs every test: installs packages, starts a throwaway
# PostgreSQL 15 cluster (unless PGHOST is already set), builds under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs `meson test`
# (suites unit, fuse, postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

started_pg=
cleanup() {
  if [ -n "$started_pg" ]; then tests/pg/cluster.sh stop "$started_pg" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
if [ -z "${PGHOST:-}" ]; then
  eval "$(tests/pg/cluster.sh start)"
  started_pg=$SCHEMAFS_PG_DIR
fi

[ -d build-test ] || meson setup build-test -Db_sanitize=address,undefined >/dev/null
ninja -C build-test
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
meson test -C build-test --print-errorlogs --num-processes 2 "$@" || status=$?
# One closing line any reader understands, counted from meson's own log.
python3 - build-test/meson-logs/testlog.json <<'PY' || true
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(f"tests: {ok} passed, {bad} failed" + (f", {skip} skipped" if skip else ""))
PY
exit $status
