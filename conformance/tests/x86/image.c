/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-x86.elf: the x86-64 binding (X86): the instructions, the
 * registers in and out, preserved state and the CPL rule. Discovery,
 * status, general and version rules are in hcabi-conf-general.elf. One
 * vCPU.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
