/* SPDX-License-Identifier: MIT */
/* check_ipi.c - IPI.SEND, with a mask (1.0) and all_but_self (1.1). */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

static unsigned irqs(uint32_t v, uint8_t vec)
{
	return hx.fake->irqs[v][vec];
}

/* IPI-002, IPI-003: running targets get the vector once; stopped ones are
 * skipped; the caller may be a target. */
START_TEST(send_running_only)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_IPI_SEND, 0xF, 0, 0x40);
	CK_OK(r, 0);
	ck_assert_uint_eq(irqs(0, 0x40), 1); /* only vCPU 0 runs */
	ck_assert_uint_eq(fake_count(hx.fake, FOP_INJECT_IRQ, UINT32_MAX), 1);
	hx_start(0, 1);
	hx_start(0, 3);
	r = CALL(1, HCABI_FID_IPI_SEND, 0x7, 1, 0xFF); /* vCPUs 1, 2, 3 */
	CK_OK(r, 0);
	ck_assert_uint_eq(irqs(1, 0xFF), 1);
	ck_assert_uint_eq(irqs(2, 0xFF), 0);
	ck_assert_uint_eq(irqs(3, 0xFF), 1);
	ck_assert_uint_eq(irqs(0, 0xFF), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_INJECT_IRQ, 2), 0);
	r = CALL(3, HCABI_FID_IPI_SEND, 0x1, 3, 32); /* itself */
	CK_OK(r, 0);
	ck_assert_uint_eq(irqs(3, 32), 1);
}
END_TEST

/* IPI-003: mask 0 sends nothing; base is then irrelevant. */
START_TEST(send_empty_mask)
{
	static const uint64_t bases[] = {0, 4, 1000, ~0ull};
	for (unsigned i = 0; i < 4; i++) {
		struct hcabi_ref_ret r = CALL(0, HCABI_FID_IPI_SEND, 0, bases[i], 0x40);
		CK_OK(r, 0);
	}
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
}
END_TEST

/* IPI-001: bad vector (even with an empty mask), reserved vector bits.
 * Bit 8 is all_but_self since 1.1, so it appears here only with a vector
 * below 32 (IPI-001 still applies) or with a reserved bit above it. */
static const uint64_t bad_vectors[] = {
    0, 2, 31, 0x100, 0x11F, 0x200 | 0x40, 0x3FF, 1ull << 63, ~0ull, (1ull << 9) | 0x1FF};
START_TEST(send_bad_vector)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_IPI_SEND, 1, 0, bad_vectors[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_IPI_SEND, 0, 0, bad_vectors[_i]);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

/* IPI-001: a target not below the count, or base + i overflowing: nothing
 * is sent, not even to the valid targets. */
struct tcase_mb {
	uint64_t mask, base;
};
static const struct tcase_mb bad_targets[] = {
    {1ull << 4, 0}, {1, 4},	     {0x11, 0},	 {1ull << 63, 0},
    {0x3, 3},	    {1, ~0ull},	     {2, ~0ull}, {1ull << 63, ~0ull - 62},
    {~0ull, 0},	    {1, 1ull << 32},
};
START_TEST(send_bad_targets)
{
	const struct tcase_mb *c = &bad_targets[_i];
	struct hcabi_ref_ret r;
	hx_start(0, 1);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_IPI_SEND, c->mask, c->base, 0x40);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_INJECT_IRQ, UINT32_MAX), 0);
}
END_TEST

/* The full 64-bit mask at the top of a large VM. */
START_TEST(send_wide_mask)
{
	struct hcabi_ref_ret r;
	hx_close();
	hx_open(70, 0);
	for (uint32_t v = 1; v < 70; v++)
		hcabi_ref_set_vcpu_running(hx.ref, v, true);
	r = CALL(0, HCABI_FID_IPI_SEND, ~0ull, 6, 0x41); /* 6 .. 69 */
	CK_OK(r, 0);
	for (uint32_t v = 0; v < 70; v++)
		ck_assert_uint_eq(irqs(v, 0x41), v >= 6 ? 1u : 0u);
	r = CALL(0, HCABI_FID_IPI_SEND, ~0ull, 7, 0x41); /* 70 does not exist */
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_IPI_SEND, 1ull << 63, 6, 0x42);
	CK_OK(r, 0);
	ck_assert_uint_eq(irqs(69, 0x42), 1);
}
END_TEST

/* A host that fails to inject: the guest gets a permitted status and the
 * bug is counted; a target that stopped meanwhile (PERR_STATE) is
 * ignored, as IPI-003 ignores stopped targets. */
START_TEST(send_host_failures)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx.fake->fail_inject_irq = HCABI_REF_PERR_STATE;
	r = CALL(0, HCABI_FID_IPI_SEND, 1, 0, 0x40);
	CK_OK(r, 0);
	hx.fake->fail_inject_irq = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_IPI_SEND, 1, 0, 0x40);
	CK_STATUS(r, HCABI_ERR_FAILED); /* STATUS-005, since 1.2 */
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0); /* FAILED is permitted from 1.2 */
}
END_TEST

