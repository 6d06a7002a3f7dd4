/* A process's modules in one libdw session, and pc -> function/module/
 * file:line with a per-process cache (see symbolize.h). The cache is an
 * open-addressing hash table keyed by the pc as given plus the
 * return-address bit; its strings are interned so frames can point at them
 * for the symbolizer's lifetime. Behind it, one cache shared by every
 * symbolizer of this process, keyed by the module's build-id and the pc's
 * offset in it: the same libc in 200 processes (snapshot --all) is looked
 * up once, not once per process (libdw parses a module's DWARF again in
 * each session: ~4 ms a process). */
#include "threadview/symbolize.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdwfl.h>

#include "threadview/debuginfo.h"

struct ts_symentry {
	uint64_t key;              /* pc << 1 | is_return_addr; 0 = empty */
	struct ts_frame frame;
	int rc;
};

/* Interned strings: a singly linked list of allocations, freed together. */
struct ts_strnode {
	struct ts_strnode *next;
	char s[];
};

struct ts_symcache {
	struct ts_symentry *slots;
	size_t cap, used;
	struct ts_strnode *strings;
};

struct ts_symbolizer {
	Dwfl *dwfl;
	pid_t pid;
	struct ts_symcache cache;
};

/* ---- the cache shared across symbolizers ---------------------------- */

#define BUILD_ID_MAX 32

struct ts_sharedentry {
	uint64_t rel;              /* pc - module start */
	uint8_t bid[BUILD_ID_MAX];
	uint8_t bidlen;            /* 0 = empty slot */
	bool ret;                  /* is_return_addr */
	struct ts_frame frame;     /* pc not meaningful: set per call */
	int rc;
};

/* Its strings outlive every symbolizer (frames point at them), so they
 * live as long as the process. The mutex: snapshot's prewarm thread may
 * symbolize while the main thread does. */
static struct {
	pthread_mutex_t mu;
	struct ts_sharedentry *slots;
	size_t cap, used;
	struct ts_strnode *strings;
} shared = { .mu = PTHREAD_MUTEX_INITIALIZER };

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	/* Local files only (and the inflated-DWARF cache): see debuginfo.h. */
	.find_debuginfo = ts_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* Reports pid's file-backed mappings and its vdso to dwfl: what
 * dwfl_linux_proc_report does, without its sscanf of every anonymous line
 * (a 10,000-thread process has 20,000 of them, stacks and guard pages:
 * ~25 ms). The vdso is found by its [vdso] line rather than the auxv.
 * Returns 0 or an errno. */
static int report_modules(Dwfl *dwfl, pid_t pid)
{
	char path[64], *line = NULL, *buf = NULL;
	unsigned long long vlo = 0, vhi = 0;
	size_t cap = 0, len = 0;
	FILE *in, *out, *maps;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	in = fopen(path, "re");
	if (!in)
		return errno;
	out = open_memstream(&buf, &len);
	if (!out) {
		fclose(in);
		return ENOMEM;
	}
	/* No '/' before the path field: the first one starts a file name. */
	while (getline(&line, &cap, in) > 0) {
		if (strchr(line, '/'))
			fputs(line, out);
		else if (strstr(line, " [vdso]"))
			sscanf(line, "%llx-%llx", &vlo, &vhi);
	}
	free(line);
	if (ferror(in))
		err = EIO;
	fclose(in);
	if (fclose(out) && !err)
		err = ENOMEM;
	if (!err && len == 0)
		err = ENOEXEC;                /* no file mapped: exited */
	if (!err) {
		maps = fmemopen(buf, len, "r");
		err = maps ? dwfl_linux_proc_maps_report(dwfl, maps) : errno;
		if (maps)
			fclose(maps);
	}
	free(buf);
	if (!err && vhi > vlo) {
		/* The name dwfl_linux_proc_find_elf reads from /proc/PID/mem. */
		snprintf(path, sizeof(path), "[vdso: %d]", pid);
		if (!dwfl_report_module(dwfl, path, vlo, vhi))
			err = ENOMEM;
	}
	return err;
}

struct ts_symbolizer *ts_symbolizer_new(pid_t pid)
{
	struct ts_symbolizer *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->pid = pid;
	s->cache.cap = 1024;
	s->cache.slots = calloc(s->cache.cap, sizeof(*s->cache.slots));
	if (!s->cache.slots)
		goto free_s;
	s->dwfl = dwfl_begin(&proc_callbacks);
	if (!s->dwfl) {
		errno = ENOMEM;
		goto free_slots;
	}
	dwfl_report_begin(s->dwfl);
	err = report_modules(s->dwfl, pid);
	if (dwfl_report_end(s->dwfl, NULL, NULL) != 0 || err != 0) {
		errno = err > 0 ? err : ESRCH;
		goto end_dwfl;
	}
	return s;

end_dwfl:
	dwfl_end(s->dwfl);
free_slots:
	free(s->cache.slots);
free_s:
	free(s);
	return NULL;
}

