/* A Go binary's runtime symbols, wait reasons and struct layout (see
 * go_binary.h). ELF through libelf, DWARF through libdw: Go 1.19 writes
 * compressed .debug_* sections, which libdw inflates. */
#include "taskscope/go/go_binary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#define SEMTAB_DEFAULT 251

static void set_why(char *why, size_t len, const char *fmt, const char *arg)
{
	if (why && len)
		snprintf(why, len, fmt, arg);
}

/* Reads len bytes at link address addr from the file's sections. Returns
 * 0 or -ENOENT (in no section with file contents). */
static int read_vaddr(const struct ts_go_binary *b, uint64_t addr, void *buf,
		      size_t len)
{
	Elf *e = b->elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr >= sh.sh_addr && addr + len <= sh.sh_addr + sh.sh_size) {
			ssize_t n = pread(b->fd, buf, len,
					  sh.sh_offset + (addr - sh.sh_addr));
			return n == (ssize_t)len ? 0 : -EIO;
		}
	}
	return -ENOENT;
}

uint64_t ts_go_file_offset(const struct ts_go_binary *b, uint64_t addr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(b->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr >= sh.sh_addr && addr < sh.sh_addr + sh.sh_size)
			return sh.sh_offset + (addr - sh.sh_addr);
	}
	return 0;
}

/* Reads a Go string header (pointer, length) at addr and the string it
 * points to. Returns a malloc'd copy or NULL. */
static char *read_gostring(const struct ts_go_binary *b, uint64_t addr)
{
	uint64_t hdr[2];
	char *s;

	if (read_vaddr(b, addr, hdr, sizeof(hdr)) || hdr[1] > 4096)
		return NULL;
	s = calloc(1, hdr[1] + 1);
	if (s && hdr[1] && read_vaddr(b, hdr[0], s, hdr[1])) {
		free(s);
		return NULL;
	}
	return s;
}

int ts_go_each_symbol(const struct ts_go_binary *b,
		      int (*fn)(const struct ts_go_sym *sym, void *arg),
		      void *arg)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(b->elf, scn))) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			struct ts_go_sym gs;
			int rc;

			if (!gelf_getsym(d, i, &sym))
				continue;
			gs.name = elf_strptr(b->elf, sh.sh_link, sym.st_name);
			if (!gs.name)
				continue;
			gs.value = sym.st_value;
			gs.size = sym.st_size;
			gs.func = GELF_ST_TYPE(sym.st_info) == STT_FUNC;
			if ((rc = fn(&gs, arg)))
				return rc;
		}
	}
	return 0;
}

struct runtime_syms {
	struct ts_go_binary *b;
	uint64_t *version_addr, *reasons_addr, *reasons_size;
	bool found;
};

static int note_runtime_symbol(const struct ts_go_sym *s, void *arg)
{
	struct runtime_syms *r = arg;
	struct ts_go_binary *b = r->b;
	const char *name = s->name;

	if (strncmp(name, "runtime.", 8))
		return 0;
	name += 8;
	if (!strcmp(name, "buildVersion")) {
		*r->version_addr = s->value;
		r->found = true;
	} else if (!strcmp(name, "waitReasonStrings")) {
		*r->reasons_addr = s->value;
		*r->reasons_size = s->size;
	} else if (!strcmp(name, "allgs")) {
		b->allgs = s->value;
	} else if (!strcmp(name, "semtable")) {
		b->semtable = s->value;
		b->lay.semtable_n = s->size;   /* bytes for now */
	} else if (!strcmp(name, "newproc1")) {
		b->newproc1 = s->value;
		b->newproc1_size = s->size;
	} else if (!strcmp(name, "goexit1")) {
		b->goexit1 = s->value;
	} else if (!strcmp(name, "goexit.abi0") || !strcmp(name, "goexit")) {
		b->goexit = s->value;
	} else if (!strcmp(name, "mcall") || !strcmp(name, "mcall.abi0")) {
		b->mcall = s->value;
	} else if (!strcmp(name, "mstart.abi0") || !strcmp(name, "mstart")) {
		b->mstart = s->value;
	} else if (!strcmp(name, "rt0_go.abi0") || !strcmp(name, "rt0_go")) {
		b->rt0_go = s->value;
	}
	return 0;
}

/* Finds the text section and, in one walk of .symtab, the runtime symbols
 * we use. Returns false when the binary has no runtime.buildVersion (not
 * Go, or stripped). */
