/* SPDX-License-Identifier: MIT */
/*
 * Error precedence in the binding, since HCABI 1.2: X86-010.
 *
 * What: RAX with bit 32, bit 40 or bit 63 set and RAX[31:0] naming no
 * function (EID 0x7FFF, an EID no 1.x version assigns, and EID 0x7FFE FID
 * 0x1234) is INVALID_PARAM with RDX = 0, not NOT_SUPPORTED (X86-010).
 * Why: 1.0 and 1.1 say both "RAX[63:32] not zero is INVALID_PARAM" (X86-002)
 * and "an unknown function is NOT_SUPPORTED" (STATUS-002), and x86.rax_upper
 * therefore accepts either for an unknown function at those versions; from
 * 1.2 a guest can tell a truncated function ID from a missing function by
 * the status alone.
 */
#include "hcabi_test.h"
#include "hcabi_calls.h"

HCABI_TEST(x86_rax_upper_unknown, "X86.rax_upper_before_unknown_function",
	   "X86-010," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	static const uint64_t highs[] = {1ull << 32, 1ull << 40, 1ull << 63};
	static const uint32_t fns[] = {0x7FFF0000u, 0x7FFE1234u};

	for (size_t f = 0; f < HCABI_ARRAY_SIZE(fns); f++) {
		for (size_t h = 0; h < HCABI_ARRAY_SIZE(highs); h++) {
			uint64_t args[6] = {0};
			check_status(hcabi_raw_call(highs[h] | fns[f], args, h & 1),
				     HCABI_ERR_INVALID_PARAM, "X86-010",
				     "RAX=0x%016llx (an unknown function with RAX[63:32] set)",
				     (unsigned long long)(highs[h] | fns[f]));
		}
	}
}
