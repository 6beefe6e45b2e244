/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-x86.elf: the x86-64 binding (X86), discovery (DISC), status
 * rules (STATUS), general argument rules (GEN) and versions (VER): the
 * requirements every HCABI implementation meets whatever extensions it
 * provides. One vCPU.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
