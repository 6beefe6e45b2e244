/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.c - fake platform, shadow model, decoders and invariants of
 * the libFuzzer harnesses (see fuzz_common.h).
 *
 * How a call is checked. The platform logs every callback into a "segment";
 * the core's trace hook closes a segment after each executed call (a direct
 * call, or one BATCH.EXECUTE entry), so every callback is attributed to the
 * call that caused it and checked against that call's function, arguments
 * and status:
 *  - STATUS-001/002/003, X86-002, BATCH-004, GEN-002: the status is one the
 *    function permits (or exactly NOT_SUPPORTED / INVALID_PARAM / DENIED);
 *  - X86-005: the value is 0 on any error;
 *  - STATUS-004: a call that fails had no effect (unless a host failure was
 *    injected into it);
 *  - effects only of the function's own kind, on the vCPUs it names, with
 *    its arguments; guest writes only where the function may write
 *    (CONSOLE-022, MEM-012, BATCH-002/003, STEAL-005) and never outside RAM;
 *  - a few cheap values (GET_ID, GET_COUNT, GET_STATUS against the shadow,
 *    PROBE_*, GET_MONOTONIC never decreasing, VCPU-031, VCPU-062 ...).
 * After the dispatch: the return is consistent (actions only for the
 * functions that do not return, X86-009 for CPL > 0), internal_bugs and
 * host_errors grew only if a host failure was injected, the core's vCPU
 * states and steal registrations equal the shadow model, and the caller's
 * steal-time record is well formed (STEAL-002/003/004, GEN-003).
 */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcabi_ref_internal.h"

/* ---- Tables from abi.h ------------------------------------------------------ */

struct fz_fn {
	uint32_t id;
	unsigned nargs;
	uint32_t since, statuses, flags;
	const char *name;
};
static const struct fz_fn fns[] = {
#define X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS)                                            \
	{(ID), (NARGS), (SINCE), (STATUSES), (FLAGS), #EXT "." #NAME},
    HCABI_FOREACH_FUNCTION(X)
#undef X
};
#define NFNS (sizeof(fns) / sizeof(fns[0]))

struct fz_ext {
	uint32_t eid, since;
};
static const struct fz_ext exts[] = {
#define X(NAME, EID, SINCE) {(EID), (SINCE)},
    HCABI_FOREACH_EXTENSION(X)
#undef X
};
#define NEXTS (sizeof(exts) / sizeof(exts[0]))

struct fz_extver {
	uint32_t eid, number, since;
};
static const struct fz_extver extvers[] = {
#define X(NAME, NUMBER, SINCE) {HCABI_EID_##NAME, (NUMBER), (SINCE)},
    HCABI_FOREACH_EXTENSION_VERSION(X)
#undef X
};
#define NEXTVERS (sizeof(extvers) / sizeof(extvers[0]))

struct fz_field {
	uint32_t id;
	unsigned idx, hi, lo;
	uint32_t since;
};
static const struct fz_field fields[] = {
#define X(EXT, NAME, IDX, ARG, HI, LO, SINCE)                                                      \
	{HCABI_FID_##EXT##_##NAME, (IDX), (HI), (LO), (SINCE)},
    HCABI_FOREACH_ARG_FIELD(X)
#undef X
	{0, 99, 0, 0, 0}, /* end: the registry may have no field */
};

static const uint32_t versions[] = {
#define X(V) (V),
    HCABI_FOREACH_VERSION(X)
#undef X
};
#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

static const uint32_t reserved_fns[] = {
#define X(ID, SINCE) (ID),
    HCABI_FOREACH_RESERVED_FUNCTION(X)
#undef X
	HCABI_FUNCTION_ID(0xFFFFu, 0xFFFFu), /* the list may be empty */
};
#define NRESERVED (sizeof(reserved_fns) / sizeof(reserved_fns[0]))

/* ---- State of one input ------------------------------------------------------ */

enum ev_op {
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
static bool fk_soft(unsigned k)
{
	return k == FK_KICK_STATE || k == FK_INJECT_STATE || k == FK_TLB_STATE ||
	       k == FK_CWRITE_SHORT || k == FK_CREAD_LAZY || k == FK_BLOCK_EARLY ||
	       k == FK_STEAL_BACK || k == FK_MONO_BACK;
}

struct region {
	uint64_t base, size; /* merged: one host buffer */
	uint8_t *mem;
};

/* A call being checked: the direct call, or a batch entry. */
struct callctx {
	uint64_t fid;
	uint64_t args[6];
};

static struct {
	struct hcabi_ref *ref;
	uint32_t version; /* exposed */
	uint64_t withheld; /* bit i: exts[i] withheld by the embedder (profiles) */
	uint32_t provide[NEXTS]; /* hcabi_ref_config.extensions when withholding */
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
} S;

void fz_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "\n==== HCABI fuzz invariant violated ====\n");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"\n(version 0x%x, %u vCPUs, %u RAM ranges, call #%llu, caller %u, "
		"RAX 0x%llx args 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx, failure kind %u)\n",
		S.version, S.nvcpus, S.ncfg, (unsigned long long)S.ncalls, S.caller,
		(unsigned long long)S.direct.fid, (unsigned long long)S.direct.args[0],
		(unsigned long long)S.direct.args[1], (unsigned long long)S.direct.args[2],
		(unsigned long long)S.direct.args[3], (unsigned long long)S.direct.args[4],
		(unsigned long long)S.direct.args[5], S.fail_kind);
	abort();
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fz_fail(__VA_ARGS__);                                                      \
	} while (0)

/* ---- Input reader ------------------------------------------------------------- */

uint8_t fz_u8(struct fz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}
uint16_t fz_u16(struct fz_in *in)
{
	uint16_t v = fz_u8(in);
	return (uint16_t)(v | (uint16_t)fz_u8(in) << 8);
}
uint32_t fz_u32(struct fz_in *in)
{
	uint32_t v = fz_u16(in);
	return v | (uint32_t)fz_u16(in) << 16;
}
uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = fz_u32(in);
	return v | (uint64_t)fz_u32(in) << 32;
}

/* ---- Registry helpers ------------------------------------------------------------ */

static const struct fz_fn *fn_of(uint64_t fid)
{
	if (fid >> 32)
		return NULL;
	for (size_t i = 0; i < NFNS; i++)
		if (fns[i].id == (uint32_t)fid)
			return &fns[i];
	return NULL;
}

static bool ext_present(uint32_t eid)
{
	for (size_t i = 0; i < NEXTS; i++)
		if (exts[i].eid == eid)
			return exts[i].since <= S.version && !((S.withheld >> i) & 1u);
	return false;
}

/* The function, if RAX names one of the exposed version (else NULL). */
static const struct fz_fn *present_fn(uint64_t fid)
{
	const struct fz_fn *f = fn_of(fid);
	if (!f || f->since > S.version || !ext_present(HCABI_FUNCTION_EID(f->id)))
		return NULL;
	return f;
}

static uint32_t ext_version_of(uint32_t eid)
{
	uint32_t v = 0;
	if (!ext_present(eid))
		return 0;
	for (size_t i = 0; i < NEXTVERS; i++)
		if (extvers[i].eid == eid && extvers[i].since <= S.version && extvers[i].number > v)
			v = extvers[i].number;
	return v;
}

static uint64_t bits(unsigned hi, unsigned lo)
{
	uint64_t upto = hi >= 63 ? UINT64_MAX : ((UINT64_C(1) << (hi + 1)) - 1);
	return upto & ~((UINT64_C(1) << lo) - 1);
}

/* GEN-002: does an argument have a bit the exposed version reserves? */
static bool has_reserved_bits(const struct fz_fn *f, const uint64_t *args)
{
	for (unsigned a = 0; a < f->nargs; a++) {
		bool exists = false;
		uint64_t valid = 0;
		for (size_t i = 0; fields[i].idx != 99; i++) {
			if (fields[i].id != f->id || fields[i].idx != a ||
			    fields[i].since > S.version)
				continue;
			exists = true;
			valid |= bits(fields[i].hi, fields[i].lo);
		}
		if (exists && (args[a] & ~valid))
			return true;
	}
	return false;
}

static bool permitted(const struct fz_fn *f, int64_t status)
{
	if (status > 0 || status <= -32)
		return false;
	return (f->statuses >> (unsigned)(-status)) & 1u;
}

/* ---- Guest RAM --------------------------------------------------------------------- */

static struct region *region_of(uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (unsigned i = 0; i < S.nram; i++) {
		struct region *r = &S.ram[i];
		if (gpa >= r->base && gpa - r->base < r->size && len <= r->size - (gpa - r->base))
			return r;
	}
	return NULL;
}

static bool ram_has(uint64_t gpa, uint64_t len)
{
	return region_of(gpa, len) != NULL;
}

/* [g, g + len) within [b, b + size): overflow-safe. */
static bool within(uint64_t g, uint64_t len, uint64_t b, uint64_t size)
{
	return g >= b && g - b <= size && len <= size - (g - b);
}

static bool overlaps(uint64_t g, uint64_t len, uint64_t b, uint64_t size)
{
	uint64_t gl, bl;
	if (len == 0 || size == 0)
		return false;
	gl = g + (len - 1) < g ? UINT64_MAX : g + (len - 1);
	bl = b + (size - 1) < b ? UINT64_MAX : b + (size - 1);
	return g <= bl && b <= gl;
}

void fz_poke(uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *s = src;
	for (size_t i = 0; i < len; i++) {
		struct region *r = region_of(gpa + i, 1);
		if (r)
			r->mem[gpa + i - r->base] = s[i];
	}
}

void fz_poke64(uint64_t gpa, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	fz_poke(gpa, b, 8);
}

