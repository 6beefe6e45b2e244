/* SPDX-License-Identifier: MIT */
/*
 * fz_call.c - one call through hcabi_ref_dispatch and the checks that need
 * the whole call: the return against the trace, the counters, BATCH's
 * table in guest memory, the core's vCPU and steal state against the
 * shadow model, and the caller's steal-time record.
 */

#include <string.h>

#include "fz_model.h"
#include "hcabi_ref_internal.h"

/* The table as the core will read it, if it will run entries. */
static void snapshot_batch(void)
{
	const struct fz_fn *f = fz_present_fn(fz.direct.fid);
	uint64_t gpa = fz.direct.args[0], count = fz.direct.args[1];
	const size_t esz = sizeof(struct hcabi_batch_entry);

	fz.batch = false;
	fz.batch_count = 0;
	if (!f || f->id != HCABI_FID_BATCH_EXECUTE || fz_has_reserved_bits(f, fz.direct.args))
		return;
	if (count == 0 || count > HCABI_BATCH_MAX_ENTRIES || gpa % 8 != 0 ||
	    !fz_ram_has(gpa, count * esz))
		return;
	fz.batch = true;
	fz.batch_gpa = gpa;
	fz.batch_count = count;
	fz_peek(gpa, fz.table, (size_t)(count * esz));
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *e = fz.table + i * esz;
		fz.entries[i].fid = fz_le(e, 8);
		for (unsigned a = 0; a < 6; a++)
			fz.entries[i].args[a] = fz_le(e + 8 + 8 * a, 8);
	}
}

/* BATCH-002/003 in guest memory: executed entries hold their status and
 * value, later ones are untouched. */
static void check_batch_memory(uint64_t done)
{
	const size_t esz = sizeof(struct hcabi_batch_entry);
	if (fz.batch_foreign_write || fz.call_failed ||
	    (fz.steal_on[fz.caller] &&
	     fz_overlaps(fz.steal_gpa[fz.caller], 64, fz.batch_gpa, fz.batch_count * esz)))
		return;
	for (uint64_t i = 0; i < fz.batch_count; i++) {
		uint8_t e[sizeof(struct hcabi_batch_entry)];
		fz_peek(fz.batch_gpa + i * esz, e, esz);
		if (i < done) {
			CHECK(memcmp(e, fz.table + i * esz, 56) == 0,
			      "BATCH-002: entry %llu's call fz_fields changed", (unsigned long long)i);
			CHECK((int64_t)fz_le(e + 56, 8) == fz.entry_status[i] &&
				  fz_le(e + 64, 8) == fz.entry_value[i],
			      "BATCH-002: entry %llu holds status %lld value 0x%llx, the call "
			      "returned %lld 0x%llx",
			      (unsigned long long)i, (long long)fz_le(e + 56, 8),
			      (unsigned long long)fz_le(e + 64, 8), (long long)fz.entry_status[i],
			      (unsigned long long)fz.entry_value[i]);
		} else {
			CHECK(memcmp(e, fz.table + i * esz, esz) == 0,
			      "BATCH-003: entry %llu (not executed) was modified",
			      (unsigned long long)i);
		}
	}
}

static void check_core_state(void)
{
	struct hcabi_ref *ref = fz.ref;
	for (uint32_t i = 0; i < fz.nvcpus; i++) {
		const struct hcabi__core_vcpu *c = &ref->vcpus[i];
		CHECK(!c->busy, "vCPU %u left in a START/STOP transition", i);
		CHECK(c->state != HCABI__CORE_BLOCKED, "vCPU %u left BLOCKED", i);
		CHECK((c->state != HCABI__CORE_STOPPED) == fz.running[i],
		      "vCPU %u: the core says %s, the platform %s", i,
		      c->state == HCABI__CORE_STOPPED ? "stopped" : "running",
		      fz.running[i] ? "running" : "stopped");
		CHECK(c->steal_on == fz.steal_on[i] &&
			  (!c->steal_on || c->steal_gpa == fz.steal_gpa[i]),
		      "vCPU %u: steal record registered %d at 0x%llx, expected %d at 0x%llx", i,
		      c->steal_on, (unsigned long long)c->steal_gpa, fz.steal_on[i],
		      (unsigned long long)fz.steal_gpa[i]);
		CHECK(c->steal_seq % 2 == 0, "vCPU %u: steal sequence %u is odd", i, c->steal_seq);
	}
}

/* STEAL-002/003/004, GEN-003: the caller's record after its call returned. */
static void check_steal_record(void)
{
	uint8_t r[64];
	uint32_t v = fz.caller;
	if (!fz.steal_on[v] || fz.call_failed)
		return;
	fz_peek(fz.steal_gpa[v], r, 64);
	CHECK(fz_le(r, 4) % 2 == 0 && fz_le(r, 4) != 0, "STEAL-003: sequence %u after the call",
	      (unsigned)fz_le(r, 4));
	CHECK(fz_le(r + 4, 4) == 0, "GEN-003: steal flags 0x%x", (unsigned)fz_le(r + 4, 4));
	CHECK(fz_le(r + 8, 8) == fz.steal_expect[v], "STEAL-004: steal_ns %llu, expected %llu",
	      (unsigned long long)fz_le(r + 8, 8), (unsigned long long)fz.steal_expect[v]);
	for (unsigned i = 16; i < 64; i++)
		CHECK(r[i] == 0, "GEN-003: steal reserved byte %u is 0x%02x", i, r[i]);
}

