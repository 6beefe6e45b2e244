/* SPDX-License-Identifier: MIT */
/* check_vcpu_block.c - VCPU: BLOCK and KICK (and the interrupts and STOPs
 * that end a BLOCK), then the concurrency of START, STOP, BLOCK and KICK.
 * Identity, START, STOP, GET_STATUS and YIELD alone: check_vcpu.c. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "harness.h"

/* VCPU-062: timeout 0 returns at once; a timeout ends TIMED_OUT no earlier
 * than the deadline. */
START_TEST(block_timeouts)
{
	struct hcabi_ref_ret r;
	fake_set_mono(hx.fake, 10000);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 0);
	CK_OK(r, HCABI_BLOCK_TIMED_OUT);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_VCPU_BLOCK)->a, 10000);
	ck_assert_uint_eq(hx.fake->mono, 10000);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 5000);
	CK_OK(r, HCABI_BLOCK_TIMED_OUT);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_VCPU_BLOCK)->a, 15000);
	ck_assert_uint_ge(hx.fake->mono, 15000);
	/* saturating: a deadline beyond 2^64 is "no deadline" */
	hx.fake->kick_pending[0] = true;
	r = CALL(0, HCABI_FID_VCPU_BLOCK, ~0ull - 1);
	CK_OK(r, HCABI_BLOCK_WOKEN);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_VCPU_BLOCK)->a, UINT64_MAX);
	hx.fake->kick_pending[0] = true;
	r = CALL(0, HCABI_FID_VCPU_BLOCK, HCABI_BLOCK_FOREVER);
	CK_OK(r, HCABI_BLOCK_WOKEN);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_VCPU_BLOCK)->a, UINT64_MAX);
	ck_assert_uint_eq(hx_vcpu_status(1, 0), HCABI_VCPU_STATUS_RUNNING);
}
END_TEST

/* VCPU-062: a platform returning 0 ("deadline") before the clock reached
 * it never makes BLOCK report TIMED_OUT early: it is a (spurious) wake-up. */
START_TEST(block_early_platform_return)
{
	struct hcabi_ref_ret r;
	fake_set_mono(hx.fake, 100);
	hx.fake->early_timeouts = 1;
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 1000);
	CK_OK(r, HCABI_BLOCK_WOKEN);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_BLOCK, UINT32_MAX), 1);
	ck_assert_uint_eq(hx.fake->mono, 100);
	hx.fake->early_timeouts = 1;
	r = CALL(0, HCABI_FID_VCPU_BLOCK, HCABI_BLOCK_FOREVER);
	CK_OK(r, HCABI_BLOCK_WOKEN);
}
END_TEST

/* A platform that does not tell a kick from a deadline (returns 0 for
 * both) loses no wake-up before the deadline; only BLOCK(0) then cannot
 * report the kick (the vcpu_block contract requires 1 for it). */
START_TEST(block_platform_without_woken)
{
	struct hcabi_ref_ret r;
	hx.fake->kick_returns_zero = true;
	r = CALL(0, HCABI_FID_VCPU_KICK, 0);
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, HCABI_BLOCK_FOREVER);
	CK_OK(r, HCABI_BLOCK_WOKEN);
	r = CALL(0, HCABI_FID_VCPU_KICK, 0);
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 5000);
	CK_OK(r, HCABI_BLOCK_WOKEN);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 5000); /* nothing pending */
	CK_OK(r, HCABI_BLOCK_TIMED_OUT);
}
END_TEST

/* A failed wait ends as a wake-up (spurious wake-ups are harmless). */
START_TEST(block_host_failure)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx.fake->fail_vcpu_block = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_VCPU_BLOCK, HCABI_BLOCK_FOREVER);
	CK_OK(r, HCABI_BLOCK_WOKEN);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.host_errors, 1);
	ck_assert_uint_eq(st.internal_bugs, 0);
}
END_TEST