static int prewarm_module(Dwfl_Module *mod, void **userdata, const char *name,
			  Dwarf_Addr start, void *arg)
{
	Dwarf_Addr bias;

	(void)userdata;
	(void)name;
	(void)start;
	(void)arg;
	dwfl_module_getsymtab(mod);
	dwfl_module_eh_cfi(mod, &bias);
	dwfl_module_getdwarf(mod, &bias);
	return DWARF_CB_OK;
}

int ts_symbolizer_prewarm(struct ts_symbolizer *s)
{
	dwfl_getmodules(s->dwfl, prewarm_module, NULL, 0);
	return 0;
}

static int open_module(Dwfl_Module *mod, void **userdata, const char *name,
		       Dwarf_Addr start, void *arg)
{
	Dwarf_Addr bias;
	int *failed = arg;

	(void)userdata;
	(void)name;
	(void)start;
	if (!dwfl_module_getelf(mod, &bias))
		(*failed)++;
	return DWARF_CB_OK;
}

int ts_symbolizer_open(struct ts_symbolizer *s)
{
	int failed = 0;

	dwfl_getmodules(s->dwfl, open_module, &failed, 0);
	return failed;
}

void ts_symbolizer_free(struct ts_symbolizer *s)
{
	struct ts_strnode *n, *next;

	if (!s)
		return;
	dwfl_end(s->dwfl);
	for (n = s->cache.strings; n; n = next) {
		next = n->next;
		free(n);
	}
	free(s->cache.slots);
	free(s);
}

Dwfl *ts_symbolizer_dwfl(struct ts_symbolizer *s)
{
	return s->dwfl;
}

/* Returns a copy of s owned by the cache, or NULL (s NULL or no memory).
 * Consecutive equal strings (module, file) are shared. */
static const char *intern(struct ts_strnode **list, const char *s)
{
	struct ts_strnode *n;
	size_t len;

	if (!s)
		return NULL;
	for (n = *list; n; n = n->next)
		if (!strcmp(n->s, s))
			return n->s;
	len = strlen(s) + 1;
	n = malloc(sizeof(*n) + len);
	if (!n)
		return NULL;
	memcpy(n->s, s, len);
	n->next = *list;
	*list = n;
	return n->s;
}

char *ts_strip_symver(const char *name, char *buf, size_t len)
{
	size_t n = strcspn(name, "@");

	if (n >= len)
		n = len - 1;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

static uint64_t hash_key(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static struct ts_symentry *slot_for(struct ts_symcache *c, uint64_t key)
{
	size_t i = hash_key(key) & (c->cap - 1);

	while (c->slots[i].key && c->slots[i].key != key)
		i = (i + 1) & (c->cap - 1);
	return &c->slots[i];
}

static int grow(struct ts_symcache *c)
{
	struct ts_symentry *old = c->slots;
	size_t oldcap = c->cap, i;

	c->slots = calloc(oldcap * 2, sizeof(*c->slots));
	if (!c->slots) {
		c->slots = old;
		return -ENOMEM;
	}
	c->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++)
		if (old[i].key)
			*slot_for(c, old[i].key) = old[i];
	free(old);
	return 0;
}

/* The actual libdw lookups, uncached. */
static int lookup(Dwfl *dwfl, struct ts_symcache *c, uint64_t pc,
		  bool is_return_addr, struct ts_frame *out)
{
	Dwarf_Addr addr = is_return_addr ? pc - 1 : pc, sym_off = 0;
	char name[512];
	const char *sym, *modname, *file;
	Dwfl_Module *mod;
	Dwfl_Line *line;
	GElf_Sym s;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	out->pc = pc;
	mod = dwfl_addrmodule(dwfl, addr);
	if (!mod)
		return -ENOENT;
	modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	out->module = intern(&c->strings, modname);
	sym = dwfl_module_addrinfo(mod, addr, &sym_off, &s, NULL, NULL, NULL);
	if (sym) {
		out->function = intern(&c->strings, ts_strip_symver(sym, name, sizeof(name)));
		/* Offset of the pc itself, as debuggers print it. */
		out->offset = sym_off + (pc - addr);
	}
	line = dwfl_module_getsrc(mod, addr);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file) {
			out->file = intern(&c->strings, file);
			out->line = lineno;
		}
	}
	return 0;
}

static uint64_t shared_hash(const uint8_t *bid, size_t len, uint64_t rel,
			    bool ret)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ bid[i]) * 1099511628211ull;
	return hash_key(h ^ (rel << 1 | ret));
}

