#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests: unix socket only, in a
# private temp dir, owned by the `postgres` OS user when run as root.
#
#   eval "$(tests/pg/cluster.sh start)"   # prints export PGHOST=... lines
#   tests/pg/cluster.sh stop [DIR]        # stops it and removes DIR
#   tests/pg/cluster.sh halt [DIR]        # immediate stop, data kept (tests)
#   tests/pg/cluster.sh resume [DIR]      # start the halted cluster again
#
# fsync is off (a machine crash is not what the tests simulate) but commits
# are synchronous: with synchronous_commit off, an immediate stop (halt, the
# server_stop test) loses the last commits, which then look like "partial
# state" although the server lost them, not schemafs.
#
# DIR defaults to $SCHEMAFS_PG_DIR. $SCHEMAFS_PG_LOCKS sets
# max_locks_per_transaction (a migration creating thousands of tables in one
# transaction needs a lock per table and index). Binaries: $PG_BINDIR, else
# /usr/lib/postgresql/15/bin. Exit status 3 when PostgreSQL is not installed.
set -euo pipefail

bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
port=${SCHEMAFS_PG_PORT:-5432}

die() { echo "cluster.sh: $*" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

ctl() {
	local dir=$1; shift
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 "$@" >/dev/null
}

cmd=${1:-}
case $cmd in
start)
	[ -x "$bindir/initdb" ] || { echo "cluster.sh: no PostgreSQL in $bindir" >&2; exit 3; }
	dir=$(mktemp -d "${TMPDIR:-/tmp}/schemafs-pg.XXXXXX")
	chmod 755 "$dir"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "no 'postgres' OS user to run the server as"
		chown postgres: "$dir"
	fi
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	cat >>"$dir/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$dir'
		port = $port
		fsync = off
		synchronous_commit = on
		full_page_writes = off
		max_connections = 50
		max_locks_per_transaction = ${SCHEMAFS_PG_LOCKS:-256}
	EOF
	ctl "$dir" start || { cat "$dir/server.log" >&2; die "server did not start"; }
	echo "export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres"
	echo "export SCHEMAFS_PG_DIR=$dir"
	;;
stop)
	dir=${2:-${SCHEMAFS_PG_DIR:-}}
	[ -n "$dir" ] && [ -d "$dir/data" ] || die "no cluster dir given (and SCHEMAFS_PG_DIR unset)"
	ctl "$dir" stop -m fast || ctl "$dir" stop -m immediate || true
	rm -rf "$dir"
	;;
halt)
	dir=${2:-${SCHEMAFS_PG_DIR:-}}
	[ -n "$dir" ] && [ -d "$dir/data" ] || die "no cluster dir"
	ctl "$dir" stop -m immediate
	;;
resume)
	dir=${2:-${SCHEMAFS_PG_DIR:-}}
	[ -n "$dir" ] && [ -d "$dir/data" ] || die "no cluster dir"
	ctl "$dir" start || { cat "$dir/server.log" >&2; die "server did not start"; }
	;;
*)
	echo "usage: cluster.sh start | stop [DIR] | halt [DIR] | resume [DIR]" >&2
	exit 2
	;;
esac
