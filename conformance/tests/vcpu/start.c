/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START: VCPU-020, VCPU-021, VCPU-023 (the rest: arch/<arch>/).
 *
 * What:
 *  - an index not below the vCPU count (the count, count + 1, 2^32, 2^63,
 *    2^64 - 1) is INVALID_PARAM with a value of 0 and starts nothing (VCPU-020);
 *  - a boot state 1, 4 or 7 bytes past 8-byte alignment (holding a valid
 *    boot state there, so that a wrongly accepted call does no harm), at the
 *    end of RAM, straddling it, in a hole (if any), at 2^63 or wrapping
 *    around 2^64 is INVALID_ADDRESS and starts nothing (VCPU-021, GEN-001);
 *  - starting vCPU 0 (the caller), a vCPU that is running, or one that is
 *    inside BLOCK is ALREADY_STARTED, and the running vCPU is not disturbed
 *    (it does not re-enter its entry point) (VCPU-023).
 * Why: START replaces INIT-SIPI; a guest's secondary-CPU entry code relies
 * on every one of these values, and reuses the boot-state memory at once.
 * The boot state's own rules, the state a started vCPU begins with and
 * the boot state read once are the binding's: arch/<arch>/.
 */
#include "vcpu_common.h"

static struct vcpu_raw raw_a, raw_b;
static vcpu_bs bs __attribute__((aligned(64)));
static vcpu_bs bs2 __attribute__((aligned(64)));
static uint8_t bs_mis[192] __attribute__((aligned(64)));

static void fn_block(struct vcpu_raw *ctx)
{
	struct hcabi_ret r = hcabi_vcpu_block(HCABI_SEC(30));
	ctx->data[0] = (uint64_t)r.status;
	ctx->data[1] = r.value;
}

HCABI_TEST(vcpu_start_bad_index, "VCPU.start_bad_index", "VCPU-020," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	uint64_t n = vcpu_count();
	const uint64_t idx[] = {n, n + 1, 1ull << 32, 1ull << 63, ~0ull};

	vcpu_raw_prepare(&raw_a, 1, 0);
	vcpu_raw_boot_state(&bs, &raw_a, 0);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(idx); i++)
		check_status(hcabi_vcpu_start(idx[i], hcabi_gpa(&bs)), HCABI_ERR_INVALID_PARAM,
			     "VCPU-020", "START(vCPU 0x%llx) with %llu vCPUs",
			     (unsigned long long)idx[i], (unsigned long long)n);
	delay_ns(HCABI_MS(50));
	check_eq_u64(raw_a.entries, 0, "VCPU-020", "nothing ran the boot state's entry point");
	for (unsigned cpu = 1; cpu < n && cpu < HCABI_MAX_CPUS; cpu++)
		check_ret(hcabi_vcpu_get_status(cpu), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
			  "VCPU-020", "vCPU %u is still stopped", cpu);
}

HCABI_TEST(vcpu_start_bad_address, "VCPU.start_bad_address",
	   "VCPU-021.1,VCPU-021.2,VCPU-030.2,STATUS-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	uint64_t top = hcabi_ram_top(), hole = hcabi_ram_hole();
	struct addr_case {
		uint64_t gpa;
		const char *what;
		const char *req; /* misaligned: VCPU-021.1; not wholly in RAM: .2 */
	} cases[12];
	size_t k = 0;

	if (!test_require_cpus(2))
		return;
	vcpu_raw_prepare(&raw_a, 1, 0);
	vcpu_raw_boot_state(&bs, &raw_a, 0);
	/* a valid boot state at each misaligned place */
	for (unsigned m = 0; m < 3; m++) {
		static const unsigned off[] = {1, 4, 7};
		memcpy(bs_mis + 64 * m + off[m], &bs, sizeof(bs));
		cases[k++] =
		    (struct addr_case){hcabi_gpa(bs_mis) + 64 * m + off[m],
				       "a boot state misaligned by 1, 4 or 7 bytes", "VCPU-021.1"};
	}
	cases[k++] = (struct addr_case){top, "the end of RAM", "VCPU-021.2"};
	if (hcabi_top_page_free()) {
		memcpy(hcabi_gpa_ptr(top - 32), &bs, 32);
		cases[k++] = (struct addr_case){
		    top - 32, "32 bytes below the end of RAM (straddling)", "VCPU-021.2"};
	}
	cases[k++] = (struct addr_case){1ull << 63, "2^63", "VCPU-021.2"};
	cases[k++] = (struct addr_case){0xFFFFFFFFFFFFFFF8ull, "2^64-8 (wraps)", "VCPU-021.2"};
	cases[k++] =
	    (struct addr_case){0xFFFFFFFFFFFFFFC0ull, "2^64-64 (ends at 2^64)", "VCPU-021.2"};
	if (hole)
		cases[k++] = (struct addr_case){hole, "a hole between RAM ranges", "VCPU-021.2"};
	for (size_t i = 0; i < k; i++) {
		check_status(hcabi_vcpu_start(1, cases[i].gpa), HCABI_ERR_INVALID_ADDRESS,
			     cases[i].req, "START(1, boot state at 0x%llx: %s)",
			     (unsigned long long)cases[i].gpa, cases[i].what);
		if (!vcpu_not_started(1, &raw_a, "STATUS-004", cases[i].what))
			return;
	}
}

