/* Helpers shared by the snapshot test targets (header-only: each target is
 * one .c file built on its own, see tests/targets/build.mk): thread ids,
 * waiting until a thread is really asleep, and writing the machine-readable
 * manifest atomically (temp file + rename) so a test never reads half of
 * it. */
#ifndef TS_TARGET_UTIL_H
#define TS_TARGET_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline pid_t tu_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline unsigned long long tu_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void tu_die(const char *what)
{
	fprintf(stderr, "target: %s failed: %s\n", what, strerror(errno));
	exit(1);
}

/* The one-letter state of thread tid of this process ('S', 'R', ...). */
static inline char tu_thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Waits (up to 10 s) until thread tid sleeps; then a little longer, so it
 * is inside the blocking syscall and not on its way into it. */
static inline void tu_wait_asleep(pid_t tid)
{
	for (int i = 0; i < 1000; i++) {
		char st = tu_thread_state(tid);

		if (st == 'S' || st == 'D')
			break;
		usleep(10000);
	}
	usleep(20000);
}

/* Manifest: a JSON document assembled with tu_printf into a memory stream,
 * then written to path atomically. */
struct tu_manifest {
	char *buf;
	size_t len;
	FILE *f;
};

static inline void tu_manifest_begin(struct tu_manifest *m)
{
	m->f = open_memstream(&m->buf, &m->len);
	if (!m->f)
		tu_die("open_memstream");
}

static inline void tu_printf(struct tu_manifest *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(m->f, fmt, ap);
	va_end(ap);
}

static inline void tu_manifest_write(struct tu_manifest *m, const char *path)
{
	char tmp[4096];
	FILE *f;

	fclose(m->f);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fwrite(m->buf, 1, m->len, f) != m->len || fclose(f))
		tu_die("writing the manifest");
	if (rename(tmp, path))
		tu_die("rename of the manifest");
	free(m->buf);
}

#endif
