/* Signal-driven stack capture (see threaddump_capture.h).
 *
 * Protocol per slot: one 64-bit atomic word, tid << 32 | generation << 4 |
 * state. The requester arms FREE -> ARMED with the target's tid and a new
 * generation, then sends the signal. The handler claims ARMED -> BUSY with
 * a compare-and-swap on the whole word (so it can only claim the arming
 * meant for its own tid in this generation), writes pcs, publishes DONE
 * with a release store and posts the semaphore. The requester collects DONE
 * slots back to FREE; at the deadline it takes unanswered ones back with
 * ARMED -> FREE, waiting out any handler already BUSY. The semaphore is only
 * a wake-up: the requester always re-reads the slots, so a stray post from
 * a late handler costs one extra look. */
#include "uploadd/debug/threaddump_capture.h"

#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>

/* Threads asked at once; a dump of more threads takes several rounds. */
#define TD_SLOTS 128
/* backtrace() also returns the handler's own frames and the signal
 * trampoline before the interrupted pc: room for them. */
#define TD_EXTRA_FRAMES 16
/* How long a requester waits for a handler that has claimed its slot. */
#define TD_BUSY_WAIT_NS (1000ull * 1000 * 1000)

enum slot_state { SLOT_FREE, SLOT_ARMED, SLOT_BUSY, SLOT_DONE };

struct td_slot {
	_Atomic uint64_t word;
	/* Written by the handler before DONE is published. */
	int npcs;
	bool first_exact, truncated;
	uint64_t pcs[TD_MAX_FRAMES];
};

static struct {
	pthread_mutex_t lock;     /* one dump at a time */
	sem_t wake;               /* posted by each handler that answered */
	uint32_t gen;             /* generation of the current round */
	atomic_bool ready;
	struct td_slot slots[TD_SLOTS];
} td = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t make_word(pid_t tid, uint32_t gen, enum slot_state st)
{
	return (uint64_t)(uint32_t)tid << 32 | (uint64_t)(gen & 0x0fffffffu) << 4 |
	       (uint64_t)st;
}

static enum slot_state word_state(uint64_t w)
{
	return (enum slot_state)(w & 0xf);
}

static uint64_t with_state(uint64_t w, enum slot_state st)
{
	return (w & ~(uint64_t)0xf) | (uint64_t)st;
}

int td_capture_signal(void)
{
	return SIGRTMIN + TD_SIGNAL_OFFSET;
}

/* Copies up to TD_MAX_FRAMES of buf[from..n) into the slot's fields. */
static void keep_frames(void *const *buf, int from, int n, bool buf_full,
			uint64_t *pcs, int *npcs, bool *truncated)
{
	int i, k = 0;

	for (i = from; i < n && k < TD_MAX_FRAMES; i++)
		pcs[k++] = (uint64_t)(uintptr_t)buf[i];
	*npcs = k;
	*truncated = buf_full || i < n;
}

/* Runs on the signalled thread: only async-signal-safe calls. */
static void record_stack(struct td_slot *s, const ucontext_t *uc)
{
	void *buf[TD_MAX_FRAMES + TD_EXTRA_FRAMES];
	uint64_t ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	int n = backtrace(buf, TD_MAX_FRAMES + TD_EXTRA_FRAMES);
	int i;

	/* Frames before the interrupted pc are this handler and the signal
	 * trampoline: drop them. The unwinder reports the interrupted frame
	 * with its exact pc, so it matches REG_RIP. */
	for (i = 0; i < n; i++)
		if ((uint64_t)(uintptr_t)buf[i] == ip)
			break;
	if (i == n) {
		/* No unwind info past the signal frame: the pc at least. */
		s->pcs[0] = ip;
		s->npcs = 1;
		s->first_exact = true;
		s->truncated = true;
		return;
	}
	keep_frames(buf, i, n, n == TD_MAX_FRAMES + TD_EXTRA_FRAMES, s->pcs,
		    &s->npcs, &s->truncated);
	s->first_exact = true;
}

static void td_handler(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	uint32_t me;
	int i;

	(void)sig;
	/* Only our own tgkill, not a stray kill(1) from outside. */
	if (si->si_code != SI_TKILL || si->si_pid != getpid())
		goto out;
	me = (uint32_t)syscall(SYS_gettid);
	for (i = 0; i < TD_SLOTS; i++) {
		struct td_slot *s = &td.slots[i];
		uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);

		if ((uint32_t)(w >> 32) != me || word_state(w) != SLOT_ARMED)
			continue;
		if (!atomic_compare_exchange_strong(&s->word, &w,
						    with_state(w, SLOT_BUSY)))
			continue;
		record_stack(s, ucv);
		atomic_store_explicit(&s->word, with_state(w, SLOT_DONE),
				      memory_order_release);
		sem_post(&td.wake);
		break;
	}
out:
	errno = saved_errno;
}