static void peek(uint64_t gpa, void *dst, size_t len)
{
	struct region *r = region_of(gpa, len);
	if (!r)
		fz_fail("harness: peek outside RAM");
	memcpy(dst, r->mem + (gpa - r->base), len);
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- The platform ---------------------------------------------------------------------- */

static void seg_add(uint8_t op, uint32_t vcpu, uint64_t a, uint64_t b)
{
	if (S.nseg == SEG_MAX)
		fz_fail("one call made more than %u platform callbacks", SEG_MAX);
	S.seg[S.nseg].op = op;
	S.seg[S.nseg].vcpu = vcpu;
	S.seg[S.nseg].a = a;
	S.seg[S.nseg].b = b;
	S.nseg++;
}

static void enter_cb(const char *what, uint32_t vcpu, bool has_vcpu)
{
	S.ncallbacks++;
	CHECK(S.in_dispatch, "callback %s outside hcabi_ref_dispatch", what);
	CHECK(!has_vcpu || vcpu < S.nvcpus, "callback %s for vCPU %u of %u", what, vcpu, S.nvcpus);
}

/* Does the injected failure `kind` hit this callback? */
static bool fails(unsigned kind)
{
	if (S.fail_kind != kind)
		return false;
	if (S.fail_skip > 0) {
		S.fail_skip--;
		return false;
	}
	S.fail_kind = FK_NONE;
	if (!fk_soft(kind)) {
		S.call_failed = true;
		S.seg_failed = true;
	}
	return true;
}

static int p_mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	enter_cb("mem_read", 0, false);
	CHECK(ram_has(gpa, len), "mem_read of [0x%llx, +0x%zx) is not wholly in RAM",
	      (unsigned long long)gpa, len);
	seg_add(EV_READ, UINT32_MAX, gpa, len);
	if (fails(FK_MEM_READ))
		return HCABI_REF_PERR_FAULT;
	peek(gpa, dst, len);
	return HCABI_REF_POK;
}

static int p_mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct region *r;
	(void)ctx;
	enter_cb("mem_write", 0, false);
	r = region_of(gpa, len);
	CHECK(r, "mem_write of [0x%llx, +0x%zx) is not wholly in RAM", (unsigned long long)gpa,
	      len);
	seg_add(EV_WRITE, UINT32_MAX, gpa, len);
	if (fails(FK_MEM_WRITE))
		return HCABI_REF_PERR_HOST;
	memcpy(r->mem + (gpa - r->base), src, len);
	return HCABI_REF_POK;
}

static int p_mem_release(void *ctx, uint64_t gpa, uint64_t npages)
{
	struct region *r;
	(void)ctx;
	enter_cb("mem_release", 0, false);
	CHECK(npages > 0 && npages <= UINT64_MAX / HCABI_PAGE_SIZE && gpa % HCABI_PAGE_SIZE == 0,
	      "mem_release(0x%llx, %llu): bad arguments", (unsigned long long)gpa,
	      (unsigned long long)npages);
	r = region_of(gpa, npages * HCABI_PAGE_SIZE);
	CHECK(r, "mem_release(0x%llx, %llu) is not wholly in RAM", (unsigned long long)gpa,
	      (unsigned long long)npages);
	seg_add(EV_RELEASE, UINT32_MAX, gpa, npages);
	if (fails(FK_RELEASE_FAULT))
		return HCABI_REF_PERR_FAULT;
	if (fails(FK_RELEASE_HOST))
		return HCABI_REF_PERR_HOST;
	memset(r->mem + (gpa - r->base), 0, (size_t)(npages * HCABI_PAGE_SIZE));
	return HCABI_REF_POK;
}

static bool canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top == 0 || top == 0x1FFFFu;
}

static int p_vcpu_start(void *ctx, uint32_t vcpu, const struct hcabi_vcpu_boot_state *bs)
{
	(void)ctx;
	enter_cb("vcpu_start", vcpu, true);
	seg_add(EV_START, vcpu, bs->rip, bs->cr3);
	CHECK(!S.running[vcpu], "vcpu_start(%u) of a vCPU that is not stopped", vcpu);
	/* VCPU-022: the core passes only a valid boot state. */
	CHECK(bs->flags == 0 && bs->reserved0 == 0 && canonical(bs->rip) &&
		  (bs->cr3 & 0xFFFu) == 0 && ram_has(bs->cr3, HCABI_PAGE_SIZE) &&
		  (bs->cs & 7u) == 0 && (bs->ds & 7u) == 0 && bs->cs != 0 && bs->ds != 0,
	      "vcpu_start(%u) with an invalid boot state (rip 0x%llx cr3 0x%llx cs 0x%x ds 0x%x "
	      "flags 0x%x reserved0 0x%x)",
	      vcpu, (unsigned long long)bs->rip, (unsigned long long)bs->cr3, bs->cs, bs->ds,
	      bs->flags, bs->reserved0);
	if (fails(FK_START))
		return HCABI_REF_PERR_HOST;
	S.running[vcpu] = true;
	S.wake_pending[vcpu] = false; /* the platform discards remembered kicks */
	return HCABI_REF_POK;
}

static int p_vcpu_block(void *ctx, uint32_t vcpu, uint64_t deadline)
{
	(void)ctx;
	enter_cb("vcpu_block", vcpu, true);
	seg_add(EV_BLOCK, vcpu, deadline, 0);
	S.block_deadline = deadline;
	if (fails(FK_BLOCK))
		return -2;
	if (S.wake_pending[vcpu]) {
		S.wake_pending[vcpu] = false;
		return HCABI_BLOCK_WOKEN;
	}
	if (S.mono >= deadline)
		return HCABI_BLOCK_TIMED_OUT;
	if (fails(FK_BLOCK_EARLY))
		return HCABI_BLOCK_TIMED_OUT; /* early: the core must report a wake-up */
	switch (S.block_mode % 3) {
	case 0: /* time passes until the deadline; nothing wakes it */
		if (deadline == UINT64_MAX)
			return HCABI_BLOCK_WOKEN; /* some interrupt, eventually */
		S.mono = deadline;
		return HCABI_BLOCK_TIMED_OUT;
	case 1:
		return HCABI_BLOCK_TIMED_OUT; /* spurious, early */
	default:
		return HCABI_BLOCK_WOKEN;
	}
}

static int p_vcpu_kick(void *ctx, uint32_t vcpu)
{
	(void)ctx;
	enter_cb("vcpu_kick", vcpu, true);
	seg_add(EV_KICK, vcpu, 0, 0);
	if (fails(FK_KICK))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_KICK_STATE))
		return HCABI_REF_PERR_STATE;
	S.wake_pending[vcpu] = true;
	return HCABI_REF_POK;
}

static void p_vcpu_yield(void *ctx, uint32_t vcpu, uint32_t target)
{
	(void)ctx;
	enter_cb("vcpu_yield", vcpu, true);
	CHECK(target == UINT32_MAX || target < S.nvcpus, "vcpu_yield to %u", target);
	seg_add(EV_YIELD, vcpu, target, 0);
}

static int p_inject_irq(void *ctx, uint32_t vcpu, uint8_t vector)
{
	(void)ctx;
	enter_cb("inject_irq", vcpu, true);
	seg_add(EV_INJECT, vcpu, vector, 0);
	CHECK(S.running[vcpu], "inject_irq into vCPU %u, which is stopped", vcpu);
	CHECK(vector >= HCABI_VECTOR_MIN, "inject_irq of vector %u", vector);
	if (fails(FK_INJECT))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_INJECT_STATE))
		return HCABI_REF_PERR_STATE;
	S.wake_pending[vcpu] = true;
	return HCABI_REF_POK;
}

static int p_timer_arm(void *ctx, uint32_t vcpu, uint64_t deadline, uint8_t vector)
{
	(void)ctx;
	enter_cb("timer_arm", vcpu, true);
	seg_add(EV_TARM, vcpu, deadline, vector);
	CHECK(vector >= HCABI_VECTOR_MIN, "timer_arm with vector %u", vector);
	if (fails(FK_TARM))
		return HCABI_REF_PERR_HOST;
	S.timer_armed[vcpu] = true;
	return HCABI_REF_POK;
}

#ifdef HCABI_FID_TIME_SET_PERIODIC
static int p_timer_arm_periodic(void *ctx, uint32_t vcpu, uint64_t first, uint64_t period,
				uint8_t vector)
{
	(void)ctx;
	enter_cb("timer_arm_periodic", vcpu, true);
	seg_add(EV_TARMP, vcpu, first, period);
	CHECK(vector >= HCABI_VECTOR_MIN && period >= HCABI_TIMER_MIN_PERIOD,
	      "TIME-040: timer_arm_periodic with vector %u period %llu", vector,
	      (unsigned long long)period);
	S.tarmp_vector = vector;
	if (fails(FK_TARMP))
		return HCABI_REF_PERR_HOST;
	S.timer_armed[vcpu] = true; /* a periodic timer stays armed */
	return HCABI_REF_POK;
}
#endif

static int p_timer_cancel(void *ctx, uint32_t vcpu, bool *was_pending)
{
	(void)ctx;
	enter_cb("timer_cancel", vcpu, true);
	seg_add(EV_TCANCEL, vcpu, 0, 0);
	if (fails(FK_TCANCEL))
		return HCABI_REF_PERR_HOST;
	S.cancel_was_armed = S.timer_armed[vcpu];
	*was_pending = S.timer_armed[vcpu];
	S.timer_armed[vcpu] = false;
	return HCABI_REF_POK;
}

