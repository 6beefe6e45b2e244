/* SPDX-License-Identifier: MIT */
/*
 * The preserved-state loop shared by the arm64 and riscv64 bindings
 * (binding_state.h).
 */
#include "binding_state.h"

void binding_each_call_preserves(const struct binding_state *S)
{
	uint64_t before[BINDING_STATE_MAX], after[BINDING_STATE_MAX];

	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		uint64_t args[6];
		struct hcabi_ret r;
		int bad = -1;
		if (fn->flags & HCABI_FN_NO_RETURN)
			continue;
		hcabi_harmless_args(fn->id, args, 0x5C5C5C5C00000000ull);
		S->read_all(before);
		r = hcabi_raw_call(fn->id, args, false);
		S->read_all(after);
		for (unsigned k = 0; k < S->count && bad < 0; k++)
			if (after[k] != before[k])
				bad = (int)k;
		if (bad >= 0) {
			check_true(false, S->req, "%s.%s: %s was 0x%llx, is 0x%llx after", fn->ext,
				   fn->name, S->name((unsigned)bad),
				   (unsigned long long)before[bad], (unsigned long long)after[bad]);
			S->rewrite(); /* the next call is judged on its own */
		} else {
			check_true(true, S->req, "%s.%s: %s unchanged (status %lld)", fn->ext,
				   fn->name, S->unchanged, (long long)r.status);
		}
	}
}
