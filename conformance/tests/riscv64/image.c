/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-riscv64.bin: the riscv64 binding (RV64): the extension ID and
 * the function ID, the registers in and out, preserved state (the
 * general-purpose and floating-point registers, the supervisor CSRs), the
 * privilege rule (an ECALL in U-mode), discovery, and the interrupt
 * vectors. Built for riscv64 only, as the x86 image is for x86-64 only and
 * the arm64 image for arm64. One vCPU.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
