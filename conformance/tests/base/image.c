/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-base.elf: the BASE extension. Two vCPUs, so that "the same on
 * every vCPU" (BASE-002, BASE-033) is checked where the VM has them.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
