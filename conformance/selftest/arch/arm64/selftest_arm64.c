/* SPDX-License-Identifier: MIT */
/*
 * selftest_arm64.c - the arm64 runtime's own self-tests: expected and
 * unexpected exceptions (what discovery relies on when HVC is undefined),
 * the identity map's memory types, the device tree's RAM, the clock, the
 * GICv3 (selftest.c has the shared ones; run_qemu_arm64.py the verdicts,
 * booting with gic-version=3).
 */
#include "hcabi_internal.h"
#include "hcabi_ram.h"
#include "selftest.h"

const unsigned selftest_spare_vector = HCABI_ARM64_VECTOR_MIN + 1;

SELF(expect_undef, "SELF.expect_undef")
{
	struct hcabi_exc_info info;
	uint64_t addr;

	expect_exception(HCABI_EXC_UNKNOWN);
	__asm__ __volatile__("adr %0, 1f\n1:\tudf #0" : "=r"(addr)::"memory");
	check_true(exception_end(&info), "-", "UDF raised the expected undefined-instruction exception");
	check_eq_u64(info.vector, HCABI_EXC_UNKNOWN, "-", "EC");
	check_eq_u64(info.frame.pc, addr, "-", "ELR points at the UDF");
	check_eq_u64(info.frame.pstate & 0xF, 5, "-", "taken from EL1h");
	check_true(!exception_end(0), "-", "a second exception_end reports nothing");
}

SELF(expect_fixup, "SELF.expect_brk_fixup")
{
	struct hcabi_exc_info info;
	uint64_t v = 0;

	expect_exception(HCABI_EXC_BRK);
	__asm__ __volatile__(HCABI_ASM_FIXUP("2f") "brk #0x42\n\t"
						   "mov %0, #1\n"
						   "2:\n\t" HCABI_ASM_FIXUP_CLEAR
			     : "+r"(v)
			     :
			     : "x16", "x17", "memory");
	check_true(exception_end(&info), "-", "BRK raised the expected exception");
	check_eq_u64(info.vector, HCABI_EXC_BRK, "-", "EC");
	check_eq_u64(info.esr & 0xFFFF, 0x42, "-", "ESR carries the BRK immediate");
	check_eq_u64(v, 0, "-", "execution resumed at the fixup label");
}

SELF(memory, "SELF.memory")
{
	const struct hcabi_ram_map *m = hcabi_ram_map();
	uint64_t image = (uint64_t)(uintptr_t)&selftest_spare_vector, p1 = hcabi_alloc_page();
	static volatile int word;
	int expected = 0;

	check_true(m->valid && m->n >= 1, "-", "RAM ranges from the device tree: %u", m->n);
	check_true(hcabi_ram_contains(image, 8), "-", "the image lies in RAM (0x%llx)",
		   (unsigned long long)image);
	check_true(hcabi_ram_top() == hcabi_ram_end() && hcabi_ram_end() >= (32ull << 20), "-",
		   "RAM end 0x%llx", (unsigned long long)hcabi_ram_end());
	check_true(p1 && hcabi_ram_contains(p1, 4096) && !(p1 & 4095), "-", "alloc_page: 0x%llx",
		   (unsigned long long)p1);
	/* exclusive-access atomics need normal memory: the MMU is on with it */
	check_true(hcabi_read_sysreg(sctlr_el1) & 1, "-", "SCTLR_EL1.M: the MMU is on");
	check_true(hcabi_atomic_cas(&word, &expected, 7) && word == 7, "-",
		   "compare-and-swap on RAM");
	check_eq_u64(hcabi_atomic_add(&word, 5), 12, "-", "atomic add on RAM");
}

SELF(clock, "SELF.clock")
{
	uint64_t a = hcabi_arch_cycles(), b;

	check_true(hcabi_read_sysreg(cntfrq_el0) != 0, "-", "CNTFRQ_EL0 = %llu Hz",
		   (unsigned long long)hcabi_read_sysreg(cntfrq_el0));
	for (int i = 0; i < 100000; i++)
		hcabi_pause();
	b = hcabi_arch_cycles();
	check_true(b > a, "-", "the generic timer advances: %llu -> %llu ns", (unsigned long long)a,
		   (unsigned long long)b);
}

static volatile uint64_t irq_hits;
static void count_irq(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	irq_hits++;
}

