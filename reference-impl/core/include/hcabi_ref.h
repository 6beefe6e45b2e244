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
 * Threading: hcabi_ref_dispatch() is called by every vCPU thread at once,
 * but for one vCPU index by one thread at a time (the vCPU's own thread).
 * The library serialises what must be serialised; platform callbacks may be
 * invoked concurrently from different vCPU threads and must be thread-safe.
 * Callbacks are never invoked with a library lock held, so a callback may
 * wait for another vCPU thread (e.g. a TLB flush handshake) without
 * deadlocking the core. Callbacks must not call back into the library.
 *
 * Hostile guests: the core validates every guest value before it has any
 * effect, reads each guest buffer once into a host copy, checks every GPA
 * range against the configured RAM without overflow, and writes only fully
 * initialised bytes to the guest.
 */
#ifndef HCABI_REF_H
#define HCABI_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* abi.h's x86-64 call wrappers (VMCALL inline assembly) are the guest's
 * side; a hypervisor has no use for them, so this header takes abi.h
 * without them (abi.h: HCABI_NO_CALL_WRAPPERS). abi.h sits beside this file
 * when installed (<includedir>/hcabi). A file that needs the wrappers too
 * includes abi.h before this header. */
#ifndef HCABI_NO_CALL_WRAPPERS
#define HCABI_NO_CALL_WRAPPERS
#define HCABI_REF__UNDEF_NO_CALL_WRAPPERS
#endif
#include "abi.h"
#ifdef HCABI_REF__UNDEF_NO_CALL_WRAPPERS
#undef HCABI_NO_CALL_WRAPPERS
#undef HCABI_REF__UNDEF_NO_CALL_WRAPPERS
#endif

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

/* A hypercall as the VMM captured it from the vCPU's registers. The
 * register binding is the VMM's part: it treats VMCALL and VMMCALL alike
 * (X86-001), fills this from RAX, RDI, RSI, RDX, R10, R8, R9 (X86-003),
 * writes back RAX = status and RDX = value only (X86-004) and preserves
 * every other register, RFLAGS.DF/IF and x87/SSE/AVX state (X86-006..008);
 * the core never sees registers. */
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

	/* Start a stopped vCPU from `bs` (already validated by the core; host
	 * byte order). Called by another vCPU's thread, possibly a moment
	 * before the target's own thread has parked after its VCPU.STOP.
	 * The platform resets the target (local APIC as after reset) and
	 * discards any kick or wake-up remembered for it. HCABI_REF_POK, or
	 * an error (the core then leaves the target stopped). On arm64
	 * (hcabi_ref_config.arch) the guest's struct
	 * hcabi_vcpu_boot_state_arm64 arrives in the same structure: its
	 * `entry` in bs->rip, its `arg` in bs->arg, every other field 0; so
	 * does riscv64's struct hcabi_vcpu_boot_state_riscv64 (the platform
	 * puts the hart ID in a0 itself, RV64-025). */
	int (*vcpu_start)(void *ctx, uint32_t vcpu, const struct hcabi_vcpu_boot_state *bs);
	/* Block the calling vCPU's thread (vcpu is the caller) until it is
	 * kicked, an interrupt is injected into it, or the monotonic clock
	 * reaches deadline_ns (UINT64_MAX: no deadline). A kick that arrives
	 * while the vCPU is not blocked is remembered (several as one) and
	 * ends the next block at once; that block consumes it. An
	 * inject_irq()/timer interrupt that arrived while the vCPU was not
	 * blocked ends the next block at once if it is still pending in the
	 * vCPU's interrupt controller (a platform without one to look at may
	 * remember it like a kick); one the guest has already taken must not
	 * end a later block (VCPU-060 names every wake-up source). This holds
	 * even when deadline_ns has already passed (BLOCK with timeout 0): a
	 * remembered kick is then consumed and reported, otherwise the call
	 * returns at once.
	 * Returns (VCPU-060..062):
	 *   1 (HCABI_BLOCK_WOKEN)      ended by a kick or an interrupt,
	 *                              remembered or new;
	 *   0 (HCABI_BLOCK_TIMED_OUT)  deadline_ns reached, nothing pending;
	 *   < 0                        host failure (the core reports a
	 *                              wake-up: a spurious wake is harmless).
	 * Returning 0 for a kick is wrong: BLOCK(0) after a KICK would then
	 * report TIMED_OUT (VCPU-061). The core never reports TIMED_OUT before
	 * its monotonic clock reaches deadline_ns: a 0 returned earlier is
	 * taken as a spurious wake-up (HCABI_BLOCK_WOKEN), not waited again. */
	int (*vcpu_block)(void *ctx, uint32_t vcpu, uint64_t deadline_ns);
	/* Wake `vcpu` from vcpu_block(), or remember the kick if it is not
	 * blocked (VCPU-061). Never blocks. */
	int (*vcpu_kick)(void *ctx, uint32_t vcpu);
	/* Scheduling hint; target is a vCPU index or UINT32_MAX for any. */
	void (*vcpu_yield)(void *ctx, uint32_t vcpu, uint32_t target);

	/* Make `vector` pending in the target vCPU's local APIC before
	 * returning (fixed delivery, edge). Also ends a vcpu_block(), or is
	 * remembered like a kick when the target is not blocked. The timer
	 * of timer_arm() must have the same effect when it fires. The core
	 * calls it only for targets it believes running; a target that
	 * stopped meanwhile may return HCABI_REF_PERR_STATE (ignored). */
	int (*inject_irq)(void *ctx, uint32_t vcpu, uint8_t vector);
	/* Per-vCPU one-shot timer: inject `vector` into `vcpu` once the
	 * monotonic clock is >= deadline_ns. Re-arming replaces, whether the
	 * timer was one-shot or periodic (TIME-024, TIME-042). */
	int (*timer_arm)(void *ctx, uint32_t vcpu, uint64_t deadline_ns, uint8_t vector);
	/* Disarm, one-shot or periodic; *was_pending = true if a one-shot timer
	 * was armed and had not yet fired, and always while a periodic timer
	 * is armed (TIME-030, TIME-042). Once it returns, the timer injects
	 * nothing more. Also called by VCPU.STOP on the stopping vCPU's own
	 * thread (TIME-042: STOP cancels a periodic timer too). */
	int (*timer_cancel)(void *ctx, uint32_t vcpu, bool *was_pending);
	/* Per-vCPU periodic timer (TIME.SET_PERIODIC, HCABI 1.1), the same
	 * per-vCPU timer as timer_arm's: arming either replaces the other
	 * (TIME-042). Arguments are validated by the core: vector >= 32,
	 * period_ns >= HCABI_TIMER_MIN_PERIOD (TIME-040).
	 *  - Grid (TIME-041): tick k is due at first_ns + k * period_ns,
	 *    k = 0, 1, 2, ...; a first_ns already passed makes tick 0 due at
	 *    once. Grid points beyond 2^64 - 1 never come (the sum does not
	 *    wrap around).
	 *  - Never early (TIME-041): tick k is injected (as inject_irq does,
	 *    into `vcpu` only) only once the monotonic clock is >= its grid
	 *    point.
	 *  - Coalescing: at most one tick is outstanding. Ticks that fall due
	 *    while one is still pending, or while the platform could not inject
	 *    (a late wake-up, a stall), merge into one injection, as the local
	 *    APIC merges edge interrupts of one vector already pending in its
	 *    IRR: after a stall the platform injects once and then continues
	 *    with the next grid point in the future. The grid is kept: ticks
	 *    never drift to `injection time + period`.
	 *  - It fires until timer_arm, timer_arm_periodic or timer_cancel
	 *    replaces or cancels it (timer_cancel reports was_pending = true).
	 * Required when the exposed version has TIME.SET_PERIODIC (1.1 and
	 * later); a VMM that pins an older version may leave it NULL. */
	int (*timer_arm_periodic)(void *ctx, uint32_t vcpu, uint64_t first_ns, uint64_t period_ns,
				  uint8_t vector);
	/* Invalidate the target vCPU's TLB entries for the `npages` pages at
	 * gva (npages 0: all entries, gva 0) before returning. The target may
	 * be the caller. A target that stopped meanwhile may return
	 * HCABI_REF_PERR_STATE (ignored). */
	int (*tlb_flush)(void *ctx, uint32_t vcpu, uint64_t gva, uint64_t npages);

	/* The VM's monotonic clock; the core also clamps it so that no two
	 * calls on any vCPUs ever see it decrease (TIME-001/002). */
	uint64_t (*clock_monotonic_ns)(void *ctx);  /* never decreases */
	uint64_t (*clock_wall_ns)(void *ctx);       /* since the Unix epoch */
	/* Time `vcpu` was runnable but not running; the core clamps it so the
	 * guest never sees it decrease (STEAL-004). Called on vcpu's thread. */
	uint64_t (*steal_ns)(void *ctx, uint32_t vcpu); /* never decreases */

	/* Console: write up to len bytes / read up to len pending bytes
	 * without blocking. Return the count (>= 0) or HCABI_REF_PERR_HOST.
	 * One CONSOLE.WRITE passes its whole buffer (<= HCABI_CONSOLE_MAX_XFER
	 * bytes) in one console_write call, which should write it as one unit;
	 * after a short count the core calls again with the rest, and reports
	 * HCABI_ERR_IO after an error or a count of 0. */
	int64_t (*console_write)(void *ctx, const void *buf, size_t len);
	int64_t (*console_read)(void *ctx, void *buf, size_t len);
};

