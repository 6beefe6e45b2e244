/* SPDX-License-Identifier: MIT */
/*
 * pvh.c - ELF64 loader and PVH direct boot for hcabi-refvmm (x86-64).
 *
 * The PVH boot protocol (Xen's, as used by Linux, QEMU -kernel, Firecracker
 * and Cloud Hypervisor): the image carries an ELF note XEN_ELFNOTE_PHYS32_ENTRY
 * (name "Xen", type 18) with the 32-bit physical entry point. The VMM loads
 * the PT_LOAD segments at their physical addresses and enters the image in
 * 32-bit protected mode with paging off, EBX = GPA of struct hvm_start_info.
 * The structures and constants are the shared protocol header hcabi_pvh.h
 * (start info version 1 carries an E820-style memory map).
 *
 * Every field of the file is untrusted: all offsets and sizes are checked
 * against the file and the guest RAM without overflow.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86_64/hcabi_pvh.h"
#include "layout.h"
#include "pvh.h"

/* Images larger than this are refused before reading (no guest RAM that
 * refvmm accepts could hold them). */
#define HCABI__MAX_IMAGE_FILE (HCABI__MAX_RAM + (64ull << 20))

/* [off, off + len) lies within [0, size) */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Look for the PHYS32 entry note in [off, off + len) of the file. Returns
 * 1 found, 0 not found, -1 malformed. */
static int scan_notes(struct hcabi__image *img, uint64_t off, uint64_t len, uint64_t align,
		      char *err, size_t errlen)
{
	const uint8_t *p = img->data + off;
	uint64_t pos = 0;
	uint64_t a = (align == 8) ? 8 : 4;

	while (len - pos >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		memcpy(&namesz, p + pos, 4);
		memcpy(&descsz, p + pos + 4, 4);
		memcpy(&type, p + pos + 8, 4);
		/* name at +12; the descriptor and the next note start at
		 * the next multiple of the alignment (from the note start) */
		name_off = pos + 12;
		desc_off = pos + ((12 + (uint64_t)namesz + a - 1) & ~(a - 1));
		next = desc_off + (((uint64_t)descsz + a - 1) & ~(a - 1));
		if (desc_off > len || (uint64_t)descsz > len - desc_off)
			return hcabi__fail(err, errlen, "malformed ELF note at file offset 0x%llx",
					   (unsigned long long)(off + pos));
		if (namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0 &&
		    type == HCABI_PVH_ELFNOTE_PHYS32_ENTRY) {
			uint64_t entry;
			if (descsz == 4) {
				uint32_t e32;
				memcpy(&e32, p + desc_off, 4);
				entry = e32;
			} else if (descsz == 8) {
				memcpy(&entry, p + desc_off, 8);
			} else {
				return hcabi__fail(err, errlen,
						   "XEN_ELFNOTE_PHYS32_ENTRY note has a %u-byte "
						   "descriptor (want 4 or 8)",
						   descsz);
			}
			if (entry > UINT32_MAX)
				return hcabi__fail(err, errlen,
						   "PVH entry point 0x%llx is above 4 GiB",
						   (unsigned long long)entry);
			img->entry = (uint32_t)entry;
			return 1;
		}
		if (next > len)
			break;
		pos = next;
	}
	return 0;
}

