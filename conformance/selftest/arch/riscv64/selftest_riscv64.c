/* SPDX-License-Identifier: MIT */
/*
 * selftest_riscv64.c - the riscv64 runtime's own self-tests: expected and
 * unexpected exceptions (what discovery relies on should its ECALL trap),
 * the device tree's RAM and atomics on it, the clock, the S-level IMSIC, a
 * second hart on VCPU.START's path (selftest.c has the shared ones;
 * run_qemu_riscv64.py the verdicts, booting on virt,aia=aplic-imsic with
 * two harts).
 */
#include "hcabi_internal.h"
#include "hcabi_ram.h"
#include "selftest.h"

const unsigned selftest_spare_vector = HCABI_RISCV64_VECTOR_MIN + 1;

/* A 32-bit and a 16-bit illegal instruction, each skipped by its length. */
SELF(expect_illegal, "SELF.expect_illegal")
{
	struct hcabi_exc_info info;
	uint64_t addr, after;

	expect_exception(HCABI_EXC_ILLEGAL);
	__asm__ __volatile__("lla %0, 1f\n\t"
			     "lla %1, 2f\n"
			     "1:\t.hword 0\n" /* an all-zero 16-bit parcel: illegal */
			     "2:"
			     : "=&r"(addr), "=&r"(after)::"memory");
	check_true(exception_end(&info), "-",
		   "an all-zero parcel raised the expected illegal-instruction exception");
	check_eq_u64(info.vector, HCABI_EXC_ILLEGAL, "-", "scause code");
	check_eq_u64(info.frame.pc, addr, "-", "sepc points at the instruction");
	check_true(info.frame.status & HCABI_SSTATUS_SPP, "-", "taken from S-mode (sstatus.SPP)");
	check_eq_u64(after - addr, 2, "-", "a 16-bit instruction, resumed after it");
	expect_exception(HCABI_EXC_ILLEGAL);
	__asm__ __volatile__("lla %0, 1f\n1:\t.word 0xC0101073\n\t" /* csrrw x0, time, x0 */
			     : "=r"(addr)::"memory");
	check_true(exception_end(&info), "-", "a write of the read-only time CSR raised it too");
	check_eq_u64(info.frame.pc, addr, "-",
		     "sepc points at the 32-bit instruction, resumed after it");
	check_true(!exception_end(0), "-", "a second exception_end reports nothing");
}

SELF(expect_fixup, "SELF.expect_ebreak_fixup")
{
	struct hcabi_exc_info info;
	uint64_t v = 0;

	expect_exception(HCABI_EXC_BREAKPOINT);
	__asm__ __volatile__(HCABI_ASM_FIXUP("2f") "ebreak\n\t"
						   "li %0, 1\n"
						   "2:\n\t" HCABI_ASM_FIXUP_CLEAR
			     : "+r"(v)
			     :
			     : "t5", "t6", "memory");
	check_true(exception_end(&info), "-", "EBREAK raised the expected breakpoint exception");
	check_eq_u64(info.vector, HCABI_EXC_BREAKPOINT, "-", "scause code");
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
	check_eq_u64(hcabi_csr_read(satp), 0, "-", "satp: no translation");
	check_true(hcabi_atomic_cas(&word, &expected, 7) && word == 7, "-",
		   "compare-and-swap (LR/SC) on RAM");
	check_eq_u64(hcabi_atomic_add(&word, 5), 12, "-", "atomic add (AMO) on RAM");
}

SELF(clock, "SELF.clock")
{
	uint64_t a = hcabi_arch_cycles(), b;

	check_true(hcabi__timebase_hz != 0, "-", "/cpus timebase-frequency = %llu Hz",
		   (unsigned long long)hcabi__timebase_hz);
	for (int i = 0; i < 100000; i++)
		hcabi_pause();
	b = hcabi_arch_cycles();
	check_true(b > a, "-", "the time CSR advances: %llu -> %llu ns", (unsigned long long)a,
		   (unsigned long long)b);
}

static volatile uint64_t irq_hits;
static void count_irq(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	irq_hits++;
	check_true(hcabi_intc_in_service(v), "-", "identity %u in service in its handler", v);
}

/* A message to the hart's own interrupt file (its seteipnum_le), as a
 * device's MSI or a hypervisor's KVM_SIGNAL_MSI would make it pending. */