static int p_tlb_flush(void *ctx, uint32_t vcpu, uint64_t gva, uint64_t npages)
{
	(void)ctx;
	enter_cb("tlb_flush", vcpu, true);
	seg_add(EV_TLB, vcpu, gva, npages);
	CHECK(S.running[vcpu], "tlb_flush of vCPU %u, which is stopped", vcpu);
	if (fails(FK_TLB))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_TLB_STATE))
		return HCABI_REF_PERR_STATE;
	return HCABI_REF_POK;
}

static uint64_t p_clock_mono(void *ctx)
{
	uint64_t v;
	(void)ctx;
	enter_cb("clock_monotonic_ns", 0, false);
	v = fails(FK_MONO_BACK) ? S.mono / 2 : S.mono;
	if (v > S.mono_max)
		S.mono_max = v;
	return v;
}

static uint64_t p_clock_wall(void *ctx)
{
	(void)ctx;
	enter_cb("clock_wall_ns", 0, false);
	return S.wall;
}

static uint64_t p_steal_ns(void *ctx, uint32_t vcpu)
{
	uint64_t v;
	(void)ctx;
	enter_cb("steal_ns", vcpu, true);
	CHECK(vcpu == S.caller, "steal_ns(%u) on vCPU %u's thread", vcpu, S.caller);
	v = fails(FK_STEAL_BACK) ? S.steal_plat[vcpu] / 3 : S.steal_plat[vcpu];
	if (v > S.steal_expect[vcpu])
		S.steal_expect[vcpu] = v;
	return v;
}

static int64_t p_console_write(void *ctx, const void *buf, size_t len)
{
	size_t n = len;
	(void)ctx;
	(void)buf;
	enter_cb("console_write", 0, false);
	CHECK(len > 0 && len <= HCABI_CONSOLE_MAX_XFER, "console_write of %zu bytes", len);
	seg_add(EV_CWRITE, UINT32_MAX, len, 0);
	if (fails(FK_CWRITE_ERR))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_CWRITE_ZERO))
		return 0;
	if (fails(FK_CWRITE_OVER))
		return (int64_t)len + 1;
	if (fails(FK_CWRITE_SHORT))
		n = 1;
	if (S.write_chunk && n > S.write_chunk)
		n = S.write_chunk;
	S.cwrite_total += n;
	return (int64_t)n;
}

static int64_t p_console_read(void *ctx, void *buf, size_t len)
{
	size_t n;
	(void)ctx;
	enter_cb("console_read", 0, false);
	CHECK(len > 0 && len <= HCABI_CONSOLE_MAX_XFER, "console_read of %zu bytes", len);
	seg_add(EV_CREAD, UINT32_MAX, len, 0);
	if (fails(FK_CREAD_ERR))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_CREAD_OVER))
		return (int64_t)len + 1;
	if (fails(FK_CREAD_LAZY)) {
		/* claims bytes it did not write: the core must have zeroed
		 * its buffer (no uninitialised byte reaches the guest) */
		n = len < 5 ? len : 5;
		memset(S.cread_copy, 0, n);
		S.cread_n = n;
		return (int64_t)n;
	}
	n = S.cin_len - S.cin_pos;
	if (n > len)
		n = len;
	memcpy(buf, S.cin + S.cin_pos, n);
	memcpy(S.cread_copy, S.cin + S.cin_pos, n);
	S.cread_n = n;
	S.cin_pos += n;
	return (int64_t)n;
}

static const struct hcabi_platform_ops fz_ops = {
    .mem_read = p_mem_read,
    .mem_write = p_mem_write,
    .mem_release = p_mem_release,
    .vcpu_start = p_vcpu_start,
    .vcpu_block = p_vcpu_block,
    .vcpu_kick = p_vcpu_kick,
    .vcpu_yield = p_vcpu_yield,
    .inject_irq = p_inject_irq,
    .timer_arm = p_timer_arm,
    .timer_cancel = p_timer_cancel,
#ifdef HCABI_FID_TIME_SET_PERIODIC
    .timer_arm_periodic = p_timer_arm_periodic,
#endif
    .tlb_flush = p_tlb_flush,
    .clock_monotonic_ns = p_clock_mono,
    .clock_wall_ns = p_clock_wall,
    .steal_ns = p_steal_ns,
    .console_write = p_console_write,
    .console_read = p_console_read,
};

/* ---- Checking one executed call (a segment) ----------------------------------------------- */

/* May a write of [g, g+len) go to a BATCH status slot of an entry that has
 * completed? (BATCH-002: status and value only.) */
static bool batch_slot(uint64_t g, uint64_t len, unsigned completed)
{
	const uint64_t esz = sizeof(struct hcabi_batch_entry);
	uint64_t off;
	if (!S.batch || len != 16 || g < S.batch_gpa)
		return false;
	off = g - S.batch_gpa;
	return off % esz == offsetof(struct hcabi_batch_entry, status) && off / esz < completed;
}

/* Where a successful call of f with args may write guest memory. */
static bool write_allowed(const struct fz_fn *f, const uint64_t *a,
			  const struct hcabi_ref_trace_event *ev, uint64_t g, uint64_t len)
{
	switch (f->id) {
	case HCABI_FID_CONSOLE_READ: {
		/* CONSOLE-022: [gpa, gpa + count) of the count returned */
		uint64_t n = a[1] < HCABI_CONSOLE_MAX_XFER ? a[1] : HCABI_CONSOLE_MAX_XFER;
		if (ev->status == HCABI_SUCCESS)
			n = ev->value;
		return within(g, len, a[0], n);
	}
	case HCABI_FID_MEM_GET_LAYOUT: {
		uint64_t k = a[1] < S.nram ? a[1] : S.nram;
		return within(g, len, a[0], k * sizeof(struct hcabi_mem_range));
	}
	case HCABI_FID_STEAL_SET_SHMEM:
		return a[0] != HCABI_STEAL_DISABLE && within(g, len, a[0], 64);
	default:
		return false;
	}
}

/* Is target t named by (mask, base)? */
static bool named(uint64_t mask, uint64_t base, uint32_t t)
{
	return t >= base && t - base < 64 && ((mask >> (t - base)) & 1u);
}

