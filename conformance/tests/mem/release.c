/* SPDX-License-Identifier: MIT */
/*
 * MEM.RELEASE: MEM-001.1 to .4, MEM-002, MEM-003.1 (written bytes persist),
 * MEM-003.2 (the rest of the page reads as zero).
 *
 * What:
 *  - npages 0 is INVALID_PARAM; a gpa that is not 4 KiB aligned, a range
 *    outside RAM, a range that starts in RAM and ends past its top, a range
 *    in a hole between RAM ranges (if any), a range that wraps around 2^64
 *    and a page count whose byte size overflows are INVALID_ADDRESS; RDX is
 *    0, and no page is released: a page the call names (filled with a
 *    pattern) keeps its pattern (MEM-001.1 to .4, GEN-001);
 *  - RELEASE of 3 pages returns SUCCESS with 3; every byte of them then
 *    reads as zero on vCPU 1 and on vCPU 0, while the neighbouring pages
 *    keep their patterns; releasing them again is allowed and changes
 *    nothing (MEM-002);
 *  - a write to a released page takes it back: the written bytes (at the
 *    start, the middle and the end of the page) persist and every other byte
 *    reads as zero, on both vCPUs, whichever vCPU wrote; a page filled
 *    completely after its release keeps what was written (MEM-003), and
 *    reads as zero once released again (MEM-002).
 * Why: a balloon driver hands pages back and may touch them again by
 * mistake or on purpose; it must find zeroes, never stale data, and a write
 * must not be lost or kill the VM.
 */
#include "hcabi_test.h"
#include "hcabi_ram.h"

#define PG 4096u

/* n contiguous zeroed pages from the runtime's allocator, or 0. */
static uint64_t alloc_pages(unsigned n)
{
	uint64_t first = hcabi_alloc_page(), p = first;
	for (unsigned i = 1; i < n && first; i++) {
		uint64_t q = hcabi_alloc_page();
		if (q != p + PG)
			return 0;
		p = q;
	}
	return first;
}

static uint8_t pattern(unsigned page)
{
	return (uint8_t)(0x5C + 17 * page);
}

