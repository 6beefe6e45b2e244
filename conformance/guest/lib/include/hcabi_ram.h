/* SPDX-License-Identifier: MIT */
/*
 * hcabi_ram.h - guest RAM as the boot memory map describes it (the
 * architecture's: hcabi_arch_memory_range), and byte-pattern helpers, for
 * the tests of VCPU, IPI, TLB, MEM, STEAL, BATCH and SYSTEM.
 *
 * The invalid-address tests need GPAs that are certainly outside RAM (the
 * end of the highest RAM range, a hole between ranges, GPAs near 2^64), and
 * MEM.GET_LAYOUT is compared with the boot memory map. Header-only (static
 * functions), so that an image uses it without a change to the build.
 *
 * The map is read once, at the first use, and kept: tests may later poison
 * free RAM, and the start info may live in RAM the allocator hands out.
 */
#ifndef HCABI_RAM_H
#define HCABI_RAM_H

#include "hcabi_guest.h"

#define HCABI_RAM_MAX_RANGES 64u

struct hcabi_ram_map {
	bool valid;	/* the boot protocol gave a memory map */
	bool truncated; /* it had more RAM ranges than HCABI_RAM_MAX_RANGES */
	unsigned n;	/* RAM ranges: sorted, merged, 4 KiB-aligned inward */
	struct hcabi_mem_range r[HCABI_RAM_MAX_RANGES];
};

static inline void hcabi__ram_map_read(struct hcabi_ram_map *m)
{
	uint64_t base, size;

	memset(m, 0, sizeof(*m));
	if (!hcabi_arch_memory_map())
		return;
	m->valid = true;
	for (unsigned i = 0; hcabi_arch_memory_range(i, &base, &size); i++) {
		uint64_t end, b, t;
		unsigned k;
		if (size == 0 || base + size < base)
			continue;
		end = base + size;
		b = (base + 4095) & ~4095ull; /* only whole pages */
		t = end & ~4095ull;
		if (b < base || t <= b)
			continue;
		/* merge into the sorted list (overlapping or touching ranges) */
		for (k = 0; k < m->n; k++) {
			uint64_t kb = m->r[k].base, kt = kb + m->r[k].size;
			if (t >= kb && b <= kt) {
				b = b < kb ? b : kb;
				t = t > kt ? t : kt;
				memmove(&m->r[k], &m->r[k + 1], (m->n - k - 1) * sizeof(m->r[0]));
				m->n--;
				k = (unsigned)-1; /* restart: the grown range may touch more */
			}
		}
		if (m->n == HCABI_RAM_MAX_RANGES) {
			m->truncated = true;
			continue;
		}
		k = m->n;
		while (k > 0 && m->r[k - 1].base > b) {
			m->r[k] = m->r[k - 1];
			k--;
		}
		m->r[k].base = b;
		m->r[k].size = t - b;
		m->r[k].type = HCABI_MEM_RANGE_RAM;
		m->r[k].reserved0 = 0;
		m->n++;
	}
}

/* The boot memory map's RAM, read once. */
static inline const struct hcabi_ram_map *hcabi_ram_map(void)
{
	static struct hcabi_ram_map map;
	static bool done;
	if (!done) {
		hcabi__ram_map_read(&map);
		done = true;
	}
	return &map;
}

/* First byte past the highest RAM (from the boot map; without one, the
 * runtime's own idea of the end of RAM). */
static inline uint64_t hcabi_ram_top(void)
{
	const struct hcabi_ram_map *m = hcabi_ram_map();
	if (m->valid && m->n)
		return m->r[m->n - 1].base + m->r[m->n - 1].size;
	return hcabi_ram_end();
}

/* Whether [gpa, gpa + len) is wholly inside one RAM range of the boot map. */
static inline bool hcabi_ram_contains(uint64_t gpa, uint64_t len)
{
	const struct hcabi_ram_map *m = hcabi_ram_map();
	if (len == 0 || gpa + (len - 1) < gpa)
		return false;
	for (unsigned i = 0; i < m->n; i++)
		if (gpa >= m->r[i].base && gpa + (len - 1) - m->r[i].base < m->r[i].size)
			return true;
	return false;
}

/* A page-aligned GPA below the top of RAM that is not RAM (a hole between
 * two ranges), or 0 when RAM is one range. */
static inline uint64_t hcabi_ram_hole(void)
{
	const struct hcabi_ram_map *m = hcabi_ram_map();
	for (unsigned i = 0; i + 1 < m->n; i++) {
		uint64_t end = m->r[i].base + m->r[i].size;
		if (end < m->r[i + 1].base)
			return end;
	}
	return 0;
}

/* Whether the last page of RAM is free memory of the identity map that a
 * test may overwrite: it lies above every page the runtime's allocator has
 * handed out, inside the RAM the allocator manages. */
static inline bool hcabi_top_page_free(void)
{
	uint64_t top = hcabi_ram_top();
	uint64_t frontier = hcabi_alloc_page(); /* the allocator's next page */
	return frontier && top <= hcabi_ram_end() && top <= HCABI_IDENTITY_END && top >= 2 * 4096 &&
	       frontier < top - 4096;
}

/* ---- byte patterns ---- */
static inline void hcabi_fill(void *p, uint8_t byte, size_t len)
{
	volatile uint8_t *b = (volatile uint8_t *)p;
	for (size_t i = 0; i < len; i++)
		b[i] = byte;
}

/* Offset of the first byte that is not `byte`, or -1 when all are. */
static inline int64_t hcabi_find_not(const void *p, uint8_t byte, size_t len)
{
	const volatile uint8_t *b = (const volatile uint8_t *)p;
	for (size_t i = 0; i < len; i++)
		if (b[i] != byte)
			return (int64_t)i;
	return -1;
}

/* FNV-1a over len bytes: to see whether memory the test may not write to
 * was changed. */
static inline uint64_t hcabi_hash(const void *p, size_t len)
{
	const volatile uint8_t *b = (const volatile uint8_t *)p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A GPA as a pointer (the identity map covers 0-4 GiB). */
static inline void *hcabi_gpa_ptr(uint64_t gpa)
{
	return (void *)(uintptr_t)gpa;
}

static inline uint64_t hcabi_gpa(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#endif /* HCABI_RAM_H */
