/* SPDX-License-Identifier: MIT */
/*
 * selftest.h - what the self-test's files share.
 */
#ifndef HCABI_SELFTEST_H
#define HCABI_SELFTEST_H

#include "hcabi_test.h"

/* A self-test: no requirement, from the first version. */
#define SELF(ident, name) HCABI_TEST(ident, name, "-", 0)

/* An interrupt vector the architecture's controller can make pending on the
 * calling vCPU and no test registers a handler for (SELF.unexpected_irq). */
extern const unsigned selftest_spare_vector;

#endif /* HCABI_SELFTEST_H */
