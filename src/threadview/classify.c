/* Blocked-on classification (see classify.h).
 *
 * glibc 2.36 x86_64 layouts this relies on (all verified on Debian 12):
 * - pthread_mutex_t: the futex word (__lock) at 0, the owner tid at +8.
 * - pthread_join waits on the joined thread's tid field; the word is that
 *   tid until the thread exits.
 * - pthread_rwlock_t: readers wait on __wrphase_futex (+8), writers on
 *   __writers_futex (+12); the writer's tid (__cur_writer) is at +24.
 * - pthread_cond_t: waiters sleep on __g_signals[g] at +40 or +44.
 * - sem_t: the value (the futex word) at 0.
 */
#include "threadview/classify.h"

#include <string.h>


#define FUTEX_CMD_MASK 0x7f      /* without PRIVATE and CLOCK_REALTIME */
#define FUTEX_LOCK_PI 6
#define FUTEX_LOCK_PI2 13
#define FUTEX_TID_MASK 0x3fffffff
#define TIMER_ABSTIME 1
#define CLOCK_REALTIME_ID 0

#define MUTEX_OWNER_OFF 8
#define RWLOCK_RD_FUTEX_OFF 8
#define RWLOCK_WR_FUTEX_OFF 12
#define RWLOCK_WRITER_OFF 24
#define COND_SIGNALS_OFF 40

struct stack_pattern {
	const char *name;            /* exact function name */
	enum ts_block_kind kind;
};

/* Ordered by how specific the function is: a condvar wait that blocks on
 * re-taking its mutex shows __pthread_mutex_cond_lock inside
 * __pthread_cond_wait_common, and the innermost match wins. */
static const struct stack_pattern patterns[] = {
	{ "__pthread_mutex_lock_full", TS_BLOCK_MUTEX },
	{ "__pthread_mutex_cond_lock", TS_BLOCK_MUTEX },
	{ "__pthread_mutex_clocklock_common", TS_BLOCK_MUTEX },
	{ "___pthread_mutex_lock", TS_BLOCK_MUTEX },
	{ "__pthread_mutex_lock", TS_BLOCK_MUTEX },
	{ "pthread_mutex_lock", TS_BLOCK_MUTEX },
	{ "pthread_mutex_timedlock", TS_BLOCK_MUTEX },
	{ "pthread_mutex_clocklock", TS_BLOCK_MUTEX },
	{ "__pthread_cond_wait_common", TS_BLOCK_CONDVAR },
	{ "___pthread_cond_wait", TS_BLOCK_CONDVAR },
	{ "pthread_cond_wait", TS_BLOCK_CONDVAR },
	{ "pthread_cond_timedwait", TS_BLOCK_CONDVAR },
	{ "pthread_cond_clockwait", TS_BLOCK_CONDVAR },
	{ "__pthread_rwlock_rdlock_full64", TS_BLOCK_RWLOCK },
	{ "__pthread_rwlock_wrlock_full64", TS_BLOCK_RWLOCK },
	{ "pthread_rwlock_rdlock", TS_BLOCK_RWLOCK },
	{ "pthread_rwlock_wrlock", TS_BLOCK_RWLOCK },
	{ "pthread_rwlock_timedrdlock", TS_BLOCK_RWLOCK },
	{ "pthread_rwlock_timedwrlock", TS_BLOCK_RWLOCK },
	{ "__pthread_clockjoin_ex", TS_BLOCK_JOIN },
	{ "pthread_join", TS_BLOCK_JOIN },
	{ "pthread_timedjoin_np", TS_BLOCK_JOIN },
	{ "pthread_clockjoin_np", TS_BLOCK_JOIN },
	{ "__new_sem_wait_slow64", TS_BLOCK_SEMAPHORE },
	{ "__new_sem_wait_slow", TS_BLOCK_SEMAPHORE },
	{ "sem_wait", TS_BLOCK_SEMAPHORE },
	{ "sem_timedwait", TS_BLOCK_SEMAPHORE },
	{ "sem_clockwait", TS_BLOCK_SEMAPHORE },
};