HCABI_TEST(vcpu_start_already, "VCPU.start_already_started",
	   "VCPU-023,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO, HCABI_FID_VCPU_START_SINCE)
{
	struct hcabi_ret r;

	/* the caller itself */
	vcpu_raw_prepare(&raw_b, 0, 0);
	vcpu_raw_boot_state(&bs2, &raw_b, 0);
	check_status(hcabi_vcpu_start(hcabi_cpu_index(), hcabi_gpa(&bs2)), HCABI_ERR_ALREADY_STARTED,
		     "VCPU-023", "START(the caller, vCPU %u)", hcabi_cpu_index());
	if (!test_require_cpus(2))
		return;

	/* a running vCPU */
	vcpu_raw_prepare(&raw_a, 1, vcpu_raw_wait_release);
	vcpu_raw_boot_state(&bs, &raw_a, 0);
	vcpu_raw_prepare(&raw_b, 1, 0);
	vcpu_raw_boot_state(&bs2, &raw_b, 0);
	r = vcpu_start_raw(1, &bs);
	if (!check_ret(r, HCABI_SUCCESS, 0, "VCPU-024.2", "START(1) of the stopped vCPU 1"))
		return;
	if (!check_true(vcpu_raw_wait_entered(&raw_a, 1, HCABI_SEC(10)), "VCPU-024.2",
			"vCPU 1 began executing at the boot state's rip within 10 s"))
		return;
	check_status(hcabi_vcpu_start(1, hcabi_gpa(&bs2)), HCABI_ERR_ALREADY_STARTED, "VCPU-023",
		     "START(1) while vCPU 1 runs");
	delay_ns(HCABI_MS(20));
	check_true(raw_a.entries == 1 && raw_b.entries == 0, "VCPU-023",
		   "the running vCPU was not restarted (entries: %llu, %llu)",
		   (unsigned long long)raw_a.entries, (unsigned long long)raw_b.entries);
	hcabi_atomic_store(&raw_a.release, 1);
	if (!vcpu_raw_wait_stopped(&raw_a, 1, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP and was not STOPPED within 30 s");
		return;
	}
	check_true(!raw_a.after_stop && !raw_a.faulted, "VCPU-023", "vCPU 1 finished undisturbed");

	/* a vCPU inside BLOCK */
	vcpu_raw_prepare(&raw_a, 1, fn_block);
	vcpu_raw_boot_state(&bs, &raw_a, 0);
	if (!check_ret(vcpu_start_raw(1, &bs), HCABI_SUCCESS, 0, "VCPU-024.2",
		       "START(1) of the stopped vCPU 1, to BLOCK"))
		return;
	if (!vcpu_wait_state(1, HCABI_VCPU_STATUS_BLOCKED, HCABI_SEC(20))) {
		test_log(
		    "vCPU 1 was never seen BLOCKED within 20 s: the BLOCKED case is not tried");
	} else {
		check_status(hcabi_vcpu_start(1, hcabi_gpa(&bs2)), HCABI_ERR_ALREADY_STARTED,
			     "VCPU-023", "START(1) while vCPU 1 is inside BLOCK");
	}
	(void)hcabi_vcpu_kick(1);
	if (!vcpu_raw_wait_stopped(&raw_a, 1, HCABI_SEC(40))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP and was not STOPPED within 40 s");
		return;
	}
	check_true(raw_a.entries == 1 && raw_b.entries == 0, "VCPU-023",
		   "the blocked vCPU was not restarted (entries: %llu, %llu)",
		   (unsigned long long)raw_a.entries, (unsigned long long)raw_b.entries);
}
