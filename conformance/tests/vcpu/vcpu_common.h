/* SPDX-License-Identifier: MIT */
/*
 * vcpu_common.h - helpers of the VCPU tests.
 *
 * - "raw" starts: VCPU.START with a boot state the test builds, entering
 *   arch/<arch>/raw_entry.S, which records the registers the vCPU starts
 *   with into a struct vcpu_raw; vcpu_raw_main (raw.c) then runs the test's
 *   function with the runtime's trap handling (the per-vCPU pointer at the
 *   struct's own struct hcabi_cpu) and stops the vCPU with VCPU.STOP,
 *   recording whether that returned. The runtime's hcabi_smp_start is not used for these, because
 *   its boot state and its task wrapper hide exactly what is checked.
 * - a record of which vCPUs the image has started, so that "never started"
 *   (VCPU-041) can be checked whatever order the tests run in.
 * - bounded waits for a vCPU state.
 */
#ifndef VCPU_COMMON_H
#define VCPU_COMMON_H

#include "hcabi_test.h"
#include "hcabi_ram.h"
#include "hcabi_vectors.h"

#define VCPU_RAW_STACK 16384u

/* The architecture's part (arch/<arch>/vcpu_arch.h, compiled and listed
 * only for that architecture): vcpu_bs, the binding's boot state;
 * VCPU_ARCH_ENTRY_FIELDS, the registers the entry records first
 * (raw_entry.S, at fixed offsets from the start of struct vcpu_raw);
 * VCPU_ARCH_CTX_FIELDS, what else a raw vCPU needs of its own;
 * VCPU_ENTRY_ARG(ctx) and VCPU_ARG_REG, the register the boot state's arg
 * arrives in; VCPU_BS_INVALIDATE(bs), a boot state made invalid by its own
 * rules with one atomic store. */
#if defined(__x86_64__)
#include "arch/x86_64/vcpu_arch.h"
#elif defined(__aarch64__)
#include "arch/arm64/vcpu_arch.h"
#elif defined(__riscv) && __riscv_xlen == 64
#include "arch/riscv64/vcpu_arch.h"
#else
#error "the VCPU tests have no raw start for this architecture"
#endif

struct vcpu_raw {
	/* written by raw_entry.S at the first instructions (offsets fixed) */
	VCPU_ARCH_ENTRY_FIELDS
	uint64_t entries; /* times the entry ran with this struct */
	/* the C side */
	struct hcabi_cpu cpu;
	void (*fn)(struct vcpu_raw *);
	uint64_t data[8];		  /* for the test's function */
	uint64_t release;		  /* set by vCPU 0 to let fn go on */
	uint64_t before_stop, after_stop; /* around VCPU.STOP */
	int64_t stop_status;
	bool faulted;
	VCPU_ARCH_CTX_FIELDS
	uint8_t stack[VCPU_RAW_STACK] __attribute__((aligned(16)));
};

void vcpu_raw_entry(void);

/* Reset ctx for a start of vCPU `index` that will run fn (NULL: stop at
 * once). */
void vcpu_raw_prepare(struct vcpu_raw *ctx, unsigned index, void (*fn)(struct vcpu_raw *));
/* A valid boot state entering vcpu_raw_entry with ctx (arch/<arch>/raw_arch.c;
 * x86-64: the runtime's page tables, or cr3 if not 0, and IDT, and ctx's
 * own GDT, built here; elsewhere cr3 must be 0). */
void vcpu_raw_boot_state(vcpu_bs *bs, struct vcpu_raw *ctx, uint64_t cr3);
/* On the started vCPU, before the test's function: make it usable by the
 * runtime (per-vCPU block ctx->cpu, traps; arm64 also the MMU) (raw_arch.c). */
void vcpu_arch_enter(struct vcpu_raw *ctx);
/* After a call that must not have started vCPU cpu (ctx's boot state):
 * check (citing req) it is still stopped; if it was started anyway, wait
 * for it to stop (so the next case starts clean). False if it cannot be
 * made to stop. */
bool vcpu_not_started(unsigned cpu, struct vcpu_raw *ctx, const char *req, const char *what);
/* Wait until ctx's vCPU ran its entry (entries >= n), up to timeout_ns. */
bool vcpu_raw_wait_entered(struct vcpu_raw *ctx, uint64_t n, uint64_t timeout_ns);
/* Wait until ctx's vCPU called VCPU.STOP and GET_STATUS reports vCPU
 * `index` STOPPED, up to timeout_ns. */
bool vcpu_raw_wait_stopped(struct vcpu_raw *ctx, unsigned index, uint64_t timeout_ns);
/* In a raw vCPU's function: wait (up to 30 s) until vCPU 0 sets release. */
void vcpu_raw_wait_release(struct vcpu_raw *ctx);

/* Starts made by this image (bit i: vCPU i was started at least once). */
extern uint64_t vcpu_started_mask;
/* test_run_on_cpu / test_start_on_cpu, recording the start. */
bool vcpu_run_on(unsigned cpu, void (*fn)(void *), void *arg);
bool vcpu_start_task(unsigned cpu, void (*fn)(void *), void *arg);
/* VCPU.START, recording a successful start. */
struct hcabi_ret vcpu_start_raw(unsigned cpu, const vcpu_bs *bs);

/* Poll GET_STATUS(cpu) until it reports `state`, up to timeout_ns. */
bool vcpu_wait_state(unsigned cpu, uint64_t state, uint64_t timeout_ns);

/* VCPU-001.5, ARM64-031, RV64-027: the calling vCPU's hardware ID (x86-64:
 * its initial APIC ID; arm64: its MPIDR_EL1 affinity; riscv64: its hart
 * ID), and the check that vCPU `cpu`'s (hw_id) belongs with its GET_ID `id`
 * in a VM of `count` vCPUs (arch/<arch>/identity_arch.c). */
uint64_t vcpu_hw_id(void);
void vcpu_check_hw_id(unsigned cpu, uint64_t hw_id, uint64_t id, uint64_t count);

/* Consume a kick remembered for the caller, if any. */
static inline void vcpu_drain_kick(void)
{
	(void)hcabi_vcpu_block(0);
}

static inline uint64_t vcpu_count(void)
{
	struct hcabi_ret r = hcabi_vcpu_get_count();
	return r.status == HCABI_SUCCESS ? r.value : 1;
}

static inline void vcpu_irq_nop(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
}

#endif /* VCPU_COMMON_H */
