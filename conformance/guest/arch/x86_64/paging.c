/* SPDX-License-Identifier: MIT */
/*
 * paging.c - the RAM the guest may use, a page allocator, and 4 KiB
 * mappings above the identity map for tests that need their own page
 * tables (TLB tests change a mapping and check who still sees the old one).
 *
 * boot.S identity-maps 0-4 GiB with 2 MiB pages through hcabi__pml4[0].
 * hcabi_map_page() builds 4 KiB mappings at or above 4 GiB from fresh pages.
 * Pages come from the RAM after the image, up to the end of the RAM region
 * that holds the image (from the PVH start info's memory map).
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"
#include "arch/x86_64/hcabi_pvh.h"

extern uint64_t hcabi__pml4[512];
extern char __image_start[], _end[];

static uint64_t ram_end;
static uint64_t next_free;
static struct hcabi_spinlock page_lock;

uint64_t hcabi_pml4(void)
{
	return (uint64_t)(uintptr_t)hcabi__pml4;
}

uint64_t hcabi_ram_end(void)
{
	return ram_end;
}

void hcabi__paging_init(void)
{
	uint64_t image = (uint64_t)(uintptr_t)__image_start;
	uint64_t si_gpa = hcabi_start_info();
	const struct hcabi_pvh_start_info *si =
	    (const struct hcabi_pvh_start_info *)(uintptr_t)si_gpa;

	next_free = ((uint64_t)(uintptr_t)_end + 4095) & ~4095ull;
	ram_end = 0;
	if (si_gpa && si_gpa < HCABI_IDENTITY_END && si->magic == HCABI_PVH_START_MAGIC &&
	    si->version >= 1 && si->memmap_paddr && si->memmap_paddr < HCABI_IDENTITY_END &&
	    si->memmap_entries < 1024) {
		const struct hcabi_pvh_memmap_entry *e =
		    (const struct hcabi_pvh_memmap_entry *)(uintptr_t)si->memmap_paddr;
		for (uint32_t i = 0; i < si->memmap_entries; i++) {
			uint64_t end = e[i].addr + e[i].size;
			if (e[i].type != HCABI_PVH_MEMMAP_RAM || end < e[i].addr)
				continue;
			if (e[i].addr <= image && image < end)
				ram_end = end;
		}
	}
	if (!ram_end) {
		/* No usable memory map: assume the 64 MiB every image asks for
		 * (the images are linked at 1 MiB and are far smaller). */
		hcabi_printf(
		    "warning: no PVH memory map (start info at 0x%llx); assuming 64 MiB of RAM",
		    (unsigned long long)si_gpa);
		ram_end = 64ull << 20;
	}
	if (ram_end > HCABI_IDENTITY_END)
		ram_end = HCABI_IDENTITY_END;
	ram_end &= ~4095ull;
}

uint64_t hcabi_alloc_page(void)
{
	uint64_t flags = hcabi_spin_lock_irqsave(&page_lock);
	uint64_t p = 0;
	if (next_free + 4096 <= ram_end) {
		p = next_free;
		next_free += 4096;
	}
	hcabi_spin_unlock_irqrestore(&page_lock, flags);
	if (p)
		memset((void *)(uintptr_t)p, 0, 4096);
	return p;
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* The entry of the next level for va, creating the table if needed. */
static uint64_t *walk(uint64_t va, bool create)
{
	uint64_t *table = hcabi__pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &table[(va >> shift) & 511];
		if (!(*e & HCABI_PTE_P)) {
			uint64_t p;
			if (!create || !(p = hcabi_alloc_page()))
				return 0;
			*e = p | HCABI_PTE_P | HCABI_PTE_W | HCABI_PTE_U;
		} else if (*e & HCABI_PTE_PS) {
			return 0;
		}
		table = (uint64_t *)(uintptr_t)(*e & HCABI_PTE_ADDR);
	}
	return &table[(va >> 12) & 511];
}

bool hcabi_map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	static struct hcabi_spinlock map_lock;
	uint64_t *pte;
	uint64_t irq;

	if ((va & 4095) || (pa & 4095) || va < HCABI_IDENTITY_END || !canonical(va))
		return false;
	irq = hcabi_spin_lock_irqsave(&map_lock);
	pte = walk(va, true);
	if (pte)
		*(volatile uint64_t *)pte = (pa & HCABI_PTE_ADDR) | flags | HCABI_PTE_P;
	hcabi_spin_unlock_irqrestore(&map_lock, irq);
	return pte != 0;
}

volatile uint64_t *hcabi_pte(uint64_t va)
{
	if (va < HCABI_IDENTITY_END || !canonical(va))
		return 0;
	return walk(va, false);
}
