/* Helpers every cli/cmd_*.c shares (declared in cli.h). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"

char *cli_default_db(void)
{
	const char *env = getenv("SCHEMAFS_DB");
	if (env && *env)
		return strdup(env);
	const char *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path;
	int n;
	if (data && *data)
		n = asprintf(&path, "%s/schemafs/registry.db", data);
	else
		n = asprintf(&path, "%s/.local/share/schemafs/registry.db",
			     home && *home ? home : ".");
	return n < 0 ? NULL : path;
}

int cli_db_prepare(const char *path, bool create)
{
	struct stat sb;
	/* an existing file, or one stat cannot see: store_open says what it is */
	if (!stat(path, &sb) || errno != ENOENT)
		return 0;
	const char *slash = strrchr(path, '/');
	char *dir = slash && slash != path ? strndup(path, (size_t)(slash - path)) : NULL;
	int status = 0;
	if (slash && slash != path && !dir) {
		fprintf(stderr, "schemafs: out of memory\n");
		return 1;
	}
	if (dir && stat(dir, &sb)) {
		if (!create) {
			fprintf(stderr, "schemafs: %s: no directory '%s' (a typo? --create makes it)\n",
				path, dir);
			status = 1;
		} else if (path_mkdir_p(dir, 0700)) {
			fprintf(stderr, "schemafs: %s: cannot create directory '%s': %s\n", path, dir,
				strerror(errno));
			status = 1;
		}
	} else if (dir && !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "schemafs: %s: '%s' is not a directory\n", path, dir);
		status = 1;
	}
	if (!status)
		fprintf(stderr, "schemafs: creating a new registry at %s\n", path);
	free(dir);
	return status;
}

int cli_read_file(const char *path, size_t max, struct sbuf *out)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	char chunk[65536];
	size_t total = 0;
	int rc = 0;
	if (fd < 0)
		return CLI_READ_EOPEN;
	while (total < max) {
		size_t want = max - total < sizeof(chunk) ? max - total : sizeof(chunk);
		ssize_t got = read(fd, chunk, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = CLI_READ_EREAD;
			break;
		}
		if (got == 0)
			break;
		if (sbuf_add(out, chunk, (size_t)got)) {
			errno = ENOMEM;
			rc = CLI_READ_EREAD;
			break;
		}
		total += (size_t)got;
	}
	int saved = errno;
	if (!is_stdin)
		close(fd);
	errno = saved;
	return rc;
}

/* GitHub's escaping of workflow commands: properties also escape ':' and
 * ',', which separate them. */
static void annotate_escape(struct sbuf *out, const char *s, bool property)
{
	for (; s && *s; s++) {
		if (*s == '%')
			sbuf_adds(out, "%25");
		else if (*s == '\r')
			sbuf_adds(out, "%0D");
		else if (*s == '\n')
			sbuf_adds(out, "%0A");
		else if (property && *s == ':')
			sbuf_adds(out, "%3A");
		else if (property && *s == ',')
			sbuf_adds(out, "%2C");
		else
			sbuf_addch(out, *s);
	}
}

int cli_annotate(struct sbuf *out, enum diag_severity sev, const char *file, struct reg_loc loc,
		 const char *title, const char *message)
{
	const char *cmd = sev == DIAG_ERROR ? "error" : sev == DIAG_WARNING ? "warning" : "notice";
	bool any = false;
	sbuf_addf(out, "::%s", cmd);
	if (file && *file) {
		sbuf_adds(out, " file=");
		annotate_escape(out, file, true);
		if (loc.line)
			sbuf_addf(out, ",line=%u,col=%u", loc.line, loc.col);
		any = true;
	}
	if (title) {
		sbuf_adds(out, any ? ",title=" : " title=");
		annotate_escape(out, title, true);
	}
	sbuf_adds(out, "::");
	annotate_escape(out, message, false);
	sbuf_addch(out, '\n');
	return sbuf_error(out);
}

int cli_annotate_diags(struct sbuf *out, const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		cli_annotate(out, d->items[i].severity, d->items[i].file, d->items[i].loc, NULL,
			     d->items[i].message);
	return sbuf_error(out);
}

bool cli_parse_format(const char *cmd, const char *word, enum cli_format *out)
{
	static const char *const names[] = { "text", "json", "github" };
	for (int i = 0; i < 3; i++)
		if (!strcmp(word, names[i])) {
			*out = (enum cli_format)i;
			return true;
		}
	fprintf(stderr, "schemafs: %s: unknown format '%s' (text, json, github)\n", cmd, word);
	return false;
}
