/*
 * servicefile: services/<service>.yaml into the model. The YAML walking is
 * schemafile_parse.c's (schemafile_int.h); what is here is the format.
 */
#include "servicefile.h"

#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "schemafile_int.h"
#include "strlist.h"
#include "validate.h"

static const char *const service_keys[] = {
	"name", "description", "contact", "reads", "writes", NULL,
};
enum { V_NAME, V_DESCRIPTION, V_CONTACT, V_READS, V_WRITES, V_NKEYS };

int servicefile_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > REG_MAX_IDENT_LEN || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return 0;
	}
	return 1;
}

/* Each item "table" or "table.column", both valid identifiers. */
static void check_items(struct sfw *w, const struct reg_strlist *l, const char *key)
{
	char part[REG_MAX_IDENT_LEN * 4 + 2];
	for (size_t i = 0; i < l->n; i++) {
		const char *item = l->items[i], *dot = strchr(item, '.'), *why = NULL;
		size_t tl = dot ? (size_t)(dot - item) : strlen(item);
		bool ok = tl < sizeof(part);
		if (ok) {
			memcpy(part, item, tl);
			part[tl] = '\0';
			ok = reg_validate_ident(part, &why) == 1 &&
			     (!dot || reg_validate_ident(dot + 1, &why) == 1);
		}
		if (!ok)
			sfw_error(w, l->locs[i], "invalid item '%.*s' in '%s' (expected table or "
				  "table.column%s%s)", 130, item, key, why ? ": " : "", why ? why : "");
	}
}

static void parse_service(struct sfw *w, uint32_t root, const char *expected_name,
			  struct reg_service *s)
{
	struct sfw_field f[V_NKEYS];
	sfw_fields(w, root, "service", service_keys, f);
	sfw_str(w, &f[V_NAME], "name", true, &s->name);
	sfw_str(w, &f[V_DESCRIPTION], "description", false, &s->description);
	sfw_str(w, &f[V_CONTACT], "contact", false, &s->contact);
	sfw_names(w, &f[V_READS], "reads", &s->reads);
	sfw_names(w, &f[V_WRITES], "writes", &s->writes);
	s->name_loc = sfw_loc(w, &f[V_NAME], root);
	if (f[V_NAME].key == SFW_NONE)
		sfw_error(w, s->name_loc, "missing required key 'name'");
	else if (s->name && !servicefile_name_ok(s->name))
		sfw_error(w, s->name_loc, "invalid service name '%.64s' (letters, digits, '-', "
			  "'_' and '.', at most %d bytes, not starting with '.')", s->name,
			  REG_MAX_IDENT_LEN);
	else if (s->name && expected_name && strcmp(s->name, expected_name))
		sfw_error(w, s->name_loc, "name '%.64s' differs from the file name '%.64s.yaml'",
			  s->name, expected_name);
	check_items(w, &s->reads, "reads");
	check_items(w, &s->writes, "writes");
}

int servicefile_parse(const char *bytes, size_t len, const char *file,
		      const char *expected_name, struct reg_service **out,
		      struct diags *diags)
{
	struct sfw *w = NULL;
	uint32_t root = SFW_NONE;
	struct reg_service *s = NULL;
	*out = NULL;
	int rc = sfw_open(bytes, len, file, diags, &w, &root);
	if (rc)
		return rc;
	if (!(s = reg_service_new())) {
		sfw_close(w);
		return REG_ENOMEM;
	}
	if (root == SFW_NONE)
		sfw_error(w, (struct reg_loc){ 1, 1 }, "empty file; expected a mapping with 'name'");
	else
		parse_service(w, root, expected_name, s);
	rc = sfw_close(w);
	if (!rc && (!(s->file = strdup(file ? file : "")) || !(s->source = malloc(len + 1))))
		rc = REG_ENOMEM;
	if (rc) {
		reg_service_free(s);
		return rc;
	}
	if (len)
		memcpy(s->source, bytes, len);
	s->source[len] = '\0';
	s->source_len = len;
	*out = s;
	return 0;
}

static int load_one(struct reg_registry *r, const char *dir, const char *shown,
		    const char *fname, struct diags *diags)
{
	char *path = path_join(dir, fname), *file = path_join(shown, fname);
	char *name = strndup(fname, strlen(fname) - strlen(".yaml"));
	struct sbuf text = SBUF_INIT;
	struct reg_service *s = NULL;
	int rc = REG_ENOMEM;
	if (!path || !file || !name)
		goto out;
	rc = path_read_file(path, file, REG_MAX_FILE_SIZE, &text, diags);
	if (rc == 0)
		rc = servicefile_parse(text.buf, text.len, file, name, &s, diags);
	if (!rc) {
		rc = reg_register_service(r, s);
		s = NULL;
	}
out:
	reg_service_free(s);
	sbuf_release(&text);
	free(name);
	free(file);
	free(path);
	return rc == REG_ENOMEM ? rc : 0;
}

int servicefile_load_dir(struct reg_registry *r, const char *dir, const char *prefix,
			 struct diags *diags)
{
	struct strlist names = STRLIST_INIT;
	char *sdir = path_join(dir, SERVICEFILE_DIR);
	char *shown = path_join(prefix ? prefix : dir, SERVICEFILE_DIR);
	int rc = sdir && shown ? path_list_yaml_names(sdir, &names) : REG_ENOMEM;
	if (rc == REG_ENOENT)
		rc = 0;
	for (size_t i = 0; i < names.n && !rc; i++)
		rc = load_one(r, sdir, shown, names.items[i], diags);
	strlist_release(&names);
	free(sdir);
	free(shown);
	return rc;
}
