/* SPDX-License-Identifier: MIT */
/*
 * hcabi_ref_internal.h - private interface between the parts of libhcabi_ref.
 *
 * Every table here is built from abi.h's X-macros (HCABI_FOREACH_*), never
 * copied by hand: a new version of the registry adds functions, argument
 * fields and extension versions, and the core picks them up on rebuild.
 * Internal names start with hcabi__core_ (hcabi__ext_<NAME> for the
 * extension objects) so that they never clash with an embedding VMM's own
 * hcabi__ names when both are linked statically.
 */
#ifndef HCABI_REF_INTERNAL_H
#define HCABI_REF_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcabi_ref.h"

/* ---- Tables derived from abi.h ------------------------------------------ */

/* Index of every extension of the registry, in registry order. */
enum hcabi__core_ext_index {
#define HCABI__CORE_X(NAME, EID, SINCE) HCABI__CORE_EXT_##NAME,
	HCABI_FOREACH_EXTENSION(HCABI__CORE_X)
#undef HCABI__CORE_X
	    HCABI__CORE_NEXT
};

/* Index of every function of the registry, in registry order. */
enum hcabi__core_fn_index {
#define HCABI__CORE_X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS) HCABI__CORE_FN_##EXT##_##NAME,
	HCABI_FOREACH_FUNCTION(HCABI__CORE_X)
#undef HCABI__CORE_X
	    HCABI__CORE_NFN
};

/* Number of versions the library implements (HCABI_FOREACH_VERSION). */
enum {
#define HCABI__CORE_X(V) HCABI__CORE_VER_##V,
	HCABI_FOREACH_VERSION(HCABI__CORE_X)
#undef HCABI__CORE_X
	    HCABI__CORE_NVERSION
};

#define HCABI__CORE_NARGS 6

struct hcabi__core_fn {
	uint32_t id;	   /* function ID */
	uint32_t since;	   /* spec version that added it */
	uint32_t statuses; /* bit n: status -n is permitted (STATUS-001) */
	uint32_t flags;	   /* HCABI_FN_NO_BATCH, HCABI_FN_NO_RETURN */
	uint8_t nargs;	   /* argument count (newest version) */
	uint8_t ext;	   /* enum hcabi__core_ext_index */
	const char *name;  /* "EXT.NAME" */
};
extern const struct hcabi__core_fn hcabi__core_fns[HCABI__CORE_NFN];

struct hcabi__core_extinfo {
	uint32_t eid;
	uint32_t since;
	const char *name;
};
extern const struct hcabi__core_extinfo hcabi__core_exts[HCABI__CORE_NEXT];

/* Index of a function ID in hcabi__core_fns, or -1. Inline: every call and
 * every BATCH entry looks its function up once, and under nested TCG a call
 * and its return cost more than the few compares to a common function. */
static inline int hcabi__core_fn_lookup(uint32_t function_id)
{
	for (int i = 0; i < HCABI__CORE_NFN; i++)
		if (hcabi__core_fns[i].id == function_id)
			return i;
	return -1;
}
/* Whether `v` is a version of the registry (registry.c). */
bool hcabi__core_version_implemented(uint32_t v);

/* ---- Extension handlers (OpenSBI's pattern) ----------------------------- */

/* A call as a handler sees it: arguments beyond the function's count are 0
 * (X86-003), reserved bits are already checked (GEN-002). */
struct hcabi__core_req {
	struct hcabi_ref *ref;
	uint32_t vcpu;	      /* the calling vCPU */
	uint32_t fid;	      /* function ID (RAX[31:0]) */
	bool in_batch;	      /* executed as a BATCH.EXECUTE entry */
	const uint64_t *args; /* HCABI__CORE_NARGS entries */
};

struct hcabi__core_res {
	int64_t status;
	uint64_t value;
	enum hcabi_ref_action action;
	uint64_t action_arg;
};

/* Each ext_<name>.c exports `const struct hcabi__ext hcabi__ext_<NAME>`.
 * The handler returns the status and fills res->value (and res->action for
 * the functions that do not return); its switch has
 * `default: return HCABI_ERR_NOT_SUPPORTED`. */
struct hcabi__ext {
	uint32_t eid;
	int64_t (*handler)(const struct hcabi__core_req *req, struct hcabi__core_res *res);
};

#define HCABI__CORE_X(NAME, EID, SINCE) extern const struct hcabi__ext hcabi__ext_##NAME;
HCABI_FOREACH_EXTENSION(HCABI__CORE_X)
#undef HCABI__CORE_X

/* ---- The instance -------------------------------------------------------- */

