/* SPDX-License-Identifier: MIT */
/*
 * bench_arch.h - what hcabi-bench (bench.c) needs of its architecture, one
 * file per architecture (arch/<arch>/bench_arch.c):
 *
 *   the bare exit     an exit to the VMM's userspace that the VMM ignores:
 *                     x86-64 `outb` to an unused port, arm64 an MMIO write
 *                     to a register refvmm's PL011 drops;
 *   the kernel exit   an exit the hypervisor's kernel answers itself, no
 *                     userspace: x86-64 CPUID, arm64 HVC SMCCC_VERSION;
 *   a counter         x86-64 the TSC, arm64 the generic timer's virtual
 *                     count (CNTVCT_EL0: timer ticks, not CPU cycles).
 *
 * The names are the `result name=` of each kind, which
 * scripts/hcabi_bench.py reads per architecture.
 */
#ifndef HCABI_BENCH_ARCH_H
#define HCABI_BENCH_ARCH_H

#include <stdbool.h>
#include <stdint.h>

extern const char hcabi__bench_exit_name[];   /* "out_port" / "mmio_write" */
extern const char hcabi__bench_kernel_name[]; /* "cpuid" / "smccc_version" */

/* Read the architecture's command-line options and print one line saying
 * what the bare and the kernel exits are; false when the kernel exit does
 * not work here (then bench.c fails the run). */
bool hcabi__bench_arch_setup(void);
/* n bare exits; n kernel exits (their results summed, so that none is
 * optimised away) */
void hcabi__bench_bare_exits(uint64_t n);
uint64_t hcabi__bench_kernel_exits(uint64_t n);
uint64_t hcabi__bench_ticks(void);

#endif
