/* SPDX-License-Identifier: MIT */
/*
 * fz_ram.c - guest RAM of one input: the merged ranges, bounds tests that
 * cannot overflow, and reads and writes by the harness (the "guest").
 */

#include <string.h>

#include "fz_model.h"

struct region *fz_region_of(uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (unsigned i = 0; i < fz.nram; i++) {
		struct region *r = &fz.ram[i];
		if (gpa >= r->base && gpa - r->base < r->size && len <= r->size - (gpa - r->base))
			return r;
	}
	return NULL;
}

bool fz_ram_has(uint64_t gpa, uint64_t len)
{
	return fz_region_of(gpa, len) != NULL;
}

/* [g, g + len) within [b, b + size): overflow-safe. */
bool fz_within(uint64_t g, uint64_t len, uint64_t b, uint64_t size)
{
	return g >= b && g - b <= size && len <= size - (g - b);
}

bool fz_overlaps(uint64_t g, uint64_t len, uint64_t b, uint64_t size)
{
	uint64_t gl, bl;
	if (len == 0 || size == 0)
		return false;
	gl = g + (len - 1) < g ? UINT64_MAX : g + (len - 1);
	bl = b + (size - 1) < b ? UINT64_MAX : b + (size - 1);
	return g <= bl && b <= gl;
}

void fz_poke(uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *s = src;
	for (size_t i = 0; i < len; i++) {
		struct region *r = fz_region_of(gpa + i, 1);
		if (r)
			r->mem[gpa + i - r->base] = s[i];
	}
}

void fz_poke64(uint64_t gpa, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	fz_poke(gpa, b, 8);
}

void fz_peek(uint64_t gpa, void *dst, size_t len)
{
	struct region *r = fz_region_of(gpa, len);
	if (!r)
		fz_fail("harness: peek outside RAM");
	memcpy(dst, r->mem + (gpa - r->base), len);
}

uint64_t fz_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}
