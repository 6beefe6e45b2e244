/* SPDX-License-Identifier: MIT */
/*
 * fz_oracle.c - the invariants checked of every executed call.
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

#include "fz_model.h"

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
		return fz_within(g, len, a[0], n);
	}
	case HCABI_FID_MEM_GET_LAYOUT: {
		uint64_t k = a[1] < fz.nram ? a[1] : fz.nram;
		return fz_within(g, len, a[0], k * sizeof(struct hcabi_mem_range));
	}
	case HCABI_FID_STEAL_SET_SHMEM:
		return a[0] != HCABI_STEAL_DISABLE && fz_within(g, len, a[0], 64);
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
	const struct fz_fn *f = fz_present_fn(c->fid);
	const uint64_t *a = c->args;
	bool direct = !ev->in_batch;
	bool effects = ev->status == HCABI_SUCCESS || fz.seg_failed;
	bool runs =
	    f && !(ev->in_batch && (f->flags & HCABI_FN_NO_BATCH)) && !fz_has_reserved_bits(f, a);
	bool seen[FZ_MAX_VCPUS];
	unsigned n_inject = 0, n_tlb = 0, n_start = 0, n_release = 0, n_tarm = 0;
	bool wrote_region = false;
	uint32_t fid = f ? f->id : 0;

	if (!runs)
		effects = false;
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < fz.nseg; i++) {
		const struct ev *e = &fz.seg[i];
		const char *fname = f ? f->name : "(no function)";
		switch (e->op) {
		case EV_READ:
			break;
		case EV_WRITE: {
			bool ok = false;
			/* STEAL-003: the caller's record, as registered after
			 * the call (STEAL-005: never a previous one). */
			if (direct && fz.steal_on[fz.caller] &&
			    fz_within(e->a, e->b, fz.steal_gpa[fz.caller], 64))
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
			if (fz.batch && !batch_slot(e->a, e->b, completed_entries) &&
			    fz_overlaps(e->a, e->b, fz.batch_gpa,
				     fz.batch_count * sizeof(struct hcabi_batch_entry)))
				fz.batch_foreign_write = true;
			break;
		}
		case EV_RELEASE:
			CHECK(effects && fid == HCABI_FID_MEM_RELEASE && e->a == a[0] &&
				  e->b == a[1],
			      "%s (status %lld) released [0x%llx, %llu pages)", fname,
			      (long long)ev->status, (unsigned long long)e->a,
			      (unsigned long long)e->b);
			n_release++;
			if (fz.batch && fz_overlaps(e->a, e->b * HCABI_PAGE_SIZE, fz.batch_gpa,
						fz.batch_count * sizeof(struct hcabi_batch_entry)))
				fz.batch_foreign_write = true;
			break;
		case EV_START:
			CHECK(effects && fid == HCABI_FID_VCPU_START && e->vcpu == a[0],
			      "%s (status %lld) started vCPU %u", fname, (long long)ev->status,
			      e->vcpu);
			n_start++;
			break;
		case EV_BLOCK:
			CHECK(runs && fid == HCABI_FID_VCPU_BLOCK && e->vcpu == fz.caller,
			      "%s blocked vCPU %u (caller %u)", fname, e->vcpu, fz.caller);
			break;
		case EV_KICK:
			CHECK(effects && fid == HCABI_FID_VCPU_KICK && e->vcpu == a[0],
			      "%s (status %lld) kicked vCPU %u", fname, (long long)ev->status,
			      e->vcpu);
			break;
		case EV_YIELD:
			CHECK(effects && fid == HCABI_FID_VCPU_YIELD && e->vcpu == fz.caller &&
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
					CHECK(e->vcpu != fz.caller,
					      "IPI.SEND (all but self) injected into the caller");
				CHECK(!seen[e->vcpu], "IPI.SEND injected into vCPU %u twice",
				      e->vcpu);
			}
			seen[e->vcpu] = true;
			n_inject++;
			break;
		case EV_TARM:
			CHECK(effects && HCABI_FUNCTION_EID(fid) == HCABI_EID_TIME &&
				  e->vcpu == fz.caller,
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
				  e->vcpu == fz.caller,
			      "%s (status %lld) armed the periodic timer of vCPU %u", fname,
			      (long long)ev->status, e->vcpu);
