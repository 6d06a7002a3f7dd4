/* pc -> function/module/file:line with a per-process cache (see
 * symbolize.h). The cache is an open-addressing hash table keyed by the
 * pc as given plus the return-address bit; its strings are interned so
 * frames can point at them for the unwinder's lifetime. */
#include "taskscope/symbolize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdwfl.h>

#include "taskscope/unwind.h"

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

struct ts_symcache *ts_symcache_new(void)
{
	struct ts_symcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cap = 1024;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	return c;
}

void ts_symcache_free(struct ts_symcache *c)
{
	struct ts_strnode *n, *next;

	if (!c)
		return;
	for (n = c->strings; n; n = next) {
		next = n->next;
		free(n);
	}
	free(c->slots);
	free(c);
}

/* Returns a copy of s owned by the cache, or NULL (s NULL or no memory).
 * Consecutive equal strings (module, file) are shared. */
static const char *intern(struct ts_symcache *c, const char *s)
{
	struct ts_strnode *n;
	size_t len;

	if (!s)
		return NULL;
	for (n = c->strings; n; n = n->next)
		if (!strcmp(n->s, s))
			return n->s;
	len = strlen(s) + 1;
	n = malloc(sizeof(*n) + len);
	if (!n)
		return NULL;
	memcpy(n->s, s, len);
	n->next = c->strings;
	c->strings = n;
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
	out->module = intern(c, modname);
	sym = dwfl_module_addrinfo(mod, addr, &sym_off, &s, NULL, NULL, NULL);
	if (sym) {
		out->function = intern(c, ts_strip_symver(sym, name, sizeof(name)));
		/* Offset of the pc itself, as debuggers print it. */
		out->offset = sym_off + (pc - addr);
	}
	line = dwfl_module_getsrc(mod, addr);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file) {
			out->file = intern(c, file);
			out->line = lineno;
		}
	}
	return 0;
}

int ts_symbolize(struct ts_unwinder *u, uint64_t pc, bool is_return_addr,
		 struct ts_frame *out)
{
	struct ts_symcache *c = ts_unwinder_symcache(u);
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
	rc = lookup(ts_unwinder_dwfl(u), c, pc, is_return_addr, out);
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
