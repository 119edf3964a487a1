/*
 * pg_int: what the files of the PostgreSQL backend share (pg.c connects
 * and executes, pg_read.c reads the catalog and the recorded history).
 */
#ifndef SCHEMAFS_PG_INT_H
#define SCHEMAFS_PG_INT_H

#include <libpq-fe.h>

#include "pg.h"

struct pg_conn {
	PGconn *conn;
};

/* The SQL condition "c is in the current schema" of every catalog query. */
#define IN_SCHEMA "c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"

#endif