struct hcabi_ref_config {
	uint32_t vcpu_count;                  /* 1 .. HCABI_REF_MAX_VCPUS */
	/* Sorted, non-overlapping, 4 KiB granular, below 2^64; ranges that
	 * touch are one range to the guest (MEM.GET_LAYOUT, MEM-011) and a
	 * buffer may span them (mem_read/mem_write must then cope). Copied at
	 * creation. */
	const struct hcabi_ref_ram_range *ram;
	uint32_t ram_count;
	/* Version the implementation exposes, as (major << 16) | minor;
	 * 0 means the newest version the library implements. A pinned
	 * version behaves exactly as that version of the spec. */
	uint32_t spec_version;
	uint64_t impl_version;                /* BASE.GET_IMPL_VERSION */
	/* 0x40000000 + k * 0x100, k <= 0xFF (DISC-002); 0 means 0x40000000. */
	uint32_t cpuid_base;
	/* Profiles: the EIDs of the extensions to provide, `extension_count`
	 * of them (order and repeats do not matter); NULL with count 0
	 * provides every extension of the exposed version. BASE must be
	 * listed (it is mandatory); every EID must be an extension of the
	 * exposed version. A withheld extension is absent exactly as one the
	 * library does not implement: PROBE_EXTENSION returns 0 for it,
	 * PROBE_FUNCTION 0 for its functions, its functions return
	 * NOT_SUPPORTED, directly or as BATCH.EXECUTE entries, and nothing of
	 * it is reachable (no timer, no steal-time record, no IPI, ...).
	 * Copied at creation. hcabi_ref_parse_extensions() builds the list
	 * from names. */
	const uint32_t *extensions;
	uint32_t extension_count;
	const struct hcabi_platform_ops *ops;
	void *ctx;
	/* The binding the guest uses (enum hcabi_ref_arch; 0, the default, is
	 * x86-64). It decides the rules that differ by architecture: the
	 * valid interrupt vectors (x86-64 HCABI_VECTOR_MIN..255; arm64
	 * HCABI_ARM64_VECTOR_MIN..MAX, ARM64-021; riscv64
	 * HCABI_RISCV64_VECTOR_MIN..MAX, RV64-018) and VCPU.START's boot state
	 * (x86-64 struct hcabi_vcpu_boot_state, VCPU-022; arm64 struct
	 * hcabi_vcpu_boot_state_arm64, ARM64-024/025; riscv64 struct
	 * hcabi_vcpu_boot_state_riscv64, RV64-021/022). */
	uint32_t arch;
};