HCABI_TEST(mem_release_bad_args, "MEM.release_bad_args",
	   "MEM-001.1,MEM-001.2,MEM-001.3,MEM-001.4," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_MEM_RELEASE_SINCE)
{
	uint64_t top = hcabi_ram_top(), hole = hcabi_ram_hole();
	uint64_t p = alloc_pages(1);
	bool top_free;
	struct release_case {
		uint64_t gpa, npages;
		int64_t status;
		const char *what;
		const char *req; /* MEM-001.1 npages 0, .2 misaligned, .3 outside RAM */
	} cases[20];
	size_t k = 0;

	if (!p) {
		test_error("out of pages");
		return;
	}
	top_free = hcabi_top_page_free();
	cases[k++] = (struct release_case){p, 0, HCABI_ERR_INVALID_PARAM, "npages 0", "MEM-001.1"};
	cases[k++] = (struct release_case){p + 8, 1, HCABI_ERR_INVALID_ADDRESS,
					   "gpa 8 bytes past a page", "MEM-001.2"};
	cases[k++] = (struct release_case){p + 0x800, 1, HCABI_ERR_INVALID_ADDRESS,
					   "gpa in mid-page", "MEM-001.2"};
	cases[k++] = (struct release_case){p + 1, 2, HCABI_ERR_INVALID_ADDRESS,
					   "gpa 1 byte past a page", "MEM-001.2"};
	cases[k++] = (struct release_case){p, (top - p) / PG + 1, HCABI_ERR_INVALID_ADDRESS,
					   "from the test page to one page past the end of RAM",
					   "MEM-001.3"};
	cases[k++] = (struct release_case){top, 1, HCABI_ERR_INVALID_ADDRESS,
					   "the page at the end of RAM", "MEM-001.3"};
	cases[k++] = (struct release_case){top - PG, 2, HCABI_ERR_INVALID_ADDRESS,
					   "the last page of RAM and the next", "MEM-001.3"};
	cases[k++] = (struct release_case){1ull << 63, 1, HCABI_ERR_INVALID_ADDRESS, "gpa 2^63",
					   "MEM-001.3"};
	cases[k++] = (struct release_case){0xFFFFFFFFFFFFF000ull, 1, HCABI_ERR_INVALID_ADDRESS,
					   "the last page below 2^64", "MEM-001.3"};
	cases[k++] = (struct release_case){0xFFFFFFFFFFFFF000ull, 2, HCABI_ERR_INVALID_ADDRESS,
					   "a range wrapping around 2^64", "MEM-001.3"};
	cases[k++] = (struct release_case){p, 1ull << 52, HCABI_ERR_INVALID_ADDRESS,
					   "npages 2^52 (npages * 4096 = 2^64)", "MEM-001.3"};
	cases[k++] =
	    (struct release_case){p, (1ull << 52) + 1, HCABI_ERR_INVALID_ADDRESS,
				  "npages 2^52+1 (npages * 4096 wraps to 4096)", "MEM-001.3"};
	cases[k++] = (struct release_case){p, 1ull << 63, HCABI_ERR_INVALID_ADDRESS, "npages 2^63",
					   "MEM-001.3"};
	cases[k++] = (struct release_case){p, ~0ull, HCABI_ERR_INVALID_ADDRESS, "npages 2^64-1",
					   "MEM-001.3"};
	if (hole)
		cases[k++] =
		    (struct release_case){hole, 1, HCABI_ERR_INVALID_ADDRESS,
					  "a page in a hole between RAM ranges", "MEM-001.3"};

	hcabi_fill(hcabi_gpa_ptr(p), pattern(0), PG);
	if (top_free)
		hcabi_fill(hcabi_gpa_ptr(top - PG), pattern(1), PG);
	else
		test_log("the last page of RAM is not free: it is not checked");
	for (size_t i = 0; i < k; i++) {
		check_status(hcabi_mem_release(cases[i].gpa, cases[i].npages), cases[i].status,
			     cases[i].req, "RELEASE(gpa 0x%llx, npages 0x%llx: %s)",
			     (unsigned long long)cases[i].gpa, (unsigned long long)cases[i].npages,
			     cases[i].what);
		check_true(hcabi_find_not(hcabi_gpa_ptr(p), pattern(0), PG) < 0, "MEM-001.4",
			   "%s: the test page was not released (keeps its pattern)", cases[i].what);
		if (top_free)
			check_true(hcabi_find_not(hcabi_gpa_ptr(top - PG), pattern(1), PG) < 0,
				   "MEM-001.4", "%s: the last page of RAM was not released",
				   cases[i].what);
	}
}

/* ---- released pages read as zero, on every vCPU ---- */

static struct {
	uint64_t gpa, len;
	struct {
		uint64_t off;
		uint64_t len;
		uint8_t byte;
	} writes[4];
	unsigned nwrites;
	bool write_here;	   /* the task makes the writes first */
	int64_t first_bad;	   /* any byte */
	int64_t first_bad_written; /* a byte the writes put there (MEM-003.1) */
	int64_t first_bad_zero;	   /* a byte they did not, which reads as zero (MEM-003.2) */
} task;

/* Offset of the first byte of [gpa, gpa+len) that differs from what the
 * writes in task.writes put there (zero elsewhere), or -1; only the written
 * bytes (written = 1), only the others (0), or every byte (-1). */
static int64_t first_unexpected_of(uint64_t gpa, uint64_t len, int written)
{
	const volatile uint8_t *b = (const volatile uint8_t *)hcabi_gpa_ptr(gpa);
	for (uint64_t i = 0; i < len; i++) {
		uint8_t want = 0;
		bool hit = false;
		for (unsigned w = 0; w < task.nwrites; w++)
			if (i >= task.writes[w].off &&
			    i < task.writes[w].off + task.writes[w].len) {
				want = task.writes[w].byte;
				hit = true;
			}
		if (written >= 0 && hit != (written == 1))
			continue;
		if (b[i] != want)
			return (int64_t)i;
	}
	return -1;
}