/* VCPU-061, VCPU-070: a kick of a running vCPU is remembered, once; even
 * BLOCK with timeout 0 consumes it. */
START_TEST(kick_remembered)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_VCPU_KICK, 0); /* itself */
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_VCPU_KICK, 0);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_KICK, 0), 2);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 0);
	CK_OK(r, HCABI_BLOCK_WOKEN);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 0);
	CK_OK(r, HCABI_BLOCK_TIMED_OUT);
	/* a kick from another vCPU */
	hx_start(0, 2);
	r = CALL(2, HCABI_FID_VCPU_KICK, 0);
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, 1000000);
	CK_OK(r, HCABI_BLOCK_WOKEN);
}
END_TEST

/* VCPU-060: an interrupt (IPI) ends BLOCK too. */
START_TEST(irq_wakes_block)
{
	struct hcabi_ref_ret r;
	hx_start(0, 1);
	r = CALL(1, HCABI_FID_IPI_SEND, 1, 0, 0x40);
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_VCPU_BLOCK, HCABI_BLOCK_FOREVER);
	CK_OK(r, HCABI_BLOCK_WOKEN);
}
END_TEST

/* A vCPU inside BLOCK(forever), in a thread of its own. */
struct blocked {
	pthread_t t;
	uint32_t vcpu;
	struct hcabi_ref_ret ret;
};
static void *blocker(void *arg)
{
	struct blocked *b = arg;
	b->ret = RAW(b->vcpu, HCABI_FID_VCPU_BLOCK, HCABI_BLOCK_FOREVER);
	return NULL;
}
/* Start it, and wait until the platform has it blocked. */
static void block_in_thread(struct blocked *b, uint32_t vcpu)
{
	b->vcpu = vcpu;
	ck_assert_int_eq(pthread_create(&b->t, NULL, blocker, b), 0);
	ck_assert(fake_wait_blocked(hx.fake, vcpu));
}

/* VCPU-063: BLOCKED while inside; KICK ends it (VCPU-060). */
START_TEST(blocked_state_and_kick)
{
	struct blocked b;
	struct hcabi_ref_ret r;
	hx_start(0, 1);
	block_in_thread(&b, 1);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_BLOCKED);
	r = CALL(0, HCABI_FID_VCPU_KICK, 1);
	CK_OK(r, 0);
	pthread_join(b.t, NULL);
	CK_OK(b.ret, HCABI_BLOCK_WOKEN);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_RUNNING);
}
END_TEST

/* VCPU-031: a blocked vCPU counts as not stopped. */
START_TEST(stop_with_other_blocked)
{
	struct blocked b;
	struct hcabi_ref_ret r;
	hx_start(0, 1);
	block_in_thread(&b, 0);
	r = CALL(1, HCABI_FID_VCPU_STOP);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_STOP_VCPU);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_STOPPED);
	ck_assert_int_eq(fake_ops.vcpu_kick(hx.fake, 0), HCABI_REF_POK); /* end the test */
	pthread_join(b.t, NULL);
	CK_OK(b.ret, HCABI_BLOCK_WOKEN);
}
END_TEST

/* ---- concurrency ------------------------------------------------------------- */

/* A platform may run the started vCPU before its vcpu_start() returns; if
 * that vCPU stops (or blocks) at once, its own change must not be lost to
 * the end of the START (found by start_stop_races). */
static struct hcabi_ref_ret early_stop_ret;
static pthread_t early_stop_thread;
static atomic_bool early_stop_started;
static void *early_stop(void *arg)
{
	(void)arg;
	early_stop_ret = RAW(1, HCABI_FID_VCPU_STOP);
	return NULL;
}
static void stop_during_start(struct fake *f, uint32_t vcpu)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	f->during_start = NULL;
	if (vcpu != 1 || pthread_create(&early_stop_thread, NULL, early_stop, NULL) != 0)
		return;
	atomic_store(&early_stop_started, true);
	nanosleep(&ts, NULL); /* the STOP runs (or waits) meanwhile */
}
START_TEST(stop_while_start_completes)
{
	struct hcabi_ref_ret r;
	atomic_store(&early_stop_started, false);
	hx_boot_state(HX_BOOT_STATE, 0x1000, 0x4000, 0);
	hx.fake->during_start = stop_during_start;
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_OK(r, 0);
	ck_assert(atomic_load(&early_stop_started));
	pthread_join(early_stop_thread, NULL);
	ck_assert_int_eq(early_stop_ret.action, HCABI_REF_ACTION_STOP_VCPU);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_STOPPED);
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_OK(r, 0);
}
END_TEST

