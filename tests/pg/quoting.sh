#!/usr/bin/env bash
# Names that need quoting reach PostgreSQL quoted (PQescapeIdentifier);
# hostile names, types and defaults never reach it at all; nothing runs
# but the intended DDL (an event trigger records every command); no
# password is ever shown.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

# every DDL command the server runs, from now on
q "CREATE TABLE ddl_log (tag text, obj text)"
q "CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS \$\$
   DECLARE r record;
   BEGIN
     FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
       INSERT INTO ddl_log VALUES (r.command_tag, r.object_identity);
     END LOOP;
   END \$\$"
q "CREATE FUNCTION log_drop() RETURNS event_trigger LANGUAGE plpgsql AS \$\$
   DECLARE r record;
   BEGIN
     FOR r IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
       INSERT INTO ddl_log VALUES ('DROP', r.object_identity);
     END LOOP;
   END \$\$"
q "CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION log_ddl()"
q "CREATE EVENT TRIGGER log_drop ON sql_drop EXECUTE FUNCTION log_drop()"

mkdir -p "$WORK/schemas"
# reserved words are valid lower-case names; only quoting makes them work
cat >"$WORK/schemas/group.yaml" <<'EOF'
name: group
owner: shop
columns:
  - name: table
    type: INT
    primary_key: true
  - name: select
    type: TEXT
    default: "'it''s; DROP TABLE users; --'"
EOF
cat >"$WORK/schemas/order.yaml" <<'EOF'
name: order
owner: shop
columns:
  - name: select
    type: INT
    primary_key: true
  - name: user
    type: INT
    nullable: false
references:
  - schema: group
    column: table
    foreign_key: user
    on_delete: CASCADE
indexes:
  - name: from
    columns: [user]
EOF
reimport
run 0 sfs migrate plan
check_has $'\tCREATE TABLE "order" ('
check_has $'\tALTER TABLE "order" ADD FOREIGN KEY ("user") REFERENCES "group" ("table") ON DELETE CASCADE;'
check_has $'\tCREATE INDEX "from" ON "order" ("user");'
q "TRUNCATE ddl_log"
run 0 sfs migrate apply
check_has "state: succeeded"
q "INSERT INTO \"group\" (\"table\") VALUES (1)"
check_eq "default literal" "it's; DROP TABLE users; --" "$(q "SELECT \"select\" FROM \"group\"")"
# exactly the intended commands (and schemafs's own history tables)
q "SELECT tag || ' ' || obj FROM ddl_log ORDER BY 1" >"$WORK/ddl"
cat >"$WORK/ddl.want" <<'EOF'
ALTER SEQUENCE public.schemafs_migrations_id_seq
ALTER TABLE public."order"
CREATE INDEX public."from"
CREATE INDEX public.group_pkey
CREATE INDEX public.order_pkey
CREATE INDEX public.schemafs_migrations_pkey
CREATE INDEX public.schemafs_migrations_run_key
CREATE INDEX public.schemafs_tables_pkey
CREATE SEQUENCE public.schemafs_migrations_id_seq
CREATE TABLE public."group"
CREATE TABLE public."order"
CREATE TABLE public.schemafs_migrations
CREATE TABLE public.schemafs_tables
EOF
check_file_eq "only the intended DDL ran" "$WORK/ddl.want" "$WORK/ddl"

# hostile input is refused before it is stored, let alone run
hostile() {
	local name=$1 body=$2
	mkdir -p "$WORK/hostile"
	rm -f "$WORK/hostile"/*
	printf '%s' "$body" >"$WORK/hostile/$name.yaml"
	run 1 sfs import "$WORK/hostile"
}
hostile 'x"; DROP TABLE "order"; --' $'name: x"; DROP TABLE "order"; --\nowner: a\ncolumns:\n  - {name: a, type: INT}\n'
hostile evil1 $'name: evil1\nowner: a\ncolumns:\n  - {name: a, type: "INT); DROP TABLE \\"order\\"; --"}\n'
check_has "hostile/evil1.yaml:4:"
hostile evil2 $'name: evil2\nowner: a\ncolumns:\n  - {name: a, type: INT, default: "0; DROP TABLE \\"order\\""}\n'
check_has "hostile/evil2.yaml:4:"
hostile evil3 $'name: evil3\nowner: a\ncolumns:\n  - {name: "a\\"; DROP TABLE x; --", type: INT}\n'
hostile evil4 $'name: evil4\nowner: a\ncolumns:\n  - {name: a, type: INT}\nindexes:\n  - {name: "i ON x; DROP TABLE y; --", columns: [a]}\n'
run 2 sfs migrate pending put '../../x.sql' </dev/null
run 2 sfs migrate pending put 'x"; DROP TABLE y.sql' </dev/null
q "TRUNCATE ddl_log"
run 0 sfs migrate apply
check_has "apply: nothing to do"
check_eq "hostile input ran no DDL" 0 "$(q "SELECT count(*) FROM ddl_log")"

# passwords are never shown: not in errors, status or log
run 1 sfs migrate --target "host=$PGHOST port=$PGPORT dbname=no_such_db_$$ password=hunter2" plan
check_has "cannot connect to host=$PGHOST port=$PGPORT dbname=no_such_db_$$"
check_lacks hunter2
run 1 sfs migrate --target "password=hunter2 oops" plan
check_has "invalid target connection string"
check_lacks hunter2
run 1 sfs migrate --target "postgresql://postgres:hunter2@localhost:1/x?host=/nonexistent" apply
check_lacks hunter2
run 0 sfs migrate status
check_lacks hunter2
# an apply that never reached a database is not recorded
check_lacks "state: refused"
printf 'name: aegis\ntarget: "host=%s port=%s dbname=%s password=hunter2"\n' "$PGHOST" "$PGPORT" "$PG_DB" \
	>"$WORK/schemas/registry.yaml"
reimport
echo '  - {name: note, type: TEXT}' >>"$WORK/schemas/group.yaml"
reimport
unset PGDATABASE   # the target in registry.yaml decides now
run 0 sfs migrate apply
check_has "target: host=$PGHOST port=$PGPORT dbname=$PG_DB"
check_lacks hunter2
run 0 sfs migrate log
check_lacks hunter2
