/*
 * test_contract: registry/contract*.c and registry/semver.c. Every rule of
 * docs/contracts.md and every mode on a fixture pair (old.yaml, new.yaml,
 * case, expected under tests/fixtures/contract/<rule>/), the seed's own
 * scenario, transitive modes, and `schemafs diff` end to end.
 *
 * CONTRACT_REGEN=1 rewrites the expected files from the output (then read
 * the diff before committing it).
 */
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "contract.h"
#include "contract_int.h"
#include "registry.h"
#include "schemafile.h"
#include "semver.h"
#include "servicefile.h"
#include "sqlcheck.h"
#include "validate.h"

/* ---- semver ---- */

static struct semver V(const char *s)
{
	struct semver v;
	ck_assert_msg(semver_parse(s, &v) == 0, "'%s' does not parse", s);
	return v;
}

START_TEST(semver_order)
{
	/* semver.org §11's own example, in ascending order */
	static const char *const asc[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0",
	};
	size_t n = sizeof(asc) / sizeof(*asc);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n; k++) {
			struct semver a = V(asc[i]), b = V(asc[k]);
			int c = semver_cmp(&a, &b);
			int ok = i < k ? c < 0 : i > k ? c > 0 : c == 0;
			ck_assert_msg(ok, "%s vs %s: %d", asc[i], asc[k], c);
		}
	struct semver a = V("1.2.3+build.5"), b = V("1.2.3");
	ck_assert_int_eq(semver_cmp(&a, &b), 0);
	struct semver v;
	ck_assert_int_eq(semver_parse("1.0", &v), REG_EINVAL);
	ck_assert_int_eq(semver_parse("01.0.0", &v), REG_EINVAL);
	ck_assert_int_eq(semver_parse(NULL, &v), REG_EINVAL);
	ck_assert_int_eq(semver_parse("99999999999999999999.0.0", &v), REG_EINVAL);
}
END_TEST

START_TEST(semver_bumps)
{
	struct semver o = V("1.2.3"), n;
	struct sbuf sb = SBUF_INIT;
	n = V("2.0.0");
	ck_assert_int_eq(semver_bump_level(&o, &n), SEMVER_MAJOR);
	n = V("1.3.0");
	ck_assert_int_eq(semver_bump_level(&o, &n), SEMVER_MINOR);
	n = V("1.2.4");
	ck_assert_int_eq(semver_bump_level(&o, &n), SEMVER_PATCH);
	n = V("1.2.3-rc.1");
	ck_assert_int_eq(semver_bump_level(&o, &n), SEMVER_NONE);
	n = V("0.9.9");
	ck_assert_int_eq(semver_bump_level(&o, &n), SEMVER_NONE);
	n = V("1.1.9");
	ck_assert_int_eq(semver_bump_level(&o, &n), SEMVER_NONE);
	semver_bump(&o, SEMVER_MAJOR, &sb);
	sbuf_addch(&sb, ' ');
	semver_bump(&o, SEMVER_MINOR, &sb);
	sbuf_addch(&sb, ' ');
	semver_bump(&o, SEMVER_PATCH, &sb);
	sbuf_addch(&sb, ' ');
	semver_bump(&o, SEMVER_NONE, &sb);
	ck_assert_str_eq(sb.buf, "2.0.0 1.3.0 1.2.4 1.2.3");
	sbuf_release(&sb);
}
END_TEST

/* ---- types (docs/contracts.md, "Types") ---- */

static const struct {
	const char *from, *to;
	enum contract_type_change want;
} type_cases[] = {
	{ "INT", "INT", CONTRACT_TYPE_SAME },
	{ "INT4", "integer", CONTRACT_TYPE_ALIAS },
	{ "DECIMAL(15,2)", "numeric(15, 2)", CONTRACT_TYPE_ALIAS },
	{ "VARCHAR(50)", "VARCHAR(100)", CONTRACT_TYPE_FREE },
	{ "VARCHAR(50)", "character varying", CONTRACT_TYPE_FREE },
	{ "VARCHAR(50)", "TEXT", CONTRACT_TYPE_FREE },
	{ "TEXT", "VARCHAR", CONTRACT_TYPE_FREE },
	{ "NUMERIC(10,2)", "NUMERIC(12,2)", CONTRACT_TYPE_FREE },
	{ "NUMERIC(10,2)", "NUMERIC", CONTRACT_TYPE_FREE },
	{ "TIMESTAMP(3)", "TIMESTAMP(6)", CONTRACT_TYPE_FREE },
	{ "VARBIT(8)", "VARBIT(16)", CONTRACT_TYPE_FREE },
	{ "SMALLINT", "INT", CONTRACT_TYPE_REWRITE },
	{ "INT", "BIGINT", CONTRACT_TYPE_REWRITE },
	{ "REAL", "DOUBLE PRECISION", CONTRACT_TYPE_REWRITE },
	{ "NUMERIC(10,2)", "NUMERIC(12,4)", CONTRACT_TYPE_REWRITE },
	{ "INT", "NUMERIC(10,0)", CONTRACT_TYPE_REWRITE },
	{ "INT", "NUMERIC", CONTRACT_TYPE_REWRITE },
	{ "NUMERIC(9,0)", "INT", CONTRACT_TYPE_REWRITE },
	{ "CHAR(5)", "CHAR(10)", CONTRACT_TYPE_REWRITE },
	{ "VARCHAR(100)", "VARCHAR(50)", CONTRACT_TYPE_NARROW },
	{ "TEXT", "VARCHAR(50)", CONTRACT_TYPE_NARROW },
	{ "BIGINT", "INT", CONTRACT_TYPE_NARROW },
	{ "DOUBLE PRECISION", "REAL", CONTRACT_TYPE_NARROW },
	{ "NUMERIC(12,2)", "NUMERIC(10,2)", CONTRACT_TYPE_NARROW },
	{ "NUMERIC", "NUMERIC(10,2)", CONTRACT_TYPE_NARROW },
	{ "NUMERIC(12,4)", "NUMERIC(10,2)", CONTRACT_TYPE_NARROW },
	{ "NUMERIC(10,4)", "NUMERIC(10,2)", CONTRACT_TYPE_OTHER },
	{ "NUMERIC(10,0)", "INT", CONTRACT_TYPE_NARROW },
	{ "INT", "NUMERIC(5,0)", CONTRACT_TYPE_NARROW },
	{ "TIMESTAMP", "TIMESTAMP(0)", CONTRACT_TYPE_NARROW },
	{ "NUMERIC(10,2)", "NUMERIC(10,4)", CONTRACT_TYPE_OTHER },
	{ "UUID", "BIGINT", CONTRACT_TYPE_OTHER },
	{ "TIMESTAMP", "TIMESTAMPTZ", CONTRACT_TYPE_OTHER },
	{ "TIMESTAMPTZ", "TIMESTAMP", CONTRACT_TYPE_OTHER },
	{ "DATE", "TIMESTAMP", CONTRACT_TYPE_OTHER },
	{ "JSON", "JSONB", CONTRACT_TYPE_OTHER },
	{ "CHAR(10)", "TEXT", CONTRACT_TYPE_OTHER },
	{ "BIT(4)", "BIT(8)", CONTRACT_TYPE_OTHER },
	{ "INT", "INT[]", CONTRACT_TYPE_OTHER },
	{ "VARCHAR(50)[]", "VARCHAR(100)[]", CONTRACT_TYPE_FREE },
	{ "INT", "REAL", CONTRACT_TYPE_OTHER },
};

