/* SPDX-License-Identifier: MIT */
/*
 * bench_dispatch.c - the core's own cost per call: hcabi_ref_dispatch() in
 * a loop, in-process, against a minimal platform whose callbacks do
 * nothing but the least each must (memcpy for guest memory, a counter for
 * the clocks). No VM, no KVM: what is measured is libhcabi_ref alone, the
 * part of a hypercall exit that the core adds to a VMM's own work.
 *
 *   hcabi_bench_dispatch [--ms MS] [--rounds R] [--json]
 *
 * Each case runs for about MS milliseconds (default 200) per round, R rounds
 * (default 5); the median of the rounds is printed as ns per call (and per
 * entry for BATCH.EXECUTE). One thread: the cost without contention. The
 * cases: BASE.GET_SPEC_VERSION (the null call), the same with a steal-time
 * record registered (STEAL-003: a record update at every return), an
 * unknown function (NOT_SUPPORTED), TIME.GET_MONOTONIC, VCPU.GET_ID,
 * VCPU.KICK of the caller, IPI.SEND to one vCPU (the platform's inject is a
 * no-op) and BATCH.EXECUTE of 64 GET_SPEC_VERSION entries; then, with a
 * trace hook that does nothing (hcabi_ref_set_trace: the fuzzers' and the
 * tests' way of running), the null call, SYSTEM.CRASH refused in a batch
 * entry (the registry's last function: the longest lookup) and an unknown
 * function.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcabi_ref.h"

#define RAM_SIZE (1u << 20)
#define TABLE_GPA 0x10000u
#define STEAL_GPA 0x20000u
#define DENY_TBL 0x30000u /* one entry: SYSTEM.CRASH, DENIED in a batch */
#define NVCPUS 4u
#define MAX_ROUNDS 31
#define STEAL 1u
#define TRACED 2u

static uint8_t ram[RAM_SIZE];
static uint64_t fake_clock;

static int p_mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return HCABI_REF_PERR_FAULT;
	memcpy(dst, ram + gpa, len);
	return HCABI_REF_POK;
}

static int p_mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	(void)ctx;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return HCABI_REF_PERR_FAULT;
	memcpy(ram + gpa, src, len);
	return HCABI_REF_POK;
}

static int p_mem_release(void *ctx, uint64_t gpa, uint64_t npages)
{
	(void)ctx;
	(void)gpa;
	(void)npages;
	return HCABI_REF_POK;
}

static int p_vcpu_start(void *ctx, uint32_t vcpu, const struct hcabi_vcpu_boot_state *bs)
{
	(void)ctx;
	(void)vcpu;
	(void)bs;
	return HCABI_REF_POK;
}

static int p_vcpu_block(void *ctx, uint32_t vcpu, uint64_t deadline_ns)
{
	(void)ctx;
	(void)vcpu;
	(void)deadline_ns;
	return 1;
}

static int p_vcpu_kick(void *ctx, uint32_t vcpu)
{
	(void)ctx;
	(void)vcpu;
	return HCABI_REF_POK;
}

static void p_vcpu_yield(void *ctx, uint32_t vcpu, uint32_t target)
{
	(void)ctx;
	(void)vcpu;
	(void)target;
}

static int p_inject_irq(void *ctx, uint32_t vcpu, uint8_t vector)
{
	(void)ctx;
	(void)vcpu;
	(void)vector;
	return HCABI_REF_POK;
}

static int p_timer_arm(void *ctx, uint32_t vcpu, uint64_t deadline_ns, uint8_t vector)
{
	(void)ctx;
	(void)vcpu;
	(void)deadline_ns;
	(void)vector;
	return HCABI_REF_POK;
}

static int p_timer_cancel(void *ctx, uint32_t vcpu, bool *was_pending)
{
	(void)ctx;
	(void)vcpu;
	*was_pending = false;
	return HCABI_REF_POK;
}

static int p_timer_arm_periodic(void *ctx, uint32_t vcpu, uint64_t first_ns, uint64_t period_ns,
				uint8_t vector)
{
	(void)ctx;
	(void)vcpu;
	(void)first_ns;
	(void)period_ns;
	(void)vector;
	return HCABI_REF_POK;
}

