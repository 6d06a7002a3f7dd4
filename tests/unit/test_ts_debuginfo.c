/* cmocka tests of src/threadview/elf_inflate.c and debuginfo.c on real ELF
 * files: this test binary (built with -g), its DWARF compressed by objcopy
 * as Debian's debug packages ship it, and a stripped copy with a separate
 * compressed debug file found through .gnu_debuglink, as libdw finds
 * libc6-dbg's. Checks the inflated copy section by section against the
 * original, that libdw reads file:line through the cache, and that a damaged
 * cache entry is replaced, never used. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>

#include "threadview/debuginfo.h"
#include "threadview/elf_inflate.h"

static char dir[] = "/tmp/ts-debuginfo-XXXXXX";
static char self[4096];

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static int run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int setup(void **state)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)state;
	if (n <= 0 || !mkdtemp(dir))
		return -1;
	self[n] = '\0';
	elf_version(EV_CURRENT);
	/* plain.o: this binary; zdebug: its DWARF compressed; prog + prog.debug:
	 * stripped, with the compressed DWARF beside it (.gnu_debuglink). */
	return run("cp %s %s/plain && objcopy --compress-debug-sections=zlib "
		   "%s/plain %s/zdebug && objcopy --only-keep-debug "
		   "--compress-debug-sections=zlib %s/plain %s/prog.debug && "
		   "objcopy --strip-debug --add-gnu-debuglink=%s/prog.debug "
		   "%s/plain %s/prog", self, dir, dir, dir, dir, dir, dir, dir,
		   dir) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	ts_debugcache_set_dir(NULL);
	return run("rm -rf %s", dir) ? -1 : 0;
}

static Elf *open_elf(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY);
	assert_true(*fd >= 0);
	return elf_begin(*fd, ELF_C_READ_MMAP, NULL);
}

/* Section named name of e, or NULL. */
static Elf_Scn *find_scn(Elf *e, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) &&
		    !strcmp(elf_strptr(e, shstrndx, sh.sh_name), name))
			return scn;
	return NULL;
}

/* Each PT_NOTE segment of the copy holds what the original's did. */
static void check_notes(Elf *p, Elf *o)
{
	size_t i, n, m, notes = 0;
	GElf_Phdr a, b;
	Elf_Data *da, *db;

	assert_int_equal(elf_getphdrnum(p, &n), 0);
	assert_int_equal(elf_getphdrnum(o, &m), 0);
	assert_int_equal(n, m);
	for (i = 0; i < n; i++) {
		assert_non_null(gelf_getphdr(p, i, &a));
		assert_non_null(gelf_getphdr(o, i, &b));
		assert_int_equal(a.p_type, b.p_type);
		assert_int_equal(a.p_vaddr, b.p_vaddr);
		if (a.p_type != PT_NOTE)
			continue;
		da = elf_getdata_rawchunk(p, a.p_offset, a.p_filesz, ELF_T_BYTE);
		db = elf_getdata_rawchunk(o, b.p_offset, b.p_filesz, ELF_T_BYTE);
		assert_non_null(da);
		assert_non_null(db);
		assert_memory_equal(da->d_buf, db->d_buf, a.p_filesz);
		notes++;
	}
	assert_true(notes > 0);
}

static void test_inflated_copy_matches_original(void **state)
{
	char zdebug[4096], out[4096];
	int zfd, ofd, pfd;
	Elf *z, *o, *p;
	Elf_Scn *scn = NULL, *oscn;
	size_t shstrndx, ncompressed = 0;
	const void *id1, *id2;
	GElf_Shdr sh, osh;

	(void)state;
	path_in(zdebug, sizeof(zdebug), "zdebug");
	path_in(out, sizeof(out), "inflated");
	zfd = open(zdebug, O_RDONLY);
	assert_true(zfd >= 0);
	assert_int_equal(ts_elf_write_inflated(zfd, out), 0);
	close(zfd);

	p = open_elf(self, &pfd);
	o = open_elf(out, &ofd);
	z = open_elf(zdebug, &zfd);
	assert_non_null(o);
	assert_int_equal(elf_getshdrstrndx(p, &shstrndx), 0);
	/* Every section of the original is there, same flags, same bytes. */
	while ((scn = elf_nextscn(p, scn))) {
		const char *name;
		Elf_Data *a, *b;

		assert_non_null(gelf_getshdr(scn, &sh));
		name = elf_strptr(p, shstrndx, sh.sh_name);
		oscn = find_scn(o, name);
		assert_non_null(oscn);
		assert_non_null(gelf_getshdr(oscn, &osh));
		assert_int_equal(osh.sh_type, sh.sh_type);
		assert_int_equal(osh.sh_flags, sh.sh_flags);
		assert_int_equal(osh.sh_size, sh.sh_size);
		assert_int_equal(osh.sh_addr, sh.sh_addr);
		if (sh.sh_type == SHT_NOBITS)
			continue;
		a = elf_rawdata(scn, NULL);
		b = elf_rawdata(oscn, NULL);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(a->d_size, b->d_size);
		assert_memory_equal(a->d_buf, b->d_buf, a->d_size);
	}
	/* objcopy did compress something, and the copy has none of it. */
	scn = NULL;
	while ((scn = elf_nextscn(z, scn)))
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
			ncompressed++;
	assert_true(ncompressed > 0);
	scn = NULL;
	while ((scn = elf_nextscn(o, scn))) {
		assert_non_null(gelf_getshdr(scn, &sh));
		assert_false(sh.sh_flags & SHF_COMPRESSED);
	}
	/* The build id still reads through the moved PT_NOTE segment. */
	assert_int_equal(dwelf_elf_gnu_build_id(p, &id1), 20);
	assert_int_equal(dwelf_elf_gnu_build_id(o, &id2), 20);
	assert_memory_equal(id1, id2, 20);
	check_notes(p, o);
	elf_end(p);
	elf_end(o);
	elf_end(z);
	close(pfd);
	close(ofd);
	close(zfd);
}

