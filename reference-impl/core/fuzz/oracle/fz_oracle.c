/* SPDX-License-Identifier: MIT */
/*
 * fz_oracle.c - the invariants checked of every executed call: the generic
 * ones here, what only one extension knows in oracle/ext_*.c (fz_oracle.h).
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

#include <stddef.h>
#include <string.h>

#include "fz_oracle.h"

#define FZ__ORACLE_PTR(name) &fz_oracle_##name,
static const struct fz_ext_oracle *const oracles[] = {FZ_ORACLE_EXT(FZ__ORACLE_PTR)};
#undef FZ__ORACLE_PTR

/* The oracle of f's extension: every extension the registry defines has
 * one, or the harness refuses to judge its calls. */
static const struct fz_ext_oracle *oracle_of(const struct fz_fn *f)
{
	uint32_t eid = HCABI_FUNCTION_EID(f->id);
	for (size_t i = 0; i < sizeof(oracles) / sizeof(oracles[0]); i++)
		if (oracles[i]->eid == eid)
			return oracles[i];
	fz_fail("harness: no oracle for extension 0x%x (%s): add oracle/ext_*.c", eid, f->name);
}

bool fz_named(uint64_t mask, uint64_t base, uint32_t t)
{
	return t >= base && t - base < 64 && ((mask >> (t - base)) & 1u);
}

bool fz_steal_rec_overlaps(bool direct, uint64_t g, uint64_t len)
{
	return direct && fz.steal_on[fz.caller] && fz_overlaps(g, len, fz.steal_gpa[fz.caller], 64);
}

/* May a write of [g, g+len) go to a BATCH status slot of an entry that has
 * completed? (BATCH-002: status and value only.) */
static bool batch_slot(uint64_t g, uint64_t len, unsigned completed)
{
	const uint64_t esz = sizeof(struct hcabi_batch_entry);
	uint64_t off;
	if (!fz.batch || len != 16 || g < fz.batch_gpa)
		return false;
	off = g - fz.batch_gpa;
	return off % esz == offsetof(struct hcabi_batch_entry, status) && off / esz < completed;
}

/* Does [g, g + len) touch the BATCH table of the current direct call? */
static bool in_batch_table(uint64_t g, uint64_t len)
{
	return fz.batch &&
	       fz_overlaps(g, len, fz.batch_gpa, fz.batch_count * sizeof(struct hcabi_batch_entry));
}

static const char *const event_names[] = {
    [EV_READ] = "mem_read",	 [EV_WRITE] = "mem_write",     [EV_RELEASE] = "mem_release",
    [EV_START] = "vcpu_start",	 [EV_BLOCK] = "vcpu_block",    [EV_KICK] = "vcpu_kick",
    [EV_YIELD] = "vcpu_yield",	 [EV_INJECT] = "inject_irq",   [EV_TARM] = "timer_arm",
    [EV_TARMP] = "timer_arm_periodic", [EV_TCANCEL] = "timer_cancel", [EV_TLB] = "tlb_flush",
    [EV_CWRITE] = "console_write", [EV_CREAD] = "console_read",
};

/* A guest write: the caller's steal record (STEAL-003, as registered after
 * the call; STEAL-005: never a previous one), a completed BATCH entry's
 * status slot, or where the function itself may write. */
static void check_write(struct fz_seg *s, const struct fz_ext_oracle *o, const struct ev *e,
			unsigned completed)
{
	bool ok = (s->direct && fz.steal_on[fz.caller] &&
		   fz_within(e->a, e->b, fz.steal_gpa[fz.caller], 64)) ||
		  batch_slot(e->a, e->b, completed) ||
		  (s->effects && o && o->may_write && o->may_write(s, e->a, e->b));
	CHECK(ok, "%s (status %lld%s) wrote guest memory [0x%llx, +0x%llx) where it may not",
	      s->f ? s->f->name : "(no function)", (long long)s->ev->status,
	      s->ev->in_batch ? ", batch entry" : "", (unsigned long long)e->a,
	      (unsigned long long)e->b);
	if (!batch_slot(e->a, e->b, completed) && in_batch_table(e->a, e->b))
		fz.batch_foreign_write = true;
}

/* Every platform callback the call caused: only of the function's own kind,
 * on the vCPUs it names, with its arguments (STATUS-004: none after an
 * error unless a host failure hit the call); then, for a SUCCESS with no
 * host failure, everything the function must have done. */
