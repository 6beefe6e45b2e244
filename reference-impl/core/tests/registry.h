/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the registry's facts as the unit tests use them, built from
 * abi.h's X-macros (never typed by hand), so that a new function, version
 * or extension in the registry reaches every test on rebuild.
 */
#ifndef HCABI_TEST_REGISTRY_H
#define HCABI_TEST_REGISTRY_H

#include <stdint.h>

#include "abi.h"

#define HX__ONE(...) +1
enum {
	/* rows of hx_unused_fns */
	HX_NUNUSED = 0 HCABI_FOREACH_UNUSED_FUNCTION(HX__ONE)
	    HCABI_FOREACH_UNUSED_EXTENSION_FUNCTION(HX__ONE),
};

/* Function IDs that name no function at any version: abi.h's
 * HCABI_FOREACH_UNUSED_EXTENSION_FUNCTION (no such extension: STATUS-002),
 * then HCABI_FOREACH_UNUSED_FUNCTION (no such function: STATUS-003). A call
 * to one is NOT_SUPPORTED; BASE.PROBE_FUNCTION of one returns 0. */
extern const uint64_t hx_unused_fns[HX_NUNUSED];

#endif
