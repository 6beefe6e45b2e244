/* SPDX-License-Identifier: MIT */
/*
 * BASE.GET_IMPL_ID and BASE.GET_IMPL_VERSION: BASE-010, BASE-020.
 *
 * What: GET_IMPL_ID returns SUCCESS with a value that is not zero; both
 * return the same value on every call and every vCPU (and as at discovery).
 * Why: guests key work-arounds on these values and reports name the
 * implementation by them; a zero or changing ID identifies nothing. (Whether
 * an ID below 0x10000 is one the registry assigned is logged, not checked:
 * no numbered requirement says so.)
 */
#include "base_common.h"

HCABI_TEST(base_impl_id, "BASE.get_impl_id",
	   "BASE-010.1,BASE-010.2,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_BASE_GET_IMPL_ID_SINCE)
{
	struct base_repeat rep = {.function_id = HCABI_FID_BASE_GET_IMPL_ID};
	struct hcabi_ret r = hcabi_base_get_impl_id();

	if (!check_status(r, HCABI_SUCCESS, "BASE-010.1", "GET_IMPL_ID"))
		return;
	check_true(r.value != 0, "BASE-010.1", "the implementation ID 0x%llx is not zero",
		   (unsigned long long)r.value);
	check_eq_u64(r.value, hcabi_disc.impl_id, "BASE-010.2", "the same ID as at discovery");
	if (r.value == HCABI_IMPL_ID_1)
		test_log("implementation ID 0x%llx: the HCABI reference implementation",
			 (unsigned long long)r.value);
	else if (r.value < 0x10000)
		test_log("implementation ID 0x%llx is in the registry's range but not one this "
			 "suite knows",
			 (unsigned long long)r.value);
	rep.want = r;
	base_check_stable(&rep, "BASE-010.2", "GET_IMPL_ID");
}

HCABI_TEST(base_impl_version, "BASE.get_impl_version",
	   "BASE-020,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_BASE_GET_IMPL_VERSION_SINCE)
{
	struct base_repeat rep = {.function_id = HCABI_FID_BASE_GET_IMPL_VERSION};
	struct hcabi_ret r = hcabi_base_get_impl_version();

	if (!check_status(r, HCABI_SUCCESS, "BASE-020", "GET_IMPL_VERSION"))
		return;
	check_eq_u64(r.value, hcabi_disc.impl_version, "BASE-020",
		     "the same version as at discovery");
	rep.want = r;
	base_check_stable(&rep, "BASE-020", "GET_IMPL_VERSION");
}