/* KICK/BLOCK ping-pong between two vCPUs: no wake-up is ever lost (a lost
 * one would hang until the test's timeout), every BLOCK ends WOKEN. */
#define PINGS 2000
static atomic_uint pingpong_bad;
static void *ping(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg, peer = self == 1 ? 2 : 1;
	for (int i = 0; i < PINGS; i++) {
		struct hcabi_ref_ret r;
		if (self == 2) {
			r = RAW(self, HCABI_FID_VCPU_KICK, peer);
			if (r.status != 0)
				atomic_fetch_add(&pingpong_bad, 1);
		}
		r = RAW(self, HCABI_FID_VCPU_BLOCK, HCABI_BLOCK_FOREVER);
		if (r.status != 0 || r.value != HCABI_BLOCK_WOKEN)
			atomic_fetch_add(&pingpong_bad, 1);
		if (self == 1) {
			r = RAW(self, HCABI_FID_VCPU_KICK, peer);
			if (r.status != 0)
				atomic_fetch_add(&pingpong_bad, 1);
		}
	}
	return NULL;
}
START_TEST(kick_block_pingpong)
{
	pthread_t a, b;
	hx.fake->log_enabled = false;
	atomic_store(&pingpong_bad, 0);
	hx_start(0, 1);
	hx_start(0, 2);
	ck_assert_int_eq(pthread_create(&a, NULL, ping, (void *)(uintptr_t)1), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, ping, (void *)(uintptr_t)2), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	unsigned bad = atomic_load(&pingpong_bad);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/* START/STOP races: every vCPU repeatedly starts the others and stops
 * itself; the VMM side parks a stopped vCPU until the platform's vcpu_start
 * names it. Invariants: never every vCPU stopped (VCPU-031); each STOP is
 * matched by at most one START (VCPU-023: no double start); every START
 * that returned SUCCESS reached the platform exactly once. */
#define RACERS 4
#define ROUNDS 300
static atomic_uint stops[RACERS], starts_ok[RACERS], race_bad, finished;
static atomic_uint denied;
/* under hx.fake->lock */
static bool in_park[RACERS];
static unsigned consumed[RACERS];
static atomic_bool race_abort;

/* The VMM's side of a stopped vCPU: wait until the platform's vcpu_start
 * names it. */
static void park(uint32_t self)
{
	struct fake *f = hx.fake;
	unsigned waiting = 0;

	pthread_mutex_lock(&f->lock);
	in_park[self] = true;
	for (unsigned i = 0; i < RACERS; i++)
		waiting += in_park[i] && f->start_count[i] <= consumed[i];
	if (waiting == RACERS) {
		/* every vCPU stopped (VCPU-031 broken): give up */
		atomic_fetch_add(&race_bad, 1);
		atomic_store(&race_abort, true);
		pthread_cond_broadcast(&f->cv);
	}
	while (f->start_count[self] <= consumed[self] && !race_abort) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&f->cv, &f->lock, &ts);
	}
	if (f->start_count[self] > consumed[self])
		consumed[self]++;
	if (f->start_count[self] > consumed[self])
		atomic_fetch_add(&race_bad, 1); /* started twice for one stop */
	in_park[self] = false;
	pthread_mutex_unlock(&f->lock);
}

