/*
 * servicefile: services/<service>.yaml, bytes <-> model (SPEC §1.2,
 * docs/contracts.md "Services files").
 *
 *   name: notification-service      # required, equal to the file's base name
 *   description: sends the e-mails  # optional
 *   contact: team-notify@example.com
 *   reads: [users.id, users.email]  # "table" (every column) or "table.column"
 *   writes: [audit_logs]            # likewise
 *
 * Parsing goes through schemafile_parse.c's walker: the same refusal of
 * hostile input, the same located messages, unknown keys with a
 * did-you-mean. Local rules refuse the file: a service name of letters,
 * digits, '-', '_' and '.' (not first) up to 63 bytes; each item a table or
 * table.column of valid identifiers. Whether the tables and columns exist
 * is a cross-file question (contract_validate_services), never a refusal.
 */
#ifndef SCHEMAFS_SERVICEFILE_H
#define SCHEMAFS_SERVICEFILE_H

#include "model.h"
#include "registry.h"

/* "services" */
#define SERVICEFILE_DIR "services"

/* On success *out is a new service owning copies of bytes and file. On
 * REG_EINVAL (REG_E2BIG) *out is NULL and diags say why. expected_name NULL
 * skips the name check. */
int servicefile_parse(const char *bytes, size_t len, const char *file,
		      const char *expected_name, struct reg_service **out,
		      struct diags *diags);
/* 1 when name may name a service (and its file), else 0. */
int servicefile_name_ok(const char *name);

/* Loads DIR/services/<name>.yaml (a missing directory is no error) into r;
 * refused files are reported in diags and skipped. Files are named
 * "PREFIX/services/x.yaml" (DIR when prefix is NULL). */
int servicefile_load_dir(struct reg_registry *r, const char *dir, const char *prefix,
			 struct diags *diags);

#endif
