/* SPDX-License-Identifier: MIT */
/*
 * time_common.h - shared state of the TIME tests: a timer interrupt
 * handler that records, per vCPU and vector, how often it ran and what
 * GET_MONOTONIC said when it did.
 */
#ifndef TIME_COMMON_H
#define TIME_COMMON_H

#include "hcabi_test.h"
#include "hcabi_vectors.h"

#define TIME_WAIT HCABI_SEC(10)	 /* longest wait for an interrupt */
#define TIME_QUIET HCABI_MS(500) /* how long "no interrupt" is watched */
/* The TIME tests' vectors, in a row (hits() indexes by vector - TV_A). */
#define TV_A HCABI_TEST_VECTOR(0)
#define TV_B HCABI_TEST_VECTOR(1)
#define TV_C HCABI_TEST_VECTOR(2)
_Static_assert(3 <= HCABI_TEST_VECTORS, "TV_A..TV_C are test vectors");

/* Which requirement part bounds the valid vectors from above: `reserved`,
 * the part on reserved bits (x86-64: one more than 255 sets bit 8), or
 * `below`, the part on vectors below HCABI_VECTOR_MIN, which ARM64-021 reads
 * as outside the binding's range (arm64: 23). */
#define TIME_MAX_REQ(below, reserved)                                                              \
	((HCABI_TEST_VECTOR_ABOVE_MAX & ~HCABI_TIME_SET_TIMER_VECTOR_VECTOR_MASK) ? (reserved)     \
										   : (below))

struct time_hits {
	volatile uint64_t count;
	volatile uint64_t at; /* GET_MONOTONIC in the handler, last delivery */
	volatile uint64_t first_at;
};

extern struct time_hits time_hits[HCABI_MAX_CPUS][3];

void time_handler(struct hcabi_frame *f, unsigned vector);

/* Register the handler for TV_A..TV_C and clear the records. */
static inline void time_setup(void)
{
	memset((void *)time_hits, 0, sizeof(time_hits));
	hcabi_irq_register(TV_A, time_handler);
	hcabi_irq_register(TV_B, time_handler);
	hcabi_irq_register(TV_C, time_handler);
}

static inline struct time_hits *hits(unsigned cpu, unsigned vector)
{
	return &time_hits[cpu][vector - TV_A];
}

static inline uint64_t now(void)
{
	return hcabi_time_get_monotonic().value;
}

/* With interrupts enabled, wait until *count >= want or TIME_WAIT. */
static inline bool wait_hits(volatile uint64_t *count, uint64_t want)
{
	bool ok;
	hcabi_irq_enable();
	ok = wait_for_u64(count, want, TIME_WAIT);
	hcabi_irq_disable();
	return ok;
}

/* With interrupts enabled, let ns of monotonic time pass. */
static inline void quiet(uint64_t ns)
{
	hcabi_irq_enable();
	delay_ns(ns);
	hcabi_irq_disable();
}

#endif /* TIME_COMMON_H */
