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

/* SELF.replay_filter, each architecture's: `play(vector)` makes an
 * interrupt entry that no controller makes (the runtime's replay rule,
 * hcabi_irq_replays). With `pending_first`, a self-IPI of `vector` is made
 * pending (interrupts off) before the entry is played, and must still be
 * pending after it: the played entry took nothing from the controller.
 * Then the real delivery of `vector` must be handled, counted once and not
 * be a replay. */
void selftest_replay_filter(unsigned vector, void (*play)(unsigned vector), bool pending_first);

#endif /* HCABI_SELFTEST_H */
