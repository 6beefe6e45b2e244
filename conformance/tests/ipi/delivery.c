/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND delivery: IPI-002.1 (pending in every named running vCPU when
 * SEND returns), IPI-002.2 (once), IPI-002.3 (nowhere else), IPI-003.1
 * (stopped targets are ignored).
 *
 * What:
 *  - a send to the caller itself, made with interrupts disabled, is pending
 *    in the caller's interrupt controller (the LAPIC's IRR bit; arm64: the
 *    redistributor's pending bit, ARM64-022) when SEND returns, and is taken
 *    exactly once when interrupts are enabled; naming the caller through
 *    `base` instead of the mask works the same (IPI-002);
 *  - with every vCPU running (interrupts disabled, waiting for a flag),
 *    four sends name different subsets (odd indexes, even indexes, every
 *    vCPU but 0 through base 1, the last vCPU alone). The flag is written
 *    after the last SEND returned; each vCPU then reads its IRR (the vector
 *    of each send that named it must be pending, before-return semantics)
 *    and takes its interrupts: each vector exactly once on every vCPU the
 *    send named, and never on any other (IPI-002);
 *  - a send whose mask names every vCPU while all but the caller are
 *    stopped returns SUCCESS with 0, reaches the caller exactly once, starts
 *    nobody, and a stopped vCPU started afterwards has nothing pending and
 *    takes nothing (IPI-003).
 * Why: an IPI that reaches a vCPU it did not name, twice, or not yet when
 * SEND returns breaks the guest's TLB shootdown and wake-up protocols, which
 * write a flag after sending and rely on the interrupt preceding it.
 * Latency is never bounded: the waits are generous (nested virtualization
 * is slow), and only counts and pending bits are compared.
 */
#include "ipi_common.h"

