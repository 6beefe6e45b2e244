/* SPDX-License-Identifier: MIT */
/*
 * hcabi_arm64_el0.h - run a few instructions at EL0 and come back (el0.c,
 * el0.S): the arm64 runtime's counterpart of x86-64's CPL 3 runner
 * (hcabi_run_user), for the binding's privilege rule (ARM64-015, ARM64-016).
 *
 * The runtime's identity map gives EL0 no access, so the code is copied to
 * a page of its own, mapped for the call at HCABI_EL0_VA: readable and
 * executable at EL0, never executable at EL1. The vCPU enters it at EL0t
 * with every general-purpose register and SP_EL0 chosen by the caller and
 * every interrupt masked, and comes back on the first exception taken from
 * EL0 (an undefined instruction, an SVC, an abort), with the registers as
 * that exception found them. One vCPU at a time: the mapping and the
 * context of the call are the image's, not per vCPU.
 */
#ifndef HCABI_ARM64_EL0_H
#define HCABI_ARM64_EL0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcabi_arm64_defs.h"

/* Where the EL0 code runs: the last 1 GiB of the 39-bit identity space, a
 * device block of the identity map that no platform of the binding uses
 * (checked before it is borrowed). */
#define HCABI_EL0_VA 0x7FC0000000ull
/* At most this many bytes of code (one page). */
#define HCABI_EL0_CODE_MAX 4096u

/* What came back from EL0. */
struct hcabi_el0_result {
	uint64_t x[31];	 /* x0..x30 when the exception was taken */
	uint64_t sp_el0; /* SP_EL0 then */
	uint64_t elr;	 /* ELR_EL1: the address of the instruction (VA at HCABI_EL0_VA + offset) */
	uint64_t esr;	 /* ESR_EL1 (EC in bits 31:26) */
	uint64_t far;	 /* FAR_EL1 */
	uint64_t spsr;	 /* SPSR_EL1: the EL0 PSTATE */
	uint64_t kind;	 /* HCABI_EL0_SYNC, ...: which vector entry took it */
};
/* hcabi_el0_result.kind */
#define HCABI_EL0_SYNC HCABI__TRAP_SYNC /* a synchronous exception */
#define HCABI_EL0_IRQ HCABI__TRAP_IRQ
#define HCABI_EL0_FIQ HCABI__TRAP_FIQ
#define HCABI_EL0_SERROR HCABI__TRAP_SERROR
#define HCABI_EL0_AARCH32 HCABI__TRAP_BAD /* an AArch32 entry: never expected */

/*
 * Copy `len` bytes of position-independent code to HCABI_EL0_VA, enter it
 * at EL0t (offset 0) with x0..x30 = regs[0..30], SP_EL0 = sp_el0 and DAIF
 * masked, and return when an exception comes back from EL0 (*res). The
 * code must end in an instruction that traps (SVC, UDF) on every path.
 * False when the page cannot be set up (no free page, or the borrowed
 * block is RAM here): *why says so and nothing ran.
 */
bool hcabi_run_el0(const void *code, size_t len, const uint64_t regs[31], uint64_t sp_el0,
		   struct hcabi_el0_result *res, const char **why);

#endif /* HCABI_ARM64_EL0_H */
