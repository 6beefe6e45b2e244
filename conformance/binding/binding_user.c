/* SPDX-License-Identifier: MIT */
/*
 * User-mode calls without effect, shared by the arm64 and riscv64
 * bindings (binding_user.h).
 */
#include "binding_user.h"

static uint8_t victim[4096] __attribute__((aligned(4096)));

static void fill_victim(void)
{
	for (unsigned i = 0; i < sizeof(victim); i++)
		victim[i] = (uint8_t)(0xA5 ^ (i * 31));
}

static bool victim_intact(void)
{
	for (unsigned i = 0; i < sizeof(victim); i++)
		if (victim[i] != (uint8_t)(0xA5 ^ (i * 31)))
			return false;
	return true;
}

bool binding_user_calls_no_effect(const struct binding_user *U)
{
	bool any = false;

	if (hcabi_has_ext(HCABI_EID_MEM)) {
		uint64_t gpa = (uint64_t)(uintptr_t)victim;
		any = true;
		fill_victim();
		U->call(HCABI_FID_MEM_RELEASE, gpa, 1, "MEM.RELEASE(a page, 1)");
		check_true(victim_intact(), U->req,
			   "the page MEM.RELEASE named %s still holds its pattern (released "
			   "pages read as zero)",
			   U->where);
	}
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		struct hcabi_ret now = hcabi_time_get_monotonic();
		struct hcabi_ret c;
		char what[48];
		any = true;
		hcabi_time_cancel_timer();
		hcabi_snprintf(what, sizeof(what), "TIME.SET_TIMER(in 60 s, vector %llu)",
			       (unsigned long long)U->vector_min);
		U->call(HCABI_FID_TIME_SET_TIMER, now.value + HCABI_MS(60000), U->vector_min, what);
		c = hcabi_time_cancel_timer();
		check_true(c.status == HCABI_SUCCESS && c.value == 0, U->req,
			   "CANCEL_TIMER after SET_TIMER %s: status %lld value %llu (0: nothing "
			   "was armed)",
			   U->where, (long long)c.status, (unsigned long long)c.value);
	}
	return any;
}
