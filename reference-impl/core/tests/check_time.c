/* SPDX-License-Identifier: MIT */
/* check_time.c - TIME: clocks and the per-vCPU timer, one-shot (SET_TIMER,
 * CANCEL_TIMER) and periodic (SET_PERIODIC, HCABI 1.1). */
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
	e = hx_last(FOP_TIMER_ARM);
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

/* TIME-030: CANCEL_TIMER of vCPU v's armed timer (one-shot or periodic)
 * returns 1 and disarms it on the platform; a second one returns 0. */
static void cancel_armed(uint32_t v)
{
	struct hcabi_ref_ret r = CALL(v, HCABI_FID_TIME_CANCEL_TIMER);
	CK_OK(r, 1);
	ck_assert(!hx.fake->timer_armed[v]);
	ck_assert_uint_eq(hx_last(FOP_TIMER_CANCEL)->vcpu, v);
	r = CALL(v, HCABI_FID_TIME_CANCEL_TIMER);
	CK_OK(r, 0);
}

/* TIME-030 */
START_TEST(cancel_timer)
{
	struct hcabi_ref_ret r = CALL(2, HCABI_FID_TIME_CANCEL_TIMER);
	CK_OK(r, 0);
	r = CALL(2, HCABI_FID_TIME_SET_TIMER, ~0ull, 77);
	CK_OK(r, 0);
	cancel_armed(2);
}
END_TEST

/* A host timer failure: FAILED from 1.2 (STATUS-005; INVALID_PARAM, the
 * common status, before: check_decisions.c), and an internal bug counted. */
START_TEST(timer_host_failure)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx.fake->fail_timer_arm = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_TIME_SET_TIMER, 1, 40);
	CK_STATUS(r, HCABI_ERR_FAILED);
	hx.fake->fail_timer_cancel = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_TIME_CANCEL_TIMER);
	CK_STATUS(r, HCABI_ERR_FAILED);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0); /* FAILED is permitted from 1.2 */
	ck_assert_uint_eq(st.host_errors, 2);
}
END_TEST

/* ---- SET_PERIODIC (HCABI 1.1): TIME-040 .. TIME-042 ------------------------ */

/* TIME-041: valid argument classes are passed to the platform's periodic
 * timer unchanged (first in the past, now, far future; the shortest period
 * and longer ones; vectors at both ends), for the caller only. */
struct periodic_case {
	uint64_t first, period, vector;
};
static const struct periodic_case good_periodic[] = {
    {0, HCABI_TIMER_MIN_PERIOD, HCABI_VECTOR_MIN}, /* first already passed */
    {1, HCABI_TIMER_MIN_PERIOD + 1, 0x40},	   /* just above the minimum */
    {5000, 20000000, 0x80},			   /* first = "now" (fake clock) */
    {123456789, 1000000000, 0xFE},		   /* 1 s period */
    {~0ull, HCABI_TIMER_MIN_PERIOD, 255},	   /* first never comes */
    {1ull << 63, ~0ull, 0x41},			   /* longest period */
    {HCABI_TIMER_MIN_PERIOD, 1ull << 40, 0x42},	   /* first on the min period */
};
START_TEST(set_periodic_good)
{
	const struct periodic_case *c = &good_periodic[_i];
	const struct fake_event *e;
	struct hcabi_ref_ret r;

	fake_set_mono(hx.fake, 5000);
	r = CALL(2, HCABI_FID_TIME_SET_PERIODIC, c->first, c->period, c->vector);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_ARM_PERIODIC, UINT32_MAX), 1);
	e = hx_last(FOP_TIMER_ARM_PERIODIC);
	ck_assert_uint_eq(e->vcpu, 2);
	ck_assert_uint_eq(e->a, c->first);
	ck_assert_uint_eq(e->b, c->period);
	ck_assert_uint_eq(e->c, c->vector);
	/* only the caller's timer, and nothing else */
	ck_assert(hx.fake->timer_armed[2]);
	ck_assert_uint_eq(hx.fake->timer_period[2], c->period);
	for (uint32_t v = 0; v < 4; v++)
		if (v != 2)
			ck_assert(!hx.fake->timer_armed[v]);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_ARM, UINT32_MAX), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_CANCEL, UINT32_MAX), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_INJECT_IRQ, UINT32_MAX), 0);
}
END_TEST

