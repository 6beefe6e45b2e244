/* SPDX-License-Identifier: MIT */
/*
 * watchdog.c - every wait of the stress run is bounded, and vCPU 0 (vCPU 1
 * for vCPU 0) reports a vCPU that made no progress for 30 s.
 */
#include "common.h"

/* ---- the watchdog ------------------------------------------------------------------ */

static uint64_t wd_seen[MAXC], wd_at[MAXC], wd_next;
static bool wd_reported[MAXC];

void watchdog(void)
{
	unsigned c = me();
	uint64_t now;

	if (c > 1 || !hcabi_atomic_load(&go))
		return;
	now = hcabi_now_ns();
	if (now < wd_next)
		return;
	wd_next = now + HCABI_SEC(1);
	for (unsigned t = 0; t < nham; t++) {
		uint64_t prog = hcabi_atomic_load(&pc[t].progress);
		if (t == c || (c == 1 && t != 0))
			continue; /* vCPU 0 watches every hammer, vCPU 1 watches vCPU 0 */
		if (hcabi_atomic_load(&pc[t].drained) == 2)
			continue; /* finished */
		if (prog != wd_seen[t] || !wd_at[t]) {
			wd_seen[t] = prog;
			wd_at[t] = now;
			continue;
		}
		if (now - wd_at[t] > WATCHDOG && !wd_reported[t]) {
			unsigned op = pc[t].op < OP__COUNT ? pc[t].op : OP_IDLE;
			wd_reported[t] = true;
			fail("watchdog: vCPU %u made no progress for %llu s; it is in %s since %llu "
			     "ms",
			     t, (unsigned long long)((now - wd_at[t]) / 1000000000ull), op_names[op],
			     (unsigned long long)((now - pc[t].op_since) / 1000000));
			hcabi_atomic_store(&abort_run, 1);
			hcabi_atomic_store(&stop, 1);
			if (c == 1) {
				/* vCPU 0 is the one stuck: end the VM from here */
				hcabi_printf("hcabi-stress: FAIL: vCPU 0 is stuck (watchdog on "
					     "vCPU 1)");
				hcabi_exit(EXIT_FAIL);
			}
		}
	}
}

/* A bounded wait; the watchdog runs on vCPU 0 and 1 meanwhile. */
void pause_a_bit(void)
{
	for (int i = 0; i < 64; i++)
		hcabi_pause();
	hcabi_atomic_add(&pc[me()].progress, 1);
	if (me() <= 1)
		watchdog();
}
