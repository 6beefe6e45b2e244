/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-system-shutdown.elf: SYSTEM.SHUTDOWN, which ends the VM. Two
 * vCPUs: the second one keeps making calls while the first shuts the VM
 * down, so the VM must end with a vCPU still busy (SYSTEM-001).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_SHUTDOWN);