START_TEST(type_changes)
{
	char a[256], b[256];
	enum contract_type_change got;
	const char *from = type_cases[_i].from, *to = type_cases[_i].to;
	ck_assert_int_eq(contract_type_compare(from, to, &got, a, b, sizeof(a)), 0);
	ck_assert_msg(got == type_cases[_i].want, "%s -> %s (%s -> %s): got %d, want %d", from, to,
		      a, b, got, type_cases[_i].want);
}
END_TEST

/* ---- the fixtures ---- */

static const char *const fixtures[] = {
	"table-added",
	"table-added-forward",
	"table-removed",
	"table-description",
	"table-owner",
	"history-text",
	"history-bad",
	"column-added-optional",
	"column-added-optional-forward",
	"column-added-required",
	"column-removed",
	"column-removed-forward",
	"column-description",
	"type-spelling",
	"type-widened-free",
	"type-widened-free-forward",
	"type-widened-rewrite",
	"type-narrowed",
	"type-changed",
	"null-allowed",
	"null-forbidden",
	"default-added",
	"default-added-forward",
	"default-changed",
	"default-removed-nullable",
	"default-removed-required",
	"key-added",
	"key-added-implied",
	"key-removed",
	"key-removed-kept",
	"index-added",
	"index-removed",
	"index-changed",
	"index-description",
	"fk-added",
	"fk-added-null",
	"fk-removed",
	"fk-action-same",
	"fk-action-propagates",
	"fk-action-restricts",
	"fk-description",
	"version-down",
	"version-same-nothing",
	"major-accepted",
	"mode-full",
	"mode-full-major",
	"mode-none",
	"mode-none-version",
	"mode-backward-transitive",
};

static char *fixture_path(const char *name, const char *file)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "tests/fixtures/contract/%s/%s", name, file);
	return tu_src_path(rel);
}

/* The schema in name/file, NULL when the file does not exist. */
static struct reg_schema *load_schema(const char *name, const char *file)
{
	char *path = fixture_path(name, file);
	size_t len;
	char *bytes = tu_read_file(path, &len);
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	free(path);
	if (!bytes)
		return NULL;
	int rc = reg_schema_from_bytes(bytes, len, "schemas/t.yaml", "t", &s, &d);
	if (rc) {
		struct sbuf sb = SBUF_INIT;
		diags_render(&d, &sb);
		ck_abort_msg("%s/%s refused: %s", name, file, sb.buf);
	}
	diags_release(&d);
	free(bytes);
	return s;
}

/* "mode M" and "use SERVICE read|write TABLE[.COLUMN] [owner|fk VIA]" lines. */
static void load_case(const char *name, enum contract_mode *mode, struct contract_consumers *who)
{
	char *path = fixture_path(name, "case");
	char *text = tu_read_file(path, NULL);
	ck_assert_msg(text != NULL, "%s: no case file", path);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char svc[64], access[16], target[128], why[16] = "", via[128] = "";
		char m[32];
		if (sscanf(line, "mode %31s", m) == 1) {
			ck_assert_int_eq(contract_mode_parse(m, mode), 0);
			continue;
		}
		int n = sscanf(line, "use %63s %15s %127s %15s %127s", svc, access, target, why,
			       via);
		ck_assert_msg(n >= 3, "bad line '%s'", line);
		char *dot = strchr(target, '.');
		if (dot)
			*dot++ = '\0';
		enum contract_why w = !strcmp(why, "owner") ? CONTRACT_WHY_OWNER
				      : !strcmp(why, "fk")  ? CONTRACT_WHY_FK
							    : CONTRACT_WHY_DECLARED;
		ck_assert_int_eq(contract_consumers_add(who, svc,
							!strcmp(access, "read") ? CONTRACT_READ
										: CONTRACT_WRITE,
							target, dot, w, *via ? via : NULL, NULL,
							(struct reg_loc){ 0, 0 }), 0);
	}
	free(text);
	free(path);
}

