/*
 * testreg: registries built through the C API for the graph and render
 * tests (header-only so each test stays one source file). Every function
 * aborts the test on allocation failure: there is nothing to test then.
 */
#ifndef SCHEMAFS_TESTREG_H
#define SCHEMAFS_TESTREG_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

static inline char *tr_strdup(const char *s)
{
	char *p = s ? strdup(s) : NULL;
	ck_assert(!s || p);
	return p;
}

/* A schema with no columns yet (the caller owns it until tr_add). */
static inline struct reg_schema *tr_schema(const char *name, const char *owner)
{
	struct reg_schema *s = reg_schema_new();
	ck_assert_ptr_nonnull(s);
	s->name = tr_strdup(name);
	s->owner = tr_strdup(owner);
	s->version = tr_strdup("1.0.0");
	return s;
}

static inline struct reg_column *tr_column(struct reg_schema *s, const char *name, const char *type,
					   bool nullable)
{
	struct reg_column *c = realloc(s->columns, (s->ncolumns + 1) * sizeof(*c));
	ck_assert_ptr_nonnull(c);
	s->columns = c;
	c = &s->columns[s->ncolumns++];
	memset(c, 0, sizeof(*c));
	c->name = tr_strdup(name);
	c->type = tr_strdup(type);
	c->nullable = nullable;
	return c;
}

/* A reference from the local columns fks (comma-free names, n of them) to
 * target's cols; on_delete RESTRICT, as most seed references. */
static inline struct reg_reference *tr_ref_n(struct reg_schema *s, const char *target,
					     const char *const *fks, const char *const *cols,
					     size_t n)
{
	struct reg_reference *r = realloc(s->refs, (s->nrefs + 1) * sizeof(*r));
	ck_assert_ptr_nonnull(r);
	s->refs = r;
	r = &s->refs[s->nrefs++];
	memset(r, 0, sizeof(*r));
	r->schema = tr_strdup(target);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(reg_strlist_push(&r->foreign_keys, fks[i], NULL), 0);
		ck_assert_int_eq(reg_strlist_push(&r->columns, cols[i], NULL), 0);
	}
	r->on_delete = REG_FK_RESTRICT;
	r->on_update = REG_FK_CASCADE;
	return r;
}

static inline struct reg_reference *tr_ref(struct reg_schema *s, const char *target, const char *fk,
					   const char *col)
{
	return tr_ref_n(s, target, &fk, &col, 1);
}

static inline struct reg_index *tr_index(struct reg_schema *s, const char *name, bool unique,
					 const char *const *cols, size_t n)
{
	struct reg_index *ix = realloc(s->indexes, (s->nindexes + 1) * sizeof(*ix));
	ck_assert_ptr_nonnull(ix);
	s->indexes = ix;
	ix = &s->indexes[s->nindexes++];
	memset(ix, 0, sizeof(*ix));
	ix->name = tr_strdup(name);
	ix->unique = unique;
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(reg_strlist_push(&ix->columns, cols[i], NULL), 0);
	return ix;
}

static inline void tr_add(struct reg_registry *r, struct reg_schema *s)
{
	ck_assert_int_eq(reg_register(r, s), 0);
}

/* A table whose only column is its key "id", referencing each of the
 * NULL-terminated deps through "<dep>_id" (a graph-only registry). */
static inline void tr_node(struct reg_registry *r, const char *name, const char *const *deps)
{
	struct reg_schema *s = tr_schema(name, "svc");
	struct reg_column *id = tr_column(s, "id", "UUID", false);
	id->primary_key = true;
	for (size_t i = 0; deps && deps[i]; i++) {
		char fk[128];
		snprintf(fk, sizeof(fk), "%s_id", deps[i]);
		tr_column(s, fk, "UUID", false);
		tr_ref(s, deps[i], fk, "id");
	}
	tr_add(r, s);
}

/*
 * The seed's five tables (users, policies, applications, audit_logs,
 * notifications) as the seed document declares them, built through the
 * API (the YAML reader has its own tests on examples/aegis/).
 */
