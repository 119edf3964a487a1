#!/usr/bin/env bash
# Installs every Debian package schemafs needs to build, run and test.
# Idempotent: apt-get only runs when something is missing.
set -euo pipefail

packages=(
  # build
  gcc meson ninja-build pkg-config
  # the core and its backends
  libyaml-dev libpg-query-dev libjson-c-dev libxxhash-dev libsqlite3-dev sqlite3 libpq-dev
  libfuse3-dev fuse3 libgraphviz-dev graphviz
  # tests: Check, a real PostgreSQL 15, real editors and tools driven by the mount tests
  check postgresql-15 postgresql-client-15 postgresql-common
  vim nano emacs-nox tmux strace procps psmisc coreutils python3 valgrind gdb
  # the shared Mermaid/Markdown checkers need node >= 20 (this machine kind ships it)
  # and install chromium and cmark-gfm themselves on first use
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "schemafs: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
