/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-steal.elf: the STEAL extension. Two vCPUs: records are per
 * vCPU, one vCPU reads another's record while it is being updated
 * (STEAL-003, STEAL-004), and a stopped vCPU's record must go quiet.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
