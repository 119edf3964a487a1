#include "path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *path_join(const char *dir, const char *name)
{
	struct sbuf sb = SBUF_INIT;
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	sbuf_add(&sb, dir, n);
	if (n && dir[n - 1] != '/')
		sbuf_addch(&sb, '/');
	if (sbuf_adds(&sb, name)) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

static int mkdir_one(const char *p, mode_t mode)
{
	struct stat st;
	if (!mkdir(p, mode))
		return 0;
	if (errno == EEXIST && !stat(p, &st) && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return REG_EIO;
}

int path_mkdir_p(const char *dir, mode_t mode)
{
	char *p = strdup(dir);
	int rc = 0;
	if (!p)
		return REG_ENOMEM;
	for (char *c = p + 1; *c && !rc; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		rc = mkdir_one(p, mode);
		*c = '/';
	}
	if (!rc)
		rc = mkdir_one(p, mode);
	int saved = errno;
	free(p);
	errno = saved;
	return rc;
}

static bool yaml_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".yaml");
}

static int list_yaml(const char *dir, bool regular_only, struct strlist *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? REG_ENOENT : REG_EIO;
	size_t n0 = out->n;
	int rc = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d))) {
		struct stat st;
		if (!yaml_name(e->d_name) ||
		    (regular_only && (fstatat(dirfd(d), e->d_name, &st, 0) || !S_ISREG(st.st_mode)))) {
			errno = 0;
			continue;
		}
		if ((rc = strlist_push(out, e->d_name)))
			break;
		errno = 0;
	}
	if (!rc && errno)
		rc = REG_EIO;
	int saved = errno;
	closedir(d);
	if (rc) {
		while (out->n > n0)
			free(out->items[--out->n]);
		errno = saved;
		return rc;
	}
	/* sort only what this call added */
	struct strlist added = { out->items + n0, out->n - n0, out->n - n0 };
	strlist_sort(&added);
	return 0;
}

int path_list_yaml(const char *dir, struct strlist *out)
{
	return list_yaml(dir, true, out);
}

int path_list_yaml_names(const char *dir, struct strlist *out)
{
	return list_yaml(dir, false, out);
}

static int skipped(struct diags *diags, const char *shown, enum diag_severity sev,
		   const char *what)
{
	int rc = diags_add(diags, shown, (struct reg_loc){ 0, 0 }, sev, "%s", what);
	return rc ? rc : 1;
}

int path_read_file(const char *path, const char *shown, size_t max, struct sbuf *out,
		   struct diags *diags)
{
	/* O_NONBLOCK: opening a FIFO for reading must not wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	int rc;
	if (fd < 0 || fstat(fd, &st)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		rc = skipped(diags, shown, DIAG_ERROR, msg);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = skipped(diags, shown, DIAG_WARNING, "not a regular file, skipped");
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		rc = diags_add(diags, shown, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
			       "file is %lld bytes, over the limit of %zu bytes",
			       (long long)st.st_size, max);
		rc = rc ? rc : 1;
		goto out;
	}
	size_t start = out->len;
	for (;;) {
		/* one byte more than the limit, to notice a file that grew */
		size_t room = max + 1 - (out->len - start);
		if ((rc = sbuf_grow(out, room < 65536 ? room : 65536)))
			goto out;
		ssize_t got = read(fd, out->buf + out->len, room < 65536 ? room : 65536);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
			out->buf[out->len] = '\0';
			rc = skipped(diags, shown, DIAG_ERROR, msg);
			goto out;
		}
		if (got == 0)
			break;
		out->len += (size_t)got;
		out->buf[out->len] = '\0';
		if (out->len - start > max) {
			rc = diags_add(diags, shown, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
				       "file is over the limit of %zu bytes", max);
			rc = rc ? rc : 1;
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