static void check_segment(const struct callctx *c, const struct hcabi_ref_trace_event *ev,
			  unsigned completed_entries)
{
	const struct fz_fn *f = present_fn(c->fid);
	const uint64_t *a = c->args;
	bool direct = !ev->in_batch;
	bool effects = ev->status == HCABI_SUCCESS || S.seg_failed;
	bool runs =
	    f && !(ev->in_batch && (f->flags & HCABI_FN_NO_BATCH)) && !has_reserved_bits(f, a);
	bool seen[FZ_MAX_VCPUS];
	unsigned n_inject = 0, n_tlb = 0, n_start = 0, n_release = 0, n_tarm = 0;
	bool wrote_region = false;
	uint32_t fid = f ? f->id : 0;

	if (!runs)
		effects = false;
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < S.nseg; i++) {
		const struct ev *e = &S.seg[i];
		const char *fname = f ? f->name : "(no function)";
		switch (e->op) {
		case EV_READ:
			break;
		case EV_WRITE: {
			bool ok = false;
			/* STEAL-003: the caller's record, as registered after
			 * the call (STEAL-005: never a previous one). */
			if (direct && S.steal_on[S.caller] &&
			    within(e->a, e->b, S.steal_gpa[S.caller], 64))
				ok = true;
			if (batch_slot(e->a, e->b, completed_entries))
				ok = true;
			if (!ok && effects && write_allowed(f, a, ev, e->a, e->b)) {
				ok = true;
				wrote_region = true;
			}
			CHECK(ok,
			      "%s (status %lld%s) wrote guest memory [0x%llx, +0x%llx) where it "
			      "may not",
			      fname, (long long)ev->status, ev->in_batch ? ", batch entry" : "",
			      (unsigned long long)e->a, (unsigned long long)e->b);
			if (S.batch && !batch_slot(e->a, e->b, completed_entries) &&
			    overlaps(e->a, e->b, S.batch_gpa,
				     S.batch_count * sizeof(struct hcabi_batch_entry)))
				S.batch_foreign_write = true;
			break;
		}
		case EV_RELEASE:
			CHECK(effects && fid == HCABI_FID_MEM_RELEASE && e->a == a[0] &&
				  e->b == a[1],
			      "%s (status %lld) released [0x%llx, %llu pages)", fname,
			      (long long)ev->status, (unsigned long long)e->a,
			      (unsigned long long)e->b);
			n_release++;
			if (S.batch && overlaps(e->a, e->b * HCABI_PAGE_SIZE, S.batch_gpa,
						S.batch_count * sizeof(struct hcabi_batch_entry)))
				S.batch_foreign_write = true;
			break;
		case EV_START:
			CHECK(effects && fid == HCABI_FID_VCPU_START && e->vcpu == a[0],
			      "%s (status %lld) started vCPU %u", fname, (long long)ev->status,
			      e->vcpu);
			n_start++;
			break;
		case EV_BLOCK:
			CHECK(runs && fid == HCABI_FID_VCPU_BLOCK && e->vcpu == S.caller,
			      "%s blocked vCPU %u (caller %u)", fname, e->vcpu, S.caller);
			break;
		case EV_KICK:
			CHECK(effects && fid == HCABI_FID_VCPU_KICK && e->vcpu == a[0],
			      "%s (status %lld) kicked vCPU %u", fname, (long long)ev->status,
			      e->vcpu);
			break;
		case EV_YIELD:
			CHECK(effects && fid == HCABI_FID_VCPU_YIELD && e->vcpu == S.caller &&
				  e->a == (a[0] == HCABI_VCPU_ANY ? UINT32_MAX : a[0]),
			      "%s (status %lld) yielded vCPU %u to %llu", fname,
			      (long long)ev->status, e->vcpu, (unsigned long long)e->a);
			break;
		case EV_INJECT:
			CHECK(effects && HCABI_FUNCTION_EID(fid) == HCABI_EID_IPI,
			      "%s (status %lld) injected an interrupt into vCPU %u", fname,
			      (long long)ev->status, e->vcpu);
			if (fid == HCABI_FID_IPI_SEND) {
				/* IPI-002: exactly once, the vector, a named target
				 * (IPI-004: with a bit above the vector, 1.1's
				 * all_but_self, any vCPU but the caller). */
				CHECK(e->a == (a[2] & 0xFFu),
				      "IPI.SEND injected vector %llu, not %llu",
				      (unsigned long long)e->a, (unsigned long long)(a[2] & 0xFFu));
				if ((a[2] >> 8) == 0)
					CHECK(named(a[0], a[1], e->vcpu),
					      "IPI.SEND injected into vCPU %u, which mask 0x%llx "
					      "base %llu does not name",
					      e->vcpu, (unsigned long long)a[0],
					      (unsigned long long)a[1]);
				else
					CHECK(e->vcpu != S.caller,
					      "IPI.SEND (all but self) injected into the caller");
				CHECK(!seen[e->vcpu], "IPI.SEND injected into vCPU %u twice",
				      e->vcpu);
			}
			seen[e->vcpu] = true;
			n_inject++;
			break;
		case EV_TARM:
			CHECK(effects && HCABI_FUNCTION_EID(fid) == HCABI_EID_TIME &&
				  e->vcpu == S.caller,
			      "%s (status %lld) armed the timer of vCPU %u", fname,
			      (long long)ev->status, e->vcpu);
			if (fid == HCABI_FID_TIME_SET_TIMER)
				CHECK(e->a == a[0] && e->b == (a[1] & 0xFFu),
				      "SET_TIMER armed deadline %llu vector %llu",
				      (unsigned long long)e->a, (unsigned long long)e->b);
			n_tarm++;
			break;
		case EV_TARMP:
			CHECK(effects && HCABI_FUNCTION_EID(fid) == HCABI_EID_TIME &&
				  e->vcpu == S.caller,
			      "%s (status %lld) armed the periodic timer of vCPU %u", fname,
			      (long long)ev->status, e->vcpu);
#ifdef HCABI_FID_TIME_SET_PERIODIC
			if (fid == HCABI_FID_TIME_SET_PERIODIC)
				CHECK(e->a == a[0] && e->b == a[1] &&
					  S.tarmp_vector == (a[2] & 0xFFu),
				      "SET_PERIODIC armed first %llu period %llu vector %u",
				      (unsigned long long)e->a, (unsigned long long)e->b,
				      S.tarmp_vector);
#endif
			n_tarm++;
			break;
		case EV_TCANCEL:
			CHECK(effects &&
				  (HCABI_FUNCTION_EID(fid) == HCABI_EID_TIME ||
				   fid == HCABI_FID_VCPU_STOP) &&
				  e->vcpu == S.caller,
			      "%s (status %lld) cancelled the timer of vCPU %u", fname,
			      (long long)ev->status, e->vcpu);
			break;
		case EV_TLB: {
			uint64_t gva = a[3] ? a[2] : 0;
			CHECK(effects && fid == HCABI_FID_TLB_FLUSH && named(a[0], a[1], e->vcpu) &&
				  e->a == gva && e->b == a[3] && !seen[e->vcpu],
			      "%s (status %lld) flushed vCPU %u (gva 0x%llx, %llu pages)", fname,
			      (long long)ev->status, e->vcpu, (unsigned long long)e->a,
			      (unsigned long long)e->b);
			seen[e->vcpu] = true;
			n_tlb++;
			break;
		}
		case EV_CWRITE:
			CHECK(effects && (fid == HCABI_FID_CONSOLE_WRITE ||
					  fid == HCABI_FID_CONSOLE_WRITE_BYTE),
			      "%s (status %lld) wrote to the console", fname,
			      (long long)ev->status);
			break;
		case EV_CREAD:
			CHECK(effects && fid == HCABI_FID_CONSOLE_READ,
			      "%s (status %lld) consumed console input", fname,
			      (long long)ev->status);
			break;
		default:
			fz_fail("harness: event %u", e->op);
		}
	}

	/* Completeness of a success with no host failure. */
	if (ev->status == HCABI_SUCCESS && !S.seg_failed && f) {
		switch (f->id) {
		case HCABI_FID_IPI_SEND: {
			unsigned want = 0;
			if ((a[2] >> 8) == 0) {
				for (unsigned i = 0; i < 64; i++)
					if (((a[0] >> i) & 1u) && S.running[a[1] + i])
						want++;
			} else {
				/* IPI-004 (1.1, all_but_self): mask and base 0,
				 * every running vCPU but the caller. */
				CHECK(a[0] == 0 && a[1] == 0,
				      "IPI-004: all_but_self with mask 0x%llx base %llu succeeded",
				      (unsigned long long)a[0], (unsigned long long)a[1]);
				for (uint32_t i = 0; i < S.nvcpus; i++)
					if (i != S.caller && S.running[i])
						want++;
			}
			CHECK(n_inject == want, "IPI.SEND injected %u interrupts, %u targets run",
			      n_inject, want);
			break;
		}
		case HCABI_FID_TLB_FLUSH: {
			unsigned want = 0;
			for (unsigned i = 0; i < 64; i++)
				if (((a[0] >> i) & 1u) && S.running[a[1] + i])
					want++;
			CHECK(n_tlb == want, "TLB.FLUSH flushed %u vCPUs, %u targets run", n_tlb,
			      want);
			break;
		}
		case HCABI_FID_VCPU_START:
			CHECK(n_start == 1 && S.running[a[0]],
			      "VCPU.START succeeded without starting vCPU %llu",
			      (unsigned long long)a[0]);
			break;
		case HCABI_FID_MEM_RELEASE:
			CHECK(n_release == 1, "MEM.RELEASE succeeded with %u releases", n_release);
			break;
		case HCABI_FID_TIME_SET_TIMER:
#ifdef HCABI_FID_TIME_SET_PERIODIC
		case HCABI_FID_TIME_SET_PERIODIC:
#endif
			CHECK(n_tarm == 1, "%s succeeded with %u arms", f->name, n_tarm);
			break;
		default:
			break;
		}
	}
	(void)wrote_region;
}

/* Does the caller's registered steal record overlap [g, g + len)? For a
 * direct call, the steal update comes after the function's own writes. */
static bool steal_rec_overlaps(bool direct, uint64_t g, uint64_t len)
{
	return direct && S.steal_on[S.caller] && overlaps(g, len, S.steal_gpa[S.caller], 64);
}

/* The status: STATUS-001/002/003, X86-002, X86-005, BATCH-004, GEN-002, and
 * actions only for the functions that do not return. */
static void check_status(const struct callctx *c, const struct hcabi_ref_trace_event *ev)
{
	const struct fz_fn *f = present_fn(c->fid);
	const char *name = f ? f->name : "(unknown)";

	CHECK(ev->known == (present_fn((uint32_t)c->fid) != NULL), "trace: known %d for RAX 0x%llx",
	      ev->known, (unsigned long long)c->fid);
	CHECK(!ev->faulted, "trace: a fault applied with no fault injected");
	CHECK(ev->status == HCABI_SUCCESS || ev->value == 0,
	      "X86-005: %s returned status %lld with value 0x%llx", name, (long long)ev->status,
	      (unsigned long long)ev->value);
	if (c->fid >> 32) {
		CHECK(ev->status == HCABI_ERR_INVALID_PARAM &&
			  ev->action == HCABI_REF_ACTION_RESUME,
		      "X86-002: RAX 0x%llx returned %lld", (unsigned long long)c->fid,
		      (long long)ev->status);
		return;
	}
	if (!f) {
		CHECK(ev->status == HCABI_ERR_NOT_SUPPORTED &&
			  ev->action == HCABI_REF_ACTION_RESUME,
		      "STATUS-002/003: unknown function 0x%llx returned %lld",
		      (unsigned long long)c->fid, (long long)ev->status);
		return;
	}
	if (ev->in_batch && (f->flags & HCABI_FN_NO_BATCH)) {
		CHECK(ev->status == HCABI_ERR_DENIED && ev->action == HCABI_REF_ACTION_RESUME,
		      "BATCH-004: entry %s returned %lld", name, (long long)ev->status);
		return;
	}
	if (has_reserved_bits(f, c->args)) {
		CHECK(ev->status == HCABI_ERR_INVALID_PARAM &&
			  ev->action == HCABI_REF_ACTION_RESUME,
		      "GEN-002: %s with a reserved bit returned %lld", name, (long long)ev->status);
		return;
	}
	if (ev->action != HCABI_REF_ACTION_RESUME) {
		enum hcabi_ref_action want = HCABI_REF_ACTION_RESUME;
		CHECK(!ev->in_batch && (f->flags & HCABI_FN_NO_RETURN) &&
			  ev->status == HCABI_SUCCESS && ev->value == 0,
		      "%s ended with action %d (status %lld, in batch %d)", name, (int)ev->action,
		      (long long)ev->status, ev->in_batch);
		switch (f->id) {
		case HCABI_FID_VCPU_STOP:
			want = HCABI_REF_ACTION_STOP_VCPU;
			break;
		case HCABI_FID_SYSTEM_SHUTDOWN:
			want = HCABI_REF_ACTION_SHUTDOWN;
			break;
		case HCABI_FID_SYSTEM_REBOOT:
			want = HCABI_REF_ACTION_REBOOT;
			break;
		case HCABI_FID_SYSTEM_CRASH:
			want = HCABI_REF_ACTION_CRASH;
			break;
		default:
			break;
		}
		CHECK(want == HCABI_REF_ACTION_RESUME ? ev->action > HCABI_REF_ACTION_RAISE_UD &&
							    ev->action <= HCABI_REF_ACTION_CRASH
						      : ev->action == want,
		      "%s ended with action %d", name, (int)ev->action);
		return;
	}
	CHECK(permitted(f, ev->status), "STATUS-001: %s returned %lld, which it does not permit%s",
	      name, (long long)ev->status, ev->in_batch ? " (batch entry)" : "");
}

