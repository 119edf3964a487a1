#!/bin/bash
# bench_mount: the mount at N schemas (default 10,000), each number printed
# beside a baseline measured in the same run on the same disk (issue 3):
#
#   mount ready          exec of `schemafs -f` until the mount answers
#   save                 open+write+close of a changed schema through the
#                        mount vs a bare SQLite INSERT+COMMIT of the same
#                        bytes (WAL, synchronous=FULL), interleaved; also
#                        `cp` of the file, for the record
#   warm read            migration_order and docs/schema.md, read whole,
#                        in-process and by `cat`, vs the same bytes on tmpfs
#   first read           the first read of those views after a save (the
#                        render once per change)
#   RSS                  the daemon's resident memory after all that
#
# Usage: bench/bench_mount.sh [BUILD_DIR] [N]   (a release build:
#   meson setup build-rel --buildtype=release && ninja -C build-rel
#   cli/schemafs bench/bench_gen). Work files go to $BENCH_DIR (default
#   /var/tmp): give it the disk the registry will live on.
set -eu
BUILD=${1:-build-rel}
N=${2:-10000}
BIN=$BUILD/cli/schemafs
GEN=$BUILD/bench/bench_gen
[ -x "$BIN" ] && [ -x "$GEN" ] || { echo "bench_mount: build $BIN and $GEN first" >&2; exit 2; }
BIN=$(readlink -f "$BIN")
GEN=$(readlink -f "$GEN")
SHM=${SHM:-/dev/shm}

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/schemafs-bench.XXXXXX")
cleanup() {
	mountpoint -q "$W/mnt" 2>/dev/null && fusermount3 -u -z "$W/mnt"
	rm -rf "$W" "$SHM/schemafs-bench.$$"
}
trap cleanup EXIT
mkdir -p "$W/mnt" "$SHM/schemafs-bench.$$"

"$GEN" "$W/src" "$N" >/dev/null
"$BIN" import --db "$W/registry.db" "$W/src" >/dev/null

python3 - "$BIN" "$W" "$N" "$SHM/schemafs-bench.$$" <<'EOF'
import os, sqlite3, statistics as st, subprocess, sys, time

BIN, W, N, SHM = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
MNT, DB = os.path.join(W, 'mnt'), os.path.join(W, 'registry.db')
now = time.perf_counter

def mount():
    t0 = now()
    p = subprocess.Popen([BIN, '--db', DB, '-f', MNT], stderr=subprocess.PIPE)
    while True:
        try:
            os.stat(os.path.join(MNT, 'README'))
            if os.path.ismount(MNT):
                return p, now() - t0
        except OSError:
            pass
        if p.poll() is not None:
            sys.exit('mount failed: ' + p.stderr.read().decode())
        time.sleep(0.0005)

def unmount(p):
    subprocess.run(['fusermount3', '-u', MNT], check=True)
    p.wait()

def med(xs):
    return st.median(xs)

def read(path):
    with open(path, 'rb') as f:
        return f.read()

print(f'bench_mount: {N} schemas, {W} ({os.statvfs(W).f_bsize} B blocks), baseline tmpfs {SHM}')

# mount ready: median of 3
ready = []
for _ in range(3):
    p, t = mount()
    ready.append(t)
    unmount(p)
print(f'  mount ready            {med(ready)*1e3:8.1f} ms   (median of 3; target < 500 ms)')

p, _ = mount()
names = sorted(os.listdir(os.path.join(MNT, 'schemas')))
assert len(names) == N, len(names)

# save vs bare SQLite commit of the same bytes, same disk, interleaved
bare = sqlite3.connect(os.path.join(W, 'bare.db'), isolation_level=None)
bare.execute('PRAGMA journal_mode=WAL')
bare.execute('PRAGMA synchronous=FULL')
bare.execute('CREATE TABLE rev (id INTEGER PRIMARY KEY, name TEXT, bytes BLOB, time INTEGER)')
bare.execute('BEGIN')
for n in names:
    bare.execute('INSERT INTO rev (name, bytes, time) VALUES (?, ?, 0)', (n, b'x' * 1200))