#ifdef HCABI_FID_TIME_SET_PERIODIC
			if (fid == HCABI_FID_TIME_SET_PERIODIC)
				CHECK(e->a == a[0] && e->b == a[1] &&
					  fz.tarmp_vector == (a[2] & 0xFFu),
				      "SET_PERIODIC armed first %llu period %llu vector %u",
				      (unsigned long long)e->a, (unsigned long long)e->b,
				      fz.tarmp_vector);
#endif
			n_tarm++;
			break;
		case EV_TCANCEL:
			CHECK(effects &&
				  (HCABI_FUNCTION_EID(fid) == HCABI_EID_TIME ||
				   fid == HCABI_FID_VCPU_STOP) &&
				  e->vcpu == fz.caller,
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
	if (ev->status == HCABI_SUCCESS && !fz.seg_failed && f) {
		switch (f->id) {
		case HCABI_FID_IPI_SEND: {
			unsigned want = 0;
			if ((a[2] >> 8) == 0) {
				for (unsigned i = 0; i < 64; i++)
					if (((a[0] >> i) & 1u) && fz.running[a[1] + i])
						want++;
			} else {
				/* IPI-004 (1.1, all_but_self): mask and base 0,
				 * every running vCPU but the caller. */
				CHECK(a[0] == 0 && a[1] == 0,
				      "IPI-004: all_but_self with mask 0x%llx base %llu succeeded",
				      (unsigned long long)a[0], (unsigned long long)a[1]);
				for (uint32_t i = 0; i < fz.nvcpus; i++)
					if (i != fz.caller && fz.running[i])
						want++;
			}
			CHECK(n_inject == want, "IPI.SEND injected %u interrupts, %u targets run",
			      n_inject, want);
			break;
		}
		case HCABI_FID_TLB_FLUSH: {
			unsigned want = 0;
			for (unsigned i = 0; i < 64; i++)
				if (((a[0] >> i) & 1u) && fz.running[a[1] + i])
					want++;
			CHECK(n_tlb == want, "TLB.FLUSH flushed %u vCPUs, %u targets run", n_tlb,
			      want);
			break;
		}
		case HCABI_FID_VCPU_START:
			CHECK(n_start == 1 && fz.running[a[0]],
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
	return direct && fz.steal_on[fz.caller] && fz_overlaps(g, len, fz.steal_gpa[fz.caller], 64);
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
	CHECK(fz_permitted(f, ev->status), "STATUS-001: %s returned %lld, which it does not permit%s",
	      name, (long long)ev->status, ev->in_batch ? " (batch entry)" : "");
}

/* Cheap values and state-dependent statuses, against the shadow model as it
 * was before the call. Only for calls that ran with no host failure. */
static void check_values(const struct callctx *c, const struct hcabi_ref_trace_event *ev)
{
	const struct fz_fn *f = fz_present_fn(c->fid);
	const uint64_t *a = c->args;
	uint64_t v = ev->value;
	int64_t st = ev->status;
	bool others = false;

	if (!f || (ev->in_batch && (f->flags & HCABI_FN_NO_BATCH)) || fz_has_reserved_bits(f, a) ||
	    fz.seg_failed)
		return;
	switch (f->id) {
	case HCABI_FID_BASE_GET_SPEC_VERSION:
		CHECK(v == fz.version, "BASE-001: GET_SPEC_VERSION 0x%llx", (unsigned long long)v);
		break;
	case HCABI_FID_BASE_GET_IMPL_VERSION:
		CHECK(v == fz.impl_version, "BASE-020: GET_IMPL_VERSION 0x%llx",
		      (unsigned long long)v);
		break;
	case HCABI_FID_BASE_PROBE_EXTENSION:
		CHECK(v == fz_ext_version((uint32_t)a[0]),
		      "BASE-031: PROBE_EXTENSION(0x%llx) = %llu", (unsigned long long)a[0],
		      (unsigned long long)v);
		break;
	case HCABI_FID_BASE_PROBE_FUNCTION:
		CHECK(v == (fz_present_fn(a[0]) ? 1u : 0u), "BASE-041: PROBE_FUNCTION(0x%llx) = %llu",
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
			CHECK(v == fz.cread_n,
			      "CONSOLE-020: READ returned %llu, %zu bytes were read",
			      (unsigned long long)v, fz.cread_n);
			if (v && !steal_rec_overlaps(!ev->in_batch, a[0], v)) {
				fz_peek(a[0], got, (size_t)v);
				CHECK(memcmp(got, fz.cread_copy, (size_t)v) == 0,
				      "CONSOLE-020: READ wrote other bytes than it read");
			}
		}
		break;
	case HCABI_FID_TIME_GET_MONOTONIC:
		CHECK(v >= fz.last_monotonic_value && v <= fz.mono_max,
		      "TIME-001: GET_MONOTONIC %llu after %llu (clock max %llu)",
		      (unsigned long long)v, (unsigned long long)fz.last_monotonic_value,
		      (unsigned long long)fz.mono_max);
		fz.last_monotonic_value = v;
		break;
	case HCABI_FID_TIME_GET_WALLCLOCK:
		CHECK(v == fz.wall, "TIME-010: GET_WALLCLOCK %llu", (unsigned long long)v);
		break;
	case HCABI_FID_TIME_CANCEL_TIMER:
		CHECK(v == (fz.cancel_was_armed ? 1u : 0u), "TIME-030: CANCEL_TIMER returned %llu",
		      (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_GET_ID:
		CHECK(v == fz.caller, "VCPU-001: GET_ID %llu on vCPU %u", (unsigned long long)v,
		      fz.caller);
		break;
	case HCABI_FID_VCPU_GET_COUNT:
		CHECK(v == fz.nvcpus, "VCPU-010: GET_COUNT %llu", (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_GET_STATUS:
		CHECK((st == HCABI_ERR_INVALID_PARAM) == (a[0] >= fz.nvcpus),
		      "VCPU-040: GET_STATUS(%llu) returned %lld", (unsigned long long)a[0],
		      (long long)st);
		if (st == HCABI_SUCCESS)
			CHECK(v == ((a[0] == fz.caller || fz.running[a[0]])
					? HCABI_VCPU_STATUS_RUNNING
					: HCABI_VCPU_STATUS_STOPPED),
			      "VCPU-041: GET_STATUS(%llu) = %llu", (unsigned long long)a[0],
			      (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_YIELD:
		CHECK(
		    (st == HCABI_ERR_INVALID_PARAM) == (a[0] != HCABI_VCPU_ANY && a[0] >= fz.nvcpus),
		    "VCPU-050: YIELD(%llu) returned %lld", (unsigned long long)a[0], (long long)st);
		break;
	case HCABI_FID_VCPU_START:
		if (st == HCABI_ERR_ALREADY_STARTED)
			CHECK(a[0] < fz.nvcpus && fz.running[a[0]],
			      "VCPU-023: START(%llu) ALREADY_STARTED", (unsigned long long)a[0]);
		if (a[0] >= fz.nvcpus)
			CHECK(st == HCABI_ERR_INVALID_PARAM, "VCPU-020: START(%llu) returned %lld",
			      (unsigned long long)a[0], (long long)st);
		break;
	case HCABI_FID_VCPU_STOP:
		for (uint32_t i = 0; i < fz.nvcpus; i++)
			if (i != fz.caller && fz.running[i])
				others = true;
		CHECK((st == HCABI_ERR_DENIED) == !others,
		      "VCPU-031: STOP returned %lld (other vCPUs running: %d)", (long long)st,
		      others);
		break;
	case HCABI_FID_VCPU_BLOCK:
		CHECK(v == HCABI_BLOCK_WOKEN || v == HCABI_BLOCK_TIMED_OUT, "BLOCK returned %llu",
		      (unsigned long long)v);
		CHECK(a[0] != HCABI_BLOCK_FOREVER || fz.block_deadline == UINT64_MAX,
		      "VCPU-062: BLOCK_FOREVER blocked until %llu",
		      (unsigned long long)fz.block_deadline);
		CHECK(fz.block_deadline >= a[0], "VCPU-062: BLOCK(%llu) blocked until %llu",
		      (unsigned long long)a[0], (unsigned long long)fz.block_deadline);
		CHECK(v != HCABI_BLOCK_TIMED_OUT || fz.mono_max >= fz.block_deadline,
		      "VCPU-062: BLOCK timed out at %llu before its deadline %llu",
		      (unsigned long long)fz.mono_max, (unsigned long long)fz.block_deadline);
		break;
	case HCABI_FID_VCPU_KICK:
		if (a[0] >= fz.nvcpus)
			CHECK(st == HCABI_ERR_INVALID_PARAM, "VCPU-070: KICK(%llu) returned %lld",
			      (unsigned long long)a[0], (long long)st);
		else
			CHECK(st == (fz.running[a[0]] ? HCABI_SUCCESS : HCABI_ERR_INVALID_STATE),
			      "VCPU-070: KICK(%llu) returned %lld", (unsigned long long)a[0],
			      (long long)st);
		break;
	case HCABI_FID_MEM_RELEASE:
		if (st == HCABI_SUCCESS)
			CHECK(v == a[1], "MEM.RELEASE returned %llu", (unsigned long long)v);
		break;
	case HCABI_FID_MEM_GET_LAYOUT:
		if (st == HCABI_SUCCESS) {
			uint64_t k = a[1] < fz.nram ? a[1] : fz.nram;
			CHECK(v == fz.nram, "MEM-010: GET_LAYOUT returned %llu of %u",
			      (unsigned long long)v, fz.nram);
			for (uint64_t i = 0; i < k; i++) {
				uint8_t e[24];
				uint64_t g = a[0] + i * 24;
				if (steal_rec_overlaps(!ev->in_batch, g, 24))
					continue;
				fz_peek(g, e, 24);
				CHECK(fz_le(e, 8) == fz.ram[i].base && fz_le(e + 8, 8) == fz.ram[i].size &&
					  fz_le(e + 16, 4) == HCABI_MEM_RANGE_RAM &&
					  fz_le(e + 20, 4) == 0,
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
		else if (a[0] % 8 != 0 || !fz_ram_has(a[0], a[1] * sizeof(struct hcabi_batch_entry)))
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
	const struct fz_fn *f = fz_present_fn(c->fid);
	if (!f)
		return;
	if (f->id == HCABI_FID_STEAL_SET_SHMEM && ev->status == HCABI_SUCCESS) {
		fz.steal_on[fz.caller] = c->args[0] != HCABI_STEAL_DISABLE;
		fz.steal_gpa[fz.caller] = c->args[0];
	}
	if (ev->action == HCABI_REF_ACTION_STOP_VCPU) {
		fz.running[fz.caller] = false;
		fz.steal_on[fz.caller] = false; /* VCPU-030: unregistered */
		/* VCPU-030: its timer does not fire */
		CHECK(fz.seg_failed || !fz.timer_armed[fz.caller],
		      "VCPU-030: vCPU %u stopped with its timer armed", fz.caller);
	}
}

struct hcabi_ref_trace_event fz_last_direct;

void fz_on_trace(void *arg, const struct hcabi_ref_trace_event *ev)
{
	const struct callctx *c;
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
	check_values(c, ev);
	apply_shadow(c, ev);
	check_segment(c, ev, completed);
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
