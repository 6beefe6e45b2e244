/* SPDX-License-Identifier: MIT */
/*
 * MEM.GET_LAYOUT: the parts of MEM-010, MEM-011, MEM-012 (each check names
 * the one it checks).
 *
 * What:
 *  - max_entries 0 returns SUCCESS with the total and writes nothing, and
 *    does not check gpa: misaligned, outside RAM or near 2^64 it still
 *    succeeds (MEM-010.2 to .4);
 *  - a full buffer gets exactly `total` entries and nothing after them; a
 *    partial one (1, total - 1, total, total + 1, 2^63, 2^64 - 1 entries)
 *    gets exactly min(max_entries, total) entries, equal to the first ones
 *    of the full list, and the entry after them is untouched (MEM-010.1);
 *  - the ranges are sorted by base, neither overlap nor touch, have 4 KiB
 *    aligned bases and non-zero 4 KiB-multiple sizes, type
 *    HCABI_MEM_RANGE_RAM and reserved0 written as zero; they equal the RAM
 *    of the boot memory map (the PVH start info's E820 table, merged and
 *    sorted) exactly, and every call - on vCPU 0 and on vCPU 1 - returns the
 *    same list (MEM-011.1 to .7, GEN-003);
 *  - a misaligned gpa, a gpa outside RAM, a buffer that starts in RAM and
 *    ends past its top, a hole between RAM ranges (if the VM has one) and
 *    GPAs near 2^64 are INVALID_ADDRESS with RDX = 0 and nothing written
 *    (MEM-012.1 misaligned, .2 outside RAM, .3 nothing written; GEN-001).
 * Why: a guest builds its physical memory allocator from this list; an
 * entry too many, a range that is not RAM, or a partial write on error
 * corrupts it before it has anything else to check against.
 */
#include "hcabi_test.h"
#include "hcabi_ram.h"

#define LAYOUT_MAX 64u
#define POISON 0xA5u

static struct hcabi_mem_range buf[LAYOUT_MAX + 2] __attribute__((aligned(64)));
static struct hcabi_mem_range full[LAYOUT_MAX];
static uint64_t full_total;

/* The whole list into `full` (first LAYOUT_MAX entries); false on error. */
static bool read_full(void)
{
	struct hcabi_ret r;
	hcabi_fill(buf, POISON, sizeof(buf));
	r = hcabi_mem_get_layout(hcabi_gpa(buf), LAYOUT_MAX);
	/* a GET_LAYOUT that fails, or finds no RAM, breaks MEM-010/MEM-011 */
	if (!check_status(r, HCABI_SUCCESS, "MEM-010.2", "GET_LAYOUT(buffer, %u)", LAYOUT_MAX) ||
	    !check_true(r.value != 0, "MEM-011.6",
			"GET_LAYOUT: %llu RAM ranges (the guest runs in some)",
			(unsigned long long)r.value))
		return false;
	full_total = r.value;
	memcpy(full, buf, sizeof(full));
	if (full_total > LAYOUT_MAX)
		test_log("the VM has %llu RAM ranges; the first %u are checked",
			 (unsigned long long)full_total, LAYOUT_MAX);
	return true;
}

static unsigned full_n(void)
{
	return full_total < LAYOUT_MAX ? (unsigned)full_total : LAYOUT_MAX;
}

HCABI_TEST(mem_layout_count, "MEM.get_layout_count_only",
	   "MEM-010.2,MEM-010.3,MEM-010.4," HCABI_REQ_VALUE_ZERO, HCABI_FID_MEM_GET_LAYOUT_SINCE)
{
	const uint64_t gpas[] = {
	    hcabi_gpa(buf) + 1,
	    hcabi_gpa(buf) + 4,
	    hcabi_ram_top(),
	    1ull << 63,
	    0xFFFFFFFFFFFFFFF8ull,
	    ~0ull,
	    0,
	};
	struct hcabi_ret r;
	uint64_t total;

	hcabi_fill(buf, POISON, sizeof(buf));
	r = hcabi_mem_get_layout(hcabi_gpa(buf), 0);
	if (!check_status(r, HCABI_SUCCESS, "MEM-010.2", "GET_LAYOUT(buffer, 0)"))
		return;
	total = r.value;
	check_ge_u64(total, 1, "MEM-010.2", "the total number of RAM ranges");
	check_true(hcabi_find_not(buf, POISON, sizeof(buf)) < 0, "MEM-010.3",
		   "max_entries 0 wrote nothing into the buffer");
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(gpas); i++)
		check_ret(hcabi_mem_get_layout(gpas[i], 0), HCABI_SUCCESS, total, "MEM-010.4",
			  "GET_LAYOUT(gpa 0x%llx, 0): gpa is not checked with max_entries 0",
			  (unsigned long long)gpas[i]);
	check_true(hcabi_find_not(buf, POISON, sizeof(buf)) < 0, "MEM-010.3",
		   "nothing was written into the buffer");
}

static struct {
	struct hcabi_mem_range r[LAYOUT_MAX];
	struct hcabi_ret ret;
} other_cpu;

