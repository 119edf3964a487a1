#!/usr/bin/env bash
# The daemon is killed (kill -9) while its apply is in the steps outside the
# transaction: the transaction's steps stay committed, status says which
# steps ran, an invalid index left behind is found and rebuilt, and
# `echo resume > migrations/control` runs the rest to completion.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

mount_pg() {
	mount_cmd "$2" env SCHEMAFS_LOCK_TIMEOUT=60000 "$BIN" --db "$1" --examples "$SCHEMAFS_EXAMPLES" -f "$2"
}
A=$WORK/a
mount_pg "$WORK/a.db" "$A"
M=$A/migrations
check "apply the seed" bash -c 'echo apply >"$1"' _ "$M/control"
q "INSERT INTO users (id, email, name) SELECT gen_random_uuid(), 'u' || g || '@example.com',
	CASE WHEN g % 2 = 0 THEN 'same' ELSE 'other' END FROM generate_series(1, 1000) g"

# a column of policies (the transaction) and an index on the live users
# (outside it)
add_column_to "$A/schemas/policies.yaml" 1.1.0 <<'EOF'
  - name: nickname
    type: VARCHAR(50)
EOF
python3 - "$A/schemas/users.yaml" <<'EOF'
import sys
p = sys.argv[1]
t = open(p).read()
t = t.replace("indexes:\n", "indexes:\n  - name: idx_users_nick_name\n    columns: [name, email]\n", 1)
t = t.replace("version: 1.0.0", "version: 1.1.0", 1)  # an index: a MINOR change
open(p, "w").write(t)
EOF
check_match "$M/plan" 'CREATE INDEX CONCURRENTLY "idx_users_nick_name"'

# the build waits for a lock; the daemon dies there
hold_lock users
(echo apply >"$M/control") 2>/dev/null &
BG_PIDS+=("$!")
wait_query "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemafs'
	AND wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX CONCURRENTLY%'"
kill -9 "$(daemon_pid "$A")"
daemon_discard "$A" || true   # (its wait reports the kill)
# the server notices the dead client only when its statement ends: end it
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'schemafs'" >/dev/null
release_lock
wait_query "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name IN ('schemafs', 'locker')"
check_eq "the transaction's column is committed" 1 "$(column_count nickname)"
check_eq "the index is not there" 0 "$(q "SELECT count(*) FROM pg_class WHERE relname = 'idx_users_nick_name'")"
# what an interrupted CONCURRENTLY build leaves: an invalid index of that name
psql -X -q -c "CREATE UNIQUE INDEX CONCURRENTLY idx_users_nick_name ON users (name)" 2>/dev/null || true
check_eq "an invalid index is left" f \
	"$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_users_nick_name'::regclass")"

mount_pg "$WORK/a.db" "$A"
check_contains "$M/status" "state: running"
check_contains "$M/status" "outside the transaction:"
check_contains "$M/status" "step 2: pending: users: create index 'idx_users_nick_name' concurrently"
check "resume through control" bash -c 'echo resume >"$1"' _ "$M/control"
check_contains "$M/status" "state: succeeded"
check_contains "$M/status" "step 2: done (1 try): users: create index 'idx_users_nick_name' concurrently"
check_contains "$M/status" "database: committed; resumed: steps 2-2 outside the transaction done"
check_eq "the index is valid and is the declared one" "t|CREATE INDEX idx_users_nick_name ON public.users USING btree (name, email)" \
	"$(q "SELECT x.indisvalid, pg_get_indexdef(x.indexrelid) FROM pg_index x WHERE x.indexrelid = 'idx_users_nick_name'::regclass")"
check_eq "the rows are all there" 1000 "$(q "SELECT count(*) FROM users")"
check_match "$M/plan" "^nothing to do"
check "a second resume has nothing to do" bash -c 'echo resume >"$1"' _ "$M/control"
check_contains "$M/control" "last command: resume (done)"
unmount_fs "$A"
run 0 sfs migrate --db "$WORK/a.db" resume
check_has "resume: nothing to resume"
