/* SPDX-License-Identifier: MIT */
/*
 * BASE.PROBE_EXTENSION: BASE-030 .. BASE-033.
 *
 * What:
 *  - an EID argument with any of bits 63:16 set is INVALID_PARAM (with
 *    RDX = 0), whatever bits 15:0 say (BASE-030);
 *  - every registry extension probes to 0 or to exactly the extension
 *    version number the registry assigns at the exposed spec version, and an
 *    extension newer than the exposed version probes to 0 (BASE-031);
 *  - EIDs the registry does not assign probe to SUCCESS 0: in the standard
 *    range always (while the exposed version is one this suite knows); in
 *    the experimental and vendor ranges an implementation may provide its
 *    own extensions, so there only the status is checked and a non-zero
 *    answer is logged (BASE-032);
 *  - BASE itself probes non-zero, and every answer is the same on every
 *    call and every vCPU and equals the one discovery got (BASE-033).
 * Why: probing is how a guest learns what exists; a wrong number makes it
 * use functions that are not there or skip ones that are.
 */
#include "base_common.h"

HCABI_TEST(base_probe_ext_reserved, "BASE.probe_extension_reserved_bits",
	   "BASE-030," HCABI_REQ_VALUE_ZERO, HCABI_FID_BASE_PROBE_EXTENSION_SINCE)
{
	static const uint64_t eids[] = {
	    1ull << 16,
	    (1ull << 16) | HCABI_EID_BASE,
	    (1ull << 16) | HCABI_EID_CONSOLE,
	    1ull << 31,
	    1ull << 32,
	    1ull << 63,
	    0xFFFF0000ull,
	    0xFFFFFFFFFFFFFFFFull,
	    0x8000000000000000ull | HCABI_EID_TIME,
	};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(eids); i++)
		check_status(hcabi_base_probe_extension(eids[i]), HCABI_ERR_INVALID_PARAM,
			     "BASE-030", "PROBE_EXTENSION(0x%llx)", (unsigned long long)eids[i]);
}

static const struct {
	const char *name;
	uint32_t eid;
} registry_exts[] = {
#define EXT(name, eid, since) {#name, eid},
    HCABI_FOREACH_EXTENSION(EXT)
#undef EXT
};

HCABI_TEST(base_probe_ext_registry, "BASE.probe_extension_registry",
	   "BASE-031,BASE-033.1,BASE-033.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BASE_PROBE_EXTENSION_SINCE)
{
	uint32_t spec = hcabi_spec();
	struct hcabi_ret r = hcabi_base_probe_extension(HCABI_EID_BASE);

	check_status(r, HCABI_SUCCESS, "BASE-033.1", "PROBE_EXTENSION(BASE)");
	check_true(r.value != 0, "BASE-033.1", "BASE is provided: PROBE_EXTENSION(BASE) = %llu",
		   (unsigned long long)r.value);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(registry_exts); i++) {
		uint32_t eid = registry_exts[i].eid;
		uint64_t want = hcabi_registry_ext_version(eid, spec);
		r = hcabi_base_probe_extension(eid);
		if (!check_status(r, HCABI_SUCCESS, "BASE-031", "PROBE_EXTENSION(%s)",
				  registry_exts[i].name))
			continue;
		if (hcabi_registry_ext_since(eid) > spec) {
			check_ret(r, HCABI_SUCCESS, 0, "BASE-031",
				  "%s does not exist in the exposed version: probes to 0",
				  registry_exts[i].name);
		} else if (r.value == 0) {
			check_true(true, "BASE-031", "%s is not provided (probes to 0)",
				   registry_exts[i].name);
		} else if (spec > HCABI_VERSION_NEWEST) {
			check_ge_u64(r.value, want, "BASE-031",
				     "%s version at a spec newer than this suite",
				     registry_exts[i].name);
		} else {
			check_eq_u64(r.value, want, "BASE-031",
				     "%s version number = the registry's at HCABI %u.%u",
				     registry_exts[i].name, HCABI_VERSION_MAJOR(spec),
				     HCABI_VERSION_MINOR(spec));
		}
		check_eq_u64(r.value, hcabi_ext_version(eid), "BASE-033.2",
			     "%s: the same answer as at discovery", registry_exts[i].name);
	}
}

HCABI_TEST(base_probe_ext_unknown, "BASE.probe_extension_unknown", "BASE-032," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BASE_PROBE_EXTENSION_SINCE)
{
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(base_unknown_standard); i++) {
		uint32_t eid = base_unknown_standard[i];
		struct hcabi_ret r = hcabi_base_probe_extension(eid);
		if (base_spec_known())
			check_ret(r, HCABI_SUCCESS, 0, "BASE-032", "unassigned standard EID 0x%04x",
				  eid);
		else
			check_status(r, HCABI_SUCCESS, "BASE-032",
				     "standard EID 0x%04x (spec newer than this suite: may exist)",
				     eid);
	}
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(base_unknown_other); i++) {
		uint32_t eid = base_unknown_other[i];
		struct hcabi_ret r = hcabi_base_probe_extension(eid);
		const char *range = eid >= HCABI_EID_VENDOR_FIRST ? "vendor" : "experimental";
		check_status(r, HCABI_SUCCESS, "BASE-032", "%s EID 0x%04x", range, eid);
		if (r.status == HCABI_SUCCESS && r.value != 0)
			test_log("the implementation provides %s extension 0x%04x, version %llu",
				 range, eid, (unsigned long long)r.value);
	}
}

HCABI_TEST(base_probe_ext_stable, "BASE.probe_extension_stable",
	   "BASE-033.2,VCPU-024.2,VCPU-030.2,STATUS-004", HCABI_FID_BASE_PROBE_EXTENSION_SINCE)
{
	static struct base_repeat reps[HCABI_ARRAY_SIZE(registry_exts) + 2];
	size_t n = 0;

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(registry_exts); i++)
		reps[n++].arg = registry_exts[i].eid;
	reps[n++].arg = 0x7FFF;
	reps[n++].arg = 0xC000;
	for (size_t i = 0; i < n; i++) {
		char what[64];
		reps[i].function_id = HCABI_FID_BASE_PROBE_EXTENSION;
		reps[i].want = hcabi_base_probe_extension(reps[i].arg);
		hcabi_snprintf(what, sizeof(what), "PROBE_EXTENSION(0x%04llx)",
			       (unsigned long long)reps[i].arg);
		base_check_stable(&reps[i], "BASE-033.2", what);
	}
}
