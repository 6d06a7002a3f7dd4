/* Benchmark baseline: the /proc walk that maps sockets and pipes to their
 * holders the way lsof does, doing only that: every /proc/PID/fd/N link
 * read (socket:[INO], pipe:[INO]), the process's name, /proc/net/tcp,
 * tcp6 and unix parsed for each socket's addresses, TCP peers joined by
 * their swapped address pair. (A unix socket's peer is not in /proc at
 * all: lsof asks sock_diag for it with +E; this walk leaves it out, which
 * favours the walk.) Prints one JSON object: ms per run and what a run
 * saw, for tools/bench/xproc_bench.sh to set beside xproc_pass.
 *   usage: procwalk [RUNS]
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct fdrec {
	int pid, fd;
	unsigned long ino;
	char kind;                   /* 's' socket, 'p' pipe */
};

struct sock {
	unsigned long ino;
	char local[64], remote[64];
};

struct walk {
	struct fdrec *fds;
	size_t nfds, cfds;
	struct sock *socks;
	size_t nsocks, csocks;
	size_t procs, peers;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void add_fd(struct walk *w, int pid, int fd, char kind, unsigned long ino)
{
	if (w->nfds == w->cfds) {
		w->cfds = w->cfds ? w->cfds * 2 : 4096;
		w->fds = realloc(w->fds, w->cfds * sizeof(*w->fds));
		if (!w->fds)
			exit(1);
	}
	w->fds[w->nfds++] = (struct fdrec){ pid, fd, ino, kind };
}

static void walk_pid(struct walk *w, int pid)
{
	char path[64], link[128], comm[32];
	struct dirent *de;
	DIR *d;
	int cfd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	cfd = open(path, O_RDONLY);
	if (cfd >= 0) {
		if (read(cfd, comm, sizeof(comm)) < 0)
			comm[0] = '\0';
		close(cfd);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return;
	w->procs++;
	while ((de = readdir(d))) {
		unsigned long ino;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) == 1)
			add_fd(w, pid, atoi(de->d_name), 's', ino);
		else if (sscanf(link, "pipe:[%lu]", &ino) == 1)
			add_fd(w, pid, atoi(de->d_name), 'p', ino);
	}
	closedir(d);
}

/* /proc/net/tcp and tcp6: "sl local rem st ... uid timeout inode". */
static void read_tcp(struct walk *w, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct sock s = { 0 };

		if (sscanf(line, "%*d: %63s %63s %*x %*s %*s %*s %*d %*d %lu",
			   s.local, s.remote, &s.ino) != 3)
			continue;
		if (w->nsocks == w->csocks) {
			w->csocks = w->csocks ? w->csocks * 2 : 1024;
			w->socks = realloc(w->socks, w->csocks * sizeof(*w->socks));
			if (!w->socks)
				exit(1);
		}
		w->socks[w->nsocks++] = s;
	}
	fclose(f);
}

/* /proc/net/unix: names and inodes only (no peer). */
static size_t read_unix(void)
{
	char line[512];
	size_t n = 0;
	FILE *f = fopen("/proc/net/unix", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static int cmp_ino(const void *a, const void *b)
{
	unsigned long x = ((const struct sock *)a)->ino;
	unsigned long y = ((const struct sock *)b)->ino;

	return x < y ? -1 : x > y;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct sock *x = a, *y = b;
	int c = strcmp(x->local, y->local);

	return c ? c : strcmp(x->remote, y->remote);
}

static void run(struct walk *w)
{
	struct dirent *de;
	struct sock *by_pair;
	DIR *d = opendir("/proc");
	size_t i;

	w->nfds = w->nsocks = w->procs = w->peers = 0;
	while (d && (de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			walk_pid(w, atoi(de->d_name));
	if (d)
		closedir(d);
	read_tcp(w, "/proc/net/tcp");
	read_tcp(w, "/proc/net/tcp6");
	read_unix();
	/* Join: each socket fd to its addresses, each TCP socket to its
	 * peer (swapped pair). */
	qsort(w->socks, w->nsocks, sizeof(*w->socks), cmp_ino);
	by_pair = malloc((w->nsocks ? w->nsocks : 1) * sizeof(*by_pair));
	if (!by_pair)
		exit(1);
	memcpy(by_pair, w->socks, w->nsocks * sizeof(*by_pair));
	qsort(by_pair, w->nsocks, sizeof(*by_pair), cmp_pair);
	for (i = 0; i < w->nfds; i++) {
		struct sock key = { .ino = w->fds[i].ino }, *s, swapped;

		if (w->fds[i].kind != 's')
			continue;
		s = bsearch(&key, w->socks, w->nsocks, sizeof(key), cmp_ino);
		if (!s)
			continue;
		memcpy(swapped.local, s->remote, sizeof(swapped.local));
		memcpy(swapped.remote, s->local, sizeof(swapped.remote));
		if (bsearch(&swapped, by_pair, w->nsocks, sizeof(swapped), cmp_pair))
			w->peers++;
	}
	free(by_pair);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 9, i;
	struct walk w = { 0 };
	double t0;

	if (runs <= 0) {
		fprintf(stderr, "usage: procwalk [RUNS]\n");
		return 2;
	}
	printf("{\"ms\": [");
	for (i = 0; i < runs; i++) {
		t0 = now_ms();
		run(&w);
		printf("%s%.3f", i ? ", " : "", now_ms() - t0);
	}
	printf("], \"processes\": %zu, \"fds\": %zu, \"tcp_sockets\": %zu, "
	       "\"tcp_peers\": %zu}\n", w.procs, w.nfds, w.nsocks, w.peers);
	free(w.fds);
	free(w.socks);
	return 0;
}
