/* SPDX-License-Identifier: MIT */
/*
 * Interrupt vectors on riscv64: RV64-017 .. RV64-020.
 *
 * What:
 *  - the device tree describes an IMSIC (`riscv,imsics`) with a
 *    supervisor-level interrupt file (interrupts-extended naming interrupt
 *    9) for every vCPU and at least 63 identities (`riscv,num-ids`)
 *    (RV64-020);
 *  - every value 0..255 of bits 7:0 given to IPI.SEND for the caller: 1..63
 *    return SUCCESS, 0 and 64..255 INVALID_PARAM (RV64-018) with a1 = 0
 *    (RV64-008); TIME.SET_TIMER and TIME.SET_PERIODIC (a deadline a minute
 *    away, cancelled) at the edges: 1 and 63 valid, 0 and 64 (one past
 *    each) and 255 invalid (RV64-018);
 *  - each of 1..63, sent to the caller with interrupts disabled, is pending
 *    in the caller's S-level interrupt file (eip0) when SEND returns
 *    (RV64-019), and is taken as exactly that identity (stopei) once
 *    interrupts are enabled (RV64-017), exactly once; a timer a millisecond
 *    away with vector 63 makes identity 63 pending by the time it is due
 *    and is taken as that identity (RV64-017, RV64-019).
 * Why: a riscv64 guest routes these interrupts through its IMSIC driver by
 * identity; a hypervisor whose range differs from the binding's rejects a
 * guest's vector or accepts one the guest cannot take, and one that
 * delivers them any other way than through the vCPU's interrupt file
 * delivers them where the guest does not look.
 */
#include "hcabi_test.h"
#include "hcabi_fdt.h"
#include "hcabi_dt.h"

static void count_handler(struct hcabi_frame *f, unsigned vector)
{
	(void)f;
	(void)vector;
}

/* The S-level IMSIC of the device tree: its interrupt files (entries of
 * interrupts-extended naming interrupt 9) and riscv,num-ids; false
 * without one. */
static bool s_imsic(unsigned *files, uint32_t *ids)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	int depth = 0;

	if (!f)
		return false;
	for (int n = hcabi_fdt_root(f); n != HCABI_FDT_NONE;
	     n = hcabi_fdt_next_node(f, n, &depth)) {
		uint32_t len = 0, ilen = 0, k = 0;
		const uint8_t *ie = hcabi_fdt_prop(f, n, "interrupts-extended", &len);
		const void *nid = hcabi_fdt_prop(f, n, "riscv,num-ids", &ilen);
		if (!hcabi_fdt_compatible(f, n, "riscv,imsics") || !ie || len < 8)
			continue;
		for (uint32_t off = 0; off + 8 <= len; off += 8)
			if (hcabi_fdt32(ie + off + 4) == 9)
				k++;
		if (!k)
			continue; /* the machine-level IMSIC (interrupt 11) */
		*files = k;
		*ids = nid && ilen == 4 ? hcabi_fdt32(nid) : 0;
		return true;
	}
	return false;
}

/* With interrupts enabled, wait (up to 1 s of the time CSR) until this vCPU
 * has taken an interrupt of `vector` more than `before`, then 2 ms more so
 * that a duplicate would arrive too; interrupts are disabled again. */
static uint64_t take(unsigned vector, uint64_t before)
{
	unsigned me = hcabi_cpu_index();
	uint64_t start = hcabi_arch_cycles();

	hcabi_irq_enable();
	while (hcabi_irq_count(me, vector) == before && hcabi_arch_cycles() - start < HCABI_SEC(1))
		hcabi_pause();
	start = hcabi_arch_cycles();
	while (hcabi_arch_cycles() - start < HCABI_MS(2))
		hcabi_pause();
	hcabi_irq_disable();
	return hcabi_irq_count(me, vector) - before;
}

/* The status (RV64-018), and a1 = 0 with INVALID_PARAM (RV64-008). */
static void check_answer(struct hcabi_ret r, bool valid, const char *what, unsigned v)
{
	int64_t want = valid ? HCABI_SUCCESS : HCABI_ERR_INVALID_PARAM;

	check_true(r.status == want, "RV64-018", "%s vector %u (%s 1..63): a0 %lld, want %lld",
		   what, v, valid ? "inside" : "outside", (long long)r.status, (long long)want);
	if (r.status != HCABI_SUCCESS)
		check_eq_u64(r.value, 0, "RV64-008", "%s vector %u: a1 with the error status", what,
			     v);
}

