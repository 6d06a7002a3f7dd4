/* durable_floor: what the file system alone allows for durable uploads.
 *
 * N threads each repeat a storage protocol for one file, and nothing else:
 * no network, no hashing, no Redis, no threads per file. The default
 * (--mode file) is the reference the upload benchmark calls "the durable
 * floor": create a temp file in the directory (O_CREAT|O_EXCL), write SIZE
 * bytes in 256 KiB writes, fdatasync, rename into place
 * (RENAME_NOREPLACE), fsync the directory. The benchmark reports uploadd's
 * rate and CPU per upload next to it, so a figure can be read as "x% of
 * what the disk allows".
 *
 * The other modes measure the storage designs issue 15 weighed for small
 * files, with the same threads and sizes (docs/STORAGE.md has the figures):
 *   link     an unnamed file (O_TMPFILE), write, link into place, fsync the
 *            file, fsync the directory (one flush fewer than file);
 *   syncfs   the same without the fsyncs, then a group commit whose leader
 *            calls syncfs() once for every file linked meanwhile;
 *   segment  append-only segment files shared by all threads: reserve an
 *            offset, pwrite a 64-byte record header and the bytes, then a
 *            group commit whose leader calls fdatasync() once per batch
 *            (--prealloc: plain appends, fallocate'd or zero-filled
 *            segments).
 * Files are left in place: deleting them during a run would make later
 * creations slower (see bench_store_init in bench_lib.sh); the caller
 * removes the directory afterwards.
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
#include "uploadd/store/groupcommit.h"

#define WRITE_CHUNK (256u * 1024) /* uploadd's queue slot size */
#define MAX_THREADS 256
#define SEG_SIZE    (64u * 1024 * 1024) /* bytes per segment file */
#define SEG_HEADER  64u                 /* record header bytes */
#define SEG_ALIGN   64u                 /* records start at multiples */

enum floor_mode { MODE_FILE, MODE_LINK, MODE_SYNCFS, MODE_SEGMENT };
enum prealloc { PRE_NONE, PRE_FALLOCATE, PRE_ZERO };

/* One segment file: records are appended at tail; gc flushes it. */
struct segment {
	int fd;
	uint64_t tail;
	struct gcommit gc;
	struct segment *prev; /* older segments, freed at exit */
};

