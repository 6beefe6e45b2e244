/* SPDX-License-Identifier: MIT */
/*
 * The VCPU tests' own vCPU starts (conformance/tests/vcpu/raw.c and
 * arch/<arch>/raw_arch.c, with raw_entry.S here), reused as they are: the
 * runtime's hcabi_smp_start stops at HCABI_MAX_CPUS (32) vCPUs, and a raw
 * start needs nothing per vCPU from the runtime (each context carries its
 * own stack, per-CPU data and, on x86-64, GDT and TSS).
 */
#include "../vcpu/raw.c"
#if defined(__x86_64__)
#include "../vcpu/arch/x86_64/raw_arch.c"
#elif defined(__aarch64__)
#include "../vcpu/arch/arm64/raw_arch.c"
#elif defined(__riscv)
#include "../vcpu/arch/riscv64/raw_arch.c"
#endif