bare.execute('COMMIT')

def variant(i):
    name = names[(i * 7919) % len(names)]
    path = os.path.join(MNT, 'schemas', name)
    data = read(path) + f'# save {i}\n'.encode()
    return name, path, data

tfs, tbare = [], []
for i in range(200):
    name, path, data = variant(i)
    for k in range(2):
        if (k == 0) == (i % 2 == 0):
            t0 = now()
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            os.write(fd, data)
            os.close(fd)
            tfs.append(now() - t0)
        else:
            t0 = now()
            bare.execute('BEGIN')
            bare.execute('INSERT INTO rev (name, bytes, time) VALUES (?, ?, ?)',
                         (name, data, int(time.time())))
            bare.execute('COMMIT')
            tbare.append(now() - t0)
print(f'  save (open/write/close){med(tfs)*1e3:8.3f} ms   bare SQLite commit {med(tbare)*1e3:.3f} ms'
      f'   ratio {med(tfs)/med(tbare):.2f}x (medians of 200; target <= 1.30x)')

tcp, tcpshm = [], []
for i in range(200, 240):
    name, path, data = variant(i)
    src = os.path.join(W, 'cp-src.yaml')
    with open(src, 'wb') as f:
        f.write(data)
    t0 = now(); subprocess.run(['cp', src, path], check=True); tcp.append(now() - t0)
    t0 = now(); subprocess.run(['cp', src, os.path.join(SHM, 'cp.yaml')], check=True); tcpshm.append(now() - t0)
print(f'  save by cp             {med(tcp)*1e3:8.3f} ms   cp to tmpfs {med(tcpshm)*1e3:.3f} ms + bare commit'
      f' {med(tbare)*1e3:.3f} ms = {(med(tcpshm)+med(tbare))*1e3:.3f} ms   ratio {med(tcp)/(med(tcpshm)+med(tbare)):.2f}x')

# first read after a change, then warm reads vs tmpfs
views = ['migration_order', 'docs/schema.md']
first = {v: [] for v in views}
for i in range(240, 245):
    name, path, data = variant(i)
    with open(path, 'wb') as f:
        f.write(data)
    for v in views:
        t0 = now(); read(os.path.join(MNT, v)); first[v].append(now() - t0)
for v in views:
    print(f'  first read after save  {med(first[v])*1e3:8.2f} ms   {v} (median of 5; target < 50 ms)')

for v in views:
    src = os.path.join(MNT, v)
    data = read(src)
    copy = os.path.join(SHM, os.path.basename(v))
    with open(copy, 'wb') as f:
        f.write(data)
    tf, tt = [], []
    for i in range(300):
        t0 = now(); a = read(src); tf.append(now() - t0)
        t0 = now(); b = read(copy); tt.append(now() - t0)
    assert a == b
    cf, ct = [], []
    for i in range(60):
        t0 = now(); subprocess.run(['cat', src], stdout=subprocess.DEVNULL, check=True); cf.append(now() - t0)
        t0 = now(); subprocess.run(['cat', copy], stdout=subprocess.DEVNULL, check=True); ct.append(now() - t0)
    print(f'  warm read {v:<18} {len(data)/1e6:6.2f} MB: in-process {med(tf)*1e3:7.3f} ms vs tmpfs {med(tt)*1e3:7.3f} ms'
          f' ({med(tf)/med(tt):.2f}x); cat {med(cf)*1e3:7.3f} ms vs {med(ct)*1e3:7.3f} ms ({med(cf)/med(ct):.2f}x; target <= 1.5x)')

for v in ['graph', 'validation', 'cycles', 'erd.mmd', 'dependents.json', 'graph.json']:
    read(os.path.join(MNT, v))
rss = 0
with open(f'/proc/{p.pid}/status') as f:
    for line in f:
        if line.startswith('VmRSS:'):
            rss = int(line.split()[1])
print(f'  daemon RSS             {rss/1024:8.1f} MB   after reading every view (target < 200 MB);'
      f' database {os.path.getsize(DB)/1e6:.1f} MB')
unmount(p)
EOF