enum hcabi__core_vstate {
	HCABI__CORE_STOPPED = 0,
	HCABI__CORE_RUNNING,
	HCABI__CORE_BLOCKED,
};

struct hcabi__core_vcpu {
	/* Protected by ref->lock. */
	enum hcabi__core_vstate state;
	bool busy; /* in a START/STOP transition: others wait on ref->cv */
	bool fault_stopping; /* test-only fault "racy" (VCPU.STOP): deciding */
	/* Steal-time record: touched only by this vCPU's own thread (dispatch
	 * for one vCPU is never concurrent) or with no vCPU in dispatch. */
	bool steal_on;
	uint64_t steal_gpa;
	uint32_t steal_seq;  /* even between updates */
	uint64_t steal_last; /* last value written: steal_ns never decreases */
};

struct hcabi__core_fault {
	uint32_t function_id;
	enum hcabi_ref_fault_kind kind;
	uint64_t param;
};

struct hcabi_ref {
	const struct hcabi_platform_ops *ops;
	void *ctx;
	uint32_t nvcpus;
	uint32_t version; /* exposed spec version */
	uint64_t impl_version;
	uint32_t cpuid_base;
	uint32_t arch; /* enum hcabi_ref_arch */

	/* RAM, merged (sorted, neither overlapping nor touching): MEM-011. */
	struct hcabi_ref_ram_range *ram;
	uint32_t nram;

	/* Extensions the embedder provides (profiles: extset.c). */
	bool ext_selected[HCABI__CORE_NEXT];
	/* What the exposed version provides of them (VER-001/002). */
	const struct hcabi__ext *ext[HCABI__CORE_NEXT]; /* NULL: not provided */
	uint32_t ext_version[HCABI__CORE_NEXT];		/* 0: not provided */
	bool fn_present[HCABI__CORE_NFN];
	/* STATUS-001 at the exposed version: the function's status mask
	 * without the statuses added after that version (abi.h's
	 * HCABI_FOREACH_LATE_STATUS, e.g. FAILED from 1.2, STATUS-005). */
	uint32_t fn_statuses[HCABI__CORE_NFN];
	/* GEN-002: bits of argument i that have a meaning at the exposed
	 * version, for the arguments that have fields (arg_checked bit i). */
	uint64_t arg_valid[HCABI__CORE_NFN][HCABI__CORE_NARGS];
	uint8_t arg_checked[HCABI__CORE_NFN];

	pthread_mutex_t lock; /* vCPU states */
	pthread_cond_t cv;    /* a transition ended */
	struct hcabi__core_vcpu *vcpus;

	_Atomic uint64_t mono_last; /* TIME-001/002 clamp */
	_Atomic uint64_t n_calls, n_bugs, n_host_errors;

	pthread_mutex_t fault_lock;
	_Atomic uint32_t nfaults;
	struct hcabi__core_fault faults[HCABI_REF_MAX_FAULTS];

	void (*trace)(void *arg, const struct hcabi_ref_trace_event *ev);
	void *trace_arg;
};

/* ---- Shared helpers ------------------------------------------------------ */

/* Execute one call (direct or batch entry) through every central check.
 * Returns the index in hcabi__core_fns of the function RAX[31:0] names if
 * it exists at the exposed version, else -1: the call's one lookup, passed
 * on to hcabi__core_finish. */
int hcabi__core_call(struct hcabi_ref *ref, uint32_t vcpu, uint64_t function_id,
		     const uint64_t args[HCABI__CORE_NARGS], bool in_batch,
		     struct hcabi__core_res *res);

/* A BATCH entry: hcabi__core_call as a batch entry, then what every call
 * ends with (test-only faults, the trace hook); res gets its result. */
void hcabi__core_call_entry(struct hcabi_ref *ref, uint32_t vcpu, const uint64_t entry[1 + HCABI__CORE_NARGS],
			    struct hcabi__core_res *res);

/* GPA checks (gpa.c). A range is good if it is non-empty, does not overflow
 * and lies wholly in one merged RAM range. */
bool hcabi__core_ram_contains(const struct hcabi_ref *ref, uint64_t gpa, uint64_t len);
/* HCABI_SUCCESS or HCABI_ERR_INVALID_ADDRESS for [gpa, gpa + count * size)
 * aligned to `align` (a power of two); count * size must not overflow
 * (GEN-001). count 0 is the caller's case to decide: here it is an error. */
int64_t hcabi__core_check_gpa(const struct hcabi_ref *ref, uint64_t gpa, uint64_t count,
			      uint64_t size, uint64_t align);
