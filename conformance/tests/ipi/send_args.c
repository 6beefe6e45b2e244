/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND arguments: IPI-001.1 to IPI-001.6, IPI-003.2 (mask 0), IPI-002.3.
 *
 * What:
 *  - every value of bits 7:0 outside the binding's valid range is
 *    INVALID_PARAM with RDX = 0 (IPI-001.1): on x86-64 0 to 31, below
 *    HCABI_VECTOR_MIN; on arm64 0 to 15 and 23 to 255, outside the PPIs
 *    16..22 (ARM64-021); each edge is also its own check (x86-64 31 and
 *    256, which is 0 in bits 7:0; arm64 15 and 23).
 *    So is a vector with any of its reserved bits set (bits 63:8 at 1.0;
 *    63:9 from 1.1, where bit 8 is all_but_self, tested with IPI-004;
 *    IPI-001.3). Nothing is sent: the calls name the calling vCPU, whose
 *    interrupt controller (LAPIC IRR; arm64 the redistributor) must have
 *    nothing pending and which must take no interrupt afterwards
 *    (IPI-001.2, IPI-001.4);
 *  - a mask naming an index that is not below the vCPU count is
 *    INVALID_PARAM (IPI-001.5) and nothing is sent (IPI-001.6), even to the
 *    valid targets it names as well (the caller among them): one bit past
 *    the count, every bit, bit 63, a base equal to the count, a base near
 *    2^64 so that base + i wraps around to a small, valid-looking index; the
 *    count comes from VCPU.GET_COUNT, so this needs VCPU (skipped without it);
 *  - mask 0 returns SUCCESS with 0 (IPI-003.2) and sends nothing, whatever
 *    base says: no index is named, so none is out of range, and no vCPU
 *    gets the vector (IPI-002.3).
 * Why: an IPI with an exception vector would be taken as a CPU exception by
 * the guest, and a bad index must not turn into a partial broadcast; a guest
 * that computes its masks relies on the all-or-nothing rule. A combination
 * of mask 0 with a bad vector is not tested: IPI-001 and IPI-003 do not say
 * which of them wins.
 */
#include "ipi_common.h"

/* Whether neither vector v nor anything in 16..31 (x86-64: vectors below
 * HCABI_VECTOR_MIN the IRR can hold; arm64: every PPI) became pending here. */
static bool nothing_pending(unsigned v)
{
	for (unsigned x = 16; x < 32; x++)
		if (hcabi_intc_pending(x))
			return false;
	return !hcabi_intc_pending(v);
}

HCABI_TEST(ipi_send_bad_vector, "IPI.send_bad_vector",
	   "IPI-001.1,IPI-001.2,IPI-001.3,IPI-001.4," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_IPI_SEND_SINCE)
{
	static const uint64_t high[] = {
	    0x100ull, 0x8000ull, 1ull << 31, 1ull << 32, 1ull << 63, 0xFFFFFFFFFFFFFF00ull,
	};
	unsigned me = hcabi_cpu_index(), invalid = 0, rejected = 0, quiet = 0;
	uint64_t before;

	hcabi_irq_register(IPI_VEC_A, ipi_count_handler);
	before = hcabi_irq_count(me, IPI_VEC_A);
	/* every invalid value of bits 7:0, and one above the largest valid
	 * vector (x86-64: 256, whose bits 7:0 are 0); a wrong answer, and each
	 * edge, is a check of its own */
	const unsigned last = HCABI_TEST_VECTOR_ABOVE_MAX > HCABI_IPI_SEND_VECTOR_VECTOR_MASK
				  ? HCABI_TEST_VECTOR_ABOVE_MAX
				  : (unsigned)HCABI_IPI_SEND_VECTOR_VECTOR_MASK;
	for (unsigned v = 0; v <= last; v++) {
		bool edge = v == HCABI_TEST_VECTOR_BELOW_MIN || v == HCABI_TEST_VECTOR_ABOVE_MAX;
		struct hcabi_ret r;
		if (v >= HCABI_TEST_VECTOR_MIN && v <= HCABI_TEST_VECTOR_MAX)
			continue;
		invalid++;
		r = hcabi_ipi_send(1ull << me, 0, v);
		if (!edge && r.status == HCABI_ERR_INVALID_PARAM && r.value == 0)
			rejected++;
		else if (check_status(r, HCABI_ERR_INVALID_PARAM, "IPI-001.1",
				      "SEND(self, vector %u, %s%s the valid range %u..%u)", v,
				      edge ? "just " : "", v < HCABI_TEST_VECTOR_MIN ? "below" : "above",
				      HCABI_TEST_VECTOR_MIN, HCABI_TEST_VECTOR_MAX))
			rejected++;
		if (nothing_pending(IPI_VEC_A))
			quiet++;
		else
			check_true(false, "IPI-001.2", "something became pending after SEND with vector %u",
				   v);
	}
	check_eq_u64(rejected, invalid, "IPI-001.1",
		     "SENDs with a vector outside %u..%u (0..%u) that returned INVALID_PARAM "
		     "with RDX = 0",
		     HCABI_TEST_VECTOR_MIN, HCABI_TEST_VECTOR_MAX, last);
	check_eq_u64(quiet, invalid, "IPI-001.2",
		     "SENDs with a vector outside %u..%u after which nothing was pending", HCABI_TEST_VECTOR_MIN,
		     HCABI_TEST_VECTOR_MAX);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(high); i++) {
		uint64_t v = high[i] | IPI_VEC_A;
		/* bit 8 is reserved only before 1.1 (then all_but_self, IPI-004) */
		if (high[i] == HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK && hcabi_spec() >= HCABI_VERSION(1, 1))
			continue;
		check_status(hcabi_ipi_send(1ull << me, 0, v), HCABI_ERR_INVALID_PARAM, "IPI-001.3",
			     "SEND(self, vector 0x%llx: reserved bits set)", (unsigned long long)v);
		check_true(nothing_pending(IPI_VEC_A), "IPI-001.4",
			   "vector 0x%02x is not pending after SEND with vector 0x%llx", IPI_VEC_A,
			   (unsigned long long)v);
	}
	check_eq_u64(ipi_take(IPI_VEC_A, before, 1, HCABI_MS(50), HCABI_MS(20)), 0, "IPI-001.4",
		     "interrupts of vector 0x%02x taken after the rejected sends", IPI_VEC_A);
}

