/* durable_floor: what the file system alone allows for durable uploads.
 *
 * N threads each repeat uploadd's storage protocol for one file, and nothing
 * else: create a temp file in the directory (O_CREAT|O_EXCL), write SIZE
 * bytes in 256 KiB writes, fdatasync, rename into place (RENAME_NOREPLACE),
 * fsync the directory. No network, no hashing, no Redis, no threads per
 * file. The benchmark reports uploadd's rate and CPU per upload next to this
 * floor, so a figure can be read as "x% of what the disk allows". Files are
 * left in place: deleting them during a run would make later creations
 * slower (see bench_store_init in bench_lib.sh); the caller removes the
 * directory afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/lg_stats.h"
#include "common/json.h"
#include "common/log.h"
#include "uploadd/config.h"

#define WRITE_CHUNK (256u * 1024) /* uploadd's queue slot size */
#define MAX_THREADS 256

struct floor_cfg {
	int dirfd;
	uint64_t size;
	unsigned threads;
	double seconds;
};

struct floor_thread {
	pthread_t t;
	const struct floor_cfg *cfg;
	unsigned id;
	uint64_t files;
	int err;                 /* first -errno, 0 if none */
	const char *what;        /* the step that failed */
	struct lg_samples lat;   /* ns per file */
};

static atomic_bool stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One durable file, as uploadd stores it. Returns 0 or -errno (*what set). */
static int one_file(struct floor_thread *ft, const char *buf, uint64_t seq,
		    const char **what)
{
	const struct floor_cfg *cfg = ft->cfg;
	char tmp[64], final[64];
	uint64_t left = cfg->size;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".tmp-%u-%" PRIu64, ft->id, seq);
	snprintf(final, sizeof(final), "f-%u-%" PRIu64, ft->id, seq);
	*what = "create a file";
	fd = openat(cfg->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	*what = "write";
	while (left > 0 && !err) {
		size_t n = left < WRITE_CHUNK ? (size_t)left : WRITE_CHUNK;
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			left -= (uint64_t)w;
	}
	if (!err && fdatasync(fd) < 0) {
		*what = "fdatasync";
		err = -errno;
	}
	close(fd);
	if (!err && renameat2(cfg->dirfd, tmp, cfg->dirfd, final,
			      RENAME_NOREPLACE) < 0) {
		*what = "rename";
		err = -errno;
	}
	if (!err && fsync(cfg->dirfd) < 0) {
		*what = "fsync the directory";
		err = -errno;
	}
	return err;
}

static void *floor_main(void *arg)
{
	struct floor_thread *ft = arg;
	char *buf = malloc(WRITE_CHUNK);

	if (!buf) {
		ft->err = -ENOMEM;
		ft->what = "allocate a buffer";
		return NULL;
	}
	for (size_t i = 0; i < WRITE_CHUNK; i++)
		buf[i] = (char)(i * 131 + ft->id);
	while (!atomic_load(&stop)) {
		uint64_t t0 = now_ns();
		int err = one_file(ft, buf, ft->files, &ft->what);

		if (err) {
			ft->err = err;
			break;
		}
		ft->files++;
		lg_samples_add(&ft->lat, now_ns() - t0);
	}
	free(buf);
	return NULL;
}

static void usage(FILE *f)
{
	fputs(
"durable_floor: the file system's own rate and CPU cost for durable uploads\n"
"\n"
"Usage: durable_floor --dir DIR [--size SIZE] [--threads N] [--seconds S]\n"
"                     [--json]\n"
"\n"
"Each thread repeats: create a temp file in DIR, write SIZE bytes,\n"
"fdatasync, rename it into place, fsync DIR (uploadd's storage protocol\n"
"without HTTP, hashing or Redis). Prints files/s, MiB/s, latency p50/p99\n"
"and the process's CPU time per file. Files are left in DIR: remove it\n"
"afterwards (DIR must exist and should be empty).\n"
"\n"
"  -d, --dir DIR       directory on the disk to measure (required)\n"
"  -s, --size SIZE     bytes per file, K/M/G suffixes (default 4K, at most\n"
"                      1G)\n"
"  -t, --threads N     concurrent writers (default 1)\n"
"  -S, --seconds S     run length (default 5)\n"
"      --json          one JSON document instead of text\n"
"  -h, --help          this text\n"
"\n"
"Exit codes: 0 done; 1 a file operation failed (the message says which);\n"
"2 usage error.\n"
"\n"
"Examples:\n"
"  mkdir /srv/x && durable_floor --dir /srv/x --size 4K --threads 16\n", f);
}

