/* SPDX-License-Identifier: MIT */
/*
 * STEAL.SET_SHMEM arguments: STEAL-001.1 (misaligned), STEAL-001.2 (not
 * wholly in RAM), STEAL-001.3 (the registration unchanged).
 *
 * What: a gpa that is neither HCABI_STEAL_DISABLE nor 64-byte aligned with
 * the 64-byte record wholly in RAM - 1, 8, 32 and 63 bytes past alignment,
 * the end of RAM, a hole between RAM ranges (if any), 2^63, 2^64 - 64 and
 * 2^64 - 2 (one below the DISABLE value) - is INVALID_ADDRESS with RDX = 0,
 * and the registration is unchanged:
 *  - with nothing registered, nothing becomes registered (the memory those
 *    gpas name, where it is RAM, and a poisoned record page stay untouched
 *    while further calls are made);
 *  - with a record registered, it stays registered there (its sequence
 *    keeps advancing with each call) and nothing else is written.
 * A record in the last 64 bytes of RAM (when that page is free) is valid
 * and accepted (STEAL-001, GEN-001).
 * Why: a guest that passes a bad address must learn it and keep its old
 * record working; a hypervisor that wrote through a misaligned or
 * half-outside record would corrupt guest memory.
 */
#include "steal_common.h"

static struct steal_records recs;

HCABI_TEST(steal_bad_address, "STEAL.set_shmem_bad_address",
	   "STEAL-001.1,STEAL-001.2,STEAL-001.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_STEAL_SET_SHMEM_SINCE)
{
	uint64_t b = hcabi_gpa(steal_rec(&recs, 1)), top = hcabi_ram_top(), hole = hcabi_ram_hole();
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 0);
	struct bad_gpa {
		uint64_t gpa;
		const char *req; /* misaligned: STEAL-001.1; aligned, not in RAM: .2 */
	} gpas[12];
	size_t k = 0;
	uint32_t seq;

	gpas[k++] = (struct bad_gpa){b + 1, "STEAL-001.1"};
	gpas[k++] = (struct bad_gpa){b + 8, "STEAL-001.1"};
	gpas[k++] = (struct bad_gpa){b + 32, "STEAL-001.1"};
	gpas[k++] = (struct bad_gpa){b + 63, "STEAL-001.1"};
	gpas[k++] = (struct bad_gpa){top, "STEAL-001.2"};
	gpas[k++] = (struct bad_gpa){1ull << 63, "STEAL-001.2"};
	gpas[k++] = (struct bad_gpa){0xFFFFFFFFFFFFFFC0ull, "STEAL-001.2"};
	gpas[k++] = (struct bad_gpa){0xFFFFFFFFFFFFFFFEull, "STEAL-001.1"};
	gpas[k++] = (struct bad_gpa){0x7FFFFFFFFFFFFFC0ull, "STEAL-001.2"};
	if (hole)
		gpas[k++] = (struct bad_gpa){hole, "STEAL-001.2"};

	/* nothing registered */
	steal_unregister();
	hcabi_fill(&recs, STEAL_POISON, sizeof(recs));
	for (size_t i = 0; i < k; i++)
		check_status(hcabi_steal_set_shmem(gpas[i].gpa), HCABI_ERR_INVALID_ADDRESS,
			     gpas[i].req, "SET_SHMEM(0x%llx) with nothing registered",
			     (unsigned long long)gpas[i].gpa);
	for (int i = 0; i < 20; i++)
		(void)hcabi_base_get_spec_version();
	check_true(hcabi_find_not(&recs, STEAL_POISON, sizeof(recs)) < 0, "STEAL-001.3",
		   "nothing was registered: the record page is untouched after 20 more calls");

	/* a record registered at a */
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-001.3",
		       "SET_SHMEM(a valid record)"))
		goto out;
	for (size_t i = 0; i < k; i++) {
		seq = a->sequence;
		check_status(hcabi_steal_set_shmem(gpas[i].gpa), HCABI_ERR_INVALID_ADDRESS,
			     gpas[i].req, "SET_SHMEM(0x%llx) with a record registered",
			     (unsigned long long)gpas[i].gpa);
		(void)hcabi_base_get_spec_version();
		check_true(steal_seq_delta(seq, a->sequence) >= 2 && !(a->sequence & 1),
			   "STEAL-001.3",
			   "the registered record is still updated after the rejected call "
			   "(sequence %u -> %u)",
			   seq, a->sequence);
	}
	check_true(hcabi_find_not(&recs.rec[1], STEAL_POISON, sizeof(recs) - sizeof(recs.rec[0])) < 0,
		   "STEAL-001.3", "nothing but the registered record was written");

	/* the last 64 bytes of RAM are a valid place */
	if (hcabi_top_page_free()) {
		volatile struct hcabi_steal_time *last =
		    (volatile struct hcabi_steal_time *)hcabi_gpa_ptr(top - 64);
		steal_poison(last);
		check_ret(hcabi_steal_set_shmem(top - 64), HCABI_SUCCESS, 0, "STEAL-001.2",
			  "SET_SHMEM(the last 64 bytes of RAM, 0x%llx)",
			  (unsigned long long)(top - 64));
		check_true(!(last->sequence & 1) && steal_reserved_zero(last), "STEAL-001.2",
			   "the record at the end of RAM was written (sequence %u)",
			   last->sequence);
	}
out:
	steal_unregister();
}
