/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND vectors at both valid edges: IPI-001.1, IPI-001.3, IPI-002.1,
 * IPI-002.2, IPI-003.1 (on arm64 read with ARM64-021, ARM64-022).
 *
 * What: the smallest valid vector, HCABI_TEST_VECTOR_MIN (x86-64
 * HCABI_VECTOR_MIN, 32; arm64 HCABI_ARM64_VECTOR_MIN, 16), sent to the
 * caller with interrupts disabled, returns SUCCESS with 0 (IPI-001.1), is
 * pending (x86-64: IRR; arm64: the redistributor) when SEND returns and is
 * taken exactly once (IPI-002.1, .2); the largest, HCABI_TEST_VECTOR_MAX
 * (x86-64 255, whose bits above 7:0 are clear; arm64 22), is accepted: SEND
 * naming only a stopped vCPU returns SUCCESS with 0 (IPI-001.3 on x86-64,
 * where the bound is the field's width; IPI-001.1 on arm64), which stays
 * stopped (IPI-003.1). Where the runtime can take it (arm64; on x86-64 255
 * is the LAPIC's spurious vector) it is also sent to the caller and taken
 * exactly once, like the smallest. One below the smallest and one above
 * the largest are send_args.c's, the largest valid base with mask 1 is
 * exactly_once.c's.
 * Why: a bound written `vector > MIN` or `vector < MAX` rejects a vector a
 * guest may use, and nothing else in the suite sends these two.
 */
#include "ipi_common.h"

/* The requirement that makes MAX the largest valid vector: the reserved
 * bits above the field (x86-64), or the binding's range read into
 * IPI-001.1 (arm64). */
#define IPI_MAX_REQ                                                                                \
	((HCABI_TEST_VECTOR_ABOVE_MAX & ~HCABI_IPI_SEND_VECTOR_VECTOR_MASK) ? "IPI-001.3"          \
									   : "IPI-001.1")

/* SEND(the caller, v) with interrupts disabled: pending when it returns,
 * taken exactly once once they are enabled. */
static void ipi_edge_to_self(unsigned v, const char *req, const char *which)
{
	unsigned me = hcabi_cpu_index();
	uint64_t before;

	hcabi_irq_register(v, ipi_count_handler);
	before = hcabi_irq_count(me, v);
	check_ret(hcabi_ipi_send(1ull << me, 0, v), HCABI_SUCCESS, 0, req,
		  "SEND(the caller, vector %u = the %s valid vector)", v, which);
	check_true(hcabi_intc_pending(v), "IPI-002.1",
		   "vector %u is pending in the caller's interrupt controller when SEND returns", v);
	check_eq_u64(ipi_take(v, before, 1, HCABI_SEC(10), HCABI_MS(200)), 1, "IPI-002.2",
		     "vector %u taken exactly once", v);
}

HCABI_TEST(ipi_vector_edges, "IPI.send_vector_edges",
	   "IPI-001.1,IPI-001.3,IPI-002.1,IPI-002.2,IPI-003.1," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_IPI_SEND_SINCE)
{
	unsigned n = ipi_vcpu_count();
	const unsigned max = HCABI_TEST_VECTOR_MAX;

	ipi_edge_to_self(HCABI_TEST_VECTOR_MIN, "IPI-001.1", "smallest");
	if (hcabi_test_vector_taken(max))
		ipi_edge_to_self(max, IPI_MAX_REQ, "largest");

	if (n < 2) {
		test_log("no stopped vCPU to send vector %u to", max);
		return;
	}
	if (hcabi_vcpu_get_status(n - 1).value != HCABI_VCPU_STATUS_STOPPED) {
		test_log("vCPU %u is not stopped: vector %u is not tried", n - 1, max);
		return;
	}
	check_ret(hcabi_ipi_send(1, n - 1, max), HCABI_SUCCESS, 0, IPI_MAX_REQ,
		  "SEND(vector %u = the largest valid vector, only vCPU %u, which is stopped)", max,
		  n - 1);
	check_ret(hcabi_vcpu_get_status(n - 1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
		  "IPI-003.1", "vCPU %u is still stopped", n - 1);
}