static void ipi_vectors(void)
{
	unsigned me = hcabi_cpu_index(), refused = 0;

	for (unsigned v = 0; v < 256; v++) {
		bool valid = v >= HCABI_RISCV64_VECTOR_MIN && v <= HCABI_RISCV64_VECTOR_MAX;
		uint64_t before;
		struct hcabi_ret r;

		if (!valid) {
			r = hcabi_ipi_send(1ull << me, 0, v);
			if (r.status == HCABI_ERR_INVALID_PARAM)
				refused++;
			if (r.status != HCABI_ERR_INVALID_PARAM || r.value != 0)
				check_answer(r, false, "IPI.SEND(the caller)", v);
			continue;
		}
		hcabi_irq_register(v, count_handler);
		before = hcabi_irq_count(me, v);
		r = hcabi_ipi_send(1ull << me, 0, v);
		check_answer(r, true, "IPI.SEND(the caller)", v);
		if (r.status != HCABI_SUCCESS)
			continue;
		check_true(
		    hcabi_intc_pending(v), "RV64-019",
		    "identity %u is pending in the caller's interrupt file when SEND returns", v);
		check_eq_u64(take(v, before), 1, "RV64-017",
			     "interrupts taken as identity %u once enabled", v);
	}
	check_eq_u64(refused, 256 - (HCABI_RISCV64_VECTOR_MAX - HCABI_RISCV64_VECTOR_MIN + 1),
		     "RV64-018",
		     "IPI.SENDs with bits 7:0 outside 1..63 that returned INVALID_PARAM");
}

static void timer_vectors(void)
{
	static const unsigned edges[] = {0, 1, 63, 64, 255};
	unsigned me = hcabi_cpu_index();
	bool periodic = hcabi_spec() >= HCABI_FID_TIME_SET_PERIODIC_SINCE;

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(edges); i++) {
		unsigned v = edges[i];
		bool valid = v >= HCABI_RISCV64_VECTOR_MIN && v <= HCABI_RISCV64_VECTOR_MAX;
		uint64_t now = hcabi_time_get_monotonic().value;
		check_answer(hcabi_time_set_timer(now + HCABI_MS(60000), v), valid,
			     "TIME.SET_TIMER(in 60 s)", v);
		hcabi_time_cancel_timer();
		if (periodic) {
			check_answer(hcabi_time_set_periodic(now + HCABI_MS(60000),
							     HCABI_TIMER_MIN_PERIOD, v),
				     valid, "TIME.SET_PERIODIC(in 60 s)", v);
			hcabi_time_cancel_timer();
		}
	}
	{
		unsigned v = HCABI_RISCV64_VECTOR_MAX;
		uint64_t before, start;
		struct hcabi_ret r;
		hcabi_irq_register(v, count_handler);
		before = hcabi_irq_count(me, v);
		r = hcabi_time_set_timer(hcabi_time_get_monotonic().value + HCABI_MS(1), v);
		check_answer(r, true, "TIME.SET_TIMER(in 1 ms)", v);
		if (r.status != HCABI_SUCCESS)
			return;
		start = hcabi_arch_cycles();
		while (!hcabi_intc_pending(v) && hcabi_arch_cycles() - start < HCABI_SEC(5))
			hcabi_pause();
		check_true(hcabi_intc_pending(v), "RV64-019",
			   "the timer made identity %u pending in the caller's interrupt file", v);
		check_eq_u64(take(v, before), 1, "RV64-017",
			     "the timer's interrupt taken as identity %u once enabled", v);
	}
}

HCABI_TEST(rv_vectors, "RV64.interrupt_vectors", "RV64-017,RV64-018,RV64-019,RV64-020,RV64-008",
	   HCABI_VERSION_1_0)
{
	unsigned files = 0, cpus = hcabi_dt_cpu_count();
	uint32_t ids = 0;
	uint64_t flags;

	if (check_true(s_imsic(&files, &ids), "RV64-020",
		       "the device tree has a riscv,imsics node with S-level interrupt files"))
		check_true(files >= cpus && ids >= HCABI_RISCV64_VECTOR_MAX, "RV64-020",
			   "its S-level interrupt files: %u for %u cpu nodes; riscv,num-ids %u "
			   "(at least 63)",
			   files, cpus, (unsigned)ids);
	if (!hcabi_has_ext(HCABI_EID_IPI) && !hcabi_has_ext(HCABI_EID_TIME)) {
		test_log("neither IPI nor TIME provided: no vector can be given");
		return;
	}
	flags = hcabi_irq_save();
	if (hcabi_has_ext(HCABI_EID_IPI))
		ipi_vectors();
	else
		test_log("IPI not provided: the sweep of 0..255 is not made");
	if (hcabi_has_ext(HCABI_EID_TIME))
		timer_vectors();
	else
		test_log("TIME not provided: the timer's vectors are not checked");
	hcabi_irq_restore(flags);
}