static inline struct reg_registry *tr_seed(void)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *s;
	struct reg_column *c;
	ck_assert_ptr_nonnull(r);

	s = tr_schema("users", "user-service");
	s->description = tr_strdup("사용자 정보를 저장하는 테이블");
	c = tr_column(s, "id", "UUID", false);
	c->primary_key = true;
	c->description = tr_strdup("사용자 고유 식별자");
	c = tr_column(s, "email", "VARCHAR(255)", false);
	c->unique = true;
	c->description = tr_strdup("사용자 이메일 주소");
	tr_column(s, "name", "VARCHAR(100)", false)->description = tr_strdup("사용자 이름");
	tr_column(s, "phone", "VARCHAR(20)", true)->description = tr_strdup("사용자 전화번호");
	c = tr_column(s, "is_active", "BOOLEAN", false);
	c->default_expr = tr_strdup("true");
	c->description = tr_strdup("사용자 활성 상태");
	c = tr_column(s, "created_at", "TIMESTAMP", false);
	c->default_expr = tr_strdup("CURRENT_TIMESTAMP");
	c = tr_column(s, "updated_at", "TIMESTAMP", false);
	c->default_expr = tr_strdup("CURRENT_TIMESTAMP");
	tr_column(s, "deleted_at", "TIMESTAMP", true)->description =
	    tr_strdup("삭제 일시 (소프트 삭제)");
	tr_index(s, "idx_users_email", true, (const char *const[]){"email"}, 1);
	tr_index(s, "idx_users_active", false, (const char *const[]){"is_active", "deleted_at"}, 2);
	tr_add(r, s);

	s = tr_schema("policies", "policy-service");
	s->description = tr_strdup("정책 정보를 저장하는 테이블");
	tr_column(s, "id", "UUID", false)->primary_key = true;
	tr_column(s, "title", "VARCHAR(200)", false);
	tr_column(s, "budget_amount", "DECIMAL(15,2)", true);
	tr_column(s, "created_by", "UUID", false)->description =
	    tr_strdup("정책 생성자 (사용자 ID)");
	tr_ref(s, "users", "created_by", "id")->description = tr_strdup("정책 생성자 참조");
	tr_index(s, "idx_policies_created_by", false, (const char *const[]){"created_by"}, 1);
	tr_add(r, s);

	s = tr_schema("applications", "application-service");
	tr_column(s, "id", "UUID", false)->primary_key = true;
	tr_column(s, "user_id", "UUID", false);
	tr_column(s, "policy_id", "UUID", false);
	c = tr_column(s, "status", "VARCHAR(20)", false);
	c->default_expr = tr_strdup("'PENDING'");
	c->description = tr_strdup("신청 상태 (PENDING, APPROVED, REJECTED, CANCELLED)");
	tr_column(s, "application_data", "JSONB", false);
	tr_column(s, "reviewed_by", "UUID", true);
	tr_ref(s, "users", "user_id", "id");
	tr_ref(s, "policies", "policy_id", "id");
	tr_ref(s, "users", "reviewed_by", "id")->on_delete = REG_FK_SET_NULL;
	tr_index(s, "idx_applications_user_policy", true,
		 (const char *const[]){"user_id", "policy_id"}, 2);
	tr_add(r, s);

	s = tr_schema("audit_logs", "audit-service");
	s->description = tr_strdup("시스템 감사 로그");
	tr_column(s, "id", "UUID", false)->primary_key = true;
	tr_column(s, "user_id", "UUID", true);
	tr_column(s, "changes", "JSONB", true);
	tr_ref(s, "users", "user_id", "id")->on_delete = REG_FK_SET_NULL;
	tr_add(r, s);

	s = tr_schema("notifications", "notification-service");
	s->description = tr_strdup("알림 정보 저장");
	tr_column(s, "id", "UUID", false)->primary_key = true;
	tr_column(s, "user_id", "UUID", false);
	tr_ref(s, "users", "user_id", "id")->on_delete = REG_FK_CASCADE;
	tr_add(r, s);
	return r;
}

#endif
