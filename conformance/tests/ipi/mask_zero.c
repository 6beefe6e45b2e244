/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND with mask 0 and a bad vector, since HCABI 1.2: IPI-005.
 *
 * What: with mask 0 (base 0 and base 5), a vector below the valid range (0,
 * 2, and the one just below it: x86-64 31, arm64 15) and, where the range
 * ends inside bits 7:0 (arm64, ARM64-021), the one just above it (23) is
 * INVALID_PARAM with RDX = 0, and nothing becomes pending in the caller
 * (IPI-006).
 * Why: IPI-001 rejects such a vector and IPI-003 makes mask 0 a successful
 * no-op; 1.0 and 1.1 do not say which wins, so send_args.c does not test
 * the combination. From 1.2 the vector is checked first: a guest that
 * computes an empty mask still learns that its vector is wrong.
 */
#include "ipi_common.h"

HCABI_TEST(ipi_mask_zero_bad_vector, "IPI.send_mask_zero_bad_vector",
	   "IPI-005,IPI-006," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	uint64_t vectors[4] = {0, HCABI_TEST_VECTOR_LOW, HCABI_TEST_VECTOR_BELOW_MIN};
	static const uint64_t bases[] = {0, 5};
	size_t nv = 3;

	if (HCABI_TEST_VECTOR_ABOVE_MAX <= HCABI_IPI_SEND_VECTOR_VECTOR_MASK)
		vectors[nv++] = HCABI_TEST_VECTOR_ABOVE_MAX;
	for (size_t b = 0; b < HCABI_ARRAY_SIZE(bases); b++)
		for (size_t v = 0; v < nv; v++)
			check_status(hcabi_ipi_send(0, bases[b], vectors[v]),
				     HCABI_ERR_INVALID_PARAM, "IPI-005",
				     "SEND(mask 0, base %llu, vector %llu)",
				     (unsigned long long)bases[b], (unsigned long long)vectors[v]);
	for (unsigned x = 16; x < 32; x++)
		check_true(!hcabi_intc_pending(x), "IPI-006",
			   "vector %u is not pending after the rejected sends", x);
}
