/*
 * fs_access: who is asking. Which callers may use which paths (the
 * mount's owner, other users), the modes the mount shows, and whether the
 * process behind a request is a live one (a writer killed mid-save is not).
 */
#include "fs_int.h"

#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Who may do what (docs/security.md). The mount always runs with
 * default_permissions (fs_mount.c): the kernel checks every access
 * against the modes and owners getattr shows, so other users (with
 * -o allow_other) read what is 0444/0644 and write nothing, for every
 * directory is 0755 and every file shows no write bit for them. The
 * paths that make the daemon act in the target database are the mount
 * owner's alone: shown 0600/0700, and refused (EACCES) here too to any
 * caller but the owner and root, whatever the kernel let through.
 */
static const char *const owner_paths[] = {
	"/migrations/control", "/migrations/cancel", "/migrations/pending",
};

static bool owner_path(const char *path)
{
	for (size_t i = 0; i < sizeof(owner_paths) / sizeof(owner_paths[0]); i++) {
		size_t n = strlen(owner_paths[i]);
		if (!strncmp(path, owner_paths[i], n) && (!path[n] || path[n] == '/'))
			return true;
	}
	return false;
}

/* 0, or -EACCES when path is the owner's and the caller is someone else. */
int fs_caller_may(const struct fs_ctx *ctx, const char *path)
{
	uid_t uid = fuse_get_context()->uid;
	if (uid == ctx->uid || uid == 0 || !owner_path(path))
		return 0;
	return -EACCES;
}

/* The mode getattr shows: the route's, without write bits for others,
 * and without any for them on the owner's paths. */
mode_t fs_shown_mode(const char *path, mode_t mode)
{
	mode &= ~(mode_t)(S_IWGRP | S_IWOTH);
	if (owner_path(path))
		mode &= ~(mode_t)(S_IRWXG | S_IRWXO);
	return mode;
}

/*
 * Is the process that sent this FLUSH exiting without having closed the
 * file itself (killed, or exiting with a failure)? The kernel closes an
 * exiting process's files for it, and each close sends a FLUSH from the
 * exiting task, which waits for the reply: it is still in /proc, with
 * PF_EXITING in its flags (field 9 of /proc/PID/stat, set before its files
 * are closed) and its wait status in field 52 (exit_code, set before too:
 * a signal number in the low 7 bits, else the exit status << 8). A process
 * that calls close() itself is not exiting then, whatever comes after.
 * Returns true for an exiting writer killed by a signal or exiting with a
 * status other than 0; *status is that wait status. A pid the daemon
 * cannot see (0, another pid namespace) or read is taken as alive.
 */
#define FS_PF_EXITING 0x4u

bool fs_writer_failed(pid_t pid, int *status)
{
	char path[64], buf[1024];
	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name (field 2) may hold anything but ends at the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	unsigned long flags = 0;
	long code = 0;
	int field = 2;
	char *save = NULL;
	for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		field++;
		if (field == 9)
			flags = strtoul(tok, NULL, 10);
		else if (field == 52)
			code = strtol(tok, NULL, 10);
	}
	if (!(flags & FS_PF_EXITING) || field < 52)
		return false;
	*status = (int)code;
	return code != 0;
}