enum hcabi_ref_arch {
	HCABI_REF_ARCH_X86_64 = 0,
	HCABI_REF_ARCH_ARM64 = 1,
	HCABI_REF_ARCH_RISCV64 = 2,
};

#define HCABI_REF_MAX_VCPUS 256u

struct hcabi_ref;

/* Create/destroy. On error returns NULL and, if err is not NULL, points it
 * at a static message naming the bad field. Every callback of ops is
 * required, except timer_arm_periodic at an exposed version older than
 * TIME.SET_PERIODIC's (HCABI_FID_TIME_SET_PERIODIC_SINCE). The instance
 * holds all state: several may coexist. */
struct hcabi_ref *hcabi_ref_create(const struct hcabi_ref_config *cfg, const char **err);
void hcabi_ref_destroy(struct hcabi_ref *ref);

/* The exposed spec version, (major << 16) | minor. */
uint32_t hcabi_ref_spec_version(const struct hcabi_ref *ref);
/* Newest version this library implements. */
uint32_t hcabi_ref_newest_version(void);
/* Parse "MAJOR.MINOR" into (major << 16) | minor; false if malformed or not
 * a version this library implements. */
bool hcabi_ref_parse_version(const char *s, uint32_t *out);

/* Most EIDs hcabi_ref_parse_extensions() returns: one per extension of
 * the registry. */
#define HCABI_REF_MAX_EXTENSIONS 64u
/* Parse a comma-separated list of extension names (BASE,CONSOLE,TIME, as in
 * the registry) and profile names (core, full: the extensions the profile
 * requires at `version`, from the registry), case-insensitive, into the
 * EIDs of hcabi_ref_config.extensions (no repeats, registry order).
 * `version` is the exposed version, (major << 16) | minor, 0 for the
 * newest. Returns false with *err a static message, and *bad (if not NULL)
 * the offset in `list` of the item it names, for an empty item, an unknown
 * name, an extension newer than `version`, or a list without BASE. */
