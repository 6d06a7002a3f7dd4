/* Go pc -> frames (see go_symbolize.h). Functions are indexed once from
 * the top-level DW_TAG_subprogram entries of every compile unit (sorted
 * by address; a binary search per pc), with the ELF symbol table as the
 * fallback for code DWARF does not describe. Inlined calls are the
 * DW_TAG_inlined_subroutine entries containing the pc; each one's
 * DW_AT_call_file/call_line is where its caller called it. */
#include "taskscope/go/go_symbolize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#define MAX_INLINE 16

struct func {
	uint64_t lo, hi;           /* link addresses */
	Dwarf_Off die;             /* 0: from the symbol table */
	const char *name;
};

struct cached {
	uint64_t key;              /* pc << 1 | is_return; 0 empty */
	int n;
	struct ts_goframe fr[MAX_INLINE];
};

struct ts_gosym {
	const struct ts_go_binary *b;
	Dwarf *dbg;
	struct func *funcs;
	size_t nfuncs;
	struct cached *cache;
	size_t cap, used;
};

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int add_func(struct ts_gosym *s, size_t *cap, uint64_t lo, uint64_t hi,
		    Dwarf_Off die, const char *name)
{
	if (s->nfuncs == *cap) {
		size_t nc = *cap ? *cap * 2 : 4096;
		struct func *nf = realloc(s->funcs, nc * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		s->funcs = nf;
		*cap = nc;
	}
	s->funcs[s->nfuncs++] = (struct func){ lo, hi, die, name };
	return 0;
}

static void index_dwarf(struct ts_gosym *s, size_t *cap)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(s->dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;

		if (dwarf_offdie(s->dbg, off + hsize, &cu) &&
		    dwarf_child(&cu, &d) == 0) {
			do {
				Dwarf_Addr lo, hi;

				if (dwarf_tag(&d) != DW_TAG_subprogram ||
				    dwarf_lowpc(&d, &lo) || dwarf_highpc(&d, &hi) ||
				    hi <= lo)
					continue;
				if (add_func(s, cap, lo, hi, dwarf_dieoffset(&d),
					     dwarf_diename(&d)))
					return;
			} while (dwarf_siblingof(&d, &d) == 0);
		}
		off = next;
	}
}

/* Functions the DWARF lacks (some assembly), from .symtab: added with
 * die 0; sorting puts them beside the DWARF ones, and lookups prefer the
 * entry with DWARF when both start at the same address. */
struct symtab_index {
	struct ts_gosym *s;
	size_t *cap;
};

static int index_func_symbol(const struct ts_go_sym *sym, void *arg)
{
	struct symtab_index *x = arg;

	if (!sym->func || !sym->size)
		return 0;
	return add_func(x->s, x->cap, sym->value, sym->value + sym->size, 0,
			sym->name) ? 1 : 0;
}

static void index_symtab(struct ts_gosym *s, size_t *cap)
{
	struct symtab_index x = { s, cap };

	ts_go_each_symbol(s->b, index_func_symbol, &x);
}

struct ts_gosym *ts_gosym_new(const struct ts_go_binary *b)
{
	struct ts_gosym *s = calloc(1, sizeof(*s));
	size_t cap = 0;

