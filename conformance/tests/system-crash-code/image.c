/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-system-crash-code.elf: SYSTEM.CRASH with a code that has bit 63
 * set (SYSTEM-021, since HCABI 1.2). An image of its own, since a CRASH ends
 * the VM and system-crash's test, which exists since 1.0, already ends it
 * there. One vCPU. At 1.0 and 1.1 it has no test and is not booted.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_CRASH);
