/* SPDX-License-Identifier: MIT */
/*
 * check_arch.c - the rules that differ by binding (hcabi_ref_config.arch):
 * the valid interrupt vectors (x86-64 32..255; arm64 PPIs 16..22,
 * ARM64-021; riscv64 IMSIC identities 1..63, RV64-018) and VCPU.START's
 * boot state (x86-64 VCPU-022; arm64 ARM64-024/025; riscv64
 * RV64-021/022), and the canonical addresses of TLB.FLUSH (x86-64
 * TLB-006, arm64 ARM64-034, riscv64 RV64-030). The arm64 and riscv64 test cases run the same tests with
 * their own binding (`bind`); the other units run under x86-64 and show
 * its behaviour unchanged.
 */
#include "harness.h"

#define ENTRY 0x40280000ull
#define ARG 0x1234567890abcdefull

/* A TLB.FLUSH range at an edge of the canonical halves, and whether the
 * binding accepts it. */
struct va_case {
	uint64_t gva, npages;
	bool valid;
};

/* The binding a test case runs under: its arch, its vector range and its
 * canonical edges. */
struct binding {
	uint32_t arch;
	uint8_t vmin, vmax;
	const uint8_t *bad; /* invalid vectors, nbad of them */
	unsigned nbad;
	const struct va_case *va; /* nva of them */
	unsigned nva;
};

/* TLB-006 (x86-64) and RV64-030 (riscv64, as Sv48): bits 63:47 all equal.
 * Each table fails under another binding's rule: 0x0000800000000000 is
 * canonical on arm64, 0x0000FFFFFFFFF000 is not here. */
static const struct va_case x86_64_va[] = {
    {0x00007FFFFFFFF000ull, 1, true},  /* the largest lower page */
    {0x0000800000000000ull, 1, false}, /* the smallest address above it */
    {0x00007FFFFFFFF000ull, 2, false}, /* runs out of the lower half */
    {0xFFFF800000000000ull, 1, true},  /* the smallest upper page */
    {0xFFFF7FFFFFFFF000ull, 1, false}, /* the largest page below it */
    {0x0000FFFFFFFFF000ull, 1, false}, /* arm64's largest lower page */
    {0xFFFF000000000000ull, 1, false}, /* arm64's smallest upper page */
};
/* ARM64-034: bits 63:48 all zero or all one. */
static const struct va_case arm64_va[] = {
    {0x0000FFFFFFFFF000ull, 1, true},  /* the largest lower page */
    {0x0001000000000000ull, 1, false}, /* the smallest address above it */
    {0x0000FFFFFFFFF000ull, 2, false}, /* runs out of the lower half */
    {0xFFFF000000000000ull, 1, true},  /* the smallest upper page */
    {0xFFFEFFFFFFFFF000ull, 1, false}, /* the largest page below it */
    {0x0000800000000000ull, 1, true},  /* not canonical on x86-64 */
    {0xFFFF7FFFFFFFF000ull, 1, true},  /* not canonical on x86-64 */
};
#define NVA(t) (unsigned)(sizeof(t) / sizeof((t)[0]))

/* ARM64-021: below 16 and above 22 invalid, x86-64's 32..255 included. */
static const uint8_t arm64_bad[] = {0, 1, 15, 23, 27, 31, 32, 0x40, 0xFF};
/* RV64-018: 0 (no interrupt) and 64..255 invalid, x86-64's 32..255 above 63 included. */
static const uint8_t riscv64_bad[] = {0, 64, 65, 0x80, 0xFE, 0xFF};

static const struct binding arm64 = {HCABI_REF_ARCH_ARM64, HCABI_ARM64_VECTOR_MIN,
				     HCABI_ARM64_VECTOR_MAX, arm64_bad, sizeof(arm64_bad),
				     arm64_va, NVA(arm64_va)};
static const struct binding riscv64 = {HCABI_REF_ARCH_RISCV64, HCABI_RISCV64_VECTOR_MIN,
				       HCABI_RISCV64_VECTOR_MAX, riscv64_bad, sizeof(riscv64_bad),
				       x86_64_va, NVA(x86_64_va)}; /* RV64-030: x86-64's rule */
static const struct binding *bind;

static void arm64_setup(void)
{
	bind = &arm64;
	hx_open_arch(4, bind->arch);
}

static void riscv64_setup(void)
{
	bind = &riscv64;
	hx_open_arch(4, bind->arch);
}

