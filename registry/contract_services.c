/*
 * contract_services: the services files as consumers, their cross-file
 * checks, and which mode a table is judged under (contract.h).
 */
#include "contract_int.h"

#include <stdio.h>
#include <string.h>

int contract_mode_of(const struct reg_registry *r, const struct reg_schema *s)
{
	enum contract_mode m = CONTRACT_BACKWARD;
	if (s && s->compatibility && !contract_mode_parse(s->compatibility, &m))
		return (int)m;
	if (r && r->meta.compatibility && !contract_mode_parse(r->meta.compatibility, &m))
		return (int)m;
	return CONTRACT_BACKWARD;
}

/* "users.email" -> table "users", column "email"; "users" -> column NULL. */
static void split_item(const char *item, char *table, size_t size, const char **column)
{
	const char *dot = strchr(item, '.');
	size_t tl = dot ? (size_t)(dot - item) : strlen(item);
	if (tl >= size)
		tl = size - 1;
	memcpy(table, item, tl);
	table[tl] = '\0';
	*column = dot ? dot + 1 : NULL;
}

static int add_list(const struct reg_service *sv, const struct reg_strlist *l,
		    enum contract_access access, const char *const *tables, size_t ntables,
		    struct contract_consumers *out)
{
	char table[REG_MAX_IDENT_LEN * 4 + 2];
	int rc = 0;
	for (size_t i = 0; i < l->n && !rc; i++) {
		const char *column;
		split_item(l->items[i], table, sizeof(table), &column);
		if (!contract_table_in(table, tables, ntables))
			continue;
		rc = contract_consumers_add(out, sv->name, access, table, column,
					    CONTRACT_WHY_DECLARED, NULL, sv->file,
					    l->locs ? l->locs[i] : (struct reg_loc){ 0, 0 });
	}
	return rc;
}

int contract_services_uses(const struct reg_registry *r, const char *const *tables,
			   size_t ntables, struct contract_consumers *out)
{
	int rc = 0;
	for (size_t i = 0; i < r->nservices && !rc; i++) {
		const struct reg_service *sv = r->services[i];
		rc = add_list(sv, &sv->reads, CONTRACT_READ, tables, ntables, out);
		if (!rc)
			rc = add_list(sv, &sv->writes, CONTRACT_WRITE, tables, ntables, out);
	}
	return rc;
}

int contract_consumers_from_services(const struct reg_registry *r,
				     struct contract_consumers *out)
{
	return contract_services_uses(r, NULL, 0, out);
}

int contract_consumers_of(const struct reg_registry *r, struct contract_consumers *out)
{
	return contract_consumers_of_tables(r, NULL, 0, out);
}

static int check_list(const struct reg_registry *r, const struct reg_service *sv,
		      const struct reg_strlist *l, const char *key, struct diags *out)
{
	char table[REG_MAX_IDENT_LEN * 4 + 2];
	int rc = 0;
	for (size_t i = 0; i < l->n && !rc; i++) {
		const char *column;
		struct reg_loc loc = l->locs ? l->locs[i] : (struct reg_loc){ 0, 0 };
		split_item(l->items[i], table, sizeof(table), &column);
		const struct reg_schema *s = reg_get(r, table);
		if (!s)
			rc = diags_add(out, sv->file, loc, DIAG_ERROR,
				       "service '%s' %s table '%s', which is not registered",
				       sv->name, key, table);
		else if (column && !reg_schema_column(s, column))
			rc = diags_add(out, sv->file, loc, DIAG_ERROR,
				       "service '%s' %s column '%s.%s', which %s does not declare",
				       sv->name, key, table, column, s->file ? s->file : table);
	}
	return rc;
}

int contract_validate_services(const struct reg_registry *r, struct diags *out)
{
	int rc = 0;
	for (size_t i = 0; i < r->nservices && !rc; i++) {
		const struct reg_service *sv = r->services[i];
		rc = check_list(r, sv, &sv->reads, "reads", out);
		if (!rc)
			rc = check_list(r, sv, &sv->writes, "writes", out);
	}
	const struct diags *w = &r->contract_warnings;
	for (size_t i = 0; i < w->n && !rc; i++)
		rc = diags_add(out, w->items[i].file, w->items[i].loc, w->items[i].severity, "%s",
			       w->items[i].message);
	return rc;
}