/* Findings as the tests compare them: the diagnostic line plus [rule]. */
static void render_report(const struct contract_report *r, struct sbuf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct contract_finding *f = &r->items[i];
		struct diag d = { f->file ? f->file : "", f->loc, f->severity, f->message };
		diag_render(&d, out);
		sbuf_addf(out, " [%s]\n", f->rule);
	}
}

static void judge_fixture(const char *name, struct sbuf *out, size_t *errors)
{
	struct reg_schema *old = load_schema(name, "old.yaml");
	struct reg_schema *new_ = load_schema(name, "new.yaml");
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	struct contract_changes changes = CONTRACT_CHANGES_INIT;
	struct contract_report report = CONTRACT_REPORT_INIT;
	enum contract_mode mode = CONTRACT_BACKWARD;
	load_case(name, &mode, &who);
	ck_assert_int_eq(contract_diff_schema(old, new_, &changes), 0);
	ck_assert_int_eq(contract_judge(&changes, mode, &who, old ? old->version : NULL,
					new_ ? new_->version : NULL, new_ ? new_->file : NULL,
					new_ ? new_->version_loc : (struct reg_loc){ 0, 0 }, NULL,
					&report), 0);
	ck_assert_int_eq(contract_check_history(new_, &report), 0);
	render_report(&report, out);
	*errors = report.errors;
	contract_report_release(&report);
	contract_changes_release(&changes);
	contract_consumers_release(&who);
	reg_schema_free(old);
	reg_schema_free(new_);
}

START_TEST(fixture)
{
	const char *name = fixtures[_i];
	struct sbuf out = SBUF_INIT;
	size_t errors;
	judge_fixture(name, &out, &errors);
	char *path = fixture_path(name, "expected");
	const char *regen = getenv("CONTRACT_REGEN");
	if (regen && !strcmp(regen, "1"))
		ck_assert_int_eq(tu_write_file(path, out.buf, out.len), 0);
	char *want = tu_read_file(path, NULL);
	ck_assert_msg(want != NULL, "%s: missing", path);
	ck_assert_msg(!strcmp(want, out.buf), "%s:\n--- want\n%s--- got\n%s", name, want, out.buf);
	free(want);
	free(path);
	sbuf_release(&out);
}
END_TEST

/* ---- the seed (examples/aegis) ---- */

static struct reg_registry *load_seed(void)
{
	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	char *dir = tu_src_path("examples/aegis");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(reg_load_dir(r, dir, "schemas", &d), 0);
	ck_assert_uint_eq(d.errors, 0);
	diags_release(&d);
	free(dir);
	return r;
}

/* Replaces text `from` by `to` in r's users.yaml and re-registers it. */
static void edit_users(struct reg_registry *r, const char *from, const char *to)
{
	const struct reg_schema *u = reg_get(r, "users");
	ck_assert_ptr_nonnull(u);
	const char *at = strstr(u->source, from);
	ck_assert_msg(at != NULL, "no '%s' in users.yaml", from);
	struct sbuf sb = SBUF_INIT;
	sbuf_add(&sb, u->source, (size_t)(at - u->source));
	sbuf_adds(&sb, to);
	sbuf_adds(&sb, at + strlen(from));
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_schema_from_bytes(sb.buf, sb.len, "schemas/users.yaml", "users", &s,
					       &d), 0);
	ck_assert_int_eq(reg_register(r, s), 0);
	diags_release(&d);
	sbuf_release(&sb);
}

static const char profile_column[] = "    description: 삭제 일시 (소프트 삭제)\n\n"
				     "  - name: profile_image_url\n"
				     "    type: VARCHAR(500)\n"
				     "    nullable: true\n";

/* Judges old -> new of the seed under mode; returns the rendered report. */
static size_t diff_seed(const struct reg_registry *old, const struct reg_registry *new_,
			enum contract_mode mode, const struct contract_consumers *extra,
			struct sbuf *out)
{
	const struct reg_registry *revs[] = { old, new_ };
	const char *const labels[] = { "base", "change" };
	struct contract_report report = CONTRACT_REPORT_INIT;
	ck_assert_int_eq(contract_diff_registries(revs, labels, 2, mode, extra, &report), 0);
	render_report(&report, out);
	size_t errors = report.errors;
	contract_report_release(&report);
	return errors;
}

START_TEST(seed_profile_image_url)
{
	struct reg_registry *old = load_seed(), *new_ = load_seed();
	struct sbuf out = SBUF_INIT;
	edit_users(new_, "    description: 삭제 일시 (소프트 삭제)\n", profile_column);
	edit_users(new_, "version: 1.0.0", "version: 1.1.0");
	ck_assert_uint_eq(diff_seed(old, new_, CONTRACT_BACKWARD, NULL, &out), 0);
	ck_assert_str_eq(out.buf,
		"schemas/users.yaml:52:5: note: adding nullable column 'profile_image_url' is "
		"additive, a MINOR change (1.0.0 -> 1.1.0) [column-added-optional]\n");

	/* the same change without the MINOR bump */
	edit_users(new_, "version: 1.1.0", "version: 1.0.0");
	sbuf_reset(&out);
	ck_assert_uint_eq(diff_seed(old, new_, CONTRACT_BACKWARD, NULL, &out), 1);
	ck_assert_str_eq(out.buf,
		"schemas/users.yaml:52:5: error: adding nullable column 'profile_image_url' is "
		"additive, a MINOR change: bump version to 1.1.0 (is 1.0.0) "
		"[column-added-optional]\n");
	sbuf_release(&out);
	reg_registry_free(old);
	reg_registry_free(new_);
}
END_TEST

static void drop_email(struct reg_registry *r)
{
	edit_users(r, "  - name: idx_users_email\n    columns: [email]\n    unique: true\n  \n",
		   "");
	edit_users(r, "  - name: email\n    type: VARCHAR(255)\n    nullable: false\n"
		      "    unique: true\n    description: 사용자 이메일 주소\n  \n", "");
}

