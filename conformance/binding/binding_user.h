/* SPDX-License-Identifier: MIT */
/*
 * What the arm64 and riscv64 bindings' privilege tests share
 * (ARM64.el0_hvc_undefined, RV64.umode_ecall_is_the_guests): a call made
 * from user mode (an HVC at EL0, an ECALL in U-mode) must have no effect,
 * shown with MEM.RELEASE of a page full of a pattern and TIME.SET_TIMER a
 * minute ahead. How the call is made and its trap checked, the words for
 * where it was made and the requirement cited stay in each binding's test
 * file (passed in from the test body, so the tests manifest still finds
 * them).
 */
#ifndef HCABI_CONF_BINDING_USER_H
#define HCABI_CONF_BINDING_USER_H

#include "hcabi_test.h"

struct binding_user {
	/* the call fid(a0, a1) made from user mode, its trap checked */
	void (*call)(uint32_t fid, uint64_t a0, uint64_t a1, const char *what);
	const char *where;   /* "at EL0": in the messages */
	const char *req;     /* the call had no effect */
	uint64_t vector_min; /* SET_TIMER's vector */
};

/* MEM.RELEASE and TIME.SET_TIMER, each where provided, made from user mode
 * with no effect; false if neither extension is provided (nothing called). */
bool binding_user_calls_no_effect(const struct binding_user *U);

#endif
