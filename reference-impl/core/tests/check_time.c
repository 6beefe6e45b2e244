/* SPDX-License-Identifier: MIT */
/* check_time.c - TIME: clocks and the per-vCPU one-shot timer. */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

/* TIME-001: the platform's clock, never decreasing even when the platform's
 * reading goes back (TIME-002 across vCPUs). */
START_TEST(monotonic)
{
	struct hcabi_ref_ret r;
	fake_set_mono(hx.fake, 5000);
	r = CALL(0, HCABI_FID_TIME_GET_MONOTONIC);
	CK_OK(r, 5000);
	fake_set_mono(hx.fake, 7000);
	r = CALL(1, HCABI_FID_TIME_GET_MONOTONIC);
	CK_OK(r, 7000);
	fake_set_mono(hx.fake, 6000); /* a host clock that went back */
	r = CALL(2, HCABI_FID_TIME_GET_MONOTONIC);
	CK_OK(r, 7000);
	r = CALL(0, HCABI_FID_TIME_GET_MONOTONIC);
	CK_OK(r, 7000);
	fake_set_mono(hx.fake, 9000);
	r = CALL(0, HCABI_FID_TIME_GET_MONOTONIC);
	CK_OK(r, 9000);
}
END_TEST

/* TIME-010 */
START_TEST(wallclock)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TIME_GET_WALLCLOCK);
	CK_OK(r, hx.fake->wall);
	hx.fake->wall = 42; /* the wall clock may jump back */
	r = CALL(0, HCABI_FID_TIME_GET_WALLCLOCK);
	CK_OK(r, 42);
}
END_TEST

/* TIME-021, TIME-024: arms the caller's timer, and only the caller's. */
START_TEST(set_timer_arms_caller)
{
	struct hcabi_ref_ret r = CALL(1, HCABI_FID_TIME_SET_TIMER, 123456, 0x40);
	const struct fake_event *e;
	CK_OK(r, 0);
	e = fake_last(hx.fake, FOP_TIMER_ARM);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->vcpu, 1);
	ck_assert_uint_eq(e->a, 123456);
	ck_assert_uint_eq(e->b, 0x40);
	ck_assert(hx.fake->timer_armed[1]);
	ck_assert(!hx.fake->timer_armed[0]);
	/* re-arming replaces deadline and vector */
	r = CALL(1, HCABI_FID_TIME_SET_TIMER, 1, 255);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->timer_deadline[1], 1);
	ck_assert_uint_eq(hx.fake->timer_vector[1], 255);
	/* TIME-023: a deadline in the past is no error */
	r = CALL(1, HCABI_FID_TIME_SET_TIMER, 0, 32);
	CK_OK(r, 0);
}
END_TEST

/* TIME-020: below 32, or bits 63:8 set: INVALID_PARAM, timer unchanged. */
static const uint64_t bad_vectors[] = {0,     1,	  31,	 0x100,
				       0x140, 1ull << 63, ~0ull, 0xFFFFFFFFFFFFFF40ull};
START_TEST(set_timer_bad_vector)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TIME_SET_TIMER, 5000, 0x50);
	CK_OK(r, 0);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_TIME_SET_TIMER, 99, bad_vectors[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_ARM, UINT32_MAX), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_CANCEL, UINT32_MAX), 0);
	ck_assert_uint_eq(hx.fake->timer_deadline[0], 5000);
	ck_assert_uint_eq(hx.fake->timer_vector[0], 0x50);
}
END_TEST

/* TIME-030 */
START_TEST(cancel_timer)
{
	struct hcabi_ref_ret r = CALL(2, HCABI_FID_TIME_CANCEL_TIMER);
	CK_OK(r, 0);
	r = CALL(2, HCABI_FID_TIME_SET_TIMER, ~0ull, 77);
	CK_OK(r, 0);
	r = CALL(2, HCABI_FID_TIME_CANCEL_TIMER);
	CK_OK(r, 1);
	ck_assert(!hx.fake->timer_armed[2]);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_TIMER_CANCEL)->vcpu, 2);
	r = CALL(2, HCABI_FID_TIME_CANCEL_TIMER);
	CK_OK(r, 0);
}
END_TEST

/* A host timer failure has no status in TIME's tables: the dispatcher
 * answers INVALID_PARAM (the common status) and counts an internal bug. */
START_TEST(timer_host_failure)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx.fake->fail_timer_arm = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_TIME_SET_TIMER, 1, 40);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	hx.fake->fail_timer_cancel = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_TIME_CANCEL_TIMER);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 2);
	ck_assert_uint_eq(st.host_errors, 2);
}
END_TEST

/* TIME-002 across threads: each vCPU sees a non-decreasing clock while the
 * host clock moves back and forth. */
static atomic_int stop_clock;
static void *jitter(void *arg)
{
	uint64_t t = 1000000;
	(void)arg;
	while (!atomic_load(&stop_clock)) {
		t += 17;
		fake_set_mono(hx.fake, (t % 3) ? t : t - 5000);
	}
	return NULL;
}
static void *reader(void *arg)
{
	uint32_t v = (uint32_t)(uintptr_t)arg;
	uint64_t last = 0;
	for (int i = 0; i < 20000; i++) {
		struct hcabi_ref_ret r = RAW(v, HCABI_FID_TIME_GET_MONOTONIC);
		if (r.status != 0 || r.value < last)
			return (void *)1;
		last = r.value;
	}
	return NULL;
}
START_TEST(monotonic_concurrent)
{
	pthread_t j, t[3];
	void *res;
	hx.fake->log_enabled = false;
	atomic_store(&stop_clock, 0);
	ck_assert_int_eq(pthread_create(&j, NULL, jitter, NULL), 0);
	for (uintptr_t i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, (void *)i), 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], &res);
		ck_assert_ptr_null(res);
	}
	atomic_store(&stop_clock, 1);
	pthread_join(j, NULL);
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc = hx_tcase(s, "clocks", 10);
	tcase_add_test(tc, monotonic);
	tcase_add_test(tc, wallclock);
	tc = hx_tcase(s, "timer", 10);
	tcase_add_test(tc, set_timer_arms_caller);
	tcase_add_loop_test(tc, set_timer_bad_vector, 0,
			    (int)(sizeof(bad_vectors) / sizeof(bad_vectors[0])));
	tcase_add_test(tc, cancel_timer);
	tcase_add_test(tc, timer_host_failure);
	tc = hx_tcase(s, "concurrency", 30);
	tcase_add_test(tc, monotonic_concurrent);
	return s;
}

int main(void)
{
	return hx_run(time_suite());
}
