#!/bin/bash
# Several writers on different schemas plus readers of derived views at
# once (the daemon is multithreaded, one registry lock): no error, and the
# final state is consistent (every schema's last save, every view agrees).
. "$(dirname "$0")/../lib.sh"
need_fuse python3
mount_fs

WRITERS=4
SAVES=${SAVES:-40}
cat >"$WORK/writer.py" <<'EOF'
import os, sys
d, name, saves = sys.argv[1], sys.argv[2], int(sys.argv[3])
w = name[len("conc"):]
docs = os.path.join(d, "..", "docs", "schema.md")
for i in range(1, saves + 1):
    body = (f"name: {name}\nowner: {name}-service\nversion: {w}.{i}.0\n"
            "columns:\n  - name: id\n    type: UUID\n    primary_key: true\n"
            "  - name: user_id\n    type: UUID\n"
            "references:\n  - schema: users\n    column: id\n    foreign_key: user_id\n")
    # alternate cp-style and temp+rename saves
    path = os.path.join(d, f"{name}.yaml")
    if i % 2:
        with open(path, 'w') as f:
            f.write(body)
    else:
        tmp = os.path.join(d, f".{name}.yaml.tmp")
        with open(tmp, 'w') as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    # a view opened after the save returned shows it, even while readers
    # holding older renderings of the same view are reading
    row = f"| [{name}](#{name}) | {name}-service | {w}.{i}.0 |"
    with open(docs) as f:
        if row not in f.read():
            sys.exit(f"error: save {i} of {name} is not in docs/schema.md")
EOF
cat >"$WORK/reader.py" <<'EOF'
import os, sys
mnt, stop = sys.argv[1], sys.argv[2]
views = ['migration_order', 'graph', 'dependents/users', 'docs/schema.md', 'erd.mmd',
         'validation', 'graph.json', 'dependents.json', 'cycles']
n = 0
while not os.path.exists(stop):
    for v in views:
        p = os.path.join(mnt, v)
        size = os.stat(p).st_size
        data = open(p, 'rb').read()
        n += 1
        # a view read whole is never torn: its graph lines all parse
        if v == 'graph':
            for line in data.decode().splitlines():
                assert ':' in line, line
print(n)
EOF

pids=()
for r in 1 2; do
	python3 "$WORK/reader.py" "$MNT" "$WORK/stop" >"$WORK/reader$r.out" 2>&1 &
	pids+=($!)
done
wpids=()
for w in $(seq 1 $WRITERS); do
	python3 "$WORK/writer.py" "$MNT/schemas" "conc$w" "$SAVES" >"$WORK/writer$w.out" 2>&1 &
	wpids+=($!)
done
for p in "${wpids[@]}"; do
	check "writer $p finished without error" wait "$p"
done
touch "$WORK/stop"
for p in "${pids[@]}"; do
	check "reader $p finished without error" wait "$p"
done
cat "$WORK"/writer*.out "$WORK"/reader*.out | grep -i error >&2

cd "$MNT"
for w in $(seq 1 $WRITERS); do
	check_eq "conc$w holds its last save" "version: $w.$SAVES.0" "$(grep '^version' schemas/conc$w.yaml)"
	check "conc$w in migration_order after users" \
		bash -c 'awk "/^users\$/ { u = NR } /^conc'$w'\$/ { c = NR } END { exit !(u && c && u < c) }" migration_order'
	check "conc$w-service in dependents/users" grep -qx "conc$w-service" dependents/users
	check_eq "history/conc$w has every save" "$SAVES" "$(ls history/conc$w | wc -l)"
done
check "validation clean" [ ! -s validation ]
check_eq "no temp files left" "" "$(ls -A schemas | grep tmp)"
cd /
unmount_fs
