/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-arm64.bin: the arm64 binding (ARM64): the instruction and the
 * call ID, the registers in and out, preserved state, the privilege rule
 * (an HVC at EL0) and discovery. Built for arm64 only, as the x86 image is
 * for x86-64 only. One vCPU.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
