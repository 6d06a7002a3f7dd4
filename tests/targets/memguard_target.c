/* Test target for taskscope's "never writes into the target, never stops
 * it" promise (tests/integration/hygiene_taskscope.sh): threads blocked in
 * the ways taskscope inspects (a mutex held by main, a condition variable,
 * a pipe read, a long sleep, a join), a heap buffer and globals with a
 * known pattern, and a main thread that on request checksums its own
 * memory.
 *
 * Commands, one per line on stdin; answers on stdout:
 *   sum   ->  "sum RW RO NRW NRO": FNV-1a 64 of every readable writable
 *             mapping and of every readable read-only one (code, rodata),
 *             and their sizes. Left out: the main thread's [stack] and the
 *             scratch mapping the checksum itself works in (the only
 *             memory this thread writes while it runs), and the kernel's
 *             [vvar]/[vdso] pages. The other threads stay blocked, so
 *             their stacks, the heap and globals must not change unless
 *             someone else writes them.
 *   exit  ->  exits 0 (the threads go with it).
 * Prints "ready PID" once every thread is asleep.
 *
 * Run it with GLIBC_TUNABLES=glibc.pthread.rseq=0: with rseq the kernel
 * writes the running main thread's cpu number into its thread block.
 * The checksum path makes raw syscalls only, and never allocates. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "target_util.h"

#define SCRATCH (1u << 20)
#define STACK (256u * 1024)

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pipefd[2];
static unsigned char pattern[64 * 1024];
static char *scratch;   /* the checksum's own working memory */
static pthread_t sleeper;
static volatile pid_t tids[5];

static void *lock_waiter(void *a)
{
	tids[0] = tu_gettid();
	pthread_mutex_lock(&held);   /* main holds it for ever */
	return a;
}

static void *cond_waiter(void *a)
{
	tids[1] = tu_gettid();
	pthread_mutex_lock(&cv_lock);
	for (;;)
		pthread_cond_wait(&cv, &cv_lock);
	return a;
}

static void *pipe_reader(void *a)
{
	char c;

	tids[2] = tu_gettid();
	while (read(pipefd[0], &c, 1) != 0)
		;
	return a;
}

static void *sleeper_fn(void *a)
{
	struct timespec t = { 3600, 0 };

	tids[3] = tu_gettid();
	for (;;)
		nanosleep(&t, NULL);
	return a;
}

static void *joiner(void *a)
{
	tids[4] = tu_gettid();
	pthread_join(sleeper, NULL);
	return a;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Checksums every mapping as described above, into scratch. */
static void checksum(uintptr_t stack_addr)
{
	uint64_t rw = 14695981039346656037ull, ro = rw, nrw = 0, nro = 0;
	char *maps = scratch, *out = scratch + SCRATCH - 256, *line, *next;
	long n, len = 0;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY);

	if (fd < 0)
		tu_die("open /proc/self/maps");
	while ((n = syscall(SYS_read, fd, maps + len, SCRATCH - 512 - len)) > 0)
		len += n;
	syscall(SYS_close, fd);
	maps[len] = '\0';
	for (line = maps; line && *line; line = next) {
		unsigned long lo, hi;
		char perm[8], *nl = strchr(line, '\n');

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3 ||
		    perm[0] != 'r' || strstr(line, "[vvar") || strstr(line, "[vdso]") ||
		    strstr(line, "[vsyscall]") ||
		    (stack_addr >= lo && stack_addr < hi) ||
		    ((uintptr_t)scratch >= lo && (uintptr_t)scratch < hi))
			continue;
		if (perm[1] == 'w') {
			rw = fnv(rw, (const unsigned char *)lo, hi - lo);
			nrw += hi - lo;
		} else {
			ro = fnv(ro, (const unsigned char *)lo, hi - lo);
			nro += hi - lo;
		}
	}
	n = snprintf(out, 256, "sum %016llx %016llx %llu %llu\n",
		     (unsigned long long)rw, (unsigned long long)ro,
		     (unsigned long long)nrw, (unsigned long long)nro);
	syscall(SYS_write, 1, out, n);
}

static void start(void *(*fn)(void *), pthread_t *t)
{
	pthread_attr_t a;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, STACK);
	if (pthread_create(t, &a, fn, NULL))
		tu_die("pthread_create");
	pthread_attr_destroy(&a);
}

int main(void)
{
	pthread_t t[4];
	char cmd[64];
	long n;

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i * 7 + 3);
	scratch = mmap(NULL, SCRATCH, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || pipe(pipefd))
		tu_die("setup");
	pthread_mutex_lock(&held);
	start(lock_waiter, &t[0]);
	start(cond_waiter, &t[1]);
	start(pipe_reader, &t[2]);
	start(sleeper_fn, &sleeper);
	start(joiner, &t[3]);
	for (int i = 0; i < 5; i++) {
		while (!tids[i])
			usleep(1000);
		tu_wait_asleep(tids[i]);
	}
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;) {
		n = syscall(SYS_read, 0, cmd, sizeof(cmd) - 1);
		if (n <= 0)
			return 0;
		cmd[n] = '\0';
		if (strncmp(cmd, "sum", 3) == 0)
			checksum((uintptr_t)cmd);
		else if (strncmp(cmd, "exit", 4) == 0)
			return 0;
	}
}
