/*
 * bench_hostile: the hostile file of issue 12 item 3 -- one table of 22,000
 * columns and an index naming 70,000 undeclared columns, under 1 MiB --
 * checked against reading it and running libyaml's event parser over it,
 * in the same run. docs/yaml.md promises that a hostile file costs no more
 * than reading it: the ratio must stay at or under 3.
 *
 *   bench_hostile [--runs N] [--dir WORKDIR] [--schemafs PATH]
 *
 * Prints the best of N runs (default 3) of the baseline (read + parse) and
 * of the check (reg_load_dir + reg_validate_registry: what `schemafs check`
 * does), their ratio and how many problems were kept; with --schemafs, also
 * the wall time of `PATH check DIR` as a process. Exits 1 when the ratio is
 * over 3 or the check did not refuse the file.
 */
#include "hostile_gen.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "registry.h"
#include "validate.h"

#define COLUMNS 22000
#define UNDECLARED 70000
#define MAX_RATIO 3.0

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes the hostile file (tests/hostile/hostile_gen.c) at path; returns
 * its size, 0 on failure. */
static size_t write_hostile(const char *path)
{
	struct sbuf y = SBUF_INIT;
	size_t size = 0;
	if (!hostile_wide_yaml(&y, COLUMNS, UNDECLARED)) {
		FILE *f = fopen(path, "w");
		if (f && fwrite(y.buf, 1, y.len, f) == y.len)
			size = y.len;
		if (f && fclose(f))
			size = 0;
	}
	sbuf_release(&y);
	return size;
}

/* Read whole, then libyaml's events, building nothing. -1 on error. */
static double baseline(const char *path)
{
	double t0 = now();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t len = 0;
	ssize_t got;
	while (buf && (got = read(fd, buf + len, (size_t)st.st_size + 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	if (!buf)
		return -1;
	yaml_parser_t parser;
	yaml_event_t event;
	int done = 0, ok = yaml_parser_initialize(&parser);
	if (ok)
		yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (ok && !done) {
		if (!(ok = yaml_parser_parse(&parser, &event)))
			break;
		done = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	free(buf);
	return ok ? now() - t0 : -1;
}

/* What `schemafs check DIR` computes. -1 on error; *kept, *errors filled. */
static double check(const char *dir, size_t *kept, size_t *errors)
{
	struct diags diags = DIAGS_INIT;
	double t0 = now();
	struct reg_registry *r = reg_registry_new();
	int rc = r ? reg_load_dir(r, dir, NULL, &diags) : REG_ENOMEM;
	if (!rc)
		rc = reg_validate_registry(r, &diags);
	double t = now() - t0;
	*kept = diags.n;
	*errors = diags.errors;
	diags_release(&diags);
	reg_registry_free(r);
	return rc ? -1 : t;
}

/* Wall time of `bin check dir` with its output discarded. */
static double check_process(const char *bin, const char *dir)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	char *argv[] = { (char *)bin, "check", (char *)dir, NULL };
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	double t0 = now();
	int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc || waitpid(pid, &status, 0) < 0)
		return -1;
	return now() - t0;
}

static double best(double a, double b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

int main(int argc, char **argv)
{
	const char *workdir = "/var/tmp", *bin = NULL;
	int runs = 3;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			workdir = argv[++i];
		else if (!strcmp(argv[i], "--schemafs") && i + 1 < argc)
			bin = argv[++i];
		else {
			fprintf(stderr, "usage: bench_hostile [--runs N] [--dir WORKDIR] "
				"[--schemafs PATH]\n");
			return 2;
		}
	}
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/bench-hostile-XXXXXX", workdir);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench_hostile: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/wide.yaml", dir);
	size_t size = write_hostile(path);
	int status = 1;
	if (!size || size > REG_MAX_FILE_SIZE) {
		fprintf(stderr, "bench_hostile: cannot write a file under the limit (%zu bytes)\n",
			size);
		goto out;
	}
	double base = -1, core = -1, proc = -1;
	size_t kept = 0, errors = 0;
	for (int r = 0; r < (runs > 0 ? runs : 1); r++) {
		base = best(base, baseline(path));
		core = best(core, check(dir, &kept, &errors));
		if (bin)
			proc = best(proc, check_process(bin, dir));
	}
	if (base <= 0 || core < 0) {
		fprintf(stderr, "bench_hostile: a measurement failed\n");
		goto out;
	}
	double ratio = core / base;
	printf("hostile file: %zu bytes, %d columns, an index naming %d undeclared columns\n",
	       size, COLUMNS, UNDECLARED);
	printf("read + libyaml parse: %.4f s\n", base);
	printf("check (load + rules): %.4f s, %zu problems kept (%zu errors)\n", core, kept,
	       errors);
	if (bin)
		printf("`schemafs check` as a process: %.4f s\n", proc);
	printf("ratio check/parse: %.2f (target <= %.0f): %s\n", ratio, MAX_RATIO,
	       ratio <= MAX_RATIO ? "met" : "NOT met");
	status = ratio <= MAX_RATIO && errors && kept <= DIAG_MAX_PER_FILE + 1 ? 0 : 1;
out:
	unlink(path);
	rmdir(dir);
	return status;
}