START_TEST(seed_drop_email)
{
	struct reg_registry *old = load_seed(), *new_ = load_seed();
	struct contract_consumers extra = CONTRACT_CONSUMERS_INIT;
	struct sbuf out = SBUF_INIT;
	drop_email(new_);

	/* no service says it reads users.email: no FK uses it, only a MINOR change */
	ck_assert_uint_eq(diff_seed(old, new_, CONTRACT_BACKWARD, NULL, &out), 1);
	ck_assert_str_eq(out.buf,
		"schemas/users.yaml:7:3: error: removing column 'email' is breaking for readers "
		"and writers but no service uses it, a MINOR change: bump version to 1.1.0 (is "
		"1.0.0) [column-removed]\n");

	/* notification-service reads it */
	ck_assert_int_eq(contract_consumers_add(&extra, "notification-service", CONTRACT_READ,
						"users", "email", CONTRACT_WHY_DECLARED,
						NULL, "services/notification-service.yaml",
						(struct reg_loc){ 3, 5 }), 0);
	sbuf_reset(&out);
	ck_assert_uint_eq(diff_seed(old, new_, CONTRACT_BACKWARD, &extra, &out), 1);
	ck_assert_str_eq(out.buf,
		"schemas/users.yaml:7:3: error: removing column 'email' breaks "
		"notification-service (reads users.email in services/notification-service.yaml:3) "
		"under BACKWARD; bump version to 2.0.0 or keep the column [column-removed]\n");

	/* with the MAJOR bump: accepted, the service named as a warning */
	edit_users(new_, "version: 1.0.0", "version: 2.0.0");
	sbuf_reset(&out);
	ck_assert_uint_eq(diff_seed(old, new_, CONTRACT_BACKWARD, &extra, &out), 0);
	ck_assert_str_eq(out.buf,
		"schemas/users.yaml:7:3: warning: removing column 'email' breaks "
		"notification-service (reads users.email in services/notification-service.yaml:3) "
		"under BACKWARD; accepted as a MAJOR change (1.0.0 -> 2.0.0) [column-removed]\n");
	contract_consumers_release(&extra);
	sbuf_release(&out);
	reg_registry_free(old);
	reg_registry_free(new_);
}
END_TEST

/* ---- services files and modes ---- */

static struct reg_service *parse_service(const char *yaml, const char *name, struct diags *d)
{
	struct reg_service *sv = NULL;
	char file[128];
	snprintf(file, sizeof(file), "services/%s.yaml", name);
	servicefile_parse(yaml, strlen(yaml), file, name, &sv, d);
	return sv;
}

static void render_diags(const struct diags *d, struct sbuf *out)
{
	sbuf_reset(out);
	ck_assert_int_eq(diags_render(d, out), 0);
}

