/* SPDX-License-Identifier: MIT */
/*
 * ext_vcpu.c - VCPU: identity, START/STOP, GET_STATUS, YIELD, BLOCK/KICK,
 * and the vCPU states the other extensions consult.
 *
 * States (ref->lock): STOPPED, RUNNING, BLOCKED. START and STOP run a
 * platform callback between deciding and completing their change; the
 * vCPU is `busy` meanwhile, and every other thread that needs its state
 * waits for the end of the transition (ref->cv), so each START and STOP is
 * atomic as the guest sees it. No callback is ever called with the lock
 * held, and BLOCK waits in the platform with no lock held.
 */
#include <string.h>

#include "hcabi_ref_internal.h"

enum hcabi__core_vstate hcabi__core_vstate_locked(struct hcabi_ref *ref, uint32_t vcpu)
{
	while (ref->vcpus[vcpu].busy)
		pthread_cond_wait(&ref->cv, &ref->lock);
	return ref->vcpus[vcpu].state;
}

static enum hcabi__core_vstate vstate(struct hcabi_ref *ref, uint32_t vcpu)
{
	enum hcabi__core_vstate s;
	pthread_mutex_lock(&ref->lock);
	s = hcabi__core_vstate_locked(ref, vcpu);
	pthread_mutex_unlock(&ref->lock);
	return s;
}

/* The caller changes its own state (BLOCK). A START of the caller may still
 * be completing on another thread (the platform can run the vCPU before its
 * vcpu_start() returns): let it end first, or it would overwrite ours. */
static void set_own_vstate(struct hcabi_ref *ref, uint32_t self, enum hcabi__core_vstate s)
{
	pthread_mutex_lock(&ref->lock);
	(void)hcabi__core_vstate_locked(ref, self);
	ref->vcpus[self].state = s;
	pthread_mutex_unlock(&ref->lock);
}

static void end_transition(struct hcabi_ref *ref, uint32_t vcpu, enum hcabi__core_vstate s)
{
	pthread_mutex_lock(&ref->lock);
	ref->vcpus[vcpu].state = s;
	ref->vcpus[vcpu].busy = false;
	pthread_cond_broadcast(&ref->cv);
	pthread_mutex_unlock(&ref->lock);
}

bool hcabi__core_targets_valid(const struct hcabi_ref *ref, uint64_t mask, uint64_t base)
{
	unsigned top;

	if (mask == 0)
		return true;
	/* Every set bit i names base + i; the highest one decides. */
	top = 63u - (unsigned)__builtin_clzll(mask);
	if (base > UINT64_MAX - top)
		return false; /* base + i overflows */
	return base + top < ref->nvcpus;
}

uint64_t hcabi__core_targets_running(struct hcabi_ref *ref, uint64_t mask, uint64_t base)
{
	uint64_t running = 0;

	pthread_mutex_lock(&ref->lock);
	for (unsigned i = 0; i < 64; i++) {
		if (!((mask >> i) & 1u))
			continue;
		if (hcabi__core_vstate_locked(ref, (uint32_t)(base + i)) != HCABI__CORE_STOPPED)
			running |= UINT64_C(1) << i;
	}
	pthread_mutex_unlock(&ref->lock);
	return running;
}

/* 48-bit canonical: bits 63:47 all equal (4-level paging, which the boot
 * state's PML4 implies). */
static bool canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top == 0 || top == 0x1FFFFu;
}

/* VCPU-022: the boot state's own rules (x86-64). On arm64 and riscv64 the
 * only rule is ARM64-025 / RV64-022, checked while decoding: the struct
 * carries no more. */
static bool boot_state_valid(struct hcabi_ref *ref, const struct hcabi_vcpu_boot_state *bs)
{
	if (ref->arch == HCABI_REF_ARCH_ARM64 || ref->arch == HCABI_REF_ARCH_RISCV64)
		return true;
	if (bs->flags != 0 || bs->reserved0 != 0) /* GEN-002 reserved fields */
		return false;
	if (!canonical(bs->rip))
		return false;
	if ((bs->cr3 & 0xFFFu) != 0 || !hcabi__core_ram_contains(ref, bs->cr3, HCABI_PAGE_SIZE))
		return false;
	if ((bs->cs & 7u) != 0 || (bs->ds & 7u) != 0) /* GDT, RPL 0 */
		return false;
	if (bs->cs == 0 || bs->ds == 0) /* the null selector */
		return false;
	return true;
}

/* The arm64 and riscv64 structs share one layout: entry, arg, six reserved
 * words; one decoder serves both. */
