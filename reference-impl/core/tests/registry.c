/* SPDX-License-Identifier: MIT */
/* registry.c - the registry's tables for the unit tests (registry.h). */
#include "registry.h"

const uint64_t hx_unused_fns[HX_NUNUSED] = {
#define X(WHERE, ID) (ID),
    HCABI_FOREACH_UNUSED_EXTENSION_FUNCTION(X) HCABI_FOREACH_UNUSED_FUNCTION(X)
#undef X
};
