/* SPDX-License-Identifier: MIT */
/*
 * ipi_common.h - helpers of the IPI tests: vectors, a handler that only
 * lets the runtime count, and taking the interrupts a vCPU has pending.
 */
#ifndef IPI_COMMON_H
#define IPI_COMMON_H

#include "hcabi_test.h"
#include "hcabi_ram.h"
#include "hcabi_vectors.h"

/* Vectors the IPI tests send (the binding's, hcabi_vectors.h). */
#define IPI_VEC_A HCABI_TEST_VECTOR(0)
#define IPI_VEC_B HCABI_TEST_VECTOR(1)
#define IPI_MAX_CPUS 8u /* the subset test uses at most this many vCPUs */

/* Interrupt handler: the runtime counts every interrupt per vCPU and vector
 * (hcabi_irq_count) and sends the EOI; nothing else to do. */
static inline void ipi_count_handler(struct hcabi_frame *f, unsigned vector)
{
	(void)f;
	(void)vector;
}

/* The vCPU count, or 0 when the VCPU extension is absent (then the test
 * cannot know which indexes are out of range). */
static inline unsigned ipi_vcpu_count(void)
{
	if (!hcabi_has_ext(HCABI_EID_VCPU))
		return 0;
	struct hcabi_ret r = hcabi_vcpu_get_count();
	return r.status == HCABI_SUCCESS ? (unsigned)r.value : 0;
}

/* With interrupts enabled, wait (up to timeout_ns) until this vCPU has taken
 * `want` interrupts of `vector` more than `before`, then `settle_ns` more so
 * that a duplicate would arrive too; interrupts are disabled again. Returns
 * how many it took. */
static inline uint64_t ipi_take(unsigned vector, uint64_t before, uint64_t want,
				uint64_t timeout_ns, uint64_t settle_ns)
{
	unsigned me = hcabi_cpu_index();
	uint64_t start = hcabi_now_ns();

	hcabi_irq_enable();
	while (hcabi_irq_count(me, vector) - before < want && hcabi_now_ns() - start < timeout_ns)
		for (int i = 0; i < 100; i++)
			hcabi_pause();
	delay_ns(settle_ns);
	hcabi_irq_disable();
	return hcabi_irq_count(me, vector) - before;
}

#endif /* IPI_COMMON_H */
