/* SPDX-License-Identifier: MIT */
/*
 * tsan_stress.c - the core's dispatcher under many threads at once, built
 * with ThreadSanitizer (CTest: hcabi_ref.tsan_stress).
 *
 * One thread per vCPU calls hcabi_ref_dispatch() for its own vCPU, as a
 * VMM's vCPU threads do (dispatch for one vCPU index is never concurrent;
 * every index at once is the norm). The fake platform (fake_platform.c,
 * itself locked) stands in for the VMM.
 *
 *  - vCPUs 0 .. H-1 ("hammers") run the whole time: IPI.SEND to random
 *    subsets and all_but_self, KICK (of running and of stopped vCPUs),
 *    BLOCK with short timeouts (the fake jumps its clock to the deadline, or
 *    a kick ends it), GET_STATUS, START of the pool vCPUs (several hammers
 *    may race to start the same one: exactly one wins), TIME.SET_TIMER and
 *    CANCEL_TIMER, STEAL.SET_SHMEM (on and off: the record is written at
 *    every call's return), TLB.FLUSH, GET_MONOTONIC (never decreasing on a
 *    thread), and BATCH.EXECUTE tables of mixed entries;
 *  - vCPUs H .. N-1 (the "pool") each have a thread that waits for its
 *    vCPU to be started (the fake's vcpu_start hook), makes a few calls,
 *    then VCPU.STOP (action STOP_VCPU), over and over.
 *
 * It checks what holds whatever the interleaving: each status is one the
 * function permits and consistent with what the thread knows (a hammer is
 * never STOPPED; a START that succeeded was the only one of its target);
 * RDX is 0 on errors; the clock never goes back; the core counted no
 * internal bug (a status it had to replace) and no host error. ThreadSanitizer
 * checks the rest: a data race, a lock-order inversion or a use of freed
 * memory in the core ends the run with status 66. Exit 0 on success,
 * 1 on a failed check.
 *
 *   tsan_stress [ITERATIONS_PER_THREAD]     (default 20000)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_platform.h"
#include "hcabi_ref.h"

#define NVCPU 8u
#define NHAM 6u
#define VEC 0x40u
#define BS_GPA(v) (0x10000ull + 0x100ull * (v))  /* boot states */
#define STEAL_GPA(v) (0x20000ull + 0x40ull * (v)) /* steal records */
#define TABLE_GPA(v) (0x40000ull + 0x1400ull * (v)) /* batch tables (64 x 72 bytes) */
#define PAGE_TABLE 0x80000ull			  /* a "cr3" inside RAM */

static struct fake fake;
static struct hcabi_ref *ref;
static unsigned long iterations = 20000;
static atomic_ulong failures;
static atomic_int done_hammers;
static atomic_uint starts[NVCPU];   /* bumped by the fake's vcpu_start (during_start) */
static atomic_uint stopped[NVCPU];  /* bumped by the pool thread after its STOP */
static atomic_ulong n_calls, n_starts, n_start_races, n_batches;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;
	if (atomic_fetch_add(&failures, 1) >= 20)
		return;
	va_start(ap, fmt);
	fputs("tsan_stress: FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static struct hcabi_ref_ret call(uint32_t vcpu, uint64_t fid, uint64_t a0, uint64_t a1,
				 uint64_t a2, uint64_t a3)
{
	struct hcabi_ref_call c;
	struct hcabi_ref_ret r;
	memset(&c, 0, sizeof(c));
	c.function_id = fid;
	c.args[0] = a0;
	c.args[1] = a1;
	c.args[2] = a2;
	c.args[3] = a3;
	hcabi_ref_dispatch(ref, vcpu, &c, &r);
	atomic_fetch_add_explicit(&n_calls, 1, memory_order_relaxed);
	if (r.status != HCABI_SUCCESS && r.value != 0)
		failf("vCPU %u: function 0x%" PRIx64 " returned status %" PRId64
		      " with RDX 0x%" PRIx64 " (X86-005)",
		      vcpu, fid, r.status, r.value);
	if (r.action != HCABI_REF_ACTION_RESUME && fid != HCABI_FID_VCPU_STOP)
		failf("vCPU %u: function 0x%" PRIx64 " returned action %d", vcpu, fid,
		      (int)r.action);
	return r;
}

