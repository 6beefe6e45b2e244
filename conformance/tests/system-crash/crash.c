/* SPDX-License-Identifier: MIT */
/*
 * SYSTEM.CRASH: SYSTEM-020.1 to .4.
 *
 * What: CRASH(0x48434142C0DE0042), with vCPU 1 spinning (interrupts off,
 * no calls), does not return, and the VM ends with a crash report that
 * carries the whole code - bits in both halves set, so a host that keeps
 * only 8 or 32 bits is caught - and that the host tells apart from a
 * shutdown: the test prints "@hcabi expect event=crash code=N" first and the
 * runner checks that the VMM reported a crash with that code. (Bit 63 stays
 * clear: the framework prints no code for a negative one.)
 * Why: a guest's panic path reports why it died; monitoring must see a
 * crash, not a clean power-off, and get every bit of the code.
 * A CRASH that returns fails here (SYSTEM-020.1). The runner credits the
 * crash report (.3) and its code (.4) to the VMM's report of the ending,
 * and "no vCPU runs another instruction" (.2) to the VM having ended: a
 * VMM that reports the end has stopped every vCPU, and no line of the
 * guest's may follow (the image writes nothing after the call).
 */
#include "hcabi_test.h"

#define CRASH_CODE 0x48434142C0DE0042ull

static uint64_t spin_started, spin_stop;

static void spin_task(void *arg)
{
	uint64_t t0 = hcabi_now_ns();
	(void)arg;
	hcabi_atomic_store(&spin_started, 1);
	while (!hcabi_atomic_load(&spin_stop)) {
		for (int i = 0; i < 1000000 && !hcabi_atomic_load(&spin_stop); i++)
			hcabi_pause();
		if (hcabi_now_ns() - t0 > HCABI_SEC(60))
			break;
	}
}

HCABI_TEST(system_crash, "SYSTEM.crash",
	   "SYSTEM-020.1,SYSTEM-020.2,SYSTEM-020.3,SYSTEM-020.4,VCPU-024.2,VCPU-030.2",
	   HCABI_FID_SYSTEM_CRASH_SINCE)
{
	struct hcabi_ret r;
	bool other = false;

	if (hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU)) {
		if (hcabi_smp_start(1, spin_task, 0) == HCABI_SUCCESS &&
		    wait_for_u64(&spin_started, 1, HCABI_SEC(30)))
			other = true;
	}
	test_expect_end("crash", (const char *const[]){"SYSTEM-020.2", "SYSTEM-020.3", NULL},
			CRASH_CODE, "SYSTEM-020.4");
	r = hcabi_system_crash(CRASH_CODE);
	check_true(false, "SYSTEM-020.1", "CRASH(0x%llx) returned: status %lld value 0x%llx",
		   (unsigned long long)CRASH_CODE, (long long)r.status,
		   (unsigned long long)r.value);
	hcabi_atomic_store(&spin_stop, 1);
	if (other && !test_wait_cpu(1, HCABI_SEC(70)))
		return;
}