_Static_assert(offsetof(struct hcabi_vcpu_boot_state_arm64, entry) ==
			   offsetof(struct hcabi_vcpu_boot_state_riscv64, entry) &&
		       offsetof(struct hcabi_vcpu_boot_state_arm64, arg) ==
			   offsetof(struct hcabi_vcpu_boot_state_riscv64, arg) &&
		       offsetof(struct hcabi_vcpu_boot_state_arm64, reserved) ==
			   offsetof(struct hcabi_vcpu_boot_state_riscv64, reserved) &&
		       sizeof(struct hcabi_vcpu_boot_state_arm64) ==
			   sizeof(struct hcabi_vcpu_boot_state_riscv64),
	       "the arm64 and riscv64 boot states have one layout");

/* ARM64-024 / RV64-021: on arm64 the 64 bytes are a struct
 * hcabi_vcpu_boot_state_arm64, on riscv64 a struct
 * hcabi_vcpu_boot_state_riscv64, handed to the platform as entry in rip and
 * arg in arg (hcabi_ref.h, vcpu_start). false: a reserved word is not zero
 * (ARM64-025, RV64-022). */
static bool decode_boot_state_entry_arg(const uint8_t raw[64], struct hcabi_vcpu_boot_state *bs)
{
	bool reserved_zero = true;

	memset(bs, 0, sizeof(*bs));
	bs->rip = hcabi__core_get_le(raw + offsetof(struct hcabi_vcpu_boot_state_arm64, entry), 8);
	bs->arg = hcabi__core_get_le(raw + offsetof(struct hcabi_vcpu_boot_state_arm64, arg), 8);
	for (size_t off = offsetof(struct hcabi_vcpu_boot_state_arm64, reserved);
	     off < sizeof(struct hcabi_vcpu_boot_state_arm64); off += 8)
		if (hcabi__core_get_le(raw + off, 8) != 0)
			reserved_zero = false;
	return reserved_zero;
}

/* The boot state of ref->arch's binding; false: invalid by the struct's
 * own reserved fields (ARM64-025, RV64-022; x86-64's are checked by
 * VCPU-022). */
static bool decode_boot_state(const struct hcabi_ref *ref, const uint8_t raw[64],
			      struct hcabi_vcpu_boot_state *bs)
{
	if (ref->arch == HCABI_REF_ARCH_ARM64 || ref->arch == HCABI_REF_ARCH_RISCV64)
		return decode_boot_state_entry_arg(raw, bs);
	memset(bs, 0, sizeof(*bs));
	bs->rip = hcabi__core_get_le(raw + 0, 8);
	bs->rsp = hcabi__core_get_le(raw + 8, 8);
	bs->cr3 = hcabi__core_get_le(raw + 16, 8);
	bs->arg = hcabi__core_get_le(raw + 24, 8);
	bs->gdtr_base = hcabi__core_get_le(raw + 32, 8);
	bs->idtr_base = hcabi__core_get_le(raw + 40, 8);
	bs->gdtr_limit = (uint16_t)hcabi__core_get_le(raw + 48, 2);
	bs->idtr_limit = (uint16_t)hcabi__core_get_le(raw + 50, 2);
	bs->cs = (uint16_t)hcabi__core_get_le(raw + 52, 2);
	bs->ds = (uint16_t)hcabi__core_get_le(raw + 54, 2);
	bs->flags = (uint32_t)hcabi__core_get_le(raw + 56, 4);
	bs->reserved0 = (uint32_t)hcabi__core_get_le(raw + 60, 4);
	return true;
}