SELF(gic, "SELF.gic_self_ppi")
{
	const unsigned vec = HCABI_ARM64_VECTOR_MIN;

	hcabi_irq_register(vec, count_irq);
	irq_hits = 0;
	hcabi_intc_self_ipi(vec);
	for (int i = 0; i < 100000 && !hcabi_intc_pending(vec); i++)
		hcabi_pause();
	check_true(hcabi_intc_pending(vec), "-", "PPI %u pending in the redistributor, IRQs masked",
		   vec);
	check_eq_u64(irq_hits, 0, "-", "not taken while PSTATE.I is set");
	hcabi_irq_enable();
	for (int i = 0; i < 1000000 && !irq_hits; i++)
		hcabi_pause();
	hcabi_irq_disable();
	check_eq_u64(irq_hits, 1, "-", "taken once after unmasking");
	check_true(!hcabi_intc_pending(vec) && !hcabi_intc_in_service(vec), "-",
		   "neither pending nor active after the EOI");
	check_eq_u64(hcabi_irq_count(0, vec), 1, "-", "per-vCPU interrupt count");
}

/* The runtime's replay filter (hcabi_arm64.h): an IRQ entry into code that
 * has IRQs masked, which no GIC makes, is a replay and acknowledges
 * nothing, so that a PPI the GIC does have pending is taken, once, when the
 * code unmasks. The entry is played with a frame of the test's own. */
static void irq_entry_with_pstate_i(unsigned vector)
{
	struct hcabi_frame played = { .kind = HCABI__TRAP_IRQ, .pstate = HCABI_DAIF_I };

	(void)vector;
	hcabi__trap(&played);
}

SELF(replay_filter, "SELF.replay_filter")
{
	selftest_replay_filter(HCABI_ARM64_VECTOR_MIN, irq_entry_with_pstate_i, true);
}

/* Ends as an error on purpose (run_qemu_arm64.py): the report names the
 * exception class and carries ESR and ELR. */
SELF(unexpected_exception, "SELF.unexpected_exception")
{
	check_true(true, "-", "before the fault");
	__asm__ __volatile__("udf #1");
	check_true(false, "-", "execution continued after an unexpected UDF");
}

/* vCPU 1 started by PSCI CPU_ON on VCPU.START's path (hcabi__ap_entry,
 * hcabi__ap_main): its own per-vCPU block, MMU (vCPU 0's tables) and GIC
 * redistributor, and atomics shared with vCPU 0 while both run. */
#define SEC_ADDS 100000u
static struct {
	volatile unsigned index;
	volatile uint64_t sctlr, ppis;
	volatile uint64_t counter;
} sec;

static void sec_task(void *arg)
{
	(void)arg;
	sec.index = hcabi_cpu_index();
	sec.sctlr = hcabi_read_sysreg(sctlr_el1);
	hcabi_intc_self_ipi(HCABI_ARM64_VECTOR_MIN);
	hcabi_irq_enable();
	for (int i = 0; i < 1000000 && !hcabi_irq_count(sec.index, HCABI_ARM64_VECTOR_MIN); i++)
		hcabi_pause();
	hcabi_irq_disable();
	sec.ppis = hcabi_irq_count(sec.index, HCABI_ARM64_VECTOR_MIN);
	for (unsigned i = 0; i < SEC_ADDS; i++)
		hcabi_atomic_add(&sec.counter, 1);
}

SELF(secondary, "SELF.secondary_cpu")
{
	int64_t st;

	if (hcabi_dt_cpu_count() < 2) {
		test_skip("the device tree lists one vCPU (boot with -smp 2)");
		return;
	}
	hcabi_irq_register(HCABI_ARM64_VECTOR_MIN, count_irq);
	sec.counter = 0;
	st = hcabi_arm64_cpu_on(1, sec_task, 0);
	if (!check_eq_u64(st, 0, "-", "PSCI CPU_ON of vCPU 1 (MPIDR 0x%llx)",
			  (unsigned long long)hcabi_dt_cpu_mpidr(1)))
		return;
	for (unsigned i = 0; i < SEC_ADDS; i++)
		hcabi_atomic_add(&sec.counter, 1);
	if (!check_true(hcabi_arm64_cpu_wait(1, HCABI_SEC(10)), "-", "vCPU 1 ran its task"))
		return;
	check_eq_u64(sec.index, 1, "-", "its per-vCPU block (TPIDR_EL1) says vCPU 1");
	check_true(sec.sctlr & 1, "-", "its MMU is on: SCTLR_EL1 0x%llx", (unsigned long long)sec.sctlr);
	check_eq_u64(sec.ppis, 1, "-", "a PPI through its own redistributor, taken once");
	check_eq_u64(sec.counter, 2 * SEC_ADDS, "-", "atomic adds of both vCPUs at once, none lost");
}