static void layout_task(void *arg)
{
	(void)arg;
	other_cpu.ret = hcabi_mem_get_layout(hcabi_gpa(other_cpu.r), LAYOUT_MAX);
}

HCABI_TEST(mem_layout_ranges, "MEM.get_layout_ranges",
	   "MEM-010.1,MEM-010.2,MEM-011.1,MEM-011.2,MEM-011.3,MEM-011.4,MEM-011.5,MEM-011.6,"
	   "MEM-011.7,GEN-003,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_MEM_GET_LAYOUT_SINCE)
{
	const struct hcabi_ram_map *map = hcabi_ram_map();
	unsigned n;
	struct hcabi_ret r;

	if (!read_full())
		return;
	n = full_n();
	check_true(hcabi_find_not(&buf[n], POISON, sizeof(buf) - n * sizeof(buf[0])) < 0, "MEM-010.1",
		   "nothing written after the %u entries", n);
	for (unsigned i = 0; i < n; i++) {
		const struct hcabi_mem_range *e = &full[i];
		test_log("range %u: base 0x%llx size 0x%llx type %u reserved0 0x%x", i,
			 (unsigned long long)e->base, (unsigned long long)e->size, e->type,
			 e->reserved0);
		check_true((e->base & 4095) == 0, "MEM-011.3",
			   "range %u [0x%llx, +0x%llx): 4 KiB-aligned base", i,
			   (unsigned long long)e->base, (unsigned long long)e->size);
		check_true(e->size != 0 && (e->size & 4095) == 0 && e->base + e->size > e->base,
			   "MEM-011.4", "range %u [0x%llx, +0x%llx): non-zero 4 KiB-multiple size",
			   i, (unsigned long long)e->base, (unsigned long long)e->size);
		check_eq_u64(e->type, HCABI_MEM_RANGE_RAM, "MEM-011.5", "range %u: type", i);
		check_eq_u64(e->reserved0, 0, "GEN-003", "range %u: reserved0", i);
		if (i > 0)
			check_true(full[i - 1].base < e->base, "MEM-011.1",
				   "range %u (base 0x%llx) comes after range %u (base 0x%llx)", i,
				   (unsigned long long)e->base, i - 1,
				   (unsigned long long)full[i - 1].base);
		if (i > 0)
			check_true(full[i - 1].base + full[i - 1].size < e->base, "MEM-011.2",
				   "range %u starts after range %u ends, not touching it (0x%llx < "
				   "0x%llx)",
				   i, i - 1,
				   (unsigned long long)(full[i - 1].base + full[i - 1].size),
				   (unsigned long long)e->base);
	}

	/* exactly the boot memory map's RAM */
	if (!map->valid || map->truncated) {
		test_log("no usable PVH memory map: the layout is not compared with it");
	} else {
		check_eq_u64(full_total, map->n, "MEM-011.6",
			     "number of ranges = the RAM ranges of the boot memory map (merged)");
		for (unsigned i = 0; i < n && i < map->n; i++)
			check_true(
			    full[i].base == map->r[i].base && full[i].size == map->r[i].size,
			    "MEM-011.6",
			    "range %u [0x%llx, +0x%llx) = boot memory map RAM [0x%llx, +0x%llx)", i,
			    (unsigned long long)full[i].base, (unsigned long long)full[i].size,
			    (unsigned long long)map->r[i].base, (unsigned long long)map->r[i].size);
	}

	/* the same for every call, on every vCPU */
	for (int k = 0; k < 5; k++) {
		hcabi_fill(buf, POISON, sizeof(buf));
		r = hcabi_mem_get_layout(hcabi_gpa(buf), LAYOUT_MAX);
		check_ret(r, HCABI_SUCCESS, full_total, "MEM-011.7", "call %d: the same total",
			  k + 2);
		check_true(memcmp(buf, full, n * sizeof(full[0])) == 0, "MEM-011.7",
			   "call %d: the same ranges", k + 2);
	}
	if (hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU)) {
		memset(&other_cpu, 0, sizeof(other_cpu));
		if (test_run_on_cpu(1, layout_task, 0)) {
			check_ret(other_cpu.ret, HCABI_SUCCESS, full_total, "MEM-011.7",
				  "GET_LAYOUT on vCPU 1: the same total");
			check_true(memcmp(other_cpu.r, full, n * sizeof(full[0])) == 0, "MEM-011.7",
				   "GET_LAYOUT on vCPU 1: the same ranges");
		}
	}
}