static int64_t vcpu_start(struct hcabi_ref *ref, uint64_t target, uint64_t gpa)
{
	struct hcabi_vcpu_boot_state bs;
	uint8_t raw[sizeof(bs)];
	uint64_t delay;
	int64_t st;
	int r;

	/* VCPU-020 */
	if (target >= ref->nvcpus)
		return HCABI_ERR_INVALID_PARAM;
	/* VCPU-026 (since 1.2): the arguments before the target's state
	 * (VCPU-023, below); the test-only fault "other" checks the state
	 * first, as 1.1 allowed. */
	if (hcabi__core_fault_has(ref, HCABI_FID_VCPU_START, HCABI_REF_FAULT_OTHER_READING) &&
	    vstate(ref, (uint32_t)target) != HCABI__CORE_STOPPED)
		return HCABI_ERR_ALREADY_STARTED;
	/* VCPU-021, GEN-001: 8-byte aligned, 64 bytes wholly in RAM. */
	st = hcabi__core_check_gpa(ref, gpa, 1, sizeof(raw), 8);
	if (st != HCABI_SUCCESS)
		return st;
	/* VCPU-025: read once, into a host copy; the guest may change its
	 * memory from now on without effect. */
	if (ref->ops->mem_read(ref->ctx, gpa, raw, sizeof(raw)) != HCABI_REF_POK) {
		hcabi__core_count_host_error(ref);
		return HCABI_ERR_INVALID_ADDRESS;
	}
	/* VCPU-022; ARM64-025 on arm64, RV64-022 on riscv64 */
	if (!decode_boot_state(ref, raw, &bs) || !boot_state_valid(ref, &bs))
		return HCABI_ERR_INVALID_PARAM;
	/* Test-only fault "reread": read the boot state again after the
	 * check (a double fetch) and start from that copy (fault.c). */
	if (hcabi__core_fault_behaviour(ref, HCABI_FID_VCPU_START, HCABI_REF_FAULT_REREAD,
					&delay)) {
		hcabi__core_fault_delay(delay);
		if (ref->ops->mem_read(ref->ctx, gpa, raw, sizeof(raw)) == HCABI_REF_POK)
			(void)decode_boot_state(ref, raw, &bs);
	}

	pthread_mutex_lock(&ref->lock);
	/* VCPU-023: the target must be stopped (a transition in progress
	 * ends first). */
	if (hcabi__core_vstate_locked(ref, (uint32_t)target) != HCABI__CORE_STOPPED) {
		pthread_mutex_unlock(&ref->lock);
		return HCABI_ERR_ALREADY_STARTED;
	}
	ref->vcpus[target].state = HCABI__CORE_RUNNING;
	ref->vcpus[target].busy = true;
	pthread_mutex_unlock(&ref->lock);

	/* VCPU-024, VCPU-032: the platform starts it from the copy. */
	r = ref->ops->vcpu_start(ref->ctx, (uint32_t)target, &bs);
	end_transition(ref, (uint32_t)target,
		       r == HCABI_REF_POK ? HCABI__CORE_RUNNING : HCABI__CORE_STOPPED);
	if (r != HCABI_REF_POK) {
		hcabi__core_count_host_error(ref);
		return HCABI__CORE_INTERNAL_FAILURE;
	}
	return HCABI_SUCCESS;
}

static bool any_busy_locked(const struct hcabi_ref *ref)
{
	for (uint32_t i = 0; i < ref->nvcpus; i++)
		if (ref->vcpus[i].busy)
			return true;
	return false;
}

static int64_t vcpu_stop(struct hcabi_ref *ref, uint32_t self, struct hcabi__core_res *res)
{
	bool others = false;
	bool was_pending, racy;
	uint64_t delay;

	/* Test-only fault "racy" (fault.c): announce the STOP, leave a window
	 * with no lock held, then take the others' announcements for done
	 * STOPs, the check-then-act bug VCPU-030/031 rule out. */
	racy = hcabi__core_fault_behaviour(ref, HCABI_FID_VCPU_STOP, HCABI_REF_FAULT_RACY, &delay);
	if (racy) {
		pthread_mutex_lock(&ref->lock);
		ref->vcpus[self].fault_stopping = true;
		pthread_mutex_unlock(&ref->lock);
		hcabi__core_fault_delay(delay);
	}
	pthread_mutex_lock(&ref->lock);
	/* Let every transition end, so the count below is exact; the caller's
	 * own too: the START that woke it may still be completing. */
	while (any_busy_locked(ref))
		pthread_cond_wait(&ref->cv, &ref->lock);
	for (uint32_t i = 0; i < ref->nvcpus; i++)
		if (i != self && ref->vcpus[i].state != HCABI__CORE_STOPPED &&
		    !(racy && ref->vcpus[i].fault_stopping))
			others = true;
	/* VCPU-031: the last vCPU that is not stopped cannot stop. */
	if (!others) {
		pthread_mutex_unlock(&ref->lock);
		if (racy) { /* the announcement outlives the decision */
			hcabi__core_fault_delay(delay);
			pthread_mutex_lock(&ref->lock);
			ref->vcpus[self].fault_stopping = false;
			pthread_mutex_unlock(&ref->lock);
		}
		return HCABI_ERR_DENIED;
	}
	ref->vcpus[self].fault_stopping = false;
	ref->vcpus[self].state = HCABI__CORE_STOPPED;
	ref->vcpus[self].busy = true;
	pthread_mutex_unlock(&ref->lock);

	/* VCPU-030: its timer does not fire; its steal-time record is
	 * unregistered (the STOP description). */
	if (ref->ops->timer_cancel(ref->ctx, self, &was_pending) != HCABI_REF_POK)
		hcabi__core_count_host_error(ref);
	hcabi__core_steal_unregister(ref, self);
	end_transition(ref, self, HCABI__CORE_STOPPED);

	/* VCPU-030: the VMM parks the vCPU; it executes nothing more until a
	 * START names it. */
	res->action = HCABI_REF_ACTION_STOP_VCPU;
	return HCABI_SUCCESS;
}

