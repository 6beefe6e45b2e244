/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-steal.elf: the STEAL extension. Three vCPUs: records are per
 * vCPU, one vCPU reads another's record while it is being updated
 * (STEAL-003, STEAL-004), and a stopped vCPU's record must go quiet; for
 * STEAL-009 two vCPUs spin while vCPU 0 measures, so that a host with two
 * CPUs has more to run than CPUs and steal time is not zero.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 3, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