START_TEST(service_file)
{
	static const char ok[] = "name: notification-service\n"
				 "description: sends the e-mails\n"
				 "contact: notify@example.com\n"
				 "reads: [users.email, users.name]\n"
				 "writes: audit_logs\n";
	struct diags d = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_service *sv = parse_service(ok, "notification-service", &d);
	ck_assert_ptr_nonnull(sv);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(sv->contact, "notify@example.com");
	ck_assert_uint_eq(sv->reads.n, 2);
	ck_assert_str_eq(sv->reads.items[1], "users.name");
	ck_assert_uint_eq(sv->reads.locs[0].line, 4);
	ck_assert_uint_eq(sv->reads.locs[0].col, 9);
	ck_assert_uint_eq(sv->writes.n, 1);
	ck_assert_uint_eq(sv->source_len, strlen(ok));
	reg_service_free(sv);

	static const struct {
		const char *yaml, *name, *want;
	} bad[] = {
		{ "name: a\nreeds: [users.email]\n", "a",
		  "services/a.yaml:2:1: error: unknown key 'reeds' in service (did you mean "
		  "'reads'?)\n" },
		{ "name: b\n", "a",
		  "services/a.yaml:1:7: error: name 'b' differs from the file name 'a.yaml'\n" },
		{ "reads: [users]\n", "a", "services/a.yaml:1:1: error: missing required key 'name'\n" },
		{ "", "a", "services/a.yaml:1:1: error: empty file; expected a mapping with 'name'\n" },
		{ "name: a\nreads: [Users.Email]\n", "a",
		  "services/a.yaml:2:9: error: invalid item 'Users.Email' in 'reads' (expected table "
		  "or table.column: " },
		{ "name: a\nwrites: {users: 1}\n", "a",
		  "services/a.yaml:2:9: error: expected a column name or a list of them for "
		  "'writes', found a mapping\n" },
		{ "name: a b\n", "a b",
		  "services/a b.yaml:1:7: error: invalid service name 'a b'" },
		{ "name: a\nreads: &x [users]\n", "a",
		  "services/a.yaml:2:8: error: anchors are not allowed ('&x'); write the value out\n" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diags_release(&d);
		ck_assert_ptr_null(parse_service(bad[i].yaml, bad[i].name, &d));
		render_diags(&d, &out);
		ck_assert_msg(!strncmp(out.buf, bad[i].want, strlen(bad[i].want)),
			      "case %zu: got %s", i, out.buf);
	}
	diags_release(&d);
	sbuf_release(&out);
}
END_TEST

START_TEST(service_consumers_and_validation)
{
	struct reg_registry *r = load_seed();
	struct diags d = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	struct reg_service *sv = parse_service("name: notification-service\n"
					       "reads: [users.email, users.emial, userz]\n"
					       "writes: [audit_logs]\n",
					       "notification-service", &d);
	ck_assert_ptr_nonnull(sv);
	ck_assert_int_eq(reg_register_service(r, sv), 0);
	ck_assert_int_eq(contract_consumers_from_services(r, &who), 0);
	ck_assert_uint_eq(who.n, 4);
	ck_assert_str_eq(who.items[0].table, "users");
	ck_assert_str_eq(who.items[0].column, "email");
	ck_assert_int_eq(who.items[0].why, CONTRACT_WHY_DECLARED);
	ck_assert_ptr_null(who.items[2].column);
	ck_assert_int_eq(who.items[3].access, CONTRACT_WRITE);
	ck_assert_str_eq(who.items[3].file, "services/notification-service.yaml");

	ck_assert_int_eq(contract_validate_services(r, &d), 0);
	render_diags(&d, &out);
	ck_assert_str_eq(out.buf,
		"services/notification-service.yaml:2:22: error: service 'notification-service' "
		"reads column 'users.emial', which schemas/users.yaml does not declare\n"
		"services/notification-service.yaml:2:35: error: service 'notification-service' "
		"reads table 'userz', which is not registered\n");
	/* the whole registry's validation includes them */
	diags_release(&d);
	ck_assert_int_eq(reg_validate_registry(r, &d), 0);
	ck_assert_uint_eq(d.errors, 2);

	/* and the seed's drop of users.email is judged against them */
	struct reg_registry *new_ = load_seed();
	drop_email(new_);
	const struct reg_registry *revs[] = { r, new_ };
	struct contract_report report = CONTRACT_REPORT_INIT;
	ck_assert_int_eq(contract_diff_own_modes(revs, NULL, 2, NULL, &report), 0);
	sbuf_reset(&out);
	render_report(&report, &out);
	ck_assert_str_eq(out.buf,
		"schemas/users.yaml:7:3: error: removing column 'email' breaks "
		"notification-service (reads users.email in services/notification-service.yaml:2) "
		"under BACKWARD; bump version to 2.0.0 or keep the column [column-removed]\n");
	contract_report_release(&report);
	reg_registry_free(new_);
	contract_consumers_release(&who);
	diags_release(&d);
	sbuf_release(&out);
	reg_registry_free(r);
}
END_TEST

START_TEST(modes_in_files)
{
	struct diags d = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_meta m;
	struct reg_schema *s = NULL;
	static const char meta[] = "name: x\ncompatibility: full_transitive\n";
	ck_assert_int_eq(schemafile_parse_meta(meta, strlen(meta), "registry.yaml", &m, &d), 0);
	ck_assert_str_eq(m.compatibility, "full_transitive");
	struct reg_registry *r = reg_registry_new();
	reg_set_meta(r, &m);
	ck_assert_int_eq(contract_mode_of(r, NULL), CONTRACT_FULL_TRANSITIVE);

	static const char table[] = "name: t\nowner: o\ncompatibility: NONE\n"
				    "columns:\n  - {name: a, type: INT}\n";
	ck_assert_int_eq(schemafile_parse(table, strlen(table), "schemas/t.yaml", &s, &d), 0);
	ck_assert_str_eq(s->compatibility, "NONE");
	ck_assert_int_eq(contract_mode_of(r, s), CONTRACT_NONE);
	/* it round-trips through the canonical form */
	ck_assert_int_eq(schemafile_emit(s, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.buf, "\ncompatibility: NONE\n"));
	reg_schema_free(s);
	ck_assert_int_eq(contract_mode_of(NULL, NULL), CONTRACT_BACKWARD);

	static const char typo[] = "name: t\nowner: o\ncompatibility: BACKWRD\n"
				   "columns:\n  - {name: a, type: INT}\n";
	ck_assert_int_eq(schemafile_parse(typo, strlen(typo), "schemas/t.yaml", &s, &d),
			 REG_EINVAL);
	render_diags(&d, &out);
	ck_assert_str_eq(out.buf,
		"schemas/t.yaml:3:16: error: invalid compatibility 'BACKWRD' (did you mean "
		"'BACKWARD'?) (expected BACKWARD, FORWARD, FULL, NONE or one of them with "
		"_TRANSITIVE)\n");
	reg_registry_free(r);
	diags_release(&d);
	sbuf_release(&out);
}
END_TEST

/* Per-table modes: under NONE a breaking change needs only its MINOR bump. */
START_TEST(own_modes)
{
	struct reg_registry *old = load_seed(), *new_ = load_seed();
	struct sbuf out = SBUF_INIT;
	edit_users(new_, "type: UUID", "type: BIGINT");
	edit_users(new_, "version: 1.0.0", "version: 1.1.0");
	const struct reg_registry *revs[] = { old, new_ };
	struct contract_report report = CONTRACT_REPORT_INIT;
	ck_assert_int_eq(contract_diff_own_modes(revs, NULL, 2, NULL, &report), 0);
	ck_assert_uint_eq(report.errors, 1);
	contract_report_release(&report);
	edit_users(new_, "version: 1.1.0", "version: 1.1.0\ncompatibility: NONE");
	contract_report_init(&report);
	ck_assert_int_eq(contract_diff_own_modes(revs, NULL, 2, NULL, &report), 0);
	ck_assert_uint_eq(report.errors, 0);
	render_report(&report, &out);
	ck_assert_ptr_nonnull(strstr(out.buf, "NONE checks nothing"));
	contract_report_release(&report);
	/* contract_impact is the same judgement, from a baseline registry */
	contract_report_init(&report);
	ck_assert_int_eq(contract_impact(old, new_, &report), 0);
	ck_assert_uint_eq(report.errors, 0);
	ck_assert_uint_eq(report.n, 1);
	ck_assert_str_eq(report.items[0].rule, "type-changed");
	ck_assert_uint_eq(report.items[0].services.n, 4);
	contract_report_release(&report);
	sbuf_release(&out);
	reg_registry_free(old);
	reg_registry_free(new_);
}
END_TEST

START_TEST(seed_id_type)
{
	struct reg_registry *old = load_seed(), *new_ = load_seed();
	struct sbuf out = SBUF_INIT;
	edit_users(new_, "    type: UUID\n", "    type: BIGINT\n");
	ck_assert_uint_eq(diff_seed(old, new_, CONTRACT_BACKWARD, NULL, &out), 1);
	ck_assert_str_eq(out.buf,
		"schemas/users.yaml:8:11: error: changing the type of column 'id' from uuid to "
		"int8 breaks application-service (reads users.id through "
		"applications.reviewed_by, reads users.id through applications.user_id), "
		"audit-service (reads users.id through audit_logs.user_id), notification-service "
		"(reads users.id through notifications.user_id), policy-service (reads users.id "
		"through policies.created_by) under BACKWARD; bump version to 2.0.0 or add a "
		"column of the new type and keep this one [type-changed]\n");
	sbuf_release(&out);
	reg_registry_free(old);
	reg_registry_free(new_);
}
END_TEST

START_TEST(seed_consumers)
{
	struct reg_registry *r = load_seed();
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	ck_assert_int_eq(contract_consumers_from_registry(r, &who), 0);
	/* 5 owners + 6 foreign keys */
	ck_assert_uint_eq(who.n, 11);
	size_t fk = 0;
	for (size_t i = 0; i < who.n; i++) {
		const struct contract_use *u = &who.items[i];
		if (u->why != CONTRACT_WHY_FK)
			continue;
		fk++;
		ck_assert_int_eq(u->access, CONTRACT_READ);
		ck_assert_str_eq(u->column, "id");
		ck_assert_ptr_nonnull(u->file);
		ck_assert_uint_gt(u->loc.line, 0);
	}
	ck_assert_uint_eq(fk, 6);
	/* nothing changed: nothing to say */
	struct reg_registry *same = load_seed();
	struct sbuf out = SBUF_INIT;
	ck_assert_uint_eq(diff_seed(r, same, CONTRACT_FULL_TRANSITIVE, NULL, &out), 0);
	ck_assert_str_eq(out.buf, "");
	sbuf_release(&out);
	reg_registry_free(same);
	contract_consumers_release(&who);
	reg_registry_free(r);
}
END_TEST

/* ---- modes ---- */

START_TEST(mode_table)
{
	static const struct {
		const char *name;
		enum contract_mode mode;
		bool fwd, rev, trans;
	} want[] = {
		{ "BACKWARD", CONTRACT_BACKWARD, true, false, false },
		{ "forward", CONTRACT_FORWARD, false, true, false },
		{ "Full", CONTRACT_FULL, true, true, false },
		{ "NONE", CONTRACT_NONE, false, false, false },
		{ "backward-transitive", CONTRACT_BACKWARD_TRANSITIVE, true, false, true },
		{ "FORWARD_TRANSITIVE", CONTRACT_FORWARD_TRANSITIVE, false, true, true },
		{ "full_transitive", CONTRACT_FULL_TRANSITIVE, true, true, true },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		enum contract_mode m;
		ck_assert_int_eq(contract_mode_parse(want[i].name, &m), 0);
		ck_assert_int_eq(m, want[i].mode);
		const struct contract_mode_info *info = contract_mode_info(m);
		ck_assert(info->forward == want[i].fwd && info->reverse == want[i].rev &&
			  info->transitive == want[i].trans);
	}
	enum contract_mode m;
	ck_assert_int_eq(contract_mode_parse("SIDEWAYS", &m), REG_EINVAL);
	ck_assert_int_eq(contract_mode_parse("", &m), REG_EINVAL);
	ck_assert_int_eq(contract_mode_parse(NULL, &m), REG_EINVAL);
}
END_TEST

static struct reg_registry *one_table(const char *yaml)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_schema_from_bytes(yaml, strlen(yaml), "schemas/t.yaml", "t", &s, &d),
			 0);
	ck_assert_int_eq(reg_register(r, s), 0);
	diags_release(&d);
	return r;
}

