/* Atomic whole-file writes (see atomic_file.h). */
#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"

int atomic_file_write(const char *path, int (*fill)(int fd, void *arg),
		      void *arg, bool durable)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	int fd, err;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto free_tmp;
	}
	/* mkstemp makes it 0600; an output file is for others to read. */
	err = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (!err)
		err = fill(fd, arg);
	if (!err && durable && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
free_tmp:
	free(tmp);
	return err;
}

struct buf_arg {
	const void *buf;
	size_t len;
};

static int fill_buf(int fd, void *arg)
{
	const struct buf_arg *b = arg;

	return io_write_all(fd, b->buf, b->len);
}

int atomic_file_write_buf(const char *path, const void *buf, size_t len)
{
	struct buf_arg b = { buf, len };

	return atomic_file_write(path, fill_buf, &b, true);
}
