/*
 * contract_int: what contract_*.c share and nobody else needs.
 */
#ifndef SCHEMAFS_CONTRACT_INT_H
#define SCHEMAFS_CONTRACT_INT_H

#include "contract.h"

/* How a column's type changed, decided on sqlcheck's canonical forms
 * (contract_type.c); docs/contracts.md "Types" is the same table. */
enum contract_type_change {
	CONTRACT_TYPE_SAME,      /* same text */
	CONTRACT_TYPE_ALIAS,     /* other text, same canonical type */
	CONTRACT_TYPE_FREE,      /* binary-coercible widening: no rewrite */
	CONTRACT_TYPE_REWRITE,   /* value-preserving widening: the table is rewritten */
	CONTRACT_TYPE_NARROW,    /* every value of the new type fits the old one */
	CONTRACT_TYPE_OTHER,     /* anything else */
};

/* Compares two type texts; the canonical spellings go to old_canon and
 * new_canon (size n each; the text itself when sqlcheck refuses it).
 * 0 or REG_ENOMEM. */
int contract_type_compare(const char *old_type, const char *new_type,
			  enum contract_type_change *out, char *old_canon, char *new_canon,
			  size_t n);

/* contract.c: appends a change of rule r (effects from the rule table) and
 * returns it, or NULL on OOM. what is formatted; columns are added after. */
struct contract_change *contract_changes_push(struct contract_changes *c, enum contract_rule r,
					      const char *table, const char *file,
					      struct reg_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* contract.c: appends a finding; message is formatted. NULL on OOM. */
struct contract_finding *contract_report_push(struct contract_report *r,
					      enum diag_severity sev, const char *file,
					      struct reg_loc loc, const char *table,
					      const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* contract.c: is name one of tables[0..n)? Every name is when tables is NULL. */
bool contract_table_in(const char *name, const char *const *tables, size_t n);
/* contract_services.c: the services files' uses of tables (NULL: all). */
int contract_services_uses(const struct reg_registry *r, const char *const *tables,
			   size_t ntables, struct contract_consumers *out);

#endif
