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
