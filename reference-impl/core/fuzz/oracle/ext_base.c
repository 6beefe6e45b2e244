/* SPDX-License-Identifier: MIT */
/* oracle/ext_base.c - what BASE's calls return (mirrors core/ext_base.c). */
#include "fz_oracle.h"

static void base_values(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	uint64_t v = s->ev->value;

	switch (s->f->id) {
	case HCABI_FID_BASE_GET_SPEC_VERSION:
		CHECK(v == fz.version, "BASE-001: GET_SPEC_VERSION 0x%llx", (unsigned long long)v);
		break;
	case HCABI_FID_BASE_GET_IMPL_VERSION:
		CHECK(v == fz.impl_version, "BASE-020: GET_IMPL_VERSION 0x%llx",
		      (unsigned long long)v);
		break;
	case HCABI_FID_BASE_PROBE_EXTENSION:
		CHECK(v == fz_ext_version((uint32_t)a[0]),
		      "BASE-031: PROBE_EXTENSION(0x%llx) = %llu", (unsigned long long)a[0],
		      (unsigned long long)v);
		break;
	case HCABI_FID_BASE_PROBE_FUNCTION:
		CHECK(v == (fz_present_fn(a[0]) ? 1u : 0u),
		      "BASE-041: PROBE_FUNCTION(0x%llx) = %llu", (unsigned long long)a[0],
		      (unsigned long long)v);
		break;
	default:
		break;
	}
}

const struct fz_ext_oracle fz_oracle_base = {
    .eid = HCABI_EID_BASE,
    .values = base_values,
};
