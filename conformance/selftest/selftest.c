/* SPDX-License-Identifier: MIT */
/*
 * selftest.c - hcabi-guest-selftest: checks of the guest runtime itself,
 * made to run under any VM, HCABI or not (CTest boots it in QEMU TCG):
 * here what every architecture shares (formatting, CRC-32, SHA-256,
 * setjmp, the framework's verdicts), in arch/<arch>/ each architecture's
 * own (exceptions, paging, user mode, the interrupt controller, FP/SIMD).
 * It speaks the result protocol like a conformance image, so the
 * framework's verdict logic is exercised too; selftest/run_tcg.py (x86-64)
 * and run_qemu_arm64.py know which verdict each test must end with (some
 * tests provoke an error, a failure or a skip on purpose).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);

#include "selftest.h"

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

/* The next three end with fail and skip on purpose, like the architecture's
 * SELF.unexpected_exception (an error). */
SELF(unexpected_irq, "SELF.unexpected_irq")
{
	hcabi_intc_self_ipi(selftest_spare_vector); /* no handler */
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

static volatile uint64_t replay_hits;
static void count_replay_hit(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	replay_hits++;
}

void selftest_replay_filter(unsigned vector, void (*play)(unsigned vector), bool pending_first)
{
	uint64_t replays = hcabi_irq_replays(0), count = hcabi_irq_count(0, vector);

	hcabi_irq_register(vector, count_replay_hit);
	replay_hits = 0;
	if (pending_first) {
		hcabi_intc_self_ipi(vector);
		for (int i = 0; i < 100000 && !hcabi_intc_pending(vector); i++)
			hcabi_pause();
		check_true(hcabi_intc_pending(vector), "-", "vector %u pending, interrupts off",
			   vector);
	}
	play(vector);
	check_eq_u64(hcabi_irq_replays(0) - replays, 1, "-", "the played entry counted as a replay");
	check_eq_u64(replay_hits, 0, "-", "its handler not called");
	check_eq_u64(hcabi_irq_count(0, vector) - count, 0, "-", "not in the vector's count");
	if (pending_first)
		check_true(hcabi_intc_pending(vector) && !hcabi_intc_in_service(vector), "-",
			   "the vector still pending, not taken from the controller");
	else
		hcabi_intc_self_ipi(vector);
	hcabi_irq_enable();
	for (int i = 0; i < 1000000 && !replay_hits; i++)
		hcabi_pause();
	hcabi_irq_disable();
	check_eq_u64(replay_hits, 1, "-", "the controller's delivery handled, once");
	check_eq_u64(hcabi_irq_count(0, vector) - count, 1, "-", "and counted once");
	check_eq_u64(hcabi_irq_replays(0) - replays, 1, "-", "and not a replay");
	check_true(!hcabi_intc_in_service(vector), "-", "not in service after its one EOI");
	hcabi_irq_unregister(vector);
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
