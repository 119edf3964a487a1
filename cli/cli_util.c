/* Helpers every cli/cmd_*.c shares (declared in cli.h). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

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
