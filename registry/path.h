/*
 * path: the few file-system chores the core and the CLI share: joining
 * paths, mkdir -p, listing a registry directory's YAML files, and reading
 * one whole file safely.
 *
 * Pure in the core's sense (no printing, no exiting); errors are REG_E*
 * codes with errno kept from the failing call, or diagnostics when the
 * problem is the user's file.
 */
#ifndef SCHEMAFS_PATH_H
#define SCHEMAFS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "diag.h"
#include "sbuf.h"
#include "strlist.h"

/* "dir/name", without doubling a trailing slash of dir ("d/" and "d" both
 * give "d/x"); an empty dir gives name. malloc'd, NULL when out of memory. */
char *path_join(const char *dir, const char *name);

/* mkdir -p: creates dir and its missing parents with mode (the umask
 * applies). 0, or REG_EIO with errno set (EEXIST is not an error when the
 * existing entry is a directory). */
int path_mkdir_p(const char *dir, mode_t mode);

/*
 * The names in dir ending in ".yaml" that may be registry files: not
 * hidden (editor swap and lock files are dotfiles), regular files or
 * symlinks to them. Appended to out in byte order. registry.yaml is
 * included: callers tell it apart. REG_ENOENT when dir does not exist or
 * is not a directory, REG_EIO (errno kept) when it cannot be read,
 * REG_ENOMEM.
 */
int path_list_yaml(const char *dir, struct strlist *out);
/* The same by name only, whatever each entry is: for a caller that reads
 * every one with path_read_file, which reports what is not a regular file
 * (reg_load_dir warns about a directory called x.yaml). */
int path_list_yaml_names(const char *dir, struct strlist *out);

/*
 * Reads the whole regular file at path (shown is the name diagnostics use)
 * into out. Never blocks on a FIFO or a device: anything that is not a
 * regular file is reported as a warning ("not a regular file, skipped")
 * and not read. A file over max bytes is an error diagnostic, not read.
 * Returns 0 with the bytes; 1 when a diagnostic says why nothing was read;
 * REG_ENOMEM.
 */
int path_read_file(const char *path, const char *shown, size_t max, struct sbuf *out,
		   struct diags *diags);

#endif
