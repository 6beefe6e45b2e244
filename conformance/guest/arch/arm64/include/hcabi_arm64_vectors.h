/* SPDX-License-Identifier: MIT */
/*
 * hcabi_arm64_vectors.h - the arm64 part of hcabi_vectors.h: which
 * interrupt vectors the binding accepts and which of them the conformance
 * tests may take. Include hcabi_vectors.h, not this file.
 *
 * An HCABI `vector` on arm64 is the INTID of a PPI of the vCPU's GICv3
 * redistributor, HCABI_ARM64_VECTOR_MIN .. HCABI_ARM64_VECTOR_MAX (16..22);
 * every other value of bits 7:0 is invalid (ARM64-020, ARM64-021). The
 * runtime's interrupt controller (intc.c) makes exactly these PPIs
 * edge-triggered and enabled, and uses none itself: the tests may take
 * all seven, and no more at once.
 */
#ifndef HCABI_ARM64_VECTORS_H
#define HCABI_ARM64_VECTORS_H

#include "abi.h"

#define HCABI_TEST_VECTOR_MIN HCABI_ARM64_VECTOR_MIN
#define HCABI_TEST_VECTOR_MAX HCABI_ARM64_VECTOR_MAX

#define HCABI_TEST_VECTOR_FIRST HCABI_ARM64_VECTOR_MIN
#define HCABI_TEST_VECTORS (HCABI_ARM64_VECTOR_MAX - HCABI_ARM64_VECTOR_MIN + 1u)

#endif /* HCABI_ARM64_VECTORS_H */
