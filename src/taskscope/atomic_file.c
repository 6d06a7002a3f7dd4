/* Atomic whole-file writes (see atomic_file.h). */
#include "taskscope/atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"

int ts_write_file_atomic(const char *path, const void *buf, size_t len)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	int fd, err;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		goto free_tmp;
	}
	/* mkstemp makes it 0600; an output file is for others to read. */
	err = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (!err)
		err = io_write_all(fd, buf, len);
	if (!err && fsync(fd) < 0)
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