HCABI_TEST(ipi_send_self, "IPI.send_self_pending", "IPI-002.1,IPI-002.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_IPI_SEND_SINCE)
{
	unsigned me = hcabi_cpu_index();
	uint64_t a, b;

	hcabi_irq_register(IPI_VEC_A, ipi_count_handler);
	hcabi_irq_register(IPI_VEC_B, ipi_count_handler);

	/* the caller through the mask */
	a = hcabi_irq_count(me, IPI_VEC_A);
	check_ret(hcabi_ipi_send(1ull << me, 0, IPI_VEC_A), HCABI_SUCCESS, 0, "IPI-002.1",
		  "SEND(mask = the caller, base 0, vector 0x%02x)", IPI_VEC_A);
	check_true(hcabi_intc_pending(IPI_VEC_A), "IPI-002.1",
		   "vector 0x%02x is pending in the caller's IRR when SEND returns", IPI_VEC_A);
	check_eq_u64(hcabi_irq_count(me, IPI_VEC_A) - a, 0, "IPI-002.1",
		     "not taken while interrupts are disabled");
	check_eq_u64(ipi_take(IPI_VEC_A, a, 1, HCABI_SEC(10), HCABI_MS(50)), 1, "IPI-002.2",
		     "interrupts of vector 0x%02x taken once enabled", IPI_VEC_A);

	/* the caller through base, and two vectors pending at once */
	a = hcabi_irq_count(me, IPI_VEC_A);
	b = hcabi_irq_count(me, IPI_VEC_B);
	check_ret(hcabi_ipi_send(1, me, IPI_VEC_B), HCABI_SUCCESS, 0, "IPI-002.1",
		  "SEND(mask 1, base = the caller, vector 0x%02x)", IPI_VEC_B);
	check_ret(hcabi_ipi_send(1ull << me, 0, IPI_VEC_A), HCABI_SUCCESS, 0, "IPI-002.1",
		  "SEND(mask = the caller, base 0, vector 0x%02x)", IPI_VEC_A);
	check_true(hcabi_intc_pending(IPI_VEC_A) && hcabi_intc_pending(IPI_VEC_B), "IPI-002.1",
		   "vectors 0x%02x and 0x%02x are both pending (IRR %d, %d)", IPI_VEC_A, IPI_VEC_B,
		   hcabi_intc_pending(IPI_VEC_A), hcabi_intc_pending(IPI_VEC_B));
	check_eq_u64(ipi_take(IPI_VEC_B, b, 1, HCABI_SEC(10), HCABI_MS(50)), 1, "IPI-002.2",
		     "interrupts of vector 0x%02x taken", IPI_VEC_B);
	check_eq_u64(hcabi_irq_count(me, IPI_VEC_A) - a, 1, "IPI-002.2",
		     "interrupts of vector 0x%02x taken", IPI_VEC_A);
}

/* ---- a send to each of several subsets of the running vCPUs ---- */

#define SUBSET_SENDS 4u
static const unsigned subset_vec[SUBSET_SENDS] = {HCABI_TEST_VECTOR(0), HCABI_TEST_VECTOR(1),
						  HCABI_TEST_VECTOR(2), HCABI_TEST_VECTOR(3)};
_Static_assert(SUBSET_SENDS <= HCABI_TEST_VECTORS, "one vector per send");

struct subset_result {
	bool timed_out, done;
	bool irr[SUBSET_SENDS];
	uint64_t got[SUBSET_SENDS];
};

static struct {
	unsigned n;
	uint64_t mask[SUBSET_SENDS], base[SUBSET_SENDS];
	uint64_t ready, sent;
	struct subset_result res[IPI_MAX_CPUS];
} subset;

static bool subset_named(unsigned cpu, unsigned k)
{
	uint64_t base = subset.base[k];
	return cpu >= base && cpu - base < 64 && ((subset.mask[k] >> (cpu - base)) & 1);
}

/* On every vCPU once the sends are done: read the IRR, then take them. */
static void subset_collect(struct subset_result *res)
{
	unsigned me = hcabi_cpu_index();
	uint64_t before[SUBSET_SENDS], want = 0, start;

	for (unsigned k = 0; k < SUBSET_SENDS; k++) {
		res->irr[k] = hcabi_intc_pending(subset_vec[k]);
		want += subset_named(me, k);
	}
	for (unsigned k = 0; k < SUBSET_SENDS; k++)
		before[k] = hcabi_irq_count(me, subset_vec[k]);
	start = hcabi_now_ns();
	hcabi_irq_enable();
	for (;;) {
		uint64_t have = 0;
		for (unsigned k = 0; k < SUBSET_SENDS; k++)
			have += hcabi_irq_count(me, subset_vec[k]) - before[k];
		if (have >= want || hcabi_now_ns() - start > HCABI_SEC(10))
			break;
		for (int i = 0; i < 100; i++)
			hcabi_pause();
	}
	delay_ns(HCABI_MS(100)); /* a duplicate would arrive meanwhile */
	hcabi_irq_disable();
	for (unsigned k = 0; k < SUBSET_SENDS; k++)
		res->got[k] = hcabi_irq_count(me, subset_vec[k]) - before[k];
	res->done = true;
}

static void subset_task(void *arg)
{
	unsigned me = hcabi_cpu_index();
	struct subset_result *res = &subset.res[me];
	(void)arg;

	/* interrupts are disabled: what arrives stays pending in the IRR */
	hcabi_atomic_add(&subset.ready, 1);
	if (!wait_for_u64(&subset.sent, 1, HCABI_SEC(30))) {
		res->timed_out = true;
		return;
	}
	subset_collect(res);
}

HCABI_TEST(ipi_send_subset, "IPI.send_subset_exactly_once",
	   "IPI-002.1,IPI-002.2,IPI-002.3,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_IPI_SEND_SINCE)
{
	unsigned n, started = 0;
	uint64_t all;

	if (!test_require_cpus(2))
		return;
	n = hcabi_smp_count();
	if (n > IPI_MAX_CPUS) {
		test_log("the VM has %u vCPUs; the test uses the first %u", n, IPI_MAX_CPUS);
		n = IPI_MAX_CPUS;
	}
	memset(&subset, 0, sizeof(subset));
	subset.n = n;
	all = (1ull << n) - 1;
	subset.mask[0] = 0xAAAAAAAAAAAAAAAAull & all; /* odd indexes */
	subset.base[0] = 0;
	subset.mask[1] = 0x5555555555555555ull & all; /* even indexes, the caller too */
	subset.base[1] = 0;
	subset.mask[2] = all >> 1; /* 1 .. n-1, through base 1 */
	subset.base[2] = 1;
	subset.mask[3] = 1; /* the last vCPU alone */
	subset.base[3] = n - 1;
	for (unsigned k = 0; k < SUBSET_SENDS; k++)
		hcabi_irq_register(subset_vec[k], ipi_count_handler);

	for (unsigned cpu = 1; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		if (!test_start_on_cpu(cpu, subset_task, 0))
			break;
		started++;
	}
	if (started == n - 1 && !wait_for_u64(&subset.ready, n - 1, HCABI_SEC(30)))
		check_true(
		    false, "VCPU-024.2",
		    "only %llu of the %u vCPUs started with SUCCESS ran their task within 30 s",
		    (unsigned long long)subset.ready, n - 1);
	if (started == n - 1 && subset.ready == n - 1) {
		for (unsigned k = 0; k < SUBSET_SENDS; k++)
			check_ret(
			    hcabi_ipi_send(subset.mask[k], subset.base[k], subset_vec[k]),
			    HCABI_SUCCESS, 0, "IPI-002.1",
			    "SEND(mask 0x%llx, base %llu, vector 0x%02x) with %u vCPUs running",
			    (unsigned long long)subset.mask[k], (unsigned long long)subset.base[k],
			    subset_vec[k], n);
	}
	hcabi_atomic_store(&subset.sent, 1);
	subset_collect(&subset.res[0]);
	for (unsigned cpu = 1; cpu <= started; cpu++)
		(void)test_wait_cpu(cpu, HCABI_SEC(30));
	if (started != n - 1)
		return;

	for (unsigned cpu = 0; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		struct subset_result *res = &subset.res[cpu];
		if (res->timed_out || !res->done) {
			test_error("vCPU %u did not see the sends (timed out)", cpu);
			continue;
		}
		for (unsigned k = 0; k < SUBSET_SENDS; k++) {
			bool named = subset_named(cpu, k);
			check_true(
			    res->irr[k] == named, named ? "IPI-002.1" : "IPI-002.3",
			    "vCPU %u: vector 0x%02x %s pending when the sender's flag was seen "
			    "(IRR bit %d; send %u names it: %s)",
			    cpu, subset_vec[k], named ? "is" : "is not", res->irr[k], k,
			    named ? "yes" : "no");
			check_eq_u64(
			    res->got[k], named ? 1 : 0, named ? "IPI-002.2" : "IPI-002.3",
			    "vCPU %u: interrupts of vector 0x%02x taken (mask 0x%llx, base %llu)",
			    cpu, subset_vec[k], (unsigned long long)subset.mask[k],
			    (unsigned long long)subset.base[k]);
		}
	}
}

/* ---- stopped targets ---- */

static struct {
	bool irr;
	uint64_t got;
} stopped_res;

static void stopped_task(void *arg)
{
	unsigned me = hcabi_cpu_index();
	uint64_t before = hcabi_irq_count(me, IPI_VEC_A);
	(void)arg;
	stopped_res.irr = hcabi_intc_pending(IPI_VEC_A);
	stopped_res.got = ipi_take(IPI_VEC_A, before, 1, HCABI_MS(200), 0);
}

HCABI_TEST(ipi_send_stopped, "IPI.send_stopped_targets",
	   "IPI-003.1,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",VCPU-041.1,STATUS-004",
	   HCABI_FID_IPI_SEND_SINCE)
{
	unsigned n, me = hcabi_cpu_index();
	uint64_t all, a;
	bool others_stopped = true;

	if (!test_require_cpus(2))
		return;
	n = hcabi_smp_count();
	all = n >= 64 ? ~0ull : (1ull << n) - 1;
	for (unsigned cpu = 0; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		struct hcabi_ret r;
		if (cpu == me)
			continue;
		r = hcabi_vcpu_get_status(cpu);
		/* the runtime leaves every vCPU it started stopped (it waits for that
		 * after each test): GET_STATUS must say so (VCPU-041) */
		if (!check_ret(r, HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
			       "GET_STATUS(%u) of a vCPU stopped before the test", cpu))
			others_stopped = false;
	}
	if (!others_stopped)
		return;
	hcabi_irq_register(IPI_VEC_A, ipi_count_handler);
	a = hcabi_irq_count(me, IPI_VEC_A);
	check_ret(hcabi_ipi_send(all, 0, IPI_VEC_A), HCABI_SUCCESS, 0, "IPI-003.1",
		  "SEND(mask 0x%llx = every vCPU, all but the caller stopped)",
		  (unsigned long long)all);
	check_true(hcabi_intc_pending(IPI_VEC_A), "IPI-003.1",
		   "the running caller has vector 0x%02x pending", IPI_VEC_A);
	check_eq_u64(ipi_take(IPI_VEC_A, a, 1, HCABI_SEC(10), HCABI_MS(50)), 1, "IPI-003.1",
		     "the caller took vector 0x%02x once", IPI_VEC_A);
	check_ret(hcabi_ipi_send(all & ~(1ull << me), 0, IPI_VEC_A), HCABI_SUCCESS, 0, "IPI-003.1",
		  "SEND(mask 0x%llx = every stopped vCPU)",
		  (unsigned long long)(all & ~(1ull << me)));
	for (unsigned cpu = 0; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		if (cpu == me)
			continue;
		check_ret(hcabi_vcpu_get_status(cpu), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
			  "IPI-003.1", "vCPU %u is still stopped after the sends", cpu);
	}
	/* A stopped vCPU received nothing: started now, it has nothing pending. */
	memset(&stopped_res, 0, sizeof(stopped_res));
	if (!test_run_on_cpu(1, stopped_task, 0))
		return;
	check_true(!stopped_res.irr, "IPI-003.1",
		   "vCPU 1, stopped during the sends and started after them, has vector 0x%02x "
		   "pending: %d",
		   IPI_VEC_A, stopped_res.irr);
	check_eq_u64(stopped_res.got, 0, "IPI-003.1",
		     "vCPU 1 took no interrupt of vector 0x%02x after its start", IPI_VEC_A);
}
