/* SPDX-License-Identifier: MIT */
/*
 * SYSTEM.REBOOT: SYSTEM-010.1 to .3.
 *
 * What: REBOOT, with vCPU 1 inside VCPU.BLOCK, does not return, and the
 * current run ends: the VM is reset, or (a host configured not to reboot,
 * as the runner configures it) ends reporting a reset request. The test
 * prints "@hcabi expect event=reboot" (no code: REBOOT has none) first and the runner checks
 * what the VMM reported (a second hello line, or the VMM's reset status).
 * Why: a guest resets without a keyboard controller or ACPI; a reset that
 * is lost leaves it hung, and a reset that lets a blocked vCPU run on would
 * execute old code in the new run.
 * A REBOOT that returns fails here; that no vCPU runs another instruction of
 * this run is the VMM's side, seen by the runner as nothing after the
 * expect line but a fresh boot.
 */
#include "hcabi_test.h"

static uint64_t blocked_started, blocked_stop;

static void blocked_task(void *arg)
{
	uint64_t t0 = hcabi_now_ns();
	(void)arg;
	hcabi_atomic_store(&blocked_started, 1);
	while (!hcabi_atomic_load(&blocked_stop) && hcabi_now_ns() - t0 < HCABI_SEC(60))
		(void)hcabi_vcpu_block(HCABI_SEC(5));
}

HCABI_TEST(system_reboot, "SYSTEM.reboot", "SYSTEM-010.1,SYSTEM-010.2,SYSTEM-010.3,VCPU-024.2,VCPU-030.2",
	   HCABI_FID_SYSTEM_REBOOT_SINCE)
{
	struct hcabi_ret r;
	bool other = false;

	if (hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU)) {
		if (hcabi_smp_start(1, blocked_task, 0) == HCABI_SUCCESS &&
		    wait_for_u64(&blocked_started, 1, HCABI_SEC(30))) {
			other = true;
			/* let it get into BLOCK (best effort, bounded) */
			for (int i = 0; i < 1000; i++) {
				struct hcabi_ret st = hcabi_vcpu_get_status(1);
				if (st.status == HCABI_SUCCESS &&
				    st.value == HCABI_VCPU_STATUS_BLOCKED)
					break;
				delay_ns(HCABI_MS(1));
			}
		}
	}
	/* .2: the run ended (a VMM that reports it has stopped every vCPU);
	 * .3: by a reset, or a reported reset request */
	test_expect_end("reboot", (const char *const[]){"SYSTEM-010.2", "SYSTEM-010.3", NULL}, 0,
			NULL);
	r = hcabi_system_reboot();
	check_true(false, "SYSTEM-010.1", "REBOOT returned: status %lld value 0x%llx",
		   (long long)r.status, (unsigned long long)r.value);
	hcabi_atomic_store(&blocked_stop, 1);
	if (other) {
		(void)hcabi_vcpu_kick(1);
		if (!test_wait_cpu(1, HCABI_SEC(70)))
			return;
	}
}
