/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-tlb.elf: the TLB extension. Three vCPUs: the caller, a running
 * target whose TLB must be flushed (TLB-002), and a stopped vCPU that masks
 * may name (TLB-003).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 3, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
