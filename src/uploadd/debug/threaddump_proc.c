/* /proc/self/task readers and parsers (see threaddump_proc.h). */
#include "uploadd/debug/threaddump_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum ts_sched_state td_state_from_char(char c)
{
	switch (c) {
	/* /proc says R for running and runnable alike. */
	case 'R': return TS_STATE_RUNNING;
	case 'S': return TS_STATE_SLEEPING;
	case 'D': return TS_STATE_UNINTERRUPTIBLE;
	case 'I': return TS_STATE_IDLE;
	case 'T': return TS_STATE_STOPPED;
	case 't': return TS_STATE_TRACED;
	case 'Z': return TS_STATE_ZOMBIE;
	case 'X': return TS_STATE_DEAD;
	default: return TS_STATE_UNKNOWN;
	}
}

int td_parse_stat(const char *line, struct ts_thread *t,
		  unsigned long long *ticks)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	unsigned long long utime = 0, stime = 0;
	const char *p;
	size_t len;
	int field, cpu = -1;
	char state;

	/* The name sits between the first '(' and the last ')': it may hold
	 * spaces and parentheses itself. */
	if (!open || !close || close < open || close[1] != ' ')
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(t->name))
		len = sizeof(t->name) - 1;
	memcpy(t->name, open + 1, len);
	t->name[len] = '\0';
	state = close[2];
	if (!state)
		return -EINVAL;
	t->state = td_state_from_char(state);
	/* Fields after the name, numbered as in proc(5): 3 is the state. */
	for (p = close + 2, field = 3; *p; field++) {
		char *end;
		unsigned long long v;

		v = strtoull(p, &end, 10);
		if (field == 14)
			utime = v;
		else if (field == 15)
			stime = v;
		else if (field == 39)
			cpu = (int)v;
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	if (field < 39)
		return -EINVAL;
	t->cpu = cpu;
	*ticks = utime + stime;
	return 0;
}

int td_parse_syscall(const char *line, struct ts_thread *t)
{
	char *end;
	long nr;
	int i;

	t->syscall_nr = -1;
	memset(t->args, 0, sizeof(t->args));
	if (!strncmp(line, "running", 7))
		return 0;
	nr = strtol(line, &end, 10);
	if (end == line)
		return -EINVAL;
	if (nr < 0)
		return 0;       /* blocked, but not in a syscall */
	for (i = 0; i < 6; i++) {
		const char *p = end;

		t->args[i] = strtoull(p, &end, 16);
		if (end == p)
			return -EINVAL;
	}
	t->syscall_nr = (int)nr;
	return 0;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns 0 or -errno
 * (-ESRCH when the thread is gone). */
static int read_task_file(pid_t tid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	else
		buf[n] = '\0';
	close(fd);
	return err;
}

/* The kernel's id of a thread's CPU-time clock (what glibc's
 * pthread_getcpuclockid computes from a pthread_t) is the complement of
 * the tid shifted left by 3, with CPUCLOCK_SCHED (2) and the per-thread
 * bit (4); from a tid, as here, glibc has no call for it. */
int td_thread_cpu_ns(pid_t tid, unsigned long long *ns)
{
	clockid_t clk = (clockid_t)((~(unsigned)tid << 3) | 6);
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return -errno;
	*ns = (unsigned long long)ts.tv_sec * 1000000000ull +
	      (unsigned long long)ts.tv_nsec;
	return 0;
}

int td_proc_read(pid_t tid, struct ts_thread *t, bool *syscall_known)
{
	unsigned long long ticks = 0, run_ns;
	char buf[1024];
	int err;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->pid = getpid();
	t->syscall_nr = -1;
	t->blocked.kind = TS_BLOCK_NONE;
	t->blocked.fd = -1;
	t->blocked.remaining_ns = -1;
	t->blocked.timeout_ms = -2;
	t->stack_status = TS_STACK_UNAVAILABLE;
	*syscall_known = false;
	err = read_task_file(tid, "stat", buf, sizeof(buf));
	if (err)
		return err;
	if (td_parse_stat(buf, t, &ticks) < 0)
		return -EINVAL;
	/* The thread's CPU clock is exact: the kernel adds the running
	 * slice of a thread that is on a CPU now, where schedstat's first
	 * field (se.sum_exec_runtime) lags by up to a tick. Per-thread
	 * clocks only read threads of the caller's own process, as here.
	 * schedstat, then stat's ticks, are the fallbacks. */
	if (td_thread_cpu_ns(tid, &run_ns) == 0 ||
	    (read_task_file(tid, "schedstat", buf, sizeof(buf)) == 0 &&
	     sscanf(buf, "%llu", &run_ns) == 1))
		t->cpu_ns = run_ns;
	else
		t->cpu_ns = ticks * (1000000000ull / (unsigned long long)
				     sysconf(_SC_CLK_TCK));
	err = read_task_file(tid, "syscall", buf, sizeof(buf));
	if (err == -ESRCH)
		return err;
	if (err == 0 && td_parse_syscall(buf, t) == 0)
		*syscall_known = true;
	return 0;
}

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int td_proc_tids(pid_t **tids, size_t *n)
{
	size_t cap = 64, len = 0;
	pid_t *v = malloc(cap * sizeof(*v)), *nv;
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (!v)
		return -ENOMEM;
	d = opendir("/proc/self/task");
	if (!d) {
		err = -errno;
		free(v);
		return err;
	}
	while ((de = readdir(d))) {
		long tid = strtol(de->d_name, NULL, 10);

		if (tid <= 0)
			continue;     /* "." and ".." */
		if (len == cap) {
			nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap *= 2;
		}
		v[len++] = (pid_t)tid;
	}
	closedir(d);
	if (err) {
		free(v);
		return err;
	}
	qsort(v, len, sizeof(*v), cmp_tid);
	*tids = v;
	*n = len;
	return 0;
}
