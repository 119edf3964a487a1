/*
 * regstore: the one path from stored bytes to the in-memory registry.
 *
 * Owns: loading every current revision and registry.yaml into a
 * reg_registry; syncing it with the store afterwards, naming each schema
 * that changed; accepting one save (validate -> store -> register);
 * recording a refusal; importing a directory (idempotent, optional prune).
 * The mount, the migration backend and `schemafs import` all go through it.
 *
 * Stored bytes passed every local rule when they were saved, so loading
 * and syncing only parse them (schemafile_parse); a stored revision that
 * no longer parses is a diagnostic and is not registered.
 *
 * Memory: a struct regstore borrows its store and registry (both must
 * outlive it) and remembers which revision of each schema it loaded.
 * Not thread-safe: the caller serialises (the mount holds its lock).
 * Errors: 0 or REG_E*; REG_EIO is the store's (store_errmsg says why).
 */
#ifndef SCHEMAFS_REGSTORE_H
#define SCHEMAFS_REGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "registry.h"
#include "store.h"
#include "strlist.h"

struct regstore;

int regstore_new(struct store *st, struct reg_registry *reg, struct regstore **out);
void regstore_free(struct regstore *rs);

/* Registers every current schema and sets registry.yaml (whose source is
 * always the stored bytes). Revisions that do not parse go to diags. The
 * YAML is parsed on several threads when there are many. */
int regstore_load(struct regstore *rs, struct diags *diags);
/* The revision of name that was loaded, saved or synced: false when none. */
bool regstore_head(const struct regstore *rs, const char *name, int64_t *id, int64_t *time);

/*
 * Brings the registry up to what the store holds now (a rollback, another
 * process) and calls changed(ctx, name) for each schema registered,
 * replaced or unregistered, and changed(ctx, NULL) when registry.yaml
 * changed. When nothing was committed to the file since the last load or
 * sync (store_data_version, store_writes) this reads no table.
 */
int regstore_sync(struct regstore *rs, struct diags *diags,
		  void (*changed)(void *ctx, const char *name), void *ctx);

/*
 * One save of schemas/<name>.yaml, or of registry.yaml when name is NULL:
 *  1. validated (reg_schema_from_bytes, schemafile_parse_meta), and a
 *     schema judged against its baseline (regstore_baseline) under its
 *     compatibility mode: when refused, returns REG_EINVAL or REG_E2BIG and
 *     d says why (record it with regstore_refuse); nothing else happens.
 *     Breaking changes accepted with their MAJOR bump become the file's
 *     contract_warnings (registry.h) until the next apply;
 *  2. stored as a new revision, unless put_back (the stored bytes put
 *     back: no new revision, and the file's refusal stays; with restore,
 *     the unregistered revision restore is made current again). When
 *     refused is set the file's refusal is cleared in the same
 *     transaction, and refused becomes false. With check_base (schemas
 *     only) the save is based on revision base (0: on no current
 *     revision): when the store's current revision of name is another one
 *     (another process saved or removed it meanwhile), nothing is stored,
 *     conflict is set, newer is that revision (0: none) and the result is
 *     REG_EBUSY; the check and the write are one transaction, so of two
 *     saves based on one revision exactly one wins. REG_EIO when storing
 *     fails (nothing changed); rev is the revision stored;
 *  3. registered (replacing), unless no_register.
 */
struct regstore_save {
	const char *name;
	const char *bytes;
	size_t len;
	bool put_back;
	bool no_register;
	bool refused;      /* in/out: the store holds a refusal of the file */
	int64_t restore;   /* with put_back: the revision to make current again */
	bool check_base;
	int64_t base;
	bool conflict;     /* out */
	int64_t newer;     /* out, with conflict */
	int64_t rev;       /* out: the new revision (0: none was stored) */
};
int regstore_save(struct regstore *rs, struct regstore_save *sv, struct diags *d);

