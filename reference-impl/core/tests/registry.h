/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the registry's facts as the unit tests use them, built from
 * abi.h's X-macros (never typed by hand), so that a new function, version
 * or extension in the registry reaches every test on rebuild.
 */
#ifndef HCABI_TEST_REGISTRY_H
#define HCABI_TEST_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"

#define HX__ONE(...) +1
enum {
	HX_NFNS = 0 HCABI_FOREACH_FUNCTION(HX__ONE),
	HX_NEXTS = 0 HCABI_FOREACH_EXTENSION(HX__ONE),
	HX_NVERSIONS = 0 HCABI_FOREACH_VERSION(HX__ONE),
	HX_NFIELDS = 0 HCABI_FOREACH_ARG_FIELD(HX__ONE),
	HX_NUNUSED = 0 HCABI_FOREACH_UNUSED_FUNCTION(HX__ONE)
	    HCABI_FOREACH_UNUSED_EXTENSION_FUNCTION(HX__ONE),
};

/* Every function, in registry order. */
struct hx_fn {
	uint32_t id;
	unsigned nargs;
	uint32_t since;
	uint32_t statuses; /* bit n: status -n (abi.h's _STATUSES) */
	uint32_t flags;	   /* HCABI_FN_NO_BATCH, HCABI_FN_NO_RETURN */
	const char *name;  /* "EXT.NAME" */
};
extern const struct hx_fn hx_fns[HX_NFNS];

/* Every extension, in registry order (BASE first). */
struct hx_ext {
	uint32_t eid;
	const char *name;
};
extern const struct hx_ext hx_exts[HX_NEXTS];

/* Every version the registry has. */
extern const uint32_t hx_versions[HX_NVERSIONS];

/* Every argument field (GEN-002). */
struct hx_field {
	uint32_t id; /* function ID */
	unsigned idx, hi, lo;
	uint32_t since;
};
extern const struct hx_field hx_fields[HX_NFIELDS];

/* Function IDs that name no function at any version: abi.h's
 * HCABI_FOREACH_UNUSED_EXTENSION_FUNCTION (no such extension: STATUS-002),
 * then HCABI_FOREACH_UNUSED_FUNCTION (no such function: STATUS-003). A call
 * to one is NOT_SUPPORTED; BASE.PROBE_FUNCTION of one returns 0. */
extern const uint64_t hx_unused_fns[HX_NUNUSED];

/* The extension version number of `eid` at spec version v (BASE-031), 0 if
 * the extension does not exist then. */
uint64_t hx_ext_version(uint32_t eid, uint32_t v);

/* Bits of argument idx of function id that mean something at version v;
 * *has is false if the argument has no field (all bits meaningful). */
uint64_t hx_arg_valid(uint32_t id, unsigned idx, uint32_t v, bool *has);

/* Arguments (v[1..6] of hx_callv's v[7]) that make a call of function id
 * valid apart from the argument under test: all zero, except where zero
 * is itself invalid (the period of TIME.SET_PERIODIC, TIME-040). */
void hx_baseline_args(uint32_t id, uint64_t args[7]);

#endif