static void start_others(uint32_t self)
{
	for (uint32_t j = 0; j < RACERS; j++) {
		struct hcabi_ref_ret r;
		if (j == self)
			continue;
		r = RAW(self, HCABI_FID_VCPU_START, j, 0x8000);
		if (r.status == 0)
			atomic_fetch_add(&starts_ok[j], 1);
		else if (r.status != HCABI_ERR_ALREADY_STARTED)
			atomic_fetch_add(&race_bad, 1);
	}
}

static void *racer(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg;
	for (int i = 0; i < ROUNDS && !race_abort; i++) {
		struct hcabi_ref_ret r;
		start_others(self);
		r = RAW(self, HCABI_FID_VCPU_STOP);
		if (r.action == HCABI_REF_ACTION_STOP_VCPU) {
			atomic_fetch_add(&stops[self], 1);
			park(self);
		} else if (r.status == HCABI_ERR_DENIED) {
			atomic_fetch_add(&denied, 1);
		} else {
			atomic_fetch_add(&race_bad, 1);
		}
	}
	atomic_fetch_add(&finished, 1);
	/* keep the others going until all are done */
	while (atomic_load(&finished) < RACERS && !race_abort) {
		start_others(self);
		pthread_mutex_lock(&hx.fake->lock);
		pthread_cond_broadcast(&hx.fake->cv);
		pthread_mutex_unlock(&hx.fake->lock);
	}
	return NULL;
}

START_TEST(start_stop_races)
{
	pthread_t t[RACERS];
	hx.fake->log_enabled = false;
	hx_boot_state(0x8000, 0x1000, 0x4000, 0);
	for (int i = 0; i < RACERS; i++) {
		atomic_store(&stops[i], 0);
		atomic_store(&starts_ok[i], 0);
	}
	memset(in_park, 0, sizeof(in_park));
	memset(consumed, 0, sizeof(consumed));
	atomic_store(&race_abort, false);
	atomic_store(&race_bad, 0);
	atomic_store(&finished, 0);
	atomic_store(&denied, 0);
	/* the fixture's vCPUs 1..3 start stopped: their threads park first */
	for (uint32_t v = 1; v < RACERS; v++)
		hcabi_ref_set_vcpu_running(hx.ref, v, true);
	for (uintptr_t i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer, (void *)i), 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	unsigned bad = atomic_load(&race_bad);
	ck_assert_uint_eq(bad, 0);
	for (int i = 0; i < RACERS; i++) {
		unsigned s = atomic_load(&stops[i]), ok = atomic_load(&starts_ok[i]);
		ck_assert_uint_eq(hx.fake->start_count[i], ok);
		/* a parked thread leaves only when started: one START per STOP */
		ck_assert_uint_eq(ok, s);
	}
	/* the core's view at the end agrees: at least one vCPU is not stopped */
	unsigned running = 0;
	for (uint32_t v = 0; v < RACERS; v++)
		running += hx_vcpu_status(0, v) != HCABI_VCPU_STATUS_STOPPED;
	ck_assert_uint_ge(running, 1);
}
END_TEST

static Suite *vcpu_block_suite(void)
{
	Suite *s = suite_create("vcpu_block");
	TCase *tc = hx_tcase(s, "block_kick", 10);
	tcase_add_test(tc, block_timeouts);
	tcase_add_test(tc, block_early_platform_return);
	tcase_add_test(tc, block_platform_without_woken);
	tcase_add_test(tc, block_host_failure);
	tcase_add_test(tc, kick_remembered);
	tcase_add_test(tc, irq_wakes_block);
	tcase_add_test(tc, blocked_state_and_kick);
	tcase_add_test(tc, stop_with_other_blocked);
	tc = hx_tcase(s, "concurrency", 60);
	tcase_add_test(tc, stop_while_start_completes);
	tcase_add_test(tc, kick_block_pingpong);
	tcase_add_test(tc, start_stop_races);
	return s;
}

int main(void)
{
	return hx_run(vcpu_block_suite());
}