struct floor_cfg {
	int dirfd;
	uint64_t size;
	unsigned threads;
	double seconds;
	enum floor_mode mode;
	enum prealloc prealloc;
	struct gcommit syncfs_gc;   /* MODE_SYNCFS */
	pthread_mutex_t seg_lock;   /* MODE_SEGMENT: reservation, rollover */
	struct segment *seg;
	unsigned nseg;
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

static int flush_syncfs(void *arg)
{
	return syncfs(*(int *)arg) < 0 ? -errno : 0;
}

static int flush_segment(void *arg)
{
	return fdatasync(((struct segment *)arg)->fd) < 0 ? -errno : 0;
}

/* Writes size bytes of buf's pattern at off (pwrite, 256 KiB at a time). */
static int write_at(int fd, const char *buf, uint64_t size, uint64_t off)
{
	while (size > 0) {
		size_t n = size < WRITE_CHUNK ? (size_t)size : WRITE_CHUNK;
		ssize_t w = pwrite(fd, buf, n, (off_t)off);

		if (w < 0 && errno != EINTR)
			return -errno;
		if (w > 0) {
			size -= (uint64_t)w;
			off += (uint64_t)w;
		}
	}
	return 0;
}

/* A new segment (created durably: its directory entry is fsynced before
 * any record in it can be committed), prepared as --prealloc says. */
static int segment_new(struct floor_cfg *cfg, const char *buf)
{
	struct segment *sg = calloc(1, sizeof(*sg));
	char name[32];
	int err = 0;

	if (!sg)
		return -ENOMEM;
	snprintf(name, sizeof(name), "seg-%06u", ++cfg->nseg);
	sg->fd = openat(cfg->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			0640);
	if (sg->fd < 0) {
		free(sg);
		return -errno;
	}
	if (cfg->prealloc == PRE_FALLOCATE && fallocate(sg->fd, 0, 0, SEG_SIZE) < 0)
		err = -errno;
	if (cfg->prealloc == PRE_ZERO) {
		char *z = calloc(1, WRITE_CHUNK);

		for (uint64_t off = 0; !err && off < SEG_SIZE; off += WRITE_CHUNK)
			err = z ? write_at(sg->fd, z, WRITE_CHUNK, off) : -ENOMEM;
		free(z);
		if (!err && fdatasync(sg->fd) < 0)
			err = -errno;
	}
	(void)buf;
	if (!err && fsync(cfg->dirfd) < 0)
		err = -errno;
	if (!err)
		err = gcommit_init(&sg->gc, flush_segment, sg);
	if (err) {
		close(sg->fd);
		free(sg);
		return err;
	}
	sg->prev = cfg->seg;
	cfg->seg = sg;
	return 0;
}

/* Segment mode: one record, committed by the group flush. */
static int one_record(struct floor_thread *ft, const char *buf,
		      const char **what)
{
	struct floor_cfg *cfg = (struct floor_cfg *)ft->cfg;
	uint64_t need = (SEG_HEADER + cfg->size + SEG_ALIGN - 1) & ~(uint64_t)(SEG_ALIGN - 1);
	char head[SEG_HEADER];
	struct segment *sg;
	uint64_t off;
	int err = 0;

	*what = "reserve a record";
	pthread_mutex_lock(&cfg->seg_lock);
	if (!cfg->seg || cfg->seg->tail + need > SEG_SIZE)
		err = segment_new(cfg, buf);
	sg = cfg->seg;
	off = sg ? sg->tail : 0;
	if (!err)
		sg->tail += need;
	pthread_mutex_unlock(&cfg->seg_lock);
	if (err)
		return err;
	memset(head, 0, sizeof(head));
	memcpy(head, "uplseg01", 8);
	memcpy(head + 8, &cfg->size, sizeof(cfg->size));
	*what = "write a record";
	err = write_at(sg->fd, head, SEG_HEADER, off);
	if (!err)
		err = write_at(sg->fd, buf, cfg->size, off + SEG_HEADER);
	if (err)
		return err;
	*what = "fdatasync the segment";
	return gcommit_wait(&sg->gc);
}

/* link and syncfs modes: an unnamed file linked into place. */
static int one_linked(struct floor_thread *ft, const char *buf, uint64_t seq,
		      const char **what)
{
	struct floor_cfg *cfg = (struct floor_cfg *)ft->cfg;
	char final[64];
	int fd, err;

	snprintf(final, sizeof(final), "f-%u-%" PRIu64, ft->id, seq);
	*what = "create an unnamed file";
	fd = openat(cfg->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	*what = "write";
	err = write_at(fd, buf, cfg->size, 0);
	if (!err && linkat(fd, "", cfg->dirfd, final, AT_EMPTY_PATH) < 0) {
		*what = "link";
		err = -errno;
	}
	if (!err && cfg->mode == MODE_LINK &&
	    (fsync(fd) < 0 || fsync(cfg->dirfd) < 0)) {
		*what = "fsync";
		err = -errno;
	}
	close(fd);
	if (!err && cfg->mode == MODE_SYNCFS) {
		*what = "syncfs";
		err = gcommit_wait(&cfg->syncfs_gc);
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
		int err;

		switch (ft->cfg->mode) {
		case MODE_SEGMENT:
			err = one_record(ft, buf, &ft->what);
			break;
		case MODE_LINK:
		case MODE_SYNCFS:
			err = one_linked(ft, buf, ft->files, &ft->what);
			break;
		default:
			err = one_file(ft, buf, ft->files, &ft->what);
			break;
		}

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
"                     [--mode MODE] [--prealloc HOW] [--json]\n"
"\n"
"Each thread repeats: create a temp file in DIR, write SIZE bytes,\n"
"fdatasync, rename it into place, fsync DIR (uploadd's per-file storage\n"
"protocol without HTTP, hashing or Redis). Prints files/s, MiB/s, latency\n"
"p50/p99 and the process's CPU time per file. Files are left in DIR:\n"
"remove it afterwards (DIR must exist and should be empty).\n"
"\n"
"Modes (--mode), each a way to make a file durable before answering:\n"
"  file      the above (default; the benchmark's durable floor)\n"
"  link      O_TMPFILE, write, linkat, fsync the file, fsync DIR\n"
"  syncfs    O_TMPFILE, write, linkat, then one syncfs() per group of\n"
"            files linked meanwhile (group commit)\n"
"  segment   append a record (64-byte header + bytes) to a shared segment\n"
"            file, then one fdatasync() per group (group commit)\n"
"\n"
"  -d, --dir DIR       directory on the disk to measure (required)\n"
"  -s, --size SIZE     bytes per file, K/M/G suffixes (default 4K, at most\n"
"                      1G)\n"
"  -t, --threads N     concurrent writers (default 1)\n"
"  -S, --seconds S     run length (default 5)\n"
"  -m, --mode MODE     file, link, syncfs or segment (default file)\n"
"      --prealloc HOW  segment mode: none (appends grow the file),\n"
"                      fallocate or zero (segments zero-filled and synced\n"
"                      before use); default none\n"
"      --json          one JSON document instead of text\n"
"  -h, --help          this text\n"
"\n"
"Exit codes: 0 done; 1 a file operation failed (the message says which);\n"
"2 usage error.\n"
"\n"
"Examples:\n"
"  mkdir /srv/x && durable_floor --dir /srv/x --size 4K --threads 16\n"
"  durable_floor --dir /srv/y --size 4K --threads 16 --mode segment\n", f);
}

static const char *const mode_names[] = { "file", "link", "syncfs", "segment" };

/* Flushes the group commits ran (0 in the per-file modes). */
static uint64_t group_flushes(struct floor_cfg *cfg)
{
	uint64_t f, c, total = 0;

	gcommit_stats(&cfg->syncfs_gc, &f, &c);
	total += f;
	for (struct segment *sg = cfg->seg; sg; sg = sg->prev) {
		gcommit_stats(&sg->gc, &f, &c);
		total += f;
	}
	return total;
}

static void print(struct floor_cfg *cfg, uint64_t files, double secs,
		  double cpu_s, struct lg_samples *lat, bool json)
{
	uint64_t flushes = group_flushes(cfg);
	double per_s = (double)files / secs;
	double mib = per_s * (double)cfg->size / 1048576.0;
	double cpu_us = files ? cpu_s * 1e6 / (double)files : 0;
	double p50 = (double)lg_samples_percentile(lat, 50) / 1e6;
	double p99 = (double)lg_samples_percentile(lat, 99) / 1e6;
	struct json_writer w;

	if (!json) {
		printf("%s: %" PRIu64 " files of %" PRIu64 " bytes, %u threads, "
		       "%.2f s: %.1f files/s, %.1f MiB/s, p50 %.2f ms, p99 %.2f "
		       "ms, CPU %.0f us per file", mode_names[cfg->mode], files,
		       cfg->size, cfg->threads, secs, per_s, mib, p50, p99, cpu_us);
		if (flushes)
			printf(", %.1f files per group flush",
			       (double)files / (double)flushes);
		printf("\n");
		return;
	}
	json_init(&w, stdout, false);
	json_object_begin(&w);
	json_kv_string(&w, "mode", mode_names[cfg->mode]);
	json_kv_uint(&w, "size", cfg->size);
	json_kv_uint(&w, "threads", cfg->threads);
	json_kv_double(&w, "elapsed_s", secs);
	json_kv_uint(&w, "files", files);
	json_kv_double(&w, "files_per_s", per_s);
	json_kv_double(&w, "mib_per_s", mib);
	json_kv_double(&w, "p50_ms", p50);
	json_kv_double(&w, "p99_ms", p99);
	json_kv_double(&w, "cpu_us_per_file", cpu_us);
	json_kv_uint(&w, "group_flushes", flushes);
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
		{ "mode", required_argument, NULL, 'm' },
		{ "prealloc", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "d:s:t:S:m:h", opts, NULL)) != -1) {
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
		case 'm':
			if (strcmp(optarg, "file") == 0)
				cfg->mode = MODE_FILE;
			else if (strcmp(optarg, "link") == 0)
				cfg->mode = MODE_LINK;
			else if (strcmp(optarg, "syncfs") == 0)
				cfg->mode = MODE_SYNCFS;
			else if (strcmp(optarg, "segment") == 0)
				cfg->mode = MODE_SEGMENT;
			else
				return bad_value("--mode", "file, link, syncfs or segment");
			break;
		case 'P':
			if (strcmp(optarg, "none") == 0)
				cfg->prealloc = PRE_NONE;
			else if (strcmp(optarg, "fallocate") == 0)
				cfg->prealloc = PRE_FALLOCATE;
			else if (strcmp(optarg, "zero") == 0)
				cfg->prealloc = PRE_ZERO;
			else
				return bad_value("--prealloc", "none, fallocate or zero");
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
	pthread_mutex_init(&cfg.seg_lock, NULL);
	err = gcommit_init(&cfg.syncfs_gc, flush_syncfs, &cfg.dirfd);
	if (!err && cfg.mode == MODE_SEGMENT)
		err = segment_new(&cfg, NULL);
	if (err) {
		log_err("cannot prepare the %s: %s", cfg.mode == MODE_SEGMENT ?
			"first segment" : "group commit", strerror(-err));
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
	if (!rc)
		print(&cfg, files, secs, cpu_s, &all, json);
	while (cfg.seg) {
		struct segment *sg = cfg.seg;

		cfg.seg = sg->prev;
		gcommit_destroy(&sg->gc);
		close(sg->fd);
		free(sg);
	}
	gcommit_destroy(&cfg.syncfs_gc);
	close(cfg.dirfd);
	lg_samples_free(&all);
	return rc;
}
