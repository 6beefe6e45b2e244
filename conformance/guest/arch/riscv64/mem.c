/* SPDX-License-Identifier: MIT */
/*
 * mem.c - RAM from the device tree, and the page allocator. No page tables:
 * the runtime runs with satp = 0, where every address is physical and the
 * platform's physical memory attributes make RAM cacheable memory with
 * atomics and devices I/O.
 *
 * Pages come from the RAM after the image, up to the end of the memory
 * range that holds it, skipping the device tree.
 */
#include "hcabi_dt.h"
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define PAGE 4096ull

static uint64_t mem_base[HCABI_MEM_RANGES_MAX], mem_size[HCABI_MEM_RANGES_MAX];
static unsigned mem_n;
static uint64_t ram_end, next_free, fdt_start, fdt_end;
static struct hcabi_spinlock page_lock;

extern char __image_start[], _end[];

bool hcabi_arch_memory_map(void)
{
	return mem_n > 0;
}

bool hcabi_arch_memory_range(unsigned i, uint64_t *base, uint64_t *size)
{
	if (i >= mem_n)
		return false;
	*base = mem_base[i];
	*size = mem_size[i];
	return true;
}

uint64_t hcabi_ram_end(void)
{
	return ram_end;
}

void hcabi__mem_init(void)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	uint64_t image = (uint64_t)(uintptr_t)__image_start, b, s;
	int d = 0;

	/* every reg range of every node whose device_type is "memory" */
	for (int n = f ? hcabi_fdt_root(f) : HCABI_FDT_NONE; n != HCABI_FDT_NONE;
	     n = hcabi_fdt_next_node(f, n, &d)) {
		const char *type = hcabi_fdt_prop_str(f, n, "device_type");
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
	/* without them, QEMU virt's RAM base and the 64 MiB every image asks
	 * for (not reported as a memory map) */
	ram_end = 0x80000000ull + (64ull << 20);
	for (unsigned i = 0; i < mem_n; i++)
		if (image >= mem_base[i] && image - mem_base[i] < mem_size[i])
			ram_end = mem_base[i] + mem_size[i];
	next_free = ((uint64_t)(uintptr_t)_end + PAGE - 1) & ~(PAGE - 1);
	if (f) {
		fdt_start = (uint64_t)(uintptr_t)f->blob & ~(PAGE - 1);
		fdt_end = ((uint64_t)(uintptr_t)f->blob + f->size + PAGE - 1) & ~(PAGE - 1);
	}
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
