/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-batch.elf: the BATCH extension. Two vCPUs: a batch made on
 * vCPU 1 runs as vCPU 1's own calls (BATCH-002), and VCPU.STOP in a batch is
 * tried on vCPU 1, where a wrongly executed STOP can be seen (BATCH-004).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
