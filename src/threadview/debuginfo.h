/* Finding a module's separate debug info on this machine, never over the
 * network, and a cache of debug files with their DWARF sections stored
 * uncompressed.
 *
 * Why: libdw's dwfl_standard_find_debuginfo dlopens libdebuginfod (curl,
 * gnutls, krb5...: ~10 ms) for any module without local debug info (the
 * vdso always), and would fetch files over HTTP when DEBUGINFOD_URLS is
 * set; a snapshot must not wait on a network. And Debian's -dbg/-dbgsym
 * files compress their DWARF: libdw inflates every debug section of a file
 * when it first opens it (libc6-dbg: 4 MB -> 10 MB, ~60 ms of CPU per
 * run). The cache keeps an uncompressed copy per build id, which libdw then
 * maps without inflating anything; only the first run pays. */
#ifndef THREADVIEW_DEBUGINFO_H
#define THREADVIEW_DEBUGINFO_H

#include <elfutils/libdwfl.h>

/* Dwfl_Callbacks.find_debuginfo: the separate debug file of mod, looked up
 * by build id under /usr/lib/debug/.build-id, else by its .gnu_debuglink
 * name beside the file, in its .debug/ or under /usr/lib/debug (checked
 * against the build id), else libdw's standard search for modules without
 * a build id. Through the cache when one is set (ts_debugcache_set_dir).
 * Returns an open fd (libdw owns it; *debuginfo_file_name is malloc'd and
 * libdw frees it) or -1 when there is none. Called by libdw on whatever
 * thread uses the Dwfl. */
int ts_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
		      Dwarf_Addr base, const char *file_name,
		      const char *debuglink_file, GElf_Word debuglink_crc,
		      char **debuginfo_file_name);

/* The cache directory taskscope uses unless told otherwise:
 * $TASKSCOPE_CACHE_DIR (empty = no cache), else $XDG_CACHE_HOME/taskscope,
 * else $HOME/.cache/taskscope. Returns a malloc'd path (caller frees) or
 * NULL for no cache. */
char *ts_debugcache_default_dir(void);

/* Uses dir (created 0700 when missing) for cached uncompressed debug files
 * from now on; NULL turns the cache off (the default: uploadd's in-process
 * dump never writes files). Copies dir. Call before any unwinder exists,
 * from one thread. Returns 0, or -errno when dir cannot be created (the
 * cache is then off). */
int ts_debugcache_set_dir(const char *dir);

#endif