HCABI_TEST(ipi_send_bad_mask, "IPI.send_bad_mask", "IPI-001.5,IPI-001.6," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_IPI_SEND_SINCE)
{
	unsigned n = ipi_vcpu_count();
	unsigned me = hcabi_cpu_index();
	struct mask_case {
		uint64_t mask, base;
		const char *what;
	} cases[16];
	size_t k = 0;
	uint64_t before;

	/* the bad masks are built from VCPU.GET_COUNT: without VCPU the test
	 * skips saying it needs VCPU (test-end needs=VCPU) */
	if (!test_require_ext(HCABI_EID_VCPU))
		return;
	if (n == 0) {
		test_error("VCPU is advertised, but VCPU.GET_COUNT gave no vCPU count");
		return;
	}
	if (n < 64) {
		cases[k++] =
		    (struct mask_case){(1ull << me) | (1ull << n), 0, "the caller and index count"};
		cases[k++] = (struct mask_case){~0ull, 0, "every bit, base 0"};
		cases[k++] = (struct mask_case){1ull << 63, 0, "bit 63, base 0"};
	}
	cases[k++] = (struct mask_case){1, n, "base = the vCPU count"};
	cases[k++] = (struct mask_case){3, n - 1, "the last vCPU and the one after it"};
	cases[k++] = (struct mask_case){1, 1ull << 32, "base 2^32"};
	cases[k++] = (struct mask_case){1, ~0ull, "base 2^64-1"};
	/* base + 2 wraps around to index 0 (the caller): still out of range */
	cases[k++] = (struct mask_case){(1ull << 2) | 1, ~0ull - 1,
					"base 2^64-2, bits 0 and 2 (wraps to 0)"};
	cases[k++] =
	    (struct mask_case){1ull << 63, ~0ull - 62, "base 2^64-63, bit 63 (wraps to 0)"};

	hcabi_irq_register(IPI_VEC_A, ipi_count_handler);
	before = hcabi_irq_count(me, IPI_VEC_A);
	for (size_t i = 0; i < k; i++) {
		check_status(hcabi_ipi_send(cases[i].mask, cases[i].base, IPI_VEC_A),
			     HCABI_ERR_INVALID_PARAM, "IPI-001.5",
			     "SEND(mask 0x%llx, base 0x%llx: %s) with %u vCPUs",
			     (unsigned long long)cases[i].mask, (unsigned long long)cases[i].base,
			     cases[i].what, n);
		check_true(!hcabi_intc_pending(IPI_VEC_A), "IPI-001.6",
			   "nothing was sent to the caller (IRR of vector 0x%02x clear) after %s",
			   IPI_VEC_A, cases[i].what);
	}
	check_eq_u64(ipi_take(IPI_VEC_A, before, 1, HCABI_MS(50), HCABI_MS(20)), 0, "IPI-001.6",
		     "interrupts of vector 0x%02x taken after the rejected sends", IPI_VEC_A);
}

HCABI_TEST(ipi_send_mask_zero, "IPI.send_mask_zero", "IPI-003.2,IPI-002.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_IPI_SEND_SINCE)
{
	static const uint64_t bases[] = {0, 1, 63, 64, 1ull << 32, 1ull << 63, ~0ull};
	unsigned me = hcabi_cpu_index();
	uint64_t before;

	hcabi_irq_register(IPI_VEC_A, ipi_count_handler);
	before = hcabi_irq_count(me, IPI_VEC_A);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bases); i++)
		check_ret(hcabi_ipi_send(0, bases[i], IPI_VEC_A), HCABI_SUCCESS, 0, "IPI-003.2",
			  "SEND(mask 0, base 0x%llx, vector 0x%02x)", (unsigned long long)bases[i],
			  IPI_VEC_A);
	check_true(!hcabi_intc_pending(IPI_VEC_A), "IPI-002.3",
		   "mask 0 sent nothing to the caller (IRR of vector 0x%02x clear)", IPI_VEC_A);
	check_eq_u64(ipi_take(IPI_VEC_A, before, 1, HCABI_MS(50), HCABI_MS(20)), 0, "IPI-002.3",
		     "interrupts of vector 0x%02x taken after sends with mask 0", IPI_VEC_A);
}
