/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-vcpu.elf: the VCPU extension. Four vCPUs: identity and count
 * are checked on each (VCPU-001, VCPU-010), one vCPU starts, stops, blocks
 * and kicks another, and vCPUs that were never started are seen STOPPED.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 4, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
