/* SPDX-License-Identifier: MIT */
/* registry.c - the registry's tables for the unit tests (registry.h). */
#include "registry.h"

const struct hx_fn hx_fns[HX_NFNS] = {
#define X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS)                                            \
	{(ID), (NARGS), (SINCE), (STATUSES), (FLAGS), #EXT "." #NAME},
    HCABI_FOREACH_FUNCTION(X)
#undef X
};

const struct hx_ext hx_exts[HX_NEXTS] = {
#define X(NAME, EID, SINCE) {(EID), #NAME},
    HCABI_FOREACH_EXTENSION(X)
#undef X
};

const uint32_t hx_versions[HX_NVERSIONS] = {
#define X(V) (V),
    HCABI_FOREACH_VERSION(X)
#undef X
};

const struct hx_field hx_fields[HX_NFIELDS] = {
#define X(EXT, NAME, IDX, ARG, HI, LO, SINCE)                                                      \
	{HCABI_FID_##EXT##_##NAME, (IDX), (HI), (LO), (SINCE)},
    HCABI_FOREACH_ARG_FIELD(X)
#undef X
};

const uint64_t hx_unused_fns[HX_NUNUSED] = {
#define X(WHERE, ID) (ID),
    HCABI_FOREACH_UNUSED_EXTENSION_FUNCTION(X) HCABI_FOREACH_UNUSED_FUNCTION(X)
#undef X
};

uint64_t hx_ext_version(uint32_t eid, uint32_t v)
{
	uint64_t n = 0;
	uint32_t since = UINT32_MAX;
#define X(NAME, EID, SINCE)                                                                        \
	if ((EID) == eid)                                                                          \
		since = (SINCE);
	HCABI_FOREACH_EXTENSION(X)
#undef X
	if (since > v)
		return 0;
#define X(NAME, NUMBER, SINCE)                                                                     \
	if (HCABI_EID_##NAME == eid && (SINCE) <= v && (NUMBER) > n)                               \
		n = (NUMBER);
	HCABI_FOREACH_EXTENSION_VERSION(X)
#undef X
	return n;
}

static uint64_t field_bits(unsigned hi, unsigned lo)
{
	uint64_t upto = hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1);
	return upto & ~((1ull << lo) - 1);
}

uint64_t hx_arg_valid(uint32_t id, unsigned idx, uint32_t v, bool *has)
{
	uint64_t m = 0;
	*has = false;
	for (int i = 0; i < HX_NFIELDS; i++) {
		if (hx_fields[i].id != id || hx_fields[i].idx != idx)
			continue;
		*has = true;
		if (hx_fields[i].since <= v)
			m |= field_bits(hx_fields[i].hi, hx_fields[i].lo);
	}
	return m;
}

void hx_baseline_args(uint32_t id, uint64_t args[7])
{
	if (id == HCABI_FID_TIME_SET_PERIODIC)
		args[2] = HCABI_TIMER_MIN_PERIOD;
}
