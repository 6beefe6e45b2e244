/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-system-crash.elf: SYSTEM.CRASH, which ends the VM. Two vCPUs:
 * the second one spins with interrupts disabled and makes no call while
 * the first reports the crash, so the VM must end with a vCPU that never
 * exits on its own (SYSTEM-020).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_CRASH);
