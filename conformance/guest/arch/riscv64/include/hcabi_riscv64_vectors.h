/* SPDX-License-Identifier: MIT */
/*
 * hcabi_riscv64_vectors.h - the riscv64 part of hcabi_vectors.h: which
 * interrupt vectors the binding accepts and which of them the conformance
 * tests may take. Include hcabi_vectors.h, not this file.
 *
 * An HCABI `vector` on riscv64 is an interrupt identity of the vCPU's
 * S-level IMSIC interrupt file, HCABI_RISCV64_VECTOR_MIN ..
 * HCABI_RISCV64_VECTOR_MAX (1..63); 0 and 64..255 are invalid (the binding's
 * "Interrupt vectors"). The runtime (intc.c) enables every one of them in
 * each vCPU's interrupt file and uses none itself: the tests may take all
 * 63, as on arm64 all seven PPIs.
 */
#ifndef HCABI_RISCV64_VECTORS_H
#define HCABI_RISCV64_VECTORS_H

#include "abi.h"

#define HCABI_TEST_VECTOR_MIN HCABI_RISCV64_VECTOR_MIN
#define HCABI_TEST_VECTOR_MAX HCABI_RISCV64_VECTOR_MAX

#define HCABI_TEST_VECTOR_FIRST HCABI_RISCV64_VECTOR_MIN
#define HCABI_TEST_VECTORS (HCABI_RISCV64_VECTOR_MAX - HCABI_RISCV64_VECTOR_MIN + 1u)

#endif /* HCABI_RISCV64_VECTORS_H */
