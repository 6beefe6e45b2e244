/* SPDX-License-Identifier: MIT */
/*
 * fz_tables.c - the registry's tables, from abi.h's X-macros (the same
 * source the core's own tables come from), and the lookups on them that
 * depend on the exposed version and the withheld extensions.
 */

#include "fz_model.h"

const struct fz_fn fz_fns[FZ_NFNS] = {
#define X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS)                                            \
	{(ID), (NARGS), (SINCE), (STATUSES), (FLAGS), #EXT "." #NAME},
    HCABI_FOREACH_FUNCTION(X)
#undef X
};

const struct fz_ext fz_exts[FZ_NEXTS] = {
#define X(NAME, EID, SINCE) {(EID), (SINCE)},
    HCABI_FOREACH_EXTENSION(X)
#undef X
};

const struct fz_extver fz_extvers[FZ_NEXTVERS] = {
#define X(NAME, NUMBER, SINCE) {HCABI_EID_##NAME, (NUMBER), (SINCE)},
    HCABI_FOREACH_EXTENSION_VERSION(X)
#undef X
};

const struct fz_field fz_fields[] = {
#define X(EXT, NAME, IDX, ARG, HI, LO, SINCE)                                                      \
	{HCABI_FID_##EXT##_##NAME, (IDX), (HI), (LO), (SINCE)},
    HCABI_FOREACH_ARG_FIELD(X)
#undef X
	{0, 99, 0, 0, 0}, /* end: the registry may have no field */
};

const uint32_t fz_versions[FZ_NVERSIONS] = {
#define X(V) (V),
    HCABI_FOREACH_VERSION(X)
#undef X
};

const uint32_t fz_reserved_fns[FZ_NRESERVED] = {
#define X(ID, SINCE) (ID),
    HCABI_FOREACH_RESERVED_FUNCTION(X)
#undef X
	HCABI_FUNCTION_ID(0xFFFFu, 0xFFFFu), /* the list may be empty */
};

const struct fz_fn *fz_fn_of(uint64_t fid)
{
	if (fid >> 32)
		return NULL;
	for (size_t i = 0; i < FZ_NFNS; i++)
		if (fz_fns[i].id == (uint32_t)fid)
			return &fz_fns[i];
	return NULL;
}

bool fz_ext_present(uint32_t eid)
{
	for (size_t i = 0; i < FZ_NEXTS; i++)
		if (fz_exts[i].eid == eid)
			return fz_exts[i].since <= fz.version && !((fz.withheld >> i) & 1u);
	return false;
}

/* The function, if RAX names one of the exposed version (else NULL). */
const struct fz_fn *fz_present_fn(uint64_t fid)
{
	const struct fz_fn *f = fz_fn_of(fid);
	if (!f || f->since > fz.version || !fz_ext_present(HCABI_FUNCTION_EID(f->id)))
		return NULL;
	return f;
}

uint32_t fz_ext_version(uint32_t eid)
{
	uint32_t v = 0;
	if (!fz_ext_present(eid))
		return 0;
	for (size_t i = 0; i < FZ_NEXTVERS; i++)
		if (fz_extvers[i].eid == eid && fz_extvers[i].since <= fz.version && fz_extvers[i].number > v)
			v = fz_extvers[i].number;
	return v;
}

static uint64_t bits(unsigned hi, unsigned lo)
{
	uint64_t upto = hi >= 63 ? UINT64_MAX : ((UINT64_C(1) << (hi + 1)) - 1);
	return upto & ~((UINT64_C(1) << lo) - 1);
}

/* GEN-002: does an argument have a bit the exposed version reserves? */
bool fz_has_reserved_bits(const struct fz_fn *f, const uint64_t *args)
{
	for (unsigned a = 0; a < f->nargs; a++) {
		bool exists = false;
		uint64_t valid = 0;
		for (size_t i = 0; fz_fields[i].idx != 99; i++) {
			if (fz_fields[i].id != f->id || fz_fields[i].idx != a ||
			    fz_fields[i].since > fz.version)
				continue;
			exists = true;
			valid |= bits(fz_fields[i].hi, fz_fields[i].lo);
		}
		if (exists && (args[a] & ~valid))
			return true;
	}
	return false;
}

bool fz_permitted(const struct fz_fn *f, int64_t status)
{
	if (status > 0 || status <= -32)
		return false;
	/* STATUS-001: a status added to the function later (FAILED in 1.2)
	 * is not permitted at an older exposed version */
#define X(FID, STATUS, SINCE)                                                                      \
	if (f->id == (FID) && status == HCABI_ERR_##STATUS && fz.version < (SINCE))                \
		return false;
	HCABI_FOREACH_LATE_STATUS(X)
#undef X
	return (f->statuses >> (unsigned)(-status)) & 1u;
}
