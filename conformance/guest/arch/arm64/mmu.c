/* SPDX-License-Identifier: MIT */
/*
 * mmu.c - RAM from the device tree, the identity map, and the page
 * allocator.
 *
 * The identity map covers the 39-bit space (TCR_EL1.T0SZ = 25, 4 KiB
 * granule, the walk starting at level 1): the first 4 GiB with 2 MiB
 * blocks, the rest with 1 GiB blocks. A block wholly inside a memory range
 * of the device tree is normal write-back memory, inner shareable (the
 * atomics of the locks and the multi-vCPU tests need it); every other block
 * is device-nGnRE and never executable. EL0 has no access.
 *
 * Pages come from the RAM after the image, up to the end of the memory
 * range that holds it, skipping the device tree.
 */
#include "hcabi_fdt.h"
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define PAGE 4096ull
#define MB2 (2ull << 20)
#define GB1 (1ull << 30)
#define LOW_END (4ull << 30) /* mapped with 2 MiB blocks below */

/* descriptors */
#define D_BLOCK 1ull
#define D_TABLE 3ull
#define D_ATTR(i) ((uint64_t)(i) << 2)
#define D_SH_INNER (3ull << 8)
#define D_AF (1ull << 10)
#define D_NG (1ull << 11)
#define D_PAGE 3ull /* at level 3 */
#define D_ADDR 0x0000FFFFFFFFF000ull
#define D_PXN (1ull << 53)
#define D_UXN (1ull << 54)
#define ATTR_DEVICE 0 /* MAIR attr0: device-nGnRE */
#define ATTR_NORMAL 1 /* MAIR attr1: normal, inner/outer write-back RW-allocate */
#define MAIR_VALUE ((0xFFull << 8) | 0x04ull)
#define DESC_NORMAL (D_BLOCK | D_ATTR(ATTR_NORMAL) | D_SH_INNER | D_AF | D_UXN)
#define DESC_DEVICE (D_BLOCK | D_ATTR(ATTR_DEVICE) | D_AF | D_PXN | D_UXN)

#define SCTLR_M (1ull << 0)
#define SCTLR_C (1ull << 2)
#define SCTLR_SA (1ull << 3)
#define SCTLR_I (1ull << 12)

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2[LOW_END / GB1][512] __attribute__((aligned(4096)));
static uint64_t tcr;

static uint64_t mem_base[HCABI_MEM_RANGES_MAX], mem_size[HCABI_MEM_RANGES_MAX];
static unsigned mem_n;
static bool mem_from_dt; /* else QEMU virt's default, assumed */
static uint64_t ram_end, next_free, fdt_start, fdt_end;
static struct hcabi_spinlock page_lock, map_lock;

extern char __image_start[], _end[];

bool hcabi_arch_memory_map(void)
{
	return mem_from_dt;
}

bool hcabi_arch_memory_range(unsigned i, uint64_t *base, uint64_t *size)
{
	if (!mem_from_dt || i >= mem_n)
		return false;
	*base = mem_base[i];
	*size = mem_size[i];
	return true;
}

uint64_t hcabi_ram_end(void)
{
	return ram_end;
}

/* Every reg range of every node whose device_type is "memory". */
static void read_memory(const struct hcabi_fdt *f)
{
	int d = 0;
	for (int n = hcabi_fdt_root(f); n != HCABI_FDT_NONE; n = hcabi_fdt_next_node(f, n, &d)) {
		const char *type = hcabi_fdt_prop_str(f, n, "device_type");
		uint64_t b, s;
		if (!type || strcmp(type, "memory"))
			continue;
		for (unsigned i = 0; mem_n < HCABI_MEM_RANGES_MAX && hcabi_fdt_reg(f, n, i, &b, &s);
		     i++)
			if (s && b + s > b) {
				mem_base[mem_n] = b;
				mem_size[mem_n] = s;
				mem_n++;
			}
	}
}

static bool is_ram(uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < mem_n; i++)
		if (base >= mem_base[i] && base + size - mem_base[i] <= mem_size[i])
			return true;
	return false;
}

void hcabi__mmu_init(void)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	uint64_t image = (uint64_t)(uintptr_t)__image_start;
	uint64_t parange = hcabi_read_sysreg(id_aa64mmfr0_el1) & 0xF;

	if (f)
		read_memory(f);
	mem_from_dt = mem_n > 0;
	if (!mem_n) { /* QEMU virt's RAM base, the 64 MiB every image asks for */
		mem_base[0] = 0x40000000ull;
		mem_size[0] = 64ull << 20;
		mem_n = 1;
	}
	for (uint64_t i = 0; i < LOW_END / GB1; i++) {
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t pa = i * GB1 + j * MB2;
			l2[i][j] = pa | (is_ram(pa, MB2) ? DESC_NORMAL : DESC_DEVICE);
		}
		l1[i] = (uint64_t)(uintptr_t)l2[i] | D_TABLE;
	}
	for (uint64_t i = LOW_END / GB1; i < 512; i++)
		l1[i] = (i * GB1) | (is_ram(i * GB1, GB1) ? DESC_NORMAL : DESC_DEVICE);

	/* T0SZ 25, walks write-back inner shareable, 4 KiB granule, no TTBR1
	 * walks (EPD1), the output size the CPU has up to 40 bits */
	tcr = 25ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) |
	      ((parange > 2 ? 2 : parange) << 32);

	for (unsigned i = 0; i < mem_n; i++)
		if (image >= mem_base[i] && image - mem_base[i] < mem_size[i])
			ram_end = mem_base[i] + mem_size[i];
	next_free = ((uint64_t)(uintptr_t)_end + PAGE - 1) & ~(PAGE - 1);
	if (f) {
		fdt_start = (uint64_t)(uintptr_t)f->blob & ~(PAGE - 1);
		fdt_end = ((uint64_t)(uintptr_t)f->blob + f->size + PAGE - 1) & ~(PAGE - 1);
	}
	hcabi__mmu_enable();
}

