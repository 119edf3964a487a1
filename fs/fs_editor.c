/*
 * fs_editor: editor files. Every name of schemas/ that is not a schema
 * file (4913, .x.yaml.swp, x.yaml~, sedXXXXXX, .#x.yaml, #x.yaml#) and
 * every unrouted name of the mount's root is a plain file kept in memory,
 * never registered: editors write, read, rename and remove them as they
 * do on a disk, and a rename of one onto a schema file saves its bytes
 * (fs_schemas.c). Symlinks are always editor files (emacs's lock).
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

void fs_editor_put(struct fs_editor_file *p)
{
	if (p && --p->refs == 0) {
		sbuf_release(&p->bytes);
		free(p->came_from);
		free(p->name);
		free(p);
	}
}

void fs_editor_release(struct fs_editor_dir *dir)
{
	for (struct fs_editor_file *p = dir->head, *next; p; p = next) {
		next = p->next;
		fs_editor_put(p);
	}
	dir->head = NULL;
}

struct fs_editor_file *fs_editor_find(const struct fs_editor_dir *dir, const char *name)
{
	for (struct fs_editor_file *p = dir->head; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

struct fs_editor_file *fs_editor_new(struct fs_editor_dir *dir, const char *name, mode_t mode)
{
	struct fs_editor_file *p = calloc(1, sizeof(*p));
	if (!p || !(p->name = strdup(name))) {
		free(p);
		return NULL;
	}
	sbuf_init(&p->bytes);
	p->mode = mode & 07777;
	fs_now(&p->mtime);
	p->refs = 1;
	p->linked = true;
	p->next = dir->head;
	dir->head = p;
	return p;
}

void fs_editor_unlink(struct fs_editor_dir *dir, struct fs_editor_file *p)
{
	for (struct fs_editor_file **pp = &dir->head; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->linked = false;
			fs_editor_put(p);
			return;
		}
}

int fs_editor_list(const struct fs_editor_dir *dir, struct fs_dir *out)
{
	for (struct fs_editor_file *p = dir->head; p; p = p->next)
		if (fs_dir_add(out, p->name, p->symlink ? S_IFLNK : S_IFREG))
			return -ENOMEM;
	return 0;
}

void fs_editor_stat(const struct fs_editor_file *p, struct stat *st)
{
	st->st_mode = (p->symlink ? S_IFLNK : S_IFREG) | p->mode;
	st->st_size = (off_t)p->bytes.len;
	st->st_mtim = st->st_ctim = st->st_atim = p->mtime;
}

int fs_editor_open(struct fs_editor_file *p, int flags, bool writer)
{
	if (p->symlink)
		return -ELOOP;
	if (writer && (flags & O_TRUNC)) {
		sbuf_reset(&p->bytes);
		fs_now(&p->mtime);
	}
	p->refs++;
	return 0;
}

int fs_editor_write(struct fs_editor_file *p, const char *buf, size_t size, off_t off,
		    bool append)
{
	int ret = fs_write_draft(&p->bytes, buf, size, append ? (off_t)p->bytes.len : off);
	if (ret >= 0)
		fs_now(&p->mtime);
	return ret;
}

int fs_editor_truncate(struct fs_editor_file *p, off_t size)
{
	if (p->symlink)
		return -EINVAL;
	fs_now(&p->mtime);
	return fs_truncate_draft(&p->bytes, size);
}

int fs_editor_symlink(struct fs_editor_dir *dir, const char *name, const char *target)
{
	if (fs_editor_find(dir, name))
		return -EEXIST;
	struct fs_editor_file *p = fs_editor_new(dir, name, 0777);
	if (!p)
		return -ENOMEM;
	p->symlink = true;
	if (sbuf_adds(&p->bytes, target)) {
		fs_editor_unlink(dir, p);
		return -ENOMEM;
	}
	return 0;
}

int fs_editor_readlink(const struct fs_editor_file *p, char *buf, size_t size)
{
	if (!p->symlink || size == 0)
		return -EINVAL;
	size_t n = p->bytes.len < size - 1 ? p->bytes.len : size - 1;
	memcpy(buf, p->bytes.buf, n);
	buf[n] = '\0';
	return 0;
}

void fs_editor_chmod(struct fs_editor_file *p, mode_t mode)
{
	if (!p->symlink)
		p->mode = mode & 07777;
}

int fs_editor_bytes(const struct fs_editor_file *p, struct sbuf *out)
{
	if (p->symlink)
		return -EINVAL;
	return sbuf_add(out, p->bytes.buf, p->bytes.len) ? -ENOMEM : 0;
}

int fs_editor_rename(struct fs_editor_dir *dir, struct fs_editor_file *p, const char *name)
{
	struct fs_editor_file *old = fs_editor_find(dir, name);
	char *n = strdup(name);
	if (!n)
		return -ENOMEM;
	if (old && old != p)
		fs_editor_unlink(dir, old);
	free(p->name);
	p->name = n;
	return 0;
}