/* The 64-byte boot state of arm64 or riscv64 (one layout: ext_vcpu.c
 * asserts it) at HX_BOOT_STATE; reserved word `bad` (0..5) is non-zero
 * when bad >= 0. */
static void put_boot_state(uint64_t entry, uint64_t arg, int bad)
{
	struct hcabi_vcpu_boot_state_arm64 bs;
	uint8_t b[64];

	memset(&bs, 0, sizeof(bs));
	bs.entry = entry;
	bs.arg = arg;
	if (bad >= 0)
		bs.reserved[bad] = 1ull << (7 * bad);
	for (unsigned i = 0; i < 64; i++) { /* little-endian, as the guest writes it */
		uint64_t w = i < 8 ? bs.entry : i < 16 ? bs.arg : bs.reserved[(i - 16) / 8];
		b[i] = (uint8_t)(w >> (8 * (i % 8)));
	}
	fake_put(hx.fake, HX_BOOT_STATE, b, sizeof(b));
}

/* VCPU.START of `target` from vCPU 0 with a valid arm64/riscv64 boot state
 * (hx_start writes an x86-64 one, which they refuse: ARM64-025, RV64-022). */
static void start_vcpu(uint32_t target)
{
	struct hcabi_ref_ret r;

	put_boot_state(ENTRY, target, -1);
	r = CALL(0, HCABI_FID_VCPU_START, target, HX_BOOT_STATE);
	CK_OK(r, 0);
}

/* ARM64-021: 16..22 (RV64-018: 1..63) valid for TIME.SET_TIMER,
 * SET_PERIODIC and IPI.SEND. */
START_TEST(vectors_valid)
{
	uint8_t vec = (uint8_t)(bind->vmin + (unsigned)_i);
	struct hcabi_ref_ret r = CALL(1, HCABI_FID_TIME_SET_TIMER, 777, vec);

	CK_OK(r, 0);
	ck_assert_uint_eq(hx_last(FOP_TIMER_ARM)->b, vec);
	r = CALL(1, HCABI_FID_TIME_SET_PERIODIC, 0, HCABI_TIMER_MIN_PERIOD, vec);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->timer_vector[1], vec);
	start_vcpu(2);
	r = CALL(0, HCABI_FID_IPI_SEND, 0x4, 0, vec); /* vCPU 2 */
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->irqs[2][vec], 1);
}
END_TEST

/* ARM64-021, RV64-018: the binding's invalid vectors: INVALID_PARAM with
 * no effect. */
START_TEST(vectors_invalid)
{
	uint8_t vec = bind->bad[_i];
	struct hcabi_ref_ret r;

	start_vcpu(1);
	fake_clear(hx.fake);
	r = CALL(1, HCABI_FID_TIME_SET_TIMER, 777, vec);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(1, HCABI_FID_TIME_SET_PERIODIC, 0, HCABI_TIMER_MIN_PERIOD, vec);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_IPI_SEND, 0x2, 0, vec);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(hx.fake->irqs[1][vec], 0);
}
END_TEST

/* TLB.FLUSH of a range at a canonical edge of `va` (one page: the caller,
 * vCPU 0): accepted and flushed, or INVALID_PARAM with no flush. */
static void flush_edge(const struct va_case *c)
{
	struct hcabi_ref_ret r;

	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, c->gva, c->npages);
	if (c->valid) {
		CK_OK(r, 0);
		ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, 0), 1);
	} else {
		CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	}
}

/* ARM64-034, RV64-030: the binding's canonical edges. */
START_TEST(tlb_canonical_edges)
{
	flush_edge(&bind->va[_i]);
}
END_TEST

/* TLB-006: x86-64's, under the default binding. */
START_TEST(x86_tlb_canonical_edges)
{
	flush_edge(&x86_64_va[_i]);
}
END_TEST

/* x86-64 unchanged: the arm64 vectors are below 32, invalid there. */
START_TEST(x86_vectors_unchanged)
{
	uint8_t vec = (uint8_t)(HCABI_ARM64_VECTOR_MIN + (unsigned)_i);
	struct hcabi_ref_ret r;

	fake_clear(hx.fake);
	r = CALL(1, HCABI_FID_TIME_SET_TIMER, 777, vec);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_IPI_SEND, 0x1, 0, vec);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(1, HCABI_FID_TIME_SET_TIMER, 777, HCABI_VECTOR_MIN);
	CK_OK(r, 0);
}
END_TEST

