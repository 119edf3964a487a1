#!/usr/bin/env bash
# An index added to a table with rows is built CONCURRENTLY, outside the
# run's transaction: a second session writing to the table all along is not
# blocked for the build's duration. The writer's longest wait is measured
# and compared with the same build done the plain way (which blocks it).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

ROWS=${ROWS:-300000}
seed_dir
cat >"$WORK/schemas/events.yaml" <<'EOF'
name: events
owner: event-service
columns:
  - name: id
    type: BIGINT
    primary_key: true
  - name: payload
    type: TEXT
EOF
reimport
run 0 sfs migrate apply
q "INSERT INTO events SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, $ROWS) g"
q "ANALYZE events"
# short write transactions, each timed; the longest wait is kept
q "CREATE TABLE writer_log (label text, max_wait_ms float8, writes int)"
q "CREATE PROCEDURE writer(label text, base bigint, secs float8) LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; w float8 := 0; n int := 0;
	stop timestamptz := clock_timestamp() + secs * interval '1 second';
BEGIN
	WHILE clock_timestamp() < stop LOOP
		t0 := clock_timestamp();
		INSERT INTO events VALUES (base + n, 'written meanwhile');
		COMMIT;
		w := greatest(w, extract(epoch FROM clock_timestamp() - t0) * 1000);
		n := n + 1;
		PERFORM pg_sleep(0.005);
	END LOOP;
	INSERT INTO writer_log VALUES (label, w, n);
	COMMIT;
END \$\$"

ms() { date +%s%3N; }
cat >>"$WORK/schemas/events.yaml" <<'EOF'
indexes:
  - name: idx_events_payload
    columns: [payload]
EOF
reimport
run 0 sfs migrate plan
check_has $'\tCREATE INDEX CONCURRENTLY "idx_events_payload" ON "events" ("payload");'

# 1. schemafs's build, with the writer running before, during and after it
psql -X -q -c "CALL writer('concurrently', 10000000, 4)" >/dev/null &
writer=$!
sleep 0.5
t0=$(ms)
run 0 sfs migrate apply
build_ms=$(( $(ms) - t0 ))
wait "$writer"
check_has "state: succeeded"
check_eq "the index is valid" t \
	"$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_events_payload'::regclass")"
safe_wait=$(q "SELECT round(max_wait_ms) FROM writer_log WHERE label = 'concurrently'")
writes=$(q "SELECT writes FROM writer_log WHERE label = 'concurrently'")

# 2. the same build the plain way, as a plan without CONCURRENTLY would do it
q "DROP INDEX idx_events_payload"
psql -X -q -c "CALL writer('plain', 20000000, 4)" >/dev/null &
writer=$!
sleep 0.5
t0=$(ms)
q "CREATE INDEX idx_events_payload ON events (payload)"
plain_ms=$(( $(ms) - t0 ))
wait "$writer"
plain_wait=$(q "SELECT round(max_wait_ms) FROM writer_log WHERE label = 'plain'")

echo "rows: $ROWS; apply with CREATE INDEX CONCURRENTLY: ${build_ms} ms, writer's longest wait" \
	"${safe_wait} ms over $writes writes; plain CREATE INDEX: ${plain_ms} ms, writer's" \
	"longest wait ${plain_wait} ms"
check "the plain build blocks the writer (${plain_wait} ms of ${plain_ms} ms)" \
	test "$plain_wait" -ge $((plain_ms / 2))
# far below the build's time, and below what the plain build costs it (the
# margin allows for a loaded machine's scheduling pauses)
check "the writer is not blocked for the build (${safe_wait} ms, build ${build_ms} ms)" \
	test "$safe_wait" -lt $((build_ms / 4))
check "the writer waits less than behind a plain build (${safe_wait} < ${plain_wait} ms)" \
	test "$safe_wait" -lt $((plain_wait / 2))
check "the writer kept writing during the build ($writes writes)" test "$writes" -gt 50
run 0 sfs migrate plan
check_has "nothing to do"