	if (!s)
		return NULL;
	s->b = b;
	s->dbg = b->dwarf;
	if (s->dbg)
		index_dwarf(s, &cap);
	index_symtab(s, &cap);
	qsort(s->funcs, s->nfuncs, sizeof(*s->funcs), cmp_func);
	s->cap = 1024;
	s->cache = calloc(s->cap, sizeof(*s->cache));
	if (!s->cache) {
		ts_gosym_free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void ts_gosym_free(struct ts_gosym *s)
{
	if (!s)
		return;
	free(s->funcs);
	free(s->cache);
	free(s);
}

/* The function containing link address a: the last entry starting at or
 * before it that also covers it; DWARF entries win over symbols. */
static const struct func *find(const struct ts_gosym *s, uint64_t a)
{
	size_t lo = 0, hi = s->nfuncs, i;
	const struct func *best = NULL;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->funcs[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Entries before lo start at or before a; look back over the few
	 * that share a start address. */
	for (i = lo; i > 0; i--) {
		const struct func *f = &s->funcs[i - 1];

		if (best && f->lo != best->lo)
			break;
		if (a < f->hi && (!best || (!best->die && f->die)))
			best = f;
		if (!best && a >= f->hi)
			break;
	}
	return best;
}

const char *ts_gosym_func(struct ts_gosym *s, uint64_t pc, uint64_t *entry)
{
	const struct func *f = find(s, pc - s->b->bias);

	if (!f)
		return NULL;
	if (entry)
		*entry = f->lo + s->b->bias;
	return f->name;
}

/* Collects the inlined subroutines of die containing a, outermost first. */
static int inlines(Dwarf_Die *die, Dwarf_Addr a, Dwarf_Die *out, int n)
{
	Dwarf_Die child;

	if (n >= MAX_INLINE - 1 || dwarf_child(die, &child))
		return n;
	do {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_inlined_subroutine && dwarf_haspc(&child, a) > 0) {
			out[n++] = child;
			return inlines(&child, a, out, n);
		}
		if (tag == DW_TAG_lexical_block && dwarf_haspc(&child, a) > 0)
			return inlines(&child, a, out, n);
	} while (dwarf_siblingof(&child, &child) == 0);
	return n;
}

static const char *call_file(Dwarf_Die *inl, Dwarf_Files *files)
{
	Dwarf_Attribute at;
	Dwarf_Word idx;

	if (!files || !dwarf_attr(inl, DW_AT_call_file, &at) ||
	    dwarf_formudata(&at, &idx))
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

static int call_line(Dwarf_Die *inl)
{
	Dwarf_Attribute at;
	Dwarf_Word v;

	if (!dwarf_attr(inl, DW_AT_call_line, &at) || dwarf_formudata(&at, &v))
		return 0;
	return (int)v;
}

static int lookup(struct ts_gosym *s, uint64_t pc, bool is_return,
		  struct ts_goframe *out)
{
	uint64_t a = pc - s->b->bias - (is_return ? 1 : 0);
	const struct func *f = find(s, a);
	Dwarf_Die fd, cu, inl[MAX_INLINE];
	Dwarf_Files *files = NULL;
	Dwarf_Line *ln;
	size_t nf;
	int n = 0, k, i;
	const char *file = NULL;
	int line = 0;

	memset(out, 0, sizeof(*out));
	out->pc = pc;
	if (!f)
		return 1;
	out->function = f->name;
	out->offset = pc - s->b->bias - f->lo;
	if (!f->die || !dwarf_offdie(s->dbg, f->die, &fd) ||
	    !dwarf_diecu(&fd, &cu, NULL, NULL))
		return 1;
	ln = dwarf_getsrc_die(&cu, a);
	if (ln) {
		file = dwarf_linesrc(ln, NULL, NULL);
		dwarf_lineno(ln, &line);
	}
	if (dwarf_getsrcfiles(&cu, &files, &nf))
		files = NULL;
	k = inlines(&fd, a, inl, 0);
	/* Innermost first: the deepest inline at the line table's position,
	 * then each caller at the call site of the one inside it. */
	for (i = k - 1; i >= 0; i--) {
		out[n].pc = 0;
		out[n].function = dwarf_diename(&inl[i]);
		out[n].file = file;
		out[n].line = line;
		out[n].inlined = true;
		n++;
		file = call_file(&inl[i], files);
		line = call_line(&inl[i]);
	}
	out[n].pc = pc;
	out[n].function = f->name;
	out[n].offset = pc - s->b->bias - f->lo;
	out[n].file = file;
	out[n].line = line;
	out[n].inlined = false;
	return n + 1;
}

static uint64_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static struct cached *slot(struct ts_gosym *s, uint64_t key)
{
	size_t i = hash64(key) & (s->cap - 1);

	while (s->cache[i].key && s->cache[i].key != key)
		i = (i + 1) & (s->cap - 1);
	return &s->cache[i];
}

static void grow(struct ts_gosym *s)
{
	struct cached *old = s->cache;
	size_t oc = s->cap, i;

	s->cache = calloc(oc * 2, sizeof(*s->cache));
	if (!s->cache) {
		s->cache = old;
		return;
	}
	s->cap = oc * 2;
	for (i = 0; i < oc; i++)
		if (old[i].key)
			*slot(s, old[i].key) = old[i];
	free(old);
}

int ts_gosym_frames(struct ts_gosym *s, uint64_t pc, bool is_return,
		    struct ts_goframe *out, int max)
{
	uint64_t key = pc << 1 | is_return;
	struct cached *c;
	int n;

	if (max <= 0)
		return 0;
	if (!key || pc >> 62) {
		memset(out, 0, sizeof(*out));
		out->pc = pc;
		return 1;
	}
	c = slot(s, key);
	if (!c->key) {
		if ((s->used + 1) * 2 > s->cap) {
			grow(s);
			c = slot(s, key);
		}
		c->n = lookup(s, pc, is_return, c->fr);
		c->key = key;
		s->used++;
	}
	n = c->n < max ? c->n : max;
	memcpy(out, c->fr, n * sizeof(*out));
	return n;
}

static bool closure_name(const char *n)
{
	const char *p = n ? strrchr(n, '.') : NULL;

	if (!p || strncmp(p, ".func", 5) || !p[5])
		return false;
	for (p += 5; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

const char *ts_gosym_start_func(struct ts_gosym *s, uint64_t startpc,
				const char **wrapper)
{
	uint64_t bias = s->b->bias, a = startpc - bias;
	const struct func *f = find(s, a), *t, *callee = NULL;
	unsigned char code[256];
	uint64_t i, len;
	int calls = 0;

	if (wrapper)
		*wrapper = NULL;
	if (!f)
		return NULL;
	len = f->hi - f->lo;
	if (!closure_name(f->name) || len > sizeof(code) || len < 5 ||
	    pread(s->b->fd, code, len, ts_go_file_offset(s->b, f->lo)) !=
	    (ssize_t)len)
		return f->name;
	/* call rel32 to another function's entry (see ts_go_create_sites
	 * for why a stray match is not a worry). */
	for (i = 0; i + 5 <= len; i++) {
		int32_t rel;

		if (code[i] != 0xe8)
			continue;
		memcpy(&rel, code + i + 1, 4);
		t = find(s, f->lo + i + 5 + (int64_t)rel);
		if (!t || t->lo != f->lo + i + 5 + (int64_t)rel || !t->name ||
		    !strncmp(t->name, "runtime.", 8))
			continue;
		callee = t;
		calls++;
	}
	if (calls != 1)
		return f->name;
	if (wrapper)
		*wrapper = f->name;
	return callee->name;
}