/* ARM64-024, RV64-021: the arm64 (riscv64) struct is read, and reaches the platform as entry
 * in rip and arg in arg, all else zero; x86-64's checks (VCPU-022: a
 * page-aligned cr3 in RAM, non-null selectors) do not apply. */
START_TEST(boot_state)
{
	struct hcabi_ref_ret r;
	const struct hcabi_vcpu_boot_state *bs = &hx.fake->boot[3];

	put_boot_state(ENTRY, ARG, -1);
	r = CALL(0, HCABI_FID_VCPU_START, 3, HX_BOOT_STATE);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->start_count[3], 1);
	ck_assert_uint_eq(bs->rip, ENTRY);
	ck_assert_uint_eq(bs->arg, ARG);
	ck_assert_uint_eq(bs->rsp | bs->cr3 | bs->gdtr_base | bs->idtr_base, 0);
	ck_assert_uint_eq(bs->gdtr_limit | bs->idtr_limit | bs->cs | bs->ds, 0);
	ck_assert_uint_eq(bs->flags | bs->reserved0, 0);
	ck_assert_uint_eq(hx_vcpu_status(0, 3), HCABI_VCPU_STATUS_RUNNING);
}
END_TEST

/* ARM64-025, RV64-022: any reserved word non-zero: INVALID_PARAM, nothing started. */
START_TEST(boot_state_reserved)
{
	struct hcabi_ref_ret r;

	put_boot_state(ENTRY, ARG, _i);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM); /* the read is its only platform call */
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_START, UINT32_MAX), 0);
	ck_assert_uint_eq(hx.fake->start_count[1], 0);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_STOPPED);
}
END_TEST

/* x86-64 unchanged: the same bytes are an x86-64 boot state with cr3 0
 * and null selectors, which VCPU-022 refuses. */
START_TEST(x86_boot_state_unchanged)
{
	struct hcabi_ref_ret r;

	put_boot_state(ENTRY, ARG, -1);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_START, UINT32_MAX), 0);
}
END_TEST

/* An architecture the library does not know is a configuration error. */
START_TEST(config_arch)
{
	struct hcabi_ref_config cfg;
	const char *err = NULL;
	struct hcabi_ref *ref;

	hx_config(&cfg, 2);
	cfg.arch = 7;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "arch"));
	cfg.arch = HCABI_REF_ARCH_ARM64;
	ref = hcabi_ref_create(&cfg, &err);
	ck_assert_ptr_nonnull(ref);
	hcabi_ref_destroy(ref);
	cfg.arch = HCABI_REF_ARCH_RISCV64;
	ref = hcabi_ref_create(&cfg, &err);
	ck_assert_ptr_nonnull(ref);
	hcabi_ref_destroy(ref);
	cfg.arch = HCABI_REF_ARCH_RISCV64 + 1;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
}
END_TEST

static Suite *arch_suite(void)
{
	Suite *s = suite_create("arch");
	/* not hx_tcase: its fixture is x86-64's */
	static const struct {
		const char *name;
		void (*setup)(void);
		const struct binding *b;
	} cases[] = {{"arm64", arm64_setup, &arm64}, {"riscv64", riscv64_setup, &riscv64}};
	unsigned nvalid = HCABI_ARM64_VECTOR_MAX - HCABI_ARM64_VECTOR_MIN + 1;
	TCase *tc;

	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct binding *b = cases[c].b;

		tc = tcase_create(cases[c].name);
		tcase_add_checked_fixture(tc, cases[c].setup, hx_teardown);
		tcase_set_timeout(tc, 10);
		suite_add_tcase(s, tc);
		tcase_add_loop_test(tc, vectors_valid, 0, (int)(b->vmax - b->vmin + 1));
		tcase_add_loop_test(tc, vectors_invalid, 0, (int)b->nbad);
		tcase_add_test(tc, boot_state);
		tcase_add_loop_test(tc, boot_state_reserved, 0, 6);
		tcase_add_loop_test(tc, tlb_canonical_edges, 0, (int)b->nva);
	}
	tc = hx_tcase(s, "x86_64", 10);
	tcase_add_loop_test(tc, x86_vectors_unchanged, 0, (int)nvalid);
	tcase_add_test(tc, x86_boot_state_unchanged);
	tcase_add_loop_test(tc, x86_tlb_canonical_edges, 0, (int)NVA(x86_64_va));
	tcase_add_test(tc, config_arch);
	return s;
}

int main(void)
{
	return hx_run(arch_suite());
}
