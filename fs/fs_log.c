#include "fs_int.h"

#include <stdarg.h>
#include <stdio.h>

void fs_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("schemafs: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
