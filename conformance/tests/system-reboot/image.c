/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-system-reboot.elf: SYSTEM.REBOOT, which ends the current run
 * of the VM. Two vCPUs: the second one is inside VCPU.BLOCK when the first
 * asks for the reset, so the VM must end with a vCPU blocked (SYSTEM-010).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_REBOOT);