#define T_HEAD "name: t\nowner: t-service\n"
#define T_COLS(type) "columns:\n  - name: id\n    type: INT\n    primary_key: true\n" \
		     "  - name: a\n    type: " type "\n"

/* v1 -> v2 narrowed without a MAJOR bump (never judged), v2 -> v3 cosmetic:
 * only the _TRANSITIVE modes look back at v1. */
START_TEST(transitive)
{
	struct reg_registry *v1 = one_table(T_HEAD "version: 1.0.0\n" T_COLS("VARCHAR(100)"));
	struct reg_registry *v2 = one_table(T_HEAD "version: 1.1.0\n" T_COLS("VARCHAR(50)"));
	struct reg_registry *v3 = one_table(T_HEAD "version: 1.1.1\ndescription: notes\n"
						   T_COLS("VARCHAR(50)"));
	const struct reg_registry *revs[] = { v1, v2, v3 };
	const char *const labels[] = { "v1", "v2", "v3" };
	struct contract_consumers extra = CONTRACT_CONSUMERS_INIT;
	ck_assert_int_eq(contract_consumers_add(&extra, "writer-svc", CONTRACT_WRITE, "t", NULL,
						CONTRACT_WHY_DECLARED, NULL, NULL,
						(struct reg_loc){ 0, 0 }), 0);
	static const struct {
		enum contract_mode mode;
		const char *want;
	} cases[] = {
		{ CONTRACT_BACKWARD,
		  "schemas/t.yaml:1:7: note: changing the description of table 't' is cosmetic, a "
		  "PATCH change (1.1.0 -> 1.1.1) (against v2) [table-description]\n" },
		{ CONTRACT_BACKWARD_TRANSITIVE,
		  "schemas/t.yaml:1:7: note: changing the description of table 't' is cosmetic, a "
		  "PATCH change (1.0.0 -> 1.1.1) (against v1) [table-description]\n"
		  "schemas/t.yaml:10:11: error: narrowing column 'a' from varchar(100) to "
		  "varchar(50) breaks writer-svc (writes t) under BACKWARD_TRANSITIVE; bump "
		  "version to 2.0.0 or keep the wider type (against v1) [type-narrowed]\n"
		  "schemas/t.yaml:1:7: note: changing the description of table 't' is cosmetic, a "
		  "PATCH change (1.1.0 -> 1.1.1) (against v2) [table-description]\n" },
		{ CONTRACT_FORWARD_TRANSITIVE,
		  "schemas/t.yaml:1:7: note: changing the description of table 't' is cosmetic, a "
		  "PATCH change (1.0.0 -> 1.1.1) (against v1) [table-description]\n"
		  "schemas/t.yaml:10:11: note: narrowing column 'a' from varchar(100) to "
		  "varchar(50) is breaking for writers but no service uses it, a MINOR change "
		  "(1.0.0 -> 1.1.1) (against v1) [type-narrowed]\n"
		  "schemas/t.yaml:1:7: note: changing the description of table 't' is cosmetic, a "
		  "PATCH change (1.1.0 -> 1.1.1) (against v2) [table-description]\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct contract_report report = CONTRACT_REPORT_INIT;
		struct sbuf out = SBUF_INIT;
		ck_assert_int_eq(contract_diff_registries(revs, labels, 3, cases[i].mode, &extra,
							  &report), 0);
		render_report(&report, &out);
		ck_assert_msg(!strcmp(out.buf, cases[i].want), "%s:\n--- want\n%s--- got\n%s",
			      contract_mode_info(cases[i].mode)->name, cases[i].want, out.buf);
		sbuf_release(&out);
		contract_report_release(&report);
	}
	contract_consumers_release(&extra);
	reg_registry_free(v1);
	reg_registry_free(v2);
	reg_registry_free(v3);
}
END_TEST

/* The save path's one call: diagnostics straight away. */
START_TEST(check_schema)
{
	struct reg_registry *old = one_table(T_HEAD "version: 1.0.0\n" T_COLS("VARCHAR(100)"));
	struct reg_registry *new_ = one_table(T_HEAD "version: 1.0.0\n" T_COLS("VARCHAR(50)"));
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	struct diags d = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_loc at = { 2, 3 };
	ck_assert_int_eq(contract_consumers_add(&who, "writer-svc", CONTRACT_WRITE, "t", "a",
						CONTRACT_WHY_DECLARED, NULL,
						"services/writer-svc.yaml", at), 0);
	ck_assert_int_eq(contract_check_schema(reg_get(old, "t"), reg_get(new_, "t"),
					       CONTRACT_BACKWARD, &who, &d), 0);
	ck_assert_uint_eq(d.errors, 1);
	diags_render(&d, &out);
	ck_assert_str_eq(out.buf,
		"schemas/t.yaml:9:11: error: narrowing column 'a' from varchar(100) to "
		"varchar(50) breaks writer-svc (writes t.a in services/writer-svc.yaml:2) under "
		"BACKWARD; bump version to 2.0.0 or keep the wider type\n");
	/* an API-built schema with a bad version: said once, no bump rules */
	diags_release(&d);
	struct reg_schema *bad = reg_schema_dup(reg_get(new_, "t"));
	free(bad->version);
	bad->version = strdup("1.0");
	ck_assert_int_eq(contract_check_schema(reg_get(old, "t"), bad, CONTRACT_BACKWARD, &who,
					       &d), 0);
	ck_assert_uint_eq(d.errors, 2);
	ck_assert_str_eq(d.items[0].message, "version '1.0' is not MAJOR.MINOR.PATCH");
	reg_schema_free(bad);
	diags_release(&d);
	sbuf_release(&out);
	contract_consumers_release(&who);
	reg_registry_free(old);
	reg_registry_free(new_);
}
END_TEST

/* ---- schemafs diff ---- */

/* Runs `$SCHEMAFS_BIN diff ARGS` in tu_tmpdir, stdout to out.txt; returns
 * the exit status and the output in *out (malloc'd). */
static int run_diff(const char *args, char **out)
{
	const char *bin = getenv("SCHEMAFS_BIN");
	ck_assert_ptr_nonnull(bin);
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' diff %s >out.txt 2>err.txt", tu_tmpdir, bin,
		 args);
	int st = system(cmd);
	ck_assert(WIFEXITED(st));
	char *path = tu_tmp_path("out.txt");
	*out = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(*out);
	free(path);
	return WEXITSTATUS(st);
}

