/* The build kernel's minimal CO-RE BTF, used on that kernel only (see
 * core_btf.h). */
#include "taskscope/core_btf.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "snapshot_core_btf.h"

#if TS_CORE_BTF
/* True when the running kernel is the one the minimal BTF was cut from:
 * same release and version strings, same BTF size, and the same ELF notes
 * (which carry the kernel's build id). */
static bool same_kernel(void)
{
	unsigned char notes[sizeof(ts_core_notes) + 1];
	struct utsname u;
	struct stat st;
	ssize_t n;
	int fd;

	if (uname(&u) || strcmp(u.release, ts_core_release) ||
	    strcmp(u.version, ts_core_version))
		return false;
	if (stat("/sys/kernel/btf/vmlinux", &st) ||
	    st.st_size != ts_core_vmlinux_size)
		return false;
	fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, notes, sizeof(notes));
	close(fd);
	return n == (ssize_t)sizeof(ts_core_notes) &&
	       !memcmp(notes, ts_core_notes, sizeof(ts_core_notes));
}

int ts_core_btf_open(char *path, size_t len)
{
	int fd;

	if (!same_kernel()) {
		log_debug(1, "CO-RE: this kernel is not the build kernel: "
			  "relocating against the full vmlinux BTF");
		return -1;
	}
	fd = memfd_create("taskscope-core-btf", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (io_write_all(fd, ts_core_btf, sizeof(ts_core_btf)) ||
	    snprintf(path, len, "/proc/self/fd/%d", fd) >= (int)len) {
		close(fd);
		return -1;
	}
	return fd;
}
#else
int ts_core_btf_open(char *path, size_t len)
{
	(void)path;
	(void)len;
	return -1;
}
#endif
