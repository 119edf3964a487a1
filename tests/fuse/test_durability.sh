#!/bin/bash
# A save whose close() returned 0 survives kill -9 of the daemon (SPEC §3).
# A writer loops saving numbered revisions and logs each close() that
# returned 0; the daemon is killed at a random moment; after a remount the
# last logged revision (or a later one, whose close the kill interrupted)
# is there, and the database passes PRAGMA integrity_check.
. "$(dirname "$0")/../lib.sh"
need_fuse python3 sqlite3

ROUNDS=${ROUNDS:-5}
for round in $(seq 1 "$ROUNDS"); do
	mount_fs
	: >"$WORK/acked"
	python3 - "$MNT/schemas" "$WORK/acked" "$round" <<'EOF' &
import os, sys
d, acked, rnd = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = open(acked, 'a')
i = 0
while True:
    i += 1
    body = (f"name: durable\nowner: s\nversion: {rnd}.{i}.0\n"
            "columns:\n  - name: id\n    type: INTEGER\n    primary_key: true\n")
    try:
        fd = os.open(os.path.join(d, 'durable.yaml'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, body.encode())
        os.close(fd)
    except OSError:
        break
    # only now does the save count as done
    log.write(f"{rnd}.{i}.0\n")
    log.flush()
    os.fsync(log.fileno())
EOF
	writer=$!
	wait_until 20 test -s "$WORK/acked"
	sleep "0.$((RANDOM % 9 + 1))"
	kill -9 "$(daemon_pid)"
	# the kill is not an error of the daemon: drop what it printed dying
	daemon_discard
	wait "$writer" 2>/dev/null

	last=$(tail -n 1 "$WORK/acked")
	check "round $round: some saves were acknowledged ($(wc -l <"$WORK/acked"))" [ -n "$last" ]
	check_eq "round $round: integrity_check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"

	mount_fs
	got=$(sed -n 's/^version: //p' "$MNT/schemas/durable.yaml")
	# got must be the last acknowledged save or the one after it (its
	# close() may have been cut by the kill after the commit)
	next=$(echo "$last" | awk -F. '{ printf "%d.%d.0", $1, $2 + 1 }')
	check "round $round: last acknowledged save $last is there (got $got)" \
		bash -c '[ "$1" = "$2" ] || [ "$1" = "$3" ]' _ "$got" "$last" "$next"
	unmount_fs
done
