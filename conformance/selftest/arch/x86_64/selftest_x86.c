/* SPDX-License-Identifier: MIT */
/*
 * selftest_x86.c - the x86-64 runtime's own self-tests: expected and
 * unexpected exceptions, 4 KiB mappings, CPL 3, the LAPIC, SSE/AVX
 * (selftest.c has the shared ones; run_tcg.py the verdicts).
 */
#include "selftest.h"

uint64_t selftest_user_ud(uint64_t arg);
extern char selftest_user_ud_insn[];
uint64_t selftest_sse(uint64_t x);
uint64_t selftest_avx(uint64_t x);

const unsigned selftest_spare_vector = 0x51;

SELF(expect_ud, "SELF.expect_ud")
{
	struct hcabi_exc_info info;
	uint64_t addr;
	expect_exception(HCABI_EXC_UD);
	__asm__ __volatile__("leaq 1f(%%rip), %0\n1:\tud2" : "=r"(addr));
	check_true(exception_end(&info), "-", "ud2 raised the expected #UD");
	check_eq_u64(info.vector, HCABI_EXC_UD, "-", "vector");
	check_eq_u64(info.frame.rip, addr, "-", "RIP points at the UD2");
	check_eq_u64(info.frame.cs, HCABI_SEL_KCODE, "-", "CS is the ring 0 code selector");
	check_true(!exception_end(0), "-", "a second exception_end reports nothing");
}

SELF(expect_gp_fixup, "SELF.expect_gp_fixup")
{
	struct hcabi_exc_info info;
	uint64_t v = 0, bad = 0x8000000000000000ull;
	expect_exception(HCABI_EXC_GP);
	__asm__ __volatile__(HCABI_ASM_FIXUP("2f") "movq (%1), %0\n\t"
						   "movq $1, %0\n"
						   "2:" HCABI_ASM_FIXUP_CLEAR
			     : "+r"(v)
			     : "r"(bad)
			     : "memory");
	check_true(exception_end(&info), "-", "non-canonical load raised #GP");
	check_eq_u64(info.vector, HCABI_EXC_GP, "-", "vector");
	check_eq_u64(v, 0, "-", "execution resumed at the fixup label");
}

SELF(paging, "SELF.paging")
{
	const uint64_t va = 0x10000000000ull; /* 1 TiB */
	uint64_t p1 = hcabi_alloc_page(), p2 = hcabi_alloc_page();
	volatile uint64_t *m = (volatile uint64_t *)(uintptr_t)va;
	struct hcabi_exc_info info;
	uint64_t v = 0;

	check_true(p1 && p2 && p1 != p2 && p2 < hcabi_ram_end(), "-",
		   "alloc_page: 0x%llx 0x%llx below RAM end 0x%llx", (unsigned long long)p1,
		   (unsigned long long)p2, (unsigned long long)hcabi_ram_end());
	check_true(hcabi_ram_end() >= (32ull << 20), "-", "RAM end from the PVH memory map: 0x%llx",
		   (unsigned long long)hcabi_ram_end());
	*(volatile uint64_t *)(uintptr_t)p1 = 0x1111;
	*(volatile uint64_t *)(uintptr_t)p2 = 0x2222;
	check_true(hcabi_map_page(va, p1, HCABI_PTE_W), "-", "map 1 TiB -> p1");
	check_eq_u64(*m, 0x1111, "-", "read through the new mapping");
	*hcabi_pte(va) = p2 | HCABI_PTE_P | HCABI_PTE_W;
	hcabi_invlpg(va);
	check_eq_u64(*m, 0x2222, "-", "read after remapping to p2 and INVLPG");
	*hcabi_pte(va) = 0;
	hcabi_invlpg(va);
	expect_exception(HCABI_EXC_PF);
	__asm__ __volatile__(HCABI_ASM_FIXUP("3f") "movq (%1), %0\n3:" HCABI_ASM_FIXUP_CLEAR
			     : "+r"(v)
			     : "r"(va)
			     : "memory");
	check_true(exception_end(&info), "-", "access to the unmapped page raised #PF");
	check_eq_u64(info.cr2, va, "-", "CR2");
	check_true(!hcabi_map_page(0x1000, p1, HCABI_PTE_W), "-",
		   "map_page refuses the identity-mapped range");
}

static uint64_t user_fn(uint64_t arg)
{
	uint16_t cs;
	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	return (arg << 8) | cs;
}

SELF(user, "SELF.user")
{
	bool faulted = true;
	uint64_t r = hcabi_run_user(user_fn, 0x42, &faulted);
	check_true(!faulted, "-", "the CPL 3 function returned");
	check_eq_u64(r, (0x42ull << 8) | HCABI_SEL_UCODE, "-", "its result (arg << 8 | CS)");
	r = hcabi_run_user(user_fn, 7, &faulted);
	check_eq_u64(r, (7ull << 8) | HCABI_SEL_UCODE, "-", "a second call");
}