bool hcabi_ref_parse_extensions(const char *list, uint32_t version,
				uint32_t eids[HCABI_REF_MAX_EXTENSIONS], uint32_t *count,
				const char **err, size_t *bad);
/* Whether the instance provides extension `eid` (at its exposed version,
 * not withheld). */
bool hcabi_ref_provides(const struct hcabi_ref *ref, uint32_t eid);

/* vCPU 0 is running at creation; all others are stopped. A VMM that boots
 * more vCPUs itself calls this to tell the core. Marking a vCPU stopped
 * also unregisters its steal-time record (call it only while that vCPU's
 * thread is not inside hcabi_ref_dispatch()). Out-of-range: ignored. */
void hcabi_ref_set_vcpu_running(struct hcabi_ref *ref, uint32_t vcpu, bool running);

/* VM reset (SYSTEM.REBOOT when the VMM reboots): the state as at creation,
 * vCPU 0 running, every other vCPU stopped, no steal-time record
 * registered. Faults, stats and the trace hook are kept. Call it only
 * while no vCPU thread is inside hcabi_ref_dispatch(). Timers are the
 * platform's: the VMM resets them itself. */
void hcabi_ref_reset(struct hcabi_ref *ref);

/* Execute one hypercall for `vcpu`. Never fails: every outcome is a spec
 * status in ret->status plus an action for the VMM. ret is written whole.
 * Order of the checks: CPL > 0 -> RAISE_UD with no effect (X86-009);
 * RAX[63:32] != 0 -> INVALID_PARAM (X86-002); unknown extension/function
 * at the exposed version -> NOT_SUPPORTED (STATUS-002/003, VER-001);
 * reserved argument bits -> INVALID_PARAM (GEN-002); the function itself.
 * Then: a status its function does not permit is replaced (see stats),
 * RDX is 0 on any error (X86-005), the caller's steal-time record is
 * updated (STEAL-003), and test-only faults are applied last.
 * For an action other than RESUME (and RAISE_UD), status is SUCCESS and
 * value 0; nothing is to be written to the guest's registers.
 * A vcpu index not below the vCPU count is a VMM bug: INVALID_PARAM,
 * counted in internal_bugs. */
void hcabi_ref_dispatch(struct hcabi_ref *ref, uint32_t vcpu,
			const struct hcabi_ref_call *call, struct hcabi_ref_ret *ret);

/* CPUID leaves of the hypervisor range that the core answers (discovery).
 * Returns false for leaves it does not own. */
bool hcabi_ref_cpuid(const struct hcabi_ref *ref, uint32_t leaf, uint32_t subleaf,
		     uint32_t out[4]);

/* Counters for the host's diagnostics. internal_bugs counts dispatches in
 * which a handler produced a status its function does not permit, or an
 * action the function cannot have (e.g. a host callback failed where the
 * spec gives the function no error to report). STATUS-001 is binding, so
 * the dispatcher never lets such a status reach the guest: it replaces it
 * with HCABI_ERR_FAILED if the function's status table lists FAILED, and
 * otherwise with HCABI_ERR_INVALID_PARAM, the status every function may
 * return (no function of HCABI 1.0 lists FAILED). RDX is 0.
 * host_errors counts platform callback failures that the core absorbed
 * (e.g. vcpu_block() failing ends the BLOCK as a wake-up). */