/* Little-endian encoding of the shared structures (no host padding). */
void hcabi__core_put_le(uint8_t *p, uint64_t v, unsigned bytes);
uint64_t hcabi__core_get_le(const uint8_t *p, unsigned bytes);

/* ARM64-021, RV64-018 / IPI-001, TIME-020, TIME-040: is `vector` a valid HCABI
 * interrupt vector in the binding of ref->arch (binding.c)? */
bool hcabi__core_vector_valid(const struct hcabi_ref *ref, uint8_t vector);
/* TLB-006, ARM64-034, RV64-030: does [first, last] lie wholly in one
 * canonical half of the address space of ref->arch's binding (binding.c)? */
bool hcabi__core_range_canonical(const struct hcabi_ref *ref, uint64_t first, uint64_t last);

/* Profiles (extset.c): which extensions cfg provides at `version`; an
 * error message for a bad list, else NULL. */
const char *hcabi__core_select_extensions(const struct hcabi_ref_config *cfg, uint32_t version,
					  bool provide[HCABI__CORE_NEXT]);

/* Monotonic clock clamped never to decrease across vCPUs (TIME-001/002). */
uint64_t hcabi__core_now(struct hcabi_ref *ref);

/* Steal time (ext_steal.c): update the record of `vcpu` (STEAL-003). */
void hcabi__core_steal_update(struct hcabi_ref *ref, uint32_t vcpu);
void hcabi__core_steal_unregister(struct hcabi_ref *ref, uint32_t vcpu);

/* vCPU state (ext_vcpu.c). With ref->lock held: wait until `vcpu` is not
 * in a START/STOP transition, then return its state. */
enum hcabi__core_vstate hcabi__core_vstate_locked(struct hcabi_ref *ref, uint32_t vcpu);
/* Targets named by (mask, base), as for IPI.SEND and TLB.FLUSH: false if a
 * bit names an index that overflows or is not below the vCPU count. */
bool hcabi__core_targets_valid(const struct hcabi_ref *ref, uint64_t mask, uint64_t base);
/* Of those targets, the ones not stopped now (bit i: base + i). */
uint64_t hcabi__core_targets_running(struct hcabi_ref *ref, uint64_t mask, uint64_t base);

/* Faults (fault.c): is a fault of `kind` set for `function_id` (the
 * CONSOLE data-path kinds, applied by ext_console.c)? */
bool hcabi__core_fault_has(struct hcabi_ref *ref, uint32_t function_id,
			   enum hcabi_ref_fault_kind kind);
/* Faults (fault.c): apply the faults of res's function; true if any did. */
bool hcabi__core_fault_apply(struct hcabi_ref *ref, uint32_t function_id, bool in_batch,
			     struct hcabi__core_res *res, uint32_t *clobber);
/* Behaviour faults (fault.c): whether a fault of `kind` is set for the
 * function; *usec gets its delay (20000 when its param is 0). */
bool hcabi__core_fault_behaviour(struct hcabi_ref *ref, uint32_t function_id,
				 enum hcabi_ref_fault_kind kind, uint64_t *usec);
/* Sleep usec microseconds (a behaviour fault's window). */
void hcabi__core_fault_delay(uint64_t usec);

/* Counters. */
static inline void hcabi__core_count_bug(struct hcabi_ref *ref)
{
	atomic_fetch_add_explicit(&ref->n_bugs, 1, memory_order_relaxed);
}
static inline void hcabi__core_count_host_error(struct hcabi_ref *ref)
{
	atomic_fetch_add_explicit(&ref->n_host_errors, 1, memory_order_relaxed);
}

/* The permitted status that replaces one a function does not permit
 * (STATUS-001), for its status mask (bit n: status -n): FAILED if listed,
 * else INVALID_PARAM (the common status), else the first listed. */
int64_t hcabi__core_fallback_status_mask(uint32_t statuses);

/* Status of an internal failure (a platform callback failed): FAILED where
 * the function's table lists it at the exposed version (STATUS-005, from
 * 1.2); elsewhere the dispatcher replaces it with a permitted status and
 * counts an internal bug. */
#define HCABI__CORE_INTERNAL_FAILURE HCABI_ERR_FAILED

/* Test hook: replace the handler of one extension (the EID of `ext`) in this
 * instance, to check the dispatcher's enforcement against a buggy handler.
 * Returns false if the EID is not an extension of the registry. */
bool hcabi__core_test_set_ext(struct hcabi_ref *ref, const struct hcabi__ext *ext);

#endif /* HCABI_REF_INTERNAL_H */
