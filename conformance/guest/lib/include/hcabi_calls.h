/* SPDX-License-Identifier: MIT */
/*
 * hcabi_calls.h - test support for calling any function of the registry:
 * raw calls with every register chosen, the registry's function table as
 * data, harmless arguments for each function, and version arithmetic.
 */
#ifndef HCABI_CALLS_H
#define HCABI_CALLS_H

#include "hcabi_guest.h"

/* One function of the registry (HCABI_FOREACH_FUNCTION). */
struct hcabi_fn {
	const char *ext, *name;
	uint32_t id;
	unsigned argc;
	uint32_t since;
	uint32_t statuses; /* bit n: status -n */
	uint32_t flags;	   /* HCABI_FN_* */
};
/* fn->statuses at exposed version `version`: without the statuses added to
 * the function after that version (abi.h's HCABI_FOREACH_LATE_STATUS). */
uint32_t hcabi_fn_statuses_at(const struct hcabi_fn *fn, uint32_t version);
extern const struct hcabi_fn hcabi_fns[];
extern const size_t hcabi_num_fns;
const struct hcabi_fn *hcabi_fn_by_id(uint32_t id);

/* One bit field of a function's argument (HCABI_FOREACH_ARG_FIELD): bits
 * hi:lo of argument `arg` of function `id`, with a meaning since `since`. */
struct hcabi_arg_field {
	uint32_t id;
	unsigned arg, hi, lo;
	uint32_t since;
};
extern const struct hcabi_arg_field hcabi_arg_fields[];
extern const size_t hcabi_num_arg_fields;

/* Whether function ID id is one the registry reserves (never assigned; a
 * call's result is unspecified, STATUS-003). */
bool hcabi_fid_reserved(uint32_t id);

/* The highest FID the registry defines in extension eid (-1: none). */
int hcabi_max_fid(uint32_t eid);

/* A call with RAX = rax (all 64 bits) and RDI, RSI, RDX, R10, R8, R9 =
 * args[0..5]; VMCALL or VMMCALL. */
struct hcabi_ret hcabi_raw_call(uint64_t rax, const uint64_t args[6], bool vmmcall);

/* Arguments that make function id harmless to call at any time (valid
 * where that is harmless, else invalid so that it fails): no output, no
 * VM exit, no lasting state. Unused argument slots get `poison + slot`. */
void hcabi_harmless_args(uint32_t id, uint64_t args[6], uint64_t poison);

/* Whether a function's value is the same for identical calls in a row
 * (BASE, GET_ID, GET_COUNT, GET_STATUS of self, ...), so two calls can be
 * compared value for value. */
bool hcabi_fn_deterministic(uint32_t id);

/* Function words with bits 63:32 set (the binding's INVALID_PARAM whatever
 * bits 31:0 name: X86-002, ARM64-003): these upper halves, ORed in. */
extern const uint64_t hcabi_upper_halves[3];
/* Whether a test may call fn with a function word or arguments the
 * implementation must reject: every function that returns, and VCPU.STOP
 * (on the only running vCPU DENIED at worst); not SYSTEM.*, which would end
 * the VM, taking the rest of the image with it, if the rule were broken. */
bool hcabi_fn_rejectable(const struct hcabi_fn *fn);

/* The argument registers past a function's count must be ignored (X86-003.2,
 * ARM64-006): for a function that returns and whose value is the same for
 * identical calls (hcabi_fn_deterministic), call it twice with its harmless
 * arguments, the slots past its count zero (*clean) and then poisoned
 * (*dirty); the two must be equal. False (nothing called) for the others. */
bool hcabi_call_clean_and_dirty(const struct hcabi_fn *fn, struct hcabi_ret *clean,
				struct hcabi_ret *dirty);

/* The extension version number the registry gives extension eid at spec
 * version `spec` (0 if it does not exist then). For a spec newer than this
 * suite, the newest number the suite knows. */
uint64_t hcabi_registry_ext_version(uint32_t eid, uint32_t spec);
/* The registry's "since" of extension eid, 0 for an unknown EID. */
uint32_t hcabi_registry_ext_since(uint32_t eid);
/* Whether spec is a version the registry lists. */
bool hcabi_registry_has_version(uint32_t spec);

/* A page-aligned scratch area of 4 pages the call helpers point buffers at. */
extern uint8_t hcabi_scratch[4 * 4096];

#endif /* HCABI_CALLS_H */
