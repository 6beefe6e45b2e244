/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-general.elf: the rules every HCABI implementation meets
 * whatever extensions it provides, apart from the x86-64 binding itself
 * (hcabi-conf-x86.elf): discovery (DISC), status rules (STATUS), general
 * argument rules (GEN) and versions (VER). One vCPU.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
