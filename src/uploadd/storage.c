/* Storage directory operations (see storage.h). */
#include "uploadd/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

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

int storage_create_temp(struct storage *s, const char *token,
			char name[STORAGE_NAME_MAX])
{
	int fd;

	snprintf(name, STORAGE_NAME_MAX, "%s%s", STORAGE_TMP_PREFIX, token);
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0640);
	return fd < 0 ? -errno : fd;
}

int storage_commit(struct storage *s, const char *tmp, const char *final)
{
	if (renameat2(s->dirfd, tmp, s->dirfd, final, RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return -errno;
		/* A file system without RENAME_NOREPLACE: link() refuses to
		 * replace too, then the temp name goes. */
		if (linkat(s->dirfd, tmp, s->dirfd, final, 0) < 0)
			return -errno;
		unlinkat(s->dirfd, tmp, 0);
	}
	/* The rename is durable only once the directory is. */
	if (fsync(s->dirfd) < 0)
		return -errno;
	return 0;
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

int storage_object_name(const char *filename, const char *version,
			const char *token, char out[STORAGE_NAME_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	/* The NUL keeps ("ab", "c") and ("a", "bc") apart. */
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
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
