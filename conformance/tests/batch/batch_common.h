/* SPDX-License-Identifier: MIT */
/*
 * batch_common.h - helpers of the BATCH tests: building entries, poisoning
 * the fields the hypervisor writes, calling an entry directly, and a
 * remembered VCPU.KICK as a probe for "was this entry executed".
 */
#ifndef BATCH_COMMON_H
#define BATCH_COMMON_H

#include "hcabi_test.h"
#include "hcabi_calls.h"
#include "hcabi_ram.h"

#define BATCH_POISON_STATUS ((int64_t)0x5A5A5A5A5A5A5A5Aull)
#define BATCH_POISON_VALUE 0xA5A5A5A5A5A5A5A5ull
#define BATCH_JUNK 0x6A756E6B00000000ull /* unused argument slots: "junk" + slot */
#define BATCH_UNKNOWN_FN 0x7FFF0000u	 /* an EID no 1.x version assigns */

/* An entry calling function_id(a0, a1, a2) with junk in the other slots
 * (the hypervisor must ignore arguments past the function's count) and
 * poisoned results. */
static inline void batch_set(volatile struct hcabi_batch_entry *e, uint64_t function_id,
			     uint64_t a0, uint64_t a1, uint64_t a2, unsigned argc)
{
	uint64_t a[3] = {a0, a1, a2};
	e->function_id = function_id;
	for (unsigned i = 0; i < 6; i++)
		e->args[i] = i < argc && i < 3 ? a[i] : BATCH_JUNK + i;
	e->status = BATCH_POISON_STATUS;
	e->value = BATCH_POISON_VALUE;
}

static inline bool batch_untouched(const volatile struct hcabi_batch_entry *e)
{
	return e->status == BATCH_POISON_STATUS && e->value == BATCH_POISON_VALUE;
}

/* The same call, made directly (all 64 bits of function_id in RAX). */
static inline struct hcabi_ret batch_direct(const volatile struct hcabi_batch_entry *e)
{
	uint64_t args[6];
	for (unsigned i = 0; i < 6; i++)
		args[i] = e->args[i];
	return hcabi_raw_call(e->function_id, args, false);
}

static inline struct hcabi_ret batch_result(const volatile struct hcabi_batch_entry *e)
{
	struct hcabi_ret r;
	r.status = e->status;
	r.value = e->value;
	return r;
}

/* Whether a kick is remembered for this vCPU (consumes it). Without VCPU
 * there is no kick: false. */
static inline bool batch_kick_pending(void)
{
	if (!hcabi_has_ext(HCABI_EID_VCPU))
		return false;
	struct hcabi_ret r = hcabi_vcpu_block(0);
	return r.status == HCABI_SUCCESS && r.value == HCABI_BLOCK_WOKEN;
}

/* An entry with a visible effect: VCPU.KICK of the caller (remembered, see
 * batch_kick_pending), or GET_SPEC_VERSION without VCPU. */
static inline void batch_set_kick_self(volatile struct hcabi_batch_entry *e)
{
	if (hcabi_has_ext(HCABI_EID_VCPU))
		batch_set(e, HCABI_FID_VCPU_KICK, hcabi_cpu_index(), 0, 0, 1);
	else
		batch_set(e, HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
}

#endif /* BATCH_COMMON_H */
