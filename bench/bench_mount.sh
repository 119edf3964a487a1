#!/bin/bash
# bench_mount: the mount at N schemas (default 10,000), each number printed
# beside a baseline measured in the same run on the same disk (issue 3):
#
#   mount ready          exec of `schemafs -f` until the mount answers
#   save                 open+write+close of a changed schema through the
#                        mount vs a bare SQLite INSERT+COMMIT of the same
#                        bytes (WAL, synchronous=FULL), interleaved, after a
#                        warm-up that gives the mount's WAL its working size;
#                        beside them the same open+write+close of an editor
#                        file (what FUSE alone costs: the same requests,
#                        nothing validated or stored); also `cp` of the file
#   warm read            migration_order and docs/schema.md, read whole,
#                        in-process and by `cat`, vs the same bytes on tmpfs
#   first read           the first read of those views after a save (the
#                        render once per change; docs/schema.md re-renders
#                        only the parts of the tables the save touched)
#   RSS                  the daemon's resident memory after all that
#
# Usage: bench/bench_mount.sh [BUILD_DIR] [N]   (a release build:
#   meson setup build-rel --buildtype=release && ninja -C build-rel
#   cli/schemafs bench/bench_gen). Work files go to $BENCH_DIR (default
#   /var/tmp): give it the disk the registry will live on. To see the save
#   ratio on a disk whose fsync is slower, a loop device does (as root):
#     truncate -s 1G /var/tmp/slow.img; mkfs.ext4 -q /var/tmp/slow.img
#     mkdir -p /var/tmp/slow; mount -o loop,data=journal /var/tmp/slow.img /var/tmp/slow
#     BENCH_DIR=/var/tmp/slow bench/bench_mount.sh build-rel
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
    # the daemon logs a line per save under -f: into a file, never a pipe
    # nobody drains
    err = open(os.path.join(W, 'daemon.err'), 'wb')
    p = subprocess.Popen([BIN, '--db', DB, '-f', MNT], stderr=err)
    while True:
        try:
            os.stat(os.path.join(MNT, 'README'))
            if os.path.ismount(MNT):
                return p, now() - t0
        except OSError:
            pass
        if p.poll() is not None:
            sys.exit('mount failed: ' + open(os.path.join(W, 'daemon.err')).read())
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

# One save three ways, interleaved (rotating order) so that disk and CPU
# noise hit all alike: through the mount; the same open/write/close of an
# editor file in schemas/ (the same FUSE requests -- OPEN, WRITE, FLUSH --
# with nothing validated or stored: what FUSE itself costs); a bare SQLite
# commit of the same bytes.
NOOP = os.path.join(MNT, 'schemas', '.bench-noop.tmp')
def save_fs(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, data)
    os.close(fd)
def save_noop(path, data):
    fd = os.open(NOOP, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
    os.write(fd, data)
    os.close(fd)
def save_bare(name, data):
    bare.execute('BEGIN')
    bare.execute('INSERT INTO rev (name, bytes, time) VALUES (?, ?, ?)',
                 (name, data, int(time.time())))
    bare.execute('COMMIT')
# Warm-up: a registry in use has a WAL of its working size (the mount keeps
# it between mounts), which SQLite overwrites in place; the bare database
# got its WAL from the fill above. 400 saves make it wrap once.
for i in range(1000, 1400):
    name, path, data = variant(i)
    save_fs(path, data)
tfs, tnoop, tbare = [], [], []
for i in range(300):
    name, path, data = variant(i)
    steps = [(tfs, lambda: save_fs(path, data)), (tnoop, lambda: save_noop(path, data)),
             (tbare, lambda: save_bare(name, data))]
    for k in range(3):
        dst, fn = steps[(i + k) % 3]
        t0 = now(); fn(); dst.append(now() - t0)
os.unlink(NOOP)
fs_, noop, bc = med(tfs), med(tnoop), med(tbare)
print(f'  save (open/write/close){fs_*1e3:8.3f} ms   bare SQLite commit {bc*1e3:.3f} ms'
      f'   ratio {fs_/bc:.2f}x (medians of 300; target <= 1.30x)')
print(f'    no-op FUSE write     {noop*1e3:8.3f} ms   (same calls on an editor file: FUSE alone)'
      f'   save/(bare+no-op) {fs_/(bc+noop):.2f}x; left for validation and the'
      f' store {max(fs_-bc-noop, 0)*1e3:.3f} ms')

tcp, tcpnoop = [], []
src = os.path.join(W, 'cp-src.yaml')
for i in range(300, 340):
    name, path, data = variant(i)
    with open(src, 'wb') as f:
        f.write(data)
    t0 = now(); subprocess.run(['cp', src, path], check=True); tcp.append(now() - t0)
    t0 = now(); subprocess.run(['cp', src, NOOP], check=True); tcpnoop.append(now() - t0)
os.unlink(NOOP)
print(f'  save by cp             {med(tcp)*1e3:8.3f} ms   cp to an editor file {med(tcpnoop)*1e3:.3f} ms'
      f' + bare commit {bc*1e3:.3f} ms = {(med(tcpnoop)+bc)*1e3:.3f} ms'
      f'   ratio {med(tcp)/(med(tcpnoop)+bc):.2f}x (medians of 40; cp is a process: mostly exec)')

# first read after a change, then warm reads vs tmpfs
views = ['migration_order', 'docs/schema.md']
first = {v: [] for v in views}
for i in range(340, 345):
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