static void copy_seed(const char *to, const char *users_from, const char *users_to)
{
	static const char *const files[] = { "registry.yaml", "users.yaml", "policies.yaml",
					     "applications.yaml", "audit_logs.yaml",
					     "notifications.yaml" };
	char *dir = tu_tmp_path(to);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		char rel[128], dst[1024];
		snprintf(rel, sizeof(rel), "examples/aegis/%s", files[i]);
		char *src = tu_src_path(rel);
		size_t len;
		char *bytes = tu_read_file(src, &len);
		ck_assert_ptr_nonnull(bytes);
		struct sbuf sb = SBUF_INIT;
		const char *at = users_from && !strcmp(files[i], "users.yaml")
				 ? strstr(bytes, users_from) : NULL;
		if (at) {
			sbuf_add(&sb, bytes, (size_t)(at - bytes));
			sbuf_adds(&sb, users_to);
			sbuf_adds(&sb, at + strlen(users_from));
		} else {
			sbuf_add(&sb, bytes, len);
		}
		snprintf(dst, sizeof(dst), "%s/%s", dir, files[i]);
		ck_assert_int_eq(tu_write_file(dst, sb.buf, sb.len), 0);
		sbuf_release(&sb);
		free(bytes);
		free(src);
	}
	free(dir);
}

