/* SPDX-License-Identifier: MIT */
/*
 * SYSTEM.SHUTDOWN: SYSTEM-001.1 to .5.
 *
 * What:
 *  - a code with any of bits 63:8 set (0x100, 0x1FF, 0x8000, 2^32, 2^63,
 *    2^64 - 1, 0xFFFFFFFFFFFFFF2A) is INVALID_PARAM with RDX = 0, and the
 *    call returns: the VM goes on (SYSTEM-001, GEN-002.1);
 *  - SHUTDOWN(0xA5), with vCPU 1 busy making calls, does not return and
 *    ends the VM as powered off with code 0xA5: the test prints
 *    "@hcabi expect event=shutdown code=165" first and the runner checks
 *    that the VMM reported exactly that. A code with bit 7 set checks that
 *    all 8 bits reach the host (SYSTEM-001).
 * Why: a guest powers off with this call instead of ACPI; the exit code is
 * how an unattended guest (a test run, a batch job) reports its result.
 * "No vCPU executes another instruction" is the VMM's side: the runner sees
 * the VM end and nothing after it; a SHUTDOWN that returns fails here.
 */
#include "hcabi_test.h"

#define SHUTDOWN_CODE 0xA5u

static uint64_t busy_started, busy_stop;

static void busy_task(void *arg)
{
	uint64_t t0 = hcabi_now_ns();
	(void)arg;
	hcabi_atomic_store(&busy_started, 1);
	while (!hcabi_atomic_load(&busy_stop) && hcabi_now_ns() - t0 < HCABI_SEC(60))
		(void)hcabi_base_get_spec_version();
}

HCABI_TEST(system_shutdown_reserved, "SYSTEM.shutdown_reserved_bits",
	   "SYSTEM-001.1," HCABI_REQ_VALUE_ZERO, HCABI_FID_SYSTEM_SHUTDOWN_SINCE)
{
	static const uint64_t codes[] = {
	    0x100, 0x1FF, 0x8000, 1ull << 32, 1ull << 63, ~0ull, 0xFFFFFFFFFFFFFF2Aull};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(codes); i++)
		check_status(hcabi_system_shutdown(codes[i]), HCABI_ERR_INVALID_PARAM, "SYSTEM-001.1",
			     "SHUTDOWN(0x%llx) returned", (unsigned long long)codes[i]);
}

HCABI_TEST(system_shutdown, "SYSTEM.shutdown",
	   "SYSTEM-001.2,SYSTEM-001.3,SYSTEM-001.4,SYSTEM-001.5,VCPU-024.2,VCPU-030.2",
	   HCABI_FID_SYSTEM_SHUTDOWN_SINCE)
{
	struct hcabi_ret r;
	bool busy = false;

	if (hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU)) {
		if (hcabi_smp_start(1, busy_task, 0) == HCABI_SUCCESS &&
		    wait_for_u64(&busy_started, 1, HCABI_SEC(30)))
			busy = true;
		else
			test_log(
			    "vCPU 1 could not be started: shutting down with one vCPU running");
	}
	/* .3: the VM ended (a VMM that reports the end has stopped every vCPU);
	 * .4: as powered off; .5: with the code */
	test_expect_end("shutdown", (const char *const[]){"SYSTEM-001.3", "SYSTEM-001.4", NULL},
			SHUTDOWN_CODE, "SYSTEM-001.5");
	r = hcabi_system_shutdown(SHUTDOWN_CODE);
	check_true(false, "SYSTEM-001.2", "SHUTDOWN(0x%x) returned: status %lld value 0x%llx",
		   SHUTDOWN_CODE, (long long)r.status, (unsigned long long)r.value);
	hcabi_atomic_store(&busy_stop, 1);
	if (busy && !test_wait_cpu(1, HCABI_SEC(70)))
		return;
}