/* ---- all_but_self (HCABI 1.1): IPI-004 ------------------------------------- */

#define ABS(vec) (HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK | (vec)) /* the all_but_self bit with a vector */

/* IPI-004: every running vCPU but the caller gets the vector exactly once;
 * the caller and stopped vCPUs none. Cases: VM size, caller, and which
 * vCPUs run (bit i: vCPU i; the caller always runs). Sizes above 64 cross
 * the 64-vCPU groups of the mask form. */
struct abs_case {
	uint32_t nvcpus, caller;
	uint64_t running_lo; /* vCPUs 0..63 */
	bool all_running;    /* every vCPU runs (for nvcpus > 64) */
};
static const struct abs_case abs_cases[] = {
    {1, 0, 0x1, false},			   /* alone: nothing to send */
    {2, 0, 0x3, false},			   /* the other one */
    {2, 1, 0x3, false},			   /* from vCPU 1 */
    {4, 0, 0xF, false},			   /* all four run */
    {4, 2, 0xF, false},			   /* from the middle */
    {4, 3, 0x9, false},			   /* 1 and 2 stopped */
    {4, 1, 0x2, false},			   /* every other vCPU stopped */
    {64, 63, ~0ull, false},		   /* exactly one group */
    {70, 3, 0, true},			   /* two groups, caller in the first */
    {70, 66, 0, true},			   /* two groups, caller in the second */
    {70, 0, 0x5555555555555555ull, false}, /* 64..69 stopped, every other below */
};
START_TEST(all_but_self_targets)
{
	const struct abs_case *c = &abs_cases[_i];
	struct hcabi_ref_ret r;

	hx_close();
	hx_open(c->nvcpus, 0);
	for (uint32_t v = 0; v < c->nvcpus; v++) {
		bool run =
		    v == c->caller || c->all_running || (v < 64 && ((c->running_lo >> v) & 1u));
		hcabi_ref_set_vcpu_running(hx.ref, v, run);
	}
	fake_clear(hx.fake);
	r = CALL(c->caller, HCABI_FID_IPI_SEND, 0, 0, ABS(0x44));
	CK_OK(r, 0);
	for (uint32_t v = 0; v < c->nvcpus; v++) {
		bool run = c->all_running || (v < 64 && ((c->running_lo >> v) & 1u));
		unsigned want = (v != c->caller && run) ? 1u : 0u;
		ck_assert_msg(irqs(v, 0x44) == want,
			      "vCPU %u (caller %u, running %d): %u, expected %u", v, c->caller, run,
			      irqs(v, 0x44), want);
	}
	/* nothing but interrupts; no other vector */
	ck_assert_uint_eq(fake_effects(hx.fake), fake_count(hx.fake, FOP_INJECT_IRQ, UINT32_MAX));
	for (uint32_t v = 0; v < c->nvcpus; v++)
		for (unsigned vec = 0; vec < 256; vec++)
			if (vec != 0x44)
				ck_assert_uint_eq(irqs(v, (uint8_t)vec), 0);
}
END_TEST

/* IPI-004: with all_but_self, a non-zero mask or base is INVALID_PARAM and
 * nothing is sent (not even to targets the mask names validly); IPI-001
 * still rejects a vector below 32; bits above 8 are still reserved. */
static const struct {
	uint64_t mask, base, vector;
} abs_bad[] = {
    {1, 0, ABS(0x40)},
    {0, 1, ABS(0x40)},
    {0x2, 0, ABS(0x40)},
    {~0ull, 0, ABS(0x40)},
    {0, ~0ull, ABS(0x40)},
    {1ull << 63, 0, ABS(0x40)},
    {0, 64, ABS(0x40)},
    {0xF, 0, ABS(0xFF)},
    {1, 1, ABS(32)},
    {0, 0, ABS(0)},
    {0, 0, ABS(31)},
    {0, 0, 0x200 | ABS(0x40)},
    {0, 0, (1ull << 63) | ABS(0x40)},
    {0, 0, ~0ull},
    {0x2, 0, ABS(0x10)},
};
START_TEST(all_but_self_bad)
{
	struct hcabi_ref_ret r;
	for (uint32_t v = 1; v < 4; v++)
		hcabi_ref_set_vcpu_running(hx.ref, v, true);
	fake_clear(hx.fake);
	r = CALL(1, HCABI_FID_IPI_SEND, abs_bad[_i].mask, abs_bad[_i].base, abs_bad[_i].vector);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	for (uint32_t v = 0; v < 4; v++)
		for (unsigned vec = 0; vec < 256; vec++)
			ck_assert_uint_eq(irqs(v, (uint8_t)vec), 0);
}
END_TEST