static bool find_symbols(struct ts_go_binary *b, uint64_t *version_addr,
			 uint64_t *reasons_addr, uint64_t *reasons_size)
{
	struct runtime_syms r = { b, version_addr, reasons_addr, reasons_size,
				  false };
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(b->elf, scn)) && !b->text_hi) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
		    (sh.sh_flags & SHF_EXECINSTR)) {
			b->text_lo = sh.sh_addr;
			b->text_hi = sh.sh_addr + sh.sh_size;
		}
	}
	ts_go_each_symbol(b, note_runtime_symbol, &r);
	return r.found;
}

/* The Go version from .go.buildinfo when the symbol table is gone
 * (go build -ldflags=-s): "\xff Go buildinf:", pointer size, flags; with
 * flag 2 (Go 1.18+) the version follows inline, length-prefixed. */
static bool buildinfo_version(struct ts_go_binary *b)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstr;
	unsigned char buf[64];

	if (elf_getshdrstrndx(b->elf, &shstr))
		return false;
	while ((scn = elf_nextscn(b->elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(b->elf, shstr, sh.sh_name);
		if (!name || strcmp(name, ".go.buildinfo"))
			continue;
		if (pread(b->fd, buf, sizeof(buf), sh.sh_offset) != sizeof(buf) ||
		    memcmp(buf, "\xff Go buildinf:", 14))
			return false;
		if ((buf[15] & 2) && buf[32] < 40) {
			memcpy(b->version, buf + 33, buf[32]);
			b->version[buf[32]] = '\0';
		} else {
			snprintf(b->version, sizeof(b->version), "go (unknown version)");
		}
		return true;
	}
	return false;
}

static int read_reasons(struct ts_go_binary *b, uint64_t addr, uint64_t size)
{
	int i, n = size / 16;

	if (!addr || n <= 0 || n > 256)
		return -ENOENT;
	b->reasons = calloc(n, sizeof(*b->reasons));
	if (!b->reasons)
		return -ENOMEM;
	b->nreasons = n;
	for (i = 0; i < n; i++)
		b->reasons[i] = read_gostring(b, addr + 16ull * i);
	return 0;
}

const char *ts_go_reason(const struct ts_go_binary *b, unsigned int r)
{
	if ((int)r >= b->nreasons || !b->reasons[r])
		return NULL;
	return b->reasons[r];
}

/* ---- DWARF layout -------------------------------------------------- */

struct wanted {
	const char *name;
	int tag;
	Dwarf_Die die;
	bool found;
};

enum { W_G, W_M, W_SUDOG, W_PD, W_SEMROOT, W_SEMTABLE, W_N };

static void scan_types(Dwarf *dbg, struct wanted *w)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	int left = W_N, i;

	while (left && dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(dbg, off + hsize, &cu) &&
		    dwarf_child(&cu, &child) == 0) {
			do {
				const char *name;
				int tag = dwarf_tag(&child);

				if (tag != DW_TAG_structure_type &&
				    tag != DW_TAG_variable)
					continue;
				name = dwarf_diename(&child);
				if (!name || strncmp(name, "runtime.", 8))
					continue;
				for (i = 0; i < W_N; i++) {
					if (!w[i].found && w[i].tag == tag &&
					    !strcmp(name, w[i].name)) {
						w[i].die = child;
						w[i].found = true;
						left--;
					}
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
}

/* Follows typedefs (Go names most types) to the underlying type. */
static bool peel(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	while (dwarf_tag(die) == DW_TAG_typedef) {
		if (!dwarf_attr_integrate(die, DW_AT_type, &a) ||
		    !dwarf_formref_die(&a, die))
			return false;
	}
	return true;
}

/* Offset of the dotted member path ("sched.sp") in struct st; the member's
 * type goes to *type (may be NULL). Returns TS_GO_NO_OFF when missing. */
static uint32_t member_off(const Dwarf_Die *st, const char *path, Dwarf_Die *type)
{
	Dwarf_Die cur = *st, child, t;
	char part[64];
	uint32_t total = 0;

	while (*path) {
		size_t n = strcspn(path, ".");
		bool found = false;

		if (n >= sizeof(part) || !peel(&cur) || dwarf_child(&cur, &child))
			return TS_GO_NO_OFF;
		memcpy(part, path, n);
		part[n] = '\0';
		path += n + (path[n] == '.');
		do {
			Dwarf_Attribute a;
			Dwarf_Word loc;
			const char *name;

			if (dwarf_tag(&child) != DW_TAG_member)
				continue;
			name = dwarf_diename(&child);
			if (!name || strcmp(name, part))
				continue;
			if (!dwarf_attr(&child, DW_AT_data_member_location, &a) ||
			    dwarf_formudata(&a, &loc))
				return TS_GO_NO_OFF;
			if (!dwarf_attr(&child, DW_AT_type, &a) ||
			    !dwarf_formref_die(&a, &t))
				return TS_GO_NO_OFF;
			total += loc;
			cur = t;
			found = true;
			break;
		} while (dwarf_siblingof(&child, &child) == 0);
		if (!found)
			return TS_GO_NO_OFF;
	}
	if (type)
		*type = cur;
	return total;
}

static uint32_t byte_size(Dwarf_Die *die)
{
	Dwarf_Die d = *die;
	int sz;

	if (!peel(&d))
		return 0;
	sz = dwarf_bytesize(&d);
	return sz > 0 ? sz : 0;
}

struct field {
	uint32_t *dst;
	int w;
	const char *path;
	bool optional;
};

static enum ts_go_open read_layout(struct ts_go_binary *b, char *why, size_t len)
{
	struct wanted w[W_N] = {
		[W_G] = { "runtime.g", DW_TAG_structure_type },
		[W_M] = { "runtime.m", DW_TAG_structure_type },
		[W_SUDOG] = { "runtime.sudog", DW_TAG_structure_type },
		[W_PD] = { "runtime.pollDesc", DW_TAG_structure_type },
		[W_SEMROOT] = { "runtime.semaRoot", DW_TAG_structure_type },
		[W_SEMTABLE] = { "runtime.semtable", DW_TAG_variable },
	};
	struct ts_go_layout *l = &b->lay;
	const struct field fields[] = {
		{ &l->g_stack_lo, W_G, "stack.lo", false },
		{ &l->g_stack_hi, W_G, "stack.hi", false },
		{ &l->g_sched_sp, W_G, "sched.sp", false },
		{ &l->g_sched_pc, W_G, "sched.pc", false },
		{ &l->g_sched_bp, W_G, "sched.bp", false },
		{ &l->g_syscallsp, W_G, "syscallsp", false },
		{ &l->g_syscallpc, W_G, "syscallpc", false },
		{ &l->g_status, W_G, "atomicstatus", false },
		{ &l->g_goid, W_G, "goid", false },
		{ &l->g_waitsince, W_G, "waitsince", false },
		{ &l->g_waitreason, W_G, "waitreason", false },
		{ &l->g_m, W_G, "m", false },
		{ &l->g_lockedm, W_G, "lockedm", false },
		{ &l->g_gopc, W_G, "gopc", false },
		{ &l->g_startpc, W_G, "startpc", false },
		{ &l->g_waiting, W_G, "waiting", false },
		{ &l->g_parent_goid, W_G, "parentGoid", true },
		{ &l->m_procid, W_M, "procid", false },
		{ &l->m_curg, W_M, "curg", false },
		{ &l->m_id, W_M, "id", false },
		{ &l->m_lockedg, W_M, "lockedg", false },
		{ &l->sudog_g, W_SUDOG, "g", false },
		{ &l->sudog_elem, W_SUDOG, "elem", false },
		{ &l->sudog_c, W_SUDOG, "c", false },
		{ &l->sudog_waitlink, W_SUDOG, "waitlink", false },
		{ &l->sudog_next, W_SUDOG, "next", false },
		{ &l->sudog_prev, W_SUDOG, "prev", false },
		{ &l->pd_fd, W_PD, "fd", false },
		{ &l->pd_rg, W_PD, "rg", false },
		{ &l->pd_wg, W_PD, "wg", false },
		{ &l->semroot_treap, W_SEMROOT, "treap", true },
	};
	Dwarf_Die t;
	size_t i;

	scan_types(b->dwarf, w);
	if (!w[W_G].found || !w[W_M].found) {
		set_why(why, len, "its DWARF has no %s type", "runtime.g/runtime.m");
		return TS_GO_UNSUPPORTED;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];

		*f->dst = w[f->w].found ? member_off(&w[f->w].die, f->path, NULL)
					: TS_GO_NO_OFF;
		if (*f->dst == TS_GO_NO_OFF && !f->optional &&
		    (f->w == W_G || f->w == W_M)) {
			set_why(why, len, "runtime.g or runtime.m has no field "
				"%s (a Go version taskscope does not know)",
				f->path);
			return TS_GO_UNSUPPORTED;
		}
	}
	l->g_size = byte_size(&w[W_G].die);
	l->m_size = byte_size(&w[W_M].die);
	l->waitreason_size = 1;
	if (member_off(&w[W_G].die, "waitreason", &t) != TS_GO_NO_OFF)
		l->waitreason_size = byte_size(&t) ? byte_size(&t) : 1;
	if (l->g_size == 0 || l->g_size > 640) {
		set_why(why, len, "runtime.g is %s bytes, more than taskscope "
			"copies (640)", l->g_size ? "too many" : "of unknown size");
		return TS_GO_UNSUPPORTED;
	}
	/* semtable: an array of {root semaRoot; pad} entries. */
	l->semtable_stride = 0;
	if (w[W_SEMTABLE].found && b->semtable) {
		Dwarf_Attribute a;
		Dwarf_Die arr, elem;

		if (dwarf_attr(&w[W_SEMTABLE].die, DW_AT_type, &a) &&
		    dwarf_formref_die(&a, &arr) && peel(&arr) &&
		    dwarf_tag(&arr) == DW_TAG_array_type &&
		    dwarf_attr(&arr, DW_AT_type, &a) &&
		    dwarf_formref_die(&a, &elem))
			l->semtable_stride = byte_size(&elem);
	}
	if (l->semtable_stride && l->semtable_n)
		l->semtable_n /= l->semtable_stride;
	else
		l->semtable_n = 0;
	if (l->semtable_n > 4 * SEMTAB_DEFAULT)
		l->semtable_n = 0;
	return TS_GO_OK;
}

/* ---- opening --------------------------------------------------------- */

static enum ts_go_open open_common(struct ts_go_binary *b, char *why, size_t len)
{
	uint64_t vaddr = 0, raddr = 0, rsize = 0;
	char *v;

	elf_version(EV_CURRENT);
	b->elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF)
		return TS_GO_NOT_GO;
	if (!find_symbols(b, &vaddr, &raddr, &rsize)) {
		if (!buildinfo_version(b))
			return TS_GO_NOT_GO;
		set_why(why, len, "%s", "it has no symbol table (built with "
			"-ldflags=-s)");
		return TS_GO_NO_DWARF;
	}
	v = read_gostring(b, vaddr);
	snprintf(b->version, sizeof(b->version), "%s", v ? v : "go?");
	free(v);
	read_reasons(b, raddr, rsize);
	b->dwarf = dwarf_begin_elf(b->elf, DWARF_C_READ, NULL);
	if (!b->dwarf) {
		set_why(why, len, "%s", "it has no DWARF (built with -ldflags=-w)");
		return TS_GO_NO_DWARF;
	}
	b->has_dwarf = true;
	if (!b->allgs || !b->nreasons) {
		set_why(why, len, "%s", "runtime.allgs or runtime.waitReasonStrings "
			"is missing from its symbol table");
		return TS_GO_UNSUPPORTED;
	}
	return read_layout(b, why, len);
}

enum ts_go_open ts_go_binary_open_file(const char *path, struct ts_go_binary *b,
				       char *why, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0)
		return TS_GO_ERROR;
	return open_common(b, why, len);
}

