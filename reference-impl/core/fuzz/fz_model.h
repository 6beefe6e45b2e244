/* SPDX-License-Identifier: MIT */
/*
 * fz_model.h - what the parts of the fuzzing harness share (not the
 * harnesses themselves: they see fuzz_common.h): the registry's tables,
 * the model of the VM of one input (configuration, shadow model, injected
 * failure, the call being checked), guest RAM access, and the checks.
 *
 * The parts: fz_tables.c (registry tables and lookups), fz_ram.c (guest
 * RAM), fz_platform.c (the fake platform and its knobs), oracle/ (the
 * checks of each executed call, from the core's trace hook), fz_vm.c (one
 * input's VM), fz_call.c (one call and the checks after it), fz_input.c
 * (the input as a stream of integers), fz_decode.c
 * (fuzz bytes into IDs, arguments and addresses), fz_entry.c (libFuzzer's
 * entry point: one input's VM around the harness's fz_run).
 */
#ifndef HCABI_FZ_MODEL_H
#define HCABI_FZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "fuzz_common.h"
#include "hcabi_ref.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fz_fail(__VA_ARGS__);                                                      \
	} while (0)

/* ---- Tables from abi.h (fz_tables.c) ---------------------------------------- */

#define FZ__COUNT_FN(...) +1
enum {
	FZ_NFNS = 0 HCABI_FOREACH_FUNCTION(FZ__COUNT_FN),
	FZ_NEXTS = 0 HCABI_FOREACH_EXTENSION(FZ__COUNT_FN),
	FZ_NEXTVERS = 0 HCABI_FOREACH_EXTENSION_VERSION(FZ__COUNT_FN),
	FZ_NVERSIONS = 0 HCABI_FOREACH_VERSION(FZ__COUNT_FN),
	/* the reserved IDs, and a sentinel: the list may be empty */
	FZ_NRESERVED = 1 HCABI_FOREACH_RESERVED_FUNCTION(FZ__COUNT_FN),
};

struct fz_fn {
	uint32_t id;
	unsigned nargs;
	uint32_t since, statuses, flags;
	const char *name;
};
extern const struct fz_fn fz_fns[FZ_NFNS];

struct fz_ext {
	uint32_t eid, since;
};
extern const struct fz_ext fz_exts[FZ_NEXTS];

struct fz_extver {
	uint32_t eid, number, since;
};
extern const struct fz_extver fz_extvers[FZ_NEXTVERS];

/* Argument fields; the last entry has idx 99 (the registry may have none). */
struct fz_field {
	uint32_t id;
	unsigned idx, hi, lo;
	uint32_t since;
};
extern const struct fz_field fz_fields[];

extern const uint32_t fz_versions[FZ_NVERSIONS];
extern const uint32_t fz_reserved_fns[FZ_NRESERVED];

/* The function RAX names (NULL: none, or RAX[63:32] set). */
const struct fz_fn *fz_fn_of(uint64_t fid);
/* Is the extension exposed (its since, and not withheld by the embedder)? */
bool fz_ext_present(uint32_t eid);
/* The function, if RAX names one of the exposed version (else NULL). */
const struct fz_fn *fz_present_fn(uint64_t fid);
/* PROBE_EXTENSION's answer: the extension's version number, 0 if absent. */
uint32_t fz_ext_version(uint32_t eid);
/* GEN-002: does an argument have a bit the exposed version reserves? */
bool fz_has_reserved_bits(const struct fz_fn *f, const uint64_t *args);
/* Does the function's status list permit this status? */
bool fz_permitted(const struct fz_fn *f, int64_t status);

/* ---- The model of one input's VM (fz_vm.c) ------------------------------------ */

enum fz_ev_op {
	EV_READ,
	EV_WRITE,
	EV_RELEASE,
	EV_START,
	EV_BLOCK,
	EV_KICK,
	EV_YIELD,
	EV_INJECT,
	EV_TARM,
	EV_TARMP,
	EV_TCANCEL,
	EV_TLB,
	EV_CWRITE,
	EV_CREAD,
};
struct ev {
	uint8_t op;
	uint32_t vcpu;
	uint64_t a, b;
};
#define SEG_MAX 8192u

/* Failure kinds (fz_set_failure). "Soft" ones are legal platform behaviour
 * (or a broken clock the core clamps): the invariants stay strict. */
enum {
	FK_NONE,
	FK_MEM_READ,  /* FAULT */
	FK_MEM_WRITE, /* HOST */
	FK_RELEASE_FAULT,
	FK_RELEASE_HOST,
	FK_START,
	FK_BLOCK, /* < 0 */
	FK_KICK,
	FK_KICK_STATE, /* soft */
	FK_INJECT,
	FK_INJECT_STATE, /* soft */
	FK_TARM,
	FK_TCANCEL,
	FK_TLB,
	FK_TLB_STATE, /* soft */
	FK_CWRITE_ERR,
	FK_CWRITE_ZERO,
	FK_CWRITE_SHORT, /* soft: returns 1 */
	FK_CWRITE_OVER,	 /* claims len + 1 */
	FK_CREAD_ERR,
	FK_CREAD_OVER,	/* claims len + 1 */
	FK_CREAD_LAZY,	/* soft: claims min(len, 5), copies nothing */
	FK_BLOCK_EARLY, /* soft: 0 before the deadline */
	FK_STEAL_BACK,	/* soft: steal_ns decreases */
	FK_MONO_BACK,	/* soft: the clock goes back */
	FK_TARMP,	/* timer_arm_periodic (HCABI 1.1) */
	FK__COUNT
};

