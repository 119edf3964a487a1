/*
 * schemafile_tree: pass 1 of the schema file format (schemafile_parse.c):
 * the input checks before libyaml sees a byte, and libyaml's events into
 * a small tree, refusing on the way what the format has no use for
 * (anchors, aliases, tags, deep nesting, several documents). Shared by
 * schemafile_parse.c (pass 2: the tree into the model) and nobody else.
 */
#ifndef SCHEMAFS_SCHEMAFILE_TREE_H
#define SCHEMAFS_SCHEMAFILE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* The format nests four levels (file > columns > column > key list);
 * twice that leaves room for mistakes worth a precise message. */
#define YAML_MAX_DEPTH 8
/* After this many errors in one file the rest is noise. */
#define YAML_MAX_ERRORS DIAG_MAX_PER_FILE
/* Subjects quoted in messages are cut to this many bytes. */
#define SUBJECT_MAX 64

#define Y_NONE UINT32_MAX

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	char *text;          /* scalar value, owned until taken */
	uint32_t first;      /* first child; a mapping's are key, value, key, ... */
	uint32_t last;
	uint32_t next;       /* next sibling */
	uint32_t count;      /* children (a mapping has 2 per entry) */
	struct reg_loc loc;
	uint8_t kind;
	bool plain;          /* plain scalar: may be null or a boolean */
};

struct pctx {
	const char *file;
	struct diags *diags;
	const unsigned char *bytes;
	size_t len;
	struct ynode *nodes;
	size_t n, alloc;
	uint32_t root;
	size_t errors;
	bool oom;
	bool stop;
};

/* An error at loc; after YAML_MAX_ERRORS of them, one more says so and
 * every later call is a no-op (c->stop). */
void schemafile_err(struct pctx *c, struct reg_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* User text quoted in a message: control characters escaped, long text
 * cut. A thread-local buffer: two subjects per message, no more. */
const char *schemafile_subject(const char *s);
struct ynode *schemafile_node(struct pctx *c, uint32_t i);
/* Size, NUL and UTF-8 checks of c->bytes: REG_E2BIG, REG_EINVAL or 0. */
int schemafile_check_bytes(struct pctx *c);
/* libyaml into c's tree (c->root); 0, REG_EINVAL (diagnostics say why)
 * or REG_ENOMEM. */
int schemafile_build_tree(struct pctx *c);
void schemafile_free_tree(struct pctx *c);

#endif
