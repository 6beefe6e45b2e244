/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND with the all_but_self bit of `vector` (HCABI 1.1): IPI-004.1 to
 * IPI-004.5; IPI-003.1 for the stopped vCPUs.
 *
 * What:
 *  - with every vCPU of the VM running (2 to 4; interrupts disabled, waiting
 *    for a flag), vCPU 0 sends SEND(mask 0, base 0, vector 0x100 | v): it
 *    returns SUCCESS with 0, the caller has nothing pending in its IRR and
 *    takes nothing, and every other vCPU, once it sees the flag the caller
 *    wrote after SEND returned, has v pending in its IRR (before-return
 *    semantics) and takes it exactly once (nothing more within 100 ms). Then
 *    the same with vCPU 1 as the caller, so that the caller is not always
 *    vCPU 0;
 *  - a non-zero mask or base with the bit set is INVALID_PARAM with RDX = 0
 *    and sends nothing, not even to the vCPUs such a mask names validly (the
 *    caller, the others): mask = the caller, mask = the others, every bit,
 *    bit 63; base 1, base 64, base 2^64-1; both. A vector below the valid
 *    range (vector 0, and the one just below it: x86-64 31, arm64 15), and on
 *    arm64 the one just above it (23, ARM64-021), with the bit (IPI-001.1, .2) and a reserved bit above it (bit 9, bit 63; GEN-002.1,
 *    IPI-001.4) are INVALID_PARAM as well. Every vCPU watches: nothing
 *    arrives anywhere (IPI-004.2);
 *  - stopped vCPUs get nothing: with vCPU 1 running and every other vCPU but
 *    the caller stopped, only vCPU 1 takes the vector; the stopped vCPUs stay
 *    stopped and, started afterwards, have nothing pending and take nothing.
 * Why: all_but_self is how a guest broadcasts (TLB shootdowns, reschedule,
 * stop-the-world) in one exit; an interrupt to the sender, a lost or doubled
 * one, one not yet pending when SEND returns, or one that reaches a stopped
 * vCPU breaks those protocols, and a send with a stray mask must not turn into
 * a broadcast.
 * Latency is never bounded: the waits are generous (nested virtualization is
 * slow), and only counts and pending bits are compared.
 */
#include "hcabi_test.h"
#include "hcabi_vectors.h"

#define ABS_BIT HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK /* IPI-004 */
#define ABS_VEC HCABI_TEST_VECTOR(0) /* the vector sent */
#define ABS_MAX_CPUS 4u /* the test uses at most this many vCPUs */
#define ABS_WAIT HCABI_SEC(10)

static void abs_count_handler(struct hcabi_frame *f, unsigned vector)
{
	/* the runtime counts every interrupt per vCPU and vector and sends EOI */
	(void)f;
	(void)vector;
}

struct abs_result {
	bool timed_out, done;
	bool irr;     /* ABS_VEC pending when the sender's flag was seen */
	uint64_t got; /* interrupts of ABS_VEC taken afterwards */
};

static struct {
	unsigned n;	 /* vCPUs taking part: 0 .. n-1 */
	unsigned sender; /* the caller of SEND */
	uint64_t mask, base, vector;
	bool expect_one; /* receivers wait for one interrupt (else: watch) */
	volatile uint64_t ready, sent;
	volatile int64_t status;
	volatile uint64_t value;
	struct abs_result res[ABS_MAX_CPUS];
} abs;

/* With interrupts enabled, wait up to timeout_ns until this vCPU took `want`
 * interrupts of ABS_VEC more than `before`, then settle_ns more so that a
 * duplicate would arrive too. Returns how many it took. */
static uint64_t abs_take(uint64_t before, uint64_t want, uint64_t timeout_ns, uint64_t settle_ns)
{
	unsigned me = hcabi_cpu_index();
	uint64_t start = hcabi_now_ns();

	hcabi_irq_enable();
	while (hcabi_irq_count(me, ABS_VEC) - before < want && hcabi_now_ns() - start < timeout_ns)
		for (int i = 0; i < 100; i++)
			hcabi_pause();
	delay_ns(settle_ns);
	hcabi_irq_disable();
	return hcabi_irq_count(me, ABS_VEC) - before;
}

/* Every vCPU taking part runs this with interrupts disabled: the sender waits
 * until everyone is ready and sends; the others wait for its flag. Then each
 * reads its IRR and takes what arrived. */
