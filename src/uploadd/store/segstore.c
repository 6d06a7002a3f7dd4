/* The small-object store: segment files and group commit (see segstore.h). */
#include "uploadd/store/segstore.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "common/log.h"
#include "uploadd/store/groupcommit.h"

#define SEG_MAGIC     "uplseg01"
#define SEG_DEAD      1u
#define SEG_MODE_OPEN 0640           /* may hold unaccounted records */
#define SEG_MODE_DONE 0440           /* sealed */
#define ZERO_CHUNK    (256u * 1024)  /* bytes per zero-filling write */
#define SCAN_WINDOW   (1024u * 1024) /* bytes read at once by a scan */
#define UNSURE_MAX    20000u         /* records remembered for the sweep
					* (~0.4 KiB each; beyond, the segment
					* stays unsealed: rescanned at start) */
#define PREP_RETRY_MS 1000           /* after a failed preparation */
#define CLOCK_MARGIN_MS 30000        /* Redis vs local clock, sealing */

/* A record header as stored: little-endian, 64 bytes. */
struct seg_header {
	char magic[8];
	uint32_t crc;          /* CRC-32 of the header with crc = 0 */
	uint32_t flags;        /* SEG_DEAD */
	uint64_t len;          /* payload bytes */
	uint8_t token[16];     /* the upload's token */
	int64_t written_ms;    /* wall clock when appended */
	uint16_t names_len;    /* bytes of names after the payload, or 0 */
	uint8_t reserved[14];
};
_Static_assert(sizeof(struct seg_header) == SEG_HEADER, "record header size");

struct segment {
	uint32_t no;
	int fd;                /* read-write, flock'ed while open */
	uint64_t tail;         /* next record's offset */
	unsigned refs;         /* records held by uploads, +1 while active */
	bool active;           /* takes appends */
	struct gcommit gc;     /* fdatasync(fd) for groups of records */
	struct segment *next;  /* ss->open */
};

/* A record the sweep may ask for by token (no names: the upload has an
 * intent in Redis), or that the sweep must resolve against Redis (names:
 * the upload never registered one). */
struct unsure_rec {
	uint8_t token[16];
	uint32_t no;
	uint64_t off, len;     /* payload */
	int64_t since_ms;      /* when it was written or kept */
	uint16_t names_len;
	char names[SEG_NAMES_MAX]; /* "filename\0version\0" */
	struct unsure_rec *next;
};