SELF(imsic, "SELF.imsic_self_msi")
{
	const unsigned vec = HCABI_RISCV64_VECTOR_MIN;

	hcabi_irq_register(vec, count_irq);
	irq_hits = 0;
	hcabi_intc_self_ipi(vec);
	for (int i = 0; i < 100000 && !hcabi_intc_pending(vec); i++)
		hcabi_pause();
	check_true(hcabi_intc_pending(vec), "-", "identity %u pending in eip0, interrupts off",
		   vec);
	check_eq_u64(irq_hits, 0, "-", "not taken while sstatus.SIE is clear");
	hcabi_irq_enable();
	for (int i = 0; i < 1000000 && !irq_hits; i++)
		hcabi_pause();
	hcabi_irq_disable();
	check_eq_u64(irq_hits, 1, "-", "taken once after enabling");
	check_true(!hcabi_intc_pending(vec) && !hcabi_intc_in_service(vec), "-",
		   "neither pending nor in service after the claim");
	check_eq_u64(hcabi_irq_count(0, vec), 1, "-", "per-vCPU interrupt count");
}

/* The runtime's replay filter (hcabi_riscv64.h): an interrupt entry into
 * code that has interrupts off (sstatus.SPIE clear in the frame), which no
 * hart makes, is a replay and claims nothing, so that an identity the IMSIC
 * does have pending is taken, once, when the code enables interrupts. The
 * entry is played with a frame of the test's own. */
static void irq_entry_with_spie_clear(unsigned vector)
{
	struct hcabi_frame played = { .cause = HCABI_SCAUSE_IRQ | HCABI_IRQ_S_EXTERNAL };

	(void)vector;
	hcabi__trap(&played);
}

SELF(replay_filter, "SELF.replay_filter")
{
	selftest_replay_filter(HCABI_RISCV64_VECTOR_MIN, irq_entry_with_spie_clear, true);
}

/* Ends as an error on purpose (run_qemu_riscv64.py): the report names the
 * exception and carries scause, sepc and stval. */
SELF(unexpected_exception, "SELF.unexpected_exception")
{
	check_true(true, "-", "before the fault");
	__asm__ __volatile__(".word 0xFFFFFFFF"); /* reserved (>= 192-bit) encoding: illegal */
	check_true(false, "-", "execution continued after an unexpected illegal instruction");
}

/* Hart 1 started by SBI HSM hart_start on VCPU.START's path
 * (hcabi__ap_entry, hcabi__ap_main): its own per-vCPU block, trap vector and
 * IMSIC interrupt file, and atomics shared with vCPU 0 while both run. */
#define SEC_ADDS 100000u
static struct {
	volatile unsigned index;
	volatile uint64_t hartid, msis;
	volatile uint64_t counter;
} sec;

static void sec_task(void *arg)
{
	(void)arg;
	sec.index = hcabi_cpu_index();
	sec.hartid = hcabi_this_cpu()->hartid;
	hcabi_intc_self_ipi(HCABI_RISCV64_VECTOR_MIN);
	hcabi_irq_enable();
	for (int i = 0; i < 1000000 && !hcabi_irq_count(sec.index, HCABI_RISCV64_VECTOR_MIN); i++)
		hcabi_pause();
	hcabi_irq_disable();
	sec.msis = hcabi_irq_count(sec.index, HCABI_RISCV64_VECTOR_MIN);
	for (unsigned i = 0; i < SEC_ADDS; i++)
		hcabi_atomic_add(&sec.counter, 1);
}

SELF(secondary, "SELF.secondary_cpu")
{
	int64_t st;

	if (hcabi_dt_cpu_count() < 2) {
		test_skip("the device tree lists one hart (boot with -smp 2)");
		return;
	}
	hcabi_irq_register(HCABI_RISCV64_VECTOR_MIN, count_irq);
	sec.counter = 0;
	st = hcabi_riscv64_hart_start(1, sec_task, 0);
	if (!check_eq_u64(
		st, 0, "-", "SBI HSM hart_start of vCPU 1 (hart %lld; vCPU 0 is hart %llu)",
		(long long)hcabi_riscv64_hart_of(1), (unsigned long long)hcabi_this_cpu()->hartid))
		return;
	for (unsigned i = 0; i < SEC_ADDS; i++)
		hcabi_atomic_add(&sec.counter, 1);
	if (!check_true(hcabi_riscv64_hart_wait(1, HCABI_SEC(10)), "-", "vCPU 1 ran its task"))
		return;
	check_eq_u64(sec.index, 1, "-", "its per-vCPU block (sscratch) says vCPU 1");
	check_eq_u64(sec.hartid, hcabi_riscv64_hart_of(1), "-", "its hart ID came in a0");
	check_eq_u64(sec.msis, 1, "-", "an MSI to its own interrupt file, taken once");
	check_eq_u64(sec.counter, 2 * SEC_ADDS, "-",
		     "atomic adds of both harts at once, none lost");
}