static struct ts_sharedentry *shared_slot(const uint8_t *bid, size_t len,
					  uint64_t rel, bool ret)
{
	size_t i = shared_hash(bid, len, rel, ret) & (shared.cap - 1);

	while (shared.slots[i].bidlen &&
	       !(shared.slots[i].bidlen == len && shared.slots[i].rel == rel &&
		 shared.slots[i].ret == ret && !memcmp(shared.slots[i].bid, bid, len)))
		i = (i + 1) & (shared.cap - 1);
	return &shared.slots[i];
}

static int shared_grow(void)
{
	struct ts_sharedentry *old = shared.slots, *e;
	size_t oldcap = shared.cap, i;
	size_t cap = oldcap ? oldcap * 2 : 1024;

	shared.slots = calloc(cap, sizeof(*shared.slots));
	if (!shared.slots) {
		shared.slots = old;
		return -ENOMEM;
	}
	shared.cap = cap;
	for (i = 0; i < oldcap; i++) {
		if (!old[i].bidlen)
			continue;
		e = shared_slot(old[i].bid, old[i].bidlen, old[i].rel, old[i].ret);
		*e = old[i];
	}
	free(old);
	return 0;
}

/* The module at pc's build-id and pc's offset in it; false when libdw
 * does not know the build-id (no ELF, no note): no sharing then. */
static bool shared_key(Dwfl *dwfl, uint64_t pc, bool ret, const uint8_t **bid,
		       int *len, uint64_t *rel)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, ret ? pc - 1 : pc);
	Dwarf_Addr start, bias;
	GElf_Addr vaddr;

	if (!mod)
		return false;
	/* The build-id is known once the module's ELF is open, which
	 * unwinding (its CFI) has done for every module of a stack. */
	dwfl_module_getelf(mod, &bias);
	*len = dwfl_module_build_id(mod, bid, &vaddr);
	if (*len <= 0 || *len > BUILD_ID_MAX)
		return false;
	dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	*rel = pc - start;
	return true;
}

/* Makes f's strings the shared cache's, which outlive the symbolizer. */
static void shared_intern(struct ts_frame *f)
{
	f->module = intern(&shared.strings, f->module);
	f->function = intern(&shared.strings, f->function);
	f->file = intern(&shared.strings, f->file);
}

/* pc through the shared cache: a hit costs no libdw lookup; a miss looks
 * up, and stores the answer for the other processes. */
static int lookup_shared(Dwfl *dwfl, struct ts_symcache *c, uint64_t pc,
			 bool ret, struct ts_frame *out)
{
	struct ts_sharedentry *e;
	const uint8_t *bid;
	uint64_t rel;
	int len, rc;

	if (!shared_key(dwfl, pc, ret, &bid, &len, &rel))
		return lookup(dwfl, c, pc, ret, out);
	pthread_mutex_lock(&shared.mu);
	if (shared.cap) {
		e = shared_slot(bid, len, rel, ret);
		if (e->bidlen) {
			*out = e->frame;
			out->pc = pc;
			rc = e->rc;
			pthread_mutex_unlock(&shared.mu);
			return rc;
		}
	}
	pthread_mutex_unlock(&shared.mu);
	rc = lookup(dwfl, c, pc, ret, out);
	pthread_mutex_lock(&shared.mu);
	if ((shared.used + 1) * 2 > shared.cap && shared_grow()) {
		pthread_mutex_unlock(&shared.mu);
		return rc;            /* a valid answer, just not shared */
	}
	shared_intern(out);
	e = shared_slot(bid, len, rel, ret);
	if (!e->bidlen) {
		memcpy(e->bid, bid, len);
		e->bidlen = (uint8_t)len;
		e->rel = rel;
		e->ret = ret;
		e->frame = *out;
		e->rc = rc;
		shared.used++;
	}
	pthread_mutex_unlock(&shared.mu);
	return rc;
}

int ts_symbolize(struct ts_symbolizer *s, uint64_t pc, bool is_return_addr,
		 struct ts_frame *out)
{
	struct ts_symcache *c = &s->cache;
	uint64_t key = pc << 1 | (is_return_addr ? 1 : 0);
	struct ts_symentry *e;
	int rc;

	/* No module lies at pc 0 or above 2^63 (user space ends at 2^47);
	 * a damaged stack can still yield such a pc, and its key would
	 * alias another pc's (the shift drops bit 63). */
	if (key == 0 || pc >> 63) {
		memset(out, 0, sizeof(*out));
		out->pc = pc;
		return -ENOENT;
	}
	e = slot_for(c, key);
	if (e->key) {
		*out = e->frame;
		return e->rc;
	}
	rc = lookup_shared(s->dwfl, c, pc, is_return_addr, out);
	if ((c->used + 1) * 2 > c->cap) {
		if (grow(c))
			return rc;    /* still a valid answer, just not cached */
		e = slot_for(c, key);
	}
	e->key = key;
	e->frame = *out;
	e->rc = rc;
	c->used++;
	return rc;
}