int hcabi__image_parse(struct hcabi__image *img, uint64_t ram_size, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	uint64_t size = img->size;
	uint64_t ph_bytes;
	unsigned nload = 0;
	int found = 0;
	bool entry_loaded = false;

	if (size < sizeof(eh))
		return hcabi__fail(err, errlen, "not an ELF file (only %llu bytes)",
				   (unsigned long long)size);
	memcpy(&eh, img->data, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return hcabi__fail(err, errlen, "not an ELF file (bad magic)");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return hcabi__fail(err, errlen, "not an ELF64 file (class %u)",
				   eh.e_ident[EI_CLASS]);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return hcabi__fail(err, errlen, "ELF file is not little-endian");
	if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return hcabi__fail(err, errlen, "unknown ELF version");
	if (eh.e_type != ET_EXEC)
		return hcabi__fail(err, errlen, "ELF type %u is not ET_EXEC", eh.e_type);
	if (eh.e_machine != EM_X86_64)
		return hcabi__fail(err, errlen, "ELF machine %u is not x86-64", eh.e_machine);
	if (eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
		return hcabi__fail(err, errlen, "ELF file has no (or too many) program headers");
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return hcabi__fail(err, errlen, "ELF program header size %u is not %zu",
				   eh.e_phentsize, sizeof(Elf64_Phdr));
	ph_bytes = (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (!in_file(eh.e_phoff, ph_bytes, size))
		return hcabi__fail(err, errlen, "ELF program headers lie outside the file");

	img->lowest = UINT64_MAX;
	img->highest = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img->data + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD) {
			if (ph.p_memsz == 0)
				continue;
			if (ph.p_filesz > ph.p_memsz)
				return hcabi__fail(
				    err, errlen,
				    "segment %u: file size 0x%llx exceeds memory size 0x%llx", i,
				    (unsigned long long)ph.p_filesz,
				    (unsigned long long)ph.p_memsz);
			if (!in_file(ph.p_offset, ph.p_filesz, size))
				return hcabi__fail(err, errlen, "segment %u lies outside the file",
						   i);
			if (ph.p_paddr > ram_size || ph.p_memsz > ram_size - ph.p_paddr)
				return hcabi__fail(
				    err, errlen,
				    "segment %u [0x%llx, +0x%llx) does not fit in %llu MiB "
				    "of guest RAM",
				    i, (unsigned long long)ph.p_paddr,
				    (unsigned long long)ph.p_memsz,
				    (unsigned long long)(ram_size >> 20));
			if (ph.p_paddr < img->lowest)
				img->lowest = ph.p_paddr;
			if (ph.p_paddr + ph.p_memsz > img->highest)
				img->highest = ph.p_paddr + ph.p_memsz;
			nload++;
		} else if (ph.p_type == PT_NOTE && !found) {
			if (!in_file(ph.p_offset, ph.p_filesz, size))
				return hcabi__fail(err, errlen,
						   "note segment %u lies outside the file", i);
			found = scan_notes(img, ph.p_offset, ph.p_filesz, ph.p_align, err, errlen);
			if (found < 0)
				return -1;
		}
	}
	if (nload == 0)
		return hcabi__fail(err, errlen, "ELF file has no loadable segment");

	/* Notes may also be found through the section headers only. */
	if (!found && eh.e_shnum != 0 && eh.e_shentsize == sizeof(Elf64_Shdr) &&
	    in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), size)) {
		for (unsigned i = 0; i < eh.e_shnum && !found; i++) {
			Elf64_Shdr sh;
			memcpy(&sh, img->data + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
			if (sh.sh_type != SHT_NOTE)
				continue;
			if (!in_file(sh.sh_offset, sh.sh_size, size))
				return hcabi__fail(err, errlen,
						   "note section %u lies outside the file", i);
			found =
			    scan_notes(img, sh.sh_offset, sh.sh_size, sh.sh_addralign, err, errlen);
			if (found < 0)
				return -1;
		}
	}
	if (!found)
		return hcabi__fail(
		    err, errlen,
		    "no PVH entry point: the image lacks the XEN_ELFNOTE_PHYS32_ENTRY "
		    "(type 18) note");

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img->data + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && ph.p_memsz != 0 && img->entry >= ph.p_paddr &&
		    img->entry - ph.p_paddr < ph.p_filesz)
			entry_loaded = true;
	}
	if (!entry_loaded)
		return hcabi__fail(
		    err, errlen, "PVH entry point 0x%x is not inside a loaded segment", img->entry);
	return 0;
}

int hcabi__image_load_file(struct hcabi__image *img, const char *path, uint64_t ram_size, char *err,
			   size_t errlen)
{
	memset(img, 0, sizeof(*img));
	if (hcabi__read_whole_file(path, "image", HCABI__MAX_IMAGE_FILE, &img->data, &img->size,
				   err, errlen) != 0)
		return -1;
	if (hcabi__image_parse(img, ram_size, err, errlen) != 0) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "bad image %s: %s", path, tmp);
		hcabi__image_free(img);
		return -1;
	}
	return 0;
}

void hcabi__image_free(struct hcabi__image *img)
{
	free(img->data);
	free(img->initrd);
	img->data = NULL;
	img->size = 0;
	img->initrd = NULL;
	img->initrd_size = 0;
}

/* Program header i of a parsed image, if it is a PT_LOAD segment with
 * bytes in memory (hcabi__image_parse checked every header). */