SELF(user_ud, "SELF.user_ud")
{
	struct hcabi_exc_info info;
	bool faulted = false;
	expect_exception(HCABI_EXC_UD);
	hcabi_run_user(selftest_user_ud, 0, &faulted);
	check_true(exception_end(&info) && faulted, "-", "UD2 at CPL 3 came back as expected #UD");
	check_eq_u64(info.frame.cs & 3, 3, "-", "CPL in the exception frame");
	check_eq_u64(info.frame.rip, (uint64_t)(uintptr_t)selftest_user_ud_insn, "-", "RIP");
	check_eq_u64(info.frame.rbx, 0x1111111111111111ull, "-", "RBX at the fault");
	check_eq_u64(info.frame.rcx, 0x2222222222222222ull, "-", "RCX at the fault");
	check_eq_u64(info.frame.r12, 0x3333333333333333ull, "-", "R12 at the fault");
}

static uint64_t user_io(uint64_t arg)
{
	hcabi_outb(0x80, (uint8_t)arg);
	return 0;
}

SELF(user_gp, "SELF.user_io_gp")
{
	struct hcabi_exc_info info;
	bool faulted = false;
	expect_exception(HCABI_EXC_GP);
	hcabi_run_user(user_io, 0, &faulted);
	check_true(exception_end(&info) && faulted, "-", "port I/O at CPL 3 raised #GP");
}

static volatile uint64_t irq_hits;
static void count_irq(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	irq_hits++;
}

SELF(lapic, "SELF.lapic_self_ipi")
{
	const unsigned vec = 0x50;
	uint32_t ver = hcabi_apic_read(HCABI_APIC_VERSION);
	check_true((ver & 0xFF) >= 0x10, "-", "LAPIC version 0x%x (integrated APIC)", ver);
	check_true(hcabi_apic_read(HCABI_APIC_SVR) & 0x100, "-", "LAPIC software-enabled");
	hcabi_irq_register(vec, count_irq);
	irq_hits = 0;
	hcabi_intc_self_ipi(vec);
	for (int i = 0; i < 1000000 && !hcabi_intc_pending(vec); i++)
		hcabi_pause();
	check_true(hcabi_intc_pending(vec), "-", "self IPI pending in IRR with IF=0");
	check_eq_u64(irq_hits, 0, "-", "not delivered while IF=0");
	hcabi_irq_enable();
	for (int i = 0; i < 1000000 && !irq_hits; i++)
		hcabi_pause();
	hcabi_irq_disable();
	check_eq_u64(irq_hits, 1, "-", "delivered once after STI");
	check_true(!hcabi_intc_pending(vec) && !hcabi_intc_in_service(vec), "-",
		   "IRR and ISR clear after EOI");
	check_eq_u64(hcabi_irq_count(0, vec), 1, "-", "per-vCPU interrupt count");
}

/* The runtime's replay filter (hcabi_x86.h): an entry through an interrupt
 * gate that the LAPIC did not make -- here a software INT, IF = 1, the
 * vector not in service -- is a replay: not counted, not handed to the
 * handler, no EOI; the real delivery after it still is all three. */
static void software_int_0x51(unsigned vector)
{
	(void)vector;
	hcabi_irq_enable();
	__asm__ volatile("int $0x51" ::: "memory");
	hcabi_irq_disable();
}

SELF(replay_filter, "SELF.replay_filter")
{
	selftest_replay_filter(0x51, software_int_0x51, false);
}

SELF(sse, "SELF.sse_avx")
{
	uint64_t cr4 = hcabi_read_cr4();
	check_true((cr4 & (3u << 9)) == (3u << 9), "-", "CR4.OSFXSR and OSXMMEXCPT set");
	check_eq_u64(selftest_sse(21), 42, "-", "SSE2 instructions work");
	if (hcabi_has_avx()) {
		if (check_true((hcabi_xcr0() & 7) == 7, "-",
			       "AVX enabled at boot, XCR0 still enables it: 0x%llx",
			       (unsigned long long)hcabi_xcr0()))
			check_eq_u64(selftest_avx(0x55aa), 0x55aa, "-", "AVX instructions work");
	} else {
		check_true(true, "-", "AVX not usable (CPUID AVX %u, XCR0 0x%llx): not used",
			   (hcabi_cpuid(1, 0).ecx >> 28) & 1, (unsigned long long)hcabi_xcr0());
	}
}

/* Ends as an error on purpose (run_tcg.py). */
SELF(unexpected_exception, "SELF.unexpected_exception")
{
	check_true(true, "-", "before the fault");
	__asm__ __volatile__("ud2");
	check_true(false, "-", "execution continued after an unexpected #UD");
}
