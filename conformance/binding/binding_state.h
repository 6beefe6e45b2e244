/* SPDX-License-Identifier: MIT */
/*
 * The loop the arm64 and riscv64 bindings' preserved-state tests share
 * (ARM64.preserve_system_registers, RV64.preserve_supervisor_csrs): every
 * function that returns called with harmless arguments, the binding's
 * system registers read before and after each call. What differs stays in
 * each binding's test file: which registers, their names, the requirement
 * the checks cite (passed in from the test body, so the tests manifest
 * still finds it).
 */
#ifndef HCABI_CONF_BINDING_STATE_H
#define HCABI_CONF_BINDING_STATE_H

#include "hcabi_test.h"
#include "hcabi_calls.h"

#define BINDING_STATE_MAX 32u

/* The registers a call must leave as they were. */
struct binding_state {
	unsigned count;			 /* at most BINDING_STATE_MAX */
	void (*read_all)(uint64_t *v);	 /* v[0 .. count - 1] */
	void (*rewrite)(void);		 /* the test's patterns again, after a call changed one */
	const char *(*name)(unsigned k); /* register k's name */
	const char *req;		 /* the requirement every check cites */
	const char *unchanged;		 /* what a passing check says: "the 17 system registers" */
};

/* Every function that returns (HCABI_FN_NO_RETURN: not called) with
 * hcabi_harmless_args: one check per call, failing with the first register
 * the call changed. */
void binding_each_call_preserves(const struct binding_state *S);

#endif
