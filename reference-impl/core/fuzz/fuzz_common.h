/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - what the libFuzzer harnesses of libhcabi_ref share: a
 * non-blocking fake platform that checks every callback, a shadow model of
 * the VM (which vCPUs run, which steal-time records are registered), the
 * decoders that turn fuzz bytes into function IDs, arguments and guest
 * memory contents, and the invariants checked after every call.
 *
 * Every violated invariant prints what was expected and calls abort(), which
 * libFuzzer reports as a crash and saves the input.
 *
 * Why not tests/fake_platform.c: its vcpu_block() waits (on a condition
 * variable) for an infinite deadline, it memsets ~350 KiB per instance, and
 * it returns an error for a guest access outside RAM where the fuzzer must
 * abort; this platform never blocks and treats every out-of-RAM access by
 * the core as a finding.
 */
#ifndef HCABI_FUZZ_COMMON_H
#define HCABI_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcabi_ref.h"

/* ---- Input reader: past the end, every read returns 0 ------------------- */
struct fz_in {
	const uint8_t *p;
	size_t n;
};
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);
static inline bool fz_empty(const struct fz_in *in)
{
	return in->n == 0;
}

/* ---- The VM under test ----------------------------------------------------- */

#define FZ_MAX_VCPUS HCABI_REF_MAX_VCPUS
#define FZ_MAX_RANGES 4u
#define FZ_NSLOTS 8u

/* Header of every input: 4 bytes (see fz_open). */
#define FZ_HEADER_SIZE 4u

/* Open a VM from the 4 header bytes: version pin, vCPU count, RAM layout,
 * CPUID base. Aborts if hcabi_ref_create() refuses a configuration the
 * harness considers valid. */
void fz_open(struct fz_in *in);
void fz_close(void);
/* The VM ended (SYSTEM.SHUTDOWN or CRASH): no more calls. */
bool fz_vm_ended(void);
/* The program goes on: input is left and the VM has not ended. */
static inline bool fz_more(const struct fz_in *in)
{
	return !fz_empty(in) && !fz_vm_ended();
}
/* The harness's program, after the header (fuzz_dispatch.c, fuzz_batch.c:
 * each defines it); fz_entry.c runs it between fz_open and fz_close. */
void fz_run(struct fz_in *in);

/* Number of vCPUs that are running (shadow model), and the k-th of them. */
uint32_t fz_nrunning(void);
uint32_t fz_running_vcpu(uint32_t k);
uint32_t fz_nvcpus(void);

/* Decoders (see the format in fuzz_dispatch.c). */
uint64_t fz_decode_fid(struct fz_in *in);
uint64_t fz_decode_arg(struct fz_in *in);
uint64_t fz_decode_gpa(struct fz_in *in, uint8_t sel);

/* Guest memory written by the harness (the "guest" itself): only the bytes
 * of [gpa, gpa + len) that are RAM are written. */
void fz_poke(uint64_t gpa, const void *src, size_t len);
void fz_poke64(uint64_t gpa, uint64_t v);
/* Slot k: a fixed, interesting GPA of the layout (FZ_NSLOTS of them). */
uint64_t fz_slot(unsigned k);

/* Host-side failure for the next call: kind (0: none) and how many
 * callbacks of that kind succeed first. */
void fz_set_failure(uint8_t kind, uint8_t skip);

/* Platform knobs driven by the input (fuzz_dispatch.c's PLATFORM op). */
void fz_platform_op(uint8_t kind, struct fz_in *in);

/* Make one call and check every invariant; vcpu is the dispatched index
 * (normally a running vCPU, see fz_running_vcpu). */
void fz_call(uint32_t vcpu, uint8_t cpl, uint64_t fid, const uint64_t args[6]);

/* Stats of the current input, for the harness's own limits. */
uint64_t fz_calls_made(void);

/* Abort with a message (printf format). */
__attribute__((noreturn, format(printf, 1, 2))) void fz_fail(const char *fmt, ...);

#endif
