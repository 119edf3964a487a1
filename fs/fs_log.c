/*
 * fs_log: the daemon's one way to say something (fs_int.h). Under -f and
 * before the daemon detaches, a line on stderr; once detached (stderr is
 * /dev/null then), syslog.
 */
#include "fs_int.h"

#include <fuse.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static atomic_int max_level = FS_LOG_INFO;
static atomic_bool use_syslog;
static atomic_bool serving;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int fs_log_parse_level(const char *word, enum fs_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(word, level_names[i])) {
			*out = (enum fs_log_level)i;
			return 0;
		}
	return -1;
}

void fs_log_set_level(enum fs_log_level max)
{
	max_level = max;
}

void fs_log_to_syslog(void)
{
	openlog("schemafs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = true;
}

void fs_log_serving(bool on)
{
	serving = on;
}

static void vlog(enum fs_log_level level, const char *fmt, va_list ap)
{
	static const int priority[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[2048], msg[2048], who[64] = "";
	struct fuse_context *c;

	if ((int)level > max_level)
		return;
	/* a worker thread outside a request keeps its last request's context;
	 * every log call made on behalf of a request runs inside it */
	if (serving && (c = fuse_get_context()) && c->pid > 0)
		snprintf(who, sizeof(who), " (uid %u, pid %d)", (unsigned)c->uid, (int)c->pid);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* one line per message: the lines of a multi-line error joined by "; " */
	size_t n = 0;
	for (const char *p = raw; *p && n + 3 < sizeof(msg); p++) {
		if (*p != '\n')
			msg[n++] = *p;
		else if (p[1]) {
			msg[n++] = ';';
			msg[n++] = ' ';
		}
	}
	msg[n] = '\0';
	if (use_syslog) {
		syslog(priority[level], "%s%s", msg, who);
		return;
	}
	/* one line per message, even from several threads */
	flockfile(stderr);
	fputs("schemafs: ", stderr);
	if (level != FS_LOG_ERROR)
		fprintf(stderr, "%s: ", level_names[level]);
	fprintf(stderr, "%s%s\n", msg, who);
	funlockfile(stderr);
}

void fs_logl(enum fs_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void fs_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(FS_LOG_INFO, fmt, ap);
	va_end(ap);
}