static int64_t first_unexpected(uint64_t gpa, uint64_t len)
{
	return first_unexpected_of(gpa, len, -1);
}

static void do_writes(uint64_t gpa)
{
	volatile uint8_t *b = (volatile uint8_t *)hcabi_gpa_ptr(gpa);
	for (unsigned w = 0; w < task.nwrites; w++)
		for (uint64_t i = 0; i < task.writes[w].len; i++)
			b[task.writes[w].off + i] = task.writes[w].byte;
	hcabi_mb();
}

static void check_task(void *arg)
{
	(void)arg;
	if (task.write_here)
		do_writes(task.gpa);
	task.first_bad = first_unexpected(task.gpa, task.len);
	task.first_bad_written = first_unexpected_of(task.gpa, task.len, 1);
	task.first_bad_zero = first_unexpected_of(task.gpa, task.len, 0);
}

HCABI_TEST(mem_release_zero, "MEM.release_reads_zero",
	   "MEM-002,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_MEM_RELEASE_SINCE)
{
	uint64_t p = alloc_pages(5), mid;
	bool other = hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU);
	int64_t off;

	if (!p) {
		test_error("cannot get 5 contiguous pages");
		return;
	}
	for (unsigned i = 0; i < 5; i++)
		hcabi_fill(hcabi_gpa_ptr(p + i * PG), pattern(i), PG);
	mid = p + PG;
	check_ret(hcabi_mem_release(mid, 3), HCABI_SUCCESS, 3, "MEM-002",
		  "RELEASE(gpa 0x%llx, 3 pages)", (unsigned long long)mid);
	memset(&task, 0, sizeof(task));
	task.gpa = mid;
	task.len = 3 * PG;
	if (other && test_run_on_cpu(1, check_task, 0)) {
		check_true(task.first_bad < 0, "MEM-002",
			   "vCPU 1 reads the 3 released pages as zero (first non-zero byte at "
			   "offset %lld)",
			   (long long)task.first_bad);
	}
	off = first_unexpected(mid, 3 * PG);
	check_true(off < 0, "MEM-002",
		   "vCPU 0 reads the 3 released pages as zero (first non-zero byte at offset %lld)",
		   (long long)off);
	check_true(hcabi_find_not(hcabi_gpa_ptr(p), pattern(0), PG) < 0 &&
		       hcabi_find_not(hcabi_gpa_ptr(p + 4 * PG), pattern(4), PG) < 0,
		   "MEM-002", "the pages before and after the released range keep their contents");

	/* a second release of the same pages */
	check_ret(hcabi_mem_release(mid, 3), HCABI_SUCCESS, 3, "MEM-002",
		  "RELEASE of the same 3 pages again");
	off = first_unexpected(mid, 3 * PG);
	check_true(off < 0, "MEM-002", "they still read as zero (first non-zero at %lld)",
		   (long long)off);
	check_ret(hcabi_mem_release(mid + PG, 1), HCABI_SUCCESS, 1, "MEM-002",
		  "RELEASE of one page inside them");
	check_true(hcabi_find_not(hcabi_gpa_ptr(p), pattern(0), PG) < 0 &&
		       hcabi_find_not(hcabi_gpa_ptr(p + 4 * PG), pattern(4), PG) < 0,
		   "MEM-002", "the neighbouring pages still keep their contents");
}

