/* Storage directory operations (see storage.h). */
#include "uploadd/store/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* True unless the file system refuses O_TMPFILE: EOPNOTSUPP, or EISDIR and
 * EINVAL from kernels that predate it. Any other failure (EACCES...) says
 * nothing about support and shows again when uploads create files. */
static bool tmpfile_supported(int dirfd)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL;
}

int storage_open(struct storage *s, const char *path)
{
	if (strlen(path) >= sizeof(s->path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		return -errno;
	s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return -errno;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->named_temps = !tmpfile_supported(s->dirfd);
	return 0;
}

void storage_close(struct storage *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}

int storage_check_writable(const struct storage *s)
{
	return faccessat(s->dirfd, ".", W_OK | X_OK, AT_EACCESS) < 0 ? -errno : 0;
}

int storage_remove_temps(struct storage *s, unsigned *removed)
{
	int fd = dup(s->dirfd);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*removed = 0;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* The dup shares the directory offset with dirfd: start at the top. */
	rewinddir(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, STORAGE_TMP_PREFIX,
			    strlen(STORAGE_TMP_PREFIX)) != 0)
			continue;
		if (unlinkat(s->dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
			ret = -errno;
			break;
		}
		(*removed)++;
	}
	closedir(d);
	return ret;
}

int storage_tmp_create(struct storage *s, const char *token,
		       struct storage_tmp *t)
{
	t->named = false;
	t->name[0] = '\0';
	if (!s->named_temps) {
		t->fd = openat(s->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
			       0640);
		return t->fd < 0 ? -errno : 0;
	}
	snprintf(t->name, sizeof(t->name), "%s%s", STORAGE_TMP_PREFIX, token);
	t->fd = openat(s->dirfd, t->name,
		       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (t->fd < 0)
		return -errno;
	t->named = true;
	return 0;
}

/* Set once linkat(AT_EMPTY_PATH) was refused (it needs
 * CAP_DAC_READ_SEARCH before Linux 6.10): /proc/self/fd is used after. */
static atomic_bool empty_path_refused;

/* Gives the unnamed file fd the name final, failing if final exists. */
static int link_unnamed(int dirfd, int fd, const char *final)
{
	char proc[40];

	if (!atomic_load_explicit(&empty_path_refused, memory_order_relaxed)) {
		if (linkat(fd, "", dirfd, final, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno != EPERM && errno != ENOENT)
			return -errno;
		atomic_store_explicit(&empty_path_refused, true,
				      memory_order_relaxed);
	}
	/* The same inode through the magic link: allowed to its owner. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, final, AT_SYMLINK_FOLLOW) < 0 ?
	       -errno : 0;
}

/* Renames the named temp file t into place, never replacing. */
static int rename_named(int dirfd, struct storage_tmp *t, const char *final)
{
	if (renameat2(dirfd, t->name, dirfd, final, RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return -errno;
		/* A file system without RENAME_NOREPLACE: link() refuses to
		 * replace too, then the temp name goes. */
		if (linkat(dirfd, t->name, dirfd, final, 0) < 0)
			return -errno;
		unlinkat(dirfd, t->name, 0);
	}
	t->named = false;
	return 0;
}

int storage_tmp_commit(struct storage *s, struct storage_tmp *t,
		       const char *final)
{
	bool was_named = t->named;
	int err = was_named ? rename_named(s->dirfd, t, final) :
			      link_unnamed(s->dirfd, t->fd, final);

	if (err)
		return err;
	/* Durable only once the data, the inode (a link changes its count)
	 * and the directory are: the unnamed file's fsync writes its data and
	 * inode (and, on ext4 without a journal, its new directory entry),
	 * then flushes the disk's cache once; the directory's fsync is for
	 * the file systems where it does not. Before those return, a crash
	 * may leave the name without its data: harmless, since nothing refers
	 * to the name until the metadata commit that follows (an orphan the
	 * sweep removes). A renamed file's data was fdatasync'ed before. */
	if ((!was_named && fsync(t->fd) < 0) || fsync(s->dirfd) < 0) {
		err = -errno;
		unlinkat(s->dirfd, final, 0);
		return err;
	}
	return 0;
}

void storage_tmp_discard(struct storage *s, struct storage_tmp *t)
{
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	if (t->named) {
		unlinkat(s->dirfd, t->name, 0);
		t->named = false;
	}
}

int storage_remove(struct storage *s, const char *name)
{
	return unlinkat(s->dirfd, name, 0) < 0 ? -errno : 0;
}

int storage_open_object(struct storage *s, const char *name, uint64_t *size)
{
	struct stat st;
	int fd;

	if (!storage_valid_object_name(name))
		return -EINVAL;
	fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 look the digest up
 * again (a lock and a search) in every EVP_DigestInit_ex. */
static EVP_MD *name_md;
static pthread_once_t name_md_once = PTHREAD_ONCE_INIT;

static void name_md_fetch(void)
{
	name_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int storage_object_name(const char *filename, const char *version,
			const char *token, char out[STORAGE_NAME_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *ctx;
	int ok;

	pthread_once(&name_md_once, name_md_fetch);
	ctx = name_md ? EVP_MD_CTX_new() : NULL;
	/* The NUL keeps ("ab", "c") and ("a", "bc") apart. */
	ok = ctx && EVP_DigestInit_ex(ctx, name_md, NULL) &&
	     EVP_DigestUpdate(ctx, filename, strlen(filename) + 1) &&
	     EVP_DigestUpdate(ctx, version, strlen(version)) &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -ENOMEM;
	hex_encode(md, mdlen, hex);
	snprintf(out, STORAGE_NAME_MAX, "%.64s.%.32s", hex, token);
	return 0;
}

bool storage_valid_object_name(const char *name)
{
	size_t len = strlen(name), dot = 0;

	if (len == 0 || len >= STORAGE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (dot || i == 0 || i == len - 1)
				return false;
			dot = i;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return false;
		}
	}
	return dot != 0;
}

int storage_new_token(char out[UPLOAD_TOKEN_HEX + 1])
{
	unsigned char raw[UPLOAD_TOKEN_HEX / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	hex_encode(raw, sizeof(raw), out);
	return 0;
}
