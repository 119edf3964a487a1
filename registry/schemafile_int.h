/*
 * schemafile_int: the YAML walker of schemafile_parse.c, for the other
 * files of the same format (servicefile.c). Not for anyone else.
 *
 * sfw_open() runs pass 1 (the hostile-input checks and libyaml into a
 * tree) exactly as a schema file gets it; the sfw_* getters are pass 2's,
 * with the same messages. Every problem is a located diagnostic; a getter
 * that finds one reports it and leaves its output alone, so a caller
 * reads every key and asks sfw_close() for the verdict at the end.
 */
#ifndef SCHEMAFS_SCHEMAFILE_INT_H
#define SCHEMAFS_SCHEMAFILE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define SFW_NONE UINT32_MAX

struct sfw;
/* One key of a mapping: its key node and value node (SFW_NONE: absent). */
struct sfw_field {
	uint32_t key, val;
};

/* Pass 1. On 0, *root is the top mapping, SFW_NONE for an empty file; the
 * caller calls sfw_close() whatever happens. Otherwise *out is NULL and
 * diags say why. */
int sfw_open(const char *bytes, size_t len, const char *file, struct diags *diags,
	     struct sfw **out, uint32_t *root);
/* The fields of mapping map by keys[] (NULL-terminated): unknown keys (with
 * a did-you-mean), repeats and non-scalar keys are reported. */
void sfw_fields(struct sfw *w, uint32_t map, const char *what, const char *const *keys,
		struct sfw_field *f);
/* A text value (moved out of the tree); null or absent leaves *out NULL. */
void sfw_str(struct sfw *w, const struct sfw_field *f, const char *key, bool required,
	     char **out);
/* One name or a list of names. */
void sfw_names(struct sfw *w, const struct sfw_field *f, const char *key,
	       struct reg_strlist *out);
/* Where f's value is, or map's place when f is absent. */
struct reg_loc sfw_loc(struct sfw *w, const struct sfw_field *f, uint32_t map);
void sfw_error(struct sfw *w, struct reg_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Frees the tree: 0 when nothing was reported, REG_EINVAL, REG_ENOMEM. */
int sfw_close(struct sfw *w);

#endif