struct hcabi_ref_stats {
	uint64_t calls;
	uint64_t internal_bugs;
	uint64_t host_errors;
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
	/* Behaviour faults (limits-races): the call itself misbehaves; `param`
	 * is a delay in microseconds (0: 20000). */
	HCABI_REF_FAULT_TWICE,    /* IPI.SEND: inject each interrupt a second time */
	HCABI_REF_FAULT_REREAD,   /* VCPU.START: read the boot state again after validating it */
	HCABI_REF_FAULT_RACY,     /* VCPU.STOP: a vCPU deciding its own STOP counts as stopped */
	/* CONSOLE data paths (param 0): WRITE/WRITE_BYTE return success but
	 * write nothing; WRITE writes each buffer reversed; READ with a bad
	 * address consumes the input it would have read, then fails. */
	HCABI_REF_FAULT_CONSOLE_DROP,
	HCABI_REF_FAULT_CONSOLE_REVERSE,
	HCABI_REF_FAULT_CONSOLE_EAGER,
	/* The reading of a 1.1 ambiguity that HCABI 1.2 rejects (param 0),
	 * so that a suite can be shown to pass it at 1.1 and fail it at 1.2:
	 * IPI.SEND and TLB.FLUSH with mask 0 succeed before checking the
	 * vector or range (IPI-005, TLB-004), and TLB.FLUSH takes a range
	 * ending at 2^64 as overflowing (TLB-005); CONSOLE.READ checks gpa
	 * even with len 0 (CONSOLE-023) and returns 0 for an odd len with
	 * input pending (CONSOLE-025); VCPU.START checks the target's state
	 * before its arguments (VCPU-026); MEM.GET_LAYOUT checks the
	 * max_entries capacity, up to 1024 entries (MEM-013); BATCH.EXECUTE checks an entry's
	 * reserved bits before denying it (BATCH-006) and writes every result
	 * after the last entry ran (BATCH-007). */
	HCABI_REF_FAULT_OTHER_READING,
};
int hcabi_ref_inject_fault(struct hcabi_ref *ref, uint32_t function_id,
			   enum hcabi_ref_fault_kind kind, uint64_t param);
/* Returns 0, or -1 if kind/param is invalid (VALUE needs param != 0,
 * CLOBBER a GPR number 0..15; STATUS takes any (int64_t)param) or the table
 * (HCABI_REF_MAX_FAULTS entries) is full. One fault per (function, kind);
 * injecting again replaces it; HCABI_REF_FAULT_NONE removes every fault of
 * the function. A fault applies to every call of that function (RAX[31:0])
 * that resumes the guest, batch entries included (CLOBBER only to direct
 * calls), after every other step of the dispatch. */
#define HCABI_REF_MAX_FAULTS 32u
/* Parse "FUNC:KIND[:PARAM]" (FUNC a name like BASE.GET_SPEC_VERSION or a
 * hex ID; KIND status|value|clobber, or for CONSOLE drop|reverse|eager:
 * CONSOLE.WRITE:drop, CONSOLE.WRITE_BYTE:drop, CONSOLE.WRITE:reverse,
 * CONSOLE.READ:eager) and apply it. false + *err on error.
 * Names are case-insensitive. PARAM: an integer (decimal, 0x hex, or
 * negative decimal); for status also a status name (NOT_SUPPORTED); for
 * clobber also a register name (rcx). KIND none removes the faults.
 * Behaviour faults, PARAM an optional delay in microseconds: twice
 * (IPI.SEND injects every interrupt again PARAM us after the first,
 * breaking IPI-002/IPI-004 "exactly once"), reread (VCPU.START reads the
 * boot state a second time PARAM us after validating it and starts the
 * vCPU from that copy, breaking VCPU-025), racy (VCPU.STOP marks its
 * caller "stopping", waits PARAM us with no lock held, and then counts
 * every other "stopping" vCPU as stopped: two last vCPUs stopping together
 * both get DENIED, breaking VCPU-030). KIND other (no PARAM; IPI.SEND,
 * TLB.FLUSH, CONSOLE.READ, VCPU.START, MEM.GET_LAYOUT or BATCH.EXECUTE):
 * HCABI_REF_FAULT_OTHER_READING, the reading HCABI 1.2 rejects. */
bool hcabi_ref_inject_fault_spec(struct hcabi_ref *ref, const char *spec, const char **err);

/* ---- Names and tracing ------------------------------------------------ */
/* "BASE.GET_SPEC_VERSION" for a function of the registry, else NULL. */
const char *hcabi_ref_function_name(uint32_t function_id);
/* "NOT_SUPPORTED" for a spec status, else NULL. */
const char *hcabi_ref_status_name(int64_t status);

/* One executed call, direct or a BATCH.EXECUTE entry, as it completed. */
struct hcabi_ref_trace_event {
	uint32_t vcpu;
	uint64_t function_id;          /* as the guest gave it, all 64 bits */
	int64_t status;
	uint64_t value;
	enum hcabi_ref_action action;
	bool in_batch;                 /* a BATCH.EXECUTE entry */
	bool known;                    /* RAX[31:0] names a function of the
					* exposed version */
	bool faulted;                  /* a test-only fault changed it */
};
/* Install (fn != NULL) or remove an observer called on the calling vCPU's
 * thread after every call (not for RAISE_UD). Set it before vCPUs run. */
void hcabi_ref_set_trace(struct hcabi_ref *ref,
			 void (*fn)(void *arg, const struct hcabi_ref_trace_event *ev),
			 void *arg);

#ifdef __cplusplus
}
#endif
#endif /* HCABI_REF_H */