static void abs_participate(void)
{
	unsigned me = hcabi_cpu_index();
	struct abs_result *res = &abs.res[me];
	uint64_t before = hcabi_irq_count(me, ABS_VEC);
	bool receiver = me != abs.sender && abs.expect_one;

	hcabi_atomic_add(&abs.ready, 1);
	if (me == abs.sender) {
		struct hcabi_ret r;
		if (!wait_for_u64(&abs.ready, abs.n, HCABI_SEC(30))) {
			res->timed_out = true;
			hcabi_atomic_store(&abs.sent, 1);
			return;
		}
		r = hcabi_ipi_send(abs.mask, abs.base, abs.vector);
		abs.status = r.status;
		abs.value = r.value;
		hcabi_atomic_store(&abs.sent, 1);
	} else if (!wait_for_u64(&abs.sent, 1, HCABI_SEC(30))) {
		res->timed_out = true;
		return;
	}
	res->irr = hcabi_intc_pending(ABS_VEC);
	res->got = abs_take(before, receiver ? 1 : 0, receiver ? ABS_WAIT : 0, HCABI_MS(100));
	res->done = true;
}

static void abs_task(void *arg)
{
	(void)arg;
	abs_participate();
}

/* One round: vCPUs 0 .. n-1 take part (the others stay stopped); `sender`
 * sends (mask, base, vector). Returns false (a test error reported) if the
 * vCPUs could not take part. */
static bool abs_round(unsigned n, unsigned sender, uint64_t mask, uint64_t base, uint64_t vector,
		      bool expect_one)
{
	unsigned started = 0;
	bool ok = true;

	memset((void *)&abs, 0, sizeof(abs));
	abs.n = n;
	abs.sender = sender;
	abs.mask = mask;
	abs.base = base;
	abs.vector = vector;
	abs.expect_one = expect_one;
	for (unsigned cpu = 1; cpu < n; cpu++) {
		if (!test_start_on_cpu(cpu, abs_task, 0)) {
			ok = false;
			break;
		}
		started++;
	}
	if (!ok) {
		/* let the started ones finish: nobody will send */
		hcabi_atomic_store(&abs.sent, 1);
		for (unsigned cpu = 1; cpu <= started; cpu++)
			hcabi_smp_wait(cpu, HCABI_SEC(30));
		return false;
	}
	abs_participate();
	for (unsigned cpu = 1; cpu < n; cpu++) {
		if (!test_wait_cpu(cpu, HCABI_SEC(30)))
			ok = false;
	}
	for (unsigned cpu = 0; cpu < n && ok; cpu++) {
		if (abs.res[cpu].timed_out || !abs.res[cpu].done) {
			test_error("vCPU %u did not take part in the send (timed out)", cpu);
			ok = false;
		}
	}
	return ok;
}

/* The vCPUs the test uses, or 0 (skipped/error reported) if it cannot run:
 * at least 2, and every vCPU but the caller stopped at the start. */
static unsigned abs_cpus(void)
{
	unsigned n, me = hcabi_cpu_index();

	if (!test_require_cpus(2))
		return 0;
	n = hcabi_smp_count();
	if (me != 0) {
		test_error("the test runs on vCPU %u, not vCPU 0", me);
		return 0;
	}
	for (unsigned cpu = 1; cpu < n; cpu++) {
		struct hcabi_ret r = hcabi_vcpu_get_status(cpu);
		/* the runtime leaves every vCPU it started stopped (it waits for that
		 * after each test): GET_STATUS must say so (VCPU-041) */
		if (!check_ret(r, HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
			       "GET_STATUS(%u) of a vCPU stopped before the test", cpu))
			return 0;
	}
	if (n > ABS_MAX_CPUS) {
		/* all_but_self reaches every running vCPU; the others stay
		 * stopped, so only the first ABS_MAX_CPUS take part */
		test_log("the VM has %u vCPUs; the test runs the first %u", n, ABS_MAX_CPUS);
		n = ABS_MAX_CPUS;
	}
	hcabi_irq_register(ABS_VEC, abs_count_handler);
	return n;
}

