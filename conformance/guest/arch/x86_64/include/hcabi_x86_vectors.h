/* SPDX-License-Identifier: MIT */
/*
 * hcabi_x86_vectors.h - the x86-64 part of hcabi_vectors.h: which
 * interrupt vectors the binding accepts and which of them the conformance
 * tests may take. Include hcabi_vectors.h, not this file.
 *
 * An HCABI `vector` on x86-64 is a local APIC vector: bits 7:0 from
 * HCABI_VECTOR_MIN (32; 0-31 are exceptions) to the largest value of the
 * 8-bit field (255); bits above 7:0 are reserved (TIME-020, IPI-001; from
 * 1.1 IPI.SEND's bit 8 is all_but_self, IPI-004).
 */
#ifndef HCABI_X86_VECTORS_H
#define HCABI_X86_VECTORS_H

#include "abi.h"
#include "hcabi_x86_defs.h"

#define HCABI_TEST_VECTOR_MIN HCABI_VECTOR_MIN
#define HCABI_TEST_VECTOR_MAX ((unsigned)HCABI_IPI_SEND_VECTOR_VECTOR_MASK) /* 255 */

/* The tests' vectors: 0x40 .. 0x7F, below the runtime's HCABI_VEC_USER_RETURN
 * (0x80) and far from its HCABI_VEC_SPURIOUS (255, which is why 255 is valid
 * but never taken). */
#define HCABI_TEST_VECTOR_FIRST 0x40u
#define HCABI_TEST_VECTORS 0x40u

_Static_assert(HCABI_TEST_VECTOR_FIRST + HCABI_TEST_VECTORS <= HCABI_VEC_USER_RETURN,
	       "the tests' vectors stay below the runtime's");
_Static_assert(HCABI_IPI_SEND_VECTOR_VECTOR_MASK == HCABI_TIME_SET_TIMER_VECTOR_VECTOR_MASK &&
		   HCABI_IPI_SEND_VECTOR_VECTOR_MASK == HCABI_TIME_SET_PERIODIC_VECTOR_VECTOR_MASK,
	       "every function's vector field is bits 7:0");

#endif /* HCABI_X86_VECTORS_H */
