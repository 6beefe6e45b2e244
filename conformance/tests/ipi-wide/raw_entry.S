/* SPDX-License-Identifier: MIT */
/* The VCPU tests' raw vCPU entry (see raw_start.c). */
#if defined(__x86_64__)
#include "../vcpu/arch/x86_64/raw_entry.S"
#elif defined(__aarch64__)
#include "../vcpu/arch/arm64/raw_entry.S"
#elif defined(__riscv)
#include "../vcpu/arch/riscv64/raw_entry.S"
#endif