/* The load bias of a position-independent executable: where the mapping
 * of file offset 0 starts, minus the first segment's link address. */
static uint64_t load_bias(pid_t pid, const char *exe, Elf *e)
{
	char path[64], line[4608], name[4096];
	unsigned long long start, end, off;
	uint64_t first = UINT64_MAX;
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t i, n;
	FILE *f;

	if (!gelf_getehdr(e, &eh) || eh.e_type != ET_DYN)
		return 0;
	if (elf_getphdrnum(e, &n))
		return 0;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_vaddr < first)
			first = ph.p_vaddr & ~0xfffull;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start, &end,
			   &off, name) == 4 && off == 0 && !strcmp(name, exe)) {
			fclose(f);
			return start - first;
		}
	}
	fclose(f);
	return 0;
}

enum ts_go_open ts_go_binary_open(pid_t pid, struct ts_go_binary *b,
				  char *why, size_t len)
{
	char exe[64], real[4096];
	enum ts_go_open rc;
	ssize_t n;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	rc = ts_go_binary_open_file(exe, b, why, len);
	n = readlink(exe, real, sizeof(real) - 1);
	if (n > 0) {
		real[n] = '\0';
		snprintf(b->path, sizeof(b->path), "%s", real);
	}
	if (rc == TS_GO_OK && n > 0)
		b->bias = load_bias(pid, real, b->elf);
	return rc;
}

