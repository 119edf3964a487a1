/*
 * fs_log: the daemon's one way to say something. Today a line on stderr;
 * one place to change when it goes to syslog.
 */
#include "fs_int.h"

#include <stdarg.h>
#include <stdio.h>

void fs_log(const char *fmt, ...)
{
	va_list ap;
	/* one line per message, even from several threads */
	flockfile(stderr);
	fputs("schemafs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