static void print(const struct floor_cfg *cfg, uint64_t files, double secs,
		  double cpu_s, struct lg_samples *lat, bool json)
{
	double per_s = (double)files / secs;
	double mib = per_s * (double)cfg->size / 1048576.0;
	double cpu_us = files ? cpu_s * 1e6 / (double)files : 0;
	double p50 = (double)lg_samples_percentile(lat, 50) / 1e6;
	double p99 = (double)lg_samples_percentile(lat, 99) / 1e6;
	struct json_writer w;

	if (!json) {
		printf("%" PRIu64 " files of %" PRIu64 " bytes, %u threads, %.2f s:"
		       " %.1f files/s, %.1f MiB/s, p50 %.2f ms, p99 %.2f ms,"
		       " CPU %.0f us per file\n", files, cfg->size, cfg->threads,
		       secs, per_s, mib, p50, p99, cpu_us);
		return;
	}
	json_init(&w, stdout, false);
	json_object_begin(&w);
	json_kv_uint(&w, "size", cfg->size);
	json_kv_uint(&w, "threads", cfg->threads);
	json_kv_double(&w, "elapsed_s", secs);
	json_kv_uint(&w, "files", files);
	json_kv_double(&w, "files_per_s", per_s);
	json_kv_double(&w, "mib_per_s", mib);
	json_kv_double(&w, "p50_ms", p50);
	json_kv_double(&w, "p99_ms", p99);
	json_kv_double(&w, "cpu_us_per_file", cpu_us);
	json_object_end(&w);
	json_end_document(&w);
}

/* Prints the usage error for option opt; returns 2, the usage exit code. */
static int bad_value(const char *opt, const char *want)
{
	log_err("invalid %s \"%s\": expected %s (see durable_floor --help)",
		opt, optarg, want);
	return 2;
}

/* Fills cfg from argv. Returns 0, 1 after --help, 2 on a usage error. */
static int parse_args(int argc, char **argv, struct floor_cfg *cfg,
		      const char **dir, bool *json)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "d:s:t:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			*dir = optarg;
			break;
		case 's':
			if (config_parse_size(optarg, &cfg->size) < 0 ||
			    cfg->size > (1u << 30))
				return bad_value("--size", "1 to 1G bytes, K/M/G suffixes");
			break;
		case 't':
			cfg->threads = (unsigned)strtoul(optarg, &end, 10);
			if (*end || end == optarg || cfg->threads < 1 ||
			    cfg->threads > MAX_THREADS)
				return bad_value("--threads", "1 to 256");
			break;
		case 'S':
			cfg->seconds = strtod(optarg, &end);
			if (*end || !(cfg->seconds >= 0.1 && cfg->seconds <= 3600))
				return bad_value("--seconds", "0.1 to 3600");
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			log_err("see durable_floor --help");
			return 2;
		}
	}
	if (!*dir || optind != argc) {
		log_err("--dir DIR is required and nothing else may follow (see "
			"durable_floor --help)");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct floor_thread ts[MAX_THREADS];
	struct floor_cfg cfg = { .size = 4096, .threads = 1, .seconds = 5 };
	struct lg_samples all = { 0 };
	const char *dir = NULL;
	struct rusage ru;
	uint64_t files = 0, t0;
	double secs, cpu_s;
	bool json = false;
	unsigned started;
	int rc, err = 0;

	log_set_prog("durable_floor");
	rc = parse_args(argc, argv, &cfg, &dir, &json);
	if (rc)
		return rc == 1 ? 0 : rc;
	cfg.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg.dirfd < 0) {
		log_err("cannot open directory %s: %s (create it first)", dir,
			strerror(errno));
		return 1;
	}
	t0 = now_ns();
	for (started = 0; started < cfg.threads; started++) {
		ts[started].cfg = &cfg;
		ts[started].id = started;
		err = pthread_create(&ts[started].t, NULL, floor_main, &ts[started]);
		if (err)
			break;
	}
	if (!err)
		usleep((useconds_t)(cfg.seconds * 1e6));
	atomic_store(&stop, true);
	for (unsigned i = 0; i < started; i++)
		pthread_join(ts[i].t, NULL);
	secs = (double)(now_ns() - t0) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	rc = 0;
	if (err) {
		log_err("cannot start thread %u of %u: %s", started + 1,
			cfg.threads, strerror(err));
		rc = 1;
	}
	for (unsigned i = 0; i < started; i++) {
		files += ts[i].files;
		for (size_t k = 0; k < ts[i].lat.n; k++)
			lg_samples_add(&all, ts[i].lat.ns[k]);
		lg_samples_free(&ts[i].lat);
		if (ts[i].err && !rc) {
			log_err("cannot %s in %s: %s", ts[i].what, dir,
				strerror(-ts[i].err));
			rc = 1;
		}
	}
	close(cfg.dirfd);
	if (!rc)
		print(&cfg, files, secs, cpu_s, &all, json);
	lg_samples_free(&all);
	return rc;
}