struct region {
	uint64_t base, size; /* merged: one host buffer */
	uint8_t *mem;
};

/* A call being checked: the direct call, or a batch entry. */
struct callctx {
	uint64_t fid;
	uint64_t args[6];
};

/* Everything the harness knows of the VM of one input: its configuration,
 * the shadow model, the injected failure and the call being checked. */
struct fz_model {
	struct hcabi_ref *ref;
	uint32_t version; /* exposed */
	uint64_t withheld; /* bit i: fz_exts[i] withheld by the embedder (profiles) */
	uint32_t provide[FZ_NEXTS]; /* hcabi_ref_config.extensions when withholding */
	uint32_t nprovide;
	uint32_t nvcpus;
	uint64_t impl_version;
	struct hcabi_ref_ram_range cfg[FZ_MAX_RANGES];
	unsigned ncfg;
	struct region ram[FZ_MAX_RANGES];
	unsigned nram; /* merged */
	bool ended;
	uint64_t ncalls;

	/* shadow model */
	bool running[FZ_MAX_VCPUS];
	bool steal_on[FZ_MAX_VCPUS];
	uint64_t steal_gpa[FZ_MAX_VCPUS];
	uint64_t steal_plat[FZ_MAX_VCPUS];   /* platform's steal_ns */
	uint64_t steal_expect[FZ_MAX_VCPUS]; /* the core's clamp */
	bool wake_pending[FZ_MAX_VCPUS];
	bool timer_armed[FZ_MAX_VCPUS];
	uint64_t mono, mono_max, wall, last_monotonic_value;
	uint8_t block_mode;
	size_t write_chunk;
	uint8_t cin[4096];
	size_t cin_len, cin_pos;

	/* failure of the current call */
	uint8_t fail_kind, fail_skip;
	bool call_failed; /* a hard failure happened in this call */
	bool seg_failed;  /* ... in the current segment */

	/* the current dispatch */
	bool in_dispatch;
	uint32_t caller;
	struct callctx direct;
	unsigned ncallbacks; /* every callback, clocks included */
	unsigned ntrace_direct, ntrace_batch;
	struct ev seg[SEG_MAX];
	unsigned nseg;
	bool cancel_was_armed; /* TIME-030 */
	uint64_t block_deadline;
	uint8_t tarmp_vector;
	uint8_t cread_copy[HCABI_CONSOLE_MAX_XFER];
	size_t cread_n;
	uint64_t cwrite_total;

	/* BATCH.EXECUTE of the current direct call */
	bool batch; /* the direct call is a BATCH.EXECUTE that runs entries */
	uint64_t batch_gpa, batch_count;
	struct callctx entries[HCABI_BATCH_MAX_ENTRIES];
	uint8_t table[HCABI_BATCH_MAX_ENTRIES * sizeof(struct hcabi_batch_entry)];
	bool batch_foreign_write; /* something other than a status slot wrote the table */
	int64_t entry_status[HCABI_BATCH_MAX_ENTRIES];
	uint64_t entry_value[HCABI_BATCH_MAX_ENTRIES];
};
extern struct fz_model fz;

/* fz_vm.c */
void fz_reset_shadow(void);
extern uint32_t fz_cpuid_base; /* the CPUID base the VM was given */

/* ---- Guest RAM (fz_ram.c) ----------------------------------------------------- */
/* The merged range holding all of [gpa, gpa + len), or NULL. */
struct region *fz_region_of(uint64_t gpa, uint64_t len);
bool fz_ram_has(uint64_t gpa, uint64_t len);
/* [g, g + len) within [b, b + size): overflow-safe. */
bool fz_within(uint64_t g, uint64_t len, uint64_t b, uint64_t size);
bool fz_overlaps(uint64_t g, uint64_t len, uint64_t b, uint64_t size);
/* Read guest RAM; the range must be RAM (a harness bug otherwise). */
void fz_peek(uint64_t gpa, void *dst, size_t len);
/* The little-endian value of n bytes. */
uint64_t fz_le(const uint8_t *p, unsigned n);

/* ---- The fake platform (fz_platform.c) ----------------------------------------- */
extern const struct hcabi_platform_ops fz_ops;
/* SYSTEM.REBOOT's reset, done by the VMM: the core's and the shadow's. */
void fz_reset_vm(void);

/* ---- The checks (oracle/) -------------------------------------------------------- */
/* The core's trace hook: checks each executed call (direct or batch entry). */
void fz_on_trace(void *arg, const struct hcabi_ref_trace_event *ev);
/* The direct call's trace event, as fz_on_trace saw it. */
extern struct hcabi_ref_trace_event fz_last_direct;

#endif
