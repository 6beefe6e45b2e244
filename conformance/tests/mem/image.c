/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-mem.elf: the MEM extension. Two vCPUs, so that released pages
 * are read on a vCPU other than the one that released them (MEM-002,
 * MEM-003) and the layout is compared across vCPUs (MEM-011).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