/* Cheap values and state-dependent statuses, against the shadow model as it
 * was before the call. Only for calls that ran with no host failure. */
static void check_values(const struct callctx *c, const struct hcabi_ref_trace_event *ev)
{
	const struct fz_fn *f = present_fn(c->fid);
	const uint64_t *a = c->args;
	uint64_t v = ev->value;
	int64_t st = ev->status;
	bool others = false;

	if (!f || (ev->in_batch && (f->flags & HCABI_FN_NO_BATCH)) || has_reserved_bits(f, a) ||
	    S.seg_failed)
		return;
	switch (f->id) {
	case HCABI_FID_BASE_GET_SPEC_VERSION:
		CHECK(v == S.version, "BASE-001: GET_SPEC_VERSION 0x%llx", (unsigned long long)v);
		break;
	case HCABI_FID_BASE_GET_IMPL_VERSION:
		CHECK(v == S.impl_version, "BASE-020: GET_IMPL_VERSION 0x%llx",
		      (unsigned long long)v);
		break;
	case HCABI_FID_BASE_PROBE_EXTENSION:
		CHECK(v == ext_version_of((uint32_t)a[0]),
		      "BASE-031: PROBE_EXTENSION(0x%llx) = %llu", (unsigned long long)a[0],
		      (unsigned long long)v);
		break;
	case HCABI_FID_BASE_PROBE_FUNCTION:
		CHECK(v == (present_fn(a[0]) ? 1u : 0u), "BASE-041: PROBE_FUNCTION(0x%llx) = %llu",
		      (unsigned long long)a[0], (unsigned long long)v);
		break;
	case HCABI_FID_CONSOLE_WRITE:
		if (st == HCABI_SUCCESS)
			CHECK(v == (a[1] < HCABI_CONSOLE_MAX_XFER ? a[1] : HCABI_CONSOLE_MAX_XFER),
			      "CONSOLE-001: WRITE of %llu returned %llu", (unsigned long long)a[1],
			      (unsigned long long)v);
		break;
	case HCABI_FID_CONSOLE_READ:
		if (st == HCABI_SUCCESS && a[1] != 0) {
			uint8_t got[HCABI_CONSOLE_MAX_XFER];
			CHECK(v == S.cread_n,
			      "CONSOLE-020: READ returned %llu, %zu bytes were read",
			      (unsigned long long)v, S.cread_n);
			if (v && !steal_rec_overlaps(!ev->in_batch, a[0], v)) {
				peek(a[0], got, (size_t)v);
				CHECK(memcmp(got, S.cread_copy, (size_t)v) == 0,
				      "CONSOLE-020: READ wrote other bytes than it read");
			}
		}
		break;
	case HCABI_FID_TIME_GET_MONOTONIC:
		CHECK(v >= S.last_monotonic_value && v <= S.mono_max,
		      "TIME-001: GET_MONOTONIC %llu after %llu (clock max %llu)",
		      (unsigned long long)v, (unsigned long long)S.last_monotonic_value,
		      (unsigned long long)S.mono_max);
		S.last_monotonic_value = v;
		break;
	case HCABI_FID_TIME_GET_WALLCLOCK:
		CHECK(v == S.wall, "TIME-010: GET_WALLCLOCK %llu", (unsigned long long)v);
		break;
	case HCABI_FID_TIME_CANCEL_TIMER:
		CHECK(v == (S.cancel_was_armed ? 1u : 0u), "TIME-030: CANCEL_TIMER returned %llu",
		      (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_GET_ID:
		CHECK(v == S.caller, "VCPU-001: GET_ID %llu on vCPU %u", (unsigned long long)v,
		      S.caller);
		break;
	case HCABI_FID_VCPU_GET_COUNT:
		CHECK(v == S.nvcpus, "VCPU-010: GET_COUNT %llu", (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_GET_STATUS:
		CHECK((st == HCABI_ERR_INVALID_PARAM) == (a[0] >= S.nvcpus),
		      "VCPU-040: GET_STATUS(%llu) returned %lld", (unsigned long long)a[0],
		      (long long)st);
		if (st == HCABI_SUCCESS)
			CHECK(v == ((a[0] == S.caller || S.running[a[0]])
					? HCABI_VCPU_STATUS_RUNNING
					: HCABI_VCPU_STATUS_STOPPED),
			      "VCPU-041: GET_STATUS(%llu) = %llu", (unsigned long long)a[0],
			      (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_YIELD:
		CHECK(
		    (st == HCABI_ERR_INVALID_PARAM) == (a[0] != HCABI_VCPU_ANY && a[0] >= S.nvcpus),
		    "VCPU-050: YIELD(%llu) returned %lld", (unsigned long long)a[0], (long long)st);
		break;
	case HCABI_FID_VCPU_START:
		if (st == HCABI_ERR_ALREADY_STARTED)
			CHECK(a[0] < S.nvcpus && S.running[a[0]],
			      "VCPU-023: START(%llu) ALREADY_STARTED", (unsigned long long)a[0]);
		if (a[0] >= S.nvcpus)
			CHECK(st == HCABI_ERR_INVALID_PARAM, "VCPU-020: START(%llu) returned %lld",
			      (unsigned long long)a[0], (long long)st);
		break;
	case HCABI_FID_VCPU_STOP:
		for (uint32_t i = 0; i < S.nvcpus; i++)
			if (i != S.caller && S.running[i])
				others = true;
		CHECK((st == HCABI_ERR_DENIED) == !others,
		      "VCPU-031: STOP returned %lld (other vCPUs running: %d)", (long long)st,
		      others);
		break;
	case HCABI_FID_VCPU_BLOCK:
		CHECK(v == HCABI_BLOCK_WOKEN || v == HCABI_BLOCK_TIMED_OUT, "BLOCK returned %llu",
		      (unsigned long long)v);
		CHECK(a[0] != HCABI_BLOCK_FOREVER || S.block_deadline == UINT64_MAX,
		      "VCPU-062: BLOCK_FOREVER blocked until %llu",
		      (unsigned long long)S.block_deadline);
		CHECK(S.block_deadline >= a[0], "VCPU-062: BLOCK(%llu) blocked until %llu",
		      (unsigned long long)a[0], (unsigned long long)S.block_deadline);
		CHECK(v != HCABI_BLOCK_TIMED_OUT || S.mono_max >= S.block_deadline,
		      "VCPU-062: BLOCK timed out at %llu before its deadline %llu",
		      (unsigned long long)S.mono_max, (unsigned long long)S.block_deadline);
		break;
	case HCABI_FID_VCPU_KICK:
		if (a[0] >= S.nvcpus)
			CHECK(st == HCABI_ERR_INVALID_PARAM, "VCPU-070: KICK(%llu) returned %lld",
			      (unsigned long long)a[0], (long long)st);
		else
			CHECK(st == (S.running[a[0]] ? HCABI_SUCCESS : HCABI_ERR_INVALID_STATE),
			      "VCPU-070: KICK(%llu) returned %lld", (unsigned long long)a[0],
			      (long long)st);
		break;
	case HCABI_FID_MEM_RELEASE:
		if (st == HCABI_SUCCESS)
			CHECK(v == a[1], "MEM.RELEASE returned %llu", (unsigned long long)v);
		break;
	case HCABI_FID_MEM_GET_LAYOUT:
		if (st == HCABI_SUCCESS) {
			uint64_t k = a[1] < S.nram ? a[1] : S.nram;
			CHECK(v == S.nram, "MEM-010: GET_LAYOUT returned %llu of %u",
			      (unsigned long long)v, S.nram);
			for (uint64_t i = 0; i < k; i++) {
				uint8_t e[24];
				uint64_t g = a[0] + i * 24;
				if (steal_rec_overlaps(!ev->in_batch, g, 24))
					continue;
				peek(g, e, 24);
				CHECK(le(e, 8) == S.ram[i].base && le(e + 8, 8) == S.ram[i].size &&
					  le(e + 16, 4) == HCABI_MEM_RANGE_RAM &&
					  le(e + 20, 4) == 0,
				      "MEM-011: GET_LAYOUT entry %llu is wrong",
				      (unsigned long long)i);
			}
		}
		break;
	case HCABI_FID_BATCH_EXECUTE:
		if (a[1] > HCABI_BATCH_MAX_ENTRIES)
			CHECK(st == HCABI_ERR_INVALID_PARAM, "BATCH-001: count %llu returned %lld",
			      (unsigned long long)a[1], (long long)st);
		else if (a[1] == 0)
			CHECK(st == HCABI_SUCCESS && v == 0, "BATCH-001: count 0 returned %lld",
			      (long long)st);
		else if (a[0] % 8 != 0 || !ram_has(a[0], a[1] * sizeof(struct hcabi_batch_entry)))
			CHECK(st == HCABI_ERR_INVALID_ADDRESS, "BATCH-001: bad table returned %lld",
			      (long long)st);
		else
			CHECK(st == HCABI_SUCCESS && v >= 1 && v <= a[1],
			      "BATCH: %llu entries returned %lld with %llu",
			      (unsigned long long)a[1], (long long)st, (unsigned long long)v);
		break;
	default:
		break;
	}
}

/* The shadow model after the call (STOP, SET_SHMEM). */
static void apply_shadow(const struct callctx *c, const struct hcabi_ref_trace_event *ev)
{
	const struct fz_fn *f = present_fn(c->fid);
	if (!f)
		return;
	if (f->id == HCABI_FID_STEAL_SET_SHMEM && ev->status == HCABI_SUCCESS) {
		S.steal_on[S.caller] = c->args[0] != HCABI_STEAL_DISABLE;
		S.steal_gpa[S.caller] = c->args[0];
	}
	if (ev->action == HCABI_REF_ACTION_STOP_VCPU) {
		S.running[S.caller] = false;
		S.steal_on[S.caller] = false; /* VCPU-030: unregistered */
		/* VCPU-030: its timer does not fire */
		CHECK(S.seg_failed || !S.timer_armed[S.caller],
		      "VCPU-030: vCPU %u stopped with its timer armed", S.caller);
	}
}

static struct hcabi_ref_trace_event last_direct;

static void on_trace(void *arg, const struct hcabi_ref_trace_event *ev)
{
	const struct callctx *c;
	unsigned completed;
	(void)arg;

	CHECK(S.in_dispatch, "trace event outside a dispatch");
	CHECK(ev->vcpu == S.caller, "trace event for vCPU %u, caller %u", ev->vcpu, S.caller);
	if (ev->in_batch) {
		CHECK(S.batch && S.ntrace_batch < S.batch_count && S.ntrace_direct == 0,
		      "a batch entry ran that the harness did not expect (entry %u)",
		      S.ntrace_batch);
		c = &S.entries[S.ntrace_batch];
		completed = S.ntrace_batch;
	} else {
		CHECK(S.ntrace_direct == 0, "two trace events for one direct call");
		c = &S.direct;
		completed = S.batch ? S.ntrace_batch : 0;
	}
	CHECK(ev->function_id == c->fid, "BATCH-005/trace: executed RAX 0x%llx, expected 0x%llx",
	      (unsigned long long)ev->function_id, (unsigned long long)c->fid);
	check_status(c, ev);
	check_values(c, ev);
	apply_shadow(c, ev);
	check_segment(c, ev, completed);
	if (ev->in_batch) {
		S.entry_status[S.ntrace_batch] = ev->status;
		S.entry_value[S.ntrace_batch] = ev->value;
		S.ntrace_batch++;
	} else {
		last_direct = *ev;
		S.ntrace_direct++;
	}
	S.nseg = 0;
	S.seg_failed = false;
	S.cancel_was_armed = false;
	S.cread_n = 0;
}

/* ---- The VM ------------------------------------------------------------------------- */

struct layout {
	unsigned n;
	struct hcabi_ref_ram_range r[FZ_MAX_RANGES];
};
static const struct layout layouts[] = {
    /* two ranges and a hole */
    {2, {{0x0, 0x10000}, {0x20000, 0x8000}}},
    /* two ranges that touch: one range to the guest (MEM-011) */
    {2, {{0x0, 0x8000}, {0x8000, 0x8000}}},
    /* GPA 0 is not RAM */
    {1, {{0x1000, 0xF000}}},
    /* RAM ending one page below 2^64 */
    {2, {{0x0, 0x10000}, {0xFFFFFFFFFFFEF000ull, 0x10000}}},
    /* four ranges, above 4 GiB too, two of them touching */
    {4, {{0x0, 0x4000}, {0x8000, 0x4000}, {0x100000000ull, 0x4000}, {0x100004000ull, 0x4000}}},
};
#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

static const uint32_t vcpu_counts[16] = {1, 2, 2, 3, 3, 4, 4, 4, 5, 8, 16, 63, 64, 65, 128, 256};
static uint32_t cpuid_base;

static void reset_shadow(void)
{
	memset(S.running, 0, sizeof(S.running));
	memset(S.steal_on, 0, sizeof(S.steal_on));
	memset(S.steal_expect, 0, sizeof(S.steal_expect));
	memset(S.wake_pending, 0, sizeof(S.wake_pending));
	memset(S.timer_armed, 0, sizeof(S.timer_armed));
	S.running[0] = true;
}

void fz_open(struct fz_in *in)
{
	uint8_t h0 = fz_u8(in), h1 = fz_u8(in), h2 = fz_u8(in), h3 = fz_u8(in);
	const struct layout *l = &layouts[h2 % NLAYOUTS];
	struct hcabi_ref_config cfg;
	const char *err = NULL;
	unsigned vi = h0 % (NVERSIONS + 1);

	memset(&S, 0, sizeof(S));
	S.nvcpus = vcpu_counts[h1 % 16];
	S.ncfg = l->n;
	memcpy(S.cfg, l->r, sizeof(S.cfg));
	for (unsigned i = 0; i < l->n; i++) {
		if (S.nram > 0 && S.ram[S.nram - 1].base + S.ram[S.nram - 1].size == l->r[i].base) {
			S.ram[S.nram - 1].size += l->r[i].size;
		} else {
			S.ram[S.nram].base = l->r[i].base;
			S.ram[S.nram].size = l->r[i].size;
			S.nram++;
		}
	}
	for (unsigned i = 0; i < S.nram; i++) {
		S.ram[i].mem = malloc((size_t)S.ram[i].size);
		if (!S.ram[i].mem)
			abort();
		/* never zero: the core must not rely on fresh memory */
		memset(S.ram[i].mem, 0x5A, (size_t)S.ram[i].size);
	}
	S.mono = 1000000;
	S.wall = 1700000000000000000ull;
	S.impl_version = 0x00020003;
	reset_shadow();
	cpuid_base = h3 ? HCABI_CPUID_BASE + h3 * HCABI_CPUID_BASE_STRIDE : 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.spec_version = vi == 0 ? 0 : versions[vi - 1];
	/* Profiles: one input in four withholds the optional extensions named
	 * by bits of h1 >> 4 and h3 (exts[] order, BASE never); the model
	 * then expects them absent exactly as unknown ones (ext_present). */
	if ((h0 / (NVERSIONS + 1)) % 4 == 3) {
		uint32_t v = cfg.spec_version ? cfg.spec_version : hcabi_ref_newest_version();
		uint64_t pick = (uint64_t)(h1 >> 4) | ((uint64_t)h3 << 4);
		for (size_t i = 0; i < NEXTS; i++) {
			if (exts[i].eid != HCABI_EID_BASE && ((pick >> (i % 12)) & 1u))
				S.withheld |= UINT64_C(1) << i;
			else if (exts[i].since <= v)
				S.provide[S.nprovide++] = exts[i].eid;
		}
		cfg.extensions = S.provide;
		cfg.extension_count = S.nprovide;
	}
	cfg.vcpu_count = S.nvcpus;
	cfg.ram = S.cfg;
	cfg.ram_count = S.ncfg;
	cfg.impl_version = S.impl_version;
	cfg.cpuid_base = cpuid_base;
	cfg.ops = &fz_ops;
	cfg.ctx = &S;
	if (!cpuid_base)
		cpuid_base = HCABI_CPUID_BASE;
	S.ref = hcabi_ref_create(&cfg, &err);
	CHECK(S.ref != NULL, "hcabi_ref_create refused a valid configuration: %s", err ? err : "?");
	S.version = hcabi_ref_spec_version(S.ref);
	CHECK(S.version == (vi == 0 ? hcabi_ref_newest_version() : versions[vi - 1]),
	      "VER: exposed version 0x%x", S.version);
	hcabi_ref_set_trace(S.ref, on_trace, NULL);
}

void fz_close(void)
{
	if (S.ref)
		hcabi_ref_destroy(S.ref);
	for (unsigned i = 0; i < S.nram; i++)
		free(S.ram[i].mem);
	S.ref = NULL;
	S.nram = 0;
}

bool fz_vm_ended(void)
{
	return S.ended;
}

uint32_t fz_nvcpus(void)
{
	return S.nvcpus;
}

uint32_t fz_nrunning(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < S.nvcpus; i++)
		n += S.running[i];
	return n;
}

uint32_t fz_running_vcpu(uint32_t k)
{
	for (uint32_t i = 0; i < S.nvcpus; i++)
		if (S.running[i] && k-- == 0)
			return i;
	return 0;
}

uint64_t fz_calls_made(void)
{
	return S.ncalls;
}

uint64_t fz_slot(unsigned k)
{
	const struct hcabi_ref_ram_range *first = &S.cfg[0], *last = &S.cfg[S.ncfg - 1];
	uint64_t first_end = first->base + first->size, last_end = last->base + last->size;
	switch (k % FZ_NSLOTS) {
	case 0:
		return first->base + 0x1000;
	case 1:
		return first->base + 0x2000;
	case 2:
		return last_end - HCABI_BATCH_MAX_ENTRIES * sizeof(struct hcabi_batch_entry);
	case 3:
		return last_end - 64;
	case 4:
		return first_end - 2 * sizeof(struct hcabi_batch_entry);
	case 5:
		return first->base + 0x3000;
	case 6:
		return first_end - 36;
	default:
		return first->base;
	}
}

/* ---- Decoders -------------------------------------------------------------------------- */

uint64_t fz_decode_gpa(struct fz_in *in, uint8_t sel)
{
	static const uint64_t mis[8] = {0, 1, 2, 4, 7, 8, 36, 63};
	uint8_t r = fz_u8(in);
	uint64_t d = fz_u16(in), g;
	const struct hcabi_ref_ram_range *R = &S.cfg[r % S.ncfg];
	uint64_t end = R->base + R->size;

	switch (sel & 7) {
	case 0:
		g = R->base + d;
		break;
	case 1:
		g = end - d;
		break;
	case 2:
		g = end + d;
		break; /* the hole, or beyond RAM */
	case 3:
		g = 0 - d;
		break; /* just below 2^64 */
	case 4:
		g = R->base + d * 64;
		break;
	case 5:
		g = R->base + d * HCABI_PAGE_SIZE;
		break;
	case 6:
		g = end - d * 8;
		break;
	default:
		g = fz_slot(r);
		break;
	}
	return g + mis[(sel >> 3) & 7];
}

uint64_t fz_decode_arg(struct fz_in *in)
{
	uint8_t s = fz_u8(in);
	const uint64_t consts[32] = {
	    HCABI_VECTOR_MIN,
	    HCABI_VECTOR_MIN - 1,
	    0xFF,
	    0x100,
	    0x120,
	    0x1FF,
	    HCABI_CONSOLE_MAX_XFER,
	    HCABI_CONSOLE_MAX_XFER + 1,
	    HCABI_BATCH_MAX_ENTRIES,
	    HCABI_BATCH_MAX_ENTRIES + 1,
	    UINT32_MAX,
	    UINT64_C(1) << 32,
	    UINT64_C(1) << 63,
	    UINT64_MAX,
	    UINT64_MAX - 1,
	    INT64_MAX,
	    UINT64_C(0x0000800000000000),
	    UINT64_C(0xFFFF800000000000),
	    UINT64_C(0x00007FFFFFFFF000),
	    UINT64_C(0xFFFFFFFFFFFFF000),
	    UINT64_MAX / HCABI_PAGE_SIZE,
	    UINT64_MAX / HCABI_PAGE_SIZE + 1,
	    99999,
	    100000,
	    1000000000,
	    S.mono,
	    S.mono + 1000,
	    0xFFFF,
	    0x8000,
	    0xC000,
	    0x10000,
	    HCABI_PAGE_SIZE,
	};

	if (s < 0x40)
		return s;
	if (s < 0x80)
		return fz_decode_gpa(in, s);
	if (s < 0xA0)
		return (uint64_t)S.nvcpus + (uint64_t)(int64_t)(s - 0x90);
	if (s < 0xC0)
		return consts[s & 0x1F];
	if (s < 0xE0)
		return (uint64_t)fz_u8(in) << ((s & 0x1F) * 2);
	if (s < 0xE8)
		return fns[fz_u8(in) % NFNS].id;
	if (s < 0xF0)
		return fz_u16(in);
	if (s < 0xF8)
		return fz_u32(in);
	return fz_u64(in);
}

uint64_t fz_decode_fid(struct fz_in *in)
{
	uint8_t s = fz_u8(in);
	uint32_t max_eid = 0;

	if (s < 0xC0)
		return fns[s % NFNS].id;
	if (s < 0xC8)
		return reserved_fns[fz_u8(in) % NRESERVED];
	if (s < 0xD0) {
		uint32_t eid = exts[fz_u8(in) % NEXTS].eid;
		return HCABI_FUNCTION_ID(eid, fz_u16(in));
	}
	if (s < 0xD8) {
		uint32_t u = fz_u16(in), eid;
		for (size_t i = 0; i < NEXTS; i++)
			if (exts[i].eid > max_eid)
				max_eid = exts[i].eid;
		switch (s & 3) {
		case 0:
			eid = u % HCABI_EID_EXPERIMENTAL_FIRST;
			break;
		case 1:
			eid = HCABI_EID_EXPERIMENTAL_FIRST + u % 0x4000u;
			break;
		case 2:
			eid = HCABI_EID_VENDOR_FIRST + u % 0x4000u;
			break;
		default:
			eid = max_eid + 1 + u % 16u;
			break;
		}
		return HCABI_FUNCTION_ID(eid, fz_u16(in));
	}
	if (s < 0xE0) {
		uint64_t id = fns[fz_u8(in) % NFNS].id;
		uint32_t hi = fz_u32(in);
		return id | (uint64_t)(hi ? hi : 1u) << 32;
	}
	if (s < 0xF0)
		return fz_u32(in);
	return fz_u64(in);
}

/* ---- Platform knobs ----------------------------------------------------------------------- */

void fz_set_failure(uint8_t kind, uint8_t skip)
{
	S.fail_kind = (uint8_t)(kind % FK__COUNT);
	S.fail_skip = skip;
}

static void do_reset(void)
{
	/* The VMM resets the VM (SYSTEM.REBOOT); its timers are its own. */
	hcabi_ref_reset(S.ref);
	reset_shadow();
}

static void check_cpuid(uint32_t leaf, uint32_t subleaf)
{
	uint32_t out[4] = {0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD};
	bool owned = hcabi_ref_cpuid(S.ref, leaf, subleaf, out);
	CHECK(owned == (leaf == cpuid_base || leaf == cpuid_base + 1),
	      "DISC-002: cpuid leaf 0x%x owned %d (base 0x%x)", leaf, owned, cpuid_base);
	if (leaf == cpuid_base)
		CHECK(out[0] >= cpuid_base + 1 && out[0] <= cpuid_base + 0xFF,
		      "DISC-002: leaf B EAX 0x%x", out[0]);
	else if (owned)
		CHECK(out[0] == HCABI_CPUID_INTERFACE_SIGNATURE && out[1] == 0 && out[2] == 0 &&
			  out[3] == 0,
		      "DISC-003: leaf B+1");
}

void fz_platform_op(uint8_t kind, struct fz_in *in)
{
	uint32_t v;
	switch (kind % 16) {
	case 0:
		S.mono += (uint64_t)fz_u16(in) * 1000 + 1;
		break;
	case 1:
		S.mono = fz_u64(in); /* may go back: the core clamps (TIME-001) */
		break;
	case 2:
		v = fz_u8(in) % S.nvcpus;
		S.steal_plat[v] += (uint64_t)fz_u16(in) * 10;
		break;
	case 3:
		v = fz_u8(in) % S.nvcpus;
		S.steal_plat[v] = fz_u16(in); /* may go back: the core clamps (STEAL-004) */
		break;
	case 4: {
		unsigned n = fz_u8(in);
		if (S.cin_pos == S.cin_len)
			S.cin_pos = S.cin_len = 0;
		for (unsigned i = 0; i < n; i++) {
			uint8_t b = fz_u8(in);
			if (S.cin_len < sizeof(S.cin))
				S.cin[S.cin_len++] = b;
		}
		break;
	}
	case 5: /* the VMM boots a vCPU itself */
		v = fz_u8(in) % S.nvcpus;
		hcabi_ref_set_vcpu_running(S.ref, v, true);
		S.running[v] = true;
		break;
	case 6: /* ... or parks one (never the last) */
		v = fz_u8(in) % S.nvcpus;
		if (!S.running[v] || fz_nrunning() > 1) {
			hcabi_ref_set_vcpu_running(S.ref, v, false);
			S.running[v] = false;
			S.steal_on[v] = false;
		}
		break;
	case 7: /* an interrupt arrives */
		S.wake_pending[fz_u8(in) % S.nvcpus] = true;
		break;
	case 8:
		do_reset();
		break;
	case 9: /* console_write takes at most this much (0: all) */
		S.write_chunk = (size_t)fz_u8(in) * 16u;
		break;
	case 10:
		S.block_mode = fz_u8(in);
		break;
	case 11: {
		uint8_t b = fz_u8(in);
		uint32_t leaf = (b & 0x80) ? fz_u32(in) : cpuid_base - 2 + b % 5u;
		check_cpuid(leaf, fz_u32(in));
		break;
	}
	case 12:
		S.wall = fz_u64(in);
		break;
	default:
		break;
	}
}

/* ---- One call ------------------------------------------------------------------------------ */

/* The table as the core will read it, if it will run entries. */
static void snapshot_batch(void)
{
	const struct fz_fn *f = present_fn(S.direct.fid);
	uint64_t gpa = S.direct.args[0], count = S.direct.args[1];
	const size_t esz = sizeof(struct hcabi_batch_entry);

	S.batch = false;
	S.batch_count = 0;
	if (!f || f->id != HCABI_FID_BATCH_EXECUTE || has_reserved_bits(f, S.direct.args))
		return;
	if (count == 0 || count > HCABI_BATCH_MAX_ENTRIES || gpa % 8 != 0 ||
	    !ram_has(gpa, count * esz))
		return;
	S.batch = true;
	S.batch_gpa = gpa;
	S.batch_count = count;
	peek(gpa, S.table, (size_t)(count * esz));
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *e = S.table + i * esz;
		S.entries[i].fid = le(e, 8);
		for (unsigned a = 0; a < 6; a++)
			S.entries[i].args[a] = le(e + 8 + 8 * a, 8);
	}
}

/* BATCH-002/003 in guest memory: executed entries hold their status and
 * value, later ones are untouched. */
static void check_batch_memory(uint64_t done)
{
	const size_t esz = sizeof(struct hcabi_batch_entry);
	if (S.batch_foreign_write || S.call_failed ||
	    (S.steal_on[S.caller] &&
	     overlaps(S.steal_gpa[S.caller], 64, S.batch_gpa, S.batch_count * esz)))
		return;
	for (uint64_t i = 0; i < S.batch_count; i++) {
		uint8_t e[sizeof(struct hcabi_batch_entry)];
		peek(S.batch_gpa + i * esz, e, esz);
		if (i < done) {
			CHECK(memcmp(e, S.table + i * esz, 56) == 0,
			      "BATCH-002: entry %llu's call fields changed", (unsigned long long)i);
			CHECK((int64_t)le(e + 56, 8) == S.entry_status[i] &&
				  le(e + 64, 8) == S.entry_value[i],
			      "BATCH-002: entry %llu holds status %lld value 0x%llx, the call "
			      "returned %lld 0x%llx",
			      (unsigned long long)i, (long long)le(e + 56, 8),
			      (unsigned long long)le(e + 64, 8), (long long)S.entry_status[i],
			      (unsigned long long)S.entry_value[i]);
		} else {
			CHECK(memcmp(e, S.table + i * esz, esz) == 0,
			      "BATCH-003: entry %llu (not executed) was modified",
			      (unsigned long long)i);
		}
	}
}

static void check_core_state(void)
{
	struct hcabi_ref *ref = S.ref;
	for (uint32_t i = 0; i < S.nvcpus; i++) {
		const struct hcabi__core_vcpu *c = &ref->vcpus[i];
		CHECK(!c->busy, "vCPU %u left in a START/STOP transition", i);
		CHECK(c->state != HCABI__CORE_BLOCKED, "vCPU %u left BLOCKED", i);
		CHECK((c->state != HCABI__CORE_STOPPED) == S.running[i],
		      "vCPU %u: the core says %s, the platform %s", i,
		      c->state == HCABI__CORE_STOPPED ? "stopped" : "running",
		      S.running[i] ? "running" : "stopped");
		CHECK(c->steal_on == S.steal_on[i] &&
			  (!c->steal_on || c->steal_gpa == S.steal_gpa[i]),
		      "vCPU %u: steal record registered %d at 0x%llx, expected %d at 0x%llx", i,
		      c->steal_on, (unsigned long long)c->steal_gpa, S.steal_on[i],
		      (unsigned long long)S.steal_gpa[i]);
		CHECK(c->steal_seq % 2 == 0, "vCPU %u: steal sequence %u is odd", i, c->steal_seq);
	}
}

/* STEAL-002/003/004, GEN-003: the caller's record after its call returned. */
static void check_steal_record(void)
{
	uint8_t r[64];
	uint32_t v = S.caller;
	if (!S.steal_on[v] || S.call_failed)
		return;
	peek(S.steal_gpa[v], r, 64);
	CHECK(le(r, 4) % 2 == 0 && le(r, 4) != 0, "STEAL-003: sequence %u after the call",
	      (unsigned)le(r, 4));
	CHECK(le(r + 4, 4) == 0, "GEN-003: steal flags 0x%x", (unsigned)le(r + 4, 4));
	CHECK(le(r + 8, 8) == S.steal_expect[v], "STEAL-004: steal_ns %llu, expected %llu",
	      (unsigned long long)le(r + 8, 8), (unsigned long long)S.steal_expect[v]);
	for (unsigned i = 16; i < 64; i++)
		CHECK(r[i] == 0, "GEN-003: steal reserved byte %u is 0x%02x", i, r[i]);
}

void fz_call(uint32_t vcpu, uint8_t cpl, uint64_t fid, const uint64_t args[6])
{
	struct hcabi_ref_call call;
	struct hcabi_ref_ret ret;
	struct hcabi_ref_stats before, after;
	const struct fz_fn *f;

	CHECK(!S.ended, "harness: a call after the VM ended");
	S.caller = vcpu;
	S.direct.fid = fid;
	memcpy(S.direct.args, args, sizeof(S.direct.args));
	S.call_failed = S.seg_failed = false;
	S.ncallbacks = 0;
	S.ntrace_direct = S.ntrace_batch = 0;
	S.nseg = 0;
	S.cancel_was_armed = false;
	S.cread_n = 0;
	S.block_deadline = 0;
	S.batch_foreign_write = false;
	memset(&last_direct, 0, sizeof(last_direct));
	if (cpl == 0 && vcpu < S.nvcpus)
		snapshot_batch();
	else
		S.batch = false;

	memset(&call, 0, sizeof(call));
	call.function_id = fid;
	memcpy(call.args, args, sizeof(call.args));
	call.cpl = cpl;
	memset(&ret, 0xA5, sizeof(ret)); /* the core must write it whole */
	hcabi_ref_get_stats(S.ref, &before);
	S.in_dispatch = true;
	hcabi_ref_dispatch(S.ref, vcpu, &call, &ret);
	S.in_dispatch = false;
	hcabi_ref_get_stats(S.ref, &after);
	S.ncalls++;
	S.fail_kind = FK_NONE;

	CHECK(after.calls == before.calls + 1, "stats: calls %llu -> %llu",
	      (unsigned long long)before.calls, (unsigned long long)after.calls);
	CHECK(ret.clobber_gprs == 0, "clobber_gprs 0x%x with no fault injected", ret.clobber_gprs);

	if (cpl != 0) {
		/* X86-009: nothing at all happens; #UD. */
		CHECK(ret.action == HCABI_REF_ACTION_RAISE_UD && ret.status == 0 &&
			  ret.value == 0 && ret.action_arg == 0,
		      "X86-009: CPL %u: action %d status %lld", cpl, (int)ret.action,
		      (long long)ret.status);
		CHECK(S.ncallbacks == 0 && S.ntrace_direct == 0,
		      "X86-009: CPL %u: %u platform callbacks", cpl, S.ncallbacks);
		CHECK(after.internal_bugs == before.internal_bugs &&
			  after.host_errors == before.host_errors,
		      "X86-009: counters changed");
		check_core_state();
		return;
	}
	if (vcpu >= S.nvcpus) {
		/* The VMM's bug: INVALID_PARAM, counted, nothing else. */
		CHECK(ret.action == HCABI_REF_ACTION_RESUME &&
			  ret.status == HCABI_ERR_INVALID_PARAM && ret.value == 0 &&
			  ret.action_arg == 0,
		      "vCPU %u >= count: status %lld", vcpu, (long long)ret.status);
		CHECK(after.internal_bugs == before.internal_bugs + 1,
		      "vCPU %u >= count: not counted", vcpu);
		CHECK(S.ncallbacks == 0 && S.ntrace_direct == 0, "vCPU %u >= count: callbacks",
		      vcpu);
		check_core_state();
		return;
	}

	CHECK(S.ntrace_direct == 1, "the direct call produced %u trace events", S.ntrace_direct);
	CHECK(S.nseg == 0, "%u platform callbacks after the call completed", S.nseg);
	CHECK(ret.status == last_direct.status && ret.value == last_direct.value &&
		  ret.action == last_direct.action,
	      "ret (%lld, 0x%llx, %d) differs from the traced call (%lld, 0x%llx, %d)",
	      (long long)ret.status, (unsigned long long)ret.value, (int)ret.action,
	      (long long)last_direct.status, (unsigned long long)last_direct.value,
	      (int)last_direct.action);
	CHECK(ret.action != HCABI_REF_ACTION_RAISE_UD, "RAISE_UD at CPL 0");
	f = present_fn(fid);
	switch (ret.action) {
	case HCABI_REF_ACTION_SHUTDOWN:
		CHECK(ret.action_arg == args[0] && args[0] <= 0xFF,
		      "SYSTEM-001: shutdown code 0x%llx", (unsigned long long)ret.action_arg);
		break;
	case HCABI_REF_ACTION_CRASH:
		CHECK(ret.action_arg == args[0], "SYSTEM-020: crash code 0x%llx",
		      (unsigned long long)ret.action_arg);
		break;
	case HCABI_REF_ACTION_RESUME:
		CHECK(ret.action_arg == 0, "action_arg 0x%llx with RESUME",
		      (unsigned long long)ret.action_arg);
		break;
	default:
		break;
	}

	/* internal_bugs and host_errors: only through an injected host failure. */
	if (!S.call_failed) {
		CHECK(after.internal_bugs == before.internal_bugs,
		      "internal_bugs grew (%llu -> %llu) with no host failure: %s returned %lld",
		      (unsigned long long)before.internal_bugs,
		      (unsigned long long)after.internal_bugs, f ? f->name : "(unknown)",
		      (long long)ret.status);
		CHECK(after.host_errors == before.host_errors,
		      "host_errors grew (%llu -> %llu) with no host failure",
		      (unsigned long long)before.host_errors,
		      (unsigned long long)after.host_errors);
	}

	if (f && f->id == HCABI_FID_BATCH_EXECUTE) {
		if (ret.status == HCABI_SUCCESS && S.batch) {
			uint64_t done = ret.value;
			CHECK(done == S.ntrace_batch && done >= 1 && done <= S.batch_count,
			      "BATCH-002: returned %llu, %u entries ran of %llu",
			      (unsigned long long)done, S.ntrace_batch,
			      (unsigned long long)S.batch_count);
			for (uint64_t i = 0; i + 1 < done; i++)
				CHECK(S.entry_status[i] == HCABI_SUCCESS,
				      "BATCH-003: entry %llu failed (%lld) but later ones ran",
				      (unsigned long long)i, (long long)S.entry_status[i]);
			if (done < S.batch_count)
				CHECK(S.entry_status[done - 1] != HCABI_SUCCESS,
				      "BATCH-003: stopped after entry %llu, which succeeded",
				      (unsigned long long)(done - 1));
			check_batch_memory(done);
		} else {
			CHECK(S.ntrace_batch == 0, "BATCH-001: %u entries ran, status %lld",
			      S.ntrace_batch, (long long)ret.status);
		}
	}

	check_core_state();
	check_steal_record();

	switch (ret.action) {
	case HCABI_REF_ACTION_SHUTDOWN:
	case HCABI_REF_ACTION_CRASH:
		S.ended = true;
		break;
	case HCABI_REF_ACTION_REBOOT:
		do_reset();
		break;
	default:
		break;
	}
}
