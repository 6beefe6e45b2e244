/* SPDX-License-Identifier: MIT */
/*
 * VMCALL and VMMCALL: X86-001.1 (both are hypercalls), X86-001.2 (the same
 * behaviour).
 *
 * What: BASE.GET_SPEC_VERSION through each returns SUCCESS with the version
 * discovery found; then every function that returns is called once with VMCALL and once
 * with VMMCALL, with the same harmless arguments (see hcabi_calls.h); the
 * statuses must be equal, and the values too for functions whose value does
 * not change between two calls (not the clocks). Whichever CPU vendor runs
 * the test, one of the two instructions is the "foreign" one the hypervisor
 * has to catch as an invalid-opcode or intercept.
 * Why: a guest image built for one vendor's instruction must run unchanged
 * on the other's hosts, and live migration may move it between them.
 */
#include "hcabi_calls.h"
#include "x86_asm.h"

HCABI_TEST(x86_instructions, "X86.vmcall_vmmcall", "X86-001.1,X86-001.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	char vendor[13];

	x86_cpu_vendor(vendor);
	test_log("CPU vendor %s: %s is the native hypercall instruction", vendor,
		 x86_vmmcall_native() ? "VMMCALL" : "VMCALL");
	/* both instructions are hypercalls, whichever is native here */
	{
		uint64_t args[6] = {0};
		check_ret(hcabi_raw_call(HCABI_FID_BASE_GET_SPEC_VERSION, args, false),
			  HCABI_SUCCESS, hcabi_disc.spec, "X86-001.1",
			  "BASE.GET_SPEC_VERSION through VMCALL");
		check_ret(hcabi_raw_call(HCABI_FID_BASE_GET_SPEC_VERSION, args, true),
			  HCABI_SUCCESS, hcabi_disc.spec, "X86-001.1",
			  "BASE.GET_SPEC_VERSION through VMMCALL");
	}
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		uint64_t args[6];
		struct hcabi_ret a, b;

		if (fn->flags & HCABI_FN_NO_RETURN)
			continue;
		hcabi_harmless_args(fn->id, args, 0x7700000000000000ull);
		a = hcabi_raw_call(fn->id, args, false);
		b = hcabi_raw_call(fn->id, args, true);
		if (hcabi_fn_deterministic(fn->id))
			check_true(
			    a.status == b.status && a.value == b.value, "X86-001.2",
			    "%s.%s: VMCALL gave status=%lld value=0x%llx, VMMCALL status=%lld "
			    "value=0x%llx",
			    fn->ext, fn->name, (long long)a.status, (unsigned long long)a.value,
			    (long long)b.status, (unsigned long long)b.value);
		else
			check_true(a.status == b.status, "X86-001.2",
				   "%s.%s: VMCALL gave status=%lld, VMMCALL status=%lld", fn->ext,
				   fn->name, (long long)a.status, (long long)b.status);
	}
	/* an unknown function fails the same way through both */
	{
		uint64_t args[6] = {0};
		struct hcabi_ret a = hcabi_raw_call(HCABI_FUNCTION_ID(0x7FFF, 0x1234), args, false);
		struct hcabi_ret b = hcabi_raw_call(HCABI_FUNCTION_ID(0x7FFF, 0x1234), args, true);
		check_true(a.status == b.status && a.value == b.value, "X86-001.2",
			   "unknown function 0x7fff1234: VMCALL status=%lld, VMMCALL status=%lld",
			   (long long)a.status, (long long)b.status);
	}
}