static int p_tlb_flush(void *ctx, uint32_t vcpu, uint64_t gva, uint64_t npages)
{
	(void)ctx;
	(void)vcpu;
	(void)gva;
	(void)npages;
	return HCABI_REF_POK;
}

static uint64_t p_clock(void *ctx)
{
	(void)ctx;
	return ++fake_clock;
}

static uint64_t p_steal(void *ctx, uint32_t vcpu)
{
	(void)ctx;
	(void)vcpu;
	return fake_clock;
}

static int64_t p_console_write(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	return (int64_t)len;
}

static int64_t p_console_read(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static const struct hcabi_platform_ops ops = {
    .mem_read = p_mem_read,
    .mem_write = p_mem_write,
    .mem_release = p_mem_release,
    .vcpu_start = p_vcpu_start,
    .vcpu_block = p_vcpu_block,
    .vcpu_kick = p_vcpu_kick,
    .vcpu_yield = p_vcpu_yield,
    .inject_irq = p_inject_irq,
    .timer_arm = p_timer_arm,
    .timer_cancel = p_timer_cancel,
    .timer_arm_periodic = p_timer_arm_periodic,
    .tlb_flush = p_tlb_flush,
    .clock_monotonic_ns = p_clock,
    .clock_wall_ns = p_clock,
    .steal_ns = p_steal,
    .console_write = p_console_write,
    .console_read = p_console_read,
};

struct bench_case {
	const char *name;
	uint64_t function_id, args[6];
	unsigned per_call; /* operations per call (BATCH entries) */
	unsigned with;	   /* STEAL: a steal-time record registered; TRACED: a
			    * trace hook (that does nothing) */
	int64_t status;	   /* expected */
};

static void trace_nothing(void *arg, const struct hcabi_ref_trace_event *ev)
{
	(void)arg;
	(void)ev;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void call(struct hcabi_ref *ref, uint64_t fid, const uint64_t args[6],
		 struct hcabi_ref_ret *ret)
{
	struct hcabi_ref_call c;
	c.function_id = fid;
	memcpy(c.args, args, sizeof(c.args));
	c.cpl = 0;
	hcabi_ref_dispatch(ref, 0, &c, ret);
}

/* ps (picoseconds) per operation of one round of about `ms` milliseconds. */
static uint64_t round_ps(struct hcabi_ref *ref, const struct bench_case *bc, unsigned ms)
{
	struct hcabi_ref_ret r;
	uint64_t n = 0, t0 = now_ns(), t1, budget = (uint64_t)ms * 1000000ull;

	do {
		for (unsigned i = 0; i < 1000; i++) {
			call(ref, bc->function_id, bc->args, &r);
			if (r.status != bc->status) {
				fprintf(stderr, "bench_dispatch: %s returned status %lld\n",
					bc->name, (long long)r.status);
				exit(1);
			}
		}
		n += 1000;
		t1 = now_ns();
	} while (t1 - t0 < budget);
	return (t1 - t0) * 1000ull / (n * bc->per_call);
}

int main(int argc, char **argv)
{
	static const struct hcabi_ref_ram_range range = {0, RAM_SIZE};
	const struct bench_case cases[] = {
	    {"null_call", HCABI_FID_BASE_GET_SPEC_VERSION, {0}, 1, 0, HCABI_SUCCESS},
	    {"null_call_steal", HCABI_FID_BASE_GET_SPEC_VERSION, {0}, 1, STEAL, HCABI_SUCCESS},
	    {"unknown_function", 0x00007777u, {0}, 1, 0, HCABI_ERR_NOT_SUPPORTED},
	    {"get_monotonic", HCABI_FID_TIME_GET_MONOTONIC, {0}, 1, 0, HCABI_SUCCESS},
	    {"get_id", HCABI_FID_VCPU_GET_ID, {0}, 1, 0, HCABI_SUCCESS},
	    {"kick_self", HCABI_FID_VCPU_KICK, {0}, 1, 0, HCABI_SUCCESS},
	    {"ipi_send_1", HCABI_FID_IPI_SEND, {1, 1, 0x40}, 1, 0, HCABI_SUCCESS},
	    {"batch64_per_entry", HCABI_FID_BATCH_EXECUTE, {TABLE_GPA, 64}, 64, 0, HCABI_SUCCESS},
	    {"traced_null_call", HCABI_FID_BASE_GET_SPEC_VERSION, {0}, 1, TRACED, HCABI_SUCCESS},
	    {"traced_batch_deny", HCABI_FID_BATCH_EXECUTE, {DENY_TBL, 1}, 1, TRACED, HCABI_SUCCESS},
	    {"traced_unknown", 0x00007777u, {0}, 1, TRACED, HCABI_ERR_NOT_SUPPORTED},
	};
	unsigned ms = 200, rounds = 5;
	bool json = false;
	struct hcabi_ref_config cfg;
	struct hcabi_ref *ref;
	const char *err = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ms") && i + 1 < argc)
			ms = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else {
			fprintf(stderr, "usage: %s [--ms MS] [--rounds R] [--json]\n", argv[0]);
			return 2;
		}
	}
	if (ms < 1)
		ms = 1;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;

	memset(&cfg, 0, sizeof(cfg));
	cfg.vcpu_count = NVCPUS;
	cfg.ram = &range;
	cfg.ram_count = 1;
	cfg.ops = &ops;
	ref = hcabi_ref_create(&cfg, &err);
	if (!ref) {
		fprintf(stderr, "bench_dispatch: hcabi_ref_create: %s\n", err ? err : "?");
		return 1;
	}
	hcabi_ref_set_vcpu_running(ref, 1, true);
	for (unsigned i = 0; i < 64; i++) {
		struct hcabi_batch_entry e;
		memset(&e, 0, sizeof(e));
		e.function_id = HCABI_FID_BASE_GET_SPEC_VERSION;
		memcpy(ram + TABLE_GPA + i * sizeof(e), &e, sizeof(e));
		if (i == 0) {
			e.function_id = HCABI_FID_SYSTEM_CRASH;
			memcpy(ram + DENY_TBL, &e, sizeof(e));
		}
	}

	if (json)
		printf("{\"unit\": \"ns\", \"rounds\": %u, \"ms_per_round\": %u, \"results\": {", rounds,
		       ms);
	else
		printf("bench_dispatch: hcabi_ref_dispatch in-process, one thread, median of %u "
		       "rounds of %u ms\n",
		       rounds, ms);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct bench_case *bc = &cases[k];
		uint64_t ps[MAX_ROUNDS];
		struct hcabi_ref_ret r;
		/* the steal record on or off for this case */
		uint64_t a[6] = {(bc->with & STEAL) ? STEAL_GPA : HCABI_STEAL_DISABLE};
		call(ref, HCABI_FID_STEAL_SET_SHMEM, a, &r);
		hcabi_ref_set_trace(ref, (bc->with & TRACED) ? trace_nothing : NULL, NULL);
		(void)round_ps(ref, bc, ms / 4 + 1); /* warm up */
		for (unsigned i = 0; i < rounds; i++)
			ps[i] = round_ps(ref, bc, ms);
		qsort(ps, rounds, sizeof(ps[0]), cmp_u64);
		if (json)
			printf("%s\"%s\": %llu.%03llu", k ? ", " : "", bc->name,
			       (unsigned long long)(ps[rounds / 2] / 1000),
			       (unsigned long long)(ps[rounds / 2] % 1000));
		else
			printf("bench_dispatch: %-18s %8llu.%03llu ns/%s (min %llu.%03llu)\n", bc->name,
			       (unsigned long long)(ps[rounds / 2] / 1000),
			       (unsigned long long)(ps[rounds / 2] % 1000),
			       bc->per_call > 1 ? "entry" : "call",
			       (unsigned long long)(ps[0] / 1000), (unsigned long long)(ps[0] % 1000));
	}
	if (json)
		printf("}}\n");
	hcabi_ref_destroy(ref);
	return 0;
}