/* True when fn is name, or name plus a compiler clone suffix such as
 * ".constprop.0" or ".isra.0" (glibc's __new_sem_wait_slow64 is one). */
static bool same_function(const char *fn, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(fn, name, n) && (fn[n] == '\0' || fn[n] == '.');
}

enum ts_block_kind ts_futex_kind_from_stack(const struct ts_frame *frames,
					    int n)
{
	int i;
	size_t p;

	for (i = 0; i < n; i++) {
		if (!frames[i].function)
			continue;
		for (p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++)
			if (same_function(frames[i].function, patterns[p].name))
				return patterns[p].kind;
	}
	return TS_BLOCK_FUTEX;
}

/* True when the writer side of an rwlock is in the stack. */
static bool stack_has_wrlock(const struct ts_frame *frames, int n)
{
	for (int i = 0; i < n; i++)
		if (frames[i].function && strstr(frames[i].function, "wrlock"))
			return true;
	return false;
}

/* Reads the u32 at user address addr from the copied user memory. */
static bool umem_u32(const struct ts_thread *t, uint64_t addr, uint32_t *out)
{
	uint64_t off;

	if (!t->has_umem || addr < t->umem_addr || addr % 4)
		return false;
	off = (addr - t->umem_addr) / 4;
	if (off >= sizeof(t->umem) / sizeof(t->umem[0]) ||
	    (!t->umem_low && off >= 4))
		return false;
	*out = t->umem[off];
	return true;
}

static void classify_futex(struct ts_thread *t)
{
	struct ts_blocked *b = &t->blocked;
	uint64_t uaddr = t->args[0];
	uint32_t v;

	b->kind = ts_futex_kind_from_stack(t->frames, t->nframes);
	b->object = uaddr;
	b->has_object = true;
	b->futex_op = t->syscall_nr == TS_NR_FUTEX ? t->args[1] & FUTEX_CMD_MASK : 0;
	if (umem_u32(t, uaddr, &v))
		b->futex_val = v;
	if (t->syscall_nr == TS_NR_FUTEX_WAITV) {
		b->has_object = false;   /* a vector of futexes: no one word */
		b->kind = TS_BLOCK_FUTEX;
		return;
	}
	switch (b->kind) {
	case TS_BLOCK_MUTEX:
		if (umem_u32(t, uaddr + MUTEX_OWNER_OFF, &v))
			b->owner_tid = (pid_t)v;
		break;
	case TS_BLOCK_JOIN:
		b->join_tid = (pid_t)b->futex_val;
		break;
	case TS_BLOCK_RWLOCK: {
		uint64_t base = uaddr - (stack_has_wrlock(t->frames, t->nframes) ?
					 RWLOCK_WR_FUTEX_OFF : RWLOCK_RD_FUTEX_OFF);

		b->object = base;
		if (umem_u32(t, base + RWLOCK_WRITER_OFF, &v))
			b->owner_tid = (pid_t)v;
		break;
	}
	case TS_BLOCK_CONDVAR:
		b->object = (uaddr & ~7ull) - COND_SIGNALS_OFF;
		break;
	case TS_BLOCK_FUTEX:
		/* A PI futex word is the owner's tid. */
		if (b->futex_op == FUTEX_LOCK_PI || b->futex_op == FUTEX_LOCK_PI2) {
			b->kind = TS_BLOCK_MUTEX;
			b->owner_tid = (pid_t)(b->futex_val & FUTEX_TID_MASK);
		}
		break;
	default:
		break;
	}
}