/* TIME-040: a vector below 32, a reserved vector bit, or a period below
 * HCABI_TIMER_MIN_PERIOD: INVALID_PARAM, and whatever timer was armed
 * (one-shot: _i even; periodic: _i odd) is left as it was. Every bad case
 * is tried with both kinds, so the table is walked twice. */
static const struct periodic_case bad_periodic[] = {
    /* vector classes, valid period */
    {1000, HCABI_TIMER_MIN_PERIOD, 0},
    {1000, HCABI_TIMER_MIN_PERIOD, 1},
    {1000, HCABI_TIMER_MIN_PERIOD, 31},
    {1000, HCABI_TIMER_MIN_PERIOD, 0x100 | 0x40},
    {1000, HCABI_TIMER_MIN_PERIOD, 0x200 | 0x40},
    {1000, HCABI_TIMER_MIN_PERIOD, (1ull << 63) | 0x40},
    {1000, HCABI_TIMER_MIN_PERIOD, ~0ull},
    {1000, HCABI_TIMER_MIN_PERIOD, 0xFFFFFFFF00000040ull},
    /* period classes, valid vector */
    {1000, 0, 0x40},
    {1000, 1, 0x40},
    {1000, HCABI_TIMER_MIN_PERIOD - 1, 0x40},
    {0, HCABI_TIMER_MIN_PERIOD / 2, 255},
    {~0ull, 0, 32},
    /* both wrong */
    {1000, 0, 0},
    {1000, HCABI_TIMER_MIN_PERIOD - 1, 0x1FF},
};
#define NBAD_PERIODIC ((int)(sizeof(bad_periodic) / sizeof(bad_periodic[0])))
START_TEST(set_periodic_bad)
{
	const struct periodic_case *c = &bad_periodic[_i / 2];
	bool periodic_before = _i % 2;
	struct hcabi_ref_ret r;

	if (periodic_before)
		r = CALL(1, HCABI_FID_TIME_SET_PERIODIC, 7000, 3 * HCABI_TIMER_MIN_PERIOD, 0x50);
	else
		r = CALL(1, HCABI_FID_TIME_SET_TIMER, 7000, 0x50);
	CK_OK(r, 0);
	fake_clear(hx.fake);
	r = CALL(1, HCABI_FID_TIME_SET_PERIODIC, c->first, c->period, c->vector);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	/* no effect of any kind: the armed timer is unchanged */
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
	ck_assert(hx.fake->timer_armed[1]);
	ck_assert_uint_eq(hx.fake->timer_deadline[1], 7000);
	ck_assert_uint_eq(hx.fake->timer_vector[1], 0x50);
	ck_assert_uint_eq(hx.fake->timer_period[1],
			  periodic_before ? 3 * HCABI_TIMER_MIN_PERIOD : 0);
	r = CALL(1, HCABI_FID_TIME_CANCEL_TIMER);
	CK_OK(r, 1);
}
END_TEST

/* TIME-042: one timer per vCPU: SET_TIMER and SET_PERIODIC replace each
 * other and SET_PERIODIC replaces itself; CANCEL_TIMER returns 1 while the
 * timer is periodic, and 0 once it is cancelled. */
