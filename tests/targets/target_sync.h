/* Shared by the watch test targets (header-only: each target is built from
 * its one .c file): announce "ready PID", wait for the tracer's go-file, and
 * write a manifest of the target's threads atomically. */
#ifndef TARGET_SYNC_H
#define TARGET_SYNC_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Prints "ready PID"; when argv[i] is "--wait-for-file PATH", returns only
 * once PATH exists, so a tracer can attach first. */
static inline void target_ready(int argc, char **argv, int i)
{
	const char *wait_file = NULL;

	if (argc == i + 2 && !strcmp(argv[i], "--wait-for-file"))
		wait_file = argv[i + 1];
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (wait_file && access(wait_file, F_OK) != 0)
		usleep(10000);
}

/* Writes one printf-formatted line to path through path.tmp + rename, so a
 * test never reads half of it. Returns 0, or -1 after perror. */
static inline __attribute__((format(printf, 2, 3)))
int target_manifest(const char *path, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		perror("manifest");
		return -1;
	}
	va_start(ap, fmt);
	ok = vfprintf(f, fmt, ap) >= 0;
	va_end(ap);
	if (fclose(f) || !ok || rename(tmp, path)) {
		perror("manifest");
		return -1;
	}
	return 0;
}

#endif