static bool load_segment(const struct hcabi__image *img, unsigned i, Elf64_Phdr *ph)
{
	Elf64_Ehdr eh;
	memcpy(&eh, img->data, sizeof(eh));
	if (i >= eh.e_phnum)
		return false;
	memcpy(ph, img->data + eh.e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
	return ph->p_type == PT_LOAD && ph->p_memsz != 0;
}

static unsigned program_headers(const struct hcabi__image *img)
{
	Elf64_Ehdr eh;
	memcpy(&eh, img->data, sizeof(eh));
	return eh.e_phnum;
}

/* Does [a, a + len) overlap any PT_LOAD segment? */
static bool overlaps_segment(const struct hcabi__image *img, uint64_t a, uint64_t len)
{
	Elf64_Phdr ph;
	for (unsigned i = 0; i < program_headers(img); i++)
		if (load_segment(img, i, &ph) && a < ph.p_paddr + ph.p_memsz &&
		    ph.p_paddr < a + len)
			return true;
	return false;
}

/* Start info page: the start info at +0, the memory map at +MEMMAP_OFF,
 * the module list at +MODLIST_OFF; the command line on the next page. */
#define MEMMAP_OFF 64u
#define MODLIST_OFF (MEMMAP_OFF + HCABI__X86_MAX_E820 * sizeof(struct hcabi_pvh_memmap_entry))
_Static_assert(MODLIST_OFF + sizeof(struct hcabi_pvh_modlist_entry) <= HCABI__PAGE_SIZE,
	       "the start info page holds the memory map and the module list");

/* Where the initial RAM disk goes: page-aligned at the top of the last RAM
 * range, above the image and the start info; 0 if it does not fit. */
static uint64_t initrd_place(const struct hcabi__image *img, uint64_t ram_size, uint64_t above)
{
	struct hcabi_ref_ram_range ram[HCABI__ARCH_MAX_RAM_RANGES];
	uint32_t n = hcabi__arch_ram_layout(ram_size, ram);
	uint64_t top = ram[n - 1].base + ram[n - 1].size;
	uint64_t at;

	if (img->initrd_size > top)
		return 0;
	at = (top - img->initrd_size) & ~(HCABI__PAGE_SIZE - 1);
	if (at < ram[n - 1].base || at < above || overlaps_segment(img, at, img->initrd_size))
		return 0;
	return at;
}

uint64_t hcabi__image_install(const struct hcabi__image *img, uint8_t *ram, uint64_t ram_size,
			      const char *cmdline, char *err, size_t errlen)
{
	struct hcabi_pvh_start_info si;
	struct hcabi_pvh_memmap_entry mm[HCABI__X86_MAX_E820];
	struct hcabi_pvh_modlist_entry mod;
	size_t cmdlen = cmdline ? strlen(cmdline) : 0;
	uint64_t need =
	    HCABI__PAGE_SIZE + ((cmdlen + 1 + HCABI__PAGE_SIZE - 1) & ~(HCABI__PAGE_SIZE - 1));
	uint64_t base = 0, initrd_at = 0;
	uint64_t cand[2];
	uint32_t nmm;

	if (cmdlen > HCABI__MAX_CMDLINE) {
		hcabi__fail(err, errlen, "command line longer than %u bytes", HCABI__MAX_CMDLINE);
		return 0;
	}
	for (unsigned i = 0; i < program_headers(img); i++) {
		Elf64_Phdr ph;
		if (!load_segment(img, i, &ph))
			continue;
		memcpy(ram + ph.p_paddr, img->data + ph.p_offset, ph.p_filesz);
		memset(ram + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}

	/* Place the start info in low memory when the image leaves room,
	 * else right after the image. Never at GPA 0. */
	cand[0] = 0x1000;
	cand[1] = (img->highest + HCABI__PAGE_SIZE - 1) & ~(HCABI__PAGE_SIZE - 1);
	for (unsigned i = 0; i < 2; i++) {
		uint64_t a = cand[i];
		if (a <= ram_size && need <= ram_size - a && !overlaps_segment(img, a, need)) {
			base = a;
			break;
		}
	}
	if (!base) {
		hcabi__fail(err, errlen, "no room in guest RAM for the PVH start info");
		return 0;
	}
	if (img->initrd) {
		initrd_at = initrd_place(img, ram_size,
					 base + need > img->highest ? base + need : img->highest);
		if (!initrd_at) {
			hcabi__fail(err, errlen,
				    "the initial RAM disk (%zu bytes) does not fit in guest RAM "
				    "above the image (--memory %llu MiB)",
				    img->initrd_size, (unsigned long long)(ram_size >> 20));
			return 0;
		}
		memcpy(ram + initrd_at, img->initrd, img->initrd_size);
	}

	nmm = hcabi__x86_e820(ram_size, mm);
	memset(&si, 0, sizeof(si));
	si.magic = HCABI_PVH_START_MAGIC;
	si.version = 1;
	si.nr_modules = img->initrd ? 1 : 0;
	si.modlist_paddr = img->initrd ? base + MODLIST_OFF : 0;
	si.cmdline_paddr = base + HCABI__PAGE_SIZE;
	si.memmap_paddr = base + MEMMAP_OFF;
	si.memmap_entries = nmm;

	memset(ram + base, 0, need);
	memcpy(ram + base, &si, sizeof(si));
	memcpy(ram + base + MEMMAP_OFF, mm, nmm * sizeof(mm[0]));
	if (img->initrd) {
		memset(&mod, 0, sizeof(mod));
		mod.paddr = initrd_at;
		mod.size = img->initrd_size;
		memcpy(ram + base + MODLIST_OFF, &mod, sizeof(mod));
	}
	if (cmdlen)
		memcpy(ram + base + HCABI__PAGE_SIZE, cmdline, cmdlen);
	return base;
}

struct hcabi__image *hcabi__arch_image_load(const char *path, const char *initrd_path,
					    uint64_t ram_size, char *err, size_t errlen)
{
	struct hcabi__image *img = calloc(1, sizeof(*img));

	if (!img) {
		hcabi__fail(err, errlen, "out of memory");
		return NULL;
	}
	if (hcabi__image_load_file(img, path, ram_size, err, errlen) != 0) {
		free(img);
		return NULL;
	}
	if (initrd_path && hcabi__read_whole_file(initrd_path, "--initrd", ram_size, &img->initrd,
						  &img->initrd_size, err, errlen) != 0) {
		hcabi__arch_image_free(img);
		return NULL;
	}
	return img;
}
void hcabi__arch_image_free(struct hcabi__image *img)
{
	if (!img)
		return;
	hcabi__image_free(img);
	free(img);
}
