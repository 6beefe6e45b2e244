/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND vectors at both valid edges: IPI-001.1, IPI-001.3, IPI-002.1,
 * IPI-002.2, IPI-003.1.
 *
 * What: the smallest valid vector, HCABI_VECTOR_MIN (32), sent to the
 * caller with interrupts disabled, returns SUCCESS with 0 (IPI-001.1), is
 * pending (IRR) when SEND returns and is taken exactly once (IPI-002.1,
 * .2); the largest, 255, whose bits above 7:0 are clear, is accepted: SEND
 * naming only a stopped vCPU returns SUCCESS with 0 (IPI-001.3), which
 * stays stopped (IPI-003.1; 255 is the runtime's spurious vector,
 * so it is not delivered to a running vCPU). One below the smallest (31)
 * and one above the largest (256: a reserved bit) are send_args.c's, the
 * largest valid base with mask 1 is exactly_once.c's.
 * Why: a bound written `vector > 32` or `vector < 255` rejects a vector a
 * guest may use, and nothing else in the suite sends these two.
 */
#include "ipi_common.h"

HCABI_TEST(ipi_vector_edges, "IPI.send_vector_edges",
	   "IPI-001.1,IPI-001.3,IPI-002.1,IPI-002.2,IPI-003.1,X86-005",
	   HCABI_FID_IPI_SEND_SINCE)
{
	unsigned me = hcabi_cpu_index(), n = ipi_vcpu_count();
	uint64_t before;

	hcabi_irq_register(HCABI_VECTOR_MIN, ipi_count_handler);
	before = hcabi_irq_count(me, HCABI_VECTOR_MIN);
	check_ret(hcabi_ipi_send(1ull << me, 0, HCABI_VECTOR_MIN), HCABI_SUCCESS, 0, "IPI-001.1",
		  "SEND(the caller, vector %u = HCABI_VECTOR_MIN)", HCABI_VECTOR_MIN);
	check_true(hcabi_intc_pending(HCABI_VECTOR_MIN), "IPI-002.1",
		   "vector %u is pending in the caller's IRR when SEND returns", HCABI_VECTOR_MIN);
	check_eq_u64(ipi_take(HCABI_VECTOR_MIN, before, 1, HCABI_SEC(10), HCABI_MS(200)), 1,
		     "IPI-002.2", "vector %u taken exactly once", HCABI_VECTOR_MIN);

	if (n < 2) {
		test_log("no stopped vCPU to send vector 255 to");
		return;
	}
	if (hcabi_vcpu_get_status(n - 1).value != HCABI_VCPU_STATUS_STOPPED) {
		test_log("vCPU %u is not stopped: vector 255 is not tried", n - 1);
		return;
	}
	check_ret(hcabi_ipi_send(1, n - 1, 255), HCABI_SUCCESS, 0, "IPI-001.3",
		  "SEND(vector 255, only vCPU %u, which is stopped)", n - 1);
	check_ret(hcabi_vcpu_get_status(n - 1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
		  "IPI-003.1", "vCPU %u is still stopped", n - 1);
}