void ts_go_binary_close(struct ts_go_binary *b)
{
	int i;

	if (b->dwarf)
		dwarf_end(b->dwarf);
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		close(b->fd);
	for (i = 0; i < b->nreasons; i++)
		free(b->reasons[i]);
	free(b->reasons);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

/* Link address of the target of the call rel32 at text[i], which sits
 * at link address addr. */
static uint64_t call_target(const unsigned char *text, size_t i, uint64_t addr)
{
	int32_t rel;

	memcpy(&rel, text + i + 1, 4);
	return addr + 5 + (int64_t)rel;
}

int ts_go_create_sites(const struct ts_go_binary *b, struct ts_go_site *sites,
		       int max)
{
	uint64_t lo = b->text_lo, hi = b->text_hi;
	uint64_t runqput = ts_go_symbol(b, "runtime.runqput");
	unsigned char *text;
	size_t i, j, size;
	int n = 0;

	if (!b->newproc1 || hi <= lo || hi - lo > (256u << 20))
		return -ENOENT;
	size = hi - lo;
	text = malloc(size);
	if (!text)
		return -ENOMEM;
	if (read_vaddr(b, lo, text, size)) {
		free(text);
		return -EIO;
	}
	/* call rel32 (e8 xx xx xx xx) whose target is newproc1: a false
	 * match needs five bytes to spell exactly that displacement at that
	 * place, about one chance in 2^40 per byte of text. */
	for (i = 0; i + 5 <= size && n < max; i++) {
		if (text[i] != 0xe8 || call_target(text, i, lo + i) != b->newproc1)
			continue;
		sites[n].off = ts_go_file_offset(b, lo + i + 5);
		sites[n].newg_in_bx = false;
		for (j = i + 5; runqput && j + 5 <= size && j < i + 5 + 64; j++) {
			if (text[j] == 0xe8 &&
			    call_target(text, j, lo + j) == runqput) {
				sites[n].off = ts_go_file_offset(b, lo + j);
				sites[n].newg_in_bx = true;
				break;
			}
		}
		if (sites[n].off)
			n++;
	}
	free(text);
	return n;
}

uint64_t ts_go_exit_site(const struct ts_go_binary *b)
{
	uint64_t g1 = ts_go_symbol(b, "runtime.goexit1"),
		 g1abi0 = ts_go_symbol(b, "runtime.goexit1.abi0"), t;
	unsigned char code[8];
	size_t i;

	if (b->goexit && !read_vaddr(b, b->goexit, code, sizeof(code))) {
		/* NOP, then call goexit1 (through its ABI0 wrapper). */
		for (i = 0; i + 5 <= sizeof(code); i++) {
			if (code[i] != 0xe8)
				continue;
			t = call_target(code, i, b->goexit + i);
			if (t && (t == g1 || t == g1abi0))
				return ts_go_file_offset(b, b->goexit + i);
		}
	}
	return g1 ? ts_go_file_offset(b, g1) : 0;
}

int ts_go_cfa_offset(const struct ts_go_binary *b, uint64_t pc, int64_t *off)
{
	Dwarf_CFI *cfi = b->dwarf ? dwarf_getcfi(b->dwarf) : NULL;
	Dwarf_Frame *fr = NULL;
	Dwarf_Op *ops;
	size_t nops;
	int rc = -ENOENT;

	if (!cfi || dwarf_cfi_addrframe(cfi, pc - 1, &fr) || !fr)
		return -ENOENT;
	/* Go's .debug_frame says CFA = rsp + N everywhere. */
	if (dwarf_frame_cfa(fr, &ops, &nops) == 0 && nops == 1) {
		if (ops[0].atom == DW_OP_bregx && ops[0].number == 7) {
			*off = (int64_t)ops[0].number2;
			rc = 0;
		} else if (ops[0].atom == DW_OP_breg7) {
			*off = (int64_t)ops[0].number;
			rc = 0;
		}
	}
	free(fr);
	return rc;
}

struct symbol_query {
	const char *name;
	uint64_t addr;
};

static int match_symbol(const struct ts_go_sym *sym, void *arg)
{
	struct symbol_query *q = arg;

	if (strcmp(sym->name, q->name))
		return 0;
	q->addr = sym->value;
	return 1;
}

uint64_t ts_go_symbol(const struct ts_go_binary *b, const char *name)
{
	struct symbol_query q = { name, 0 };

	ts_go_each_symbol(b, match_symbol, &q);
	return q.addr;
}