static void expect(struct hcabi_ref_ret r, int64_t status, uint32_t vcpu, const char *what)
{
	if (r.status != status)
		failf("vCPU %u: %s: status %" PRId64 ", expected %" PRId64, vcpu, what, r.status,
		      status);
}

static void put_boot_state(uint32_t target)
{
	uint8_t b[64];
	uint64_t rip = 0x100000, rsp = 0x9000, arg = target;
	memset(b, 0, sizeof(b));
	memcpy(b + 0, &rip, 8);
	memcpy(b + 8, &rsp, 8);
	{
		uint64_t cr3 = PAGE_TABLE;
		memcpy(b + 16, &cr3, 8);
	}
	memcpy(b + 24, &arg, 8);
	b[52] = 0x08; /* cs */
	b[54] = 0x10; /* ds */
	fake_put(&fake, BS_GPA(target), b, sizeof(b));
}

static void during_start(struct fake *f, uint32_t vcpu)
{
	(void)f;
	atomic_fetch_add(&starts[vcpu], 1);
}

/* A BATCH table of mixed entries; returns the count. */
static unsigned build_batch(uint32_t me, uint64_t *rng)
{
	struct hcabi_batch_entry t[HCABI_BATCH_MAX_ENTRIES];
	unsigned n = 1 + (unsigned)(rnd(rng) % HCABI_BATCH_MAX_ENTRIES);
	memset(t, 0, sizeof(t));
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (unsigned)(rnd(rng) % 8);
		uint32_t target = (uint32_t)(rnd(rng) % NVCPU);
		switch (k) {
		case 0:
			t[i].function_id = HCABI_FID_BASE_GET_SPEC_VERSION;
			break;
		case 1:
			t[i].function_id = HCABI_FID_TIME_GET_MONOTONIC;
			break;
		case 2:
			t[i].function_id = HCABI_FID_VCPU_GET_STATUS;
			t[i].args[0] = target;
			break;
		case 3:
			t[i].function_id = HCABI_FID_IPI_SEND;
			t[i].args[0] = rnd(rng) & ((1u << NHAM) - 1);
			t[i].args[2] = VEC + me;
			break;
		case 4: /* a hammer: SUCCESS; the batch goes on */
			t[i].function_id = HCABI_FID_VCPU_KICK;
			t[i].args[0] = target % NHAM;
			break;
		case 5:
			t[i].function_id = HCABI_FID_TIME_SET_TIMER;
			t[i].args[0] = rnd(rng) % 5000000;
			t[i].args[1] = 0x90;
			break;
		case 6:
			t[i].function_id = HCABI_FID_VCPU_YIELD;
			t[i].args[0] = HCABI_VCPU_ANY;
			break;
		default: /* DENIED: the batch stops here */
			t[i].function_id = (rnd(rng) & 1) ? HCABI_FID_VCPU_BLOCK : HCABI_FID_BATCH_EXECUTE;
			break;
		}
	}
	fake_put(&fake, TABLE_GPA(me), t, n * sizeof(t[0]));
	return n;
}