struct segstore {
	int dirfd;                  /* <storage>/segments */
	char where[256];
	pthread_mutex_t lock;
	pthread_cond_t prep_cv;     /* a spare is wanted, or is ready */
	struct segment *active, *spare, *open;
	uint32_t next_no;
	int prep_err;               /* last failure to prepare, or 0 */
	int64_t prep_err_ms;
	bool stopping, started;
	bool wanted;                /* a record was asked for: keep a spare */
	pthread_t prep;
	void *zero;                 /* ZERO_CHUNK aligned zero bytes */
	bool sparse;                /* tmpfs: ftruncate instead of zeroes */
	struct unsure_rec *unsure;
	size_t nunsure;
	uint32_t *unsealed;         /* closed segments not sealed */
	size_t nunsealed, capunsealed;
	/* totals, for /metrics */
	uint64_t records, bytes, killed, prepared, flushes, flushed;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t align_up(uint64_t v)
{
	return (v + SEG_ALIGN - 1) & ~(uint64_t)(SEG_ALIGN - 1);
}

static void seg_name(uint32_t no, char out[32])
{
	snprintf(out, 32, "seg-%08" PRIu32, no);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 32 hex digits to 16 bytes; false when malformed. */
static bool token_bytes(const char *hex, uint8_t out[16])
{
	for (int i = 0; i < 16; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[32] == '\0';
}

static uint32_t header_crc(const struct seg_header *h)
{
	struct seg_header c = *h;

	c.crc = 0;
	return (uint32_t)crc32(0L, (const Bytef *)&c, sizeof(c));
}

static void header_make(struct seg_header *h, const uint8_t token[16],
			uint64_t len, uint16_t names_len, uint32_t flags,
			int64_t ms)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, SEG_MAGIC, 8);
	h->flags = htole32(flags);
	h->len = htole64(len);
	memcpy(h->token, token, 16);
	h->written_ms = (int64_t)htole64((uint64_t)ms);
	h->names_len = htole16(names_len);
	h->crc = htole32(header_crc(h));
}

/* True when h is a record header whose payload and names fit before
 * room. */
static bool header_valid(const struct seg_header *h, uint64_t room)
{
	return memcmp(h->magic, SEG_MAGIC, 8) == 0 &&
	       le32toh(h->crc) == header_crc(h) &&
	       le16toh(h->names_len) <= SEG_NAMES_MAX &&
	       le64toh(h->len) + le16toh(h->names_len) <= room;
}

/* True when names holds "filename\0version\0" exactly, each part
 * non-empty and within the limits of validate.h. */
static bool names_valid(const char *names, size_t len)
{
	const char *nul = len ? memchr(names, '\0', len) : NULL;
	size_t flen = nul ? (size_t)(nul - names) : 0;

	return nul && flen > 0 && flen <= 255 && flen + 1 < len &&
	       len - flen - 2 <= 64 &&
	       memchr(nul + 1, '\0', len - flen - 1) == names + len - 1;
}

/* pwritev of every byte, across short writes and EINTR. */
static int write_all_at(int fd, struct iovec *iov, int n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwritev(fd, iov, n, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (uint64_t)w;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int flush_segment(void *arg)
{
	struct segment *s = arg;

	return fdatasync(s->fd) < 0 ? -errno : 0;
}

/* ---- unsure records and unsealed segments (lock held) ---- */

static void unsure_add(struct segstore *ss, const uint8_t token[16],
		       uint32_t no, uint64_t off, uint64_t len, int64_t ms,
		       const char *names, uint16_t names_len)
{
	struct unsure_rec *u;

	if (ss->nunsure >= UNSURE_MAX) {
		/* Its segment stays unsealed: the next start-up finds it. */
		log_warn("segments: more than %u records await the orphan "
			 "sweep; segment %" PRIu32 " stays unsealed", UNSURE_MAX,
			 no);
		return;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return;
	memcpy(u->token, token, 16);
	u->no = no;
	u->off = off;
	u->len = len;
	u->since_ms = ms;
	if (names && names_len <= SEG_NAMES_MAX && names_valid(names, names_len)) {
		memcpy(u->names, names, names_len);
		u->names_len = names_len;
	}
	u->next = ss->unsure;
	ss->unsure = u;
	ss->nunsure++;
}

static bool unsure_names(const struct segstore *ss, uint32_t no)
{
	for (const struct unsure_rec *u = ss->unsure; u; u = u->next)
		if (u->no == no)
			return true;
	return false;
}

static void unsealed_add(struct segstore *ss, uint32_t no)
{
	for (size_t i = 0; i < ss->nunsealed; i++)
		if (ss->unsealed[i] == no)
			return;
	if (ss->nunsealed == ss->capunsealed) {
		size_t cap = ss->capunsealed ? 2 * ss->capunsealed : 16;
		uint32_t *n = realloc(ss->unsealed, cap * sizeof(*n));

		if (!n)
			return; /* stays unsealed on disk: rescanned next time */
		ss->unsealed = n;
		ss->capunsealed = cap;
	}
	ss->unsealed[ss->nunsealed++] = no;
}

/* Seals a closed segment by name: every record in it is accounted for. */
static void seal_by_name(struct segstore *ss, uint32_t no)
{
	char name[32];

	seg_name(no, name);
	if (fchmodat(ss->dirfd, name, SEG_MODE_DONE, 0) < 0 && errno != ENOENT)
		log_warn("segments: cannot seal %s/%s: %s", ss->where, name,
			 strerror(errno));
}

/* ---- segment life cycle ---- */

/* Drops one reference (lock held); the last one of a retired segment
 * closes it, sealed unless the sweep may still ask for a record in it. */
static void seg_put(struct segstore *ss, struct segment *s)
{
	uint64_t f, c;

	if (--s->refs > 0 || s->active)
		return;
	for (struct segment **p = &ss->open; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	gcommit_stats(&s->gc, &f, &c);
	ss->flushes += f;
	ss->flushed += c;
	/* Every record in it is durable: its pages can go, so the next
	 * segment's zeroes reuse their memory (see seg_create). */
	posix_fadvise(s->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (gcommit_error(&s->gc) || unsure_names(ss, s->no))
		unsealed_add(ss, s->no);
	else if (fchmod(s->fd, SEG_MODE_DONE) < 0)
		log_warn("segments: cannot seal segment %" PRIu32 " in %s: %s",
			 s->no, ss->where, strerror(errno));
	gcommit_destroy(&s->gc);
	close(s->fd); /* drops its flock */
	free(s);
}

/* The active segment takes no more records (lock held). Its unused tail
 * is punched out when there is one (at shutdown). */
static void seg_retire(struct segstore *ss, struct segment *s)
{
	if (s->tail < SEG_SIZE && !gcommit_error(&s->gc))
		fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)s->tail, (off_t)(SEG_SIZE - s->tail));
	s->active = false;
	seg_put(ss, s); /* the active segment's own reference */
}

/* Creates segment no, zero-filled and durable (name included), and locks
 * it for this process. Returns it or NULL with errno. No lock held.
 *
 * The zeroes go through the page cache on purpose and their pages stay
 * there: a record rarely covers whole pages, and a partial write into a
 * page that is not cached reads it from the disk first. Zeroes written
 * around the cache (O_DIRECT) cost every record that read; unwritten
 * extents (fallocate) cost every group flush an extent-tree write
 * (durable_floor --mode segment --prealloc: docs/STORAGE.md). On tmpfs
 * the file is left sparse: nothing there is written twice. */
static struct segment *seg_create(struct segstore *ss, uint32_t no)
{
	struct segment *s = calloc(1, sizeof(*s));
	char name[32];
	int err = 0;

	if (!s)
		return NULL;
	seg_name(no, name);
	s->no = no;
	s->fd = openat(ss->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		       SEG_MODE_OPEN);
	if (s->fd < 0) {
		err = errno;
		free(s);
		errno = err;
		return NULL;
	}
	flock(s->fd, LOCK_EX | LOCK_NB);
	if (ss->sparse) {
		if (ftruncate(s->fd, SEG_SIZE) < 0)
			err = errno;
	} else {
		for (uint64_t off = 0; !err && off < SEG_SIZE;) {
			ssize_t w = pwrite(s->fd, ss->zero, ZERO_CHUNK, (off_t)off);

			if (w > 0)
				off += (uint64_t)w;
			else if (w == 0 || errno != EINTR)
				err = w < 0 ? errno : EIO;
		}
	}
	if (!err && fdatasync(s->fd) < 0)
		err = errno;
	if (!err && fsync(ss->dirfd) < 0)
		err = errno;
	if (!err)
		err = -gcommit_init(&s->gc, flush_segment, s);
	if (err) {
		close(s->fd);
		unlinkat(ss->dirfd, name, 0);
		free(s);
		errno = err;
		return NULL;
	}
	return s;
}

/* up-segprep: keeps one zero-filled segment ready. */
static void *prep_main(void *arg)
{
	struct segstore *ss = arg;

	pthread_setname_np(pthread_self(), "up-segprep");
	pthread_mutex_lock(&ss->lock);
	while (!ss->stopping) {
		struct segment *s;
		uint32_t no;

		if (!ss->wanted || ss->spare ||
		    (ss->prep_err && wall_ms() - ss->prep_err_ms < PREP_RETRY_MS)) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&ss->prep_cv, &ss->lock, &until);
			continue;
		}
		no = ss->next_no++;
		pthread_mutex_unlock(&ss->lock);
		s = seg_create(ss, no);
		pthread_mutex_lock(&ss->lock);
		if (!s) {
			ss->prep_err = -errno;
			ss->prep_err_ms = wall_ms();
			log_err("segments: cannot prepare segment %" PRIu32
				" in %s: %s (small uploads fail until it can)",
				no, ss->where, strerror(errno));
		} else {
			ss->prep_err = 0;
			ss->spare = s;
			ss->prepared++;
		}
		pthread_cond_broadcast(&ss->prep_cv);
	}
	pthread_mutex_unlock(&ss->lock);
	return NULL;
}

/* ---- start-up scan ---- */

/* Walks a segment's records: live ones go to the unsure index (an upload
 * of an earlier run: the sweep may ask for it). Returns the end of the
 * last record (0: none). */
static uint64_t scan_segment(struct segstore *ss, int fd, uint32_t no,
			     uint64_t size, size_t *live)
{
	char *buf = malloc(SCAN_WINDOW);
	uint64_t off = 0, base = 0, end = 0;
	size_t have = 0;

	*live = 0;
	if (!buf)
		return size; /* keep everything: cannot look */
	while (off + SEG_HEADER <= size) {
		struct seg_header h;
		uint64_t len;

		if (off < base || off + SEG_HEADER > base + have) {
			ssize_t n = pread(fd, buf, SCAN_WINDOW, (off_t)off);

			if (n < (ssize_t)SEG_HEADER)
				break;
			base = off;
			have = (size_t)n;
		}
		memcpy(&h, buf + (off - base), sizeof(h));
		if (!header_valid(&h, size - off - SEG_HEADER)) {
			off += SEG_ALIGN; /* zeroes, or torn: look further */
			continue;
		}
		len = le64toh(h.len);
		if (!(le32toh(h.flags) & SEG_DEAD)) {
			char names[SEG_NAMES_MAX];
			uint16_t nl = le16toh(h.names_len);

			if (nl && pread(fd, names, nl, (off_t)(off + SEG_HEADER +
							      len)) != nl)
				nl = 0; /* unreadable: the intent path */
			unsure_add(ss, h.token, no, off + SEG_HEADER, len,
				   (int64_t)le64toh((uint64_t)h.written_ms),
				   names, nl);
			(*live)++;
		}
		off = align_up(off + SEG_HEADER + len + le16toh(h.names_len));
		end = off;
	}
	free(buf);
	return end;
}

/* Indexes the segments an earlier run left unsealed, deletes those that
 * never got a record, and finds the next segment number. */
static int scan_dir(struct segstore *ss)
{
	int fd = dup(ss->dirfd);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		char name[32], *endp;
		unsigned long no;
		struct stat st;
		uint64_t end;
		size_t live;
		int sfd;

		if (strncmp(de->d_name, "seg-", 4) != 0 || strlen(de->d_name) != 12)
			continue;
		no = strtoul(de->d_name + 4, &endp, 10);
		if (*endp || no == 0 || no >= UINT32_MAX)
			continue;
		if (no >= ss->next_no)
			ss->next_no = (uint32_t)no + 1;
		seg_name((uint32_t)no, name);
		sfd = openat(ss->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (sfd < 0)
			continue;
		if (fstat(sfd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & S_IWUSR) || flock(sfd, LOCK_EX | LOCK_NB) < 0) {
			/* Sealed, or another live process's. */
			close(sfd);
			continue;
		}
		end = scan_segment(ss, sfd, (uint32_t)no, (uint64_t)st.st_size,
				   &live);
		if (end == 0) {
			unlinkat(ss->dirfd, name, 0); /* never used */
		} else {
			if ((uint64_t)st.st_size > end)
				fallocate(sfd, FALLOC_FL_PUNCH_HOLE |
					  FALLOC_FL_KEEP_SIZE, (off_t)end,
					  (off_t)((uint64_t)st.st_size - end));
			if (live)
				unsealed_add(ss, (uint32_t)no);
			else
				fchmod(sfd, SEG_MODE_DONE);
			log_debug(1, "segments: %s/%s from an earlier run: %zu "
				  "live record(s) indexed for the orphan sweep",
				  ss->where, name, live);
		}
		close(sfd);
	}
	closedir(d);
	return 0;
}

/* ---- public ---- */

int segstore_open(int dirfd, const char *where, struct segstore **out)
{
	struct segstore *ss = calloc(1, sizeof(*ss));
	struct statfs sf;
	int err;

	if (!ss)
		return -ENOMEM;
	snprintf(ss->where, sizeof(ss->where), "%s/%s", where, SEG_DIR);
	ss->next_no = 1;
	ss->dirfd = -1;
	pthread_mutex_init(&ss->lock, NULL);
	pthread_cond_init(&ss->prep_cv, NULL);
	if (mkdirat(dirfd, SEG_DIR, 0750) < 0 && errno != EEXIST) {
		err = -errno;
		goto fail;
	}
	ss->dirfd = openat(dirfd, SEG_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
			   O_NOFOLLOW);
	if (ss->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	ss->sparse = fstatfs(ss->dirfd, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
	ss->zero = calloc(1, ZERO_CHUNK);
	if (!ss->zero) {
		err = -ENOMEM;
		goto fail;
	}
	err = scan_dir(ss);
	if (err)
		goto fail;
	err = -pthread_create(&ss->prep, NULL, prep_main, ss);
	if (err)
		goto fail;
	ss->started = true;
	*out = ss;
	return 0;
fail:
	segstore_close(ss);
	return err;
}

void segstore_close(struct segstore *ss)
{
	if (!ss)
		return;
	pthread_mutex_lock(&ss->lock);
	ss->stopping = true;
	pthread_cond_broadcast(&ss->prep_cv);
	pthread_mutex_unlock(&ss->lock);
	if (ss->started)
		pthread_join(ss->prep, NULL);
	pthread_mutex_lock(&ss->lock);
	if (ss->active)
		seg_retire(ss, ss->active);
	ss->active = NULL;
	if (ss->spare) {
		char name[32];

		seg_name(ss->spare->no, name);
		unlinkat(ss->dirfd, name, 0); /* never used */
		ss->spare->active = false;
		ss->spare->refs = 1;
		seg_put(ss, ss->spare);
		ss->spare = NULL;
	}
	/* Segments still referenced by uploads (none after a drained
	 * shutdown) are left open: their uploads may still resolve. */
	pthread_mutex_unlock(&ss->lock);
	while (ss->unsure) {
		struct unsure_rec *u = ss->unsure;

		ss->unsure = u->next;
		free(u);
	}
	free(ss->unsealed);
	free(ss->zero);
	if (ss->dirfd >= 0)
		close(ss->dirfd);
	if (!ss->open) {
		pthread_cond_destroy(&ss->prep_cv);
		pthread_mutex_destroy(&ss->lock);
		free(ss);
	}
}

int segstore_append(struct segstore *ss, const char *token, const char *names,
		    size_t names_len, const void *data, size_t len,
		    struct seg_ref *r)
{
	uint64_t need = align_up(SEG_HEADER + len + names_len);
	struct seg_header h;
	struct iovec iov[3];
	struct segment *s;
	uint64_t off;
	int err;

	memset(r, 0, sizeof(*r));
	if (len == 0 || len > SEG_OBJECT_MAX || !token_bytes(token, r->token) ||
	    (names_len && !names_valid(names, names_len)) ||
	    names_len > SEG_NAMES_MAX)
		return -EINVAL;
	if (names_len)
		memcpy(r->names, names, names_len);
	r->names_len = (uint16_t)names_len;
	pthread_mutex_lock(&ss->lock);
	ss->wanted = true;
	for (;;) {
		s = ss->active;
		if (s && !gcommit_error(&s->gc) && s->tail + need <= SEG_SIZE)
			break;
		if (s) {
			ss->active = NULL;
			seg_retire(ss, s);
		}
		if (ss->spare) {
			s = ss->spare;
			ss->spare = NULL;
			s->active = true;
			s->refs = 1;
			s->next = ss->open;
			ss->open = s;
			ss->active = s;
			pthread_cond_broadcast(&ss->prep_cv);
			continue;
		}
		if (ss->stopping) {
			pthread_mutex_unlock(&ss->lock);
			return -ESHUTDOWN;
		}
		if (ss->prep_err) {
			err = ss->prep_err == -ENOSPC || ss->prep_err == -EDQUOT ?
			      ss->prep_err : -EAGAIN;
			pthread_mutex_unlock(&ss->lock);
			return err;
		}
		pthread_cond_broadcast(&ss->prep_cv);
		pthread_cond_wait(&ss->prep_cv, &ss->lock);
	}
	off = s->tail;
	s->tail += need;
	s->refs++;
	pthread_mutex_unlock(&ss->lock);

	header_make(&h, r->token, len, r->names_len, 0, wall_ms());
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	iov[2].iov_base = r->names;
	iov[2].iov_len = r->names_len;
	err = write_all_at(s->fd, iov, r->names_len ? 3 : 2, off);
	r->seg = s;
	r->no = s->no;
	r->off = off + SEG_HEADER;
	r->len = len;
	if (err) {
		/* Whatever reached the segment is killed by the abort. */
		return err;
	}
	pthread_mutex_lock(&ss->lock);
	ss->records++;
	ss->bytes += len;
	pthread_mutex_unlock(&ss->lock);
	return 0;
}

int segstore_read(struct segstore *ss, const struct seg_ref *r, void *buf)
{
	uint64_t done = 0;

	(void)ss;
	if (!r->seg)
		return -EINVAL;
	while (done < r->len) {
		ssize_t n = pread(r->seg->fd, (char *)buf + done, r->len - done,
				  (off_t)(r->off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

int segstore_commit(struct segstore *ss, struct seg_ref *r,
		    struct gcommit_job *job)
{
	(void)ss;
	return r->seg ? gcommit_wait_job(&r->seg->gc, job) : -EINVAL;
}

void segstore_resolve(struct segstore *ss, struct seg_ref *r, bool unsure)
{
	if (!r->seg)
		return;
	pthread_mutex_lock(&ss->lock);
	if (unsure)
		unsure_add(ss, r->token, r->no, r->off, r->len, wall_ms(),
			   r->names, r->names_len);
	seg_put(ss, r->seg);
	pthread_mutex_unlock(&ss->lock);
	r->seg = NULL;
}

/* Marks the record at off (payload) dead and punches its payload out.
 * Returns 0 or -errno. */
static int kill_at(int fd, const uint8_t token[16], uint64_t off, uint64_t len,
		   uint16_t names_len)
{
	struct seg_header h;
	struct iovec iov = { &h, sizeof(h) };
	int err;

	header_make(&h, token, len, names_len, SEG_DEAD, wall_ms());
	err = write_all_at(fd, &iov, 1, off - SEG_HEADER);
	if (err)
		return err;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) < 0 &&
	    errno != EOPNOTSUPP)
		return -errno;
	return 0;
}

int segstore_kill(struct segstore *ss, struct seg_ref *r)
{
	struct segment *s = r->seg;
	int err;

	if (!s)
		return 0;
	err = kill_at(s->fd, r->token, r->off, r->len, r->names_len);
	if (!err)
		err = gcommit_wait(&s->gc); /* the DEAD flag durable */
	pthread_mutex_lock(&ss->lock);
	if (err)
		unsure_add(ss, r->token, r->no, r->off, r->len, wall_ms(),
			   r->names, r->names_len);
	else
		ss->killed++;
	seg_put(ss, s);
	pthread_mutex_unlock(&ss->lock);
	r->seg = NULL;
	return err;
}

void segstore_locator(const struct seg_ref *r, char out[SEG_LOCATOR_MAX])
{
	snprintf(out, SEG_LOCATOR_MAX, "seg-%08" PRIu32 ":%" PRIu64 ":%" PRIu64,
		 r->no, r->off, r->len);
}

/* Parses a decimal number without sign or leading zeros beyond "0". */
static const char *parse_dec(const char *s, uint64_t max, uint64_t *v)
{
	const char *p = s;

	*v = 0;
	while (*p >= '0' && *p <= '9') {
		if (*v > (max - (uint64_t)(*p - '0')) / 10)
			return NULL;
		*v = *v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	return p == s || (p - s > 1 && *s == '0') ? NULL : p;
}

bool segstore_parse_locator(const char *s, uint32_t *no, uint64_t *off,
			    uint64_t *len)
{
	uint64_t n;
	const char *p;

	if (strncmp(s, "seg-", 4) != 0)
		return false;
	for (int i = 0; i < 8; i++)
		if (s[4 + i] < '0' || s[4 + i] > '9')
			return false;
	n = strtoull(s + 4, NULL, 10);
	if (n == 0 || n >= UINT32_MAX || s[12] != ':')
		return false;
	p = parse_dec(s + 13, SEG_SIZE, off);
	if (!p || *p != ':')
		return false;
	p = parse_dec(p + 1, SEG_OBJECT_MAX, len);
	if (!p || *p != '\0')
		return false;
	*no = (uint32_t)n;
	return *off >= SEG_HEADER && *off % SEG_ALIGN == 0 && *len > 0 &&
	       *off + *len <= SEG_SIZE;
}

int segstore_open_record(struct segstore *ss, const char *locator,
			 uint64_t size, uint64_t *off)
{
	struct seg_header h;
	uint32_t no;
	uint64_t len;
	char name[32];
	struct stat st;
	int fd;

	if (!segstore_parse_locator(locator, &no, off, &len) || len != size)
		return -EINVAL;
	seg_name(no, name);
	fd = openat(ss->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < *off + len ||
	    pread(fd, &h, sizeof(h), (off_t)(*off - SEG_HEADER)) != sizeof(h) ||
	    !header_valid(&h, (uint64_t)st.st_size - *off) ||
	    (le32toh(h.flags) & SEG_DEAD) || le64toh(h.len) != len) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int segstore_remove(struct segstore *ss, const char *locator)
{
	struct seg_header h;
	uint32_t no;
	uint64_t off, len;
	char name[32];
	int fd, err;

	if (!segstore_parse_locator(locator, &no, &off, &len))
		return -EINVAL;
	seg_name(no, name);
	fd = openat(ss->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (pread(fd, &h, sizeof(h), (off_t)(off - SEG_HEADER)) != sizeof(h) ||
	    !header_valid(&h, SEG_SIZE - off) || le64toh(h.len) != len) {
		close(fd);
		return -ENOENT;
	}
	err = kill_at(fd, h.token, off, len, le16toh(h.names_len));
	if (!err && fdatasync(fd) < 0)
		err = -errno;
	close(fd);
	if (!err) {
		pthread_mutex_lock(&ss->lock);
		ss->killed++;
		pthread_mutex_unlock(&ss->lock);
	}
	return err;
}

/* Takes the remembered record with this token out of the list (lock
 * held). Returns it or NULL. */
static struct unsure_rec *unsure_take(struct segstore *ss, const uint8_t tok[16])
{
	for (struct unsure_rec **p = &ss->unsure; *p; p = &(*p)->next) {
		struct unsure_rec *u = *p;

		if (memcmp(u->token, tok, 16) == 0) {
			*p = u->next;
			ss->nunsure--;
			return u;
		}
	}
	return NULL;
}

/* Kills a remembered record, durably; on failure it is remembered again
 * (asked for at the next sweep). Returns 0 or -errno. */
static int unsure_kill(struct segstore *ss, struct unsure_rec *u)
{
	struct segment *s;
	int err;

	pthread_mutex_lock(&ss->lock);
	for (s = ss->open; s && s->no != u->no; s = s->next)
		;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&ss->lock);
	if (s) {
		err = kill_at(s->fd, u->token, u->off, u->len, u->names_len);
		if (!err)
			err = gcommit_wait(&s->gc);
	} else {
		char name[32];
		int fd;

		seg_name(u->no, name);
		fd = openat(ss->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			err = errno == ENOENT ? 0 : -errno;
		} else {
			err = kill_at(fd, u->token, u->off, u->len, u->names_len);
			if (!err && fdatasync(fd) < 0)
				err = -errno;
			close(fd);
		}
	}
	pthread_mutex_lock(&ss->lock);
	if (s)
		seg_put(ss, s);
	if (err) {
		u->next = ss->unsure;
		ss->unsure = u;
		ss->nunsure++;
	} else {
		ss->killed++;
	}
	pthread_mutex_unlock(&ss->lock);
	if (!err)
		free(u);
	return err;
}

int segstore_sweep(struct segstore *ss, const char *token, unsigned *removed)
{
	uint8_t tok[16];
	struct unsure_rec *u;
	int err;

	if (!token_bytes(token, tok))
		return 0;
	pthread_mutex_lock(&ss->lock);
	u = unsure_take(ss, tok);
	pthread_mutex_unlock(&ss->lock);
	if (!u)
		return 0;
	err = unsure_kill(ss, u);
	if (!err)
		(*removed)++;
	return err;
}

size_t segstore_candidates(struct segstore *ss, struct seg_candidate *out,
			   size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&ss->lock);
	for (struct unsure_rec *u = ss->unsure; u && n < max; u = u->next) {
		const char *version;

		if (!u->names_len)
			continue;
		for (int i = 0; i < 16; i++)
			snprintf(out[n].token + 2 * i, 3, "%02x", u->token[i]);
		/* names_valid() bounds both parts. */
		version = u->names + strlen(u->names) + 1;
		memcpy(out[n].filename, u->names, strlen(u->names) + 1);
		memcpy(out[n].version, version, strlen(version) + 1);
		n++;
	}
	pthread_mutex_unlock(&ss->lock);
	return n;
}

int segstore_resolved(struct segstore *ss, const char *token, bool committed,
		      unsigned *removed)
{
	uint8_t tok[16];
	struct unsure_rec *u;
	int err = 0;

	if (!token_bytes(token, tok))
		return -EINVAL;
	pthread_mutex_lock(&ss->lock);
	u = unsure_take(ss, tok);
	pthread_mutex_unlock(&ss->lock);
	if (!u)
		return 0;
	if (committed) {
		free(u); /* its metadata names it: nothing to do */
		return 0;
	}
	err = unsure_kill(ss, u);
	if (!err)
		(*removed)++;
	return err;
}

void segstore_settled(struct segstore *ss, int64_t before_ms)
{
	struct unsure_rec **p;
	size_t keep = 0;

	before_ms -= CLOCK_MARGIN_MS;
	pthread_mutex_lock(&ss->lock);
	for (p = &ss->unsure; *p;) {
		struct unsure_rec *u = *p;

		/* A record with its names has no intent for the sweep to
		 * claim: only segstore_resolved() settles it. */
		if (!u->names_len && u->since_ms < before_ms) {
			*p = u->next;
			ss->nunsure--;
			free(u);
		} else {
			p = &u->next;
		}
	}
	for (size_t i = 0; i < ss->nunsealed; i++) {
		uint32_t no = ss->unsealed[i];

		if (unsure_names(ss, no)) {
			ss->unsealed[keep++] = no;
			continue;
		}
		seal_by_name(ss, no);
	}
	ss->nunsealed = keep;
	pthread_mutex_unlock(&ss->lock);
}

void segstore_metrics(struct segstore *ss, FILE *f)
{
	uint64_t flushes, flushed, fl, fc;
	unsigned open = 0;

	pthread_mutex_lock(&ss->lock);
	flushes = ss->flushes;
	flushed = ss->flushed;
	for (struct segment *s = ss->open; s; s = s->next) {
		gcommit_stats(&s->gc, &fl, &fc);
		flushes += fl;
		flushed += fc;
		open++;
	}
	fprintf(f, "# HELP uploadd_segments_open Segment files open for "
		"records or reads in progress.\n"
		"# TYPE uploadd_segments_open gauge\n"
		"uploadd_segments_open %u\n"
		"# HELP uploadd_segments_prepared_total Segment files "
		"zero-filled ahead of use.\n"
		"# TYPE uploadd_segments_prepared_total counter\n"
		"uploadd_segments_prepared_total %" PRIu64 "\n"
		"# HELP uploadd_segment_records_total Small uploads appended "
		"to segments.\n"
		"# TYPE uploadd_segment_records_total counter\n"
		"uploadd_segment_records_total %" PRIu64 "\n"
		"# HELP uploadd_segment_bytes_total Bytes of small uploads "
		"appended to segments.\n"
		"# TYPE uploadd_segment_bytes_total counter\n"
		"uploadd_segment_bytes_total %" PRIu64 "\n"
		"# HELP uploadd_segment_flushes_total Group fdatasyncs of "
		"segments.\n"
		"# TYPE uploadd_segment_flushes_total counter\n"
		"uploadd_segment_flushes_total %" PRIu64 "\n"
		"# HELP uploadd_segment_flushed_total Waits those fdatasyncs "
		"covered (records and kills).\n"
		"# TYPE uploadd_segment_flushed_total counter\n"
		"uploadd_segment_flushed_total %" PRIu64 "\n"
		"# HELP uploadd_segment_records_killed_total Records marked "
		"dead (aborted or swept).\n"
		"# TYPE uploadd_segment_records_killed_total counter\n"
		"uploadd_segment_records_killed_total %" PRIu64 "\n"
		"# HELP uploadd_segment_records_unsure Records the orphan "
		"sweep may still ask for.\n"
		"# TYPE uploadd_segment_records_unsure gauge\n"
		"uploadd_segment_records_unsure %zu\n",
		open, ss->prepared, ss->records, ss->bytes, flushes, flushed,
		ss->killed, ss->nunsure);
	pthread_mutex_unlock(&ss->lock);
}
