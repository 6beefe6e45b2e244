/* SPDX-License-Identifier: MIT */
/*
 * raw.c - the C side of the VCPU tests' own vCPU starts (see vcpu_common.h
 * and arch/<arch>/raw_entry.S), and the start bookkeeping. No tests here.
 */
#include "vcpu_common.h"

uint64_t vcpu_started_mask = 1; /* vCPU 0 runs the boot code */

/* Entered from raw_entry.S on the started vCPU, with ctx (the boot state's arg). */
void vcpu_raw_main(struct vcpu_raw *ctx);
void vcpu_raw_main(struct vcpu_raw *ctx)
{
	struct hcabi_jmpbuf jb;
	struct hcabi_ret r;

	vcpu_arch_enter(ctx);
	ctx->cpu.abort_ctx = &jb;
	if (hcabi_setjmp(&jb) == 0) {
		if (ctx->fn)
			ctx->fn(ctx);
	} else {
		ctx->faulted = true;
	}
	hcabi_irq_disable();
	ctx = (struct vcpu_raw *)((uint8_t *)hcabi_this_cpu() -
				  __builtin_offsetof(struct vcpu_raw, cpu));
	ctx->cpu.abort_ctx = 0;
	hcabi_atomic_store(&ctx->before_stop, 1);
	r = hcabi_vcpu_stop();
	/* VCPU-030: never here unless STOP failed */
	ctx->stop_status = r.status;
	hcabi_atomic_store(&ctx->after_stop, 1);
	hcabi_arch_halt();
}

bool vcpu_not_started(unsigned cpu, struct vcpu_raw *ctx, const char *req, const char *what)
{
	struct hcabi_ret r = hcabi_vcpu_get_status(cpu);
	bool ok = r.status == HCABI_SUCCESS && r.value == HCABI_VCPU_STATUS_STOPPED &&
		  !hcabi_atomic_load(&ctx->entries);
	check_true(ok, req, "%s: vCPU %u was not started (status %llu, entries %llu)", what, cpu,
		   (unsigned long long)r.value, (unsigned long long)ctx->entries);
	if (!ok && !vcpu_wait_state(cpu, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10))) {
		check_true(false, "VCPU-030.2",
			   "vCPU %u, started by a call that should have failed, did not stop with "
			   "VCPU.STOP within 10 s",
			   cpu);
		return false;
	}
	return true;
}

void vcpu_raw_prepare(struct vcpu_raw *ctx, unsigned index, void (*fn)(struct vcpu_raw *))
{
	memset(ctx, 0, __builtin_offsetof(struct vcpu_raw, stack));
	ctx->cpu.self = &ctx->cpu;
	ctx->cpu.index = index;
	ctx->cpu.expect_vector = -1;
	ctx->fn = fn;
	hcabi_mb();
}

bool vcpu_raw_wait_entered(struct vcpu_raw *ctx, uint64_t n, uint64_t timeout_ns)
{
	return wait_for_u64(&ctx->entries, n, timeout_ns);
}

bool vcpu_wait_state(unsigned cpu, uint64_t state, uint64_t timeout_ns)
{
	uint64_t t0 = hcabi_now_ns();
	for (;;) {
		struct hcabi_ret r = hcabi_vcpu_get_status(cpu);
		if (r.status == HCABI_SUCCESS && r.value == state)
			return true;
		if (hcabi_now_ns() - t0 > timeout_ns)
			return false;
		for (int i = 0; i < 200; i++)
			hcabi_pause();
	}
}

bool vcpu_raw_wait_stopped(struct vcpu_raw *ctx, unsigned index, uint64_t timeout_ns)
{
	uint64_t t0 = hcabi_now_ns(), spent;
	if (!wait_for_u64(&ctx->before_stop, 1, timeout_ns))
		return false;
	spent = hcabi_now_ns() - t0;
	return vcpu_wait_state(index, HCABI_VCPU_STATUS_STOPPED,
			       spent < timeout_ns ? timeout_ns - spent : 0);
}

void vcpu_raw_wait_release(struct vcpu_raw *ctx)
{
	(void)wait_for_u64(&ctx->release, 1, HCABI_SEC(30));
}

bool vcpu_run_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu < 64)
		vcpu_started_mask |= 1ull << cpu;
	return test_run_on_cpu(cpu, fn, arg);
}

bool vcpu_start_task(unsigned cpu, void (*fn)(void *), void *arg)
{
	bool ok = test_start_on_cpu(cpu, fn, arg);
	if (ok && cpu < 64)
		vcpu_started_mask |= 1ull << cpu;
	return ok;
}

struct hcabi_ret vcpu_start_raw(unsigned cpu, const vcpu_bs *bs)
{
	struct hcabi_ret r = hcabi_vcpu_start(cpu, (uint64_t)(uintptr_t)bs);
	if (r.status == HCABI_SUCCESS && cpu < 64)
		vcpu_started_mask |= 1ull << cpu;
	return r;
}