static void *hammer(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;
	uint64_t rng = 0x9E3779B97F4A7C15ull * (me + 1), last_mono = 0;
	struct hcabi_ref_ret r;

	for (unsigned long it = 0; it < iterations; it++) {
		unsigned op = (unsigned)(rnd(&rng) % 13);
		uint32_t t = (uint32_t)(rnd(&rng) % NVCPU);
		switch (op) {
		case 0:
			r = call(me, HCABI_FID_IPI_SEND, rnd(&rng) & ((1u << NVCPU) - 1), 0, VEC + me,
				 0);
			expect(r, HCABI_SUCCESS, me, "IPI.SEND");
			break;
		case 1:
			r = call(me, HCABI_FID_IPI_SEND, 0, 0,
				 HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK | (VEC + me), 0);
			expect(r, HCABI_SUCCESS, me, "IPI.SEND all_but_self");
			break;
		case 2:
			r = call(me, HCABI_FID_VCPU_KICK, t, 0, 0, 0);
			if (t < NHAM)
				expect(r, HCABI_SUCCESS, me, "KICK of a hammer");
			else if (r.status != HCABI_SUCCESS && r.status != HCABI_ERR_INVALID_STATE)
				failf("KICK of pool vCPU %u: status %" PRId64, t, r.status);
			break;
		case 3:
			r = call(me, HCABI_FID_VCPU_BLOCK, rnd(&rng) % 100000, 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "BLOCK");
			break;
		case 4:
			r = call(me, HCABI_FID_VCPU_GET_STATUS, t, 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "GET_STATUS");
			if (t < NHAM && r.value == HCABI_VCPU_STATUS_STOPPED)
				failf("GET_STATUS says hammer %u is STOPPED", t);
			break;
		case 5:
			if (t >= NHAM) {
				unsigned before = atomic_load(&starts[t]);
				r = call(me, HCABI_FID_VCPU_START, t, BS_GPA(t), 0, 0);
				if (r.status == HCABI_SUCCESS) {
					atomic_fetch_add(&n_starts, 1);
					if (atomic_load(&starts[t]) == before)
						failf("START(%u) succeeded without vcpu_start", t);
				} else if (r.status == HCABI_ERR_ALREADY_STARTED) {
					atomic_fetch_add(&n_start_races, 1);
				} else {
					failf("START(%u): status %" PRId64, t, r.status);
				}
			} else {
				r = call(me, HCABI_FID_VCPU_START, t, BS_GPA(t), 0, 0);
				expect(r, HCABI_ERR_ALREADY_STARTED, me, "START of a hammer");
			}
			break;
		case 6:
			r = call(me, HCABI_FID_TIME_SET_TIMER, rnd(&rng) % 10000000, 0x90, 0, 0);
			expect(r, HCABI_SUCCESS, me, "SET_TIMER");
			if (rnd(&rng) & 1)
				expect(call(me, HCABI_FID_TIME_CANCEL_TIMER, 0, 0, 0, 0), HCABI_SUCCESS,
				       me, "CANCEL_TIMER");
			break;
		case 7:
			r = call(me, HCABI_FID_STEAL_SET_SHMEM,
				 (rnd(&rng) & 1) ? STEAL_GPA(me) : HCABI_STEAL_DISABLE, 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "STEAL.SET_SHMEM");
			break;
		case 8:
			r = call(me, HCABI_FID_TLB_FLUSH, rnd(&rng) & ((1u << NVCPU) - 1), 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "TLB.FLUSH");
			break;
		case 9:
			r = call(me, HCABI_FID_TIME_GET_MONOTONIC, 0, 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "GET_MONOTONIC");
			if (r.value < last_mono)
				failf("vCPU %u: GET_MONOTONIC went back from %" PRIu64 " to %" PRIu64,
				      me, last_mono, r.value);
			last_mono = r.value;
			break;
		case 10: {
			unsigned n = build_batch(me, &rng);
			r = call(me, HCABI_FID_BATCH_EXECUTE, TABLE_GPA(me), n, 0, 0);
			expect(r, HCABI_SUCCESS, me, "BATCH.EXECUTE");
			if (r.value < 1 || r.value > n)
				failf("BATCH.EXECUTE of %u entries executed %" PRIu64, n, r.value);
			atomic_fetch_add_explicit(&n_batches, 1, memory_order_relaxed);
			break;
		}
		case 11:
			r = call(me, HCABI_FID_VCPU_YIELD, HCABI_VCPU_ANY, 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "YIELD");
			break;
		default:
			r = call(me, HCABI_FID_BASE_PROBE_FUNCTION, HCABI_FID_IPI_SEND, 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "PROBE_FUNCTION");
			break;
		}
	}
	/* stop the pool threads' next wait from hanging on us */
	atomic_fetch_add(&done_hammers, 1);
	return NULL;
}

