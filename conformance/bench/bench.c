/* SPDX-License-Identifier: MIT */
/*
 * bench.c - hcabi-bench: what an HCABI call costs, measured from the guest
 * (not a conformance test: no verdict about the hypervisor; run by
 * `cmake --build BUILD --target bench` for x86-64 and `--target bench-arm64`
 * for arm64, docs/performance.md).
 *
 * On one vCPU, in R rounds (interleaved, so that a slow phase of the host
 * hits every kind alike), each of N iterations:
 *
 *   BARE         the architecture's bare exit (bench_arch.h): an exit to the
 *                VMM's userspace that the VMM ignores -- the bare cost of a
 *                round trip from the guest to userspace and back. x86-64:
 *                `outb` to an unused port (0x80 by default), named out_port;
 *                arm64: an MMIO write refvmm drops, named mmio_write;
 *   null_call    BASE.GET_SPEC_VERSION (VMCALL, HVC): the same round trip
 *                plus the VMM's hypercall path (register reads and writes,
 *                the core's dispatch);
 *   batch64      one BATCH.EXECUTE of 64 BASE.GET_SPEC_VERSION entries (per
 *                call: the time / 64);
 *   separate64   64 separate BASE.GET_SPEC_VERSION calls (per call: the
 *                time / 64);
 *   KERNEL       an exit the hypervisor's kernel answers itself, no
 *                userspace (a reference point): x86-64 CPUID leaf 0, named
 *                cpuid; arm64 HVC SMCCC_VERSION, named smccc_version;
 *   get_mono     TIME.GET_MONOTONIC.
 *
 * Times come from TIME.GET_MONOTONIC (ns) read around each batch of N
 * iterations (two extra calls per N, noted in the output), and the
 * architecture's counter (x86-64 TSC cycles, arm64 generic-timer ticks).
 * Per kind the median, the fastest and the slowest of the R rounds are
 * reported (the spread: these machines are shared, and one figure alone
 * hides how much other work moved it); ratios are printed in thousandths, of
 * the medians (no floating point in the guest):
 *
 *   hcabi-bench: result name=NAME ns_per_op=X ns_min=Y ns_max=W cycles_per_op=Z iters=N rounds=R
 *   hcabi-bench: ratio name=null_call/BARE milli=M
 *   hcabi-bench: ratio name=batch64/separate64 milli=M
 *   hcabi-bench: done
 *
 * Command line: iters=N (default 2000), rounds=R (default 7, at most 15),
 * and the architecture's (x86-64: port=P, default 128, i.e. 0x80). Ends
 * through hcabi_exit: 0 when every call returned what it must, 1 when one
 * did not (x86-64: isa-debug-exit, VMM status 1 or 3; arm64:
 * SYSTEM.SHUTDOWN with that code, VMM status 0 either way, so the
 * `done` line is what says it finished).
 */
#include "bench_arch.h"
#include "hcabi_guest.h"
#include "hcabi_ram.h"

#define MAX_ROUNDS 15u
#define BATCH_N 64u

enum kind { K_BARE, K_NULL, K_BATCH, K_SEP, K_KERNEL, K_MONO, K__N };
static const char *const kind_name[K__N] = {hcabi__bench_exit_name, "null_call", "batch64",
					    "separate64", hcabi__bench_kernel_name, "get_mono"};

static uint64_t iters = 2000, rounds = 7;
static struct hcabi_batch_entry table[BATCH_N] __attribute__((aligned(64)));
static uint64_t ns[K__N][MAX_ROUNDS], cyc[K__N][MAX_ROUNDS];
static volatile uint64_t sink;
static bool failed;

static void parse_cmdline(void)
{
	uint64_t v;

	if (hcabi_parse_u64(hcabi_cmdline_value("iters"), &v) && v >= 10 && v <= 100000000)
		iters = v;
	if (hcabi_parse_u64(hcabi_cmdline_value("rounds"), &v) && v >= 1 && v <= MAX_ROUNDS)
		rounds = v;
}

static void check(struct hcabi_ret r, uint64_t value, const char *what)
{
	if (r.status != HCABI_SUCCESS || r.value != value) {
		if (!failed)
			hcabi_printf("hcabi-bench: %s: status %lld value 0x%llx", what,
				     (long long)r.status, (unsigned long long)r.value);
		failed = true;
	}
}

/* One timed run of `n` iterations of kind k; the cost of the two clock
 * reads is included (it is 2 calls per n). */