static void check_segment(struct fz_seg *s, const struct fz_ext_oracle *o, unsigned completed)
{
	for (unsigned i = 0; i < fz.nseg; i++) {
		const struct ev *e = &fz.seg[i];
		if (e->op > EV_CREAD)
			fz_fail("harness: event %u", e->op);
		if (e->op == EV_READ)
			continue;
		if (e->op == EV_WRITE) {
			check_write(s, o, e, completed);
			continue;
		}
		CHECK(s->f && o && o->event && o->event(s, e),
		      "%s (status %lld%s) made the platform call %s (vCPU %u, 0x%llx, 0x%llx), "
		      "which it may not",
		      s->f ? s->f->name : "(no function)", (long long)s->ev->status,
		      s->ev->in_batch ? ", batch entry" : "", event_names[e->op], e->vcpu,
		      (unsigned long long)e->a, (unsigned long long)e->b);
		if (e->op == EV_RELEASE &&
		    in_batch_table(e->a, e->b * HCABI_PAGE_SIZE))
			fz.batch_foreign_write = true;
	}
	if (s->ev->status == HCABI_SUCCESS && !fz.seg_failed && s->f && o->complete)
		o->complete(s);
}

/* The status: STATUS-001/002/003, X86-002, X86-005, BATCH-004, GEN-002, and
 * actions only for the functions that do not return. */
static void check_status(const struct callctx *c, const struct hcabi_ref_trace_event *ev)
{
	const struct fz_fn *f = fz_present_fn(c->fid);
	const char *name = f ? f->name : "(unknown)";

	CHECK(ev->known == (fz_present_fn((uint32_t)c->fid) != NULL), "trace: known %d for RAX 0x%llx",
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
	if (fz_has_reserved_bits(f, c->args)) {
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
		if (oracle_of(f)->action)
			want = oracle_of(f)->action(f);
		CHECK(want == HCABI_REF_ACTION_RESUME ? ev->action > HCABI_REF_ACTION_RAISE_UD &&
							    ev->action <= HCABI_REF_ACTION_CRASH
						      : ev->action == want,
		      "%s ended with action %d", name, (int)ev->action);
		return;
	}
	CHECK(fz_permitted(f, ev->status), "STATUS-001: %s returned %lld, which it does not permit%s",
	      name, (long long)ev->status, ev->in_batch ? " (batch entry)" : "");
}

struct hcabi_ref_trace_event fz_last_direct;
void fz_on_trace(void *arg, const struct hcabi_ref_trace_event *ev)
{
	const struct callctx *c;
	const struct fz_ext_oracle *o;
	struct fz_seg seg;
	unsigned completed;
	(void)arg;

	CHECK(fz.in_dispatch, "trace event outside a dispatch");
	CHECK(ev->vcpu == fz.caller, "trace event for vCPU %u, caller %u", ev->vcpu, fz.caller);
	if (ev->in_batch) {
		CHECK(fz.batch && fz.ntrace_batch < fz.batch_count && fz.ntrace_direct == 0,
		      "a batch entry ran that the harness did not expect (entry %u)",
		      fz.ntrace_batch);
		c = &fz.entries[fz.ntrace_batch];
		completed = fz.ntrace_batch;
	} else {
		CHECK(fz.ntrace_direct == 0, "two trace events for one direct call");
		c = &fz.direct;
		completed = fz.batch ? fz.ntrace_batch : 0;
	}
	CHECK(ev->function_id == c->fid, "BATCH-005/trace: executed RAX 0x%llx, expected 0x%llx",
	      (unsigned long long)ev->function_id, (unsigned long long)c->fid);
	check_status(c, ev);
	memset(&seg, 0, sizeof(seg));
	seg.c = c;
	seg.f = fz_present_fn(c->fid);
	seg.ev = ev;
	seg.direct = !ev->in_batch;
	seg.runs = seg.f && !(ev->in_batch && (seg.f->flags & HCABI_FN_NO_BATCH)) &&
		   !fz_has_reserved_bits(seg.f, c->args);
	seg.effects = seg.runs && (ev->status == HCABI_SUCCESS || fz.seg_failed);
	o = seg.f ? oracle_of(seg.f) : NULL;
	/* values against the shadow model before the call; then the shadow
	 * model after it; then the call's platform callbacks */
	if (o && seg.runs && !fz.seg_failed && o->values)
		o->values(&seg);
	if (o && o->shadow)
		o->shadow(&seg);
	check_segment(&seg, o, completed);
	if (ev->in_batch) {
		fz.entry_status[fz.ntrace_batch] = ev->status;
		fz.entry_value[fz.ntrace_batch] = ev->value;
		fz.ntrace_batch++;
	} else {
		fz_last_direct = *ev;
		fz.ntrace_direct++;
	}
	fz.nseg = 0;
	fz.seg_failed = false;
	fz.cancel_was_armed = false;
	fz.cread_n = 0;
}
