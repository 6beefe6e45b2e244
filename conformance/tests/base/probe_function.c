/* SPDX-License-Identifier: MIT */
/*
 * BASE.PROBE_FUNCTION: BASE-040, BASE-041.
 *
 * What:
 *  - a function ID argument with any of bits 63:32 set is INVALID_PARAM
 *    (BASE-040);
 *  - every function of the registry probes to exactly 1 if its extension is
 *    provided and the exposed version defines it, else exactly 0; FIDs the
 *    registry does not define in a provided extension, the function IDs
 *    the registry reserves, functions of extensions that are not provided,
 *    and functions of unassigned EIDs in every range probe to 0 (BASE-041). Unassigned experimental
 * and vendor EIDs are only used when PROBE_EXTENSION says they are not provided. Why: a guest that
 * probes a function before calling it must get the truth, or it calls what is not there.
 */
#include "base_common.h"

HCABI_TEST(base_probe_fn_reserved, "BASE.probe_function_reserved_bits",
	   "BASE-040," HCABI_REQ_VALUE_ZERO, HCABI_FID_BASE_PROBE_FUNCTION_SINCE)
{
	static const uint64_t ids[] = {
	    1ull << 32,
	    (1ull << 32) | HCABI_FID_BASE_GET_SPEC_VERSION,
	    (1ull << 33) | HCABI_FID_CONSOLE_WRITE,
	    1ull << 63,
	    0xFFFFFFFF00000000ull,
	    0xFFFFFFFFFFFFFFFFull,
	};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(ids); i++)
		check_status(hcabi_base_probe_function(ids[i]), HCABI_ERR_INVALID_PARAM, "BASE-040",
			     "PROBE_FUNCTION(0x%llx)", (unsigned long long)ids[i]);
}

HCABI_TEST(base_probe_fn_registry, "BASE.probe_function_registry",
	   "BASE-041.1,BASE-041.2," HCABI_REQ_VALUE_ZERO, HCABI_FID_BASE_PROBE_FUNCTION_SINCE)
{
	uint32_t spec = hcabi_spec();

	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		bool provided = hcabi_has_ext(HCABI_FUNCTION_EID(fn->id));
		uint64_t want = provided && fn->since <= spec;
		check_ret(hcabi_base_probe_function(fn->id), HCABI_SUCCESS, want,
			  want ? "BASE-041.1" : "BASE-041.2", "PROBE_FUNCTION(%s.%s)%s", fn->ext,
			  fn->name, provided ? "" : " of an extension that is not provided");
	}
}

HCABI_TEST(base_probe_fn_unknown, "BASE.probe_function_unknown", "BASE-041.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BASE_PROBE_FUNCTION_SINCE)
{
	static const uint32_t registry_eids[] = {
#define EXT(name, eid, since) eid,
	    HCABI_FOREACH_EXTENSION(EXT)
#undef EXT
	};
	bool known = base_spec_known();

	/* FIDs past the registry's in every registry extension */
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(registry_eids); i++) {
		uint32_t eid = registry_eids[i];
		int max = hcabi_max_fid(eid);
		const uint32_t fids[] = {(uint32_t)(max + 1), (uint32_t)(max + 2), 0x100, 0x7FFF,
					 0xFFFF};
		for (size_t k = 0; k < HCABI_ARRAY_SIZE(fids); k++) {
			uint32_t id = HCABI_FUNCTION_ID(eid, fids[k]);
			struct hcabi_ret r = hcabi_base_probe_function(id);
			if (known || !hcabi_has_ext(eid))
				check_ret(r, HCABI_SUCCESS, 0, "BASE-041.2",
					  "PROBE_FUNCTION(0x%08x): %s FID 0x%x the registry does "
					  "not define",
					  id, hcabi_ext_name(eid), fids[k]);
			else
				check_status(r, HCABI_SUCCESS, "BASE-041.2",
					     "PROBE_FUNCTION(0x%08x) (newer spec: may exist)", id);
		}
	}
	/* FIDs the registry reserves are no function: they probe to 0 */
#ifdef HCABI_FOREACH_RESERVED_FUNCTION
#define RESERVED(id, since)                                                                        \
	check_ret(hcabi_base_probe_function(id), HCABI_SUCCESS, 0, "BASE-041.2",                   \
		  "PROBE_FUNCTION(0x%08x): a reserved function ID", (unsigned)(id));
	HCABI_FOREACH_RESERVED_FUNCTION(RESERVED)
#undef RESERVED
#endif
	/* unassigned EIDs */
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(base_unknown_standard); i++) {
		uint32_t eid = base_unknown_standard[i];
		for (uint32_t fid = 0; fid < 2; fid++) {
			struct hcabi_ret r = hcabi_base_probe_function(HCABI_FUNCTION_ID(eid, fid));
			if (known)
				check_ret(r, HCABI_SUCCESS, 0, "BASE-041.2",
					  "PROBE_FUNCTION(0x%08x): unassigned standard EID",
					  HCABI_FUNCTION_ID(eid, fid));
			else
				check_status(r, HCABI_SUCCESS, "BASE-041.2",
					     "PROBE_FUNCTION(0x%08x)", HCABI_FUNCTION_ID(eid, fid));
		}
	}
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(base_unknown_other); i++) {
		uint32_t eid = base_unknown_other[i];
		struct hcabi_ret p = hcabi_base_probe_extension(eid);
		if (p.status != HCABI_SUCCESS || p.value != 0) {
			test_log("EID 0x%04x is provided (or its probe failed): its functions are "
				 "not checked",
				 eid);
			continue;
		}
		const uint32_t fids[] = {0, 1, 0xFFFF};
		for (size_t k = 0; k < HCABI_ARRAY_SIZE(fids); k++)
			check_ret(hcabi_base_probe_function(HCABI_FUNCTION_ID(eid, fids[k])),
				  HCABI_SUCCESS, 0, "BASE-041.2",
				  "PROBE_FUNCTION(0x%08x): EID not provided",
				  HCABI_FUNCTION_ID(eid, fids[k]));
	}
}
