/* Hand-written scripts (migrations/pending/<table>.sql) as plan input. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

int plan_pending_add(struct plan_pending *p, const char *table, const char *file,
		     const char *text, size_t len)
{
	struct plan_script *items = realloc(p->items, (p->n + 1) * sizeof(*items));
	if (!items)
		return REG_ENOMEM;
	p->items = items;
	struct plan_script *s = &items[p->n];
	s->table = strdup(table);
	s->file = strdup(file);
	s->text = malloc(len + 1);
	s->len = len;
	if (!s->table || !s->file || !s->text) {
		free(s->table);
		free(s->file);
		free(s->text);
		return REG_ENOMEM;
	}
	memcpy(s->text, text, len);
	s->text[len] = 0;
	p->n++;
	return 0;
}

const struct plan_script *plan_pending_find(const struct plan_pending *p, const char *table)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (!strcmp(p->items[i].table, table))
			return &p->items[i];
	return NULL;
}

void plan_pending_release(struct plan_pending *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].table);
		free(p->items[i].file);
		free(p->items[i].text);
	}
	free(p->items);
	memset(p, 0, sizeof(*p));
}
