/* ELF symbol -> file offset for uprobes, and a process's mapped files
 * (see elf_sym.h). */
#include "taskscope/attach/elf_sym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* True when sym is name, possibly followed by "@VERSION" (a static symbol
 * table entry keeps the version in the name). */
static bool name_matches(const char *sym, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(sym, name, n) && (sym[n] == '\0' || sym[n] == '@');
}

/* Turns a symbol's virtual address into a file offset through the section
 * that holds it, as the kernel's uprobe wants. */
static int vaddr_to_offset(Elf *elf, GElf_Addr addr, uint64_t *off)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		if (addr >= sh.sh_addr && addr < sh.sh_addr + sh.sh_size) {
			*off = addr - sh.sh_addr + sh.sh_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* Scans one symbol table section for name. *found is the address of the
 * first match; returns -ENOTUNIQ if another match has another address. */
static int scan_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
		       const char *name, GElf_Addr *found)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;
	GElf_Sym sym;

	if (!data || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		const char *s;

		if (!gelf_getsym(data, (int)i, &sym) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		s = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!s || !name_matches(s, name))
			continue;
		if (*found && *found != sym.st_value)
			return -ENOTUNIQ;
		*found = sym.st_value;
	}
	return 0;
}

int elf_sym_file_offset(const char *path, const char *name, uint64_t *off)
{
	GElf_Addr found = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;
	int fd, err = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -EINVAL;
		goto close_elf;
	}
	while (!err && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		err = scan_symtab(elf, scn, &sh, name, &found);
	}
	if (!err)
		err = found ? vaddr_to_offset(elf, found, off) : -ENOENT;
close_elf:
	elf_end(elf);
	close(fd);
	return err;
}

int elf_sym_find_mapping(pid_t pid, const char *prefix, char *buf, size_t len)
{
	char maps[64], line[4096];
	int err = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), *base;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		base = strrchr(path, '/') + 1;
		if (strncmp(base, prefix, strlen(prefix)))
			continue;
		/* Through /proc/PID/root: the target may live in another
		 * mount namespace (a container). */
		if ((size_t)snprintf(buf, len, "/proc/%d/root%s", (int)pid,
				     path) >= len)
			err = -ENAMETOOLONG;
		else
			err = 0;
		break;
	}
	fclose(f);
	return err;
}
