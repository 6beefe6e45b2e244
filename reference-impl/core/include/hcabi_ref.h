/* SPDX-License-Identifier: MIT */
/*
 * hcabi_ref.h - public interface of libhcabi_ref, the embeddable HCABI
 * reference implementation.
 *
 * The library implements the semantics of every HCABI function. It never
 * touches a host API itself: everything it needs from the VMM (guest memory,
 * vCPU control, interrupts, timers, clocks, console) comes through
 * struct hcabi_platform_ops, which the embedding hypervisor fills in.
 *
 * Threading: hcabi_ref_dispatch() is called by every vCPU thread at once.
 * The library serialises what must be serialised; platform callbacks may be
 * invoked concurrently from different vCPU threads and must be thread-safe.
 * Callbacks are never invoked with a library lock held except where noted.
 */
#ifndef HCABI_REF_H
#define HCABI_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Internal error space of the platform callbacks. Never seen by a guest:
 * the core maps each to the spec status that the function permits. */
enum hcabi_ref_perr {
	HCABI_REF_POK = 0,
	HCABI_REF_PERR_FAULT = -1,   /* GPA range not (wholly) guest RAM */
	HCABI_REF_PERR_HOST = -2,    /* host-side failure (I/O, resources) */
	HCABI_REF_PERR_STATE = -3,   /* target not in a state the op needs */
};

/* What the embedding VMM must do with the calling vCPU after a dispatch. */
enum hcabi_ref_action {
	HCABI_REF_ACTION_RESUME = 0,   /* write status/value to RAX/RDX, resume */
	HCABI_REF_ACTION_RAISE_UD,     /* change no register, inject #UD */
	HCABI_REF_ACTION_STOP_VCPU,    /* VCPU.STOP succeeded: park this vCPU
					* until platform->vcpu_start() names it */
	HCABI_REF_ACTION_SHUTDOWN,     /* SYSTEM.SHUTDOWN; action_arg = code */
	HCABI_REF_ACTION_REBOOT,       /* SYSTEM.REBOOT */
	HCABI_REF_ACTION_CRASH,        /* SYSTEM.CRASH; action_arg = code */
};

/* A hypercall as the VMM captured it from the vCPU's registers. */
struct hcabi_ref_call {
	uint64_t function_id;  /* full RAX, upper bits included */
	uint64_t args[6];      /* RDI, RSI, RDX, R10, R8, R9 */
	uint8_t cpl;           /* current privilege level of the caller */
};

struct hcabi_ref_ret {
	int64_t status;        /* goes to RAX */
	uint64_t value;        /* goes to RDX */
	enum hcabi_ref_action action;
	uint64_t action_arg;
	/* Test-only fault injection (hcabi_ref_inject_fault): general-purpose
	 * registers the VMM must overwrite with poison before resuming, as a
	 * bitmask of enum hcabi_ref_gpr. Always 0 in normal operation. */
	uint32_t clobber_gprs;
};

enum hcabi_ref_gpr {
	HCABI_REF_GPR_RAX, HCABI_REF_GPR_RCX, HCABI_REF_GPR_RDX,
	HCABI_REF_GPR_RBX, HCABI_REF_GPR_RSP, HCABI_REF_GPR_RBP,
	HCABI_REF_GPR_RSI, HCABI_REF_GPR_RDI, HCABI_REF_GPR_R8,
	HCABI_REF_GPR_R9, HCABI_REF_GPR_R10, HCABI_REF_GPR_R11,
	HCABI_REF_GPR_R12, HCABI_REF_GPR_R13, HCABI_REF_GPR_R14,
	HCABI_REF_GPR_R15,
};

/* One range of guest RAM, as the VMM lays it out. */
struct hcabi_ref_ram_range {
	uint64_t base;         /* 4 KiB aligned */
	uint64_t size;         /* multiple of 4 KiB, > 0 */
};

/* Callbacks the embedding VMM provides. `ctx` is passed back unchanged.
 * Return values of type int are enum hcabi_ref_perr. */
struct hcabi_platform_ops {
	/* Copy between guest RAM and a host buffer. Must fail (and copy
	 * nothing) if any byte of [gpa, gpa + len) is not RAM. */
	int (*mem_read)(void *ctx, uint64_t gpa, void *dst, size_t len);
	int (*mem_write)(void *ctx, uint64_t gpa, const void *src, size_t len);
	/* Discard the contents of whole pages; afterwards they read as zero
	 * and a write makes them ordinary RAM again. */
	int (*mem_release)(void *ctx, uint64_t gpa, uint64_t npages);

	/* Start a stopped vCPU from `bs` (already validated by the core). */
	int (*vcpu_start)(void *ctx, uint32_t vcpu, const struct hcabi_vcpu_boot_state *bs);
	/* Block the calling vCPU's thread until it is kicked, an interrupt is
	 * injected into it, or the monotonic clock reaches deadline_ns
	 * (UINT64_MAX: no deadline). A kick that arrives while the vCPU is
	 * not blocked is remembered and ends the next block at once. */
	int (*vcpu_block)(void *ctx, uint32_t vcpu, uint64_t deadline_ns);
	int (*vcpu_kick)(void *ctx, uint32_t vcpu);
	/* Scheduling hint; target is a vCPU index or UINT32_MAX for any. */
	void (*vcpu_yield)(void *ctx, uint32_t vcpu, uint32_t target);