static int64_t vcpu_block(struct hcabi_ref *ref, uint32_t self, uint64_t timeout,
			  struct hcabi__core_res *res)
{
	uint64_t now = hcabi__core_now(ref);
	uint64_t deadline;
	bool woken;
	int r;

	/* VCPU-062: relative timeout, saturating; BLOCK_FOREVER: no limit. */
	if (timeout == HCABI_BLOCK_FOREVER || timeout > UINT64_MAX - now)
		deadline = UINT64_MAX;
	else
		deadline = now + timeout;

	/* VCPU-063: BLOCKED while inside. */
	set_own_vstate(ref, self, HCABI__CORE_BLOCKED);
	/* No lock held: the platform waits (VCPU-060; VCPU-061: a remembered
	 * kick ends it at once, even with timeout 0). */
	r = ref->ops->vcpu_block(ref->ctx, self, deadline);
	if (r < 0) {
		/* A failed wait ends as a (harmless) wake-up. */
		hcabi__core_count_host_error(ref);
		woken = true;
	} else if (r > 0) {
		woken = true;
	} else {
		/* VCPU-062: never TIMED_OUT before the deadline. A platform
		 * that returns 0 early woke up for a reason of its own: report
		 * a wake-up, which a guest handles like any other (it checks
		 * for work), rather than wait again and risk losing a kick the
		 * platform consumed. */
		woken = deadline == UINT64_MAX || hcabi__core_now(ref) < deadline;
	}
	set_own_vstate(ref, self, HCABI__CORE_RUNNING);
	res->value = woken ? HCABI_BLOCK_WOKEN : HCABI_BLOCK_TIMED_OUT;
	return HCABI_SUCCESS;
}

static int64_t vcpu_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;
	const uint64_t *a = req->args;

	switch (req->fid) {
	case HCABI_FID_VCPU_GET_ID:
		/* VCPU-001: the index the VMM dispatches for (its APIC ID). */
		res->value = req->vcpu;
		return HCABI_SUCCESS;

	case HCABI_FID_VCPU_GET_COUNT:
		res->value = ref->nvcpus; /* VCPU-010 */
		return HCABI_SUCCESS;

	case HCABI_FID_VCPU_START:
		res->value = 0;
		return vcpu_start(ref, a[0], a[1]);

	case HCABI_FID_VCPU_STOP:
		return vcpu_stop(ref, req->vcpu, res);

	case HCABI_FID_VCPU_GET_STATUS: {
		enum hcabi__core_vstate s;
		/* VCPU-040 */
		if (a[0] >= ref->nvcpus)
			return HCABI_ERR_INVALID_PARAM;
		/* VCPU-041: a vCPU asking about itself sees RUNNING. */
		s = a[0] == req->vcpu ? HCABI__CORE_RUNNING : vstate(ref, (uint32_t)a[0]);
		res->value = s == HCABI__CORE_STOPPED	? HCABI_VCPU_STATUS_STOPPED
			     : s == HCABI__CORE_BLOCKED ? HCABI_VCPU_STATUS_BLOCKED /* VCPU-063 */
							: HCABI_VCPU_STATUS_RUNNING;
		return HCABI_SUCCESS;
	}

	case HCABI_FID_VCPU_YIELD:
		/* VCPU-050 */
		if (a[0] != HCABI_VCPU_ANY && a[0] >= ref->nvcpus)
			return HCABI_ERR_INVALID_PARAM;
		ref->ops->vcpu_yield(ref->ctx, req->vcpu,
				     a[0] == HCABI_VCPU_ANY ? UINT32_MAX : (uint32_t)a[0]);
		res->value = 0;
		return HCABI_SUCCESS;

	case HCABI_FID_VCPU_BLOCK:
		return vcpu_block(ref, req->vcpu, a[0], res);

	case HCABI_FID_VCPU_KICK: {
		int r;
		/* VCPU-070: INVALID_PARAM, then INVALID_STATE for a stopped
		 * target; the caller may name itself. */
		if (a[0] >= ref->nvcpus)
			return HCABI_ERR_INVALID_PARAM;
		if (vstate(ref, (uint32_t)a[0]) == HCABI__CORE_STOPPED)
			return HCABI_ERR_INVALID_STATE;
		/* VCPU-060, VCPU-061: wake it, or the platform remembers. A
		 * target that stopped since is no error: the kick came first. */
		r = ref->ops->vcpu_kick(ref->ctx, (uint32_t)a[0]);
		if (r != HCABI_REF_POK && r != HCABI_REF_PERR_STATE) {
			hcabi__core_count_host_error(ref);
			return HCABI__CORE_INTERNAL_FAILURE;
		}
		res->value = 0;
		return HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_VCPU = {
    .eid = HCABI_EID_VCPU,
    .handler = vcpu_handler,
};