HCABI_TEST(ipi_all_but_self, "IPI.send_all_but_self",
	   "IPI-004.3,IPI-004.4,IPI-004.5,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",VCPU-041.1,STATUS-004",
	   HCABI_VERSION_1_1)
{
	unsigned n = abs_cpus();

	if (!n)
		return;
	for (unsigned sender = 0; sender < 2; sender++) {
		if (!abs_round(n, sender, 0, 0, ABS_BIT | ABS_VEC, true))
			return;
		check_ret((struct hcabi_ret){abs.status, abs.value}, HCABI_SUCCESS, 0, "IPI-004.3",
			  "SEND(mask 0, base 0, vector 0x%llx) on vCPU %u with %u vCPUs running",
			  (unsigned long long)(ABS_BIT | ABS_VEC), sender, n);
		for (unsigned cpu = 0; cpu < n; cpu++) {
			struct abs_result *res = &abs.res[cpu];
			bool target = cpu != sender;
			check_true(
			    res->irr == target, target ? "IPI-004.3" : "IPI-004.5",
			    "vCPU %u (caller %u): vector 0x%02x %s pending when the caller's "
			    "flag was seen (IRR bit %d)",
			    cpu, sender, ABS_VEC, target ? "is" : "is not", res->irr);
			check_eq_u64(res->got, target ? 1 : 0, target ? "IPI-004.4" : "IPI-004.5",
				     "vCPU %u (caller %u): interrupts of vector 0x%02x taken", cpu,
				     sender, ABS_VEC);
		}
	}
}

HCABI_TEST(ipi_all_but_self_args, "IPI.send_all_but_self_args",
	   "IPI-004.1,IPI-004.2,IPI-001.1,IPI-001.2,IPI-001.4,GEN-002.1,VCPU-024.2,VCPU-030.2,"
	   HCABI_REQ_VALUE_ZERO ","
	   "VCPU-041.1,STATUS-004",
	   HCABI_VERSION_1_1)
{
	unsigned n = abs_cpus();
	uint64_t others, all;
	struct bad_case {
		uint64_t mask, base, vector;
		const char *req, *none_req, *what; /* the status's part, nothing sent's */
	} cases[16];
	size_t k = 0;
	bool ran = true;

	if (!n)
		return;
	all = (1ull << n) - 1;
	others = all & ~1ull;
	cases[k++] = (struct bad_case){1,	    0,		 ABS_BIT | ABS_VEC,
				       "IPI-004.1", "IPI-004.2", "mask = the caller"};
	cases[k++] = (struct bad_case){others,	    0,		 ABS_BIT | ABS_VEC,
				       "IPI-004.1", "IPI-004.2", "mask = the others"};
	cases[k++] = (struct bad_case){~0ull,	    0,		 ABS_BIT | ABS_VEC,
				       "IPI-004.1", "IPI-004.2", "every mask bit"};
	cases[k++] = (struct bad_case){1ull << 63,  0,		 ABS_BIT | ABS_VEC,
				       "IPI-004.1", "IPI-004.2", "mask bit 63"};
	cases[k++] = (struct bad_case){0, 1, ABS_BIT | ABS_VEC, "IPI-004.1", "IPI-004.2", "base 1"};
	cases[k++] =
	    (struct bad_case){0, 64, ABS_BIT | ABS_VEC, "IPI-004.1", "IPI-004.2", "base 64"};
	cases[k++] =
	    (struct bad_case){0, ~0ull, ABS_BIT | ABS_VEC, "IPI-004.1", "IPI-004.2", "base 2^64-1"};
	cases[k++] =
	    (struct bad_case){1, 1, ABS_BIT | ABS_VEC, "IPI-004.1", "IPI-004.2", "mask 1, base 1"};
	cases[k++] = (struct bad_case){0, 0, ABS_BIT | HCABI_TEST_VECTOR_BELOW_MIN, "IPI-001.1",
				       "IPI-001.2", "the vector just below the valid range"};
	/* where the valid range ends inside bits 7:0 (arm64), one above it is
	 * invalid too; on x86-64 it is bit 8 itself, tried as vector 0 below */
	if (HCABI_TEST_VECTOR_ABOVE_MAX <= HCABI_IPI_SEND_VECTOR_VECTOR_MASK)
		cases[k++] = (struct bad_case){0, 0, ABS_BIT | HCABI_TEST_VECTOR_ABOVE_MAX,
					       "IPI-001.1", "IPI-001.2",
					       "the vector just above the valid range"};
	cases[k++] = (struct bad_case){0, 0, ABS_BIT, "IPI-001.1", "IPI-001.2", "vector 0"};
	cases[k++] = (struct bad_case){0,	    0,		 (1ull << 9) | ABS_BIT | ABS_VEC,
				       "GEN-002.1", "IPI-001.4", "reserved bit 9"};
	cases[k++] = (struct bad_case){0,	    0,		 (1ull << 63) | ABS_BIT | ABS_VEC,
				       "GEN-002.1", "IPI-001.4", "reserved bit 63"};

	for (size_t i = 0; i < k && ran; i++) {
		/* the others watch with interrupts disabled; vCPU 0 sends */
		ran = abs_round(n, 0, cases[i].mask, cases[i].base, cases[i].vector, false);
		if (!ran)
			break;
		check_status((struct hcabi_ret){abs.status, abs.value}, HCABI_ERR_INVALID_PARAM,
			     cases[i].req,
			     "SEND(mask 0x%llx, base 0x%llx, vector 0x%llx: all_but_self with %s)",
			     (unsigned long long)cases[i].mask, (unsigned long long)cases[i].base,
			     (unsigned long long)cases[i].vector, cases[i].what);
		for (unsigned cpu = 0; cpu < n; cpu++)
			check_true(!abs.res[cpu].irr && abs.res[cpu].got == 0, cases[i].none_req,
				   "nothing was sent to vCPU %u (IRR bit %d, %llu taken) by the "
				   "rejected SEND with %s",
				   cpu, abs.res[cpu].irr, (unsigned long long)abs.res[cpu].got,
				   cases[i].what);
	}
}

