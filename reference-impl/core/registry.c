/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the registry's functions, extensions and versions as the core
 * reads them (from abi.h, never typed by hand), the function lookup and the
 * version grammar. It calls nothing of the rest of the core: the life cycle
 * (core.c) and the extension selection (extset.c) both read it.
 */
#include "hcabi_ref_internal.h"

/* ---- Tables from the registry (through abi.h), never by hand ------------- */

/* Argument counts by name, for the compile-time checks below. */
enum {
#define HCABI__CORE_X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS)                                \
	HCABI__CORE_NARGS_##EXT##_##NAME = (NARGS),
	HCABI_FOREACH_FUNCTION(HCABI__CORE_X)
#undef HCABI__CORE_X
};

/* Every function belongs to the extension its ID names and fits the binding's
 * six argument registers (X86-003). */
#define HCABI__CORE_X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS)                                \
	_Static_assert(HCABI_FUNCTION_EID(ID) == HCABI_EID_##EXT, #EXT "." #NAME ": EID");         \
	_Static_assert((NARGS) <= HCABI__CORE_NARGS, #EXT "." #NAME ": too many arguments");
HCABI_FOREACH_FUNCTION(HCABI__CORE_X)
#undef HCABI__CORE_X

/* Every argument field lies in an argument of its function. */
#define HCABI__CORE_X(EXT, NAME, IDX, ARG, HI, LO, SINCE)                                          \
	_Static_assert((IDX) < HCABI__CORE_NARGS_##EXT##_##NAME,                                   \
		       #EXT "." #NAME "." #ARG ": index");                                         \
	_Static_assert((HI) >= (LO) && (HI) <= 63, #EXT "." #NAME "." #ARG ": bits");
HCABI_FOREACH_ARG_FIELD(HCABI__CORE_X)
#undef HCABI__CORE_X

const struct hcabi__core_fn hcabi__core_fns[HCABI__CORE_NFN] = {
#define HCABI__CORE_X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS)                                \
	[HCABI__CORE_FN_##EXT##_##NAME] = {                                                        \
	    .id = (ID),                                                                            \
	    .since = (SINCE),                                                                      \
	    .statuses = (STATUSES),                                                                \
	    .flags = (FLAGS),                                                                      \
	    .nargs = (NARGS),                                                                      \
	    .ext = HCABI__CORE_EXT_##EXT,                                                          \
	    .name = #EXT "." #NAME,                                                                \
	},
    HCABI_FOREACH_FUNCTION(HCABI__CORE_X)
#undef HCABI__CORE_X
};

const struct hcabi__core_extinfo hcabi__core_exts[HCABI__CORE_NEXT] = {
#define HCABI__CORE_X(NAME, EID, SINCE) [HCABI__CORE_EXT_##NAME] = {(EID), (SINCE), #NAME},
    HCABI_FOREACH_EXTENSION(HCABI__CORE_X)
#undef HCABI__CORE_X
};

static const uint32_t versions[HCABI__CORE_NVERSION] = {
#define HCABI__CORE_X(V) (V),
    HCABI_FOREACH_VERSION(HCABI__CORE_X)
#undef HCABI__CORE_X
};

/* ---- Versions ------------------------------------------------------------- */

bool hcabi__core_version_implemented(uint32_t v)
{
	for (unsigned i = 0; i < HCABI__CORE_NVERSION; i++)
		if (versions[i] == v)
			return true;
	return false;
}

uint32_t hcabi_ref_newest_version(void)
{
	uint32_t newest = 0;
	for (unsigned i = 0; i < HCABI__CORE_NVERSION; i++)
		if (versions[i] > newest)
			newest = versions[i];
	return newest;
}

/* One number of a version: the registry's grammar, 0 or [1-9][0-9]*. */
static const char *parse_number(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	if (*s < '0' || *s > '9')
		return NULL;
	if (*s == '0') {
		*out = 0;
		return s + 1;
	}
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > 0xFFFFu)
			return NULL;
		s++;
	}
	*out = v;
	return s;
}

bool hcabi_ref_parse_version(const char *s, uint32_t *out)
{
	uint32_t major, minor, v;
	if (!s)
		return false;
	s = parse_number(s, &major);
	if (!s || *s != '.')
		return false;
	s = parse_number(s + 1, &minor);
	if (!s || *s != '\0' || major == 0)
		return false;
	v = HCABI_VERSION(major, minor);
	if (!hcabi__core_version_implemented(v))
		return false;
	if (out)
		*out = v;
	return true;
}