HCABI_TEST(mem_release_write, "MEM.release_write_back",
	   "MEM-003.1,MEM-003.2,MEM-002,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_MEM_RELEASE_SINCE)
{
	uint64_t p = alloc_pages(2);
	bool other = hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU);
	int64_t off;

	if (!p) {
		test_error("cannot get 2 contiguous pages");
		return;
	}
	hcabi_fill(hcabi_gpa_ptr(p), 0xEE, 2 * PG);

	/* vCPU 0 writes a few bytes into a released page */
	check_ret(hcabi_mem_release(p, 1), HCABI_SUCCESS, 1, "MEM-003.1", "RELEASE(page A)");
	memset(&task, 0, sizeof(task));
	task.gpa = p;
	task.len = PG;
	task.writes[0].off = 0;
	task.writes[0].len = 8;
	task.writes[0].byte = 0x11;
	task.writes[1].off = 0x7FF;
	task.writes[1].len = 1;
	task.writes[1].byte = 0x22;
	task.writes[2].off = PG - 4;
	task.writes[2].len = 4;
	task.writes[2].byte = 0x33;
	task.nwrites = 3;
	do_writes(p);
	off = first_unexpected_of(p, PG, 1);
	check_true(off < 0, "MEM-003.1",
		   "page A after 13 bytes were written on vCPU 0: they persist (first wrong byte "
		   "at offset %lld)",
		   (long long)off);
	off = first_unexpected_of(p, PG, 0);
	check_true(off < 0, "MEM-003.2",
		   "page A after 13 bytes were written on vCPU 0: the rest reads as zero (first "
		   "wrong byte at offset %lld)",
		   (long long)off);
	if (other && test_run_on_cpu(1, check_task, 0)) {
		check_true(task.first_bad_written < 0, "MEM-003.1",
			   "vCPU 1 sees the written bytes of page A (first wrong byte at offset "
			   "%lld)",
			   (long long)task.first_bad_written);
		check_true(
		    task.first_bad_zero < 0, "MEM-003.2",
		    "vCPU 1 sees the rest of page A as zero (first wrong byte at offset %lld)",
		    (long long)task.first_bad_zero);
	}

	/* vCPU 1 writes into a released page, vCPU 0 reads it */
	if (other) {
		check_ret(hcabi_mem_release(p + PG, 1), HCABI_SUCCESS, 1, "MEM-003.1",
			  "RELEASE(page B)");
		task.gpa = p + PG;
		task.writes[0].off = 0x100;
		task.writes[0].len = 16;
		task.writes[0].byte = 0x44;
		task.nwrites = 1;
		task.write_here = true;
		if (test_run_on_cpu(1, check_task, 0)) {
			check_true(task.first_bad_written < 0, "MEM-003.1",
				   "page B after vCPU 1 wrote 16 bytes into it: vCPU 1 reads them "
				   "(first wrong byte at %lld)",
				   (long long)task.first_bad_written);
			check_true(task.first_bad_zero < 0, "MEM-003.2",
				   "page B after vCPU 1 wrote 16 bytes into it: vCPU 1 reads zero "
				   "elsewhere (first wrong byte at %lld)",
				   (long long)task.first_bad_zero);
			off = first_unexpected_of(p + PG, PG, 1);
			check_true(off < 0, "MEM-003.1",
				   "vCPU 0 reads the written bytes of page B (first wrong byte at "
				   "%lld)",
				   (long long)off);
			off = first_unexpected_of(p + PG, PG, 0);
			check_true(
			    off < 0, "MEM-003.2",
			    "vCPU 0 reads the rest of page B as zero (first wrong byte at %lld)",
			    (long long)off);
		}
	}

	/* a page filled completely after its release is ordinary RAM again */
	check_ret(hcabi_mem_release(p, 1), HCABI_SUCCESS, 1, "MEM-003.1", "RELEASE(page A) again");
	hcabi_fill(hcabi_gpa_ptr(p), 0x77, PG);
	hcabi_mb();
	check_true(hcabi_find_not(hcabi_gpa_ptr(p), 0x77, PG) < 0, "MEM-003.1",
		   "page A filled with 0x77 after its release keeps every byte");
	check_ret(hcabi_mem_release(p, 1), HCABI_SUCCESS, 1, "MEM-002",
		  "RELEASE(page A) a third time");
	check_true(hcabi_find_not(hcabi_gpa_ptr(p), 0, PG) < 0, "MEM-002",
		   "page A, released again, reads as zero");
}