void fz_call(uint32_t vcpu, uint8_t cpl, uint64_t fid, const uint64_t args[6])
{
	struct hcabi_ref_call call;
	struct hcabi_ref_ret ret;
	struct hcabi_ref_stats before, after;
	const struct fz_fn *f;

	CHECK(!fz.ended, "harness: a call after the VM ended");
	fz.caller = vcpu;
	fz.direct.fid = fid;
	memcpy(fz.direct.args, args, sizeof(fz.direct.args));
	fz.call_failed = fz.seg_failed = false;
	fz.ncallbacks = 0;
	fz.ntrace_direct = fz.ntrace_batch = 0;
	fz.nseg = 0;
	fz.cancel_was_armed = false;
	fz.cread_n = 0;
	fz.block_deadline = 0;
	fz.batch_foreign_write = false;
	memset(&fz_last_direct, 0, sizeof(fz_last_direct));
	if (cpl == 0 && vcpu < fz.nvcpus)
		snapshot_batch();
	else
		fz.batch = false;

	memset(&call, 0, sizeof(call));
	call.function_id = fid;
	memcpy(call.args, args, sizeof(call.args));
	call.cpl = cpl;
	memset(&ret, 0xA5, sizeof(ret)); /* the core must write it whole */
	hcabi_ref_get_stats(fz.ref, &before);
	fz.in_dispatch = true;
	hcabi_ref_dispatch(fz.ref, vcpu, &call, &ret);
	fz.in_dispatch = false;
	hcabi_ref_get_stats(fz.ref, &after);
	fz.ncalls++;
	fz.fail_kind = FK_NONE;

	CHECK(after.calls == before.calls + 1, "stats: calls %llu -> %llu",
	      (unsigned long long)before.calls, (unsigned long long)after.calls);
	CHECK(ret.clobber_gprs == 0, "clobber_gprs 0x%x with no fault injected", ret.clobber_gprs);

	if (cpl != 0) {
		/* X86-009: nothing at all happens; #UD. */
		CHECK(ret.action == HCABI_REF_ACTION_RAISE_UD && ret.status == 0 &&
			  ret.value == 0 && ret.action_arg == 0,
		      "X86-009: CPL %u: action %d status %lld", cpl, (int)ret.action,
		      (long long)ret.status);
		CHECK(fz.ncallbacks == 0 && fz.ntrace_direct == 0,
		      "X86-009: CPL %u: %u platform callbacks", cpl, fz.ncallbacks);
		CHECK(after.internal_bugs == before.internal_bugs &&
			  after.host_errors == before.host_errors,
		      "X86-009: counters changed");
		check_core_state();
		return;
	}
	if (vcpu >= fz.nvcpus) {
		/* The VMM's bug: INVALID_PARAM, counted, nothing else. */
		CHECK(ret.action == HCABI_REF_ACTION_RESUME &&
			  ret.status == HCABI_ERR_INVALID_PARAM && ret.value == 0 &&
			  ret.action_arg == 0,
		      "vCPU %u >= count: status %lld", vcpu, (long long)ret.status);
		CHECK(after.internal_bugs == before.internal_bugs + 1,
		      "vCPU %u >= count: not counted", vcpu);
		CHECK(fz.ncallbacks == 0 && fz.ntrace_direct == 0, "vCPU %u >= count: callbacks",
		      vcpu);
		check_core_state();
		return;
	}

	CHECK(fz.ntrace_direct == 1, "the direct call produced %u trace events", fz.ntrace_direct);
	CHECK(fz.nseg == 0, "%u platform callbacks after the call completed", fz.nseg);
	CHECK(ret.status == fz_last_direct.status && ret.value == fz_last_direct.value &&
		  ret.action == fz_last_direct.action,
	      "ret (%lld, 0x%llx, %d) differs from the traced call (%lld, 0x%llx, %d)",
	      (long long)ret.status, (unsigned long long)ret.value, (int)ret.action,
	      (long long)fz_last_direct.status, (unsigned long long)fz_last_direct.value,
	      (int)fz_last_direct.action);
	CHECK(ret.action != HCABI_REF_ACTION_RAISE_UD, "RAISE_UD at CPL 0");
	f = fz_present_fn(fid);
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
	if (!fz.call_failed) {
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
		if (ret.status == HCABI_SUCCESS && fz.batch) {
			uint64_t done = ret.value;
			CHECK(done == fz.ntrace_batch && done >= 1 && done <= fz.batch_count,
			      "BATCH-002: returned %llu, %u entries ran of %llu",
			      (unsigned long long)done, fz.ntrace_batch,
			      (unsigned long long)fz.batch_count);
			for (uint64_t i = 0; i + 1 < done; i++)
				CHECK(fz.entry_status[i] == HCABI_SUCCESS,
				      "BATCH-003: entry %llu failed (%lld) but later ones ran",
				      (unsigned long long)i, (long long)fz.entry_status[i]);
			if (done < fz.batch_count)
				CHECK(fz.entry_status[done - 1] != HCABI_SUCCESS,
				      "BATCH-003: stopped after entry %llu, which succeeded",
				      (unsigned long long)(done - 1));
			check_batch_memory(done);
		} else {
			CHECK(fz.ntrace_batch == 0, "BATCH-001: %u entries ran, status %lld",
			      fz.ntrace_batch, (long long)ret.status);
		}
	}

	check_core_state();
	check_steal_record();

	switch (ret.action) {
	case HCABI_REF_ACTION_SHUTDOWN:
	case HCABI_REF_ACTION_CRASH:
		fz.ended = true;
		break;
	case HCABI_REF_ACTION_REBOOT:
		fz_reset_vm();
		break;
	default:
		break;
	}
}
