/* SPDX-License-Identifier: MIT */
/*
 * TIME.SET_PERIODIC's reserved vector bits, one at a time (HCABI 1.1):
 * TIME-040, GEN-002.1 (and TIME-041, TIME-042 for the valid call).
 *
 * What: with nothing armed (CANCEL_TIMER first), SET_PERIODIC(first = now +
 * 1 ms, period 1 ms, vector PR_VEC | 1 << b) for every reserved bit b of
 * `vector`, 8 through 63, alone: each is INVALID_PARAM with RDX = 0 (TIME-040,
 * GEN-002.1), and right after it CANCEL_TIMER returns SUCCESS with 0: the call
 * armed nothing (it would return 1 for an armed timer, TIME-030, TIME-042). Then,
 * with interrupts enabled for 50 ms (fifty periods of what a wrong call would
 * have armed), nothing arrives on vector PR_VEC. A valid call with the same
 * first tick, period and vector (bits 63:8 clear) is then SUCCESS and ticks,
 * so that a hypervisor rejecting every call does not pass.
 * Why: `vector` is an argument new in 1.1, and an implementation that
 * derives which argument bits it checks from the version an argument first
 * appeared in can get the boundary wrong at exactly that version: bits 63:8
 * then go unchecked and a guest's stray high bit arms a timer on the low
 * byte (the survivor `first_since <= v` -> `<` of docs/mutation.md). The
 * periodic_validation test tries bit 8, bit 63 and bits 63:32; this one
 * tries each bit, and checks "nothing armed" through CANCEL_TIMER's value,
 * not only through interrupts that may come late.
 */
#include "time_common.h"

#define PR_VEC HCABI_TEST_VECTOR(0)
#define PR_WAIT HCABI_SEC(10)

static volatile uint64_t pr_ticks;

static void pr_handler(struct hcabi_frame *f, unsigned vector)
{
	(void)f;
	if (vector == PR_VEC && hcabi_cpu_index() == 0)
		hcabi_atomic_add(&pr_ticks, 1);
}

HCABI_TEST(time_periodic_reserved_bits, "TIME.set_periodic_reserved_vector_bits",
	   "TIME-040.2,TIME-040.4,GEN-002.1,TIME-041.1,TIME-042.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TIME_SET_PERIODIC_SINCE)
{
	unsigned rejected = 0, unarmed = 0;
	struct hcabi_ret r;
	bool ok;

	hcabi_irq_register(PR_VEC, pr_handler);
	hcabi_atomic_store(&pr_ticks, 0);
	/* a clean start: whatever an earlier test left is cancelled */
	(void)hcabi_time_cancel_timer();

	for (unsigned b = 8; b < 64; b++) {
		uint64_t vector = PR_VEC | (1ull << b);
		uint64_t first = hcabi_time_get_monotonic().value + HCABI_MS(1);

		r = hcabi_time_set_periodic(first, HCABI_MS(1), vector);
		if (r.status == HCABI_ERR_INVALID_PARAM && r.value == 0)
			rejected++;
		else
			check_status(
			    r, HCABI_ERR_INVALID_PARAM, "TIME-040.2",
			    "SET_PERIODIC(+1 ms, 1 ms, vector 0x%llx: reserved bit %u set)",
			    (unsigned long long)vector, b);
		r = hcabi_time_cancel_timer();
		if (r.status == HCABI_SUCCESS && r.value == 0)
			unarmed++;
		else
			check_ret(
			    r, HCABI_SUCCESS, 0, "TIME-040.4",
			    "CANCEL_TIMER right after SET_PERIODIC with bit %u of vector set: "
			    "the rejected call must have armed nothing",
			    b);
	}
	check_eq_u64(rejected, 56, "GEN-002.1",
		     "SET_PERIODIC calls with one reserved bit of vector (8..63) set that returned "
		     "INVALID_PARAM with RDX = 0");
	check_eq_u64(unarmed, 56, "TIME-040.4",
		     "CANCEL_TIMER after each of them returned SUCCESS with 0 (nothing was armed)");

	hcabi_irq_enable();
	delay_ns(HCABI_MS(50));
	hcabi_irq_disable();
	check_eq_u64(hcabi_atomic_load(&pr_ticks), 0, "TIME-040.4",
		     "nothing arrived on vector 0x%x in 50 ms after the rejected calls", PR_VEC);

	/* the same call without the reserved bit is accepted and ticks */
	r = hcabi_time_set_periodic(hcabi_time_get_monotonic().value + HCABI_MS(1), HCABI_MS(1),
				    PR_VEC);
	if (!check_ret(r, HCABI_SUCCESS, 0, "TIME-041.1",
		       "SET_PERIODIC(+1 ms, 1 ms, vector 0x%x), bits 63:8 clear", PR_VEC))
		return;
	hcabi_irq_enable();
	ok = wait_for_u64(&pr_ticks, 2, PR_WAIT);
	hcabi_irq_disable();
	check_true(ok, "TIME-041.1", "the valid periodic timer ticked (%llu ticks, 2 wanted)",
		   (unsigned long long)hcabi_atomic_load(&pr_ticks));
	check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 1, "TIME-042.2",
		  "CANCEL_TIMER of the valid periodic timer");
	/* the handler stays registered: a tick pending at the cancel may
	 * still be taken when a later test enables interrupts */
}
