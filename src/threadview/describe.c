/* Shared wording for text outputs (see describe.h). */
#include "threadview/describe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "threadview/fdinfo.h"
#include "threadview/syscalls.h"

char *ts_format_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ull;

	if (ns < 1000000ull)
		snprintf(buf, len, "%" PRIu64 "us", ns / 1000);
	else if (ns < 1000000000ull)
		snprintf(buf, len, "%" PRIu64 "ms", ns / 1000000);
	else if (s < 60)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "h%" PRIu64 "m", s / 3600,
			 s / 60 % 60);
	return buf;
}

/* " held by 4240 "name"" / " held by 4240" / "" into buf. */
static const char *holder(pid_t tid, const char *name, const char *verb,
			  char *buf, size_t len)
{
	if (tid <= 0)
		snprintf(buf, len, "%s", "");
	else if (name)
		snprintf(buf, len, " %s %d \"%s\"", verb, tid, name);
	else
		snprintf(buf, len, " %s %d", verb, tid);
	return buf;
}

/* The futex command a wait used, without its PRIVATE/CLOCK_REALTIME flags:
 * what is left when the stack does not say which primitive waited (glibc
 * waits on a condition variable, and with a timeout on most things, with
 * wait_bitset). NULL for a command that is not a wait. */
static const char *futex_wait_cmd(unsigned int op)
{
	switch (op & 127) {
	case 0: return "wait";
	case 6: return "lock_pi";
	case 9: return "wait_bitset";
	case 11: return "wait_requeue_pi";
	case 13: return "lock_pi2";
	default: return NULL;
	}
}

static char *describe_futex(const struct ts_thread *t, char *buf, size_t len)
{
	const struct ts_blocked *b = &t->blocked;
	const char *cmd;
	char h[64];

	switch (b->kind) {
	case TS_BLOCK_MUTEX:
		snprintf(buf, len, "futex: mutex 0x%" PRIx64 "%s", b->object,
			 b->owner_tid > 0 ? holder(b->owner_tid, b->owner_name,
						   "held by", h, sizeof(h))
					  : ", owner unknown");
		break;
	case TS_BLOCK_RWLOCK:
		snprintf(buf, len, "futex: rwlock 0x%" PRIx64 "%s", b->object,
			 holder(b->owner_tid, b->owner_name, "write-held by",
				h, sizeof(h)));
		break;
	case TS_BLOCK_CONDVAR:
		snprintf(buf, len, "futex: condition variable 0x%" PRIx64,
			 b->object);
		break;
	case TS_BLOCK_JOIN:
		snprintf(buf, len, "futex: join%s",
			 b->join_tid > 0 ? holder(b->join_tid, b->join_name,
						  "thread", h, sizeof(h))
					 : " (thread exiting)");
		break;
	case TS_BLOCK_SEMAPHORE:
		snprintf(buf, len, "futex: semaphore 0x%" PRIx64, b->object);
		break;
	default:
		cmd = futex_wait_cmd(b->futex_op);
		if (b->has_object && cmd)
			snprintf(buf, len, "futex: %s 0x%" PRIx64, cmd, b->object);
		else if (b->has_object)
			snprintf(buf, len, "futex: wait 0x%" PRIx64 " op %u",
				 b->object, b->futex_op);
		else
			snprintf(buf, len, "futex");
	}
	return buf;
}

static char *describe_wait(const struct ts_thread *t, char *buf, size_t len)
{
	const struct ts_blocked *b = &t->blocked;
	const char *sc = ts_syscall_name(t->syscall_nr);
	char fd[192], d[32];

	if (b->kind >= TS_BLOCK_MUTEX && b->kind <= TS_BLOCK_FUTEX)
		return describe_futex(t, buf, len);
	if (b->fd >= 0 && b->fdi.type != TS_FD_NONE)
		ts_fd_describe(&b->fdi, b->fd_path, fd, sizeof(fd));
	else
		fd[0] = '\0';
	switch (b->kind) {
	case TS_BLOCK_NONE:
		/* Not classified: running, or a view (uploadd's own dump)
		 * that knows the syscall but not what it waits on. */
		if (t->state == TS_STATE_RUNNING)
			snprintf(buf, len, "running on CPU %d", t->cpu);
		else if (t->syscall_nr >= 0 && sc)
			snprintf(buf, len, "%s in %s", ts_state_name(t->state), sc);
		else
			snprintf(buf, len, "%s", ts_state_name(t->state));
		break;
	case TS_BLOCK_READ:
	case TS_BLOCK_WRITE:
	case TS_BLOCK_ACCEPT:
	case TS_BLOCK_CONNECT:
		snprintf(buf, len, "%s fd %d%s%s", sc ? sc : "io", b->fd,
			 fd[0] ? ", " : "", fd);
		break;
	case TS_BLOCK_EPOLL:
		snprintf(buf, len, "epoll_wait fd %d", b->fd);
		break;
	case TS_BLOCK_SLEEP:
		if (b->remaining_ns >= 0)
			snprintf(buf, len, "sleep, %s left",
				 ts_format_duration(b->remaining_ns, d, sizeof(d)));
		else
			snprintf(buf, len, "sleep");
		break;
	case TS_BLOCK_POLL:
	case TS_BLOCK_SELECT:
	case TS_BLOCK_WAIT:
	case TS_BLOCK_SIGNAL:
		snprintf(buf, len, "%s", sc ? sc : ts_block_kind_name(b->kind));
		break;
	default:
		if (sc)
			snprintf(buf, len, "syscall %s (%d)", sc, t->syscall_nr);
		else
			snprintf(buf, len, "syscall %d", t->syscall_nr);
	}
	return buf;
}

char *ts_describe_blocked(const struct ts_thread *t, char *buf, size_t len)
{
	char what[320];

	/* A stopped thread keeps the syscall it was in when the stop came
	 * (it resumes it after SIGCONT), but the stop is what holds it. */
	if ((t->state == TS_STATE_STOPPED || t->state == TS_STATE_TRACED) &&
	    t->blocked.kind != TS_BLOCK_NONE) {
		describe_wait(t, what, sizeof(what));
		snprintf(buf, len, "%s in %s", ts_state_name(t->state), what);
		return buf;
	}
	return describe_wait(t, buf, len);
}

const char *ts_strip_dir(const char *file, const char *strip)
{
	size_t n = strip ? strlen(strip) : 0;

	if (file && n && !strncmp(file, strip, n) && file[n] == '/')
		return file + n + 1;
	return file;
}

char *ts_describe_frame(const struct ts_frame *f, const char *strip, char *buf,
			size_t len)
{
	const char *file = ts_strip_dir(f->file, strip);
	char where[512];

	/* "../sysdeps/..." and "./nptl/..." are relative to libc's build
	 * tree: the module says more to a reader (JSON keeps both). */
	if (file && f->line && strncmp(file, "../", 3) && strncmp(file, "./", 2))
		snprintf(where, sizeof(where), "%s:%d", file, f->line);
	else
		snprintf(where, sizeof(where), "%s", f->module ? f->module : "?");
	if (f->function)
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", f->function, f->offset,
			 where);
	else
		snprintf(buf, len, "0x%" PRIx64 " (%s)", f->pc, where);
	return buf;
}
