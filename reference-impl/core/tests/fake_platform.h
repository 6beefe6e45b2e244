/* SPDX-License-Identifier: MIT */
/*
 * fake_platform.h - a recording fake of struct hcabi_platform_ops for the
 * unit tests: guest RAM as malloc'd ranges with holes, a log of every
 * callback with its arguments, a fake monotonic clock, a console capture
 * buffer and input queue, per-vCPU kick/wake/timer state, and injectable
 * host failures.
 */
#ifndef HCABI_FAKE_PLATFORM_H
#define HCABI_FAKE_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcabi_ref.h"

#define FAKE_MAX_VCPUS 80u
#define FAKE_MAX_RANGES 4u
#define FAKE_LOG_MAX 8192u
#define FAKE_OUT_MAX (256u * 1024u)
#define FAKE_IN_MAX 16384u

enum fake_op {
	FOP_MEM_READ,
	FOP_MEM_WRITE,
	FOP_MEM_RELEASE,
	FOP_VCPU_START,
	FOP_VCPU_BLOCK,
	FOP_VCPU_KICK,
	FOP_VCPU_YIELD,
	FOP_INJECT_IRQ,
	FOP_TIMER_ARM,
	FOP_TIMER_CANCEL,
	FOP_TIMER_ARM_PERIODIC,
	FOP_TLB_FLUSH,
	FOP_CLOCK_MONO,
	FOP_CLOCK_WALL,
	FOP_STEAL_NS,
	FOP_CONSOLE_WRITE,
	FOP_CONSOLE_READ,
	FOP__COUNT
};

/* One callback: vcpu (UINT32_MAX if none), and up to three arguments:
 *  MEM_READ/MEM_WRITE: a = gpa, b = len, c = first (up to) 8 bytes (LE)
 *  MEM_RELEASE: a = gpa, b = npages
 *  VCPU_START: a = rip, b = cr3, c = arg      VCPU_BLOCK: a = deadline
 *  VCPU_YIELD: a = target                     INJECT_IRQ: a = vector
 *  TIMER_ARM: a = deadline, b = vector        TLB_FLUSH: a = gva, b = npages
 *  TIMER_ARM_PERIODIC: a = first, b = period, c = vector
 *  CONSOLE_WRITE/READ: a = len */
struct fake_event {
	enum fake_op op;
	uint32_t vcpu;
	uint64_t a, b, c;
};

struct fake_range {
	uint64_t base, size;
	uint8_t *mem;
};

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cv;

	struct fake_range ram[FAKE_MAX_RANGES];
	struct hcabi_ref_ram_range cfg_ram[FAKE_MAX_RANGES];
	unsigned nram;

	struct fake_event log[FAKE_LOG_MAX];
	unsigned nlog;
	bool log_enabled;
	unsigned counts[FOP__COUNT];

	/* clocks */
	uint64_t mono, wall;
	bool auto_advance;	 /* block with a finite deadline: jump the clock */
	unsigned early_timeouts; /* return 0 from block this many times early */
	bool kick_returns_zero;	 /* a block ended by a kick returns 0, not 1 */
	uint64_t steal[FAKE_MAX_VCPUS];

	/* vCPUs */
	bool kick_pending[FAKE_MAX_VCPUS];
	bool wake_pending[FAKE_MAX_VCPUS];
	unsigned in_block[FAKE_MAX_VCPUS];
	unsigned start_count[FAKE_MAX_VCPUS];
	struct hcabi_vcpu_boot_state boot[FAKE_MAX_VCPUS];
	unsigned irqs[FAKE_MAX_VCPUS][256];
	unsigned tlb_flushes[FAKE_MAX_VCPUS];
	/* The per-vCPU timer: armed one-shot (period 0) or periodic
	 * (deadline = first tick, period > 0). A periodic timer stays armed
	 * until replaced or cancelled, so cancel reports it pending. */
	bool timer_armed[FAKE_MAX_VCPUS];
	uint64_t timer_deadline[FAKE_MAX_VCPUS];
	uint64_t timer_period[FAKE_MAX_VCPUS];
	uint8_t timer_vector[FAKE_MAX_VCPUS];

	/* console */
	uint8_t out[FAKE_OUT_MAX];
	size_t nout;
	size_t write_chunk; /* most bytes one console_write takes (0: all) */
	size_t write_fail_at; /* console_write fails once nout reaches it (0: never) */
	uint8_t in[FAKE_IN_MAX];
	size_t nin, in_pos;

	/* injectable failures: the callback returns this (0: works) */
	int fail_mem_release, fail_vcpu_start, fail_vcpu_block, fail_vcpu_kick;
	int fail_inject_irq, fail_timer_arm, fail_timer_cancel, fail_tlb_flush;
	int fail_timer_arm_periodic;
	bool fail_console_write, fail_console_read;
	bool console_read_overclaim; /* console_read returns len + 1 */
	bool console_read_lazy;	     /* claims min(len, 5) bytes, writes none */

	/* called (no lock held) after mem_read copied, e.g. to change guest
	 * memory behind the core's back (double-fetch tests) */
	void (*after_read)(struct fake *f, uint64_t gpa, size_t len);
	/* called (no lock held) inside vcpu_start, after the vCPU "runs" */
	void (*during_start)(struct fake *f, uint32_t vcpu);
};

extern const struct hcabi_platform_ops fake_ops;

/* Default layout: [0, 1 MiB) RAM, [1 MiB, 2 MiB) hole, [2 MiB, 2.5 MiB) RAM. */
#define FAKE_R0_BASE 0x0ull
#define FAKE_R0_SIZE 0x100000ull
#define FAKE_R1_BASE 0x200000ull
#define FAKE_R1_SIZE 0x80000ull
#define FAKE_HOLE 0x180000ull

void fake_init(struct fake *f, const struct hcabi_ref_ram_range *ranges, unsigned n);
void fake_destroy(struct fake *f);
/* Host pointer to guest bytes [gpa, gpa + len), which must be RAM. */
uint8_t *fake_ptr(struct fake *f, uint64_t gpa, size_t len);
void fake_put(struct fake *f, uint64_t gpa, const void *src, size_t len);
void fake_get(struct fake *f, uint64_t gpa, void *dst, size_t len);
uint64_t fake_get64(struct fake *f, uint64_t gpa);
void fake_put64(struct fake *f, uint64_t gpa, uint64_t v);
/* Events of `op` for `vcpu` (UINT32_MAX: any) since the last clear. */
unsigned fake_count(struct fake *f, enum fake_op op, uint32_t vcpu);
/* Callbacks of any kind other than clocks and steal since the last clear. */
unsigned fake_effects(struct fake *f);
const struct fake_event *fake_last(struct fake *f, enum fake_op op);
void fake_clear(struct fake *f);
void fake_set_mono(struct fake *f, uint64_t ns);
void fake_console_input(struct fake *f, const void *buf, size_t n);
/* Wait (real time, up to ~5 s) until vcpu is inside vcpu_block. */
bool fake_wait_blocked(struct fake *f, uint32_t vcpu);

#endif
