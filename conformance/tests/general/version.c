/* SPDX-License-Identifier: MIT */
/*
 * Versions: VER-001, VER-002.
 *
 * What:
 *  - VER-001: every function the exposed version defines in a provided
 *    extension is implemented (a call with harmless arguments does not
 *    return NOT_SUPPORTED), and every function it does not define returns
 *    NOT_SUPPORTED: registry functions newer than the exposed version, and
 *    FIDs past the registry's in each provided extension;
 *  - VER-002: what a guest can see of "behaves exactly as the exposed
 *    version": the version is one the registry defines; extensions newer
 *    than it probe to 0 and the others to their number at that version;
 *    functions newer than it probe to 0 and return NOT_SUPPORTED; argument
 *    bits that only a newer version defines are reserved (INVALID_PARAM).
 *    A guest cannot tell whether the host pinned the version: the runner
 *    covers pinning by booting refvmm with --spec-version for each version
 *    it tests; with one version (1.0) in the registry most of these sets are
 *    empty.
 * Why: guests written for version X.Y must find exactly X.Y, whatever the
 * host could do beyond it, or live migration between hosts breaks them.
 */
#include "hcabi_test.h"
#include "hcabi_calls.h"

HCABI_TEST(ver_functions, "VER.functions_of_version", "VER-001.1,VER-001.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	uint32_t spec = hcabi_spec();

	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		uint64_t a[6];
		struct hcabi_ret r;
		if (!hcabi_has_ext(HCABI_FUNCTION_EID(fn->id)))
			continue;
		if (fn->since > spec) {
			hcabi_harmless_args(fn->id, a, 0);
			check_status(hcabi_raw_call(fn->id, a, false), HCABI_ERR_NOT_SUPPORTED,
				     "VER-001.2", "%s.%s is newer than the exposed version",
				     fn->ext, fn->name);
			continue;
		}
		if (fn->flags & HCABI_FN_NO_RETURN) {
			check_ret(hcabi_base_probe_function(fn->id), HCABI_SUCCESS, 1, "VER-001.1",
				  "%s.%s (does not return: probed, not called)", fn->ext, fn->name);
			continue;
		}
		hcabi_harmless_args(fn->id, a, 0);
		r = hcabi_raw_call(fn->id, a, false);
		check_true(r.status != HCABI_ERR_NOT_SUPPORTED, "VER-001.1",
			   "%s.%s is implemented: status %lld(%s)", fn->ext, fn->name,
			   (long long)r.status, hcabi_status_name(r.status));
	}
	for (uint32_t eid = 0; eid < 0x10000; eid++) {
		int max;
		if (!hcabi_ext_name(eid) || !hcabi_has_ext(eid) || spec > HCABI_VERSION_NEWEST)
			continue;
		max = hcabi_max_fid(eid);
		uint64_t a[6] = {0, 0, 0, 0, 0, 0};
		if (hcabi_fid_reserved(HCABI_FUNCTION_ID(eid, (uint32_t)(max + 1))))
			continue;
		check_status(hcabi_raw_call(HCABI_FUNCTION_ID(eid, (uint32_t)(max + 1)), a, false),
			     HCABI_ERR_NOT_SUPPORTED, "VER-001.2",
			     "%s FID 0x%x: not defined by the exposed version", hcabi_ext_name(eid),
			     max + 1);
	}
	if (hcabi_has_ext(HCABI_EID_TIME))
		hcabi_time_cancel_timer();
}

HCABI_TEST(ver_exposed, "VER.exposed_version", "VER-002," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_0)
{
	static const struct {
		const char *name;
		uint32_t eid, since;
	} exts[] = {
#define EXT(name, eid, since) {#name, eid, since},
	    HCABI_FOREACH_EXTENSION(EXT)
#undef EXT
	};
	uint32_t spec = hcabi_spec();

	if (spec > HCABI_VERSION_NEWEST) {
		test_skip("the implementation exposes %u.%u, newer than this suite",
			  HCABI_VERSION_MAJOR(spec), HCABI_VERSION_MINOR(spec));
		return;
	}
	check_true(hcabi_registry_has_version(spec), "VER-002",
		   "%u.%u is a version of the registry", HCABI_VERSION_MAJOR(spec),
		   HCABI_VERSION_MINOR(spec));
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(exts); i++) {
		struct hcabi_ret r = hcabi_base_probe_extension(exts[i].eid);
		if (exts[i].since > spec)
			check_ret(r, HCABI_SUCCESS, 0, "VER-002",
				  "%s is newer than %u.%u: probes to 0", exts[i].name,
				  HCABI_VERSION_MAJOR(spec), HCABI_VERSION_MINOR(spec));
		else if (r.status == HCABI_SUCCESS && r.value != 0)
			check_eq_u64(r.value, hcabi_registry_ext_version(exts[i].eid, spec),
				     "VER-002", "%s: its version number at %u.%u", exts[i].name,
				     HCABI_VERSION_MAJOR(spec), HCABI_VERSION_MINOR(spec));
	}
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		if (fn->since <= spec)
			continue;
		check_ret(hcabi_base_probe_function(fn->id), HCABI_SUCCESS, 0, "VER-002",
			  "%s.%s is newer than the exposed version: probes to 0", fn->ext,
			  fn->name);
	}
	{
		unsigned newer = 0;
		for (size_t i = 0; i < hcabi_num_arg_fields; i++)
			newer += hcabi_arg_fields[i].since > spec;
		test_log("%u argument field(s) newer than %u.%u (their bits are reserved here and "
			 "checked by GEN.reserved_argument_bits)",
			 newer, HCABI_VERSION_MAJOR(spec), HCABI_VERSION_MINOR(spec));
	}
}
