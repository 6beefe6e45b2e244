/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND arguments: IPI-001.1 to IPI-001.6, IPI-003.2 (mask 0), IPI-002.3.
 *
 * What:
 *  - a vector below HCABI_VECTOR_MIN (0, 1, 2, 15, 16, 31) is INVALID_PARAM
 *    with RDX = 0 (IPI-001.1), and so is a vector with any of its reserved
 *    bits set (bits 63:8 at 1.0; 63:9 from 1.1, where bit 8 is all_but_self,
 *    tested with IPI-004; IPI-001.3); nothing is sent: the calls name the
 *    calling vCPU, whose LAPIC IRR must stay clear and which must take no
 *    interrupt afterwards (IPI-001.2, IPI-001.4);
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

/* Whether vector v (or, for v < 32, anything in 16..31) became pending here. */
static bool nothing_pending(unsigned v)
{
	for (unsigned x = 16; x < 32; x++)
		if (hcabi_intc_pending(x))
			return false;
	return !hcabi_intc_pending(v);
}

HCABI_TEST(ipi_send_bad_vector, "IPI.send_bad_vector",
	   "IPI-001.1,IPI-001.2,IPI-001.3,IPI-001.4,X86-005", HCABI_FID_IPI_SEND_SINCE)
{
	static const uint64_t low[] = {0, 1, 2, 15, 16, 31};
	static const uint64_t high[] = {
	    0x100ull, 0x8000ull, 1ull << 31, 1ull << 32, 1ull << 63, 0xFFFFFFFFFFFFFF00ull,
	};
	unsigned me = hcabi_cpu_index();
	uint64_t before;

	hcabi_irq_register(IPI_VEC_A, ipi_count_handler);
	before = hcabi_irq_count(me, IPI_VEC_A);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(low); i++) {
		check_status(hcabi_ipi_send(1ull << me, 0, low[i]), HCABI_ERR_INVALID_PARAM,
			     "IPI-001.1", "SEND(self, vector %llu)", (unsigned long long)low[i]);
		check_true(nothing_pending(IPI_VEC_A), "IPI-001.2",
			   "nothing became pending after SEND with vector %llu",
			   (unsigned long long)low[i]);
	}
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

HCABI_TEST(ipi_send_bad_mask, "IPI.send_bad_mask", "IPI-001.5,IPI-001.6,X86-005",
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

HCABI_TEST(ipi_send_mask_zero, "IPI.send_mask_zero", "IPI-003.2,IPI-002.3,X86-005",
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