/* A vCPU stopped during the send, started afterwards: its IRR and what it
 * takes in 200 ms. */
static struct {
	bool irr;
	uint64_t got;
} late;

static void late_task(void *arg)
{
	unsigned me = hcabi_cpu_index();
	uint64_t before = hcabi_irq_count(me, ABS_VEC);
	(void)arg;
	late.irr = hcabi_intc_pending(ABS_VEC);
	late.got = abs_take(before, 1, HCABI_MS(200), 0);
}

HCABI_TEST(ipi_all_but_self_stopped, "IPI.send_all_but_self_stopped",
	   "IPI-004.3,IPI-004.4,IPI-004.5,IPI-003.1,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",VCPU-041.1,STATUS-004",
	   HCABI_VERSION_1_1)
{
	unsigned n = abs_cpus(), running;

	if (!n)
		return;
	/* vCPU 0 sends; vCPU 1 runs if there are 3 vCPUs or more; the rest are
	 * stopped */
	running = n >= 3 ? 2 : 1;
	if (!abs_round(running, 0, 0, 0, ABS_BIT | ABS_VEC, true))
		return;
	check_ret((struct hcabi_ret){abs.status, abs.value}, HCABI_SUCCESS, 0, "IPI-004.3",
		  "SEND(mask 0, base 0, vector 0x%llx) with %u of %u vCPUs running",
		  (unsigned long long)(ABS_BIT | ABS_VEC), running, n);
	check_true(!abs.res[0].irr && abs.res[0].got == 0, "IPI-004.5",
		   "the caller got nothing (IRR bit %d, %llu taken)", abs.res[0].irr,
		   (unsigned long long)abs.res[0].got);
	if (running == 2) {
		check_true(abs.res[1].irr, "IPI-004.3",
			   "running vCPU 1 has the vector pending when the caller's flag was seen");
		check_eq_u64(abs.res[1].got, 1, "IPI-004.4",
			     "running vCPU 1: interrupts of vector 0x%02x taken", ABS_VEC);
	}
	for (unsigned cpu = running; cpu < n; cpu++)
		check_ret(hcabi_vcpu_get_status(cpu), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
			  "IPI-003.1", "vCPU %u, stopped during the send, is still stopped", cpu);
	for (unsigned cpu = running; cpu < n; cpu++) {
		memset(&late, 0, sizeof(late));
		if (!test_run_on_cpu(cpu, late_task, 0))
			return;
		check_true(!late.irr, "IPI-003.1",
			   "vCPU %u, stopped during the send and started after it, has vector "
			   "0x%02x pending: %d",
			   cpu, ABS_VEC, late.irr);
		check_eq_u64(late.got, 0, "IPI-003.1",
			     "vCPU %u took no interrupt of vector 0x%02x after its start", cpu,
			     ABS_VEC);
	}
}