static void run_kind(enum kind k, uint64_t n, uint64_t *out_ns, uint64_t *out_cyc)
{
	uint64_t t0, t1, c0, c1, spec = hcabi_disc.spec;
	struct hcabi_ret r;

	t0 = hcabi_now_ns();
	c0 = hcabi__bench_ticks();
	switch (k) {
	case K_BARE:
		hcabi__bench_bare_exits(n);
		break;
	case K_NULL:
		for (uint64_t i = 0; i < n; i++) {
			r = hcabi_call0(HCABI_FID_BASE_GET_SPEC_VERSION);
			if (r.value != spec)
				check(r, spec, "GET_SPEC_VERSION");
		}
		break;
	case K_BATCH:
		for (uint64_t i = 0; i < n; i++) {
			r = hcabi_batch_execute(hcabi_gpa(table), BATCH_N);
			if (r.value != BATCH_N)
				check(r, BATCH_N, "BATCH.EXECUTE of 64 entries");
		}
		break;
	case K_SEP:
		for (uint64_t i = 0; i < n; i++)
			for (unsigned j = 0; j < BATCH_N; j++) {
				r = hcabi_call0(HCABI_FID_BASE_GET_SPEC_VERSION);
				if (r.value != spec)
					check(r, spec, "GET_SPEC_VERSION");
			}
		break;
	case K_KERNEL:
		sink += hcabi__bench_kernel_exits(n);
		break;
	case K_MONO:
		for (uint64_t i = 0; i < n; i++)
			sink += hcabi_time_get_monotonic().value;
		break;
	default:
		break;
	}
	c1 = hcabi__bench_ticks();
	t1 = hcabi_now_ns();
	*out_ns = t1 - t0;
	*out_cyc = c1 - c0;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	uint64_t s[MAX_ROUNDS];
	memcpy(s, v, n * sizeof(*v));
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && s[j - 1] > s[j]; j--) {
			uint64_t t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static uint64_t minimum(const uint64_t *v, unsigned n)
{
	uint64_t m = v[0];
	for (unsigned i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static uint64_t maximum(const uint64_t *v, unsigned n)
{
	uint64_t m = v[0];
	for (unsigned i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* Iterations of kind k per round, and operations per iteration. */
static uint64_t kind_iters(enum kind k)
{
	if (k == K_BATCH)
		return iters / 8 ? iters / 8 : 1;
	if (k == K_SEP)
		return iters / 64 ? iters / 64 : 1;
	return iters;
}

static uint64_t kind_ops(enum kind k)
{
	return (k == K_BATCH || k == K_SEP) ? kind_iters(k) * BATCH_N : kind_iters(k);
}

void hcabi_main(void)
{
	uint64_t per[K__N];

	hcabi_printf("hcabi-bench: starting");
	hcabi_hello("bench");
	hcabi_run_discovery();
	parse_cmdline();
	if (!hcabi_disc.present || !hcabi_has_ext(HCABI_EID_TIME) ||
	    !hcabi_has_ext(HCABI_EID_BATCH)) {
		hcabi_printf("hcabi-bench: FAIL: HCABI with TIME and BATCH is needed");
		hcabi_exit(1);
	}
	for (unsigned i = 0; i < BATCH_N; i++) {
		memset(&table[i], 0, sizeof(table[i]));
		table[i].function_id = HCABI_FID_BASE_GET_SPEC_VERSION;
	}
	hcabi_printf("hcabi-bench: iters=%llu rounds=%llu (per round: %llu batches of 64, %llu x 64 "
		     "separate calls)",
		     (unsigned long long)iters, (unsigned long long)rounds,
		     (unsigned long long)kind_iters(K_BATCH), (unsigned long long)kind_iters(K_SEP));
	if (!hcabi__bench_arch_setup()) {
		hcabi_printf("hcabi-bench: FAIL: the kernel exit (%s) is not answered by the hypervisor",
			     hcabi__bench_kernel_name);
		hcabi_exit(1);
	}
	/* warm up: fault in the pages, let the VMCALL be rewritten if needed */
	for (unsigned k = 0; k < K__N; k++)
		run_kind((enum kind)k, 16, &ns[k][0], &cyc[k][0]);
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned k = 0; k < K__N; k++)
			run_kind((enum kind)k, kind_iters((enum kind)k), &ns[k][r], &cyc[k][r]);
	for (unsigned k = 0; k < K__N; k++) {
		uint64_t ops = kind_ops((enum kind)k);
		per[k] = median(ns[k], (unsigned)rounds) / ops;
		hcabi_printf("hcabi-bench: result name=%s ns_per_op=%llu ns_min=%llu ns_max=%llu "
			     "cycles_per_op=%llu iters=%llu rounds=%llu",
			     kind_name[k], (unsigned long long)per[k],
			     (unsigned long long)(minimum(ns[k], (unsigned)rounds) / ops),
			     (unsigned long long)(maximum(ns[k], (unsigned)rounds) / ops),
			     (unsigned long long)(median(cyc[k], (unsigned)rounds) / ops),
			     (unsigned long long)ops, (unsigned long long)rounds);
	}
	if (per[K_BARE])
		hcabi_printf("hcabi-bench: ratio name=null_call/%s milli=%llu", hcabi__bench_exit_name,
			     (unsigned long long)(per[K_NULL] * 1000 / per[K_BARE]));
	if (per[K_SEP])
		hcabi_printf("hcabi-bench: ratio name=batch64/separate64 milli=%llu",
			     (unsigned long long)(per[K_BATCH] * 1000 / per[K_SEP]));
	if (failed) {
		hcabi_printf("hcabi-bench: FAIL: a call returned a wrong result");
		hcabi_exit(1);
	}
	hcabi_printf("hcabi-bench: done");
	hcabi_exit(0);
}
