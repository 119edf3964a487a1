/*
 * registry_services: the services files a registry holds, and the
 * contract warnings kept for validation (registry.h).
 */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

static size_t service_lower_bound(const struct reg_registry *r, const char *name, int *found)
{
	size_t lo = 0, hi = r->nservices;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->services[mid]->name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int reg_register_service(struct reg_registry *r, struct reg_service *s)
{
	int found;
	if (!s->name) {
		reg_service_free(s);
		return REG_EINVAL;
	}
	size_t i = service_lower_bound(r, s->name, &found);
	if (found) {
		reg_service_free(r->services[i]);
		r->services[i] = s;
		r->generation++;
		return 0;
	}
	if (r->nservices == r->services_alloc) {
		size_t alloc = r->services_alloc ? r->services_alloc * 2 : 8;
		struct reg_service **p = realloc(r->services, alloc * sizeof(*p));
		if (!p) {
			reg_service_free(s);
			return REG_ENOMEM;
		}
		r->services = p;
		r->services_alloc = alloc;
	}
	memmove(r->services + i + 1, r->services + i, (r->nservices - i) * sizeof(*r->services));
	r->services[i] = s;
	r->nservices++;
	r->generation++;
	return 0;
}

const struct reg_service *reg_get_service(const struct reg_registry *r, const char *name)
{
	int found;
	if (!r || !name)
		return NULL;
	size_t i = service_lower_bound(r, name, &found);
	return found ? r->services[i] : NULL;
}

int reg_unregister_service(struct reg_registry *r, const char *name)
{
	int found;
	size_t i = service_lower_bound(r, name, &found);
	if (!found)
		return REG_ENOENT;
	reg_service_free(r->services[i]);
	memmove(r->services + i, r->services + i + 1,
		(r->nservices - i - 1) * sizeof(*r->services));
	r->nservices--;
	r->generation++;
	return 0;
}

int reg_set_contract_warnings(struct reg_registry *r, const char *file, const struct diags *d)
{
	struct diags kept = DIAGS_INIT;
	int rc = 0;
	struct diags *cur = &r->contract_warnings;
	for (size_t i = 0; i < cur->n && !rc; i++) {
		const struct diag *g = &cur->items[i];
		if (!g->file || strcmp(g->file, file))
			rc = diags_add(&kept, g->file, g->loc, g->severity, "%s", g->message);
	}
	for (size_t i = 0; d && i < d->n && !rc; i++) {
		const struct diag *g = &d->items[i];
		if (g->severity == DIAG_WARNING)
			rc = diags_add(&kept, g->file, g->loc, g->severity, "%s", g->message);
	}
	if (rc) {
		diags_release(&kept);
		return rc;
	}
	diags_release(cur);
	*cur = kept;
	r->generation++;
	return 0;
}
