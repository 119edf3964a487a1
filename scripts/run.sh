#!/usr/bin/env bash
# The main job: install what is needed, build, put `schemafs` on PATH, and
# mount the registry at ./mnt (or $1). The first run imports examples/aegis
# (the seed's five schemas) into the default SQLite file (see README: "Where
# state lives"); --examples is this script's choice, a plain mount of a new
# database starts empty.
#
# `schemafs` on PATH is a symbolic link to the built binary: in
# $SCHEMAFS_BINDIR when set, else /usr/local/bin as root, else
# ~/.local/bin. (`meson install` installs it for good, with man pages,
# completion and the examples: README, "Building by hand".)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build-release ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release cli/schemafs >/dev/null
bin=$PWD/build-release/cli/schemafs

bindir=${SCHEMAFS_BINDIR:-}
if [ -z "$bindir" ]; then
  if [ "$(id -u)" -eq 0 ]; then bindir=/usr/local/bin; else bindir=$HOME/.local/bin; fi
fi
mkdir -p "$bindir"
ln -sfn "$bin" "$bindir/schemafs"
case ":$PATH:" in
  *":$bindir:"*) echo "schemafs: $bindir/schemafs -> $bin" ;;
  *) echo "schemafs: $bindir/schemafs -> $bin ($bindir is not on PATH: export PATH=\"$bindir:\$PATH\")" ;;
esac

mountpoint=${1:-mnt}
mkdir -p "$mountpoint"
if grep -qs " $(realpath "$mountpoint") fuse" /proc/mounts; then
  echo "schemafs: already mounted at $mountpoint" >&2
  exit 0
fi
"$bin" mount --examples "$PWD/examples/aegis" "$mountpoint"
echo "schemafs: mounted at $mountpoint — try: cat $mountpoint/migration_order; unmount with: fusermount3 -u $mountpoint"
