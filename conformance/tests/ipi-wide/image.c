/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-ipi-wide.elf: IPI.SEND past the first group of 64 vCPUs. 66
 * vCPUs, so that a caller (vCPU 64) and a receiver (vCPU 65) sit in the
 * second group of 64 while vCPU 0 receives in the first; every other vCPU
 * stays stopped. The ipi image keeps 4 vCPUs: its argument tests build
 * masks from the vCPU count and assume it is below 64.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 66, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