/* Clean (and invalidate) the data cache lines of [p, p + len) to the point
 * of coherency. */
static void dcache_to_poc(const void *p, size_t len, bool invalidate)
{
	uint64_t line = 4ull << ((hcabi_read_sysreg(ctr_el0) >> 16) & 0xF); /* DminLine */
	uint64_t a = (uint64_t)(uintptr_t)p & ~(line - 1), end = (uint64_t)(uintptr_t)p + len;

	for (; a < end; a += line)
		if (invalidate)
			__asm__ __volatile__("dc civac, %0" ::"r"(a) : "memory");
		else
			__asm__ __volatile__("dc cvac, %0" ::"r"(a) : "memory");
	__asm__ __volatile__("dsb sy" ::: "memory");
}

void hcabi__clean_to_poc(const void *p, size_t len)
{
	dcache_to_poc(p, len, false);
}

void hcabi__mmu_clean_tables(void)
{
	/* what hcabi__mmu_enable reads with the MMU still off */
	hcabi__clean_to_poc(l1, sizeof(l1));
	hcabi__clean_to_poc(l2, sizeof(l2));
	hcabi__clean_to_poc(&tcr, sizeof(tcr));
}

void hcabi_arm64_clean_for_start(const void *p, size_t len)
{
	hcabi__clean_to_poc(p, len);
	hcabi__mmu_clean_tables();
}

void hcabi_arm64_drop_cached(const void *p, size_t len)
{
	dcache_to_poc(p, len, true);
}

/* The calling vCPU's MMU on with the identity map (once per vCPU). */
void hcabi__mmu_enable(void)
{
	uint64_t sctlr = hcabi_read_sysreg(sctlr_el1);

	if (sctlr & SCTLR_M)
		return;
	hcabi_write_sysreg(mair_el1, MAIR_VALUE);
	hcabi_write_sysreg(tcr_el1, tcr);
	hcabi_write_sysreg(ttbr0_el1, (uint64_t)(uintptr_t)l1);
	__asm__ __volatile__("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
	hcabi_write_sysreg(sctlr_el1, sctlr | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I);
	__asm__ __volatile__("isb\n\tic iallu\n\tdsb nsh\n\tisb" ::: "memory");
}

uint64_t hcabi_alloc_page(void)
{
	uint64_t page = 0;

	hcabi_spin_lock(&page_lock);
	if (next_free >= fdt_start && next_free < fdt_end)
		next_free = fdt_end; /* the device tree stays readable */
	if (next_free + PAGE <= ram_end) {
		page = next_free;
		next_free += PAGE;
	}
	hcabi_spin_unlock(&page_lock);
	if (page)
		memset((void *)(uintptr_t)page, 0, PAGE);
	return page;
}

uint64_t hcabi_arm64_page_desc(uint64_t pa, bool global)
{
	return (pa & D_ADDR) | D_PAGE | D_ATTR(ATTR_NORMAL) | D_SH_INNER | D_AF | D_PXN | D_UXN |
	       (global ? 0 : D_NG);
}

/* The next-level table of a table descriptor. */
static uint64_t *next_table(uint64_t desc)
{
	return (uint64_t *)(uintptr_t)(desc & D_ADDR);
}

volatile uint64_t *hcabi_arm64_map_page(uint64_t va, uint64_t pa, bool global)
{
	uint64_t i1 = va >> 30, i2 = (va >> 21) & 511, i3 = (va >> 12) & 511, t;
	volatile uint64_t *pte = 0;
	uint64_t *t2;

	if (va >> 39 || i1 < LOW_END / GB1)
		return 0;
	hcabi_spin_lock(&map_lock);
	if (l1[i1] == ((i1 * GB1) | DESC_DEVICE) && !is_ram(i1 * GB1, GB1)) {
		/* the identity map's unused device block becomes a table: break
		 * before make, on every vCPU */
		if (!(t = hcabi_alloc_page()))
			goto out;
		l1[i1] = 0;
		__asm__ __volatile__("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish" ::: "memory");
		l1[i1] = t | D_TABLE;
	} else if ((l1[i1] & 3) != D_TABLE) {
		goto out;
	}
	t2 = next_table(l1[i1]);
	if (!(t2[i2] & 1)) {
		if (!(t = hcabi_alloc_page()))
			goto out;
		t2[i2] = t | D_TABLE;
	} else if ((t2[i2] & 3) != D_TABLE) {
		goto out;
	}
	pte = &next_table(t2[i2])[i3];
	*pte = hcabi_arm64_page_desc(pa, global);
	/* the translation va had before (none, or another of these pages) */
	__asm__ __volatile__("dsb ishst\n\ttlbi vaae1is, %0\n\tdsb ish\n\tisb" ::"r"(va >> 12)
			     : "memory");
out:
	hcabi_spin_unlock(&map_lock);
	return pte;
}