START_TEST(cli_diff)
{
	char *out;
	copy_seed("base", NULL, NULL);
	copy_seed("same", NULL, NULL);
	copy_seed("minor", "version: 1.0.0\ndescription: 사용자",
		  "version: 1.1.0\ndescription: 사용자");
	copy_seed("bad", "    type: UUID\n", "    type: BIGINT\n");

	ck_assert_int_eq(run_diff("base same", &out), 0);
	ck_assert_str_eq(out, "");
	free(out);

	/* a version bump alone is fine */
	ck_assert_int_eq(run_diff("base minor", &out), 0);
	ck_assert_str_eq(out, "");
	free(out);

	ck_assert_int_eq(run_diff("base bad", &out), 1);
	ck_assert_msg(!strncmp(out, "bad/users.yaml:8:11: error: changing the type of column 'id' "
				    "from uuid to int8 breaks application-service",
			       strlen("bad/users.yaml:8:11: error: changing the type of column "
				      "'id' from uuid to int8 breaks application-service")),
		      "%s", out);
	free(out);

	ck_assert_int_eq(run_diff("--format github base bad", &out), 1);
	ck_assert_msg(!strncmp(out, "::error file=bad/users.yaml,line=8,col=11::changing the type",
			       strlen("::error file=bad/users.yaml,line=8,col=11::changing the "
				      "type")), "%s", out);
	free(out);

	/* NONE: the break is reported, a MINOR bump is still missing */
	ck_assert_int_eq(run_diff("--mode none --json base bad", &out), 1);
	json_object *j = json_tokener_parse(out);
	ck_assert_msg(j != NULL, "not JSON: %s", out);
	json_object *findings, *f, *v;
	ck_assert(json_object_object_get_ex(j, "mode", &v));
	ck_assert_str_eq(json_object_get_string(v), "NONE");
	ck_assert(json_object_object_get_ex(j, "findings", &findings));
	ck_assert_uint_eq(json_object_array_length(findings), 1);
	f = json_object_array_get_idx(findings, 0);
	ck_assert(json_object_object_get_ex(f, "rule", &v));
	ck_assert_str_eq(json_object_get_string(v), "type-changed");
	ck_assert(json_object_object_get_ex(f, "class", &v));
	ck_assert_str_eq(json_object_get_string(v), "BREAKING");
	ck_assert(json_object_object_get_ex(f, "required", &v));
	ck_assert_str_eq(json_object_get_string(v), "1.1.0");
	ck_assert(json_object_object_get_ex(f, "services", &v));
	ck_assert_uint_eq(json_object_array_length(v), 4);
	ck_assert(json_object_object_get_ex(f, "line", &v));
	ck_assert_int_eq(json_object_get_int(v), 8);
	ck_assert(json_object_object_get_ex(j, "errors", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	json_object_put(j);
	free(out);

	/* three directories, transitive */
	ck_assert_int_eq(run_diff("--mode FULL_TRANSITIVE base same minor", &out), 0);
	free(out);

	/* a directory that cannot be read: an error object, exit 1 */
	ck_assert_int_eq(run_diff("--json base missing", &out), 1);
	j = json_tokener_parse(out);
	ck_assert_msg(j && json_object_object_get_ex(j, "error", &v), "%s", out);
	ck_assert_msg(strstr(json_object_get_string(v), "missing") != NULL, "%s", out);
	json_object_put(j);
	free(out);

	/* a refused file: its problem, no verdicts (it is not a removed table) */
	char *broken = tu_tmp_path("bad/users.yaml");
	static const char refused[] = "name: users\ncolumns: 3\n";
	ck_assert_int_eq(tu_write_file(broken, refused, strlen(refused)), 0);
	free(broken);
	ck_assert_int_eq(run_diff("base bad", &out), 1);
	ck_assert_msg(!strncmp(out, "bad/users.yaml:2:10: error: ", 28) && !strstr(out, "removing"),
		      "%s", out);
	free(out);

	/* usage errors */
	ck_assert_int_eq(run_diff("--mode SIDEWAYS base bad", &out), 2);
	free(out);
	ck_assert_int_eq(run_diff("base", &out), 2);
	free(out);
	ck_assert_int_eq(run_diff("--format xml base bad", &out), 2);
	free(out);
}
END_TEST

static Suite *contract_suite(void)
{
	Suite *s = suite_create("contract");
	TCase *tc = tcase_create("semver");
	tcase_add_test(tc, semver_order);
	tcase_add_test(tc, semver_bumps);
	suite_add_tcase(s, tc);

	tc = tcase_create("types");
	tcase_add_loop_test(tc, type_changes, 0, sizeof(type_cases) / sizeof(*type_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_loop_test(tc, fixture, 0, sizeof(fixtures) / sizeof(*fixtures));
	suite_add_tcase(s, tc);

	tc = tcase_create("seed");
	tcase_add_test(tc, seed_profile_image_url);
	tcase_add_test(tc, seed_drop_email);
	tcase_add_test(tc, seed_id_type);
	tcase_add_test(tc, seed_consumers);
	tcase_add_test(tc, service_file);
	tcase_add_test(tc, service_consumers_and_validation);
	tcase_add_test(tc, modes_in_files);
	tcase_add_test(tc, own_modes);
	suite_add_tcase(s, tc);

	tc = tcase_create("modes");
	tcase_add_test(tc, mode_table);
	tcase_add_test(tc, transitive);
	tcase_add_test(tc, check_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, cli_diff);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run(contract_suite());
	sqlcheck_cleanup();
	return rc;
}
