/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - the hypercall dispatcher: the binding's rules, the version
 * pin, reserved bits, the status table of each function, then the
 * extension's handler. BATCH.EXECUTE runs its entries through the same
 * path (hcabi__core_call), so an entry behaves exactly as a direct call.
 *
 * STATUS-004: every handler validates all of its arguments (and reads guest
 * memory into host copies) before its first effect, so a call that returns
 * an error has had no effect. The exceptions are host failures after the
 * effect began (counted in stats) and the partial effects the spec defines
 * (BATCH.EXECUTE's executed entries).
 */
#include <string.h>

#include "hcabi_ref_internal.h"

static bool status_permitted(uint32_t statuses, int64_t status)
{
	if (status > 0 || status <= -32)
		return false;
	return (statuses >> (unsigned)(-status)) & 1u;
}

/* The status that replaces one a function does not permit. STATUS-001 is
 * binding, so it must be one the function permits: FAILED where the status
 * table lists it, else INVALID_PARAM, which every function may return
 * (the registry's common status), else the first status listed. */
int64_t hcabi__core_fallback_status_mask(uint32_t statuses)
{
	if (status_permitted(statuses, HCABI_ERR_FAILED))
		return HCABI_ERR_FAILED;
	if (status_permitted(statuses, HCABI_ERR_INVALID_PARAM))
		return HCABI_ERR_INVALID_PARAM;
	for (int n = 1; n < 32; n++)
		if ((statuses >> n) & 1u)
			return -n;
	return HCABI_ERR_INVALID_PARAM;
}

/* After the handler: what it produced must be what its function may produce. */
static void enforce(struct hcabi_ref *ref, const struct hcabi__core_fn *fn, bool in_batch,
		    struct hcabi__core_res *res)
{
	/* the statuses of the exposed version (STATUS-005: FAILED for a host
	 * failure only from 1.2; before, INVALID_PARAM) */
	uint32_t statuses = ref->fn_statuses[fn - hcabi__core_fns];

	if (res->action != HCABI_REF_ACTION_RESUME) {
		/* Only a function that does not return on success ends the call
		 * with an action, only on success, and never inside a batch. */
		if (!in_batch && (fn->flags & HCABI_FN_NO_RETURN) && res->status == HCABI_SUCCESS &&
		    res->action > HCABI_REF_ACTION_RAISE_UD &&
		    res->action <= HCABI_REF_ACTION_CRASH) {
			res->value = 0;
			return;
		}
		hcabi__core_count_bug(ref);
		res->action = HCABI_REF_ACTION_RESUME;
		res->action_arg = 0;
		res->status = hcabi__core_fallback_status_mask(statuses);
		return;
	}
	res->action_arg = 0;
	/* STATUS-001: only SUCCESS or a status of the function's table (the
	 * mask holds the common statuses too). SUCCESS is not in the table of a
	 * function that does not return on success. */
	if (!status_permitted(statuses, res->status)) {
		hcabi__core_count_bug(ref);
		res->status = hcabi__core_fallback_status_mask(statuses);
	}
}

int hcabi__core_call(struct hcabi_ref *ref, uint32_t vcpu, uint64_t function_id,
		     const uint64_t args_in[HCABI__CORE_NARGS], bool in_batch,
		     struct hcabi__core_res *res)
{
	uint64_t args[HCABI__CORE_NARGS] = {0};
	const struct hcabi__core_fn *fn;
	struct hcabi__core_req req;
	/* The one lookup of the call: RAX[31:0]'s index, which the trace
	 * reports (finish) whatever RAX[63:32] holds. */
	int idx = hcabi__core_fn_lookup((uint32_t)function_id);

	if (idx >= 0 && !ref->fn_present[idx])
		idx = -1;
	memset(res, 0, sizeof(*res));
	res->action = HCABI_REF_ACTION_RESUME;

	/* X86-002: the function ID is RAX[31:0]; RAX[63:32] must be zero, and
	 * nothing else happens when it is not (BATCH: the same for an entry). */
	if (function_id >> 32) {
		res->status = HCABI_ERR_INVALID_PARAM;
		goto out;
	}
	/* STATUS-002 (no such extension at the exposed version, any EID range),
	 * STATUS-003 and VER-001 (no such function at the exposed version). */
	if (idx < 0) {
		res->status = HCABI_ERR_NOT_SUPPORTED;
		goto out;
	}
	fn = &hcabi__core_fns[idx];
	/* BATCH-004: functions that do not return or that wait are DENIED in a
	 * batch, with no effect; BATCH-006 (since 1.2): before their reserved
	 * bits are checked, where the test-only fault "other" checks those
	 * first, as 1.1 allowed. */
	if (in_batch && (fn->flags & HCABI_FN_NO_BATCH) &&
	    !hcabi__core_fault_has(ref, HCABI_FID_BATCH_EXECUTE, HCABI_REF_FAULT_OTHER_READING)) {
		res->status = HCABI_ERR_DENIED;
		goto out;
	}
	/* X86-003: only the function's own argument registers are read. */
	for (unsigned i = 0; i < fn->nargs; i++)
		args[i] = args_in[i];
	/* GEN-002, VER-002: reserved bits of the exposed version, from
	 * HCABI_FOREACH_ARG_FIELD. This is where BASE-030, BASE-040, CONSOLE-010,
	 * TIME-020, TIME-040 and IPI-001 (bits 63:8 of the vector; 63:9 from
	 * 1.1, whose bit 8 is IPI.SEND's all_but_self) and SYSTEM-001 reject
	 * the bits above their fields. */
	for (unsigned i = 0; i < fn->nargs; i++) {
		if (((ref->arg_checked[idx] >> i) & 1u) && (args[i] & ~ref->arg_valid[idx][i])) {
			res->status = HCABI_ERR_INVALID_PARAM;
			goto out;
		}
	}
	if (in_batch && (fn->flags & HCABI_FN_NO_BATCH)) {
		res->status = HCABI_ERR_DENIED; /* BATCH-004 under the fault "other" */
		goto out;
	}
	req.ref = ref;
	req.vcpu = vcpu;
	req.fid = (uint32_t)function_id;
	req.in_batch = in_batch;
	req.args = args;
	res->status = ref->ext[fn->ext]->handler(&req, res);
	enforce(ref, fn, in_batch, res);
out:
	/* X86-005: RDX is zero whenever the status is not SUCCESS; and a call
	 * that does not return passes nothing back. */
	if (res->status != HCABI_SUCCESS || res->action != HCABI_REF_ACTION_RESUME)
		res->value = 0;
	return idx;
}

/* After hcabi__core_call (and, for a direct call, the steal update): apply
 * test-only faults (last; *clobber gets the GPRs of a CLOBBER fault, direct
 * calls only), then report the call to the trace hook; fn is what
 * hcabi__core_call returned. */
static void finish_slow(struct hcabi_ref *ref, uint32_t vcpu, uint64_t function_id, int fn,
			bool in_batch, struct hcabi__core_res *res, uint32_t *clobber)
{
	bool faulted = false;

	/* Test-only fault injection, after every other step. */
	if (res->action == HCABI_REF_ACTION_RESUME &&
	    atomic_load_explicit(&ref->nfaults, memory_order_acquire) != 0)
		faulted =
		    hcabi__core_fault_apply(ref, (uint32_t)function_id, in_batch, res, clobber);
	if (ref->trace) {
		struct hcabi_ref_trace_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.vcpu = vcpu;
		ev.function_id = function_id;
		ev.status = res->status;
		ev.value = res->value;
		ev.action = res->action;
		ev.in_batch = in_batch;
		ev.known = fn >= 0;
		ev.faulted = faulted;
		ref->trace(ref->trace_arg, &ev);
	}
}

/* Without a fault or a trace hook there is nothing to do, and no call is
 * made: under nested TCG a call and its return cost tens of ns, which a
 * BATCH entry pays each time. */
static inline void finish(struct hcabi_ref *ref, uint32_t vcpu, uint64_t function_id, int fn,
			  bool in_batch, struct hcabi__core_res *res, uint32_t *clobber)
{
	if (ref->trace || atomic_load_explicit(&ref->nfaults, memory_order_acquire) != 0)
		finish_slow(ref, vcpu, function_id, fn, in_batch, res, clobber);
}

void hcabi__core_call_entry(struct hcabi_ref *ref, uint32_t vcpu, const uint64_t entry[1 + HCABI__CORE_NARGS],
			    struct hcabi__core_res *res)
{
	int fn = hcabi__core_call(ref, vcpu, entry[0], entry + 1, true, res);
	finish(ref, vcpu, entry[0], fn, true, res, NULL);
}

void hcabi_ref_dispatch(struct hcabi_ref *ref, uint32_t vcpu, const struct hcabi_ref_call *call,
			struct hcabi_ref_ret *ret)
{
	struct hcabi__core_res res;
	uint32_t clobber = 0;
	int fn;

	memset(ret, 0, sizeof(*ret));
	ret->action = HCABI_REF_ACTION_RESUME;
	atomic_fetch_add_explicit(&ref->n_calls, 1, memory_order_relaxed);

	/* X86-009: at CPL > 0 nothing happens; the VMM injects #UD with every
	 * register as it was before the instruction. */
	if (call->cpl != 0) {
		ret->action = HCABI_REF_ACTION_RAISE_UD;
		return;
	}
	if (vcpu >= ref->nvcpus) {
		/* The VMM named a vCPU that does not exist: its bug, not the
		 * guest's; the guest still gets a permitted status. */
		hcabi__core_count_bug(ref);
		ret->status = HCABI_ERR_INVALID_PARAM;
		return;
	}
	fn = hcabi__core_call(ref, vcpu, call->function_id, call->args, false, &res);
	/* STEAL-003: the caller's record is updated each time a call returns. */
	hcabi__core_steal_update(ref, vcpu);
	finish(ref, vcpu, call->function_id, fn, false, &res, &clobber);

	ret->status = res.status;
	ret->value = res.value;
	ret->action = res.action;
	ret->action_arg = res.action_arg;
	ret->clobber_gprs = clobber;
}