int td_capture_init(void)
{
	struct sigaction sa;
	void *warm[4];

	if (atomic_load(&td.ready))
		return 0;
	/* glibc's first backtrace() dlopens libgcc_s (malloc, loader lock):
	 * never in a handler. After this call it is lock-free, and libgcc
	 * finds unwind tables with _dl_find_object, which is
	 * async-signal-safe. */
	if (backtrace(warm, 4) <= 0)
		return -ENOSYS;
	if (sem_init(&td.wake, 0, 0) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = td_handler;
	/* SA_RESTART: interrupted read/write/futex waits resume by
	 * themselves. The full mask keeps other handlers out while ours
	 * runs. No thread needs to block the signal: the main thread's
	 * sigwait() retries after it. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(td_capture_signal(), &sa, NULL) < 0)
		return -errno;
	atomic_store(&td.ready, true);
	return 0;
}

/* The requesting thread records its own stack: no signal needed. */
static void capture_self(struct td_stack *st)
{
	void *buf[TD_MAX_FRAMES + 1];
	int n = backtrace(buf, TD_MAX_FRAMES + 1);

	keep_frames(buf, 0, n, false, st->pcs, &st->npcs, &st->truncated);
	st->first_exact = false;
	st->answer = TD_ANSWERED;
}

static void collect(struct td_slot *s, struct td_stack *st)
{
	st->npcs = s->npcs;
	st->first_exact = s->first_exact;
	st->truncated = s->truncated;
	memcpy(st->pcs, s->pcs, (size_t)s->npcs * sizeof(s->pcs[0]));
	st->answer = TD_ANSWERED;
	atomic_store_explicit(&s->word, SLOT_FREE, memory_order_release);
}

static bool thread_alive(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return access(path, F_OK) == 0;
}

/* At the deadline: takes an unanswered slot back, or collects it if its
 * handler got there after all. */
static void give_up(struct td_slot *s, struct td_stack *st, uint64_t armed)
{
	const struct timespec pause = { 0, 100 * 1000 };
	uint64_t w = armed, waited = 0;

	if (atomic_compare_exchange_strong(&s->word, &w, SLOT_FREE)) {
		st->answer = thread_alive(st->tid) ? TD_NO_ANSWER : TD_GONE;
		return;
	}
	/* BUSY: the handler is writing; it finishes in microseconds unless
	 * the thread was stopped mid-handler (a debugger). */
	while (word_state(atomic_load_explicit(&s->word, memory_order_acquire)) ==
	       SLOT_BUSY && waited < TD_BUSY_WAIT_NS) {
		nanosleep(&pause, NULL);
		waited += (uint64_t)pause.tv_nsec;
	}
	if (word_state(atomic_load_explicit(&s->word, memory_order_acquire)) ==
	    SLOT_DONE)
		collect(s, st);
	else
		st->answer = TD_NO_ANSWER; /* slot stays BUSY: never reused */
}

static struct timespec deadline_after(unsigned ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* One round: arms a free slot per thread of st[0..n), signals them all,
 * waits for answers until the deadline. Returns how many of st it handled
 * (fewer than n when free slots ran out). Holds td.lock. */
static size_t capture_round(struct td_stack *st, size_t n, unsigned timeout_ms)
{
	struct td_slot *slot_of[TD_SLOTS];
	uint64_t armed[TD_SLOTS];
	pid_t self = (pid_t)syscall(SYS_gettid), pid = getpid();
	size_t i, used = 0, pending = 0;
	struct timespec deadline;
	int next = 0;

	td.gen++;
	/* At most TD_SLOTS threads per round (the arrays above). */
	for (i = 0; i < n && i < TD_SLOTS; i++) {
		struct td_stack *t = &st[i];

		t->npcs = 0;
		t->first_exact = t->truncated = false;
		slot_of[i] = NULL;
		if (t->tid == self) {
			capture_self(t);
			continue;
		}
		while (next < TD_SLOTS &&
		       word_state(atomic_load(&td.slots[next].word)) != SLOT_FREE)
			next++;
		if (next == TD_SLOTS)
			break;       /* next round */
		slot_of[i] = &td.slots[next++];
		armed[i] = make_word(t->tid, td.gen, SLOT_ARMED);
		atomic_store_explicit(&slot_of[i]->word, armed[i],
				      memory_order_release);
		if (syscall(SYS_tgkill, pid, t->tid, td_capture_signal()) < 0) {
			/* ESRCH: gone. EAGAIN: the queue of pending
			 * real-time signals (RLIMIT_SIGPENDING) is full. */
			t->answer = errno == ESRCH ? TD_GONE : TD_NO_ANSWER;
			atomic_store(&slot_of[i]->word, SLOT_FREE);
			slot_of[i] = NULL;
			continue;
		}
		pending++;
	}
	used = i;
	deadline = deadline_after(timeout_ms);
	while (pending > 0) {
		for (i = 0; i < used; i++) {
			if (!slot_of[i] || word_state(atomic_load_explicit(
					&slot_of[i]->word, memory_order_acquire)) !=
					SLOT_DONE)
				continue;
			collect(slot_of[i], &st[i]);
			slot_of[i] = NULL;
			pending--;
		}
		if (pending == 0)
			break;
		if (sem_clockwait(&td.wake, CLOCK_MONOTONIC, &deadline) < 0 &&
		    errno == ETIMEDOUT)
			break;
	}
	for (i = 0; i < used; i++)
		if (slot_of[i])
			give_up(slot_of[i], &st[i], armed[i]);
	/* Posts of this round are spent; drop them so the next round starts
	 * from zero (a late one is harmless anyway). */
	while (sem_trywait(&td.wake) == 0)
		;
	return used;
}

int td_capture(struct td_stack *st, size_t n, unsigned timeout_ms)
{
	size_t done = 0, k;

	if (!atomic_load(&td.ready))
		return -EINVAL;
	pthread_mutex_lock(&td.lock);
	while (done < n) {
		k = capture_round(st + done, n - done, timeout_ms);
		if (k == 0) {
			/* Every slot stuck BUSY (threads stopped inside the
			 * handler): report the rest unanswered. */
			for (; done < n; done++) {
				st[done].npcs = 0;
				st[done].answer = TD_NO_ANSWER;
			}
			break;
		}
		done += k;
	}
	pthread_mutex_unlock(&td.lock);
	return 0;
}
