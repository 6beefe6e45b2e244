/* SPDX-License-Identifier: MIT */
/*
 * calls.c - the registry's functions as data, raw calls, and harmless
 * arguments for calling every function (register preservation, status
 * tables, VMCALL/VMMCALL equivalence).
 */
#include "hcabi_calls.h"

uint8_t hcabi_scratch[4 * 4096] __attribute__((aligned(4096)));

const struct hcabi_fn hcabi_fns[] = {
#define HCABI__FN(ext, name, id, argc, since, statuses, flags)                                     \
	{#ext, #name, id, argc, since, statuses, flags},
    HCABI_FOREACH_FUNCTION(HCABI__FN)
#undef HCABI__FN
};
const size_t hcabi_num_fns = HCABI_ARRAY_SIZE(hcabi_fns);

const struct hcabi_arg_field hcabi_arg_fields[] = {
#define HCABI__FIELD(ext, fn, argi, name, hi, lo, since) {HCABI_FID_##ext##_##fn, argi, hi, lo, since},
    HCABI_FOREACH_ARG_FIELD(HCABI__FIELD)
#undef HCABI__FIELD
};
const size_t hcabi_num_arg_fields = HCABI_ARRAY_SIZE(hcabi_arg_fields);

const struct hcabi_fn *hcabi_fn_by_id(uint32_t id)
{
	for (size_t i = 0; i < hcabi_num_fns; i++)
		if (hcabi_fns[i].id == id)
			return &hcabi_fns[i];
	return 0;
}

uint32_t hcabi_fn_statuses_at(const struct hcabi_fn *fn, uint32_t version)
{
	uint32_t mask = fn->statuses;
#define HCABI__LATE(ID, STATUS, SINCE)                                                             \
	if ((ID) == fn->id && version < (SINCE))                                                   \
		mask &= ~(1u << (unsigned)-(HCABI_ERR_##STATUS));
	HCABI_FOREACH_LATE_STATUS(HCABI__LATE)
#undef HCABI__LATE
	return mask;
}

int hcabi_max_fid(uint32_t eid)
{
	int max = -1;
	for (size_t i = 0; i < hcabi_num_fns; i++)
		if (HCABI_FUNCTION_EID(hcabi_fns[i].id) == eid &&
		    (int)HCABI_FUNCTION_FID(hcabi_fns[i].id) > max)
			max = (int)HCABI_FUNCTION_FID(hcabi_fns[i].id);
	return max;
}

void hcabi_harmless_args(uint32_t id, uint64_t args[6], uint64_t poison)
{
	uint64_t buf = (uint64_t)(uintptr_t)hcabi_scratch;
	const struct hcabi_fn *fn = hcabi_fn_by_id(id);

	for (unsigned i = 0; i < 6; i++)
		args[i] = poison + i;
	switch (id) {
	case HCABI_FID_BASE_PROBE_EXTENSION:
		args[0] = HCABI_EID_BASE;
		break;
	case HCABI_FID_BASE_PROBE_FUNCTION:
		args[0] = HCABI_FID_BASE_GET_SPEC_VERSION;
		break;
	case HCABI_FID_CONSOLE_WRITE: /* zero bytes */
	case HCABI_FID_CONSOLE_READ:
		args[0] = buf;
		args[1] = 0;
		break;
	case HCABI_FID_CONSOLE_WRITE_BYTE: /* reserved bit set: INVALID_PARAM, no output */
		args[0] = 0x100 | '\n';
		break;
	case HCABI_FID_TIME_SET_TIMER: /* invalid vector; the deadline would never come */
		args[0] = ~0ull;
		args[1] = 0x100 | 0x40;
		break;
	case HCABI_FID_TIME_SET_PERIODIC: /* invalid vector; the first tick would never come */
		args[0] = ~0ull;
		args[1] = HCABI_TIMER_MIN_PERIOD;
		args[2] = 0x100 | 0x40;
		break;
	case HCABI_FID_VCPU_START: /* no such vCPU */
		args[0] = ~0ull;
		args[1] = buf;
		break;
	case HCABI_FID_VCPU_GET_STATUS:
		args[0] = 0;
		break;
	case HCABI_FID_VCPU_YIELD:
		args[0] = HCABI_VCPU_ANY;
		break;
	case HCABI_FID_VCPU_BLOCK: /* returns at once */
		args[0] = 0;
		break;
	case HCABI_FID_VCPU_KICK: /* no such vCPU */
		args[0] = ~0ull;
		break;
	case HCABI_FID_IPI_SEND: /* nobody */
		args[0] = 0;
		args[1] = 0;
		args[2] = 0x40;
		break;
	case HCABI_FID_TLB_FLUSH: /* nobody */
		args[0] = 0;
		args[1] = 0;
		args[2] = 0;
		args[3] = 0;
		break;
	case HCABI_FID_MEM_RELEASE: /* misaligned: INVALID_ADDRESS */
		args[0] = buf + 4096 + 1;
		args[1] = 1;
		break;
	case HCABI_FID_MEM_GET_LAYOUT: /* count only */
		args[0] = buf;
		args[1] = 0;
		break;
	case HCABI_FID_STEAL_SET_SHMEM: /* nothing is registered: stays so */
		args[0] = HCABI_STEAL_DISABLE;
		break;
	case HCABI_FID_BATCH_EXECUTE: /* empty table */
		args[0] = buf;
		args[1] = 0;
		break;
	default:
		break;
	}
	/* slots past the argument count keep the poison */
	if (fn)
		for (unsigned i = fn->argc; i < 6; i++)
			args[i] = poison + i;
}

bool hcabi_fid_reserved(uint32_t id)
{
#ifdef HCABI_FOREACH_RESERVED_FUNCTION
#define HCABI__RES(fid, since)                                                                     \
	if (id == (fid))                                                                           \
		return true;
	HCABI_FOREACH_RESERVED_FUNCTION(HCABI__RES)
#undef HCABI__RES
#endif
	(void)id;
	return false;
}

bool hcabi_fn_deterministic(uint32_t id)
{
	switch (id) {
	case HCABI_FID_TIME_GET_MONOTONIC:
	case HCABI_FID_TIME_GET_WALLCLOCK:
	case HCABI_FID_TIME_CANCEL_TIMER:
	case HCABI_FID_VCPU_BLOCK:
	case HCABI_FID_CONSOLE_READ:
		return false;
	default:
		return true;
	}
}

const uint64_t hcabi_upper_halves[3] = {1ull << 32, 1ull << 63, 0xFFFFFFFF00000000ull};

bool hcabi_fn_rejectable(const struct hcabi_fn *fn)
{
	return !(fn->flags & HCABI_FN_NO_RETURN) || fn->id == HCABI_FID_VCPU_STOP;
}

bool hcabi_call_clean_and_dirty(const struct hcabi_fn *fn, struct hcabi_ret *clean,
				struct hcabi_ret *dirty)
{
	uint64_t c[6], d[6];

	if ((fn->flags & HCABI_FN_NO_RETURN) || !hcabi_fn_deterministic(fn->id))
		return false;
	hcabi_harmless_args(fn->id, c, 0);
	hcabi_harmless_args(fn->id, d, 0xF00DF00D00000000ull);
	*clean = hcabi_raw_call(fn->id, c, false);
	*dirty = hcabi_raw_call(fn->id, d, false);
	return true;
}

static const struct {
	uint32_t eid;
	uint64_t number;
	uint32_t since;
} ext_versions[] = {
#define HCABI__EXTV(name, number, since) {HCABI_EID_##name, number, since},
    HCABI_FOREACH_EXTENSION_VERSION(HCABI__EXTV)
#undef HCABI__EXTV
};

uint64_t hcabi_registry_ext_version(uint32_t eid, uint32_t spec)
{
	uint64_t best = 0;
	uint32_t best_since = 0;
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(ext_versions); i++)
		if (ext_versions[i].eid == eid && ext_versions[i].since <= spec &&
		    ext_versions[i].since >= best_since) {
			best = ext_versions[i].number;
			best_since = ext_versions[i].since;
		}
	return best;
}

uint32_t hcabi_registry_ext_since(uint32_t eid)
{
	static const struct {
		uint32_t eid, since;
	} exts[] = {
#define HCABI__EXTS(name, eid, since) {eid, since},
	    HCABI_FOREACH_EXTENSION(HCABI__EXTS)
#undef HCABI__EXTS
	};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(exts); i++)
		if (exts[i].eid == eid)
			return exts[i].since;
	return 0;
}

bool hcabi_registry_has_version(uint32_t spec)
{
#define HCABI__VER(v)                                                                              \
	if (spec == (v))                                                                           \
		return true;
	HCABI_FOREACH_VERSION(HCABI__VER)
#undef HCABI__VER
	return false;
}
