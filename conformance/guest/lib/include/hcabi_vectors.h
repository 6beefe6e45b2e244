/* SPDX-License-Identifier: MIT */
/*
 * hcabi_vectors.h - the interrupt vectors of the conformance tests, named
 * by role, so that a test runs unchanged on every architecture.
 *
 * TIME.SET_TIMER, TIME.SET_PERIODIC and IPI.SEND take a `vector` in bits
 * 7:0 of an argument; which values are valid, and what interrupt a valid
 * one is, is the binding's: x86-64, local APIC vectors 32..255; arm64, GICv3
 * PPIs 16..22 (ARM64-020, ARM64-021); riscv64, IMSIC identities 1..63. The architecture's part
 * (arch/<arch>/include/hcabi_<arch>_vectors.h) takes those numbers from
 * abi.h's generated constants and defines
 *
 *   HCABI_TEST_VECTOR_MIN, _MAX  the smallest and the largest valid vector
 *   HCABI_TEST_VECTOR_FIRST      the first of the HCABI_TEST_VECTORS valid
 *   HCABI_TEST_VECTORS           vectors in a row that the tests may take
 *                                (the runtime uses none of them)
 *
 * and this header, from them:
 *
 *   HCABI_TEST_VECTOR(k)         the k-th test vector, k < HCABI_TEST_VECTORS:
 *                                a test names its vectors 0, 1, ... by role;
 *                                a handler registered for it
 *                                (hcabi_irq_register) is called with it
 *   HCABI_TEST_VECTOR_BELOW_MIN  one below the smallest valid vector (x86-64
 *                                31, arm64 15): invalid
 *   HCABI_TEST_VECTOR_LOW        a vector well below the valid range (1, or
 *                                0 where the range starts at 1): invalid
 *   HCABI_TEST_VECTOR_ABOVE_MAX  one above the largest (x86-64 256: bit 8,
 *                                outside the 8-bit field, a reserved bit or,
 *                                in IPI.SEND from 1.1, all_but_self with
 *                                vector 0; arm64 23, inside it): invalid
 *   hcabi_test_vector_taken(v)   whether a test can take interrupts of the
 *                                valid vector v (x86-64: not 255, the LAPIC's
 *                                spurious vector)
 *
 * arm64 has seven valid vectors: a test needs at most HCABI_TEST_VECTORS
 * at once (each test asserts it for its own count), and tests of one image
 * reuse them: between two tests the framework unregisters every handler
 * and lets what a test left pending arrive (framework.c).
 */
#ifndef HCABI_VECTORS_H
#define HCABI_VECTORS_H

#include <stdbool.h>

#include "hcabi_arch.h"

#if defined(__x86_64__)
#include "hcabi_x86_vectors.h"
#elif defined(__aarch64__)
#include "hcabi_arm64_vectors.h"
#elif defined(__riscv) && __riscv_xlen == 64
#include "hcabi_riscv64_vectors.h"
#else
#error "hcabi_vectors.h: no test vectors for this architecture"
#endif

#define HCABI_TEST_VECTOR(k) (HCABI_TEST_VECTOR_FIRST + (unsigned)(k))
#define HCABI_TEST_VECTOR_BELOW_MIN (HCABI_TEST_VECTOR_MIN - 1u)
#define HCABI_TEST_VECTOR_ABOVE_MAX (HCABI_TEST_VECTOR_MAX + 1u)
/* A vector well below the valid range, where there is room for one: x86-64
 * and arm64 1 (an exception's vector; an SGI); riscv64's range starts at 1,
 * so there it is 0 as well. */
#define HCABI_TEST_VECTOR_LOW (HCABI_TEST_VECTOR_MIN > 2u ? 1u : 0u)

_Static_assert(HCABI_TEST_VECTOR_MIN >= 1u && HCABI_TEST_VECTOR_MIN <= HCABI_TEST_VECTOR_MAX,
	       "a valid range with a vector below it");
_Static_assert(HCABI_TEST_VECTOR_FIRST >= HCABI_TEST_VECTOR_MIN &&
		   HCABI_TEST_VECTOR_FIRST + HCABI_TEST_VECTORS - 1u <= HCABI_TEST_VECTOR_MAX,
	       "the tests' vectors are valid ones");
_Static_assert(HCABI_TEST_VECTOR_FIRST >= HCABI_IRQ_FIRST &&
		   HCABI_TEST_VECTOR_FIRST + HCABI_TEST_VECTORS <= HCABI_IRQ_VECTORS,
	       "the runtime has handlers and counts for the tests' vectors");

static inline bool hcabi_test_vector_taken(unsigned v)
{
	return v - HCABI_TEST_VECTOR_FIRST < HCABI_TEST_VECTORS;
}

#endif /* HCABI_VECTORS_H */
