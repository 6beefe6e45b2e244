/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START of a running vCPU with bad arguments, since HCABI 1.2:
 * VCPU-026.
 *
 * What: START naming the caller (running) with a boot state 4 bytes past
 * 8-byte alignment is INVALID_ADDRESS, and with an aligned boot state whose
 * own rules are broken (x86-64: `flags` not zero; arm64: `reserved` not
 * zero) is INVALID_PARAM, both with a value of 0, not
 * ALREADY_STARTED (VCPU-026).
 * Why: VCPU-021/VCPU-022 and VCPU-023 do not say which wins in 1.0 and
 * 1.1, so start.c only combines a bad argument with a stopped target. From
 * 1.2 the arguments are checked first, as everywhere else: a guest's
 * bring-up code sees its bad boot state whatever the target's state.
 */
#include "vcpu_common.h"

static uint8_t bs_area[128] __attribute__((aligned(64)));

HCABI_TEST(vcpu_start_args_before_state, "VCPU.start_arguments_before_state",
	   "VCPU-026," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	vcpu_bs *bs = (vcpu_bs *)bs_area;
	unsigned me = hcabi_cpu_index();

	for (size_t i = 0; i < sizeof(bs_area); i++)
		bs_area[i] = 0;
	VCPU_BS_INVALIDATE(bs);
	check_status(hcabi_vcpu_start(me, hcabi_gpa(bs_area) + 4), HCABI_ERR_INVALID_ADDRESS,
		     "VCPU-026", "START(the caller, vCPU %u: running, boot state misaligned by 4)",
		     me);
	check_status(hcabi_vcpu_start(me, hcabi_gpa(bs)), HCABI_ERR_INVALID_PARAM, "VCPU-026",
		     "START(the caller, vCPU %u: running, an invalid boot state)", me);
}
