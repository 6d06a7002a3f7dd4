/* Local separate-debug-info lookup and the inflated debug-file cache (see
 * debuginfo.h).
 *
 * The cache holds <build-id hex>.debug files written by elf_inflate.c. An
 * entry is used only when its own build-id note matches the module's, so a
 * damaged or foreign file is never taken (it is removed instead). Entries
 * are touched when used; once the directory grows past CACHE_MAX_BYTES the
 * least recently used go. */
#include "threadview/debuginfo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

#include "common/log.h"
#include "threadview/elf_inflate.h"

#define BUILD_ID_MAX 64
#define CACHE_MAX_BYTES (1ull << 30)

static char *cache_dir;

char *ts_debugcache_default_dir(void)
{
	const char *env = getenv("TASKSCOPE_CACHE_DIR"), *base;
	char *dir = NULL;

	if (env)
		return env[0] ? strdup(env) : NULL;
	if ((base = getenv("XDG_CACHE_HOME")) && base[0] == '/') {
		if (asprintf(&dir, "%s/taskscope", base) < 0)
			dir = NULL;
	} else if ((base = getenv("HOME")) && base[0] == '/') {
		if (asprintf(&dir, "%s/.cache/taskscope", base) < 0)
			dir = NULL;
	}
	return dir;
}

/* mkdir -p with mode 0700 for what it creates. Returns 0 or -errno. */
static int make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int ts_debugcache_set_dir(const char *dir)
{
	char *copy;
	int err;

	free(cache_dir);
	cache_dir = NULL;
	if (!dir)
		return 0;
	copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	err = make_dirs(copy);
	if (err || access(copy, W_OK | X_OK)) {
		err = err ? err : -errno;
		free(copy);
		return err;
	}
	cache_dir = copy;
	return 0;
}

/* True when the ELF file on fd carries the build id id[0..len). */
static bool has_build_id(int fd, const unsigned char *id, int len)
{
	const void *got;
	Elf *e;
	bool ok;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return false;
	ok = dwelf_elf_gnu_build_id(e, &got) == len && !memcmp(got, id, len);
	elf_end(e);
	return ok;
}

/* Opens path read-only when it has build id id. Returns fd or -1. */
static int open_checked(const char *path, const unsigned char *id, int len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && !has_build_id(fd, id, len)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The .gnu_debuglink places libdw's standard search tries, checked by
 * build id instead of CRC (reading the whole file for a CRC costs more). */
static int find_by_debuglink(const char *file_name, const char *link,
			     const unsigned char *id, int len, char **out)
{
	static const char *const fmts[] = { "%s/%s", "%s/.debug/%s",
					    "/usr/lib/debug%s/%s" };
	char *copy, *dir, path[4096];
	size_t i;
	int fd = -1;

	if (!file_name || !link || file_name[0] != '/')
		return -1;
	copy = strdup(file_name);
	if (!copy)
		return -1;
	dir = dirname(copy);
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]) && fd < 0; i++) {
		if (snprintf(path, sizeof(path), fmts[i], dir, link) >=
		    (int)sizeof(path))
			continue;
		fd = open_checked(path, id, len);
		if (fd >= 0)
			*out = strdup(path);
	}
	free(copy);
	return fd;
}

/* dir/<build id in hex>.debug into path. Returns false if it does not fit. */
static bool cache_path(const unsigned char *id, int len, char *path,
		       size_t size)
{
	size_t n;
	int i;

	n = snprintf(path, size, "%s/", cache_dir);
	for (i = 0; i < len && n < size; i++)
		n += snprintf(path + n, size - n, "%02x", id[i]);
	if (n < size)
		n += snprintf(path + n, size - n, ".debug");
	return n < size;
}

/* Removes the least recently used entries until the cache fits. */
static void cache_prune(void)
{
	struct dirent **ents;
	unsigned long long total = 0;
	char path[4096];
	struct stat st;
	int n, i, oldest;
	time_t *mt;
	off_t *sz;

	n = scandir(cache_dir, &ents, NULL, NULL);
	if (n < 0)
		return;
	mt = calloc(n ? n : 1, sizeof(*mt));
	sz = calloc(n ? n : 1, sizeof(*sz));
	for (i = 0; mt && sz && i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache_dir, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && !stat(path, &st) &&
		    S_ISREG(st.st_mode)) {
			mt[i] = st.st_mtime;
			sz[i] = st.st_size;
			total += st.st_size;
		}
	}
	while (mt && sz && total > CACHE_MAX_BYTES) {
		for (oldest = -1, i = 0; i < n; i++)
			if (sz[i] && (oldest < 0 || mt[i] < mt[oldest]))
				oldest = i;
		if (oldest < 0)
			break;
		snprintf(path, sizeof(path), "%s/%s", cache_dir,
			 ents[oldest]->d_name);
		unlink(path);
		total -= sz[oldest];
		sz[oldest] = 0;
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(mt);
	free(sz);
}

/* Opens the cache entry for build id id and marks it used. Returns its fd
 * (and its path in *name) or -1. A damaged entry is removed. */
static int cache_open(const unsigned char *id, int len, char **name)
{
	char path[4096];
	int fd;

	if (!cache_path(id, len, path, sizeof(path)))
		return -1;
	fd = open_checked(path, id, len);
	if (fd < 0) {
		if (access(path, F_OK) == 0)
			unlink(path);   /* damaged or foreign: made anew */
		return -1;
	}
	futimens(fd, NULL);             /* recently used: pruned last */
	*name = strdup(path);
	return fd;
}

/* Makes the cache entry for build id id from the debug file on fd (named
 * src). Returns the entry's fd (its path replaces *name) or -1 when the
 * file has nothing compressed or the entry cannot be written. */
static int cache_fill(const unsigned char *id, int len, int fd, char **name)
{
	char path[4096];
	int err;

	if (!cache_path(id, len, path, sizeof(path)))
		return -1;
	err = ts_elf_write_inflated(fd, path);
	if (err) {
		if (err != -ENODATA)
			log_debug(1, "cannot cache the inflated debug info %s "
				  "in %s: %s", *name ? *name : "?", cache_dir,
				  strerror(-err));
		return -1;
	}
	cache_prune();
	fd = open_checked(path, id, len);
	if (fd >= 0) {
		free(*name);
		*name = strdup(path);
	}
	return fd;
}

int ts_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
		      Dwarf_Addr base, const char *file_name,
		      const char *debuglink_file, GElf_Word debuglink_crc,
		      char **debuginfo_file_name)
{
	const unsigned char *id;
	GElf_Addr id_vaddr;
	char *name = NULL;
	int len, fd, cfd;

	len = dwfl_module_build_id(mod, &id, &id_vaddr);
	if (len <= 0 || len > BUILD_ID_MAX)
		/* No build id: libdw's search checks the debuglink CRC, and
		 * without a build id it never asks debuginfod. */
		return dwfl_standard_find_debuginfo(mod, userdata, modname,
						    base, file_name,
						    debuglink_file,
						    debuglink_crc,
						    debuginfo_file_name);
	if (cache_dir && (fd = cache_open(id, len, debuginfo_file_name)) >= 0)
		return fd;
	fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base,
					  file_name, debuglink_file,
					  debuglink_crc, &name);
	if (fd < 0)
		fd = find_by_debuglink(file_name, debuglink_file, id, len, &name);
	if (fd >= 0 && cache_dir && (cfd = cache_fill(id, len, fd, &name)) >= 0) {
		close(fd);
		fd = cfd;
	}
	*debuginfo_file_name = name;
	return fd;
}
