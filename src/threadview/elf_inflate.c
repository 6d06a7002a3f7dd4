/* Copy of an ELF file with compressed sections inflated (see elf_inflate.h).
 *
 * libelf does the work: elf_compress(scn, 0, 0) inflates a section in the
 * source handle, and a new ELF_C_WRITE handle gets the same headers and
 * section data. The layout is ours (ELF_F_LAYOUT): sections keep their
 * order, each placed at the next offset its alignment allows, so sizes may
 * change freely; a program header whose offset lay inside a kept section
 * (the build-id note libdw reads through PT_NOTE) moves with it. */
#include "threadview/elf_inflate.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"

struct scn_move {
	GElf_Off old_off, old_size, new_off;
	bool has_bytes;           /* not SHT_NOBITS, not inflated */
};

static GElf_Off align_up(GElf_Off off, GElf_Xword align)
{
	return align > 1 ? (off + align - 1) / align * align : off;
}

static bool any_compressed(Elf *e)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
			return true;
	return false;
}

/* Copies section data and headers from src to dst, inflating compressed
 * sections on the way, and lays them out from offset *off. mv[i] records
 * where section i was and went. Returns 0 or -EINVAL. */
static int copy_sections(Elf *src, Elf *dst, struct scn_move *mv, GElf_Off *off)
{
	Elf_Scn *scn = NULL, *dscn;
	Elf_Data *d, *dd;
	GElf_Shdr sh;
	size_t i;

	/* Section 0 may hold the real section count and string table index. */
	if (!gelf_getshdr(elf_getscn(src, 0), &sh) ||
	    !gelf_update_shdr(elf_getscn(dst, 0), &sh))
		return -EINVAL;
	while ((scn = elf_nextscn(src, scn))) {
		i = elf_ndxscn(scn);
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		mv[i].old_off = sh.sh_offset;
		mv[i].old_size = sh.sh_size;
		mv[i].has_bytes = sh.sh_type != SHT_NOBITS &&
				  !(sh.sh_flags & SHF_COMPRESSED);
		if ((sh.sh_flags & SHF_COMPRESSED) &&
		    (elf_compress(scn, 0, 0) < 0 || !gelf_getshdr(scn, &sh)))
			return -EINVAL;
		dscn = elf_newscn(dst);
		if (!dscn)
			return -EINVAL;
		sh.sh_offset = align_up(*off, sh.sh_addralign);
		mv[i].new_off = sh.sh_offset;
		if (sh.sh_type != SHT_NOBITS) {
			*off = sh.sh_offset + sh.sh_size;
			d = elf_getdata(scn, NULL);
			dd = d && d->d_size ? elf_newdata(dscn) : NULL;
			if (d && d->d_size && !dd)
				return -EINVAL;
			if (dd) {
				dd->d_buf = d->d_buf;
				dd->d_size = d->d_size;
				dd->d_type = d->d_type;
				dd->d_align = d->d_align ? d->d_align : 1;
				dd->d_off = 0;
				dd->d_version = EV_CURRENT;
			}
		}
		if (!gelf_update_shdr(dscn, &sh))
			return -EINVAL;
	}
	return 0;
}

/* Moves each program header whose file offset lay inside a kept section. */
static int copy_phdrs(Elf *src, Elf *dst, size_t phnum,
		      const struct scn_move *mv, size_t nscn)
{
	GElf_Phdr ph;
	size_t i, j;

	if (phnum && !gelf_newphdr(dst, phnum))
		return -EINVAL;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(src, i, &ph))
			return -EINVAL;
		for (j = 1; j < nscn; j++) {
			if (mv[j].has_bytes && ph.p_filesz &&
			    ph.p_offset >= mv[j].old_off &&
			    ph.p_offset < mv[j].old_off + mv[j].old_size) {
				ph.p_offset += mv[j].new_off - mv[j].old_off;
				break;
			}
		}
		if (!gelf_update_phdr(dst, i, &ph))
			return -EINVAL;
	}
	return 0;
}

/* Builds the inflated copy of src into the empty file dst_fd. */
static int write_copy(Elf *src, int dst_fd)
{
	struct scn_move *mv = NULL;
	size_t nscn, phnum;
	GElf_Ehdr eh;
	GElf_Off off;
	Elf *dst;
	int err = -EINVAL;

	if (!gelf_getehdr(src, &eh) || elf_getshdrnum(src, &nscn) ||
	    elf_getphdrnum(src, &phnum))
		return -EINVAL;
	mv = calloc(nscn ? nscn : 1, sizeof(*mv));
	if (!mv)
		return -ENOMEM;
	dst = elf_begin(dst_fd, ELF_C_WRITE, NULL);
	if (!dst)
		goto free_mv;
	if (!gelf_newehdr(dst, gelf_getclass(src)))
		goto end_dst;
	elf_flagelf(dst, ELF_C_SET, ELF_F_LAYOUT);
	off = eh.e_ehsize + (GElf_Off)phnum * eh.e_phentsize;
	err = copy_sections(src, dst, mv, &off);
	if (err)
		goto end_dst;
	err = -EINVAL;
	if (copy_phdrs(src, dst, phnum, mv, nscn))
		goto end_dst;
	eh.e_phoff = phnum ? eh.e_ehsize : 0;
	eh.e_shoff = align_up(off, 8);
	if (!gelf_update_ehdr(dst, &eh) || elf_update(dst, ELF_C_WRITE) < 0)
		goto end_dst;
	err = 0;
end_dst:
	elf_end(dst);
free_mv:
	free(mv);
	return err;
}

/* atomic_file_write's fill: the inflated copy of src (an Elf *). */
static int fill_copy(int fd, void *src)
{
	return write_copy(src, fd);
}

int ts_elf_write_inflated(int src_fd, const char *path)
{
	Elf *src;
	int err;

	elf_version(EV_CURRENT);
	src = elf_begin(src_fd, ELF_C_READ_MMAP, NULL);
	if (!src || elf_kind(src) != ELF_K_ELF) {
		elf_end(src);
		return -EINVAL;
	}
	/* A cache entry: rebuilt if lost, so no fsync. */
	err = any_compressed(src) ? atomic_file_write(path, fill_copy, src, false)
				  : -ENODATA;
	elf_end(src);
	return err;
}