/* Time left in a nanosleep/clock_nanosleep from the copied timespec. */
static void classify_sleep(struct ts_thread *t,
			   const struct ts_classify_clock *clk)
{
	struct ts_blocked *b = &t->blocked;
	uint64_t req, now;
	bool abs = false;
	int clock_id = 1;

	if (!t->has_umem)
		return;
	req = ((uint64_t)t->umem[1] << 32 | t->umem[0]) * 1000000000ull +
	      ((uint64_t)t->umem[3] << 32 | t->umem[2]);
	if (t->syscall_nr == TS_NR_CLOCK_NANOSLEEP) {
		clock_id = (int)t->args[0];
		abs = t->args[1] & TIMER_ABSTIME;
	}
	if (abs) {
		now = clock_id == CLOCK_REALTIME_ID ? clk->real_ns : clk->mono_ns;
		b->remaining_ns = req > now ? (int64_t)(req - now) : 0;
	} else if (t->off_cpu_known) {
		b->remaining_ns = req > t->off_cpu_ns ?
			(int64_t)(req - t->off_cpu_ns) : 0;
	}
}

static enum ts_block_kind syscall_kind(int nr)
{
	switch (nr) {
	case TS_NR_READ: case TS_NR_PREAD64: case TS_NR_READV: case TS_NR_RECVFROM:
	case TS_NR_RECVMSG: case TS_NR_PREADV: case TS_NR_RECVMMSG: case TS_NR_PREADV2:
		return TS_BLOCK_READ;
	case TS_NR_WRITE: case TS_NR_PWRITE64: case TS_NR_WRITEV: case TS_NR_SENDTO:
	case TS_NR_SENDMSG: case TS_NR_SENDMMSG:
		return TS_BLOCK_WRITE;
	case TS_NR_ACCEPT: case TS_NR_ACCEPT4:
		return TS_BLOCK_ACCEPT;
	case TS_NR_CONNECT:
		return TS_BLOCK_CONNECT;
	case TS_NR_POLL: case TS_NR_PPOLL:
		return TS_BLOCK_POLL;
	case TS_NR_SELECT: case TS_NR_PSELECT6:
		return TS_BLOCK_SELECT;
	case TS_NR_EPOLL_WAIT: case TS_NR_EPOLL_PWAIT: case TS_NR_EPOLL_PWAIT2:
		return TS_BLOCK_EPOLL;
	case TS_NR_NANOSLEEP: case TS_NR_CLOCK_NANOSLEEP:
		return TS_BLOCK_SLEEP;
	case TS_NR_WAIT4: case TS_NR_WAITID:
		return TS_BLOCK_WAIT;
	case TS_NR_PAUSE: case TS_NR_RT_SIGSUSPEND: case TS_NR_RT_SIGTIMEDWAIT:
		return TS_BLOCK_SIGNAL;
	case TS_NR_FUTEX: case TS_NR_FUTEX_WAIT: case TS_NR_FUTEX_WAITV:
		return TS_BLOCK_FUTEX;
	}
	return TS_BLOCK_SYSCALL;
}

void ts_classify(struct ts_thread *t, const struct ts_classify_clock *clk)
{
	struct ts_blocked *b = &t->blocked;

	b->kind = TS_BLOCK_NONE;
	b->has_object = false;
	b->owner_tid = b->join_tid = 0;
	if (t->exited || t->syscall_nr < 0 || t->state == TS_STATE_RUNNING ||
	    t->state == TS_STATE_RUNNABLE)
		return;
	b->kind = syscall_kind(t->syscall_nr);
	switch (b->kind) {
	case TS_BLOCK_FUTEX:
		classify_futex(t);
		break;
	case TS_BLOCK_SLEEP:
		classify_sleep(t, clk);
		break;
	case TS_BLOCK_POLL:
		b->timeout_ms = (int)t->args[2];
		break;
	case TS_BLOCK_EPOLL:
		if (t->syscall_nr != TS_NR_EPOLL_PWAIT2)
			b->timeout_ms = (int)t->args[3];
		break;
	default:
		break;
	}
}