static void *pool(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;
	uint64_t rng = 0xC2B2AE3D27D4EB4Full * (me + 1);
	unsigned seen = 0;

	for (;;) {
		struct hcabi_ref_ret r;
		unsigned now;
		/* wait for a START (or for the end) */
		while ((now = atomic_load(&starts[me])) == seen) {
			if (atomic_load(&done_hammers) == (int)NHAM)
				return NULL;
			struct timespec ts = {0, 20000};
			nanosleep(&ts, NULL);
		}
		if (now != seen + 1)
			failf("pool vCPU %u started %u times without stopping", me, now - seen);
		seen = now;
		for (unsigned i = 0; i < 1 + rnd(&rng) % 8; i++) {
			r = call(me, HCABI_FID_IPI_SEND, rnd(&rng) & ((1u << NVCPU) - 1), 0, VEC + me,
				 0);
			expect(r, HCABI_SUCCESS, me, "IPI.SEND (pool)");
			r = call(me, HCABI_FID_VCPU_GET_ID, 0, 0, 0, 0);
			if (r.status != HCABI_SUCCESS || r.value != me)
				failf("pool vCPU %u: GET_ID returned %" PRIu64, me, r.value);
			r = call(me, HCABI_FID_TIME_SET_TIMER, rnd(&rng) % 1000000, 0x90, 0, 0);
			expect(r, HCABI_SUCCESS, me, "SET_TIMER (pool)");
			r = call(me, HCABI_FID_STEAL_SET_SHMEM, STEAL_GPA(me), 0, 0, 0);
			expect(r, HCABI_SUCCESS, me, "SET_SHMEM (pool)");
		}
		r = call(me, HCABI_FID_VCPU_STOP, 0, 0, 0, 0);
		if (r.status != HCABI_SUCCESS || r.action != HCABI_REF_ACTION_STOP_VCPU)
			failf("pool vCPU %u: STOP returned status %" PRId64 " action %d", me, r.status,
			      (int)r.action);
		atomic_fetch_add(&stopped[me], 1);
	}
}

int main(int argc, char **argv)
{
	struct hcabi_ref_config cfg;
	struct hcabi_ref_stats st;
	pthread_t th[NVCPU];
	const char *err = NULL;

	if (argc > 1)
		iterations = strtoul(argv[1], NULL, 0);
	fake_init(&fake, NULL, 0);
	fake.log_enabled = false; /* the counts only: the log is a fixed array */
	fake.during_start = during_start;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vcpu_count = NVCPU;
	cfg.ram = fake.cfg_ram;
	cfg.ram_count = fake.nram;
	cfg.ops = &fake_ops;
	cfg.ctx = &fake;
	ref = hcabi_ref_create(&cfg, &err);
	if (!ref) {
		fprintf(stderr, "tsan_stress: hcabi_ref_create: %s\n", err ? err : "?");
		return 1;
	}
	for (uint32_t v = 1; v < NHAM; v++)
		hcabi_ref_set_vcpu_running(ref, v, true);
	for (uint32_t v = 0; v < NVCPU; v++)
		put_boot_state(v);

	for (uint32_t v = 0; v < NVCPU; v++)
		if (pthread_create(&th[v], NULL, v < NHAM ? hammer : pool, (void *)(uintptr_t)v)) {
			fprintf(stderr, "tsan_stress: pthread_create failed\n");
			return 1;
		}
	for (uint32_t v = 0; v < NVCPU; v++)
		pthread_join(th[v], NULL);

	hcabi_ref_get_stats(ref, &st);
	if (st.internal_bugs)
		failf("the core counted %" PRIu64 " internal bugs (a status it had to replace)",
		      st.internal_bugs);
	if (st.host_errors)
		failf("the core counted %" PRIu64 " host errors", st.host_errors);
	for (uint32_t v = NHAM; v < NVCPU; v++)
		if (atomic_load(&starts[v]) != atomic_load(&stopped[v]) &&
		    atomic_load(&starts[v]) != atomic_load(&stopped[v]) + 1)
			failf("pool vCPU %u: %u starts, %u stops", v, atomic_load(&starts[v]),
			      atomic_load(&stopped[v]));
	printf("tsan_stress: %u threads, %lu iterations each: %lu calls, %lu pool starts "
	       "(%lu lost START races), %lu batches, %lu failures\n",
	       NVCPU, iterations, (unsigned long)atomic_load(&n_calls),
	       (unsigned long)atomic_load(&n_starts), (unsigned long)atomic_load(&n_start_races),
	       (unsigned long)atomic_load(&n_batches), (unsigned long)atomic_load(&failures));
	hcabi_ref_destroy(ref);
	fake_destroy(&fake);
	return atomic_load(&failures) ? 1 : 0;
}