	/* Make `vector` pending in the target vCPU's local APIC before
	 * returning (fixed delivery, edge). Also ends a vcpu_block(). */
	int (*inject_irq)(void *ctx, uint32_t vcpu, uint8_t vector);
	/* Per-vCPU one-shot timer: inject `vector` into `vcpu` once the
	 * monotonic clock is >= deadline_ns. Re-arming replaces. */
	int (*timer_arm)(void *ctx, uint32_t vcpu, uint64_t deadline_ns, uint8_t vector);
	/* Disarm; *was_pending = true if an armed timer had not yet fired. */
	int (*timer_cancel)(void *ctx, uint32_t vcpu, bool *was_pending);
	/* Invalidate the target vCPU's TLB entries for the `npages` pages at
	 * gva (npages 0: all entries) before returning. */
	int (*tlb_flush)(void *ctx, uint32_t vcpu, uint64_t gva, uint64_t npages);

	uint64_t (*clock_monotonic_ns)(void *ctx);  /* never decreases */
	uint64_t (*clock_wall_ns)(void *ctx);       /* since the Unix epoch */
	uint64_t (*steal_ns)(void *ctx, uint32_t vcpu); /* never decreases */

	/* Console: write up to len bytes / read up to len pending bytes
	 * without blocking. Return the count (>= 0) or HCABI_REF_PERR_HOST. */
	int64_t (*console_write)(void *ctx, const void *buf, size_t len);
	int64_t (*console_read)(void *ctx, void *buf, size_t len);
};

struct hcabi_ref_config {
	uint32_t vcpu_count;                  /* 1 .. HCABI_REF_MAX_VCPUS */
	const struct hcabi_ref_ram_range *ram; /* sorted, non-overlapping */
	uint32_t ram_count;
	/* Version the implementation exposes, as (major << 16) | minor;
	 * 0 means the newest version the library implements. A pinned
	 * version behaves exactly as that version of the spec. */
	uint32_t spec_version;
	uint64_t impl_version;                /* BASE.GET_IMPL_VERSION */
	uint32_t cpuid_base;                  /* 0x40000000 (default if 0) */
	const struct hcabi_platform_ops *ops;
	void *ctx;
};

#define HCABI_REF_MAX_VCPUS 256u

struct hcabi_ref;

/* Create/destroy. On error returns NULL and, if err is not NULL, points it
 * at a static message naming the bad field. */
struct hcabi_ref *hcabi_ref_create(const struct hcabi_ref_config *cfg, const char **err);
void hcabi_ref_destroy(struct hcabi_ref *ref);

/* The exposed spec version, (major << 16) | minor. */
uint32_t hcabi_ref_spec_version(const struct hcabi_ref *ref);
/* Newest version this library implements. */
uint32_t hcabi_ref_newest_version(void);
/* Parse "MAJOR.MINOR" into (major << 16) | minor; false if malformed or not
 * a version this library implements. */
bool hcabi_ref_parse_version(const char *s, uint32_t *out);

/* vCPU 0 is running at creation; all others are stopped. A VMM that boots
 * more vCPUs itself calls this to tell the core. */
void hcabi_ref_set_vcpu_running(struct hcabi_ref *ref, uint32_t vcpu, bool running);

/* Execute one hypercall for `vcpu`. Never fails: every outcome is a spec
 * status in ret->status plus an action for the VMM. */
void hcabi_ref_dispatch(struct hcabi_ref *ref, uint32_t vcpu,
			const struct hcabi_ref_call *call, struct hcabi_ref_ret *ret);

/* CPUID leaves of the hypervisor range that the core answers (discovery).
 * Returns false for leaves it does not own. */
bool hcabi_ref_cpuid(const struct hcabi_ref *ref, uint32_t leaf, uint32_t subleaf,
		     uint32_t out[4]);

/* Counters for the host's diagnostics. internal_bugs counts dispatches in
 * which a handler produced a status its function does not permit (the
 * dispatcher replaced it with HCABI_ERR_FAILED). */
struct hcabi_ref_stats {
	uint64_t calls;
	uint64_t internal_bugs;
};
void hcabi_ref_get_stats(const struct hcabi_ref *ref, struct hcabi_ref_stats *out);

/* ---- Test-only fault injection (never enabled by default) -------------
 * Make calls to `function_id` misbehave, so that a conformance suite can be
 * shown to catch a wrong implementation. */
enum hcabi_ref_fault_kind {
	HCABI_REF_FAULT_NONE = 0,
	HCABI_REF_FAULT_STATUS,   /* return status `param` instead */
	HCABI_REF_FAULT_VALUE,    /* return value XOR `param` (param != 0) */
	HCABI_REF_FAULT_CLOBBER,  /* clobber GPR number `param` (enum hcabi_ref_gpr) */
};
int hcabi_ref_inject_fault(struct hcabi_ref *ref, uint32_t function_id,
			   enum hcabi_ref_fault_kind kind, uint64_t param);
/* Parse "FUNC:KIND[:PARAM]" (FUNC a name like BASE.GET_SPEC_VERSION or a
 * hex ID; KIND status|value|clobber) and apply it. false + *err on error. */
bool hcabi_ref_inject_fault_spec(struct hcabi_ref *ref, const char *spec, const char **err);

#ifdef __cplusplus
}
#endif
#endif /* HCABI_REF_H */
