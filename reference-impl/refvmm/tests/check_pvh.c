/* SPDX-License-Identifier: MIT */
/*
 * check_pvh.c - unit tests of refvmm's ELF loader and PVH start info
 * (src/pvh.c), which need no KVM: every malformed image must be refused
 * with a message, every valid one loaded where its program headers say,
 * and the start info laid out as the PVH protocol fixes it. Also the size
 * parser of --memory and --serial-limit.
 */
#include <check.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/hcabi_pvh.h"
#include "pvh.h"
#include "refvmm.h"

#define RAM (4ull << 20)
#define IMG_SIZE 0x1100u
#define LOAD_OFF 0x1000u
#define LOAD_PADDR 0x100000u
#define NOTE_OFF 0x200u
#define ENTRY (LOAD_PADDR + 0x10u)

struct img {
	uint8_t b[0x3000];
	size_t size;
};

static Elf64_Ehdr *eh(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}
static Elf64_Phdr *ph(struct img *m, unsigned i)
{
	return (Elf64_Phdr *)(m->b + 64 + 56 * i);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A valid image: PT_LOAD at file 0x1000 -> GPA 1 MiB (0x100 bytes of code,
 * 0x2000 in memory), PT_NOTE with the Xen PHYS32 entry note. */
static void make(struct img *m)
{
	memset(m, 0, sizeof(*m));
	m->size = IMG_SIZE;
	memcpy(eh(m)->e_ident, ELFMAG, SELFMAG);
	eh(m)->e_ident[EI_CLASS] = ELFCLASS64;
	eh(m)->e_ident[EI_DATA] = ELFDATA2LSB;
	eh(m)->e_ident[EI_VERSION] = EV_CURRENT;
	eh(m)->e_type = ET_EXEC;
	eh(m)->e_machine = EM_X86_64;
	eh(m)->e_version = EV_CURRENT;
	eh(m)->e_entry = ENTRY;
	eh(m)->e_phoff = 64;
	eh(m)->e_ehsize = 64;
	eh(m)->e_phentsize = 56;
	eh(m)->e_phnum = 2;
	ph(m, 0)->p_type = PT_LOAD;
	ph(m, 0)->p_offset = LOAD_OFF;
	ph(m, 0)->p_paddr = LOAD_PADDR;
	ph(m, 0)->p_vaddr = LOAD_PADDR;
	ph(m, 0)->p_filesz = 0x100;
	ph(m, 0)->p_memsz = 0x2000;
	ph(m, 0)->p_align = 0x1000;
	ph(m, 1)->p_type = PT_NOTE;
	ph(m, 1)->p_offset = NOTE_OFF;
	ph(m, 1)->p_filesz = 20;
	ph(m, 1)->p_align = 4;
	put32(m->b + NOTE_OFF, 4);
	put32(m->b + NOTE_OFF + 4, 4);
	put32(m->b + NOTE_OFF + 8, 18);
	memcpy(m->b + NOTE_OFF + 12, "Xen", 4);
	put32(m->b + NOTE_OFF + 16, ENTRY);
	for (unsigned i = 0; i < 0x100; i++)
		m->b[LOAD_OFF + i] = (uint8_t)(i + 1);
}

static int parse(struct img *m, char *err, size_t n)
{
	struct hcabi__image im = {.data = m->b, .size = m->size};
	err[0] = '\0';
	return hcabi__image_parse(&im, RAM, err, n);
}

START_TEST(valid_image)
{
	struct img m;
	struct hcabi__image im = {0};
	char err[256];
	make(&m);
	im.data = m.b;
	im.size = m.size;
	ck_assert_int_eq(hcabi__image_parse(&im, RAM, err, sizeof(err)), 0);
	ck_assert_uint_eq(im.entry, ENTRY);
	ck_assert_uint_eq(im.lowest, LOAD_PADDR);
	ck_assert_uint_eq(im.highest, LOAD_PADDR + 0x2000);
}
END_TEST

/* Each case breaks the valid image one way; the message must say why. */
struct bad_case {
	const char *name;
	void (*mutate)(struct img *m);
	const char *msg;
};

static void m_short(struct img *m)
{
	m->size = 10;
}
static void m_magic(struct img *m)
{
	m->b[1] = 'X';
}
static void m_class(struct img *m)
{
	m->b[EI_CLASS] = ELFCLASS32;
}
static void m_endian(struct img *m)
{
	m->b[EI_DATA] = ELFDATA2MSB;
}
static void m_type(struct img *m)
{
	eh(m)->e_type = ET_DYN;
}
static void m_machine(struct img *m)
{
	eh(m)->e_machine = EM_386;
}
static void m_phentsize(struct img *m)
{
	eh(m)->e_phentsize = 32;
}
static void m_phnum0(struct img *m)
{
	eh(m)->e_phnum = 0;
}
static void m_phoff(struct img *m)
{
	eh(m)->e_phoff = IMG_SIZE - 8;
}
static void m_phoff_wrap(struct img *m)
{
	eh(m)->e_phoff = UINT64_MAX - 16;
}
static void m_filesz(struct img *m)
{
	ph(m, 0)->p_filesz = 0x3000;
}
static void m_offset(struct img *m)
{
	ph(m, 0)->p_offset = IMG_SIZE;
}
static void m_offset_wrap(struct img *m)
{
	ph(m, 0)->p_offset = UINT64_MAX - 0x10;
}
static void m_ram(struct img *m)
{
	ph(m, 0)->p_paddr = RAM - 0x1000;
}
static void m_paddr_wrap(struct img *m)
{
	ph(m, 0)->p_paddr = UINT64_MAX - 0x100;
}
static void m_noload(struct img *m)
{
	ph(m, 0)->p_type = PT_NULL;
}
static void m_nonote(struct img *m)
{
	put32(m->b + NOTE_OFF + 8, 17);
}
static void m_note_outside(struct img *m)
{
	ph(m, 1)->p_offset = UINT64_MAX - 4;
}
static void m_namesz(struct img *m)
{
	put32(m->b + NOTE_OFF, 0x7fffffff);
}
static void m_descsz(struct img *m)
{
	put32(m->b + NOTE_OFF + 4, 2);
}
static void m_desc_high(struct img *m)
{
	uint64_t e = 0x100000000ull | ENTRY;
	put32(m->b + NOTE_OFF + 4, 8);
	memcpy(m->b + NOTE_OFF + 16, &e, 8);
	ph(m, 1)->p_filesz = 24;
}
static void m_entry_out(struct img *m)
{
	put32(m->b + NOTE_OFF + 16, 0x200000);
}
static void m_entry_bss(struct img *m)
{
	put32(m->b + NOTE_OFF + 16, LOAD_PADDR + 0x1000);
}

static const struct bad_case bad_cases[] = {
    {"short", m_short, "not an ELF file"},
    {"magic", m_magic, "bad magic"},
    {"class", m_class, "not an ELF64"},
    {"endian", m_endian, "little-endian"},
    {"type", m_type, "not ET_EXEC"},
    {"machine", m_machine, "not x86-64"},
    {"phentsize", m_phentsize, "program header size"},
    {"phnum0", m_phnum0, "no (or too many) program headers"},
    {"phoff", m_phoff, "program headers lie outside"},
    {"phoff_wrap", m_phoff_wrap, "program headers lie outside"},
    {"filesz", m_filesz, "exceeds memory size"},
    {"offset", m_offset, "lies outside the file"},
    {"offset_wrap", m_offset_wrap, "lies outside the file"},
    {"ram", m_ram, "does not fit"},
    {"paddr_wrap", m_paddr_wrap, "does not fit"},
    {"noload", m_noload, "no loadable segment"},
    {"nonote", m_nonote, "XEN_ELFNOTE_PHYS32_ENTRY"},
    {"note_outside", m_note_outside, "note segment 1 lies outside"},
    {"namesz", m_namesz, "malformed ELF note"},
    {"descsz", m_descsz, "2-byte descriptor"},
    {"desc_high", m_desc_high, "above 4 GiB"},
    {"entry_out", m_entry_out, "not inside a loaded segment"},
    {"entry_bss", m_entry_bss, "not inside a loaded segment"},
};

START_TEST(bad_image)
{
	const struct bad_case *c = &bad_cases[_i];
	struct img m;
	char err[256];
	make(&m);
	c->mutate(&m);
	ck_assert_msg(parse(&m, err, sizeof(err)) == -1, "case %s accepted", c->name);
	ck_assert_msg(strstr(err, c->msg) != NULL, "case %s: message '%s' lacks '%s'", c->name, err,
		      c->msg);
}
END_TEST

START_TEST(note_desc8)
{
	struct img m;
	char err[256];
	uint64_t e = ENTRY;
	make(&m);
	put32(m.b + NOTE_OFF + 4, 8);
	memcpy(m.b + NOTE_OFF + 16, &e, 8);
	ph(&m, 1)->p_filesz = 24;
	ck_assert_int_eq(parse(&m, err, sizeof(err)), 0);
}
END_TEST

/* A GNU property note (8-byte aligned) before the Xen note. */
START_TEST(note_after_other_note)
{
	struct img m;
	char err[256];
	struct hcabi__image im = {0};
	uint8_t *p;
	make(&m);
	p = m.b + 0x300;
	put32(p, 4);
	put32(p + 4, 16);
	put32(p + 8, 5);
	memcpy(p + 12, "GNU", 4);
	/* desc at +16, 16 bytes, next note at +32 */
	put32(p + 32, 4);
	put32(p + 36, 4);
	put32(p + 40, 18);
	memcpy(p + 44, "Xen", 4);
	put32(p + 48, ENTRY + 4);
	ph(&m, 1)->p_offset = 0x300;
	ph(&m, 1)->p_filesz = 56;
	ph(&m, 1)->p_align = 8;
	im.data = m.b;
	im.size = m.size;
	ck_assert_int_eq(hcabi__image_parse(&im, RAM, err, sizeof(err)), 0);
	ck_assert_uint_eq(im.entry, ENTRY + 4);
}
END_TEST

/* The note reachable only through a section header. */
START_TEST(note_in_section_only)
{
	struct img m;
	char err[256];
	Elf64_Shdr sh[2];
	make(&m);
	ph(&m, 1)->p_type = PT_NULL;
	memset(sh, 0, sizeof(sh));
	sh[1].sh_type = SHT_NOTE;
	sh[1].sh_offset = NOTE_OFF;
	sh[1].sh_size = 20;
	sh[1].sh_addralign = 4;
	memcpy(m.b + 0x800, sh, sizeof(sh));
	eh(&m)->e_shoff = 0x800;
	eh(&m)->e_shentsize = sizeof(Elf64_Shdr);
	eh(&m)->e_shnum = 2;
	ck_assert_int_eq(parse(&m, err, sizeof(err)), 0);
}
END_TEST

START_TEST(install_layout)
{
	struct img m;
	struct hcabi__image im = {0};
	char err[256];
	uint8_t *ram = malloc(RAM);
	struct hcabi_pvh_start_info si;
	struct hcabi_pvh_memmap_entry mm[3];
	uint64_t gpa;

	ck_assert_ptr_nonnull(ram);
	memset(ram, 0xaa, RAM);
	make(&m);
	im.data = m.b;
	im.size = m.size;
	ck_assert_int_eq(hcabi__image_parse(&im, RAM, err, sizeof(err)), 0);
	gpa = hcabi__image_install(&im, ram, RAM, "console=hvc0 x", err, sizeof(err));
	ck_assert_uint_eq(gpa, 0x1000);
	/* segment bytes, then zeroed memory up to memsz */
	ck_assert_int_eq(memcmp(ram + LOAD_PADDR, m.b + LOAD_OFF, 0x100), 0);
	for (unsigned i = 0x100; i < 0x2000; i++)
		ck_assert_uint_eq(ram[LOAD_PADDR + i], 0);
	ck_assert_uint_eq(ram[LOAD_PADDR + 0x2000], 0xaa);
	memcpy(&si, ram + gpa, sizeof(si));
	ck_assert_uint_eq(si.magic, 0x336ec578u);
	ck_assert_uint_eq(si.version, 1);
	ck_assert_uint_eq(si.nr_modules, 0);
	ck_assert_uint_eq(si.modlist_paddr, 0);
	ck_assert_uint_eq(si.rsdp_paddr, 0);
	ck_assert_str_eq((const char *)ram + si.cmdline_paddr, "console=hvc0 x");
	/* a PC's map (layout.c): low RAM, the reserved BIOS area, RAM from 1 MiB */
	ck_assert_uint_eq(si.memmap_entries, 3);
	memcpy(mm, ram + si.memmap_paddr, sizeof(mm));
	ck_assert_uint_eq(mm[0].addr, 0);
	ck_assert_uint_eq(mm[0].size, 0xa0000);
	ck_assert_uint_eq(mm[0].type, HCABI_PVH_MEMMAP_RAM);
	ck_assert_uint_eq(mm[1].addr, 0xf0000);
	ck_assert_uint_eq(mm[1].size, 0x10000);
	ck_assert_uint_eq(mm[1].type, HCABI_PVH_MEMMAP_RESERVED);
	ck_assert_uint_eq(mm[2].addr, 0x100000);
	ck_assert_uint_eq(mm[2].size, RAM - 0x100000);
	ck_assert_uint_eq(mm[2].type, HCABI_PVH_MEMMAP_RAM);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(mm[i].reserved, 0);
	free(ram);
}
END_TEST

/* An image that covers low memory: the start info goes after it. */
START_TEST(install_after_image)
{
	struct img m;
	struct hcabi__image im = {0};
	char err[256];
	uint8_t *ram = calloc(1, RAM);
	struct hcabi_pvh_start_info si;
	uint64_t gpa;

	ck_assert_ptr_nonnull(ram);
	make(&m);
	ph(&m, 0)->p_paddr = 0;
	ph(&m, 0)->p_memsz = 0x123456;
	put32(m.b + NOTE_OFF + 16, 0x10);
	im.data = m.b;
	im.size = m.size;
	ck_assert_int_eq(hcabi__image_parse(&im, RAM, err, sizeof(err)), 0);
	gpa = hcabi__image_install(&im, ram, RAM, "", err, sizeof(err));
	ck_assert_uint_eq(gpa, 0x124000);
	memcpy(&si, ram + gpa, sizeof(si));
	ck_assert_uint_eq(si.magic, 0x336ec578u);
	ck_assert_str_eq((const char *)ram + si.cmdline_paddr, "");
	free(ram);
}
END_TEST

/* --initrd: the PVH module list's one entry, the bytes page-aligned at the
 * top of RAM; one that does not fit above the image is an error. */
START_TEST(install_initrd)
{
	struct img m;
	struct hcabi__image im = {0};
	char err[256];
	uint8_t *ram = calloc(1, RAM);
	uint8_t disk[5000];
	struct hcabi_pvh_start_info si;
	struct hcabi_pvh_modlist_entry mod;
	uint64_t gpa;

	ck_assert_ptr_nonnull(ram);
	for (unsigned i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + 1);
	make(&m);
	memset(&im, 0, sizeof(im));
	im.data = m.b;
	im.size = m.size;
	ck_assert_int_eq(hcabi__image_parse(&im, RAM, err, sizeof(err)), 0);
	im.initrd = disk;
	im.initrd_size = sizeof(disk);
	gpa = hcabi__image_install(&im, ram, RAM, "", err, sizeof(err));
	ck_assert_uint_eq(gpa, 0x1000);
	memcpy(&si, ram + gpa, sizeof(si));
	ck_assert_uint_eq(si.nr_modules, 1);
	ck_assert_uint_gt(si.modlist_paddr, gpa + 64);
	ck_assert_uint_lt(si.modlist_paddr + sizeof(mod), gpa + 4096);
	memcpy(&mod, ram + si.modlist_paddr, sizeof(mod));
	ck_assert_uint_eq(mod.paddr, (RAM - sizeof(disk)) & ~4095ull);
	ck_assert_uint_eq(mod.size, sizeof(disk));
	ck_assert_uint_eq(mod.cmdline_paddr, 0);
	ck_assert_uint_eq(mod.reserved, 0);
	ck_assert_int_eq(memcmp(ram + mod.paddr, disk, sizeof(disk)), 0);

	/* too large to fit between the image's end and the top of RAM */
	im.initrd_size = RAM - 0x100000;
	im.initrd = calloc(1, im.initrd_size);
	ck_assert_ptr_nonnull(im.initrd);
	ck_assert_uint_eq(hcabi__image_install(&im, ram, RAM, "", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "initial RAM disk"));
	free(im.initrd);
	free(ram);
}
END_TEST

START_TEST(install_cmdline_too_long)
{
	struct img m;
	struct hcabi__image im = {0};
	char err[256];
	char *cmd = malloc(HCABI__MAX_CMDLINE + 2);
	uint8_t *ram = calloc(1, RAM);
	ck_assert_ptr_nonnull(cmd);
	ck_assert_ptr_nonnull(ram);
	memset(cmd, 'x', HCABI__MAX_CMDLINE + 1);
	cmd[HCABI__MAX_CMDLINE + 1] = '\0';
	make(&m);
	im.data = m.b;
	im.size = m.size;
	ck_assert_int_eq(hcabi__image_parse(&im, RAM, err, sizeof(err)), 0);
	ck_assert_uint_eq(hcabi__image_install(&im, ram, RAM, cmd, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "command line"));
	free(cmd);
	free(ram);
}
END_TEST

struct size_case {
	const char *s;
	bool ok;
	uint64_t v;
};
static const struct size_case size_cases[] = {
    {"64M", true, 64ull << 20},
    {"1G", true, 1ull << 30},
    {"3g", true, 3ull << 30},
    {"4096", true, 4096},
    {"4k", true, 4096},
    {"0", true, 0},
    {"16M", true, 16ull << 20},
    {"", false, 0},
    {"M", false, 0},
    {"12Q", false, 0},
    {"-1", false, 0},
    {"+1", false, 0},
    {" 1", false, 0},
    {"1MB", false, 0},
    {"1.5G", false, 0},
    {"18446744073709551615", true, UINT64_MAX},
    {"18446744073709551616", false, 0},
    {"17179869184G", false, 0},
};

START_TEST(parse_size)
{
	const struct size_case *c = &size_cases[_i];
	uint64_t v = 12345;
	ck_assert_msg(hcabi__parse_size(c->s, &v) == c->ok, "'%s'", c->s);
	if (c->ok)
		ck_assert_msg(v == c->v, "'%s' -> %llu", c->s, (unsigned long long)v);
}
END_TEST

static Suite *pvh_suite(void)
{
	Suite *s = suite_create("pvh");
	TCase *tc = tcase_create("elf");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, valid_image);
	tcase_add_loop_test(tc, bad_image, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, note_desc8);
	tcase_add_test(tc, note_after_other_note);
	tcase_add_test(tc, note_in_section_only);
	suite_add_tcase(s, tc);
	tc = tcase_create("start_info");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, install_layout);
	tcase_add_test(tc, install_after_image);
	tcase_add_test(tc, install_initrd);
	tcase_add_test(tc, install_cmdline_too_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("size");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, parse_size, 0, (int)(sizeof(size_cases) / sizeof(size_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pvh_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