/*
 * Records d as file's refusal: its errors, or every item when it has no
 * error, or "refused" when d is empty. A refusal says why the file's
 * current content is not what was last written, so it lasts exactly as
 * long as that is true: every accepted save of new bytes (regstore_save,
 * regstore_save_service) and every import of the file (stored or already
 * current) removes it, whichever process recorded it. Putting the stored
 * bytes back (put_back) keeps it: that is what editors do after a refusal,
 * and so does an unregistration (regstore_delete: the mount's rm, which
 * editors also do between a refused save and putting their backup back). A
 * file no content can make acceptable (reg_validate_file_name: no
 * later save could ever remove its refusal) is not stored: its refusal is
 * this regstore's, until the next refusal of that file replaces it.
 */
int regstore_refuse(struct regstore *rs, const char *file, const struct diags *d);
/* Appends every refusal to out: the store's (but those of files that can
 * never be accepted, which earlier versions stored) and this regstore's. */
int regstore_refusals(struct regstore *rs, struct diags *out);
/* Unregisters name in the store (history stays); REG_ENOENT when it was not
 * current. The in-memory registry is the caller's business. */
int regstore_delete(struct regstore *rs, const char *name);
/* Makes revision id of name current again (store_restore_schema): an
 * unregistration taken back. REG_EEXIST when name is current again
 * meanwhile. The in-memory registry is the caller's business. */
int regstore_restore(struct regstore *rs, const char *name, int64_t id);

/*
 * Services files (servicefile.h) are revisions named "services/<name>"
 * (regstore_is_service): loaded, synced and imported with the schemas.
 * A save validates (servicefile_parse), stores a new revision unless the
 * bytes are the current ones (clearing the file's refusal, when refused,
 * in the same transaction) and registers. Stateless: any caller holding
 * the store and the registry may save. REG_EINVAL: d says why.
 */
bool regstore_is_service(const char *store_name);
int regstore_save_service(struct store *st, struct reg_registry *reg, const char *name,
			  const char *bytes, size_t len, bool refused, struct diags *d);
/* Unregisters it in the store (history stays) and in reg; REG_ENOENT. */
int regstore_delete_service(struct store *st, struct reg_registry *reg, const char *name);

/*
 * The contract baseline of a table (SPEC §1.2, docs/contracts.md): the
 * revision the last applied run recorded (store_run_last_applied's
 * snapshot), or when it recorded none (no apply yet, or a table created
 * since) the first accepted revision. *out NULL when there is none (a new
 * table). regstore_save judges every new revision against it
 * (contract_check_schema) and refuses what breaks the table's mode or its
 * semver rule; several saves between two applies are each judged against
 * the same baseline, so they count as one change.
 */
int regstore_baseline(struct store *st, const char *name, struct reg_schema **out);
/* The baseline of every table of now (and of every applied table now
 * gone), as a registry, for contract_impact and the changes/ views. */
int regstore_baseline_registry(struct store *st, const struct reg_registry *now,
			       struct reg_registry **out);

/*
 * Importing a directory in the seed's layout (DIR/registry.yaml,
 * DIR/<name>.yaml and DIR/services/<service>.yaml), as `schemafs import` and a new mount do. Reading
 * checks each file as a save would be (regstore_save's step 1); storing
 * adds a revision only for bytes that differ from the current ones, in one
 * transaction, and with prune unregisters every current schema with no
 * DIR/<name>.yaml at all (a refused file keeps its schema).
 */
struct regstore_file;
struct regstore_import {
	struct strlist files;          /* the *.yaml names read, sorted */
	struct regstore_file *accepted;
	size_t naccepted, nrefused;    /* after read */
	size_t nstored, npruned;       /* after store */
};
#define REGSTORE_IMPORT_INIT { STRLIST_INIT, NULL, 0, 0, 0, 0 }
/* Diagnostics name files "prefix/x.yaml", or "DIR/x.yaml" when prefix is
 * NULL. REG_ENOENT or REG_EIO (errno kept) when DIR cannot be listed. */
int regstore_import_read(struct regstore_import *im, const char *dir, const char *prefix,
			 struct diags *d);
int regstore_import_store(struct store *st, struct regstore_import *im, bool prune);
void regstore_import_release(struct regstore_import *im);

#endif
