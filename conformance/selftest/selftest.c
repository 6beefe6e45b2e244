/* SPDX-License-Identifier: MIT */
/*
 * selftest.c - hcabi-guest-selftest.elf: checks of the guest runtime itself,
 * made to run under any x86-64 VM, HCABI or not (CTest boots it in QEMU
 * TCG): formatting, CRC-32, expected and unexpected exceptions, CPL 3, 4 KiB
 * mappings, LAPIC interrupts, SSE/AVX. It speaks the result protocol like a
 * conformance image, so the framework's verdict logic is exercised too;
 * selftest/run_tcg.py knows which verdict each test must end with (some
 * tests provoke an error, a failure or a skip on purpose).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);

uint64_t selftest_user_ud(uint64_t arg);
extern char selftest_user_ud_insn[];
uint64_t selftest_sse(uint64_t x);
uint64_t selftest_avx(uint64_t x);

#define SELF(ident, name) HCABI_TEST(ident, name, "-", 0)

SELF(printf, "SELF.printf")
{
	char b[128];
	hcabi_snprintf(b, sizeof(b), "%d %u %x %X %lld %llx %s %c %%", -42, 42u, 0xabcu, 0xabcu,
		       -9000000000ll, 0x123456789abcdefull, "str", 'q');
	check_true(!strcmp(b, "-42 42 abc ABC -9000000000 123456789abcdef str q %"), "-",
		   "basic conversions: '%s'", b);
	hcabi_snprintf(b, sizeof(b), "[%5d][%-5d][%05d][%08x][%.3s][%*d][%p]", 42, 42, -42, 0xbeefu,
		       "abcdef", 4, 7, (void *)0x1000);
	check_true(!strcmp(b, "[   42][42   ][-0042][0000beef][abc][   7][0x1000]"), "-",
		   "width, flags, precision: '%s'", b);
	int n = hcabi_snprintf(b, 8, "%s", "0123456789");
	check_true(n == 10 && !strcmp(b, "0123456"), "-", "truncation: n=%d '%s'", n, b);
	hcabi_snprintf(b, sizeof(b), "%llu %lld %hx", 18446744073709551615ull,
		       (long long)(-9223372036854775807ll - 1), (unsigned short)0xbeef);
	check_true(!strcmp(b, "18446744073709551615 -9223372036854775808 beef"), "-",
		   "extremes: '%s'", b);
}

SELF(crc32, "SELF.crc32")
{
	check_eq_u64(hcabi_crc32(0, "123456789", 9), 0xCBF43926u, "-", "crc32(\"123456789\")");
	check_eq_u64(hcabi_crc32(0, "", 0), 0, "-", "crc32(\"\")");
	check_eq_u64(hcabi_crc32(hcabi_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u, "-",
		     "crc32 in two parts");
}

static bool digest_is(const uint8_t got[32], const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++)
		if (hex[2 * i] != digits[got[i] >> 4] || hex[2 * i + 1] != digits[got[i] & 15])
			return false;
	return true;
}

/* The protocol lines' MAC (docs/internals.md): SHA-256 against FIPS 180-2's
 * examples, HMAC-SHA256 against RFC 4231's test cases 1 and 2. */
SELF(sha256, "SELF.sha256")
{
	static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[32], key[20];
	struct hcabi_sha256 s;
	struct hcabi_hmac h;

	check_true(hcabi_sha256_self_check(), "-", "SHA-256(\"abc\") (the startup self check)");
	hcabi_sha256(two, sizeof(two) - 1, out);
	check_true(digest_is(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
		   "-", "SHA-256 of the two-block FIPS 180-2 message");
	hcabi_sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		hcabi_sha256_update(&s, "a", 1);
	hcabi_sha256_final(&s, out);
	check_true(digest_is(out, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
		   "-", "SHA-256 of 1000 'a' fed one byte at a time");
	memset(key, 0x0b, sizeof(key));
	hcabi_hmac_sha256_key(&h, key, sizeof(key));
	hcabi_hmac_sha256(&h, "Hi There", 8, out);
	check_true(digest_is(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
		   "-", "HMAC-SHA256, RFC 4231 test case 1");
	hcabi_hmac_sha256_key(&h, "Jefe", 4);
	hcabi_hmac_sha256(&h, "what do ya want for nothing?", 28, out);
	check_true(digest_is(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
		   "-", "HMAC-SHA256, RFC 4231 test case 2");
}

SELF(setjmp, "SELF.setjmp")
{
	struct hcabi_jmpbuf jb;
	volatile int passes = 0;
	int r = hcabi_setjmp(&jb);
	passes++;
	if (r == 0)
		hcabi_longjmp(&jb, 0);
	check_true(r == 1 && passes == 2, "-", "longjmp(0) returns 1 from setjmp: r=%d passes=%d",
		   r, passes);
}

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

/* The next four end with error, fail and skip on purpose (run_tcg.py). */
SELF(unexpected_exception, "SELF.unexpected_exception")
{
	check_true(true, "-", "before the fault");
	__asm__ __volatile__("ud2");
	check_true(false, "-", "execution continued after an unexpected #UD");
}

SELF(unexpected_irq, "SELF.unexpected_irq")
{
	hcabi_intc_self_ipi(0x51);
	hcabi_irq_enable();
	for (int i = 0; i < 100000; i++)
		hcabi_pause();
	hcabi_irq_disable();
	check_true(true, "-", "a check that passes");
}

SELF(skip, "SELF.skip")
{
	test_skip("skipped on purpose");
}

/* A check must name a requirement its test cites: one that names another is
 * shown with req=- and ends the test as an error of the suite (run_tcg.py). */
HCABI_TEST(self_cited, "SELF.cited_check", "X86-004,X86-005", 0)
{
	check_true(true, "X86-005", "a check naming a requirement the test cites");
}

SELF(uncited, "SELF.uncited_check")
{
	check_true(true, "X86-005", "a check naming a requirement the test does not cite");
}

/* Without HCABI nothing is advertised: the skip names what it needed. */
SELF(needs, "SELF.needs")
{
	if (!test_require_ext(HCABI_EID_TIME) || !test_require_ext(HCABI_EID_VCPU))
		return;
	check_true(false, "-", "TIME and VCPU advertised: run this self-test without HCABI");
}

SELF(after, "SELF.after_error")
{
	check_true(true, "-", "tests run on after an unexpected exception");
	check_eq_u64(hcabi_this_cpu()->trap_depth, 0, "-", "trap depth back to 0");
}

void hcabi_main(void)
{
	hcabi_hello("selftest");
	hcabi_run_discovery();
	hcabi_test_run_all();
	hcabi_test_suite_end();
}