HCABI_TEST(mem_layout_partial, "MEM.get_layout_partial",
	   "MEM-010.1,MEM-010.2,MEM-011.6," HCABI_REQ_VALUE_ZERO, HCABI_FID_MEM_GET_LAYOUT_SINCE)
{
	uint64_t maxes[8];
	size_t k = 0;

	if (!read_full())
		return;
	if (full_total > LAYOUT_MAX) {
		test_skip("more RAM ranges (%llu) than the test's buffer holds",
			  (unsigned long long)full_total);
		return;
	}
	maxes[k++] = 1;
	if (full_total > 2)
		maxes[k++] = full_total - 1;
	maxes[k++] = full_total;
	maxes[k++] = full_total + 1;
	maxes[k++] = 1ull << 32;
	maxes[k++] = 1ull << 63;
	maxes[k++] = ~0ull;
	for (size_t i = 0; i < k; i++) {
		uint64_t want = maxes[i] < full_total ? maxes[i] : full_total;
		struct hcabi_ret r;
		hcabi_fill(buf, POISON, sizeof(buf));
		r = hcabi_mem_get_layout(hcabi_gpa(buf), maxes[i]);
		check_ret(r, HCABI_SUCCESS, full_total, "MEM-010.2",
			  "GET_LAYOUT(buffer, max_entries %llu) returns the total",
			  (unsigned long long)maxes[i]);
		check_true(memcmp(buf, full, want * sizeof(full[0])) == 0, "MEM-010.1",
			   "max_entries %llu: the first %llu ranges written",
			   (unsigned long long)maxes[i], (unsigned long long)want);
		check_true(hcabi_find_not(&buf[want], POISON, sizeof(buf) - want * sizeof(buf[0])) <
			       0,
			   "MEM-010.1", "max_entries %llu: nothing written after entry %llu",
			   (unsigned long long)maxes[i], (unsigned long long)want);
	}
}

HCABI_TEST(mem_layout_bad_address, "MEM.get_layout_bad_address",
	   "MEM-012.1,MEM-012.2,MEM-012.3," HCABI_REQ_VALUE_ZERO, HCABI_FID_MEM_GET_LAYOUT_SINCE)
{
	uint64_t top = hcabi_ram_top(), hole = hcabi_ram_hole();
	bool top_free = hcabi_top_page_free();
	volatile uint8_t *top_bytes = (volatile uint8_t *)hcabi_gpa_ptr(top - 64);
	struct layout_case {
		uint64_t gpa, max;
		const char *what;
		const char *req; /* misaligned: MEM-012.1; not wholly in RAM: .2 */
	} cases[12];
	size_t k = 0;
	uint64_t top_hash = 0;

	cases[k++] = (struct layout_case){hcabi_gpa(buf) + 4, 1, "gpa 4 bytes past 8-byte alignment",
					  "MEM-012.1"};
	cases[k++] = (struct layout_case){hcabi_gpa(buf) + 1, 2, "gpa 1 byte past 8-byte alignment",
					  "MEM-012.1"};
	cases[k++] = (struct layout_case){hcabi_gpa(buf) + 7, LAYOUT_MAX,
					  "gpa 7 bytes past 8-byte alignment", "MEM-012.1"};
	cases[k++] = (struct layout_case){top, 1, "gpa = the end of RAM", "MEM-012.2"};
	cases[k++] = (struct layout_case){
	    top - 16, 1, "an entry from 16 bytes below the end of RAM", "MEM-012.2"};
	cases[k++] = (struct layout_case){top - 8, LAYOUT_MAX,
					  "entries from 8 bytes below the end of RAM", "MEM-012.2"};
	cases[k++] = (struct layout_case){1ull << 63, 1, "gpa 2^63", "MEM-012.2"};
	cases[k++] = (struct layout_case){0xFFFFFFFFFFFFFFF8ull, 1, "gpa 2^64-8 (the entry wraps)",
					  "MEM-012.2"};
	cases[k++] = (struct layout_case){0xFFFFFFFFFFFFFFE8ull, 1, "gpa 2^64-24 (ends at 2^64)",
					  "MEM-012.2"};
	if (hole)
		cases[k++] =
		    (struct layout_case){hole, 1, "gpa in a hole between RAM ranges", "MEM-012.2"};

	if (top_free) {
		hcabi_fill((void *)top_bytes, POISON, 64);
	} else {
		test_log("the last page of RAM is not free: its bytes are compared, not poisoned");
		if (top <= (4ull << 30))
			top_hash = hcabi_hash((const void *)top_bytes, 64);
	}
	for (size_t i = 0; i < k; i++) {
		hcabi_fill(buf, POISON, sizeof(buf));
		check_status(hcabi_mem_get_layout(cases[i].gpa, cases[i].max),
			     HCABI_ERR_INVALID_ADDRESS, cases[i].req,
			     "GET_LAYOUT(gpa 0x%llx, max_entries %llu: %s)",
			     (unsigned long long)cases[i].gpa, (unsigned long long)cases[i].max,
			     cases[i].what);
		check_true(hcabi_find_not(buf, POISON, sizeof(buf)) < 0, "MEM-012.3",
			   "%s: nothing written into the buffer", cases[i].what);
		if (top_free)
			check_true(hcabi_find_not((const void *)top_bytes, POISON, 64) < 0,
				   "MEM-012.3", "%s: nothing written into the last bytes of RAM",
				   cases[i].what);
		else if (top <= (4ull << 30))
			check_eq_u64(hcabi_hash((const void *)top_bytes, 64), top_hash, "MEM-012.3",
				     "%s: the last bytes of RAM are unchanged", cases[i].what);
	}
}