/* Pinned to 1.0, bit 8 is reserved (GEN-002, IPI-001): INVALID_PARAM with
 * mask and base 0, nothing sent; the mask form works as in 1.0. */
START_TEST(all_but_self_pinned_1_0)
{
	struct hcabi_ref_ret r;
	hx_close();
	hx_open(4, HCABI_VERSION_1_0);
	for (uint32_t v = 1; v < 4; v++)
		hcabi_ref_set_vcpu_running(hx.ref, v, true);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_IPI_SEND, 0, 0, ABS(0x40));
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_IPI_SEND, 0xE, 0, ABS(0x40));
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_IPI);
	CK_OK(r, 1);
	r = CALL(0, HCABI_FID_IPI_SEND, 0xE, 0, 0x40);
	CK_OK(r, 0);
	for (uint32_t v = 0; v < 4; v++)
		ck_assert_uint_eq(irqs(v, 0x40), v == 0 ? 0u : 1u);
	hx_close();
	hx_open(4, 0);
	r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_IPI);
	CK_OK(r, 2);
}
END_TEST

/* Host failures in all_but_self: a target that stopped meanwhile is
 * skipped (SUCCESS), a host error gives a permitted status and a bug. */
START_TEST(all_but_self_host_failures)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx_start(0, 1);
	hx.fake->fail_inject_irq = HCABI_REF_PERR_STATE;
	r = CALL(0, HCABI_FID_IPI_SEND, 0, 0, ABS(0x40));
	CK_OK(r, 0);
	hx.fake->fail_inject_irq = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_IPI_SEND, 0, 0, ABS(0x40));
	CK_STATUS(r, HCABI_ERR_FAILED); /* STATUS-005, since 1.2 */
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0); /* FAILED is permitted from 1.2 */
}
END_TEST

/* Concurrent senders: each interrupt arrives exactly once (IPI-002, IPI-004). */
#define SENDERS 4
#define SENDS 500
static atomic_uint ipi_bad;
static void *sender(void *arg)
{
	uint32_t v = (uint32_t)(uintptr_t)arg;
	for (int i = 0; i < SENDS; i++) {
		/* every vCPU but the sender, vector 0x80 + sender: through
		 * the mask, and (every other send) all_but_self, IPI-004 */
		uint64_t mask = 0xFull & ~(1ull << v);
		struct hcabi_ref_ret r = (i & 1)
					     ? RAW(v, HCABI_FID_IPI_SEND, 0, 0, HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK | (0x80 + v))
					     : RAW(v, HCABI_FID_IPI_SEND, mask, 0, 0x80 + v);
		if (r.status != 0)
			atomic_fetch_add(&ipi_bad, 1);
	}
	return NULL;
}
START_TEST(send_concurrent)
{
	pthread_t t[SENDERS];
	hx.fake->log_enabled = false;
	atomic_store(&ipi_bad, 0);
	for (uint32_t v = 1; v < SENDERS; v++)
		hcabi_ref_set_vcpu_running(hx.ref, v, true);
	for (uintptr_t i = 0; i < SENDERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, sender, (void *)i), 0);
	for (int i = 0; i < SENDERS; i++)
		pthread_join(t[i], NULL);
	unsigned bad = atomic_load(&ipi_bad);
	ck_assert_uint_eq(bad, 0);
	for (uint32_t to = 0; to < SENDERS; to++)
		for (uint32_t from = 0; from < SENDERS; from++)
			ck_assert_uint_eq(irqs(to, (uint8_t)(0x80 + from)),
					  to == from ? 0u : SENDS);
}
END_TEST

static Suite *ipi_suite(void)
{
	Suite *s = suite_create("ipi");
	TCase *tc = hx_tcase(s, "send", 10);
	tcase_add_test(tc, send_running_only);
	tcase_add_test(tc, send_empty_mask);
	tcase_add_loop_test(tc, send_bad_vector, 0,
			    (int)(sizeof(bad_vectors) / sizeof(bad_vectors[0])));
	tcase_add_loop_test(tc, send_bad_targets, 0,
			    (int)(sizeof(bad_targets) / sizeof(bad_targets[0])));
	tcase_add_test(tc, send_wide_mask);
	tcase_add_test(tc, send_host_failures);
	tc = hx_tcase(s, "all_but_self", 10);
	tcase_add_loop_test(tc, all_but_self_targets, 0,
			    (int)(sizeof(abs_cases) / sizeof(abs_cases[0])));
	tcase_add_loop_test(tc, all_but_self_bad, 0, (int)(sizeof(abs_bad) / sizeof(abs_bad[0])));
	tcase_add_test(tc, all_but_self_pinned_1_0);
	tcase_add_test(tc, all_but_self_host_failures);
	tc = hx_tcase(s, "concurrency", 30);
	tcase_add_test(tc, send_concurrent);
	return s;
}

int main(void)
{
	return hx_run(ipi_suite());
}
