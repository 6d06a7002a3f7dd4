/* Target resolution from /proc (see target.h). */
#include "taskscope/attach/target.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "taskscope/exit_codes.h"

#define PF_KTHREAD_FLAG 0x00200000u
#define MAX_LISTED 8

int ts_parse_pid(const char *s, pid_t *out)
{
	char *end;
	long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

int ts_thread_comm(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	err = read_small(path, buf, len);
	if (err)
		return err;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Fields of the stat file of thread pid (its process's leader for a
 * process id) after the comm: state is field 3, flags field 9. The
 * per-thread file, not /proc/PID/stat: that one sums the CPU time of every
 * thread of the process, ~3 ms per read at 10,000 threads. Returns 0 or
 * -errno. */
static int read_stat(pid_t pid, char *state, unsigned int *flags)
{
	char buf[1024], path[64], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, pid);
	if (read_small(path, buf, sizeof(buf)))
		return -ENOENT;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", state, flags) != 2)
		return -EINVAL;
	return 0;
}

bool ts_pid_alive(pid_t pid)
{
	unsigned int flags;
	char state;

	return read_stat(pid, &state, &flags) == 0 && state != 'Z' &&
	       state != 'X';
}

bool ts_pid_is_kthread(pid_t pid)
{
	unsigned int flags = 0;
	char state;

	return read_stat(pid, &state, &flags) == 0 && (flags & PF_KTHREAD_FLAG);
}

static pid_t read_tgid(pid_t pid)
{
	char buf[4096], path[64], *p;
	int tgid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "\nTgid:");
	if (!p || sscanf(p + 6, "%d", &tgid) != 1)
		return -1;
	return tgid;
}

static int resolve_pid(pid_t pid, struct ts_target *out)
{
	pid_t tgid = read_tgid(pid);

	if (tgid < 0 || !ts_pid_alive(pid)) {
		log_err("no process with pid %d (it does not exist or has "
			"exited; check the pid with ps)", pid);
		return TS_EXIT_NO_TARGET;
	}
	if (ts_pid_is_kthread(pid)) {
		log_err("pid %d is a kernel thread: it has no user stack to "
			"show (pick a user process)", pid);
		return TS_EXIT_KTHREAD;
	}
	if (tgid != pid)
		log_warn("%d is a thread of process %d: showing the whole "
			 "process", pid, tgid);
	out->pid = tgid;
	if (ts_thread_comm(tgid, tgid, out->comm, sizeof(out->comm))) {
		log_err("process %d exited while being looked up", tgid);
		return TS_EXIT_NO_TARGET;
	}
	return 0;
}

static int resolve_comm(const char *comm, struct ts_target *out)
{
	char name[TS_COMM_LEN], list[512] = "";
	pid_t found[MAX_LISTED], self = getpid(), pid;
	size_t nfound = 0, used = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d) {
		log_err("cannot list processes: /proc: %s (is /proc mounted?)",
			strerror(errno));
		return TS_EXIT_FAILURE;
	}
	while ((de = readdir(d))) {
		if (ts_parse_pid(de->d_name, &pid) || pid == self)
			continue;
		if (ts_thread_comm(pid, pid, name, sizeof(name)))
			continue;
		if (strncmp(name, comm, TS_COMM_LEN - 1) || ts_pid_is_kthread(pid))
			continue;
		if (nfound < MAX_LISTED)
			found[nfound] = pid;
		nfound++;
	}
	closedir(d);
	if (nfound == 0) {
		log_err("no process named '%s' (names are matched exactly against "
			"/proc/PID/comm, first 15 characters; try -p PID)", comm);
		return TS_EXIT_NO_TARGET;
	}
	if (nfound > 1) {
		for (size_t i = 0; i < nfound && i < MAX_LISTED; i++)
			used += snprintf(list + used, sizeof(list) - used, "%s%d",
					 i ? ", " : "", found[i]);
		log_err("%zu processes are named '%s': %s%s (pick one with -p PID)",
			nfound, comm, list, nfound > MAX_LISTED ? ", ..." : "");
		return TS_EXIT_NO_TARGET;
	}
	return resolve_pid(found[0], out);
}

int ts_target_resolve(pid_t pid, const char *comm, struct ts_target *out)
{
	memset(out, 0, sizeof(*out));
	if (comm)
		return resolve_comm(comm, out);
	return resolve_pid(pid, out);
}

int ts_target_threads(pid_t pid, pid_t **tids, size_t *n)
{
	char path[64];
	struct dirent *de;
	pid_t *v = NULL, *nv, tid;
	size_t cap = 0, len = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (ts_parse_pid(de->d_name, &tid))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[len++] = tid;
	}
	closedir(d);
	*tids = v;
	*n = len;
	return 0;
}
