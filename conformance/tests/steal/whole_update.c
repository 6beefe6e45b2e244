/* SPDX-License-Identifier: MIT */
/*
 * What an update writes, since HCABI 1.2: STEAL-007, STEAL-008.
 *
 * What:
 *  - with a record registered, the guest adds 2^30 to `sequence` (keeping
 *    it even); after one more call `sequence` is even and within 2^16 of
 *    the value the hypervisor wrote before, not near the guest's value
 *    (STEAL-007);
 *  - the guest fills `flags` and every reserved field with ones; after one
 *    more call they read as zero and `sequence` is even (STEAL-008).
 * Why: 1.0 and 1.1 say how `sequence` changes (STEAL-003) but not from
 * which value, nor whether an update writes more than `sequence` and
 * `steal_ns`. A guest that reuses the reserved words, or a stray write to
 * the record, must not desynchronise readers or persist.
 */
#include "steal_common.h"

static struct steal_records recs;

HCABI_TEST(steal_sequence_own, "STEAL.sequence_not_read_back", "STEAL-007," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_2)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 0);
	uint32_t s0, s1;

	steal_unregister();
	steal_poison(a);
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-007",
		       "SET_SHMEM(a record)"))
		goto out;
	s0 = a->sequence;
	a->sequence = s0 + 0x40000000u;
	hcabi_mb();
	(void)hcabi_base_get_spec_version();
	s1 = a->sequence;
	check_true(!(s1 & 1) && steal_seq_delta(s0, s1) < 0x10000u, "STEAL-007",
		   "sequence went from %u (the hypervisor's) via %u (the guest's) to %u: it "
		   "continues the hypervisor's own count",
		   s0, s0 + 0x40000000u, s1);
out:
	steal_unregister();
}

HCABI_TEST(steal_whole_update, "STEAL.update_rewrites_whole_record",
	   "STEAL-008," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 1);

	steal_unregister();
	steal_poison(a);
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-008",
		       "SET_SHMEM(a record)"))
		goto out;
	a->flags = 0xFFFFFFFFu;
	for (unsigned i = 0; i < 6; i++)
		a->reserved[i] = ~0ull;
	hcabi_mb();
	(void)hcabi_base_get_spec_version();
	check_true(steal_reserved_zero(a) && !(a->sequence & 1), "STEAL-008",
		   "after one call, flags (0x%x) and the reserved words (first 0x%llx) are zero "
		   "again, sequence %u",
		   a->flags, (unsigned long long)a->reserved[0], a->sequence);
out:
	steal_unregister();
}
