/* SPDX-License-Identifier: MIT */
/*
 * gpa.c - guest-physical address checks, overflow-safe, against the merged
 * RAM layout of the configuration; little-endian encoding of the shared
 * structures.
 */
#include "hcabi_ref_internal.h"

bool hcabi__core_ram_contains(const struct hcabi_ref *ref, uint64_t gpa, uint64_t len)
{
	uint64_t last;

	if (len == 0)
		return false;
	/* GEN-001: a range whose end overflows 64 bits is never in RAM. */
	if (gpa > UINT64_MAX - (len - 1))
		return false;
	last = gpa + (len - 1);
	/* The merged ranges neither overlap nor touch: a range in RAM lies in
	 * exactly one of them. Binary search by base. */
	uint32_t lo = 0, hi = ref->nram;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct hcabi_ref_ram_range *r = &ref->ram[mid];
		if (gpa < r->base) {
			hi = mid;
		} else if (gpa - r->base >= r->size) {
			lo = mid + 1;
		} else {
			/* gpa is in r; the end must be too (base + size does
			 * not overflow: checked at creation). */
			return last - r->base < r->size;
		}
	}
	return false;
}

int64_t hcabi__core_check_gpa(const struct hcabi_ref *ref, uint64_t gpa, uint64_t count,
			      uint64_t size, uint64_t align)
{
	/* GEN-001: misaligned, overflowing, or not wholly in guest RAM. */
	if (align > 1 && (gpa & (align - 1)) != 0)
		return HCABI_ERR_INVALID_ADDRESS;
	if (count == 0 || size == 0 || count > UINT64_MAX / size)
		return HCABI_ERR_INVALID_ADDRESS;
	if (!hcabi__core_ram_contains(ref, gpa, count * size))
		return HCABI_ERR_INVALID_ADDRESS;
	return HCABI_SUCCESS;
}

void hcabi__core_put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t hcabi__core_get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}
