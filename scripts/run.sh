#!/usr/bin/env bash
# The main job: install what is needed, build, and mount the registry at
# ./mnt (or $1). The first run imports examples/aegis (the seed's five
# schemas) into the default SQLite file (see README: "Where state lives").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build-release ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release cli/schemafs >/dev/null
mountpoint=${1:-mnt}
mkdir -p "$mountpoint"
if grep -qs " $(realpath "$mountpoint") fuse" /proc/mounts; then
  echo "schemafs: already mounted at $mountpoint" >&2
  exit 0
fi
build-release/cli/schemafs "$mountpoint"
echo "schemafs: mounted at $mountpoint — try: cat $mountpoint/migration_order; unmount with: fusermount3 -u $mountpoint"
