/* SPDX-License-Identifier: MIT */
/*
 * BASE.GET_SPEC_VERSION: BASE-001, BASE-002.
 *
 * What: the call returns SUCCESS; bits 63:32 of the value are zero and bits
 * 31:0 are (major << 16) | minor with major >= 1, a version the registry
 * defines (HCABI_FOREACH_VERSION; a version newer than this suite is noted,
 * not failed); the same value on every call, on every vCPU, and as at
 * discovery.
 * Why: a guest decides from this one value which functions, reserved bits
 * and extension versions apply; a value that changes, or carries junk in
 * its upper half, makes every later decision wrong.
 */
#include "base_common.h"

HCABI_TEST(base_spec_version, "BASE.get_spec_version",
	   "BASE-001.1,BASE-001.2,BASE-001.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BASE_GET_SPEC_VERSION_SINCE)
{
	struct hcabi_ret r = hcabi_base_get_spec_version();
	uint32_t v = (uint32_t)r.value;

	if (!check_status(r, HCABI_SUCCESS, "BASE-001.1", "GET_SPEC_VERSION"))
		return;
	check_eq_u64(r.value >> 32, 0, "BASE-001.2", "bits 63:32 of the value");
	check_ge_u64(HCABI_VERSION_MAJOR(v), 1, "BASE-001.3", "major version of %u.%u",
		     HCABI_VERSION_MAJOR(v), HCABI_VERSION_MINOR(v));
	if (v > HCABI_VERSION_NEWEST)
		test_log("the implementation exposes HCABI %u.%u, newer than this suite (%u.%u): "
			 "only what %u.%u defines is checked",
			 HCABI_VERSION_MAJOR(v), HCABI_VERSION_MINOR(v),
			 HCABI_VERSION_MAJOR(HCABI_VERSION_NEWEST),
			 HCABI_VERSION_MINOR(HCABI_VERSION_NEWEST),
			 HCABI_VERSION_MAJOR(HCABI_VERSION_NEWEST),
			 HCABI_VERSION_MINOR(HCABI_VERSION_NEWEST));
	check_true(hcabi_registry_has_version(v) || v > HCABI_VERSION_NEWEST, "BASE-001.1",
		   "%u.%u is a version the registry defines (or a newer one)",
		   HCABI_VERSION_MAJOR(v), HCABI_VERSION_MINOR(v));
}

HCABI_TEST(base_spec_version_stable, "BASE.get_spec_version_stable",
	   "BASE-002,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_BASE_GET_SPEC_VERSION_SINCE)
{
	struct base_repeat rep = {.function_id = HCABI_FID_BASE_GET_SPEC_VERSION};

	rep.want = hcabi_base_get_spec_version();
	check_ret(rep.want, hcabi_disc.spec_status, hcabi_disc.spec, "BASE-002",
		  "GET_SPEC_VERSION now and at discovery");
	base_check_stable(&rep, "BASE-002", "GET_SPEC_VERSION");
}
