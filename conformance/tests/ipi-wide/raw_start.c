/* SPDX-License-Identifier: MIT */
/*
 * The VCPU tests' own vCPU starts (conformance/tests/vcpu/raw.c, with
 * raw_entry.S here), reused as they are: the runtime's hcabi_smp_start stops at
 * HCABI_MAX_CPUS (32) vCPUs, and a raw start needs nothing per vCPU from the
 * runtime (each context carries its own stack, GDT, TSS and per-CPU data).
 */
#include "../vcpu/raw.c"