static void test_nothing_compressed_is_enodata(void **state)
{
	char out[4096];
	int fd = open(self, O_RDONLY);

	(void)state;
	path_in(out, sizeof(out), "never-written");
	assert_int_equal(ts_elf_write_inflated(fd, out), -ENODATA);
	assert_int_equal(access(out, F_OK), -1);
	close(fd);
}

static void test_not_elf_is_einval(void **state)
{
	char out[4096];
	int fd = open("/proc/self/status", O_RDONLY);

	(void)state;
	path_in(out, sizeof(out), "never-written");
	assert_int_equal(ts_elf_write_inflated(fd, out), -EINVAL);
	assert_int_equal(access(out, F_OK), -1);
	close(fd);
}

/* Reports prog offline with the taskscope callbacks and looks up the
 * source line of setup() in it. Returns the debug file libdw used. */
static char *lookup_line(int *line)
{
	static char *debuginfo_path;
	static const Dwfl_Callbacks cbs = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = ts_find_debuginfo,
		.section_address = dwfl_offline_section_address,
		.debuginfo_path = &debuginfo_path,
	};
	char prog[4096], *debugfile = NULL;
	const char *dbg, *file;
	Dwfl_Module *mod;
	Dwfl_Line *l;
	GElf_Sym sym;
	GElf_Addr addr = 0;
	Dwarf_Addr bias;
	Dwfl *dwfl;
	int i, n;

	path_in(prog, sizeof(prog), "prog");
	dwfl = dwfl_begin(&cbs);
	assert_non_null(dwfl);
	mod = dwfl_report_offline(dwfl, "prog", prog, -1);
	assert_non_null(mod);
	assert_int_equal(dwfl_report_end(dwfl, NULL, NULL), 0);
	n = dwfl_module_getsymtab(mod);
	for (i = 0; i < n; i++)
		if (dwfl_module_getsym(mod, i, &sym, NULL) &&
		    !strcmp(dwfl_module_getsym(mod, i, &sym, NULL), "setup"))
			addr = sym.st_value;
	assert_true(addr != 0);
	assert_non_null(dwfl_module_getdwarf(mod, &bias));
	l = dwfl_module_getsrc(mod, addr);
	assert_non_null(l);
	file = dwfl_lineinfo(l, NULL, line, NULL, NULL, NULL);
	assert_non_null(file);
	assert_non_null(strstr(file, "test_ts_debuginfo.c"));
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &dbg);
	if (dbg)
		debugfile = strdup(dbg);
	dwfl_end(dwfl);
	return debugfile;
}

static int cache_entries(const char *cache)
{
	struct dirent *de;
	DIR *d = opendir(cache);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".debug") != NULL;
	closedir(d);
	return n;
}

static void test_cache_through_debuglink(void **state)
{
	char cache[4096], *used;
	int line0, line;

	(void)state;
	/* No cache: the separate file itself, found by its debuglink. */
	ts_debugcache_set_dir(NULL);
	used = lookup_line(&line0);
	assert_non_null(used);
	assert_non_null(strstr(used, "/prog.debug"));
	free(used);

	path_in(cache, sizeof(cache), "cache/sub");
	assert_int_equal(ts_debugcache_set_dir(cache), 0);
	used = lookup_line(&line);        /* fills the cache */
	assert_int_equal(line, line0);
	assert_non_null(used);
	assert_non_null(strstr(used, "/cache/sub/"));
	free(used);
	assert_int_equal(cache_entries(cache), 1);
	used = lookup_line(&line);        /* uses it */
	assert_int_equal(line, line0);
	assert_non_null(strstr(used, "/cache/sub/"));
	assert_int_equal(run("truncate -s 100 %s", used), 0);
	free(used);
	used = lookup_line(&line);        /* damaged: replaced */
	assert_int_equal(line, line0);
	assert_non_null(strstr(used, "/cache/sub/"));
	assert_int_equal(cache_entries(cache), 1);
	free(used);
}

static void test_default_dir(void **state)
{
	char *d;

	(void)state;
	setenv("TASKSCOPE_CACHE_DIR", "", 1);
	assert_null(ts_debugcache_default_dir());
	setenv("TASKSCOPE_CACHE_DIR", "/x/y", 1);
	d = ts_debugcache_default_dir();
	assert_string_equal(d, "/x/y");
	free(d);
	unsetenv("TASKSCOPE_CACHE_DIR");
	setenv("XDG_CACHE_HOME", "/c", 1);
	d = ts_debugcache_default_dir();
	assert_string_equal(d, "/c/taskscope");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/h", 1);
	d = ts_debugcache_default_dir();
	assert_string_equal(d, "/h/.cache/taskscope");
	free(d);
	assert_true(ts_debugcache_set_dir("/proc/no-such-dir/x") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inflated_copy_matches_original),
		cmocka_unit_test(test_nothing_compressed_is_enodata),
		cmocka_unit_test(test_not_elf_is_einval),
		cmocka_unit_test(test_cache_through_debuglink),
		cmocka_unit_test(test_default_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