START_TEST(set_periodic_replaces)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TIME_SET_TIMER, 9000, 0x60);
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_TIME_SET_PERIODIC, 10000, HCABI_TIMER_MIN_PERIOD, 0x61);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->timer_deadline[0], 10000);
	ck_assert_uint_eq(hx.fake->timer_period[0], HCABI_TIMER_MIN_PERIOD);
	ck_assert_uint_eq(hx.fake->timer_vector[0], 0x61);
	r = CALL(0, HCABI_FID_TIME_SET_PERIODIC, 20000, 2 * HCABI_TIMER_MIN_PERIOD, 0x62);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->timer_deadline[0], 20000);
	ck_assert_uint_eq(hx.fake->timer_period[0], 2 * HCABI_TIMER_MIN_PERIOD);
	ck_assert_uint_eq(hx.fake->timer_vector[0], 0x62);
	r = CALL(0, HCABI_FID_TIME_SET_TIMER, 30000, 0x63);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->timer_period[0], 0);
	ck_assert_uint_eq(hx.fake->timer_vector[0], 0x63);
	/* the order of the platform calls is the order of the hypercalls */
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_ARM, 0), 2);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_ARM_PERIODIC, 0), 2);

	r = CALL(0, HCABI_FID_TIME_SET_PERIODIC, 0, HCABI_TIMER_MIN_PERIOD, 0x64);
	CK_OK(r, 0);
	cancel_armed(0);
}
END_TEST

/* TIME-042: VCPU.STOP cancels the stopping vCPU's periodic timer. */
START_TEST(set_periodic_stop_cancels)
{
	struct hcabi_ref_ret r;
	hx_start(0, 3);
	r = CALL(3, HCABI_FID_TIME_SET_PERIODIC, 0, HCABI_TIMER_MIN_PERIOD, 0x70);
	CK_OK(r, 0);
	ck_assert(hx.fake->timer_armed[3]);
	fake_clear(hx.fake);
	r = CALL(3, HCABI_FID_VCPU_STOP);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_STOP_VCPU);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_CANCEL, 3), 1);
	ck_assert(!hx.fake->timer_armed[3]);
	ck_assert(!hx.fake->timer_period[3]);
}
END_TEST

/* A host periodic-timer failure: FAILED from 1.2 (STATUS-005; before,
 * INVALID_PARAM), and an internal bug counted. */
START_TEST(set_periodic_host_failure)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx.fake->fail_timer_arm_periodic = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_TIME_SET_PERIODIC, 1, HCABI_TIMER_MIN_PERIOD, 40);
	CK_STATUS(r, HCABI_ERR_FAILED);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0); /* FAILED is permitted from 1.2 */
	ck_assert_uint_eq(st.host_errors, 1);
}
END_TEST

/* X86-003 for SET_PERIODIC: registers beyond its three arguments are
 * ignored, and it is an ordinary batchable function (BATCH entries behave
 * as direct calls). */
START_TEST(set_periodic_extra_args)
{
	struct hcabi_ref_ret r = CALL(1, HCABI_FID_TIME_SET_PERIODIC, 100, HCABI_TIMER_MIN_PERIOD,
				      0x45, ~0ull, ~0ull, ~0ull);
	const struct fake_event *e;
	CK_OK(r, 0);
	e = hx_last(FOP_TIMER_ARM_PERIODIC);
	ck_assert_uint_eq(e->a, 100);
	ck_assert_uint_eq(e->b, HCABI_TIMER_MIN_PERIOD);
	ck_assert_uint_eq(e->c, 0x45);
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
	tc = hx_tcase(s, "periodic", 10);
	tcase_add_loop_test(tc, set_periodic_good, 0,
			    (int)(sizeof(good_periodic) / sizeof(good_periodic[0])));
	tcase_add_loop_test(tc, set_periodic_bad, 0, 2 * NBAD_PERIODIC);
	tcase_add_test(tc, set_periodic_replaces);
	tcase_add_test(tc, set_periodic_stop_cancels);
	tcase_add_test(tc, set_periodic_host_failure);
	tcase_add_test(tc, set_periodic_extra_args);
	tc = hx_tcase(s, "concurrency", 30);
	tcase_add_test(tc, monotonic_concurrent);
	return s;
}

int main(void)
{
	return hx_run(time_suite());
}
